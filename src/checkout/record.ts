/**
 * The stored form of a Checkout Session: JSON-safe (bigints as digit strings) and versioned, so the
 * session's Durable Object and the read model can bring forward what an older release wrote.
 *
 *   v1: the first.
 */
import type { CheckoutSession, CustomAmount, LineItem } from '../domain/checkout-session.js';

export const SESSION_RECORD_VERSION = 1;

type StoredLineItem = Omit<LineItem, 'unitAmount' | 'amountTotal'> & { unitAmount: string; amountTotal: string };
type StoredCustomAmount = { minimum: string | null; maximum: string | null; preset: string | null };

export type SessionRecord = Omit<CheckoutSession, 'amountTotal' | 'amountSubtotal' | 'lineItems' | 'customAmount'> & {
  v: typeof SESSION_RECORD_VERSION;
  amountTotal: string;
  amountSubtotal: string;
  lineItems: StoredLineItem[];
  customAmount: StoredCustomAmount | null;
};

const digits = (n: bigint | null) => (n === null ? null : n.toString());
const big = (s: string | null) => (s === null ? null : BigInt(s));

export function toSessionRecord(session: CheckoutSession): SessionRecord {
  const c = session.customAmount;
  return {
    ...session,
    v: SESSION_RECORD_VERSION,
    amountTotal: session.amountTotal.toString(),
    amountSubtotal: session.amountSubtotal.toString(),
    lineItems: session.lineItems.map((i) => ({ ...i, unitAmount: i.unitAmount.toString(), amountTotal: i.amountTotal.toString() })),
    customAmount: c && { minimum: digits(c.minimum), maximum: digits(c.maximum), preset: digits(c.preset) },
  };
}

export function fromSessionRecord(stored: { v: number } & Record<string, unknown>): CheckoutSession {
  if (stored.v !== SESSION_RECORD_VERSION) throw new Error(`Unknown checkout session record version ${stored.v}`);
  const { v: _version, ...record } = stored as unknown as SessionRecord;
  const c = record.customAmount;
  const customAmount: CustomAmount | null = c && { minimum: big(c.minimum), maximum: big(c.maximum), preset: big(c.preset) };
  return {
    ...record,
    amountTotal: BigInt(record.amountTotal),
    amountSubtotal: BigInt(record.amountSubtotal),
    lineItems: record.lineItems.map((i) => ({ ...i, unitAmount: BigInt(i.unitAmount), amountTotal: BigInt(i.amountTotal) })),
    customAmount,
  };
}

export function serializeSession(session: CheckoutSession): string {
  return JSON.stringify(toSessionRecord(session));
}

export function parseSession(json: string): CheckoutSession {
  return fromSessionRecord(JSON.parse(json));
}
