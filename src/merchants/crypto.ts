/**
 * A merchant's crypto settings: the watch-only xpub deposit addresses come from, and the counter
 * that hands each intent its own child index.
 */
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { assertXpub } from '../chain/addresses.js';
import { merchants } from '../db/schema.js';

/** Sets the xpub (checked: a public, account-level key); false if there is no such merchant. */
export async function setMerchantXpub(d1: D1Database, merchantId: string, xpub: string): Promise<boolean> {
  assertXpub(xpub);
  const updated = await drizzle(d1).update(merchants).set({ cryptoXpub: xpub }).where(eq(merchants.id, merchantId)).returning({ id: merchants.id });
  return updated.length > 0;
}

export async function cryptoSettings(d1: D1Database, merchantId: string): Promise<{ xpub: string | null; addressesIssued: number } | undefined> {
  const [row] = await drizzle(d1)
    .select({ xpub: merchants.cryptoXpub, addressesIssued: merchants.nextDepositIndex })
    .from(merchants)
    .where(eq(merchants.id, merchantId))
    .limit(1);
  return row;
}

/**
 * Takes the next deposit index for this merchant in one statement (D1 runs it on the primary, one
 * writer), so two intents never get the same index. Undefined when the merchant has no xpub.
 */
export async function allocateDepositIndex(d1: D1Database, merchantId: string): Promise<{ xpub: string; index: number } | undefined> {
  const [row] = await drizzle(d1)
    .update(merchants)
    .set({ nextDepositIndex: sql`${merchants.nextDepositIndex} + 1` })
    .where(and(eq(merchants.id, merchantId), isNotNull(merchants.cryptoXpub)))
    .returning({ xpub: merchants.cryptoXpub, next: merchants.nextDepositIndex });
  return row && { xpub: row.xpub!, index: row.next - 1 };
}
