/**
 * A crypto intent's watch on its deposit address: the deposit address handed out at confirmation,
 * and what is on chain for it, read from a cursor kept in the object's own storage (table `watch`)
 * with reorg re-checks. The intent's Durable Object calls it from its poll timer and turns what it
 * finds into a `chain_observed` command for the domain.
 *
 * A chain whose head is below the last block the watch has read went backwards past it: a chain
 * that was reset (a local dev chain started empty), a reorg deeper than the re-checked blocks, or a
 * node far behind the others. From the head alone these cannot be told apart, and each calls for
 * something else: a reset or deep reorg dropped what was read, a lagging node has not got there
 * yet (payments beyond its head are real). So the watch claims nothing while the head is below
 * that block: no observation (nothing counted, nothing uncounted, no expiry), only `behind`. Once
 * the head is past it again, the blocks read before may be other blocks now: the watch scans again
 * from before the intent's start block (or the lowest head it saw, if lower: a reset chain's
 * payments to the address may be in low blocks) and checks every transfer it holds against its
 * block's hash, however deep. What is on chain then is what counts.
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

/** The watch remembers a chain that went backwards past it until the chain is back (see `Rewind`). */
export const watchRewindMigration = (version: number): Migration => ({
  version,
  description: 'the chain watch remembers a chain that went backwards past it',
  up: (sql) => sql.exec('ALTER TABLE watch ADD COLUMN rewind TEXT'),
});

/** The chain went backwards past the watch; stored as JSON (block numbers as digit strings) in `watch.rewind`. */
interface Rewind {
  /** The last block read before the head went below it: the watch waits for the head to be here again. */
  lastRead: bigint;
  /** Where the scan starts again once it is. */
  rescanFrom: bigint;
  /** When the watch first saw the head below lastRead (ms). */
  since: number;
}

/** What a look at the chain gave: an observation for the domain, or nothing while the chain is behind. */
export type WatchResult =
  | {
      kind: 'observed';
      observation: ChainObservation;
      /** False when the scan stopped short of the head (the next poll continues at once). */
      caughtUp: boolean;
      /** Set when this look ended a rewind: the blocks from `from` on were scanned again. */
      rescanned: { from: bigint; lastRead: bigint; since: number } | null;
    }
  | {
      kind: 'behind';
      head: bigint;
      lastRead: bigint;
      rescanFrom: bigint;
      /** True on the look that found the chain behind (the episode's first). */
      first: boolean;
    };

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
 * A head below the last block read is `behind` (see the top of this file): nothing is observed.
 */
export async function observeDeposit(sql: SqlStorage, reader: ChainReader, c: CryptoPayment): Promise<WatchResult> {
  const stored = sql
    .exec<{ cursor: string; transfers: string; rewind: string | null }>('SELECT cursor, transfers, rewind FROM watch')
    .toArray()[0];
  const startBlock = c.startBlock!;
  const cursor = stored ? BigInt(stored.cursor) : startBlock;
  const watched: CryptoTransfer[] = stored ? (JSON.parse(stored.transfers) as StoredTransfer[]).map(transferFromRecord) : [];
  let rewind = stored?.rewind ? parseRewind(stored.rewind) : null;

  const observedAt = Date.now();
  const head = await reader.head();
  const recheckDepth = BigInt(c.confirmationsRequired) + REORG_MARGIN;

  const lastRead = rewind?.lastRead ?? cursor - 1n;
  if (head < lastRead) {
    // Below the lowest head seen, a reset chain may hold payments to the address; before the start
    // block, a reorg deeper than the intent's age may. The margin covers a fork a few blocks lower.
    const rescanFrom = maxBig(0n, minBig(startBlock, head + 1n) - recheckDepth);
    const first = rewind === null;
    rewind = { lastRead, rescanFrom: rewind ? minBig(rewind.rescanFrom, rescanFrom) : rescanFrom, since: rewind?.since ?? observedAt };
    sql.exec(
      'INSERT INTO watch (singleton, cursor, transfers, rewind) VALUES (1, ?, ?, ?) ON CONFLICT (singleton) DO UPDATE SET rewind = excluded.rewind',
      cursor.toString(),
      JSON.stringify(watched.map(transferToRecord)),
      serializeRewind(rewind),
    );
    return { kind: 'behind', head, lastRead, rescanFrom: rewind.rescanFrom, first };
  }

  const found = new Map<string, CryptoTransfer>();
  // After a rewind, from the rescan point; otherwise the last blocks again (a scan that went
  // below the start block and stopped short goes on from its cursor).
  let from = rewind ? rewind.rescanFrom : maxBig(minBig(startBlock, cursor), cursor - recheckDepth);
  for (const t of watched) {
    // After a rewind every block read before may be another block now: all are checked.
    if (!rewind && head - t.blockNumber + 1n > recheckDepth) {
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
    'INSERT INTO watch (singleton, cursor, transfers, rewind) VALUES (1, ?, ?, NULL) ON CONFLICT (singleton) DO UPDATE SET cursor = excluded.cursor, transfers = excluded.transfers, rewind = NULL',
    from.toString(),
    JSON.stringify(transfers.map(transferToRecord)),
  );
  const rescanned = rewind && { from: rewind.rescanFrom, lastRead: rewind.lastRead, since: rewind.since };
  if (from <= head) {
    // Not every block up to the head has been read yet: what was read counts, but it cannot
    // vouch for the time past the window (no expiry on it).
    const vouched = Math.min(observedAt, (c.expiresAt ?? observedAt) - 1);
    return {
      kind: 'observed',
      observation: { type: 'chain_observed', transfers, head: from - 1n, observedAt: vouched },
      caughtUp: false,
      rescanned,
    };
  }
  return { kind: 'observed', observation: { type: 'chain_observed', transfers, head, observedAt }, caughtUp: true, rescanned };
}

function parseRewind(json: string): Rewind {
  const r = JSON.parse(json) as { lastRead: string; rescanFrom: string; since: number };
  return { lastRead: BigInt(r.lastRead), rescanFrom: BigInt(r.rescanFrom), since: r.since };
}

function serializeRewind(r: Rewind): string {
  return JSON.stringify({ lastRead: r.lastRead.toString(), rescanFrom: r.rescanFrom.toString(), since: r.since });
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
