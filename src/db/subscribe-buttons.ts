/**
 * Subscribe buttons in the directory: which merchant, mode, shard and debit item a button id (the
 * subscribe page's address) belongs to. Written once, with the item; read by the page.
 */
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { subscribeButtons } from './directory-schema.js';

export interface SubscribeButton {
  buttonId: string;
  merchantId: string;
  livemode: boolean;
  shard: string;
  debitItemId: string;
}

export async function insertSubscribeButton(d1: D1Database, button: SubscribeButton, now: number): Promise<void> {
  await drizzle(d1)
    .insert(subscribeButtons)
    .values({ ...button, createdAt: now });
}

/** The button's row, or undefined for an unknown one. */
export async function findSubscribeButton(d1: D1Database, buttonId: string): Promise<SubscribeButton | undefined> {
  const t = subscribeButtons;
  const [row] = await drizzle(d1)
    .select({ buttonId: t.buttonId, merchantId: t.merchantId, livemode: t.livemode, shard: t.shard, debitItemId: t.debitItemId })
    .from(t)
    .where(eq(t.buttonId, buttonId))
    .limit(1);
  return row;
}
