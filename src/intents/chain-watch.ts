/**
 * A crypto intent's side of its chain watch. Confirming it hands the payer a deposit address
 * (`allocateDeposit`); from then on the network's chain watcher (src/chain/watcher.ts) reads the
 * chain for it and delivers what concerns it, and the intent's Durable Object turns each delivery
 * into a `chain_observed` command for the domain. The intent registers its watch from a timer row
 * committed with the change that calls for it (confirmation, success, cancellation), so a
 * registration survives a crash and is retried until the watcher acknowledges it.
 *
 * Releases before the watcher polled the chain from each intent, with a cursor of its own (table
 * `watch`, steps 2 and 3 below) and a `poll` timer; step 4 drops that table and turns the timer into
 * a registration (`watch`).
 */
import { depositAddress } from '../chain/addresses.js';
import { ChainUnavailable, type ChainReader } from '../chain/port.js';
import { DomainError, invalid } from '../domain/errors.js';
import type { ConfirmCommand, PaymentIntent, ReservedDeposit } from '../domain/intent.js';
import type { Migration } from '../durable/entity.js';
import { logError } from '../lib/log.js';
import { allocateDepositIndex } from '../merchants/crypto.js';

/** Objects of releases that polled from each intent: the table their watch kept (dropped by step 4). */
export const watchMigration = (version: number): Migration => ({
  version,
  description: 'the chain watch of a crypto intent (polled by the intent itself)',
  up: (sql) =>
    sql.exec(`
      CREATE TABLE IF NOT EXISTS watch (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        cursor TEXT NOT NULL,
        transfers TEXT NOT NULL
      );
    `),
});

export const watchRewindMigration = (version: number): Migration => ({
  version,
  description: 'the chain watch remembers a chain that went backwards past it',
  up: (sql) => sql.exec('ALTER TABLE watch ADD COLUMN rewind TEXT'),
});

/**
 * The network's watcher reads the chain now: the intent's own cursor goes, and a pending poll
 * becomes a registration with the watcher, due when the poll was (at most a poll interval away,
 * or the late-funds interval). What the old cursor had found is found
 * again by the watcher, which scans from the intent's start block.
 */
export const watcherMigration = (version: number): Migration => ({
  version,
  description: "the chain is read by the network's watcher: the intent's cursor is dropped, its poll timer becomes a registration",
  up: (sql) =>
    sql.exec(`
      DROP TABLE watch;
      DELETE FROM timers WHERE kind = 'watch' AND EXISTS (SELECT 1 FROM timers WHERE kind = 'poll');
      UPDATE timers SET kind = 'watch', attempts = 0 WHERE kind = 'poll';
    `),
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
  // An address taken at creation serves whichever network the payer chose: only the head is new.
  const deposit = intent.reservedDeposit ?? (await reserveDeposit(d1, intent.merchantId));
  return { ...deposit, startBlock: head };
}

/**
 * The merchant's next deposit address (xpub/0/index, the same on every EVM network): taken at
 * confirmation, or at creation for an intent that asks for it (CreateParams.reserveDeposit).
 */
export async function reserveDeposit(d1: D1Database, merchantId: string): Promise<ReservedDeposit> {
  const allocated = await allocateDepositIndex(d1, merchantId);
  if (!allocated) {
    throw invalid(
      'crypto_not_configured',
      'paymentMethodTypes',
      'This account has no crypto settings: its watch-only xpub must be set before crypto PaymentIntents can be confirmed.',
    );
  }
  return { address: depositAddress(allocated.xpub, allocated.index), index: allocated.index };
}
