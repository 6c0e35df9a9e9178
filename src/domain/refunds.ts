/**
 * Refunds, the pure part: create, update, cancel and settle a refund of the intent's succeeded
 * charge. Several partial refunds up to what the charge captured, never more: the intent's object
 * runs one command at a time, so the check here is the only one needed. A refund counts against
 * its charge from its creation (the charge's amountRefunded) until it fails or is canceled, when
 * its amount is refundable again.
 *
 * A card-style refund is `pending`, then settles on the 'refund' timer (keyed by its id): it
 * succeeds, or fails (`declined`) for a charge paid with a method whose refunds fail
 * (pm_card_refundFail). A crypto charge's refund, or one of excess or late funds, is handed to
 * crypto-refunds.ts (it waits for a transfer on chain).
 */
import { type Charge, countsAgainstCharge, type Refund, refundable, succeededCharge } from './charge.js';
import { openCryptoRefund } from './crypto-refunds.js';
import { assertRefundable } from './disputes.js';
import { DomainError, type Field, invalid } from './errors.js';
import {
  type Decision,
  type DomainEvent,
  type IntentSettings,
  METADATA_MAX_KEYS,
  mergeMetadata,
  type PaymentIntent,
  type RefundParams,
  subjectEvent,
  unchanged,
} from './intent.js';
import type { EventType } from './status.js';
import { findTestPaymentMethod } from './test-payment-methods.js';

export function createRefund(
  state: PaymentIntent,
  refundId: string,
  params: RefundParams,
  now: number,
  settings: IntentSettings,
): Decision {
  // The parameter that named what is refunded: the charge when the caller gave one, else the intent.
  const named: Field = params.charge !== undefined ? 'charge' : 'paymentIntent';
  if (state.debit) {
    throw invalid(
      'parameter_invalid',
      named,
      `This PaymentIntent is debit ${state.debit.period} of mandate ${state.debit.mandate}, which its contract paid on chain from the payer's ` +
        `wallet to the payee's: it cannot be refunded here. Send the money back to ${state.debit.payer} from the payee's wallet.`,
    );
  }
  if (state.refunds.some((r) => r.id === refundId)) {
    throw invalid('parameter_invalid', 'id', `A refund with id ${refundId} already exists.`);
  }
  const charge = chargeToRefund(state, params.charge, params.source);
  if (params.source !== undefined || charge?.paymentMethodDetails?.type === 'crypto') {
    return openCryptoRefund(state, refundId, charge, params, now);
  }
  if (charge === null || charge.status !== 'succeeded') {
    throw new DomainError({
      code: 'payment_intent_unexpected_state',
      field: named,
      currentStatus: state.status,
      allowedStatuses: ['succeeded'],
      detail:
        charge === null
          ? `This PaymentIntent (status ${state.status}) has no successful charge to refund.`
          : `Charge ${charge.id} (status ${charge.status}) did not succeed: there is nothing to refund.`,
    });
  }
  if (!charge.captured) {
    throw new DomainError({
      code: 'payment_intent_unexpected_state',
      field: named,
      currentStatus: state.status,
      allowedStatuses: ['succeeded'],
      detail: `Charge ${charge.id} is not captured: cancel the PaymentIntent to release its authorization instead of refunding it.`,
    });
  }
  try {
    assertRefundable(state, charge);
  } catch (error) {
    // The refusal names what this request passed: the charge, or the intent.
    if (error instanceof DomainError) throw new DomainError({ ...error.toData(), field: named });
    throw error;
  }
  const left = refundable(charge);
  if (left <= 0n) throw invalid('charge_already_refunded', named, `Charge ${charge.id} has already been refunded.`);
  const amount = params.amount ?? left;
  if (amount <= 0n) throw invalid('parameter_invalid', 'amount', '{{amount}} must be a positive integer.');
  if (amount > left) {
    throw invalid(
      'amount_too_large',
      'amount',
      `Refund {{amount}} (${amount}) is greater than the unrefunded amount on charge ${charge.id} (${left}, in the smallest unit of ${state.currency}).`,
    );
  }
  const refund: Refund = {
    id: refundId,
    charge: charge.id,
    created: now,
    amount,
    reason: params.reason ?? null,
    metadata: params.metadata ?? {},
    status: 'pending',
    failureReason: null,
    crypto: null,
  };
  return {
    state: { ...withCharge(state, counted(charge, amount)), refunds: [...state.refunds, refund] },
    events: [refundEvent('refund.created', refund)],
    timers: [{ kind: 'refund', key: refund.id, at: now + settings.refundSettleDelayMs }],
    paymentError: null,
  };
}

/** Stripe's metadata update: keys merge, "" removes one, null clears them all. */
export function updateRefund(state: PaymentIntent, refundId: string, metadata: Record<string, string> | null): Decision {
  const refund = refundOf(state, refundId);
  const merged = mergeMetadata(refund.metadata, metadata);
  if (Object.keys(merged).length > METADATA_MAX_KEYS) {
    throw invalid(
      'parameter_invalid',
      'metadata',
      `{{metadata}} can have at most ${METADATA_MAX_KEYS} keys; this update would leave ${Object.keys(merged).length}.`,
    );
  }
  if (JSON.stringify(merged) === JSON.stringify(refund.metadata)) return unchanged(state);
  const updated = { ...refund, metadata: merged };
  return { state: withRefund(state, updated), events: [refundEvent('refund.updated', updated)], timers: [], paymentError: null };
}

/**
 * Cancels a refund that is still pending (a crypto one only while no transfer paying it has been
 * seen): its amount is refundable again. Its settle timer still fires, and changes nothing.
 */
export function cancelRefund(state: PaymentIntent, refundId: string, _now: number): Decision {
  const refund = refundOf(state, refundId);
  const cancelable = (refund.status === 'pending' || refund.status === 'requires_action') && !refund.crypto?.transfer;
  if (!cancelable) {
    const why =
      refund.status === 'pending' || refund.status === 'requires_action'
        ? `a transfer paying it (${refund.crypto?.transfer?.txHash}) has been seen on chain`
        : `it has a status of ${refund.status}`;
    throw invalid(
      'refund_unexpected_state',
      'id',
      `You cannot cancel refund ${refund.id}: ${why}. Only a pending refund (before any transfer paying it is seen) can be canceled.`,
    );
  }
  const canceled: Refund = { ...refund, status: 'canceled', failureReason: 'merchant_request' };
  return {
    state: released(state, refund, canceled),
    events: [refundEvent('refund.updated', canceled)],
    timers: [],
    paymentError: null,
  };
}

/**
 * The refund timer: a pending card-style refund succeeds, or fails (`declined`) when its charge's
 * method fails refunds. Timers are at-least-once: a refund that already settled, was canceled, or
 * is a crypto one (settled by what the chain shows) is left as it is.
 */
export function settleRefund(state: PaymentIntent, refundId: string, _now: number): Decision {
  const refund = state.refunds.find((r) => r.id === refundId);
  if (refund?.status !== 'pending' || refund.crypto !== null) return unchanged(state);
  const charge = state.charges.find((c) => c.id === refund.charge)!;
  const method = charge.paymentMethod === null ? undefined : findTestPaymentMethod(charge.paymentMethod);
  if (method?.refunds === 'fail') {
    const failed: Refund = { ...refund, status: 'failed', failureReason: 'declined' };
    return {
      state: released(state, refund, failed),
      events: [refundEvent('refund.updated', failed), refundEvent('refund.failed', failed)],
      timers: [],
      paymentError: null,
    };
  }
  const succeeded: Refund = { ...refund, status: 'succeeded' };
  return {
    state: withRefund(state, succeeded),
    events: [refundEvent('refund.updated', succeeded), subjectEvent('charge.refunded', { kind: 'charge', id: charge.id })],
    timers: [],
    paymentError: null,
  };
}

/**
 * The charge a refund is of: the one named (it must be this intent's), else the intent's succeeded
 * one. Excess and late funds are not the charge's money: their refund names the intent's latest
 * attempt, succeeded or not (an abandoned crypto intent's failed charge).
 */
function chargeToRefund(state: PaymentIntent, chargeId: string | undefined, source: RefundParams['source']): Charge | null {
  if (chargeId === undefined) {
    const paid = succeededCharge(state.charges);
    return source === 'excess' || source === 'late_funds' ? (paid ?? state.charges.at(-1) ?? null) : paid;
  }
  const charge = state.charges.find((c) => c.id === chargeId);
  if (!charge) throw invalid('parameter_invalid', 'charge', `{{charge}} ${chargeId} is not a charge of PaymentIntent ${state.id}.`);
  return charge;
}

function refundOf(state: PaymentIntent, refundId: string): Refund {
  const refund = state.refunds.find((r) => r.id === refundId);
  if (!refund) throw new DomainError({ code: 'resource_missing', field: 'id', resource: { type: 'refund', id: refundId } });
  return refund;
}

/** The charge with `amount` more counting against it (negative: given back), and `refunded` following. */
function counted(charge: Charge, amount: bigint): Charge {
  const amountRefunded = charge.amountRefunded + amount;
  return { ...charge, amountRefunded, refunded: charge.amountCaptured > 0n && amountRefunded >= charge.amountCaptured };
}

/** A refund that stops counting against its charge (failed, canceled): its amount is refundable again. */
function released(state: PaymentIntent, before: Refund, after: Refund): PaymentIntent {
  const charge = state.charges.find((c) => c.id === before.charge)!;
  // Excess and late funds never counted against the charge (src/domain/crypto-refunds.ts).
  const ofThePayment = before.crypto === null || before.crypto.source === 'payment';
  const wasCounted = ofThePayment && countsAgainstCharge(before) && !countsAgainstCharge(after);
  return withRefund(wasCounted ? withCharge(state, counted(charge, -before.amount)) : state, after);
}

function withCharge(state: PaymentIntent, charge: Charge): PaymentIntent {
  return { ...state, charges: state.charges.map((c) => (c.id === charge.id ? charge : c)) };
}

function withRefund(state: PaymentIntent, refund: Refund): PaymentIntent {
  return { ...state, refunds: state.refunds.map((r) => (r.id === refund.id ? refund : r)) };
}

function refundEvent(type: EventType, refund: Refund): DomainEvent {
  return subjectEvent(type, { kind: 'refund', id: refund.id });
}
