/**
 * The payment-intent state machine: pure functions of (state, command, now). No clock, network,
 * randomness or storage here — ids, tokens and time come in with the command, and the Durable
 * Object shell persists what comes out. Card-style and bank payments are here; on-chain payments'
 * transitions are in crypto-intent.ts.
 */
import {
  assertCryptoUpdate,
  confirmCrypto,
  cryptoPaymentFor,
  observe,
  recordSignature,
  stoppedWaiting,
  withCryptoAmount,
  withCryptoChoice,
} from './crypto-intent.js';
import type { FreshIds } from './charge.js';
import { cancelEscrow, captureEscrow, confirmEscrowDelivery, isEscrowed, observeEscrow, requestEscrowDeposit } from './escrow-intent.js';
import { reconcileCharges } from './charges.js';
import { observeRefund } from './crypto-refunds.js';
import { isCurrency, MAX_AMOUNT } from './currency.js';
import { applyDebitReport, assertDebitUpdate, assertNotDebit } from './debit-intent.js';
import { closeDispute, decideDispute, reconcileDisputes, updateDispute } from './disputes.js';
import { DomainError, type Field, invalid, unexpectedState } from './errors.js';
import {
  changedFields,
  event,
  METADATA_MAX_KEYS,
  mergeMetadata,
  UNSETTLED,
  unchanged,
  type Command,
  type ConfirmCommand,
  type CreateParams,
  type Decision,
  type IntentSettings,
  type PaymentError,
  type PaymentIntent,
  type PayerAmount,
  type ReservedDeposit,
  type UpdateParams,
} from './intent.js';
import { assertMethodAccepts, assertMethodsAccept, assertReturnUrl, blikCodeApproved, fund, transferReference } from './payment-methods.js';
import { cancelRefund, createRefund, settleRefund, updateRefund } from './refunds.js';
import { newSettlement } from './settlement.js';
import { advanceSettlement, confirmDelivery } from './settlements.js';
import { STATUSES, type CancellationReason, type Status } from './status.js';
import { findTestPaymentMethod, type PaymentMethodType, type TestPaymentMethod } from './test-payment-methods.js';

const CONFIRMABLE: readonly Status[] = UNSETTLED;
const CANCELABLE: readonly Status[] = [...UNSETTLED, 'requires_capture'];
/** Fields that describe the payment itself: only editable before it is in flight. */
const PAYMENT_FIELDS = [
  'amount',
  'currency',
  'captureMethod',
  'paymentMethod',
  'paymentMethodTypes',
  'statementDescriptor',
  'customer',
] as const;

export function createPaymentIntent(
  ids: { id: string; clientSecret: string; merchantId: string; livemode: boolean },
  params: CreateParams,
  now: number,
  /** The deposit address the shell took for params.reserveDeposit. */
  reservedDeposit: ReservedDeposit | null = null,
): Decision {
  if (params.reserveDeposit && reservedDeposit === null) throw new Error('reserveDeposit needs the address the shell allocated');
  const paymentMethodTypes = params.paymentMethodTypes ?? (params.crypto ? ['crypto'] : ['card']);
  const crypto = cryptoPaymentFor(ids.id, params, paymentMethodTypes, ids.livemode);
  if (!crypto) {
    assertAmount(params.amount, 'amount', params.currency);
    const field = params.paymentMethodTypes !== undefined ? 'paymentMethodTypes' : 'currency';
    assertMethodsAccept(paymentMethodTypes, { ...params, captureMethod: params.captureMethod ?? 'automatic' }, field);
  }
  if (params.paymentMethod !== undefined) resolvePaymentMethod(params.paymentMethod, paymentMethodTypes);
  if (params.settlement && !crypto) {
    throw invalid('parameter_invalid', 'settlement', 'Only a crypto intent can be settled off chain after delivery.');
  }
  const settlement = params.settlement ? newSettlement(params.settlement, ids.livemode) : null;
  const state: PaymentIntent = {
    ...ids,
    created: now,
    updated: now,
    amount: params.amount,
    amountCapturable: 0n,
    amountReceived: 0n,
    currency: params.currency,
    // A crypto intent knows how it will be paid (a transfer on the chosen network): it is ready to confirm.
    status: params.paymentMethod || crypto ? 'requires_confirmation' : 'requires_payment_method',
    captureMethod: params.captureMethod ?? 'automatic',
    confirmationMethod: params.confirmationMethod ?? 'automatic',
    paymentMethod: params.paymentMethod ?? null,
    paymentMethodTypes,
    lastPaymentError: null,
    nextAction: null,
    cancellationReason: null,
    canceledAt: null,
    description: params.description ?? null,
    metadata: params.metadata ?? {},
    receiptEmail: params.receiptEmail ?? null,
    statementDescriptor: params.statementDescriptor ?? null,
    customer: params.customer ?? null,
    notificationUrl: params.notificationUrl ?? null,
    authenticatedPaymentMethod: null,
    crypto,
    checkoutSession: params.checkoutSession ?? null,
    payerAmount: params.payerAmount ?? null,
    mandate: null,
    debit: null,
    settlement,
    charges: [],
    refunds: [],
    disputes: [],
    reference: params.reference ?? null,
    reservedDeposit,
    revision: 1,
  };
  return { state, events: [event('payment_intent.created')], timers: [], paymentError: null };
}

/**
 * Applies one command. Throws DomainError when the command is not allowed; the state is then
 * untouched. The attempt's charge and any dispute follow from what the transition did
 * (reconcileCharges, reconcileDisputes), with ids drawn by the shell (`fresh`, used only if needed).
 */
export function decide(state: PaymentIntent, command: Command, now: number, settings: IntentSettings, fresh: FreshIds): Decision {
  const applied = apply(state, command, now, settings);
  if (applied.state === state) return applied;
  const decision = reconcileDisputes(state, reconcileCharges(state, applied, fresh, now), fresh, now, settings);
  const next = { ...decision.state, revision: state.revision + 1, updated: now };
  const previousAttributes = changedFields(state, next);
  return {
    ...decision,
    state: next,
    // An event about a charge, refund or dispute shows that object, not the intent's changed fields.
    events: decision.events.map((e) => (e.subject ? e : { ...e, previousAttributes })),
  };
}

function apply(state: PaymentIntent, command: Command, now: number, settings: IntentSettings): Decision {
  switch (command.type) {
    case 'update':
      return update(state, command.params);
    case 'confirm':
      return confirm(state, command, now, settings);
    case 'capture':
      return isEscrowed(state) ? captureEscrow(state, command.amountToCapture, now) : capture(state, command.amountToCapture);
    case 'cancel':
      return cancelEscrow(state, cancel(state, command.reason, now, settings), now);
    case 'complete_challenge':
      return completeChallenge(state, command.outcome);
    case 'settle':
      return settle(state);
    case 'chain_observed':
      return observe(state, command, settings);
    case 'record_signature':
      return recordSignature(state, command.signature);
    case 'escrow_observed':
      return observeEscrow(state, command, settings);
    case 'escrow_deposit':
      return requestEscrowDeposit(state, command.deposit, now);
    case 'debit_reported':
      return applyDebitReport(state, command.report, now);
    case 'refund':
      return createRefund(state, command.refundId, command.params, now, settings);
    case 'update_refund':
      return updateRefund(state, command.refundId, command.metadata);
    case 'cancel_refund':
      return cancelRefund(state, command.refundId, now);
    case 'settle_refund':
      return settleRefund(state, command.refundId, now);
    case 'refund_observed':
      return observeRefund(state, command);
    case 'update_dispute':
      return updateDispute(state, command, now, settings);
    case 'close_dispute':
      return closeDispute(state, command.disputeId, now);
    case 'decide_dispute':
      return decideDispute(state, command.disputeId, now);
    case 'fund':
      return fund(state, command.amount, command.reference, now);
    // The off-ramp simulator takes as long as an asynchronous payment's test settlement.
    case 'confirm_delivery':
      return isEscrowed(state) ? confirmEscrowDelivery(state, now) : confirmDelivery(state, now, settings.asyncSettleDelayMs);
    case 'advance_settlement':
      return advanceSettlement(state, now);
  }
}

function update(state: PaymentIntent, params: UpdateParams): Decision {
  if (state.status === 'canceled') {
    throw unexpectedState(
      'update',
      state.status,
      STATUSES.filter((s) => s !== 'canceled'),
    );
  }
  const touchesPayment = PAYMENT_FIELDS.some((f) => params[f] !== undefined);
  if (touchesPayment && !UNSETTLED.includes(state.status)) {
    const field = PAYMENT_FIELDS.find((f) => params[f] !== undefined)!;
    throw unexpectedState('update', state.status, UNSETTLED, field);
  }
  assertDebitUpdate(state, params);
  assertCryptoUpdate(state, params);
  if (!state.crypto && (params.amount !== undefined || params.currency !== undefined)) {
    assertAmount(params.amount ?? state.amount, params.amount !== undefined ? 'amount' : 'currency', params.currency ?? state.currency);
  }
  const paymentMethodTypes = params.paymentMethodTypes ?? state.paymentMethodTypes;
  const paymentMethod = params.paymentMethod ?? state.paymentMethod;
  if (params.paymentMethod !== undefined || params.paymentMethodTypes !== undefined) {
    if (paymentMethod !== null) resolvePaymentMethod(paymentMethod, paymentMethodTypes);
  }

  let next: PaymentIntent = {
    ...state,
    amount: params.amount ?? state.amount,
    currency: params.currency ?? state.currency,
    captureMethod: params.captureMethod ?? state.captureMethod,
    paymentMethodTypes,
    paymentMethod,
    description: params.description !== undefined ? params.description : state.description,
    metadata: params.metadata !== undefined ? mergeMetadata(state.metadata, params.metadata) : state.metadata,
    receiptEmail: params.receiptEmail !== undefined ? params.receiptEmail : state.receiptEmail,
    statementDescriptor: params.statementDescriptor !== undefined ? params.statementDescriptor : state.statementDescriptor,
    customer: params.customer !== undefined ? params.customer : state.customer,
  };
  if (params.amount !== undefined || params.currency !== undefined) next = withCryptoAmount(next);
  if (!next.crypto && touchesPayment) {
    const field = (['paymentMethodTypes', 'currency', 'amount', 'captureMethod'] as const).find((f) => params[f] !== undefined);
    if (field) assertMethodsAccept(next.paymentMethodTypes, next, field, params.captureMethod !== undefined ? 'captureMethod' : field);
  }
  if (Object.keys(next.metadata).length > METADATA_MAX_KEYS) {
    throw invalid(
      'parameter_invalid',
      'metadata',
      `{{metadata}} can have at most ${METADATA_MAX_KEYS} keys; this update would leave ${Object.keys(next.metadata).length}.`,
    );
  }
  // Changing what is paid, or with what, invalidates a pending challenge and a passed one: the
  // customer authenticated the payment they were shown, so they confirm (and authenticate) again.
  if (touchesPayment) {
    next = { ...next, authenticatedPaymentMethod: null };
    if (next.paymentMethod !== null) next = { ...next, status: 'requires_confirmation', nextAction: null };
  }
  if (Object.keys(changedFields(state, next)).length === 0) return unchanged(state);
  return { state: next, events: [event('payment_intent.updated')], timers: [], paymentError: null };
}

/**
 * What a confirmation pays: the intent with the payer's amount and crypto choice applied, both
 * checked. Without either it is the intent itself.
 */
function confirming(state: PaymentIntent, command: ConfirmCommand): PaymentIntent {
  assertNotDebit(state, 'confirm');
  if (!CONFIRMABLE.includes(state.status)) throw unexpectedState('confirm', state.status, CONFIRMABLE);
  return withCryptoChoice(withPayerAmount(state, command.amount), command);
}

/**
 * The intent whose deposit address this confirmation hands out (the shell allocates it, reading its
 * network, before deciding), or null when it hands out none. Refuses what the confirmation would,
 * so that a refused one takes no address.
 */
export function depositToAllocate(state: PaymentIntent, command: ConfirmCommand): PaymentIntent | null {
  const paying = confirming(state, command);
  return paying.crypto !== null && paying.crypto.depositAddress === null ? paying : null;
}

function confirm(before: PaymentIntent, command: ConfirmCommand, now: number, settings: IntentSettings): Decision {
  const state = confirming(before, command);
  if (state.crypto) return confirmCrypto(state, state.crypto, command, now, settings);
  if (state.livemode) {
    throw invalid(
      'processor_not_configured',
      undefined,
      'Live-mode payments need a payment processor, and none is configured on this deployment. ' +
        'Use a test key (sk_test_…) with a test payment method such as pm_card_visa.',
    );
  }
  const paymentMethodId = command.paymentMethod ?? state.paymentMethod;
  if (paymentMethodId === null) {
    throw invalid(
      'parameter_missing',
      'paymentMethod',
      'You cannot confirm this PaymentIntent because it has no payment method. Pass {{paymentMethod}}.',
    );
  }
  const method = resolvePaymentMethod(paymentMethodId, state.paymentMethodTypes);
  assertMethodAccepts(method.type, state, 'paymentMethod');
  if (command.blikCode !== undefined && method.outcome.kind !== 'blik') {
    throw invalid('parameter_invalid', 'blikCode', `{{blikCode}} is for a blik payment method; ${method.id} is ${method.type}.`);
  }
  const attempt: PaymentIntent = {
    ...state,
    paymentMethod: method.id,
    lastPaymentError: null,
    nextAction: null,
  };

  const outcome = method.outcome;
  switch (outcome.kind) {
    case 'authorize':
      return authorized(attempt);
    case 'decline':
      return failed(attempt, method, 'card_declined', outcome.declineCode, outcome.message);
    case 'redirect':
      assertReturnUrl(method, command.returnUrl);
      return toAuthorize(attempt, method, command);
    case 'challenge':
      return toAuthorize(attempt, method, command);
    case 'blik': {
      if (command.blikCode === undefined) {
        throw invalid('parameter_missing', 'blikCode', 'A blik payment needs the six-digit code from the bank app: pass {{blikCode}}.');
      }
      if (!blikCodeApproved(command.blikCode)) {
        return failed(
          attempt,
          method,
          'payment_intent_payment_attempt_failed',
          'code_invalid',
          'The BLIK code is invalid or has expired. Ask the bank app for a new code and try again.',
        );
      }
      // The payer now approves in the bank app: in test mode the settle timer stands for that.
      return {
        state: { ...attempt, status: 'requires_action', nextAction: { type: 'blik_authorize' } },
        events: [event('payment_intent.requires_action')],
        timers: [{ kind: 'settle', at: now + settings.asyncSettleDelayMs }],
        paymentError: null,
      };
    }
    case 'bank_transfer':
      return {
        state: {
          ...attempt,
          status: 'requires_action',
          nextAction: { type: 'display_bank_transfer_instructions', reference: transferReference(state.id) },
        },
        events: [event('payment_intent.requires_action')],
        timers: [],
        paymentError: null,
      };
    case 'async':
      return {
        state: { ...attempt, status: 'processing' },
        events: [event('payment_intent.processing')],
        timers: [{ kind: 'settle', at: now + settings.asyncSettleDelayMs }],
        paymentError: null,
      };
  }
}

/**
 * A payment the payer authorizes elsewhere first (3-D Secure, or a redirect method's page): sent
 * there with a fresh link, unless this method has already been authorized for this payment (a
 * manual confirmation after the payer came back).
 */
function toAuthorize(attempt: PaymentIntent, method: TestPaymentMethod, command: ConfirmCommand): Decision {
  if (attempt.authenticatedPaymentMethod === method.id) return authorized(attempt);
  return {
    state: {
      ...attempt,
      status: 'requires_action',
      nextAction: { type: 'redirect_to_url', challengeToken: command.challengeToken, returnUrl: command.returnUrl ?? null },
    },
    events: [event('payment_intent.requires_action')],
    timers: [],
    paymentError: null,
  };
}

/**
 * The amount a payer chose at confirmation, within the intent's payerAmount; the token amount of a
 * crypto intent follows. Without one, or the same as now, the intent is unchanged.
 */
function withPayerAmount(state: PaymentIntent, amount: bigint | undefined): PaymentIntent {
  if (amount === undefined) return state;
  const bounds = state.payerAmount;
  if (bounds === null) {
    throw invalid(
      'parameter_invalid',
      'amount',
      "This PaymentIntent's {{amount}} is set by its merchant: the payer cannot choose it at confirmation.",
    );
  }
  if ((bounds.minimum !== null && amount < bounds.minimum) || (bounds.maximum !== null && amount > bounds.maximum)) {
    throw invalid(
      'parameter_invalid',
      'amount',
      `{{amount}} (${amount}) must be ${boundsText(bounds)} (in the smallest unit of ${state.currency}).`,
    );
  }
  if (amount === state.amount) return state;
  if (state.crypto?.depositAddress) {
    throw new DomainError({
      code: 'payment_intent_unexpected_state',
      operation: 'confirm',
      field: 'amount',
      currentStatus: state.status,
      detail: `The payer has been given a deposit address for ${state.crypto.amount} base units: {{amount}} can no longer change. Cancel it and create a new one.`,
    });
  }
  if (!state.crypto) assertAmount(amount, 'amount', state.currency);
  // A challenge passed for the old amount does not authenticate the new one.
  return withCryptoAmount({ ...state, amount, authenticatedPaymentMethod: null });
}

function boundsText(bounds: PayerAmount): string {
  if (bounds.minimum !== null && bounds.maximum !== null) return `between ${bounds.minimum} and ${bounds.maximum}`;
  if (bounds.minimum !== null) return `at least ${bounds.minimum}`;
  return `at most ${bounds.maximum}`;
}

function completeChallenge(state: PaymentIntent, outcome: 'succeeded' | 'failed'): Decision {
  if (state.status !== 'requires_action' || state.nextAction?.type !== 'redirect_to_url' || state.paymentMethod === null) {
    throw unexpectedState('authenticate', state.status, ['requires_action']);
  }
  const method = findTestPaymentMethod(state.paymentMethod)!;
  if (outcome === 'failed') {
    return failed(
      state,
      method,
      'payment_intent_authentication_failure',
      null,
      method.outcome.kind === 'redirect'
        ? `The customer did not authorize the ${method.type} payment. Provide a new payment method to attempt this payment again.`
        : 'The provided payment method failed authentication. Provide a new payment method to attempt this payment again.',
    );
  }
  const authenticated = { ...state, nextAction: null, authenticatedPaymentMethod: method.id };
  if (state.confirmationMethod === 'manual') {
    // With manual confirmation the merchant's server confirms again after authentication.
    return {
      state: { ...authenticated, status: 'requires_confirmation' },
      events: [event('payment_intent.updated')],
      timers: [],
      paymentError: null,
    };
  }
  return authorized(authenticated);
}

function settle(state: PaymentIntent): Decision {
  // Timers are at-least-once: a settle for an intent that already moved on is a no-op.
  // An accepted BLIK code: the payer approved the payment in the bank app.
  if (state.status === 'requires_action' && state.nextAction?.type === 'blik_authorize') return authorized(state);
  if (state.status !== 'processing' || state.paymentMethod === null) return unchanged(state);
  const method = findTestPaymentMethod(state.paymentMethod);
  if (method?.outcome.kind !== 'async') return unchanged(state);
  if (method.outcome.settles === 'failed') {
    return failed(state, method, 'insufficient_funds', null, 'The bank account has insufficient funds to complete the debit.');
  }
  return authorized(state);
}

function capture(state: PaymentIntent, amountToCapture: bigint | undefined): Decision {
  assertNotDebit(state, 'capture');
  if (state.status !== 'requires_capture') throw unexpectedState('capture', state.status, ['requires_capture']);
  const amount = amountToCapture ?? state.amountCapturable;
  if (amount <= 0n) {
    throw invalid('parameter_invalid', 'amountToCapture', '{{amountToCapture}} must be a positive integer.');
  }
  if (amount > state.amountCapturable) {
    throw invalid(
      'amount_too_large',
      'amountToCapture',
      `{{amountToCapture}} (${amount}) must be less than or equal to amount_capturable (${state.amountCapturable}).`,
    );
  }
  return {
    state: { ...state, status: 'succeeded', amountReceived: amount, amountCapturable: 0n },
    events: [event('payment_intent.succeeded')],
    timers: [],
    paymentError: null,
  };
}

function cancel(state: PaymentIntent, reason: CancellationReason | undefined, now: number, settings: IntentSettings): Decision {
  if (!CANCELABLE.includes(state.status)) throw unexpectedState('cancel', state.status, CANCELABLE);
  return {
    state: {
      ...state,
      crypto: state.crypto && stoppedWaiting(state.crypto, 'failed', now, settings),
      status: 'canceled',
      cancellationReason: reason ?? null,
      canceledAt: now,
      amountCapturable: 0n,
      nextAction: null,
    },
    events: [event('payment_intent.canceled')],
    // A crypto intent's watch becomes a late-funds watch.
    timers: state.crypto?.depositAddress ? [{ kind: 'watch', at: now }] : [],
    paymentError: null,
  };
}

/** The payment is authorized: captured at once, or held for a manual capture. */
function authorized(state: PaymentIntent): Decision {
  const base = { ...state, nextAction: null, lastPaymentError: null };
  if (state.captureMethod === 'manual') {
    return {
      state: { ...base, status: 'requires_capture', amountCapturable: state.amount },
      events: [event('payment_intent.amount_capturable_updated')],
      timers: [],
      paymentError: null,
    };
  }
  return {
    state: { ...base, status: 'succeeded', amountReceived: state.amount, amountCapturable: 0n },
    events: [event('payment_intent.succeeded')],
    timers: [],
    paymentError: null,
  };
}

/** A failed attempt returns the intent to requires_payment_method, keeping the error for the customer. */
function failed(state: PaymentIntent, method: TestPaymentMethod, code: string, declineCode: string | null, message: string): Decision {
  const paymentError: PaymentError = {
    type: method.type === 'card' ? 'card_error' : 'invalid_request_error',
    code,
    declineCode,
    message,
    paymentMethod: { id: method.id, type: method.type },
  };
  return {
    state: {
      ...state,
      status: 'requires_payment_method',
      paymentMethod: null,
      nextAction: null,
      lastPaymentError: paymentError,
    },
    events: [event('payment_intent.payment_failed')],
    timers: [],
    paymentError,
  };
}

function resolvePaymentMethod(id: string, allowedTypes: readonly PaymentMethodType[]): TestPaymentMethod {
  const method = findTestPaymentMethod(id);
  if (!method) {
    throw new DomainError({
      code: 'resource_missing',
      field: 'paymentMethod',
      resource: { type: 'payment_method', id },
      detail: `No such PaymentMethod: '${id}'`,
    });
  }
  if (!allowedTypes.includes(method.type)) {
    throw invalid(
      'payment_intent_incompatible_payment_method',
      'paymentMethod',
      `The PaymentMethod ${id} has type ${method.type}, which is not in this PaymentIntent's {{paymentMethodTypes}} (${allowedTypes.join(', ')}).`,
    );
  }
  return method;
}

/** A card-style amount: a supported ISO currency, at most eight digits of its minor unit. */
function assertAmount(amount: bigint, field: Field, currency: string): void {
  if (!isCurrency(currency)) {
    throw invalid(
      'parameter_invalid',
      'currency',
      `${JSON.stringify(currency)} is not a supported ISO 4217 currency code. Token codes (usdc, eth…) are for crypto PaymentIntents: pass {{paymentMethodTypes}} ["crypto"] and {{crypto}}.`,
    );
  }
  if (amount <= 0n) throw invalid('parameter_invalid', 'amount', '{{amount}} must be a positive integer.');
  if (amount > MAX_AMOUNT) {
    throw invalid('amount_too_large', field === 'currency' ? 'amount' : field, `{{amount}} must be at most ${MAX_AMOUNT} (eight digits).`);
  }
}
