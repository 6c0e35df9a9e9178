/**
 * Read-model lookups for refunds. The refunds table only says which intent holds a refund (the
 * intent's projection writes it, src/db/intents.ts); the refund itself is in the intent's stored
 * record, which lists render from and a retrieve asks the intent's object for.
 */
import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { Refund } from '../domain/charge.js';
import type { PaymentIntent } from '../domain/intent.js';
import { parseRecord } from '../intents/record.js';
import { type CreatedRange, type Cursor, keyset } from './keyset.js';
import { charges, paymentIntents, refunds } from './schema.js';

/** The merchant and mode every lookup is made within: another's refund is not found. */
export interface Scope {
  merchantId: string;
  livemode: boolean;
}

/** Which intent holds the refund, and its sort key (for a list cursor); undefined when this merchant and mode have none. */
export async function findRefund(
  d1: D1Database,
  scope: Scope,
  id: string,
): Promise<{ paymentIntentId: string; createdAt: number; id: string } | undefined> {
  const [row] = await drizzle(d1)
    .select({ paymentIntentId: refunds.paymentIntentId, createdAt: refunds.createdAt, id: refunds.id })
    .from(refunds)
    .where(and(eq(refunds.id, id), eq(refunds.merchantId, scope.merchantId), eq(refunds.livemode, scope.livemode)))
    .limit(1);
  return row;
}

/** The intent a charge of this merchant and mode belongs to; undefined when there is no such charge. */
export async function findChargeIntent(d1: D1Database, scope: Scope, chargeId: string): Promise<string | undefined> {
  const [row] = await drizzle(d1)
    .select({ paymentIntentId: charges.paymentIntentId })
    .from(charges)
    .where(and(eq(charges.id, chargeId), eq(charges.merchantId, scope.merchantId), eq(charges.livemode, scope.livemode)))
    .limit(1);
  return row?.paymentIntentId;
}

export interface RefundListQuery extends Scope {
  limit: number;
  cursor?: Cursor;
  created?: CreatedRange;
  /** Only the refunds of this intent. */
  paymentIntent?: string;
  /** Only the refunds of this charge. */
  charge?: string;
}

/** A listed refund with the intent that holds it (the wire needs both). */
export interface ListedRefund {
  intent: PaymentIntent;
  refund: Refund;
}

/**
 * Newest first, keyset-paginated on (created_at, id) over the refunds' list, intent and charge
 * indexes; each row joined to its intent's stored record, which holds the refund.
 */
export async function listRefunds(d1: D1Database, q: RefundListQuery): Promise<{ data: ListedRefund[]; hasMore: boolean }> {
  const page = keyset(refunds, q.created, q.cursor);
  const rows = await drizzle(d1)
    .select({ id: refunds.id, record: paymentIntents.record })
    .from(refunds)
    .innerJoin(paymentIntents, eq(paymentIntents.id, refunds.paymentIntentId))
    .where(
      and(
        eq(refunds.merchantId, q.merchantId),
        eq(refunds.livemode, q.livemode),
        ...page.conditions,
        q.paymentIntent === undefined ? undefined : eq(refunds.paymentIntentId, q.paymentIntent),
        q.charge === undefined ? undefined : eq(refunds.chargeId, q.charge),
      ),
    )
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  const hasMore = rows.length > q.limit;
  const data = rows.slice(0, q.limit).flatMap((row) => {
    const intent = parseRecord(row.record);
    // The lookup row and the record that holds the refund are written in one batch: it is there.
    const refund = intent.refunds.find((r) => r.id === row.id);
    return refund ? [{ intent, refund }] : [];
  });
  if (page.backwards) data.reverse();
  return { data, hasMore };
}
