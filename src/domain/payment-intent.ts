/**
 * The payment-intent state machine: pure functions of (state, command, now). No clock, network,
 * randomness or storage here — ids, tokens and time come in with the command, and the Durable
 * Object shell persists what comes out.
 */
import type { Currency } from './currency.js';
import { MAX_AMOUNT } from './currency.js';
import { DomainError, unexpectedState } from './errors.js';
import { findTestPaymentMethod, type PaymentMethodType, type TestPaymentMethod } from './test-payment-methods.js';

export const STATUSES = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'succeeded',
  'canceled',
] as const;
export type Status = (typeof STATUSES)[number];

export const CAPTURE_METHODS = ['automatic', 'automatic_async', 'manual'] as const;
export type CaptureMethod = (typeof CAPTURE_METHODS)[number];

export const CONFIRMATION_METHODS = ['automatic', 'manual'] as const;
export type ConfirmationMethod = (typeof CONFIRMATION_METHODS)[number];

export const CANCELLATION_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];

export const EVENT_TYPES = [
  'payment_intent.created',
  'payment_intent.updated',
  'payment_intent.amount_capturable_updated',
  'payment_intent.canceled',
  'payment_intent.partially_funded',
  'payment_intent.payment_failed',
  'payment_intent.processing',
  'payment_intent.requires_action',
  'payment_intent.succeeded',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface PaymentError {
  type: 'card_error' | 'invalid_request_error';
  code: string;
  declineCode: string | null;
  message: string;
  paymentMethod: { id: string; type: PaymentMethodType };
}

/** A pending 3-D Secure challenge; the URL is built from the token by the HTTP layer. */
export interface ChallengeAction {
  type: 'redirect_to_url';
  challengeToken: string;
  returnUrl: string | null;
}

export interface PaymentIntent {
  id: string;
  merchantId: string;
  livemode: boolean;
  /** Milliseconds since the epoch. */
  created: number;
  amount: bigint;
  amountCapturable: bigint;
  amountReceived: bigint;
  currency: Currency;
  status: Status;
  captureMethod: CaptureMethod;
  confirmationMethod: ConfirmationMethod;
  clientSecret: string;
  paymentMethod: string | null;
  paymentMethodTypes: PaymentMethodType[];
  lastPaymentError: PaymentError | null;
  nextAction: ChallengeAction | null;
  cancellationReason: CancellationReason | null;
  canceledAt: number | null;
  description: string | null;
  metadata: Record<string, string>;
  receiptEmail: string | null;
  statementDescriptor: string | null;
  customer: string | null;
  /** A per-intent callback (Paytree's notification_url) that receives this intent's events. */
  notificationUrl: string | null;
  /** A payment method whose 3-D Secure challenge has been passed, so a manual re-confirm may proceed. */
  authenticatedPaymentMethod: string | null;
  /** Bumped by every change; the D1 read model only ever moves forward to a higher revision. */
  revision: number;
}

export interface CreateParams {
  amount: bigint;
  currency: Currency;
  captureMethod?: CaptureMethod;
  confirmationMethod?: ConfirmationMethod;
  paymentMethod?: string;
  paymentMethodTypes?: PaymentMethodType[];
  description?: string;
  metadata?: Record<string, string>;
  receiptEmail?: string;
  statementDescriptor?: string;
  customer?: string;
  notificationUrl?: string;
}

/** Fields an update may set; `null` clears a field, metadata merges ("" deletes a key). */
export interface UpdateParams {
  amount?: bigint;
  currency?: Currency;
  captureMethod?: CaptureMethod;
  paymentMethod?: string;
  paymentMethodTypes?: PaymentMethodType[];
  description?: string | null;
  metadata?: Record<string, string> | null;
  receiptEmail?: string | null;
  statementDescriptor?: string | null;
  customer?: string | null;
}

export interface ConfirmCommand {
  type: 'confirm';
  paymentMethod?: string;
  returnUrl?: string;
  /** Fresh randomness for the challenge link, should this attempt need one. */
  challengeToken: string;
}

export type Command =
  | { type: 'update'; params: UpdateParams }
  | ConfirmCommand
  | { type: 'capture'; amountToCapture?: bigint }
  | { type: 'cancel'; reason?: CancellationReason }
  | { type: 'complete_challenge'; outcome: 'succeeded' | 'failed' }
  | { type: 'settle' };

export interface DomainEvent {
  type: EventType;
  /** Wire-relevant fields whose values changed, with their values before the change. */
  previousAttributes: Partial<PaymentIntent>;
  /** The intent right after this event, when it is not the decision's final state (create + confirm in one call). */
  snapshot?: PaymentIntent;
}

/** Something the shell must do later: settle an asynchronous payment at `at` (ms). */
export interface Timer {
  kind: 'settle';
  at: number;
}

export interface Decision {
  state: PaymentIntent;
  events: DomainEvent[];
  timers: Timer[];
  /** Set when a payment attempt failed: the HTTP layer answers 402 with it, the state still commits. */
  paymentError: PaymentError | null;
}

export interface Settings {
  /** How long an asynchronous (bank debit) payment stays in processing before it settles. */
  asyncSettleDelayMs: number;
}

/** Checked on the merged result of an update; the wire schema checks each request on its own. */
export const METADATA_MAX_KEYS = 50;

const UNSETTLED: readonly Status[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const CONFIRMABLE: readonly Status[] = UNSETTLED;
const CANCELABLE: readonly Status[] = [...UNSETTLED, 'requires_capture'];
/** Fields that describe the payment itself: only editable before it is in flight. */
const PAYMENT_FIELDS = ['amount', 'currency', 'captureMethod', 'paymentMethod', 'paymentMethodTypes', 'statementDescriptor', 'customer'] as const;

export function createPaymentIntent(
  ids: { id: string; clientSecret: string; merchantId: string; livemode: boolean },
  params: CreateParams,
  now: number,
): Decision {
  assertAmount(params.amount, 'amount');
  const paymentMethodTypes = params.paymentMethodTypes ?? ['card'];
  if (params.paymentMethod !== undefined) resolvePaymentMethod(params.paymentMethod, paymentMethodTypes);
  const state: PaymentIntent = {
    ...ids,
    created: now,
    amount: params.amount,
    amountCapturable: 0n,
    amountReceived: 0n,
    currency: params.currency,
    status: params.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
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
    revision: 1,
  };
  return { state, events: [{ type: 'payment_intent.created', previousAttributes: {} }], timers: [], paymentError: null };
}

/** Applies one command. Throws DomainError when the command is not allowed; the state is then untouched. */
export function decide(state: PaymentIntent, command: Command, now: number, settings: Settings): Decision {
  const decision = apply(state, command, now, settings);
  if (decision.state === state) return decision;
  const next = { ...decision.state, revision: state.revision + 1 };
  const previousAttributes = changedFields(state, next);
  return {
    ...decision,
    state: next,
    events: decision.events.map((e) => ({ ...e, previousAttributes })),
  };
}

function apply(state: PaymentIntent, command: Command, now: number, settings: Settings): Decision {
  switch (command.type) {
    case 'update':
      return update(state, command.params);
    case 'confirm':
      return confirm(state, command, now, settings);
    case 'capture':
      return capture(state, command.amountToCapture);
    case 'cancel':
      return cancel(state, command.reason, now);
    case 'complete_challenge':
      return completeChallenge(state, command.outcome, now, settings);
    case 'settle':
      return settle(state);
  }
}

function update(state: PaymentIntent, params: UpdateParams): Decision {
  if (state.status === 'canceled') {
    throw unexpectedState('update', state.status, STATUSES.filter((s) => s !== 'canceled'));
  }
  const touchesPayment = PAYMENT_FIELDS.some((f) => params[f] !== undefined);
  if (touchesPayment && !UNSETTLED.includes(state.status)) {
    const field = PAYMENT_FIELDS.find((f) => params[f] !== undefined)!;
    throw new DomainError(
      'payment_intent_unexpected_state',
      `You cannot update ${snake(field)} on this PaymentIntent because it has a status of ${state.status}. ` +
        `Only description, metadata and receipt_email can be updated once a payment is in flight; ` +
        `${snake(field)} may be updated while the status is one of: ${UNSETTLED.join(', ')}.`,
      snake(field),
      state.status,
    );
  }
  if (params.amount !== undefined) assertAmount(params.amount, 'amount');
  const paymentMethodTypes = params.paymentMethodTypes ?? state.paymentMethodTypes;
  const paymentMethod = params.paymentMethod ?? state.paymentMethod;
  if (params.paymentMethod !== undefined || params.paymentMethodTypes !== undefined) {
    if (paymentMethod !== null) resolvePaymentMethod(paymentMethod, paymentMethodTypes, 'payment_method');
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
  if (Object.keys(next.metadata).length > METADATA_MAX_KEYS) {
    throw new DomainError(
      'parameter_invalid',
      `metadata can have at most ${METADATA_MAX_KEYS} keys; this update would leave ${Object.keys(next.metadata).length}.`,
      'metadata',
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

function confirm(state: PaymentIntent, command: ConfirmCommand, now: number, settings: Settings): Decision {
  if (!CONFIRMABLE.includes(state.status)) throw unexpectedState('confirm', state.status, CONFIRMABLE);
  if (state.livemode) {
    throw new DomainError(
      'processor_not_configured',
      'Live-mode payments need a payment processor, and none is configured on this deployment. ' +
        'Use a test key (sk_test_…) with a test payment method such as pm_card_visa.',
    );
  }
  const paymentMethodId = command.paymentMethod ?? state.paymentMethod;
  if (paymentMethodId === null) {
    throw new DomainError(
      'parameter_missing',
      'You cannot confirm this PaymentIntent because it has no payment method. Pass payment_method.',
      'payment_method',
    );
  }
  const method = resolvePaymentMethod(paymentMethodId, state.paymentMethodTypes, 'payment_method');
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
    case 'challenge':
      if (state.authenticatedPaymentMethod === method.id) return authorized(attempt);
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
    case 'async':
      return {
        state: { ...attempt, status: 'processing' },
        events: [event('payment_intent.processing')],
        timers: [{ kind: 'settle', at: now + settings.asyncSettleDelayMs }],
        paymentError: null,
      };
  }
}

function completeChallenge(state: PaymentIntent, outcome: 'succeeded' | 'failed', _now: number, _settings: Settings): Decision {
  if (state.status !== 'requires_action' || state.nextAction === null || state.paymentMethod === null) {
    throw unexpectedState('authenticate', state.status, ['requires_action']);
  }
  const method = findTestPaymentMethod(state.paymentMethod)!;
  if (outcome === 'failed') {
    return failed(
      state,
      method,
      'payment_intent_authentication_failure',
      null,
      'The provided payment method failed authentication. Provide a new payment method to attempt this payment again.',
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
  if (state.status !== 'processing' || state.paymentMethod === null) return unchanged(state);
  const method = findTestPaymentMethod(state.paymentMethod);
  if (method?.outcome.kind !== 'async') return unchanged(state);
  if (method.outcome.settles === 'failed') {
    return failed(state, method, 'insufficient_funds', null, 'The bank account has insufficient funds to complete the debit.');
  }
  return authorized(state);
}

function capture(state: PaymentIntent, amountToCapture: bigint | undefined): Decision {
  if (state.status !== 'requires_capture') throw unexpectedState('capture', state.status, ['requires_capture']);
  const amount = amountToCapture ?? state.amountCapturable;
  if (amount <= 0n) {
    throw new DomainError('parameter_invalid', 'amount_to_capture must be a positive integer.', 'amount_to_capture');
  }
  if (amount > state.amountCapturable) {
    throw new DomainError(
      'amount_too_large',
      `amount_to_capture (${amount}) must be less than or equal to amount_capturable (${state.amountCapturable}).`,
      'amount_to_capture',
    );
  }
  return {
    state: { ...state, status: 'succeeded', amountReceived: amount, amountCapturable: 0n },
    events: [event('payment_intent.succeeded')],
    timers: [],
    paymentError: null,
  };
}

function cancel(state: PaymentIntent, reason: CancellationReason | undefined, now: number): Decision {
  if (!CANCELABLE.includes(state.status)) throw unexpectedState('cancel', state.status, CANCELABLE);
  return {
    state: {
      ...state,
      status: 'canceled',
      cancellationReason: reason ?? null,
      canceledAt: now,
      amountCapturable: 0n,
      nextAction: null,
    },
    events: [event('payment_intent.canceled')],
    timers: [],
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

function resolvePaymentMethod(id: string, allowedTypes: readonly PaymentMethodType[], param = 'payment_method'): TestPaymentMethod {
  const method = findTestPaymentMethod(id);
  if (!method) throw new DomainError('resource_missing', `No such PaymentMethod: '${id}'`, param);
  if (!allowedTypes.includes(method.type)) {
    throw new DomainError(
      'payment_intent_incompatible_payment_method',
      `The PaymentMethod ${id} has type ${method.type}, which is not in this PaymentIntent's payment_method_types (${allowedTypes.join(', ')}).`,
      param,
    );
  }
  return method;
}

function assertAmount(amount: bigint, param: string): void {
  if (amount <= 0n) throw new DomainError('parameter_invalid', `${param} must be a positive integer.`, param);
  if (amount > MAX_AMOUNT) {
    throw new DomainError('amount_too_large', `${param} must be at most ${MAX_AMOUNT} (eight digits).`, param);
  }
}

/** Stripe's metadata update: keys merge, "" removes a key, null (or "" for the whole field) clears all. */
export function mergeMetadata(current: Record<string, string>, patch: Record<string, string> | null): Record<string, string> {
  if (patch === null) return {};
  const merged = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

function unchanged(state: PaymentIntent): Decision {
  return { state, events: [], timers: [], paymentError: null };
}

function event(type: EventType): DomainEvent {
  return { type, previousAttributes: {} };
}

/** Fields that a client can see, compared by value, with their values before the change. */
const VISIBLE_FIELDS = [
  'amount', 'amountCapturable', 'amountReceived', 'currency', 'status', 'captureMethod', 'confirmationMethod',
  'paymentMethod', 'paymentMethodTypes', 'lastPaymentError', 'nextAction', 'cancellationReason', 'canceledAt',
  'description', 'metadata', 'receiptEmail', 'statementDescriptor', 'customer', 'notificationUrl',
] as const satisfies readonly (keyof PaymentIntent)[];

export function changedFields(before: PaymentIntent, after: PaymentIntent): DomainEvent['previousAttributes'] {
  const changed: DomainEvent['previousAttributes'] = {};
  for (const field of VISIBLE_FIELDS) {
    if (!sameValue(before[field], after[field])) Object.assign(changed, { [field]: before[field] });
  }
  return changed;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function snake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
