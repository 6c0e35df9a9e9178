/**
 * Read-model queries for the wire of 002_… (DebitLlama's /api/v1): page-numbered lists of a
 * merchant's mandates (its `payment_intents`), the payers' accounts behind them and its debit items,
 * sorted by any of that wire's sort keys in either direction and narrowed by its filters. Sort keys
 * and filters arrive here already checked and translated (src/api/debitllama/): columns are chosen
 * from fixed tables, values are bound. Amounts are digit strings, ordered by (length, text), which
 * is numeric order; every order ends in the integer id, so pages never overlap.
 */
import { and, asc, count, desc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { DebitItem } from '../domain/debit-item.js';
import type { Mandate } from '../domain/mandate.js';
import { parseMandate } from '../mandates/record.js';
import { parseDebitItem } from './debit-items.js';
import { debitItems, mandates } from './schema.js';

interface Scope {
  merchantId: string;
  livemode: boolean;
}

export interface Page {
  /** 0 is the first page (DebitLlama's `current_page`). */
  page: number;
  size: number;
  ascending: boolean;
}

const t = mandates;
const digits = (column: SQL | SQLiteColumn) => [sql`length(${column})`, sql`${column}`];

/** The order of each sort key of 002_…'s payment intents (PaymentIntents_sortyBy). */
export const MANDATE_SORTS = {
  created_at: [t.createdAt],
  payee_address: [t.payeeAddress],
  max_debit_amount: digits(t.maxDebitAmount),
  debit_times: [t.debitTimes],
  debit_interval: [t.intervalSeconds],
  payment_intent: [t.onchainId],
  status_text: [t.statusText],
  estimated_gas: digits(sql`${t.estimatedGas}`),
  last_payment_date: [t.lastPaymentAt],
  next_payment_date: [t.nextPaymentAt],
  pricing: [t.pricing],
  currency: [t.tokenSymbol, t.tokenAddress],
  debit_item_id: [t.debitItemNumber],
} as const satisfies Record<string, readonly (SQL | SQLiteColumn)[]>;
export type MandateSort = keyof typeof MANDATE_SORTS;

/** A filter of 002_…'s payment intents, translated to the read model's terms. */
export interface MandateFilter {
  payeeAddress?: string;
  maxDebitAmount?: string;
  debitTimes?: number;
  intervalSeconds?: number;
  statusText?: string;
  pricing?: 'fixed' | 'dynamic';
  /** null: the native coin of the named symbol. */
  currency?: { address: string } | { nativeSymbol: string };
  debitItemNumber?: number;
}

function mandateConditions(scope: Scope, f: MandateFilter): (SQL | undefined)[] {
  return [
    eq(t.merchantId, scope.merchantId),
    eq(t.livemode, scope.livemode),
    f.payeeAddress === undefined ? undefined : eq(t.payeeAddress, f.payeeAddress.toLowerCase()),
    f.maxDebitAmount === undefined ? undefined : eq(t.maxDebitAmount, f.maxDebitAmount),
    f.debitTimes === undefined ? undefined : eq(t.debitTimes, f.debitTimes),
    f.intervalSeconds === undefined ? undefined : eq(t.intervalSeconds, f.intervalSeconds),
    f.statusText === undefined ? undefined : eq(t.statusText, f.statusText),
    f.pricing === undefined ? undefined : eq(t.pricing, f.pricing),
    f.currency === undefined
      ? undefined
      : 'address' in f.currency
        ? eq(t.tokenAddress, f.currency.address.toLowerCase())
        : and(isNull(t.tokenAddress), eq(t.tokenSymbol, f.currency.nativeSymbol.toLowerCase())),
    f.debitItemNumber === undefined ? undefined : eq(t.debitItemNumber, f.debitItemNumber),
  ];
}

export interface NumberedMandate {
  number: number;
  mandate: Mandate;
}

/** One page of the merchant's mandates in the sort's order, and how many match in all. */
export async function pageOfMandates(
  d1: D1Database,
  scope: Scope,
  filter: MandateFilter,
  sort: MandateSort,
  page: Page,
): Promise<{ rows: NumberedMandate[]; total: number }> {
  const db = drizzle(d1);
  const where = and(...mandateConditions(scope, filter));
  const direction = page.ascending ? asc : desc;
  const [rows, [total]] = await db.batch([
    db
      .select({ number: t.number, record: t.record })
      .from(t)
      .where(where)
      .orderBy(...MANDATE_SORTS[sort].map((column) => direction(column)), direction(t.number))
      .limit(page.size)
      .offset(page.page * page.size),
    db.select({ n: count() }).from(t).where(where),
  ]);
  return { rows: rows.map((r) => ({ number: r.number, mandate: parseMandate(r.record) })), total: total?.n ?? 0 };
}

/** The mandate of this merchant and mode whose on-chain id (002_…'s `payment_intent`) is `onchainId`. */
export async function mandateByOnchainId(d1: D1Database, scope: Scope, onchainId: string): Promise<NumberedMandate | undefined> {
  const [row] = await drizzle(d1)
    .select({ number: t.number, record: t.record })
    .from(t)
    .where(and(eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode), eq(t.onchainId, onchainId.toLowerCase())))
    .limit(1);
  return row && { number: row.number, mandate: parseMandate(row.record) };
}

export interface NumberedItem {
  number: number;
  item: DebitItem;
  /** Mandates made under the item (002_… `payment_intents_count`). */
  mandates: number;
}

// Qualified by hand: inside the subquery an unqualified "id" would be the mandate's. Only the item's own merchant and mode count.
const mandatesOfItem = sql<number>`(SELECT COUNT(*) FROM "mandates" AS "of_item" WHERE "of_item"."debit_item_id" = "debit_items"."id" AND "of_item"."merchant_id" = "debit_items"."merchant_id" AND "of_item"."livemode" = "debit_items"."livemode")`;

/** The debit items of these ids (the items a page of mandates references), with their integer ids and counts. */
export async function itemsByIds(d1: D1Database, ids: string[]): Promise<Map<string, NumberedItem>> {
  if (ids.length === 0) return new Map();
  const rows = await drizzle(d1)
    .select({ number: debitItems.number, record: debitItems.record, mandates: mandatesOfItem })
    .from(debitItems)
    .where(inArray(debitItems.id, [...new Set(ids)]));
  return new Map(rows.map((r) => [parseDebitItem(r.record).id, numbered(r)]));
}

function numbered(r: { number: number | null; record: string; mandates: number }): NumberedItem {
  return { number: r.number ?? 0, item: parseDebitItem(r.record), mandates: Number(r.mandates) };
}

const field = (path: string) => sql`json_extract(${debitItems.record}, ${path})`;
const intervalSecondsOfItem = sql`CASE json_extract(${debitItems.record}, '$.interval.unit') WHEN 'days' THEN json_extract(${debitItems.record}, '$.interval.days') * 86400 ELSE json_extract(${debitItems.record}, '$.interval.seconds') END`;

/** The order of each sort key of 002_…'s debit items (Items_sortBy). */
export const ITEM_SORTS = {
  created_at: [debitItems.createdAt],
  payee_address: [sql`lower(${field('$.payeeAddress')})`],
  currency: [field('$.token.symbol'), field('$.token.address')],
  max_price: [sql`length(${field('$.maxPrice')})`, field('$.maxPrice')],
  debit_times: [field('$.debitTimes')],
  debit_interval: [intervalSecondsOfItem],
  button_id: [debitItems.buttonId],
  redirect_url: [field('$.redirectUrl')],
  pricing: [field('$.pricing')],
  network: [field('$.network')],
  name: [field('$.name')],
  deleted: [sql`NOT ${debitItems.active}`],
  payment_intents_count: [mandatesOfItem],
} as const;
export type ItemSort = keyof typeof ITEM_SORTS;

export interface ItemFilter {
  payeeAddress?: string;
  maxPrice?: string;
  debitTimes?: number;
  intervalSeconds?: number;
  pricing?: 'fixed' | 'dynamic';
  network?: string;
  name?: string;
  deleted?: boolean;
  buttonId?: string;
  currency?: { address: string } | { nativeSymbol: string };
}

function itemConditions(scope: Scope, f: ItemFilter): (SQL | undefined)[] {
  return [
    eq(debitItems.merchantId, scope.merchantId),
    eq(debitItems.livemode, scope.livemode),
    f.payeeAddress === undefined ? undefined : sql`lower(${field('$.payeeAddress')}) = ${f.payeeAddress.toLowerCase()}`,
    f.maxPrice === undefined ? undefined : sql`${field('$.maxPrice')} = ${f.maxPrice}`,
    f.debitTimes === undefined ? undefined : sql`${field('$.debitTimes')} = ${f.debitTimes}`,
    f.intervalSeconds === undefined ? undefined : sql`${intervalSecondsOfItem} = ${f.intervalSeconds}`,
    f.pricing === undefined ? undefined : sql`${field('$.pricing')} = ${f.pricing}`,
    f.network === undefined ? undefined : sql`${field('$.network')} = ${f.network}`,
    f.name === undefined ? undefined : sql`${field('$.name')} = ${f.name}`,
    f.deleted === undefined ? undefined : eq(debitItems.active, !f.deleted),
    f.buttonId === undefined ? undefined : eq(debitItems.buttonId, f.buttonId),
    f.currency === undefined
      ? undefined
      : 'address' in f.currency
        ? sql`lower(${field('$.token.address')}) = ${f.currency.address.toLowerCase()}`
        : sql`${field('$.token.address')} IS NULL AND ${field('$.token.symbol')} = ${f.currency.nativeSymbol.toLowerCase()}`,
  ];
}

/** One page of the merchant's debit items in the sort's order, and how many match in all. */
export async function pageOfItems(
  d1: D1Database,
  scope: Scope,
  filter: ItemFilter,
  sort: ItemSort,
  page: Page,
): Promise<{ rows: NumberedItem[]; total: number }> {
  const db = drizzle(d1);
  const where = and(...itemConditions(scope, filter));
  const direction = page.ascending ? asc : desc;
  const [rows, [total]] = await db.batch([
    db
      .select({ number: debitItems.number, record: debitItems.record, mandates: mandatesOfItem })
      .from(debitItems)
      .where(where)
      .orderBy(...ITEM_SORTS[sort].map((column) => direction(column)), direction(debitItems.number))
      .limit(page.size)
      .offset(page.page * page.size),
    db.select({ n: count() }).from(debitItems).where(where),
  ]);
  return { rows: rows.map(numbered), total: total?.n ?? 0 };
}

/** The merchant's debit item of this button id (002_… /api/v1/items/{button_id}). */
export async function itemByButton(d1: D1Database, scope: Scope, buttonId: string): Promise<NumberedItem | undefined> {
  const { rows } = await pageOfItems(d1, scope, { buttonId }, 'created_at', { page: 0, size: 1, ascending: false });
  return rows[0];
}

/**
 * A payer's account as the merchant's mandates know it: one per commitment and contract (a wallet
 * and a deposit of the same payer and token hold different balances). Its integer id is the lowest
 * of its mandates' ids; it was made with its first mandate.
 */
export interface AccountRow {
  number: number;
  commitment: string;
  accountType: string;
  createdAt: number;
  /** The group's mandates, newest first (the balance is the latest one read). */
  mandates: Mandate[];
}

/** The order of each sort key of 002_…'s accounts (Accounts_sortBy) this read model can give. */
export const ACCOUNT_SORTS = {
  created_at: sql`MIN(${t.createdAt})`,
  network_id: sql`MIN(${t.network})`,
  account_type: sql`${t.accountType}`,
  creator_address: sql`MIN(${t.payer})`,
  currency: sql`MIN(${t.tokenSymbol})`,
} as const;
export type AccountSort = keyof typeof ACCOUNT_SORTS;

export interface AccountFilter {
  accountType?: string;
  creatorAddress?: string;
  network?: string;
  currency?: { address: string } | { nativeSymbol: string };
}

/** One page of the payers' accounts behind the merchant's mandates, and how many there are. */
export async function pageOfAccounts(
  d1: D1Database,
  scope: Scope,
  filter: AccountFilter,
  sort: AccountSort,
  page: Page,
): Promise<{ rows: AccountRow[]; total: number }> {
  const db = drizzle(d1);
  const where = and(
    eq(t.merchantId, scope.merchantId),
    eq(t.livemode, scope.livemode),
    filter.accountType === undefined ? undefined : eq(t.accountType, filter.accountType),
    filter.creatorAddress === undefined ? undefined : eq(t.payer, filter.creatorAddress.toLowerCase()),
    filter.network === undefined ? undefined : eq(t.network, filter.network),
    filter.currency === undefined
      ? undefined
      : 'address' in filter.currency
        ? eq(t.tokenAddress, filter.currency.address.toLowerCase())
        : and(isNull(t.tokenAddress), eq(t.tokenSymbol, filter.currency.nativeSymbol.toLowerCase())),
  );
  const direction = page.ascending ? asc : desc;
  const groups = db
    .select({ number: sql<number>`MIN(${t.number})`.as('number'), commitment: t.commitment, accountType: t.accountType })
    .from(t)
    .where(where)
    .groupBy(t.commitment, t.accountType);
  const [rows, [total]] = await db.batch([
    db
      .select({
        number: sql<number>`MIN(${t.number})`,
        commitment: t.commitment,
        accountType: t.accountType,
        createdAt: sql<number>`MIN(${t.createdAt})`,
      })
      .from(t)
      .where(where)
      .groupBy(t.commitment, t.accountType)
      .orderBy(direction(ACCOUNT_SORTS[sort]), direction(sql`MIN(${t.number})`))
      .limit(page.size)
      .offset(page.page * page.size),
    db.select({ n: count() }).from(groups.as('accounts')),
  ]);
  const commitments = [...new Set(rows.map((r) => r.commitment))];
  const records =
    commitments.length === 0
      ? []
      : await db
          .select({ record: t.record })
          .from(t)
          .where(and(eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode), inArray(t.commitment, commitments)))
          .orderBy(desc(t.createdAt), desc(t.number));
  const all = records.map((r) => parseMandate(r.record));
  return {
    rows: rows.map((r) => ({
      ...r,
      number: Number(r.number),
      createdAt: Number(r.createdAt),
      mandates: all.filter((m) => m.commitment.toLowerCase() === r.commitment && m.accountType === r.accountType),
    })),
    total: total?.n ?? 0,
  };
}

/** The accounts (as pageOfAccounts makes them) of these mandates, keyed by `${commitment} ${accountType}`. */
export async function accountsOf(d1: D1Database, scope: Scope, of: Mandate[]): Promise<Map<string, AccountRow>> {
  const commitments = [...new Set(of.map((m) => m.commitment.toLowerCase()))];
  if (commitments.length === 0) return new Map();
  const records = await drizzle(d1)
    .select({ number: t.number, record: t.record })
    .from(t)
    .where(and(eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode), inArray(t.commitment, commitments)))
    .orderBy(desc(t.createdAt), desc(t.number));
  const accounts = new Map<string, AccountRow>();
  for (const { number, record } of records) {
    const m = parseMandate(record);
    const key = accountKey(m);
    const account = accounts.get(key);
    if (!account) {
      accounts.set(key, {
        number,
        commitment: m.commitment.toLowerCase(),
        accountType: m.accountType,
        createdAt: m.created,
        mandates: [m],
      });
    } else {
      account.mandates.push(m);
      account.number = Math.min(account.number, number);
      account.createdAt = Math.min(account.createdAt, m.created);
    }
  }
  return accounts;
}

export function accountKey(m: Pick<Mandate, 'commitment' | 'accountType'>): string {
  return `${m.commitment.toLowerCase()} ${m.accountType}`;
}
