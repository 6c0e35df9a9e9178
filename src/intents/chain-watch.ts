/**
 * A crypto intent's watch on its deposit address: the deposit address handed out at confirmation,
 * and what is on chain for it, read from a cursor kept in the object's own storage (table `watch`)
 * with reorg re-checks. The intent's Durable Object calls it from its poll timer and turns what it
 * finds into a `chain_observed` command for the domain.
 */
import type { Address } from 'viem';
import { depositAddress } from '../chain/addresses.js';
import { ChainUnavailable, type ChainReader } from '../chain/port.js';
import { transferKey, type CryptoPayment, type CryptoTransfer } from '../domain/crypto.js';
import { DomainError, invalid } from '../domain/errors.js';
import type { ChainObservation, ConfirmCommand, PaymentIntent } from '../domain/intent.js';
import type { Migration } from '../durable/entity.js';
import { logError } from '../lib/log.js';
import { allocateDepositIndex } from '../merchants/crypto.js';
import { type StoredTransfer, transferFromRecord, transferToRecord } from './record.js';

/**
 * Blocks past the required confirmations that are still re-checked for reorgs and re-scanned on
 * every poll (a transfer dropped by a reorg is often re-included a block or two later).
 */
const REORG_MARGIN = 3n;
/** Scan calls per poll; a longer backlog continues at the next poll, which then comes at once. */
const MAX_SCANS_PER_POLL = 20;

/** The watch's table: where the scan resumes, and the transfers found so far. */
export function createWatchTable(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS watch (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
      cursor TEXT NOT NULL,
      transfers TEXT NOT NULL
    );
  `);
}

export const watchMigration = (version: number): Migration => ({
  version,
  description: 'the chain watch of a crypto intent',
  up: createWatchTable,
});

/**
 * Confirming a crypto intent hands the payer a deposit address: the chain's head is read first
 * (the scan starts there; an unreachable chain refuses the confirmation rather than hand out an
 * address nobody watches), then the merchant's next index is taken in D1.
 */
export async function allocateDeposit(
  d1: D1Database,
  intent: PaymentIntent,
  reader: ChainReader | undefined,
): Promise<NonNullable<ConfirmCommand['deposit']>> {
  const network = intent.crypto!.network;
  if (!reader) {
    throw invalid(
      'parameter_invalid',
      'crypto.network',
      `The network ${network} of this PaymentIntent is no longer configured on this deployment.`,
    );
  }
  let head: bigint;
  try {
    head = await reader.head();
  } catch (error) {
    if (!(error instanceof ChainUnavailable)) throw error;
    logError('chain unavailable at confirmation', { intent: intent.id, network, fault: error.fault }, error);
    throw new DomainError({
      code: 'chain_unavailable',
      detail: `The ${network} network cannot be read right now, so no deposit address was handed out. Retry shortly.`,
    });
  }
  const allocated = await allocateDepositIndex(d1, intent.merchantId);
  if (!allocated) {
    throw invalid(
      'crypto_not_configured',
      'paymentMethodTypes',
      'This account has no crypto settings: its watch-only xpub must be set before crypto PaymentIntents can be confirmed.',
    );
  }
  return { address: depositAddress(allocated.xpub, allocated.index), index: allocated.index, startBlock: head };
}

/**
 * Every transfer to the deposit address still on chain. Transfers not yet past their
 * confirmations (plus a margin) are checked against their block's hash — a different hash means a
 * reorg dropped them — and the last blocks are scanned again, so a re-included one is found.
 * `caughtUp` is false when the scan stopped short of the head (the next poll continues at once).
 */
export async function observeDeposit(
  sql: SqlStorage,
  reader: ChainReader,
  c: CryptoPayment,
): Promise<{ observation: ChainObservation; caughtUp: boolean }> {
  const stored = sql.exec<{ cursor: string; transfers: string }>('SELECT cursor, transfers FROM watch').toArray()[0];
  const cursor = stored ? BigInt(stored.cursor) : c.startBlock!;
  const watched: CryptoTransfer[] = stored ? (JSON.parse(stored.transfers) as StoredTransfer[]).map(transferFromRecord) : [];

  const observedAt = Date.now();
  const head = await reader.head();
  const recheckDepth = BigInt(c.confirmationsRequired) + REORG_MARGIN;
  const found = new Map<string, CryptoTransfer>();
  let from = maxBig(c.startBlock!, cursor - recheckDepth);
  for (const t of watched) {
    if (head - t.blockNumber + 1n > recheckDepth) {
      found.set(transferKey(t), t);
      continue;
    }
    // Past the node's head this throws (a node that is behind must not look like a reorg).
    if ((await reader.blockHash(t.blockNumber)) === t.blockHash) found.set(transferKey(t), t);
    else if (t.blockNumber < from) from = t.blockNumber;
  }

  const to = c.depositAddress as Address;
  for (let scans = 0; scans < MAX_SCANS_PER_POLL && from <= head; scans++) {
    const scan = c.token.address
      ? await reader.erc20Transfers({ token: c.token.address as Address, to, fromBlock: from, toBlock: head })
      : await reader.nativeTransfers({ to, fromBlock: from, toBlock: head });
    for (const t of scan.transfers) found.set(transferKey(t), t);
    if (scan.toBlock < from) break;
    from = scan.toBlock + 1n;
  }
  const transfers = [...found.values()];
  sql.exec(
    'INSERT INTO watch (singleton, cursor, transfers) VALUES (1, ?, ?) ON CONFLICT (singleton) DO UPDATE SET cursor = excluded.cursor, transfers = excluded.transfers',
    from.toString(),
    JSON.stringify(transfers.map(transferToRecord)),
  );
  if (from <= head) {
    // Not every block up to the head has been read yet: what was read counts, but it cannot
    // vouch for the time past the window (no expiry on it).
    const vouched = Math.min(observedAt, (c.expiresAt ?? observedAt) - 1);
    return { observation: { type: 'chain_observed', transfers, head: from - 1n, observedAt: vouched }, caughtUp: false };
  }
  return { observation: { type: 'chain_observed', transfers, head, observedAt }, caughtUp: true };
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
