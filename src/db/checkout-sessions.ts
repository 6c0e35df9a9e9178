/** Read-model writes and reads for Checkout Sessions. Only the session's Durable Object writes. */
import { and, eq, type SQL, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { parseSession, serializeSession } from '../checkout/record.js';
import type { CheckoutSession } from '../domain/checkout-session.js';
import type { ProjectedEvent } from './intents.js';
import { type CreatedRange, type Cursor, keyset } from './keyset.js';
import { checkoutSessions, events } from './schema.js';

/**
 * Upserts the session's row (only ever to a higher revision) and inserts its new events, in one
 * batch. The events table's intent_id column holds the object the event is about: here the session.
 */
export async function projectSession(d1: D1Database, session: CheckoutSession, newEvents: ProjectedEvent[]): Promise<void> {
  const db = drizzle(d1);
  const row = {
    id: session.id,
    merchantId: session.merchantId,
    livemode: session.livemode,
    status: session.status,
    paymentIntent: session.paymentIntent,
    createdAt: session.created,
    revision: session.revision,
    record: serializeSession(session),
  };
  const upsert = db
    .insert(checkoutSessions)
    .values(row)
    .onConflictDoUpdate({
      target: checkoutSessions.id,
      set: { status: row.status, revision: row.revision, record: row.record },
      setWhere: sql`excluded.revision > ${checkoutSessions.revision}`,
    });
  const eventRows = newEvents.map((e) => ({
    id: e.id,
    merchantId: session.merchantId,
    livemode: session.livemode,
    intentId: session.id,
    sequence: e.sequence,
    type: e.type,
    createdAt: e.createdAt,
    canonical: e.canonical,
  }));
  await db.batch([
    upsert,
    // At most 100 bound parameters a statement: 8 columns an event, so 12 events an insert.
    ...Array.from({ length: Math.ceil(eventRows.length / 12) }, (_, i) =>
      db
        .insert(events)
        .values(eventRows.slice(i * 12, i * 12 + 12))
        .onConflictDoNothing(),
    ),
  ]);
}

export interface SessionListQuery {
  merchantId: string;
  livemode: boolean;
  limit: number;
  cursor?: Cursor;
  created?: CreatedRange;
  paymentIntent?: string;
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listSessions(d1: D1Database, q: SessionListQuery): Promise<{ data: CheckoutSession[]; hasMore: boolean }> {
  const t = checkoutSessions;
  const page = keyset(t, q.created, q.cursor);
  const conditions: (SQL | undefined)[] = [eq(t.merchantId, q.merchantId), eq(t.livemode, q.livemode), ...page.conditions];
  if (q.paymentIntent !== undefined) conditions.push(eq(t.paymentIntent, q.paymentIntent));
  const rows = await drizzle(d1)
    .select({ record: t.record })
    .from(t)
    .where(and(...conditions))
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  const hasMore = rows.length > q.limit;
  const data = rows.slice(0, q.limit).map((r) => parseSession(r.record));
  if (page.backwards) data.reverse();
  return { data, hasMore };
}

/** The sort key of one session of this merchant and mode, for a pagination cursor. */
export async function findSessionCursor(
  d1: D1Database,
  merchantId: string,
  livemode: boolean,
  id: string,
): Promise<{ createdAt: number; id: string } | undefined> {
  const t = checkoutSessions;
  const [row] = await drizzle(d1)
    .select({ createdAt: t.createdAt, id: t.id })
    .from(t)
    .where(and(eq(t.id, id), eq(t.merchantId, merchantId), eq(t.livemode, livemode)))
    .limit(1);
  return row;
}
