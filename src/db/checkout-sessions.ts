/** Read-model writes and reads for Checkout Sessions. Only the session's Durable Object writes. */
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { parseSession, serializeSession } from '../checkout/record.js';
import type { CheckoutSession } from '../domain/checkout-session.js';
import { eventInserts, type ProjectedEvent } from './intents.js';
import { cursorOf, newestFirst, type PageQuery } from './keyset.js';
import { checkoutSessions } from './schema.js';

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
  await db.batch([upsert, ...eventInserts(db, session, newEvents)]);
}

export interface SessionListQuery extends PageQuery {
  paymentIntent?: string;
}

/** Newest first, keyset-paginated on (created_at, id). */
export function listSessions(d1: D1Database, q: SessionListQuery): Promise<{ data: CheckoutSession[]; hasMore: boolean }> {
  const t = checkoutSessions;
  return newestFirst(d1, t, q, [q.paymentIntent === undefined ? undefined : eq(t.paymentIntent, q.paymentIntent)], parseSession);
}

/** The sort key of one session of this merchant and mode, for a pagination cursor. */
export function findSessionCursor(d1: D1Database, merchantId: string, livemode: boolean, id: string) {
  return cursorOf(d1, checkoutSessions, merchantId, livemode, id);
}
