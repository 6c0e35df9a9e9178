/**
 * Read-model lookups of disputes: which intent holds one (for a retrieve or a change through the
 * intent's object), and lists, newest first, rendered from the holding intent's stored record.
 */
import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { Dispute } from '../domain/charge.js';
import type { PaymentIntent } from '../domain/intent.js';
import { parseRecord } from '../intents/record.js';
import { keyset, type PageQuery } from './keyset.js';
import { disputes, paymentIntents } from './schema.js';

interface Scope {
  merchantId: string;
  livemode: boolean;
}

/** The intent that holds dispute `id`, if it is this merchant's and mode's. */
export async function findDisputeIntent(d1: D1Database, scope: Scope, id: string): Promise<string | undefined> {
  const [row] = await drizzle(d1)
    .select({ paymentIntentId: disputes.paymentIntentId })
    .from(disputes)
    .where(and(eq(disputes.id, id), eq(disputes.merchantId, scope.merchantId), eq(disputes.livemode, scope.livemode)))
    .limit(1);
  return row?.paymentIntentId;
}

/** The sort key of one dispute of this merchant and mode, for a pagination cursor. */
export async function findDisputeCursor(d1: D1Database, scope: Scope, id: string) {
  const [row] = await drizzle(d1)
    .select({ createdAt: disputes.createdAt, id: disputes.id })
    .from(disputes)
    .where(and(eq(disputes.id, id), eq(disputes.merchantId, scope.merchantId), eq(disputes.livemode, scope.livemode)))
    .limit(1);
  return row;
}

export interface DisputeListQuery extends PageQuery {
  charge?: string;
  paymentIntent?: string;
}

/** One page of disputes, newest first (keyset on created_at, id), each with the intent that holds it. */
export async function listDisputes(
  d1: D1Database,
  q: DisputeListQuery,
): Promise<{ data: { intent: PaymentIntent; dispute: Dispute }[]; hasMore: boolean }> {
  const page = keyset(disputes, q.created, q.cursor);
  const rows = await drizzle(d1)
    .select({ id: disputes.id, record: paymentIntents.record })
    .from(disputes)
    .innerJoin(paymentIntents, eq(paymentIntents.id, disputes.paymentIntentId))
    .where(
      and(
        eq(disputes.merchantId, q.merchantId),
        eq(disputes.livemode, q.livemode),
        ...page.conditions,
        q.charge === undefined ? undefined : eq(disputes.chargeId, q.charge),
        q.paymentIntent === undefined ? undefined : eq(disputes.paymentIntentId, q.paymentIntent),
      ),
    )
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  const hasMore = rows.length > q.limit;
  const data = rows.slice(0, q.limit).map((row) => {
    const intent = parseRecord(row.record);
    // The lookup row is written with the intent's record that holds the dispute: it is there.
    return { intent, dispute: intent.disputes.find((d) => d.id === row.id)! };
  });
  if (page.backwards) data.reverse();
  return { data, hasMore };
}
