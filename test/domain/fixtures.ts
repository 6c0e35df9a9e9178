/**
 * Shared fixtures for the pure domain tests: intents are reached through real transitions (never
 * hand-built), so a fixture in a given status is exactly what a client could have produced.
 */
import { expect } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { createPaymentIntent, decide } from '../../src/domain/payment-intent.js';
import type { CaptureMethod, ConfirmationMethod, Status } from '../../src/domain/status.js';
import type { Command, CreateParams, Decision, PaymentIntent, IntentSettings as Settings } from '../../src/domain/intent.js';

export const NOW = 1_700_000_000_000;
/** When commands after creation happen; distinct from NOW so "= now" assertions can fail. */
export const LATER = NOW + 61_234;
export const SETTINGS: Settings = {
  asyncSettleDelayMs: 86_400_000,
  cryptoMonitorWindowMs: 86_400_000,
  refundSettleDelayMs: 5_000,
  disputeReviewDelayMs: 5_000,
  escrowHoldSeconds: 604_800,
  escrowHeldPollMs: 60_000,
};
/** The ids a command may use, as the shell draws them (freshIds). */
export const FRESH = { chargeId: 'ch_test_1', refundId: 're_test_1', disputeId: 'dp_test_1' };
export const IDS = { id: 'pi_test_1', clientSecret: 'pi_test_1_secret_abc', merchantId: 'acct_test', livemode: false };
export const AMOUNT = 2000n;

/** A fresh test-mode intent of 2000 (minor units) usd that accepts cards and bank debits. */
export function created(params: Partial<CreateParams> = {}, ids: Partial<typeof IDS> = {}): PaymentIntent {
  return createPaymentIntent(
    { ...IDS, ...ids },
    { amount: AMOUNT, currency: 'usd', paymentMethodTypes: ['card', 'us_bank_account'], ...params },
    NOW,
  ).state;
}

/**
 * decide() at LATER with SETTINGS, additionally checking that the input state was left as it was
 * (the shell keeps the old state if committing fails, so decide must never write into it).
 */
export function step(state: PaymentIntent, command: Command, now = LATER, settings = SETTINGS): Decision {
  const before = structuredClone(state);
  try {
    return decide(state, command, now, settings, FRESH);
  } finally {
    expect(state).toStrictEqual(before);
  }
}

export function confirmWith(paymentMethod?: string, extra: { returnUrl?: string; challengeToken?: string } = {}): Command {
  return { type: 'confirm', paymentMethod, returnUrl: extra.returnUrl, challengeToken: extra.challengeToken ?? 'tok_challenge_1' };
}

export interface ReachOptions {
  captureMethod?: CaptureMethod;
  confirmationMethod?: ConfirmationMethod;
}

/** An intent in `status`, reached from creation through the commands a client would send. */
export function reach(status: Status, options: ReachOptions = {}): PaymentIntent {
  const base = { captureMethod: options.captureMethod, confirmationMethod: options.confirmationMethod };
  let state: PaymentIntent;
  switch (status) {
    case 'requires_payment_method':
      state = created(base);
      break;
    case 'requires_confirmation':
      state = created({ ...base, paymentMethod: 'pm_card_visa' });
      break;
    case 'requires_action':
      state = step(created({ ...base, paymentMethod: 'pm_card_threeDSecure2Required' }), confirmWith()).state;
      break;
    case 'processing':
      state = step(created({ ...base, paymentMethod: 'pm_usBankAccount' }), confirmWith()).state;
      break;
    case 'requires_capture':
      state = step(created({ ...base, captureMethod: 'manual', paymentMethod: 'pm_card_visa' }), confirmWith()).state;
      break;
    case 'succeeded':
      state = step(created({ ...base, paymentMethod: 'pm_card_visa' }), confirmWith()).state;
      break;
    case 'canceled':
      state = step(created(base), { type: 'cancel' }).state;
      break;
  }
  // Guards the fixture itself: a table row must start where it says it does.
  expect(state.status).toBe(status);
  return state;
}

/** The DomainError a refused command throws; fails the test if the command was accepted or threw something else. */
export function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, but the command was accepted');
}

/** Asserts every amount on the intent is a bigint (never a number or a string). */
export function expectBigintAmounts(state: PaymentIntent): void {
  expect(typeof state.amount).toBe('bigint');
  expect(typeof state.amountCapturable).toBe('bigint');
  expect(typeof state.amountReceived).toBe('bigint');
}

export const ALL_STATUSES: readonly Status[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'succeeded',
  'canceled',
];
