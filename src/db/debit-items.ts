/**
 * Debit items in D1, their only store. Every change is conditional on the revision it was computed
 * from: of two concurrent changes computed from one revision, the second writes nothing and is told
 * so ('conflict'), so no change is ever lost by being overwritten.
 */
import { and, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { DebitItem } from '../domain/debit-item.js';
import { cursorOf, newestFirst, type PageQuery } from './keyset.js';
import { debitItems } from './schema.js';

interface Scope {
  merchantId: string;
  livemode: boolean;
}

/** The stored form: the item as JSON, its bigint as a digit string. */
export function serializeDebitItem(item: DebitItem): string {
  return JSON.stringify({ version: 1, ...item, maxPrice: item.maxPrice.toString() });
}

export function parseDebitItem(record: string): DebitItem {
  const { version: _version, ...stored } = JSON.parse(record) as Omit<DebitItem, 'maxPrice'> & { version: 1; maxPrice: string };
  return { ...stored, maxPrice: BigInt(stored.maxPrice) };
}

function rowOf(item: DebitItem) {
  return {
    id: item.id,
    merchantId: item.merchantId,
    livemode: item.livemode,
    active: item.active,
    buttonId: item.buttonId,
    createdAt: item.created,
    revision: item.revision,
    record: serializeDebitItem(item),
  };
}

/** Inserts the item with the next integer id of its shard (002_…'s `id`), in the same statement. */
export async function insertDebitItem(d1: D1Database, item: DebitItem): Promise<void> {
  await drizzle(d1)
    .insert(debitItems)
    .values({ ...rowOf(item), number: sql`(SELECT COALESCE(MAX(${debitItems.number}), 0) + 1 FROM ${debitItems})` });
}

/** The item's integer id on the wire of 002_… */
export async function debitItemNumber(d1: D1Database, id: string): Promise<number | undefined> {
  const [row] = await drizzle(d1).select({ number: debitItems.number }).from(debitItems).where(eq(debitItems.id, id)).limit(1);
  return row?.number ?? undefined;
}

/** The item of this merchant and mode; another merchant's or mode's is undefined, as an unknown id. */
export async function findDebitItem(d1: D1Database, scope: Scope, id: string): Promise<DebitItem | undefined> {
  const t = debitItems;
  const [row] = await drizzle(d1)
    .select({ record: t.record })
    .from(t)
    .where(and(eq(t.id, id), eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode)))
    .limit(1);
  return row ? parseDebitItem(row.record) : undefined;
}

/** Writes `next` over the row only if the row is still at `expectedRevision`. */
export async function replaceDebitItem(d1: D1Database, next: DebitItem, expectedRevision: number): Promise<'written' | 'conflict'> {
  const t = debitItems;
  const row = rowOf(next);
  const written = await drizzle(d1)
    .update(t)
    .set({ active: row.active, revision: row.revision, record: row.record })
    .where(and(eq(t.id, next.id), eq(t.merchantId, next.merchantId), eq(t.livemode, next.livemode), eq(t.revision, expectedRevision)))
    .returning({ id: t.id });
  return written.length === 1 ? 'written' : 'conflict';
}

export interface DebitItemListQuery extends PageQuery {
  active?: boolean;
}

/** Newest first, keyset-paginated on (created_at, id). */
export function listDebitItems(d1: D1Database, q: DebitItemListQuery): Promise<{ data: DebitItem[]; hasMore: boolean }> {
  const t = debitItems;
  return newestFirst(d1, t, q, [q.active === undefined ? undefined : eq(t.active, q.active)], parseDebitItem);
}

export function findDebitItemCursor(d1: D1Database, scope: Scope, id: string) {
  return cursorOf(d1, debitItems, scope.merchantId, scope.livemode, id);
}
