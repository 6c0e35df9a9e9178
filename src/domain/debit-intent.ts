/**
 * A mandate's debit as a payment intent (issue 13): one intent per period in which a debit is due,
 * made and moved by what the mandate's object reports (src/intents/debits.ts), never by the
 * merchant's confirm, capture or payment fields. Pure, like the rest of the domain.
 *
 * The mapping of reports to the intent:
 *   first report   → payment_intent.created (status requires_confirmation: it knows how it is paid),
 *                    then the report applied as below;
 *   processing     → processing (payment_intent.processing), last_payment_error cleared: a retry after
 *                    a failed attempt is processing again; a re-send while processing only records its
 *                    attempt and transaction (no event);
 *   failed         → requires_payment_method with last_payment_error (payment_intent.payment_failed);
 *   succeeded      → succeeded, amount_received = the debited amount (payment_intent.succeeded);
 *   closed         → canceled (payment_intent.canceled): `abandoned` for a forfeited period (as a crypto
 *                    intent whose window closed unpaid), `automatic` when the mandate ended.
 * The same report again changes nothing. succeeded is final: any later report but the same
 * succeeded is ignored (the shell logs it, see `ignoredReport`); so are processing and failed after
 * a cancel. A debit that still lands on a canceled intent (the merchant canceled a failed one and the
 * retry went through) is recorded on it with payment_intent.late_funds_received, as a crypto
 * intent's late funds: money that moved is never hidden.
 */
import { invalid, DomainError } from './errors.js';
import {
  changedFields,
  event,
  unchanged,
  type DebitDetail,
  type DebitReport,
  type Decision,
  type PaymentError,
  type PaymentIntent,
  type UpdateParams,
} from './intent.js';
import type { CancellationReason } from './status.js';

export type { DebitDetail, DebitReport } from './intent.js';

/** What a debit intent is made with (the mandate's object's reference for the period). */
export interface DebitCreateParams {
  /** Base units of the token. */
  amount: bigint;
  /** The token's symbol, as crypto intents have it. */
  currency: string;
  debit: Omit<DebitDetail, 'attemptId' | 'txHash' | 'blockNumber'>;
  description: string | null;
  metadata: Record<string, string>;
}

/** Why a closed period cancels the intent (Stripe's cancellation_reason values). */
export const CLOSED_REASONS: Record<Extract<DebitReport, { kind: 'closed' }>['reason'], CancellationReason> = {
  period_forfeited: 'abandoned',
  mandate_canceled: 'automatic',
};

/** The debit intent as created: automatic capture, off-session, paid in the token; no report applied yet. */
export function createDebitIntent(
  ids: { id: string; clientSecret: string; merchantId: string; livemode: boolean },
  params: DebitCreateParams,
  now: number,
): Decision {
  if (params.amount <= 0n) throw invalid('parameter_invalid', 'amount', '{{amount}} of a debit must be a positive integer.');
  const state: PaymentIntent = {
    ...ids,
    created: now,
    updated: now,
    amount: params.amount,
    amountCapturable: 0n,
    amountReceived: 0n,
    currency: params.currency,
    status: 'requires_confirmation',
    captureMethod: 'automatic',
    confirmationMethod: 'automatic',
    paymentMethod: null,
    paymentMethodTypes: ['crypto'],
    lastPaymentError: null,
    nextAction: null,
    cancellationReason: null,
    canceledAt: null,
    description: params.description,
    metadata: params.metadata,
    receiptEmail: null,
    statementDescriptor: null,
    customer: null,
    notificationUrl: null,
    authenticatedPaymentMethod: null,
    crypto: null,
    checkoutSession: null,
    payerAmount: null,
    mandate: params.debit.mandate,
    debit: { ...params.debit, attemptId: null, txHash: null, blockNumber: null },
    settlement: null,
    charges: [],
    refunds: [],
    disputes: [],
    reference: null,
    reservedDeposit: null,
    revision: 1,
  };
  return { state, events: [event('payment_intent.created')], timers: [], paymentError: null };
}

/**
 * Why a report is ignored (a late or contradicting one, which the shell logs as a warning), or null
 * when it applies (or is the same report again, which changes nothing).
 */
export function ignoredReport(state: PaymentIntent, report: DebitReport): string | null {
  if (state.status === 'succeeded') {
    if (report.kind === 'succeeded' && report.txHash === state.debit?.txHash) return null;
    return `the debit already succeeded (transaction ${state.debit?.txHash}): a later ${report.kind} report is ignored`;
  }
  if (state.status === 'canceled' && (report.kind === 'processing' || report.kind === 'failed')) {
    return `the debit intent is canceled (${state.cancellationReason ?? 'by its merchant'}): a later ${report.kind} report is ignored`;
  }
  return null;
}

/** A report applied to the debit intent (see the mapping at the top). */
export function applyDebitReport(state: PaymentIntent, report: DebitReport, now: number): Decision {
  const d = state.debit;
  if (!d) throw new Error(`${state.id} is not a mandate's debit intent`);
  if (ignoredReport(state, report) !== null) return unchanged(state);
  switch (report.kind) {
    case 'processing': {
      const sameAttempt = report.attemptId === d.attemptId;
      const debit: DebitDetail = { ...d, attemptId: report.attemptId, txHash: report.txHash ?? (sameAttempt ? d.txHash : null) };
      if (state.status === 'processing') return quietly(state, { ...state, debit });
      return {
        state: { ...state, status: 'processing', lastPaymentError: null, nextAction: null, debit },
        events: [event('payment_intent.processing')],
        timers: [],
        paymentError: null,
      };
    }
    case 'failed': {
      const paymentError: PaymentError = {
        // Stripe's type for a failed payment that is not a card's (its bank debits fail so, too):
        // card_error is for cards, api_error for the service's own faults.
        type: 'invalid_request_error',
        code: report.code,
        declineCode: null,
        message: report.message,
        // The mandate is what pays a debit intent.
        paymentMethod: { id: d.mandate, type: 'crypto' },
      };
      const next: PaymentIntent = { ...state, status: 'requires_payment_method', nextAction: null, lastPaymentError: paymentError };
      if (Object.keys(changedFields(state, next)).length === 0) return unchanged(state);
      return { state: next, events: [event('payment_intent.payment_failed')], timers: [], paymentError };
    }
    case 'succeeded': {
      const debit: DebitDetail = { ...d, txHash: report.txHash, blockNumber: report.blockNumber };
      if (state.status === 'succeeded') return unchanged(state);
      if (state.status === 'canceled') {
        if (d.txHash === report.txHash && d.blockNumber === report.blockNumber) return unchanged(state);
        return { state: { ...state, debit }, events: [event('payment_intent.late_funds_received')], timers: [], paymentError: null };
      }
      return {
        state: {
          ...state,
          status: 'succeeded',
          amountReceived: report.amount,
          amountCapturable: 0n,
          lastPaymentError: null,
          nextAction: null,
          debit,
        },
        events: [event('payment_intent.succeeded')],
        timers: [],
        paymentError: null,
      };
    }
    case 'closed': {
      if (state.status === 'canceled') return unchanged(state);
      return {
        state: {
          ...state,
          status: 'canceled',
          cancellationReason: CLOSED_REASONS[report.reason],
          canceledAt: now,
          nextAction: null,
        },
        events: [event('payment_intent.canceled')],
        timers: [],
        paymentError: null,
      };
    }
  }
}

/** A change without an event of its own (a re-send's transaction): committed only if something visible changed. */
function quietly(state: PaymentIntent, next: PaymentIntent): Decision {
  if (Object.keys(changedFields(state, next)).length === 0) return unchanged(state);
  return { state: next, events: [], timers: [], paymentError: null };
}

/** Fields of the payment itself, which the mandate set: a merchant's update of them is refused. */
const DEBIT_FIXED_FIELDS = ['amount', 'currency', 'captureMethod', 'paymentMethod', 'paymentMethodTypes'] as const;

/** A merchant's update of a debit intent keeps to what the mandate does not set (description, metadata…). */
export function assertDebitUpdate(state: PaymentIntent, params: UpdateParams): void {
  if (!state.debit) return;
  const field = DEBIT_FIXED_FIELDS.find((f) => params[f] !== undefined);
  if (field === undefined) return;
  throw new DomainError({
    code: 'payment_intent_unexpected_state',
    operation: 'update',
    field,
    currentStatus: state.status,
    detail: `You cannot update {{${field}}} on this PaymentIntent: it is debit ${state.debit.period} of mandate ${state.debit.mandate}, whose signed terms set how it is paid.`,
  });
}

/** Confirm and capture belong to the mandate's schedule: a debit intent is paid off-session, on chain. */
export function assertNotDebit(state: PaymentIntent, operation: 'confirm' | 'capture'): void {
  if (!state.debit) return;
  throw new DomainError({
    code: 'payment_intent_unexpected_state',
    operation,
    field: 'mandate',
    currentStatus: state.status,
    detail: `You cannot ${operation} this PaymentIntent (status ${state.status}): it is debit ${state.debit.period} of {{mandate}} ${state.debit.mandate}, which the mandate's schedule pays off-session on chain.`,
  });
}
