/**
 * Reads of charges. A charge lives in its intent's record (payment_intents.record); the `charges`
 * rows, written by the intent's projection, say which intent holds it and when it was made, so a
 * retrieve or a list page joins them to the intent and renders each charge from the record.
 */
import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { Charge } from '../domain/charge.js';
import type { PaymentIntent } from '../domain/intent.js';
import { parseRecord } from '../intents/record.js';
import { type Cursor, type CreatedRange, keyset } from './keyset.js';
import { charges, paymentIntents } from './schema.js';

interface Scope {
  merchantId: string;
  livemode: boolean;
}

/** A charge and the intent that holds it (its wire takes currency, customer, refunds… from the intent). */
export interface ChargeOfIntent {
  intent: PaymentIntent;
  charge: Charge;
}

function fromRow(row: { record: string; id: string }): ChargeOfIntent | undefined {
  const intent = parseRecord(row.record);
  const charge = intent.charges.find((c) => c.id === row.id);
  return charge && { intent, charge };
}

/** The charge of this merchant and mode; another merchant's or mode's is undefined. */
export async function findCharge(d1: D1Database, scope: Scope, id: string): Promise<ChargeOfIntent | undefined> {
  const c = charges;
  const [row] = await drizzle(d1)
    .select({ id: c.id, record: paymentIntents.record })
    .from(c)
    .innerJoin(paymentIntents, eq(paymentIntents.id, c.paymentIntentId))
    .where(and(eq(c.id, id), eq(c.merchantId, scope.merchantId), eq(c.livemode, scope.livemode)))
    .limit(1);
  return row ? fromRow(row) : undefined;
}

export interface ChargeListQuery extends Scope {
  limit: number;
  cursor?: Cursor;
  created?: CreatedRange;
  paymentIntent?: string;
  /** The customer of the charge's intent. */
  customer?: string;
}

/** Newest first, keyset-paginated on the charge's (created_at, id) over the charges_list / charges_payment_intent indexes. */
export async function listCharges(d1: D1Database, q: ChargeListQuery): Promise<{ data: ChargeOfIntent[]; hasMore: boolean }> {
  const c = charges;
  const page = keyset(c, q.created, q.cursor);
  const rows = await drizzle(d1)
    .select({ id: c.id, record: paymentIntents.record })
    .from(c)
    .innerJoin(paymentIntents, eq(paymentIntents.id, c.paymentIntentId))
    .where(
      and(
        eq(c.merchantId, q.merchantId),
        eq(c.livemode, q.livemode),
        ...page.conditions,
        q.paymentIntent === undefined ? undefined : eq(c.paymentIntentId, q.paymentIntent),
        q.customer === undefined ? undefined : eq(paymentIntents.customer, q.customer),
      ),
    )
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  const hasMore = rows.length > q.limit;
  const data = rows
    .slice(0, q.limit)
    .map(fromRow)
    .filter((x): x is ChargeOfIntent => x !== undefined);
  if (page.backwards) data.reverse();
  return { data, hasMore };
}

/** The sort key of one charge of this merchant and mode, for a pagination cursor. */
export async function findChargeCursor(d1: D1Database, scope: Scope, id: string): Promise<{ createdAt: number; id: string } | undefined> {
  const c = charges;
  const [row] = await drizzle(d1)
    .select({ createdAt: c.createdAt, id: c.id })
    .from(c)
    .where(and(eq(c.id, id), eq(c.merchantId, scope.merchantId), eq(c.livemode, scope.livemode)))
    .limit(1);
  return row;
}
