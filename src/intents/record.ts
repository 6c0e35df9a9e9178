/**
 * The stored form of a payment intent: JSON-safe (bigints as digit strings) and versioned, so the
 * Durable Object can migrate what it wrote in an older release when it loads it.
 */
import type { PaymentIntent } from '../domain/payment-intent.js';

export const RECORD_VERSION = 1;

type Stored<T> = {
  [K in keyof T]: T[K] extends bigint ? string : T[K];
};

export type IntentRecord = Stored<PaymentIntent> & { v: typeof RECORD_VERSION };

export function toRecord(intent: PaymentIntent): IntentRecord {
  return {
    ...intent,
    v: RECORD_VERSION,
    amount: intent.amount.toString(),
    amountCapturable: intent.amountCapturable.toString(),
    amountReceived: intent.amountReceived.toString(),
  };
}

export function fromRecord(stored: { v: number } & Record<string, unknown>): PaymentIntent {
  const record = migrate(stored);
  const { v: _version, ...rest } = record;
  return {
    ...rest,
    amount: BigInt(record.amount),
    amountCapturable: BigInt(record.amountCapturable),
    amountReceived: BigInt(record.amountReceived),
  };
}

function migrate(stored: { v: number } & Record<string, unknown>): IntentRecord {
  switch (stored.v) {
    case RECORD_VERSION:
      return stored as unknown as IntentRecord;
    default:
      throw new Error(`Unknown payment intent record version ${stored.v}`);
  }
}

export function serializeRecord(intent: PaymentIntent): string {
  return JSON.stringify(toRecord(intent));
}

export function parseRecord(json: string): PaymentIntent {
  return fromRecord(JSON.parse(json));
}
