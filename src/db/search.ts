/**
 * Search over the read model: parsed clauses compiled to parameterized SQL with drizzle's `sql`
 * template — every value is a bound parameter, operators come from a fixed table. Results are
 * read-after-write: the intent's row is written before its create returns.
 */
import { and, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { PaymentIntent } from '../domain/intent.js';
import type { Clause, SearchQuery } from '../domain/search-query.js';
import { parseRecord } from '../intents/record.js';
import { paymentIntentMetadata, paymentIntents as t } from './schema.js';

const COMPARE = { ':': sql.raw('='), '>': sql.raw('>'), '<': sql.raw('<'), '>=': sql.raw('>='), '<=': sql.raw('<=') } as const;

export interface SearchPage {
  merchantId: string;
  livemode: boolean;
  query: SearchQuery;
  limit: number;
  /** Continue after this (created_at, id), from a next_page token. */
  after?: { createdAt: number; id: string };
}

export async function searchIntents(d1: D1Database, q: SearchPage): Promise<{ data: PaymentIntent[]; hasMore: boolean }> {
  const clauses = q.query.clauses.map((clause) => compile(clause, q));
  const matched = q.query.join === 'OR' ? or(...clauses) : and(...clauses);
  // A metadata equality (an order id, say) is the most selective clause there is: let its index
  // drive the query. The unary + keeps SQLite from walking the merchant's whole created_at index
  // instead, which it otherwise prefers because it yields rows already in order.
  const metadataDriven = q.query.join === 'AND' && q.query.clauses.some((c) => typeof c.field === 'object' && c.op === ':' && !c.negated);
  const scope = metadataDriven
    ? [sql`+${t.merchantId} = ${q.merchantId}`, sql`+${t.livemode} = ${q.livemode ? 1 : 0}`]
    : [eq(t.merchantId, q.merchantId), eq(t.livemode, q.livemode)];
  const conditions: (SQL | undefined)[] = [...scope, matched];
  if (q.after) {
    conditions.push(or(lt(t.createdAt, q.after.createdAt), and(eq(t.createdAt, q.after.createdAt), lt(t.id, q.after.id))));
  }
  const rows = await drizzle(d1)
    .select({ record: t.record })
    .from(t)
    .where(and(...conditions))
    .orderBy(desc(t.createdAt), desc(t.id))
    .limit(q.limit + 1);
  return { data: rows.slice(0, q.limit).map((r) => parseRecord(r.record)), hasMore: rows.length > q.limit };
}

function compile(clause: Clause, scope: Pick<SearchPage, 'merchantId' | 'livemode'>): SQL {
  const positive = match(clause, scope);
  // NOT of a comparison with NULL (a missing customer or metadata key) is NULL; count it as "not equal".
  return clause.negated ? sql`NOT coalesce((${positive}), 0)` : positive;
}

function match(clause: Clause, scope: Pick<SearchPage, 'merchantId' | 'livemode'>): SQL {
  switch (clause.field) {
    case 'amount':
      return compareAmount(clause.op, clause.value);
    case 'created':
      return createdRange(clause.op, clause.value);
    case 'currency':
    case 'customer':
    case 'mandate':
    case 'status': {
      const column = { currency: t.currency, customer: t.customer, mandate: t.mandateId, status: t.status }[clause.field];
      return clause.op === '~' ? sql`instr(${column}, ${clause.value}) > 0` : sql`${column} = ${clause.value}`;
    }
    default: {
      const m = paymentIntentMetadata;
      const key = clause.field.metadata;
      // Equality goes through the metadata index; a substring has to look at each of the key's values.
      const valueMatches = clause.op === '~' ? sql`instr(${m.value}, ${clause.value}) > 0` : sql`${m.value} = ${clause.value}`;
      return sql`${t.id} IN (SELECT ${m.intentId} FROM ${m} WHERE ${m.merchantId} = ${scope.merchantId}
        AND ${m.livemode} = ${scope.livemode ? 1 : 0} AND ${m.key} = ${key} AND ${valueMatches})`;
    }
  }
}

/** `created` is in whole seconds on the wire and milliseconds in the row. */
function createdRange(op: keyof typeof COMPARE, seconds: number): SQL {
  const from = seconds * 1000;
  const to = from + 1000;
  switch (op) {
    case ':':
      return sql`(${t.createdAt} >= ${from} AND ${t.createdAt} < ${to})`;
    case '>':
      return sql`${t.createdAt} >= ${to}`;
    case '>=':
      return sql`${t.createdAt} >= ${from}`;
    case '<':
      return sql`${t.createdAt} < ${from}`;
    case '<=':
      return sql`${t.createdAt} < ${to}`;
  }
}

/**
 * Amounts are digit strings without leading zeros, so numeric order is (length, text) order:
 * a longer string is a larger number, and equal lengths compare as text.
 */
function compareAmount(op: keyof typeof COMPARE, value: bigint): SQL {
  const digits = value.toString();
  const length = sql`length(${t.amount})`;
  switch (op) {
    case ':':
      return sql`${t.amount} = ${digits}`;
    case '>':
    case '>=':
      return sql`(${length} > ${digits.length} OR (${length} = ${digits.length} AND ${t.amount} ${COMPARE[op]} ${digits}))`;
    case '<':
    case '<=':
      return sql`(${length} < ${digits.length} OR (${length} = ${digits.length} AND ${t.amount} ${COMPARE[op]} ${digits}))`;
  }
}
