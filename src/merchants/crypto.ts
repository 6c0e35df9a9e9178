/**
 * A merchant's crypto settings: the watch-only xpub deposit addresses come from, and the counter
 * that hands each intent its own child index.
 */
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { assertXpub } from '../chain/addresses.js';
import { depositCounters, merchants } from '../db/directory-schema.js';

export interface CryptoSettings {
  xpub: string | null;
  addressesIssued: number;
}

/**
 * Sets the xpub (checked: a public, account-level key) in one statement, and returns the settings as
 * that statement left them — not as a later read finds them, which a parallel set may have changed.
 * Undefined if there is no such merchant.
 */
export async function setMerchantXpub(d1: D1Database, merchantId: string, xpub: string): Promise<CryptoSettings | undefined> {
  assertXpub(xpub);
  const [row] = await drizzle(d1)
    .update(merchants)
    .set({ cryptoXpub: xpub })
    .where(eq(merchants.id, merchantId))
    .returning({ xpub: merchants.cryptoXpub, addressesIssued: merchants.nextDepositIndex });
  return row;
}

export async function cryptoSettings(d1: D1Database, merchantId: string): Promise<CryptoSettings | undefined> {
  const [row] = await drizzle(d1)
    .select({ xpub: merchants.cryptoXpub, addressesIssued: merchants.nextDepositIndex })
    .from(merchants)
    .where(eq(merchants.id, merchantId))
    .limit(1);
  return row;
}

/**
 * Takes the next deposit index of the merchant's xpub: the counter is per xpub, not per merchant,
 * so even two merchants sharing an xpub never get the same address. One batch (one transaction on
 * D1's single writer) counts the address for the merchant and takes the index with an upsert.
 * Undefined when the merchant has no xpub.
 */
export async function allocateDepositIndex(d1: D1Database, merchantId: string): Promise<{ xpub: string; index: number } | undefined> {
  const db = drizzle(d1);
  const hasXpub = and(eq(merchants.id, merchantId), isNotNull(merchants.cryptoXpub));
  const [, taken] = await db.batch([
    db
      .update(merchants)
      .set({ nextDepositIndex: sql`${merchants.nextDepositIndex} + 1` })
      .where(hasXpub),
    db
      .insert(depositCounters)
      .select(
        db
          .select({ xpub: sql<string>`${merchants.cryptoXpub}`.as('xpub'), nextIndex: sql<number>`1`.as('next_index') })
          .from(merchants)
          .where(hasXpub),
      )
      .onConflictDoUpdate({ target: depositCounters.xpub, set: { nextIndex: sql`${depositCounters.nextIndex} + 1` } })
      .returning({ xpub: depositCounters.xpub, next: depositCounters.nextIndex }),
  ]);
  const [row] = taken;
  return row && { xpub: row.xpub, index: row.next - 1 };
}
