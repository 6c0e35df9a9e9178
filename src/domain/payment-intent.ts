/**
 * The payment-intent state machine: pure functions of (state, command, now). No clock, network,
 * randomness or storage here — ids, tokens and time come in with the command, and the Durable
 * Object shell persists what comes out.
 */
import { bigintAsString } from '../lib/json.js';
import { isCurrency, MAX_AMOUNT } from './currency.js';
import {
  assess,
  MAX_TOKEN_AMOUNT,
  newCryptoPayment,
  setPhase,
  sumTransfers,
  tokenAmount,
  transferKey,
  uniqueTransfers,
  windowMs,
  type CryptoOptions,
  type CryptoPayment,
  type CryptoTransfer,
  type PayerSignature,
} from './crypto.js';
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
  'payment_intent.late_funds_received',
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

/** Waiting for an on-chain transfer; the details (address, amount, expiry) are in `crypto`. */
export interface CryptoTransferAction {
  type: 'crypto_transfer';
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
  /** An ISO 4217 code, or for a crypto intent the token's own code (usdc, eth). */
  currency: string;
  status: Status;
  captureMethod: CaptureMethod;
  confirmationMethod: ConfirmationMethod;
  clientSecret: string;
  paymentMethod: string | null;
  paymentMethodTypes: PaymentMethodType[];
  lastPaymentError: PaymentError | null;
  nextAction: ChallengeAction | CryptoTransferAction | null;
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
  /** The on-chain payment of a crypto intent (payment_method_types ["crypto"]); null otherwise. */
  crypto: CryptoPayment | null;
  /** Bumped by every change; the D1 read model only ever moves forward to a higher revision. */
  revision: number;
}

export interface CreateParams {
  amount: bigint;
  currency: string;
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
  /** payment_method_options.crypto, resolved against the configured chains. */
  crypto?: CryptoOptions;
}

/** Fields an update may set; `null` clears a field, metadata merges ("" deletes a key). */
export interface UpdateParams {
  amount?: bigint;
  currency?: string;
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
  /** For a crypto intent: the deposit address the shell allocated and the chain's head then. */
  deposit?: { address: string; index: number; startBlock: bigint };
}

/** What the intent's watcher saw on chain: every transfer to the deposit address still on chain. */
export interface ChainObservation {
  type: 'chain_observed';
  transfers: CryptoTransfer[];
  head: bigint;
  /** When the head was read: every block up to it has been scanned. */
  observedAt: number;
}

export type Command =
  | { type: 'update'; params: UpdateParams }
  | ConfirmCommand
  | { type: 'capture'; amountToCapture?: bigint }
  | { type: 'cancel'; reason?: CancellationReason }
  | { type: 'complete_challenge'; outcome: 'succeeded' | 'failed' }
  | { type: 'settle' }
  | ChainObservation
  /** A payer's EIP-712 signature, already verified by the shell. */
  | { type: 'record_signature'; signature: PayerSignature };

export interface DomainEvent {
  type: EventType;
  /** Wire-relevant fields whose values changed, with their values before the change. */
  previousAttributes: Partial<PaymentIntent>;
  /** The intent right after this event, when it is not the decision's final state (create + confirm in one call). */
  snapshot?: PaymentIntent;
}

/** Something the shell must do later: settle an asynchronous payment, or read the chain, at `at` (ms). */
export interface Timer {
  kind: 'settle' | 'poll';
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
  /** How long after a crypto intent stops waiting its address is still watched for late funds. */
  cryptoMonitorWindowMs: number;
  /** How often it is watched then. */
  cryptoLatePollMs: number;
}

/** Checked on the merged result of an update; the wire schema checks each request on its own. */
export const METADATA_MAX_KEYS = 50;

const UNSETTLED: readonly Status[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
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
): Decision {
  const paymentMethodTypes = params.paymentMethodTypes ?? (params.crypto ? ['crypto'] : ['card']);
  const crypto = cryptoPaymentFor(params, paymentMethodTypes, ids.livemode);
  if (!crypto) assertAmount(params.amount, 'amount', params.currency);
  if (params.paymentMethod !== undefined) resolvePaymentMethod(params.paymentMethod, paymentMethodTypes);
  const state: PaymentIntent = {
    ...ids,
    created: now,
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
      return cancel(state, command.reason, now, settings);
    case 'complete_challenge':
      return completeChallenge(state, command.outcome, now, settings);
    case 'settle':
      return settle(state);
    case 'chain_observed':
      return observe(state, command, settings);
    case 'record_signature':
      return recordSignature(state, command.signature);
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
    throw new DomainError(
      'payment_intent_unexpected_state',
      `You cannot update ${snake(field)} on this PaymentIntent because it has a status of ${state.status}. ` +
        `Only description, metadata and receipt_email can be updated once a payment is in flight; ` +
        `${snake(field)} may be updated while the status is one of: ${UNSETTLED.join(', ')}.`,
      snake(field),
      state.status,
    );
  }
  if (state.crypto) assertCryptoUpdate(state, params);
  else if (params.paymentMethodTypes?.includes('crypto')) {
    throw new DomainError(
      'parameter_invalid',
      'A PaymentIntent cannot become a crypto one: create a new PaymentIntent with payment_method_types ["crypto"] and payment_method_options[crypto].',
      'payment_method_types',
    );
  }
  if (!state.crypto && (params.amount !== undefined || params.currency !== undefined)) {
    assertAmount(params.amount ?? state.amount, params.amount !== undefined ? 'amount' : 'currency', params.currency ?? state.currency);
  }
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
  if (state.crypto && (params.amount !== undefined || params.currency !== undefined)) {
    next = { ...next, crypto: { ...state.crypto, amount: cryptoAmount(next.amount, next.currency, state.crypto) } };
  }
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
  if (state.crypto) return confirmCrypto(state, state.crypto, command, now);
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

function cancel(state: PaymentIntent, reason: CancellationReason | undefined, now: number, settings: Settings): Decision {
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

/** A card-style amount: a supported ISO currency, at most eight digits of its minor unit. */
function assertAmount(amount: bigint, param: string, currency: string): void {
  if (!isCurrency(currency)) {
    throw new DomainError(
      'parameter_invalid',
      `${JSON.stringify(currency)} is not a supported ISO 4217 currency code. Token codes (usdc, eth…) are for crypto PaymentIntents: pass payment_method_types ["crypto"] and payment_method_options[crypto].`,
      'currency',
    );
  }
  if (amount <= 0n) throw new DomainError('parameter_invalid', `amount must be a positive integer.`, 'amount');
  if (amount > MAX_AMOUNT) {
    throw new DomainError(
      'amount_too_large',
      `amount must be at most ${MAX_AMOUNT} (eight digits).`,
      param === 'currency' ? 'amount' : param,
    );
  }
}

// --- crypto ----------------------------------------------------------------------------------

const CRYPTO_OPTIONS_PARAM = 'payment_method_options[crypto]';

/** The crypto payment a create asks for, checked; null for a card-style intent. */
function cryptoPaymentFor(params: CreateParams, types: readonly PaymentMethodType[], livemode: boolean): CryptoPayment | null {
  if (!types.includes('crypto')) {
    if (params.crypto) {
      throw new DomainError(
        'parameter_invalid',
        `${CRYPTO_OPTIONS_PARAM} is only allowed with payment_method_types ["crypto"].`,
        CRYPTO_OPTIONS_PARAM,
      );
    }
    return null;
  }
  if (types.length > 1) {
    throw new DomainError(
      'parameter_invalid',
      'crypto cannot be combined with other payment method types: a crypto PaymentIntent is paid by one transfer on one network.',
      'payment_method_types',
    );
  }
  if (!params.crypto) {
    throw new DomainError(
      'parameter_missing',
      `A crypto PaymentIntent needs ${CRYPTO_OPTIONS_PARAM}[network] and ${CRYPTO_OPTIONS_PARAM}[token].`,
      `${CRYPTO_OPTIONS_PARAM}[network]`,
    );
  }
  if (params.paymentMethod !== undefined) throw noPaymentMethod();
  if (params.captureMethod === 'manual') throw noManualCapture();
  if (livemode && params.crypto.expiresIn !== null) {
    throw new DomainError(
      'parameter_invalid',
      'expires_in can only be set in test mode; live crypto payments have the 15-minute window.',
      `${CRYPTO_OPTIONS_PARAM}[expires_in]`,
    );
  }
  return newCryptoPayment(params.crypto, cryptoAmount(params.amount, params.currency, params.crypto));
}

/** The token amount due for `amount` in `currency`, exactly, within a uint256 (and eight digits for usd). */
function cryptoAmount(amount: bigint, currency: string, options: CryptoOptions): bigint {
  if (amount <= 0n) throw new DomainError('parameter_invalid', 'amount must be a positive integer.', 'amount');
  if (isCurrency(currency) && amount > MAX_AMOUNT) {
    throw new DomainError('amount_too_large', `amount must be at most ${MAX_AMOUNT} (eight digits of ${currency}).`, 'amount');
  }
  const due = tokenAmount(amount, currency, options.token);
  if (due > MAX_TOKEN_AMOUNT) {
    throw new DomainError('amount_too_large', `amount must fit an ERC-20 amount (at most 2^256 - 1 base units).`, 'amount');
  }
  return due;
}

function noPaymentMethod(): DomainError {
  return new DomainError(
    'parameter_invalid',
    'A crypto PaymentIntent takes no payment_method: it is paid by a transfer to the deposit address it gets when confirmed.',
    'payment_method',
  );
}

function noManualCapture(): DomainError {
  return new DomainError(
    'parameter_invalid',
    'An on-chain payment cannot be held for a later capture: use capture_method automatic.',
    'capture_method',
  );
}

function assertCryptoUpdate(state: PaymentIntent, params: UpdateParams): void {
  const types = params.paymentMethodTypes;
  if (types !== undefined && (types.length !== 1 || types[0] !== 'crypto')) {
    throw new DomainError(
      'parameter_invalid',
      'A crypto PaymentIntent keeps payment_method_types ["crypto"]: create a new PaymentIntent to be paid otherwise.',
      'payment_method_types',
    );
  }
  if (params.paymentMethod !== undefined) throw noPaymentMethod();
  if (params.captureMethod === 'manual') throw noManualCapture();
  const field = (['amount', 'currency'] as const).find((f) => params[f] !== undefined);
  if (field && state.crypto?.depositAddress) {
    throw new DomainError(
      'payment_intent_unexpected_state',
      `You cannot update ${field} on this PaymentIntent: the payer has been given a deposit address for ${state.crypto.amount} base units. Cancel it and create a new one.`,
      field,
      state.status,
    );
  }
}

function confirmCrypto(state: PaymentIntent, crypto: CryptoPayment, command: ConfirmCommand, now: number): Decision {
  if (command.paymentMethod !== undefined) throw noPaymentMethod();
  // Confirming again while it waits changes nothing: same address, same window.
  if (crypto.depositAddress !== null) return unchanged(state);
  if (!command.deposit) throw new Error('confirming a crypto intent needs the deposit address allocated by the shell');
  const expiresAt = now + windowMs(crypto);
  const payment: CryptoPayment = {
    ...crypto,
    depositAddress: command.deposit.address,
    depositIndex: command.deposit.index,
    startBlock: command.deposit.startBlock,
    expiresAt,
  };
  return {
    state: { ...state, status: 'requires_action', nextAction: { type: 'crypto_transfer' }, lastPaymentError: null, crypto: payment },
    events: [event('payment_intent.requires_action')],
    timers: [{ kind: 'poll', at: Math.min(now + crypto.pollIntervalMs, expiresAt) }],
    paymentError: null,
  };
}

/** The watch stops counting: phases close, and late funds are watched for a while longer. */
function stoppedWaiting(crypto: CryptoPayment, outcome: 'completed' | 'failed', now: number, settings: Settings): CryptoPayment {
  if (crypto.depositAddress === null) return crypto;
  let phases = crypto.phases;
  if (crypto.signature === null) phases = setPhase(phases, 'signature_verification', 'skipped', now);
  phases = setPhase(phases, 'blockchain_confirmation', outcome, now);
  // The deposit address is the merchant's own: confirmed funds are settled, there is nothing to move.
  phases = setPhase(phases, 'settlement', outcome === 'completed' ? 'completed' : 'skipped', now);
  return { ...crypto, phases, monitorUntil: now + settings.cryptoMonitorWindowMs };
}

/**
 * What the chain says about a crypto intent. While it waits: partially funded, processing (enough
 * seen, not yet confirmed), succeeded, back to waiting after a reorg, or abandoned at expiry. Once it
 * has stopped waiting: new transfers within the monitoring window are recorded as late funds.
 */
function observe(state: PaymentIntent, seen: ChainObservation, settings: Settings): Decision {
  const c = state.crypto;
  if (!c || c.depositAddress === null || c.expiresAt === null) return unchanged(state);
  const transfers = uniqueTransfers(seen.transfers);
  const known = new Set([...c.transfers, ...c.late].map(transferKey));
  const events: DomainEvent[] = [];
  let next: PaymentIntent;

  if (state.status === 'requires_action' || state.status === 'processing') {
    const expiresAt = c.expiresAt;
    const a = assess(
      { amount: c.amount, confirmationsRequired: c.confirmationsRequired, expiresAt },
      transfers,
      seen.head,
      seen.observedAt,
    );
    const inTime = transfers.filter((t) => t.at <= expiresAt);
    const freshLate = transfers.filter((t) => t.at > expiresAt && !known.has(transferKey(t)));
    let crypto: CryptoPayment = {
      ...c,
      transfers: inTime,
      seen: a.kind === 'succeeded' ? sumTransfers(inTime) : a.seen,
      confirmed: a.kind === 'succeeded' ? a.received : a.confirmed,
      late: [...c.late, ...freshLate],
    };
    if (inTime.length > 0)
      crypto = { ...crypto, phases: setPhase(crypto.phases, 'blockchain_confirmation', 'in_progress', seen.observedAt) };
    next = { ...state, crypto };
    switch (a.kind) {
      case 'waiting':
        if (state.status === 'processing') {
          // What was seen is gone (a reorg): the payer's transfer is no longer on chain.
          next = { ...next, status: 'requires_action', nextAction: { type: 'crypto_transfer' } };
          events.push(event('payment_intent.requires_action'));
        } else if (a.seen > c.seen) {
          events.push(event('payment_intent.partially_funded'));
        }
        break;
      case 'processing':
        if (state.status !== 'processing') {
          next = { ...next, status: 'processing', nextAction: null };
          events.push(event('payment_intent.processing'));
        }
        break;
      case 'succeeded':
        next = {
          ...next,
          status: 'succeeded',
          nextAction: null,
          amountReceived: state.amount,
          crypto: stoppedWaiting({ ...crypto, received: a.received, excess: a.excess }, 'completed', seen.observedAt, settings),
        };
        events.push(event('payment_intent.succeeded'));
        break;
      case 'expired':
        next = {
          ...next,
          status: 'canceled',
          cancellationReason: 'abandoned',
          canceledAt: seen.observedAt,
          nextAction: null,
          crypto: {
            ...stoppedWaiting(crypto, 'failed', seen.observedAt, settings),
            monitorUntil: expiresAt + settings.cryptoMonitorWindowMs,
          },
        };
        events.push(event('payment_intent.canceled'));
        break;
    }
    if (freshLate.length > 0) events.push(event('payment_intent.late_funds_received'));
  } else {
    if (c.monitorUntil === null || seen.observedAt > c.monitorUntil) return unchanged(state);
    const fresh = transfers.filter((t) => !known.has(transferKey(t)));
    if (fresh.length === 0) return unchanged(state);
    next = { ...state, crypto: { ...c, late: [...c.late, ...fresh] } };
    events.push(event('payment_intent.late_funds_received'));
  }
  if (events.length === 0 && Object.keys(changedFields(state, next)).length === 0) return unchanged(state);
  return { state: next, events, timers: [], paymentError: null };
}

function recordSignature(state: PaymentIntent, signature: PayerSignature): Decision {
  const c = state.crypto;
  if (!c || c.depositAddress === null) {
    throw new DomainError(
      'payment_intent_unexpected_state',
      'Only a confirmed crypto PaymentIntent (with a deposit address) can take a payer signature.',
      undefined,
      state.status,
    );
  }
  if (state.status !== 'requires_action' && state.status !== 'processing') {
    throw unexpectedState('sign', state.status, ['requires_action', 'processing']);
  }
  if (c.signature) {
    if (c.signature.signature.toLowerCase() === signature.signature.toLowerCase()) return unchanged(state);
    throw new DomainError(
      'parameter_invalid',
      `A payer signature by ${c.signature.signer} is already recorded for this PaymentIntent.`,
      'signature',
    );
  }
  const phases = setPhase(
    setPhase(c.phases, 'signature_verification', 'in_progress', signature.verifiedAt),
    'signature_verification',
    'completed',
    signature.verifiedAt,
  );
  return {
    state: { ...state, crypto: { ...c, signature, phases } },
    events: [event('payment_intent.updated')],
    timers: [],
    paymentError: null,
  };
}

/** The longest wait between late-funds checks, however long ago the intent stopped waiting. */
export const LATE_POLL_MAX_MS = 15 * 60_000;

/**
 * When the shell should read the chain next: at the poll interval while the intent waits (and at
 * the very moment it expires); while late funds are watched for, every cryptoLatePollMs at first,
 * then a tenth of the time since it stopped waiting (at most 15 minutes: about 120 reads over 24 h
 * instead of 1,440); then never.
 */
export function nextPoll(intent: PaymentIntent, now: number, settings: Settings): number | null {
  const c = intent.crypto;
  if (!c || c.depositAddress === null || c.expiresAt === null) return null;
  if (intent.status === 'requires_action' || intent.status === 'processing') {
    const next = now + c.pollIntervalMs;
    return c.expiresAt > now ? Math.min(next, c.expiresAt) : next;
  }
  if (c.monitorUntil !== null && now < c.monitorUntil) {
    const stoppedAt = c.monitorUntil - settings.cryptoMonitorWindowMs;
    const interval = Math.max(settings.cryptoLatePollMs, Math.min(Math.floor((now - stoppedAt) / 10), LATE_POLL_MAX_MS));
    return Math.min(now + interval, c.monitorUntil);
  }
  return null;
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
  'amount',
  'amountCapturable',
  'amountReceived',
  'currency',
  'status',
  'captureMethod',
  'confirmationMethod',
  'paymentMethod',
  'paymentMethodTypes',
  'lastPaymentError',
  'nextAction',
  'cancellationReason',
  'canceledAt',
  'description',
  'metadata',
  'receiptEmail',
  'statementDescriptor',
  'customer',
  'notificationUrl',
  'crypto',
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
  return JSON.stringify(a, bigintAsString) === JSON.stringify(b, bigintAsString);
}

function snake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
