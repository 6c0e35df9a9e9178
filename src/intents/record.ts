/**
 * The stored form of a payment intent: JSON-safe (bigints as digit strings) and versioned, so the
 * Durable Object can migrate what it wrote in an older release when it loads it.
 *
 *   v1: card-style intents.
 *   v2: `crypto` (null for card-style intents, which is what a v1 record becomes).
 *   v3: `checkoutSession` and `payerAmount` (null in what v1 and v2 become).
 *   v4: `mandate` and `debit` (a mandate's debit intent; null in what v1 to v3 become).
 *   v5: `charges`, `refunds` and `disputes` (empty in what v1 to v4 become: those intents' attempts
 *       were not recorded, and nothing of theirs was refunded or disputed).
 *   v6: `settlement` (null in what v1 to v5 become: none of those intents was settled off chain).
 *   v7: `updated`, `reference` and `reservedDeposit` (the creation time, null and null in what v1 to
 *       v6 become: their last change was not recorded, and they took their addresses at confirmation).
 *   v8: `crypto.escrowContract` and `crypto.escrow` (null and null in what v1 to v7 become: no intent
 *       was held in escrow before, and whether its network had an escrow then is not known).
 */
import type { Charge, CryptoRefund, Dispute, Refund } from '../domain/charge.js';
import type { CryptoPayment, CryptoTransfer } from '../domain/crypto.js';
import type { Escrow, EscrowLock, EscrowOutcome, UncountedLock } from '../domain/escrow.js';
import type { DebitDetail } from '../domain/debit-intent.js';
import type { PayerAmount, PaymentIntent } from '../domain/intent.js';

export const RECORD_VERSION = 8;

type Stored<T> = {
  [K in keyof T]: T[K] extends bigint ? string : T[K] extends bigint | null ? string | null : T[K];
};

export type StoredTransfer = Stored<CryptoTransfer>;
type StoredLock = Stored<EscrowLock>;
type StoredEscrow = Omit<Escrow, 'lock' | 'uncounted' | 'outcome'> & {
  lock: StoredLock | null;
  uncounted: Stored<UncountedLock>[];
  outcome: Stored<EscrowOutcome> | null;
};
type StoredCrypto = Omit<Stored<CryptoPayment>, 'transfers' | 'late' | 'escrow'> & {
  transfers: StoredTransfer[];
  late: StoredTransfer[];
  escrow: StoredEscrow | null;
};

type StoredPayerAmount = { minimum: string | null; maximum: string | null };
type StoredDebit = Stored<DebitDetail>;
export type StoredCharge = Stored<Charge>;
type StoredCryptoRefund = Omit<Stored<CryptoRefund>, 'transfer'> & {
  transfer: (Omit<NonNullable<CryptoRefund['transfer']>, 'blockNumber'> & { blockNumber: string }) | null;
};
export type StoredRefund = Omit<Stored<Refund>, 'crypto'> & { crypto: StoredCryptoRefund | null };
export type StoredDispute = Stored<Dispute>;

export type IntentRecord = Omit<Stored<PaymentIntent>, 'crypto' | 'payerAmount' | 'debit' | 'charges' | 'refunds' | 'disputes'> & {
  v: typeof RECORD_VERSION;
  crypto: StoredCrypto | null;
  payerAmount: StoredPayerAmount | null;
  debit: StoredDebit | null;
  charges: StoredCharge[];
  refunds: StoredRefund[];
  disputes: StoredDispute[];
};

export function toRecord(intent: PaymentIntent): IntentRecord {
  return {
    ...intent,
    v: RECORD_VERSION,
    amount: intent.amount.toString(),
    amountCapturable: intent.amountCapturable.toString(),
    amountReceived: intent.amountReceived.toString(),
    crypto: intent.crypto && cryptoToRecord(intent.crypto),
    payerAmount: intent.payerAmount && {
      minimum: intent.payerAmount.minimum?.toString() ?? null,
      maximum: intent.payerAmount.maximum?.toString() ?? null,
    },
    debit: intent.debit && debitToRecord(intent.debit),
    charges: intent.charges.map(chargeToRecord),
    refunds: intent.refunds.map(refundToRecord),
    disputes: intent.disputes.map(disputeToRecord),
  };
}

export function chargeToRecord(c: Charge): StoredCharge {
  return {
    ...c,
    amount: c.amount.toString(),
    amountCaptured: c.amountCaptured.toString(),
    amountRefunded: c.amountRefunded.toString(),
  };
}

export function chargeFromRecord(c: StoredCharge): Charge {
  return { ...c, amount: BigInt(c.amount), amountCaptured: BigInt(c.amountCaptured), amountRefunded: BigInt(c.amountRefunded) };
}

export function refundToRecord(r: Refund): StoredRefund {
  return {
    ...r,
    amount: r.amount.toString(),
    crypto: r.crypto && {
      ...r.crypto,
      amount: r.crypto.amount.toString(),
      fromBlock: r.crypto.fromBlock.toString(),
      transfer: r.crypto.transfer && { ...r.crypto.transfer, blockNumber: r.crypto.transfer.blockNumber.toString() },
    },
  };
}

export function refundFromRecord(r: StoredRefund): Refund {
  return {
    ...r,
    amount: BigInt(r.amount),
    crypto: r.crypto && {
      ...r.crypto,
      amount: BigInt(r.crypto.amount),
      fromBlock: BigInt(r.crypto.fromBlock),
      transfer: r.crypto.transfer && { ...r.crypto.transfer, blockNumber: BigInt(r.crypto.transfer.blockNumber) },
    },
  };
}

export function disputeToRecord(d: Dispute): StoredDispute {
  return { ...d, amount: d.amount.toString() };
}

export function disputeFromRecord(d: StoredDispute): Dispute {
  return { ...d, amount: BigInt(d.amount) };
}

function debitToRecord(d: DebitDetail): StoredDebit {
  return { ...d, blockNumber: d.blockNumber === null ? null : d.blockNumber.toString() };
}

function debitFromRecord(d: StoredDebit): DebitDetail {
  return { ...d, blockNumber: d.blockNumber === null ? null : BigInt(d.blockNumber) };
}

export function fromRecord(stored: { v: number } & Record<string, unknown>): PaymentIntent {
  const record = migrate(stored);
  const { v: _version, ...rest } = record;
  return {
    ...rest,
    amount: BigInt(record.amount),
    amountCapturable: BigInt(record.amountCapturable),
    amountReceived: BigInt(record.amountReceived),
    crypto: record.crypto && cryptoFromRecord(record.crypto),
    payerAmount: record.payerAmount && payerAmountFromRecord(record.payerAmount),
    debit: record.debit && debitFromRecord(record.debit),
    charges: record.charges.map(chargeFromRecord),
    refunds: record.refunds.map(refundFromRecord),
    disputes: record.disputes.map(disputeFromRecord),
  };
}

function payerAmountFromRecord(stored: StoredPayerAmount): PayerAmount {
  return {
    minimum: stored.minimum === null ? null : BigInt(stored.minimum),
    maximum: stored.maximum === null ? null : BigInt(stored.maximum),
  };
}

function cryptoToRecord(c: CryptoPayment): StoredCrypto {
  return {
    ...c,
    amount: c.amount.toString(),
    startBlock: c.startBlock === null ? null : c.startBlock.toString(),
    confirmed: c.confirmed.toString(),
    seen: c.seen.toString(),
    received: c.received.toString(),
    excess: c.excess.toString(),
    transfers: c.transfers.map(transferToRecord),
    late: c.late.map(transferToRecord),
    escrow: c.escrow && escrowToRecord(c.escrow),
  };
}

function escrowToRecord(e: Escrow): StoredEscrow {
  return {
    ...e,
    lock: e.lock && { ...e.lock, amount: e.lock.amount.toString(), blockNumber: e.lock.blockNumber.toString() },
    uncounted: e.uncounted.map((l) => ({ ...l, amount: l.amount.toString(), blockNumber: l.blockNumber.toString() })),
    outcome: e.outcome && { ...e.outcome, blockNumber: e.outcome.blockNumber === null ? null : e.outcome.blockNumber.toString() },
  };
}

function escrowFromRecord(e: StoredEscrow): Escrow {
  return {
    ...e,
    lock: e.lock && { ...e.lock, amount: BigInt(e.lock.amount), blockNumber: BigInt(e.lock.blockNumber) },
    uncounted: e.uncounted.map((l) => ({ ...l, amount: BigInt(l.amount), blockNumber: BigInt(l.blockNumber) })),
    outcome: e.outcome && { ...e.outcome, blockNumber: e.outcome.blockNumber === null ? null : BigInt(e.outcome.blockNumber) },
  };
}

function cryptoFromRecord(stored: StoredCrypto): CryptoPayment {
  // Records written before the chain watcher carry the network's poll interval, which only the
  // network's watcher uses now: it is not brought along.
  const { pollIntervalMs: _polledByTheWatcherNow, ...c } = stored as StoredCrypto & { pollIntervalMs?: number };
  return {
    ...c,
    amount: BigInt(c.amount),
    startBlock: c.startBlock === null ? null : BigInt(c.startBlock),
    confirmed: BigInt(c.confirmed),
    seen: BigInt(c.seen),
    received: BigInt(c.received),
    excess: BigInt(c.excess),
    transfers: c.transfers.map(transferFromRecord),
    late: c.late.map(transferFromRecord),
    escrow: c.escrow && escrowFromRecord(c.escrow),
  };
}

export function transferToRecord(t: CryptoTransfer): StoredTransfer {
  return { ...t, blockNumber: t.blockNumber.toString(), value: t.value.toString() };
}

export function transferFromRecord(t: StoredTransfer): CryptoTransfer {
  return { ...t, blockNumber: BigInt(t.blockNumber), value: BigInt(t.value) };
}

function migrate(stored: { v: number } & Record<string, unknown>): IntentRecord {
  const record = migrateToV7(stored);
  return record.v === RECORD_VERSION
    ? (record as IntentRecord)
    : { ...record, v: RECORD_VERSION, crypto: record.crypto && withoutEscrow(record.crypto) };
}

/** A crypto payment of a v1 to v7 record: its network's escrow was not recorded, and nothing was held. */
function withoutEscrow(c: Omit<StoredCrypto, 'escrowContract' | 'escrow'>): StoredCrypto {
  return { ...c, escrowContract: null, escrow: null };
}

type RecordV7 = Omit<IntentRecord, 'v' | 'crypto'> & {
  v: 7 | typeof RECORD_VERSION;
  crypto: Omit<StoredCrypto, 'escrowContract' | 'escrow'> | null;
};

function migrateToV7(stored: { v: number } & Record<string, unknown>): RecordV7 {
  const beforeUpdated = { updated: stored.created as number, reference: null, reservedDeposit: null };
  const beforeSettlement = { settlement: null, ...beforeUpdated };
  const beforeCharges = { charges: [], refunds: [], disputes: [], ...beforeSettlement };
  const beforeDebits = { mandate: null, debit: null, ...beforeCharges };
  const beforeCheckout = { checkoutSession: null, payerAmount: null, ...beforeDebits };
  switch (stored.v) {
    case 1:
      return { ...(stored as unknown as Omit<RecordV7, 'v' | 'crypto'>), v: 7, crypto: null, ...beforeCheckout };
    case 2:
      return { ...(stored as unknown as Omit<RecordV7, 'v'>), v: 7, ...beforeCheckout };
    case 3:
      return { ...(stored as unknown as Omit<RecordV7, 'v'>), v: 7, ...beforeDebits };
    case 4:
      return { ...(stored as unknown as Omit<RecordV7, 'v'>), v: 7, ...beforeCharges };
    case 5:
      return { ...(stored as unknown as Omit<RecordV7, 'v'>), v: 7, ...beforeSettlement };
    case 6:
      return { ...(stored as unknown as Omit<RecordV7, 'v'>), v: 7, ...beforeUpdated };
    case 7:
    case RECORD_VERSION:
      return stored as unknown as RecordV7;
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

const AMOUNT_FIELDS = ['amount', 'amountCapturable', 'amountReceived'] as const;

/** Some fields of an intent (an event's previous attributes) in the stored form: amounts as digit strings. */
export function partialToRecord(fields: Partial<PaymentIntent>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fields };
  for (const key of AMOUNT_FIELDS) if (fields[key] !== undefined) out[key] = fields[key].toString();
  if (fields.crypto) out.crypto = cryptoToRecord(fields.crypto);
  if (fields.debit) out.debit = debitToRecord(fields.debit);
  return out;
}

export function partialFromRecord(stored: Record<string, unknown>): Partial<PaymentIntent> {
  const out = { ...stored } as Partial<PaymentIntent>;
  for (const key of AMOUNT_FIELDS) if (typeof stored[key] === 'string') out[key] = BigInt(stored[key]);
  if (stored.crypto) out.crypto = cryptoFromRecord(stored.crypto as StoredCrypto);
  if (stored.debit) out.debit = debitFromRecord(stored.debit as StoredDebit);
  return out;
}
