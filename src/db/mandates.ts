/**
 * Read-model writes and reads for mandates. Only the mandate's Durable Object writes
 * (`projectMandate`); the canonical API and the wire of 002_… read.
 */
import { and, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { type Mandate, wireStatus } from '../domain/mandate.js';
import { parseMandate, serializeMandate } from '../mandates/record.js';
import { eventInserts, type ProjectedEvent } from './intents.js';
import { cursorOf, newestFirst, type PageQuery } from './keyset.js';
import { debitItems, mandates } from './schema.js';

/** The row's columns for a mandate (all but `number`, which the first insert assigns). */
function columnsOf(m: Mandate) {
  return {
    status: m.status,
    statusText: wireStatus(m.status),
    lastPaymentAt: m.lastPaymentAt,
    nextPaymentAt: m.nextPaymentAt,
    estimatedGas: m.estimatedGas?.toString() ?? null,
    usedFor: m.used,
    revision: m.revision,
    record: serializeMandate(m),
  };
}

/**
 * Upserts the mandate's row (only ever to a higher revision) and inserts its new events, in one
 * batch. The first insert takes the shard's next integer id (002_…'s `id`) and its debit item's.
 * The events table's intent_id column holds the object the event is about: here the mandate.
 */
export async function projectMandate(d1: D1Database, m: Mandate, newEvents: ProjectedEvent[]): Promise<void> {
  const db = drizzle(d1);
  const changing = columnsOf(m);
  const upsert = db
    .insert(mandates)
    .values({
      id: m.id,
      number: sql`(SELECT COALESCE(MAX(${mandates.number}), 0) + 1 FROM ${mandates})`,
      merchantId: m.merchantId,
      livemode: m.livemode,
      debitItemId: m.debitItemId,
      debitItemNumber: sql`COALESCE((SELECT ${debitItems.number} FROM ${debitItems} WHERE ${debitItems.id} = ${m.debitItemId}), 0)`,
      network: m.network,
      accountType: m.accountType,
      payer: m.payer.toLowerCase(),
      payeeAddress: m.payee.toLowerCase(),
      maxDebitAmount: m.maxAmount.toString(),
      debitTimes: m.debitTimes,
      intervalSeconds: m.interval,
      onchainId: m.onchainId.toLowerCase(),
      commitment: m.commitment.toLowerCase(),
      pricing: m.pricing,
      tokenSymbol: m.token.symbol,
      tokenAddress: m.token.address?.toLowerCase() ?? null,
      createdAt: m.created,
      ...changing,
    })
    .onConflictDoUpdate({
      target: mandates.id,
      set: changing,
      setWhere: sql`excluded.revision > ${mandates.revision}`,
    });
  await db.batch([upsert, ...eventInserts(db, m, newEvents)]);
}

interface Scope {
  merchantId: string;
  livemode: boolean;
}

/** The mandate of this merchant and mode as the read model has it; another merchant's is undefined. */
export async function findMandate(d1: D1Database, scope: Scope, id: string): Promise<Mandate | undefined> {
  const t = mandates;
  const [row] = await drizzle(d1)
    .select({ record: t.record })
    .from(t)
    .where(and(eq(t.id, id), eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode)))
    .limit(1);
  return row ? parseMandate(row.record) : undefined;
}

export interface MandateListQuery extends PageQuery {
  debitItem?: string;
  status?: string;
}

/** Newest first, keyset-paginated on (created_at, id). */
export function listMandates(d1: D1Database, q: MandateListQuery): Promise<{ data: Mandate[]; hasMore: boolean }> {
  const t = mandates;
  return newestFirst(
    d1,
    t,
    q,
    [q.debitItem === undefined ? undefined : eq(t.debitItemId, q.debitItem), q.status === undefined ? undefined : eq(t.status, q.status)],
    parseMandate,
  );
}

export function findMandateCursor(d1: D1Database, scope: Scope, id: string) {
  return cursorOf(d1, mandates, scope.merchantId, scope.livemode, id);
}
