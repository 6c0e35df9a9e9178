/**
 * Newest-first keyset pagination on (created_at, id), shared by every list: filters on the
 * creation time, a cursor taken from a known row, no OFFSET.
 */
import { and, asc, desc, eq, gt, gte, lt, lte, or, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';

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
