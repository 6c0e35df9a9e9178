/**
 * Newest-first keyset pagination on (created_at, id), shared by every list: filters on the
 * creation time, a cursor taken from a known row, no OFFSET.
 */
import { and, asc, desc, eq, gt, gte, lt, lte, or, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';

/** Bounds on created_at, in milliseconds. */
export interface CreatedRange {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export interface Cursor {
  /** after: older than the cursor row (the next page); before: newer (the previous page). */
  direction: 'after' | 'before';
  createdAt: number;
  id: string;
}

export function keyset(columns: { createdAt: SQLiteColumn; id: SQLiteColumn }, created: CreatedRange = {}, cursor?: Cursor) {
  const { createdAt, id } = columns;
  const conditions: (SQL | undefined)[] = [];
  if (created.gt !== undefined) conditions.push(gt(createdAt, created.gt));
  if (created.gte !== undefined) conditions.push(gte(createdAt, created.gte));
  if (created.lt !== undefined) conditions.push(lt(createdAt, created.lt));
  if (created.lte !== undefined) conditions.push(lte(createdAt, created.lte));
  const backwards = cursor?.direction === 'before';
  if (cursor) {
    conditions.push(
      backwards
        ? or(gt(createdAt, cursor.createdAt), and(eq(createdAt, cursor.createdAt), gt(id, cursor.id)))
        : or(lt(createdAt, cursor.createdAt), and(eq(createdAt, cursor.createdAt), lt(id, cursor.id))),
    );
  }
  // Walking backwards reads oldest-first from the cursor; the caller reverses the page.
  const orderBy = backwards ? [asc(createdAt), asc(id)] : [desc(createdAt), desc(id)];
  return { conditions, orderBy, backwards };
}

/** A listed table of the read model: a merchant's and mode's rows, each with its stored record. */
type ListedTable = SQLiteTable & {
  merchantId: SQLiteColumn;
  livemode: SQLiteColumn;
  createdAt: SQLiteColumn;
  id: SQLiteColumn;
  record: SQLiteColumn;
};

export interface PageQuery {
  merchantId: string;
  livemode: boolean;
  limit: number;
  cursor?: Cursor;
  created?: CreatedRange;
}

/** One page, newest first, of a merchant's and mode's rows that also meet `filters`, each record parsed. */
export async function newestFirst<T>(
  d1: D1Database,
  table: ListedTable,
  q: PageQuery,
  filters: (SQL | undefined)[],
  parse: (record: string) => T,
): Promise<{ data: T[]; hasMore: boolean }> {
  const page = keyset(table, q.created, q.cursor);
  const rows = await drizzle(d1)
    .select({ record: table.record })
    .from(table)
    .where(and(eq(table.merchantId, q.merchantId), eq(table.livemode, q.livemode), ...page.conditions, ...filters))
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  const hasMore = rows.length > q.limit;
  const data = rows.slice(0, q.limit).map((r) => parse(r.record as string));
  if (page.backwards) data.reverse();
  return { data, hasMore };
}

/** The sort key of one row of this merchant and mode, for a pagination cursor. */
export async function cursorOf(
  d1: D1Database,
  table: ListedTable,
  merchantId: string,
  livemode: boolean,
  id: string,
): Promise<{ createdAt: number; id: string } | undefined> {
  const [row] = await drizzle(d1)
    .select({ createdAt: table.createdAt, id: table.id })
    .from(table)
    .where(and(eq(table.id, id), eq(table.merchantId, merchantId), eq(table.livemode, livemode)))
    .limit(1);
  return row as { createdAt: number; id: string } | undefined;
}
