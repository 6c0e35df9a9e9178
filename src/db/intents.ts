/** Read-model writes and reads for payment intents. Only the intent's Durable Object writes. */
import { and, eq, sql } from 'drizzle-orm';
import { cursorOf, newestFirst, type PageQuery } from './keyset.js';
import { type DrizzleD1Database, drizzle } from 'drizzle-orm/d1';
import type { PaymentIntent } from '../domain/intent.js';
import type { Status } from '../domain/status.js';
import { parseRecord, serializeRecord } from '../intents/record.js';
import { charges, disputes, events, idempotencyKeys, paymentIntentMetadata, paymentIntents, refunds } from './schema.js';

/**
 * Upserts the intent's row. The write only lands if it carries a higher revision than the row, so
 * a late or repeated projection can never move the read model backwards.
 */
export interface ProjectedEvent {
  id: string;
  sequence: number;
  type: string;
  createdAt: number;
  /** The canonical event's JSON (src/intents/events.ts). */
  canonical: string;
}

/**
 * The inserts of an object's new events into the events table (its `intent_id` column holds the id of
 * the object the events are about: an intent or a Checkout Session), for the object's projection
 * batch. Already-projected events are skipped.
 */
export function eventInserts(
  db: DrizzleD1Database,
  owner: { id: string; merchantId: string; livemode: boolean },
  newEvents: readonly ProjectedEvent[],
) {
  const rows = newEvents.map((e) => ({
    id: e.id,
    merchantId: owner.merchantId,
    livemode: owner.livemode,
    intentId: owner.id,
    sequence: e.sequence,
    type: e.type,
    createdAt: e.createdAt,
    canonical: e.canonical,
  }));
  // At most 100 bound parameters a statement: 8 columns an event, so 12 events an insert.
  return Array.from({ length: Math.ceil(rows.length / 12) }, (_, i) =>
    db
      .insert(events)
      .values(rows.slice(i * 12, i * 12 + 12))
      .onConflictDoNothing(),
  );
}

/** An Idempotency-Key the intent's object answered: the merchant's record that the key is taken. */
export interface ProjectedKey {
  key: string;
  fingerprint: string;
  createdAt: number;
  expiresAt: number;
}

export async function projectIntent(
  d1: D1Database,
  intent: PaymentIntent,
  newEvents: ProjectedEvent[] = [],
  keys: ProjectedKey[] = [],
): Promise<void> {
  const row = {
    id: intent.id,
    merchantId: intent.merchantId,
    livemode: intent.livemode,
    status: intent.status,
    amount: intent.amount.toString(),
    currency: intent.currency,
    customer: intent.customer,
    mandateId: intent.mandate,
    createdAt: intent.created,
    revision: intent.revision,
    record: serializeRecord(intent),
  };
  const db = drizzle(d1);
  // The metadata rows follow only if the intent's row now holds this very revision.
  const holdsThisRevision = sql`(SELECT revision FROM ${paymentIntents} WHERE id = ${intent.id}) = ${intent.revision}`;
  const m = paymentIntentMetadata;
  const upsert = db
    .insert(paymentIntents)
    .values(row)
    .onConflictDoUpdate({
      target: paymentIntents.id,
      set: {
        status: row.status,
        amount: row.amount,
        currency: row.currency,
        customer: row.customer,
        revision: row.revision,
        record: row.record,
      },
      setWhere: sql`excluded.revision > ${paymentIntents.revision}`,
    });
  // One batch, one transaction: the row, its metadata index and its events never disagree.
  await db.batch([
    upsert,
    ...eventInserts(db, intent, newEvents),
    // The first use of a key holds it (a row of another request stays); one past its 24 hours is taken over.
    ...Array.from({ length: Math.ceil(keys.length / 10) }, (_, i) =>
      db
        .insert(idempotencyKeys)
        .values(
          keys.slice(i * 10, i * 10 + 10).map((k) => ({
            merchantId: intent.merchantId,
            livemode: intent.livemode,
            key: k.key,
            fingerprint: k.fingerprint,
            state: 'kept_by_object' as const,
            createdAt: k.createdAt,
            expiresAt: k.expiresAt,
          })),
        )
        .onConflictDoUpdate({
          target: [idempotencyKeys.merchantId, idempotencyKeys.livemode, idempotencyKeys.key],
          set: {
            fingerprint: sql`excluded.fingerprint`,
            state: 'kept_by_object',
            responseStatus: null,
            responseBody: null,
            createdAt: sql`excluded.created_at`,
            expiresAt: sql`excluded.expires_at`,
          },
          setWhere: sql`${idempotencyKeys.expiresAt} <= excluded.created_at`,
        }),
    ),
    db.delete(m).where(and(eq(m.intentId, intent.id), holdsThisRevision)),
    db.insert(m).select(
      sql`SELECT ${intent.id}, ${intent.merchantId}, ${intent.livemode ? 1 : 0}, key, value
          FROM json_each(${JSON.stringify(intent.metadata)}) WHERE ${holdsThisRevision}`,
    ),
    ...subObjectInserts(db, intent),
  ]);
}

/**
 * The lookups of the intent's charges, refunds and disputes: written once, never changed. Ten rows
 * per statement keeps each under D1's 100 bound parameters (an intent can have many refunds).
 */
function subObjectInserts(db: DrizzleD1Database, intent: PaymentIntent) {
  const owner = { merchantId: intent.merchantId, livemode: intent.livemode, paymentIntentId: intent.id };
  return [
    ...chunks(intent.charges).map((part) =>
      db
        .insert(charges)
        .values(part.map((c) => ({ ...owner, id: c.id, createdAt: c.created })))
        .onConflictDoNothing(),
    ),
    ...chunks(intent.refunds).map((part) =>
      db
        .insert(refunds)
        .values(part.map((r) => ({ ...owner, id: r.id, chargeId: r.charge, createdAt: r.created })))
        .onConflictDoNothing(),
    ),
    ...chunks(intent.disputes).map((part) =>
      db
        .insert(disputes)
        .values(part.map((d) => ({ ...owner, id: d.id, chargeId: d.charge, createdAt: d.created })))
        .onConflictDoNothing(),
    ),
  ];
}

function chunks<T>(items: readonly T[], size = 10): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));
}

export interface ListQuery extends PageQuery {
  customer?: string;
  status?: Status;
  /** Only the debits of this mandate. */
  mandate?: string;
}

/**
 * Newest first, keyset-paginated on (created_at, id) over the list/status/customer/mandate indexes: the
 * cost of a page does not grow with how deep it is.
 */
export function listIntents(d1: D1Database, q: ListQuery): Promise<{ data: PaymentIntent[]; hasMore: boolean }> {
  const t = paymentIntents;
  const filters = [
    q.customer === undefined ? undefined : eq(t.customer, q.customer),
    q.status === undefined ? undefined : eq(t.status, q.status),
    q.mandate === undefined ? undefined : eq(t.mandateId, q.mandate),
  ];
  return newestFirst(d1, t, q, filters, parseRecord);
}

/** The sort key of one intent of this merchant and mode, for a pagination cursor. */
export function findCursor(d1: D1Database, merchantId: string, livemode: boolean, id: string) {
  return cursorOf(d1, paymentIntents, merchantId, livemode, id);
}
