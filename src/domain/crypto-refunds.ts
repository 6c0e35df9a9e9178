/**
 * Crypto refunds without keys, the pure part. The service holds no private key, so a refund of a
 * crypto payment (or of its excess, or of late funds) cannot be sent from here: it is `pending`
 * with next_action `crypto_refund` (network, token, destination, the exact amount in base units,
 * the block after which a transfer counts) until the network's watcher sees a transfer of exactly
 * that amount of the token to the destination, from anywhere, in a block after the refund was
 * created. With its confirmations the refund succeeds; a transfer that vanishes in a reorg stops
 * counting; a wrong amount or address never counts; one transfer pays at most one refund.
 *
 * Amounts: a refund's `amount` is in the intent's currency's minor units like every refund; its
 * `crypto.amount` is the same value in the token's base units, converted exactly (a usd intent paid
 * in USDC: 1099 cents = 10990000 base units). An amount that has no exact counterpart is refused.
 */
import { getAddress, isAddress } from 'viem';
import { type Charge, countsAgainstCharge, type CryptoRefund, type CryptoRefundSource, type Refund } from './charge.js';
import { type CryptoPayment, type CryptoTransfer, sumTransfers, tokenAmount, transferKey, uniqueTransfers } from './crypto.js';
import { invalid } from './errors.js';
import {
  type Decision,
  type DomainEvent,
  type PaymentIntent,
  type RefundObservation,
  type RefundParams,
  subjectEvent,
  unchanged,
} from './intent.js';

/**
 * Opens a crypto refund (called by createRefund in refunds.ts for a crypto charge, or when
 * `params.source` is set). `params.head` is the chain's head, read by the intent's object before
 * deciding: only transfers in later blocks count. `charge` is the charge the refund is recorded
 * against: for `payment` the succeeded one (its refundable amount is the limit and its
 * amount_refunded grows); for `excess` and `late_funds` any charge of the intent (the money was
 * never part of what the charge captured, so the charge's amounts are left alone). Null when the
 * intent has none: a crypto intent abandoned before anything was seen made no attempt, so its late
 * funds have no charge to be recorded against, and are refused (a refund names its charge).
 *
 * The status is `pending`, not `requires_action`: Stripe's `requires_action` means the customer
 * must supply something (bank details) before the refund can proceed; here nobody has to tell us
 * anything more — the merchant sends the transfer from its own wallet, and the refund settles by
 * itself when the chain shows it, like a card refund in flight. `pending` is also the status a
 * refund can be canceled in (POST /v1/refunds/:id/cancel), which a merchant that decides not to
 * send it needs.
 */
export function openCryptoRefund(
  state: PaymentIntent,
  refundId: string,
  charge: Charge | null,
  params: RefundParams,
  now: number,
): Decision {
  const payment = state.crypto;
  if (!payment || payment.depositAddress === null) {
    const field = params.source !== undefined ? 'source' : 'destination';
    throw invalid('parameter_invalid', field, `{{${field}}} is only for a refund of a crypto PaymentIntent that was paid on chain.`);
  }
  if (params.head === undefined) throw new Error('a crypto refund needs the chain head, read by the shell before deciding');
  const source: CryptoRefundSource = params.source ?? 'payment';
  if (charge === null) {
    throw invalid(
      'parameter_invalid',
      'source',
      'This PaymentIntent has no charge: nothing was received in time, and its late funds cannot be refunded through the API yet.',
    );
  }
  const left = leftToRefund(state, charge, source);
  const leftMinor = params.amount === undefined ? minorAmount(left.baseUnits, state.currency, payment) : null;
  if (params.amount === undefined && leftMinor === null) {
    throw invalid(
      'parameter_missing',
      'amount',
      `The ${source} left to refund (${left.baseUnits} base units of ${payment.token.symbol}) has no exact amount in ${state.currency}: pass {{amount}}.`,
    );
  }
  const amount = params.amount ?? leftMinor!;
  if (amount <= 0n) {
    throw invalid(
      'parameter_invalid',
      'amount',
      params.amount === undefined ? `Nothing is left to refund from the ${source}.` : '{{amount}} must be a positive integer.',
    );
  }
  const baseUnits = tokenAmount(amount, state.currency, payment.token);
  if (baseUnits > left.baseUnits) {
    throw invalid(
      'parameter_invalid',
      'amount',
      `{{amount}} (${amount}) is greater than what is left to refund from the ${source} (${left.describe}).`,
    );
  }
  const destination = destinationOf(state, charge, source, params.destination);
  const crypto: CryptoRefund = {
    source,
    network: payment.network,
    chainId: payment.chainId,
    token: { symbol: payment.token.symbol, decimals: payment.token.decimals, address: payment.token.address },
    destination,
    amount: baseUnits,
    fromBlock: params.head,
    confirmationsRequired: payment.confirmationsRequired,
    transfer: null,
  };
  const refund: Refund = {
    id: refundId,
    charge: charge.id,
    created: now,
    amount,
    reason: params.reason ?? null,
    metadata: params.metadata ?? {},
    status: 'pending',
    failureReason: null,
    crypto,
  };
  const charges = source === 'payment' ? state.charges.map((c) => (c.id === charge.id ? withRefunded(c, amount) : c)) : state.charges;
  return {
    state: { ...state, charges, refunds: [...state.refunds, refund] },
    events: [subjectEvent('refund.created', { kind: 'refund', id: refundId })],
    timers: [],
    paymentError: null,
  };
}

function withRefunded(charge: Charge, amount: bigint): Charge {
  const amountRefunded = charge.amountRefunded + amount;
  return { ...charge, amountRefunded, refunded: amountRefunded >= charge.amountCaptured };
}

/** What `source` still has to give back, in base units (and said for a message). */
function leftToRefund(state: PaymentIntent, charge: Charge, source: CryptoRefundSource): { baseUnits: bigint; describe: string } {
  const payment = state.crypto!;
  const symbol = payment.token.symbol;
  const refundedFrom = (s: CryptoRefundSource) =>
    state.refunds.filter((r) => r.crypto?.source === s && countsAgainstCharge(r)).reduce((sum, r) => sum + r.crypto!.amount, 0n);
  switch (source) {
    case 'payment': {
      if (charge.status !== 'succeeded') {
        throw invalid('parameter_invalid', 'source', `The charge ${charge.id} did not succeed: only its late funds can be refunded.`);
      }
      const minor = charge.amountCaptured - charge.amountRefunded;
      return { baseUnits: tokenAmount(minor, state.currency, payment.token), describe: `${minor} ${state.currency}` };
    }
    case 'excess': {
      if (payment.excess === 0n) {
        throw invalid(
          'parameter_invalid',
          'source',
          'This PaymentIntent received no excess above its amount: there is nothing to refund from it.',
        );
      }
      const left = payment.excess - refundedFrom('excess');
      return { baseUnits: left, describe: `${left} base units of ${symbol}` };
    }
    case 'late_funds': {
      if (payment.late.length === 0) {
        throw invalid('parameter_invalid', 'source', 'This PaymentIntent received no late funds: there is nothing to refund from them.');
      }
      const left = sumTransfers(payment.late) - refundedFrom('late_funds');
      return { baseUnits: left, describe: `${left} base units of ${symbol}` };
    }
  }
}

/** The given address, or the payer's: the sender of the counted payment (of the first late transfer, for late funds). */
function destinationOf(state: PaymentIntent, charge: Charge, source: CryptoRefundSource, given: string | undefined): string {
  if (given !== undefined) {
    if (!isAddress(given, { strict: false })) {
      throw invalid('parameter_invalid', 'destination', '{{destination}} must be an address: 0x and 40 hexadecimal digits.');
    }
    return getAddress(given);
  }
  const details = charge.paymentMethodDetails;
  const payer = details?.type === 'crypto' ? details.crypto.from : null;
  const sender = source === 'late_funds' ? (state.crypto!.late[0]?.from ?? payer) : payer;
  if (sender === null) {
    throw invalid('parameter_missing', 'destination', 'No payer address is known for this PaymentIntent: pass {{destination}}.');
  }
  return getAddress(sender);
}

/**
 * `baseUnits` of the token in the intent's currency's minor units, exactly; null when there is no
 * exact counterpart (a usd intent's excess of 1 base unit of USDC is a ten-thousandth of a cent).
 */
export function minorAmount(baseUnits: bigint, currency: string, payment: Pick<CryptoPayment, 'token'>): bigint | null {
  if (currency === payment.token.symbol) return baseUnits;
  // tokenAmount is linear: the minor amount of one unit tells the scale both ways.
  const perMinor = tokenAmount(1n, currency, payment.token);
  return baseUnits % perMinor === 0n ? baseUnits / perMinor : null;
}

/**
 * What the watcher saw at the refund's destination. The refund's transfer is one of exactly its
 * amount to its destination, in a block after `fromBlock`, not already paying another refund of
 * this intent; the one recorded before is kept while it is still on chain (else the first in chain
 * order). Confirmed: the refund succeeds. Seen but short of confirmations: recorded, still pending.
 * Gone (a reorg): no longer recorded. A settled or canceled refund is not changed by the chain.
 */
export function observeRefund(state: PaymentIntent, seen: RefundObservation): Decision {
  const refund = state.refunds.find((r) => r.id === seen.refundId);
  const c = refund?.crypto;
  if (!refund || !c || refund.status !== 'pending') return unchanged(state);
  const claimed = new Set(
    state.refunds
      .filter((r) => r.id !== refund.id && r.crypto?.transfer && r.status !== 'canceled' && r.status !== 'failed')
      .map((r) => transferKey(r.crypto!.transfer!)),
  );
  const destination = c.destination.toLowerCase();
  const candidates = uniqueTransfers(seen.transfers).filter(
    (t) => t.to.toLowerCase() === destination && t.value === c.amount && t.blockNumber > c.fromBlock && !claimed.has(transferKey(t)),
  );
  const recorded = c.transfer;
  const chosen = (recorded && candidates.find((t) => transferKey(t) === transferKey(recorded))) ?? candidates[0] ?? null;
  const transfer = chosen && toRecorded(chosen);
  const confirmed = chosen !== null && seen.head - chosen.blockNumber + 1n >= BigInt(c.confirmationsRequired);
  const sameTransfer =
    transfer === null
      ? recorded === null
      : recorded !== null && transferKey(recorded) === transferKey(transfer) && recorded.blockHash === transfer.blockHash;
  if (sameTransfer && !confirmed) return unchanged(state);

  const next: Refund = { ...refund, status: confirmed ? 'succeeded' : 'pending', crypto: { ...c, transfer } };
  const events: DomainEvent[] = [subjectEvent('refund.updated', { kind: 'refund', id: refund.id })];
  if (confirmed && c.source === 'payment') events.push(subjectEvent('charge.refunded', { kind: 'charge', id: refund.charge }));
  return {
    state: { ...state, refunds: state.refunds.map((r) => (r.id === refund.id ? next : r)) },
    events,
    timers: [],
    paymentError: null,
  };
}

function toRecorded(t: CryptoTransfer): NonNullable<CryptoRefund['transfer']> {
  return { txHash: t.txHash, logIndex: t.logIndex, blockNumber: t.blockNumber, blockHash: t.blockHash, from: t.from };
}

/** A refund waiting on chain: the network's watcher must watch its destination. */
export function awaitsTransfer(refund: Refund): boolean {
  return refund.crypto !== null && refund.status === 'pending';
}

/**
 * The crypto refunds whose watch must change after a transition: a new one waiting for its
 * transfer (register), or one that stopped waiting (succeeded, canceled: unregister). The shell
 * commits a `watch` timer keyed by each refund's id with the change.
 */
export function refundWatchChanges(before: PaymentIntent | null, after: PaymentIntent): string[] {
  const was = new Map((before?.refunds ?? []).map((r) => [r.id, awaitsTransfer(r)]));
  return after.refunds.filter((r) => r.crypto !== null && was.get(r.id) !== awaitsTransfer(r)).map((r) => r.id);
}
