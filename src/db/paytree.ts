/**
 * The read model of 001_…'s family (Paytree): the fields of its intents the canonical intent has no
 * place for (table paytree_intents), and its list. A create first reserves its transaction_ref with a
 * conditional insert (UNIQUE per merchant and mode), then makes the intent and turns the reservation
 * into the intent's row; a create that fails releases it. The intent itself stays in its Durable
 * Object and its payment_intents row, which the list renders from.
 */
import { and, count, desc, eq, exists, or, type SQL, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { PaymentIntent } from '../domain/intent.js';
import { parseRecord } from '../intents/record.js';
import { randomBase62 } from '../lib/ids.js';
import { charges, paymentIntents, paytreeIntents, refunds } from './schema.js';

/** The Paytree fields of an intent, as the family's wire spells them (validated at create). */
export interface PaytreeDetails {
  customer: { email: string; first_name: string; last_name: string; phone?: string };
  address: { country: string; street?: string; city?: string; state?: string; zip?: string };
  session: { ip_address: string; user_agent: string };
  callback: { return_url: string; notification_url?: string; cancel_url?: string };
  order_items: { name: string; description?: string; quantity: number; unit_price: string; sku: string }[] | null;
  metadata: unknown;
  force_route: string | null;
}

export interface PaytreeRow extends PaytreeDetails {
  intentId: string;
  merchantId: string;
  livemode: boolean;
  transactionRef: string;
  clientRef: string;
  /** One of Paytree's 11 methods (card, crypto, wire, …). */
  method: string;
  /** Milliseconds since the epoch. */
  created: number;
}

/**
 * A reservation left by a create that never finished (its worker went away between the reservation
 * and the intent) holds its transaction_ref this long, then a new create may take it over.
 */
export const STALE_RESERVATION_MS = 5 * 60_000;

export type Reservation = Omit<PaytreeRow, 'intentId' | 'created'>;

/**
 * Reserves the row's transaction_ref for a create: the reservation's token, or null when the ref is
 * taken (by an intent, or by a create still running). One statement, so of two concurrent creates
 * with one ref exactly one gets a token.
 */
export async function reserveTransactionRef(d1: D1Database, r: Reservation, now: number): Promise<string | null> {
  const token = `ptres_${randomBase62(24)}`;
  const values = {
    intentId: token,
    merchantId: r.merchantId,
    livemode: r.livemode,
    state: 'reserved' as const,
    transactionRef: r.transactionRef,
    clientRef: r.clientRef,
    email: r.customer.email,
    domain: domainOf(r.callback.return_url),
    method: r.method,
    details: JSON.stringify(detailsOf(r)),
    createdAt: now,
  };
  const t = paytreeIntents;
  const [row] = await drizzle(d1)
    .insert(t)
    .values(values)
    .onConflictDoUpdate({
      target: [t.merchantId, t.livemode, t.transactionRef],
      set: { ...values },
      setWhere: sql`${t.state} = 'reserved' AND ${t.createdAt} <= ${now - STALE_RESERVATION_MS}`,
    })
    .returning({ intentId: t.intentId });
  return row?.intentId === token ? token : null;
}

/** The reservation becomes the intent's row. */
export async function completeReservation(d1: D1Database, token: string, intentId: string, created: number): Promise<void> {
  await drizzle(d1)
    .update(paytreeIntents)
    .set({ intentId, state: 'created', createdAt: created })
    .where(and(eq(paytreeIntents.intentId, token), eq(paytreeIntents.state, 'reserved')));
}

/** A create that failed gives its transaction_ref back. */
export async function releaseReservation(d1: D1Database, token: string): Promise<void> {
  await drizzle(d1)
    .delete(paytreeIntents)
    .where(and(eq(paytreeIntents.intentId, token), eq(paytreeIntents.state, 'reserved')));
}

/** The Paytree fields of an intent; null for an intent not made through the family (or a malformed id). */
export async function paytreeRowOf(d1: D1Database, intentId: string): Promise<PaytreeRow | null> {
  const [row] = await drizzle(d1)
    .select()
    .from(paytreeIntents)
    .where(and(eq(paytreeIntents.intentId, intentId), eq(paytreeIntents.state, 'created')))
    .limit(1);
  return row ? fromRow(row) : null;
}

export interface PaytreeListQuery {
  merchantId: string;
  livemode: boolean;
  /** 1-based. */
  page: number;
  pageSize: number;
  clientEmail?: string;
  clientRef?: string;
  transactionRef?: string;
  /** A charge (payment) or refund id of the intent. */
  gatewayId?: string;
  /** The host of callback.return_url. */
  domain?: string;
  /** A part of transaction_ref, client_ref, email, first or last name (case-insensitive). */
  search?: string;
}

/** One page of the merchant's Paytree intents, newest first, and how many match in all. */
export async function listPaytreeIntents(
  d1: D1Database,
  q: PaytreeListQuery,
): Promise<{ count: number; results: { row: PaytreeRow; intent: PaymentIntent }[] }> {
  const t = paytreeIntents;
  const db = drizzle(d1);
  const conditions: (SQL | undefined)[] = [
    eq(t.merchantId, q.merchantId),
    eq(t.livemode, q.livemode),
    eq(t.state, 'created'),
    q.clientEmail === undefined ? undefined : sql`${t.email} = ${q.clientEmail} COLLATE NOCASE`,
    q.clientRef === undefined ? undefined : eq(t.clientRef, q.clientRef),
    q.transactionRef === undefined ? undefined : eq(t.transactionRef, q.transactionRef),
    q.domain === undefined ? undefined : sql`${t.domain} = ${q.domain.toLowerCase()}`,
    q.gatewayId === undefined
      ? undefined
      : or(
          exists(
            db
              .select({ one: sql`1` })
              .from(charges)
              .where(and(eq(charges.id, q.gatewayId), eq(charges.paymentIntentId, t.intentId))),
          ),
          exists(
            db
              .select({ one: sql`1` })
              .from(refunds)
              .where(and(eq(refunds.id, q.gatewayId), eq(refunds.paymentIntentId, t.intentId))),
          ),
        ),
    q.search === undefined || q.search === '' ? undefined : searchCondition(q.search),
  ];
  const where = and(...conditions);
  const [total] = await db.select({ n: count() }).from(t).where(where);
  const rows = await db
    .select({ paytree: t, record: paymentIntents.record })
    .from(t)
    .innerJoin(paymentIntents, eq(paymentIntents.id, t.intentId))
    .where(where)
    .orderBy(desc(t.createdAt), desc(t.intentId))
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize);
  return { count: total?.n ?? 0, results: rows.map((r) => ({ row: fromRow(r.paytree), intent: parseRecord(r.record) })) };
}

function searchCondition(term: string): SQL | undefined {
  const t = paytreeIntents;
  // LIKE's wildcards in the term are matched as themselves.
  const pattern = `%${term.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  const matches = (column: SQL | SQLiteColumn) => sql`${column} LIKE ${pattern} ESCAPE '\\'`;
  return or(
    matches(t.transactionRef),
    matches(t.clientRef),
    matches(t.email),
    matches(sql`json_extract(${t.details}, '$.customer.first_name')`),
    matches(sql`json_extract(${t.details}, '$.customer.last_name')`),
  );
}

/** The lower-cased host of a URL (the list's domain filter); "" when it has none. */
export function domainOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return '';
  }
}

function detailsOf(r: PaytreeDetails): PaytreeDetails {
  return {
    customer: r.customer,
    address: r.address,
    session: r.session,
    callback: r.callback,
    order_items: r.order_items,
    metadata: r.metadata,
    force_route: r.force_route,
  };
}

function fromRow(row: typeof paytreeIntents.$inferSelect): PaytreeRow {
  const details = JSON.parse(row.details) as PaytreeDetails;
  return {
    intentId: row.intentId,
    merchantId: row.merchantId,
    livemode: row.livemode,
    transactionRef: row.transactionRef,
    clientRef: row.clientRef,
    method: row.method,
    created: row.createdAt,
    ...detailsOf(details),
  };
}
