/**
 * The stored form of a mandate: JSON-safe (bigints as digit strings) and versioned, so the mandate's
 * Durable Object and the read model can bring forward what an older release wrote.
 *
 *   v1: the first.
 */
import type { DebitRequest, Mandate } from '../domain/mandate.js';

export const MANDATE_RECORD_VERSION = 1;

type StoredRequest = Omit<DebitRequest, 'amount'> & { amount: string };

export type MandateRecord = Omit<
  Mandate,
  'maxAmount' | 'estimatedGas' | 'debitRequests' | 'failedDynamicPaymentAmount' | 'accountBalance'
> & {
  v: typeof MANDATE_RECORD_VERSION;
  maxAmount: string;
  estimatedGas: string | null;
  debitRequests: StoredRequest[];
  failedDynamicPaymentAmount: string;
  accountBalance: string | null;
};

const digits = (n: bigint | null) => (n === null ? null : n.toString());
const big = (s: string | null) => (s === null ? null : BigInt(s));

export function toMandateRecord(m: Mandate): MandateRecord {
  return {
    ...m,
    v: MANDATE_RECORD_VERSION,
    maxAmount: m.maxAmount.toString(),
    estimatedGas: digits(m.estimatedGas),
    debitRequests: m.debitRequests.map((r) => ({ ...r, amount: r.amount.toString() })),
    failedDynamicPaymentAmount: m.failedDynamicPaymentAmount.toString(),
    accountBalance: digits(m.accountBalance),
  };
}

export function fromMandateRecord(stored: { v: number } & Record<string, unknown>): Mandate {
  if (stored.v !== MANDATE_RECORD_VERSION) throw new Error(`Unknown mandate record version ${stored.v}`);
  const { v: _version, ...r } = stored as unknown as MandateRecord;
  return {
    ...r,
    maxAmount: BigInt(r.maxAmount),
    estimatedGas: big(r.estimatedGas),
    debitRequests: r.debitRequests.map((q) => ({ ...q, amount: BigInt(q.amount) })),
    failedDynamicPaymentAmount: BigInt(r.failedDynamicPaymentAmount),
    accountBalance: big(r.accountBalance),
  };
}

export function serializeMandate(m: Mandate): string {
  return JSON.stringify(toMandateRecord(m));
}

export function parseMandate(json: string): Mandate {
  return fromMandateRecord(JSON.parse(json));
}
