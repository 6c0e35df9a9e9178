import { describe, expect, it } from 'vitest';
import type { ChargeStatus } from '../../src/domain/charge.js';
import type { CaptureMethod, EventType, Status } from '../../src/domain/status.js';
import type { PaymentIntent } from '../../src/domain/intent.js';
import { AMOUNT, confirmWith, created, expectBigintAmounts, FRESH, LATER, reach, refusal, SETTINGS, step } from './fixtures.js';

/** What confirming with each test payment method leads to, per capture method. */
interface Outcome {
  pm: string;
  captureMethod: CaptureMethod;
  status: Status;
  event: EventType;
  /** The attempt's charge and its event, as Stripe sends it; none for a challenge (nothing reached the network yet). */
  charge: { status: ChargeStatus; captured: boolean; event: EventType } | null;
  amountReceived: bigint;
  amountCapturable: bigint;
  /** Whether the payment method stays attached (a decline detaches it). */
  keepsPaymentMethod: boolean;
  declineCode?: string;
  settleTimer?: boolean;
  challenge?: boolean;
}

const succeeds = (pm: string, captureMethod: CaptureMethod): Outcome => ({
  pm,
  captureMethod,
  status: 'succeeded',
  event: 'payment_intent.succeeded',
  charge: { status: 'succeeded', captured: true, event: 'charge.succeeded' },
  amountReceived: AMOUNT,
  amountCapturable: 0n,
  keepsPaymentMethod: true,
});
const held = (pm: string): Outcome => ({
  pm,
  captureMethod: 'manual',
  status: 'requires_capture',
  event: 'payment_intent.amount_capturable_updated',
  charge: { status: 'succeeded', captured: false, event: 'charge.succeeded' },
  amountReceived: 0n,
  amountCapturable: AMOUNT,
  keepsPaymentMethod: true,
});
const declines = (pm: string, declineCode: string, captureMethod: CaptureMethod): Outcome => ({
  pm,
  captureMethod,
  status: 'requires_payment_method',
  event: 'payment_intent.payment_failed',
  charge: { status: 'failed', captured: false, event: 'charge.failed' },
  amountReceived: 0n,
  amountCapturable: 0n,
  keepsPaymentMethod: false,
  declineCode,
});
const challenged = (captureMethod: CaptureMethod): Outcome => ({
  pm: 'pm_card_threeDSecure2Required',
  captureMethod,
  status: 'requires_action',
  event: 'payment_intent.requires_action',
  charge: null,
  amountReceived: 0n,
  amountCapturable: 0n,
  keepsPaymentMethod: true,
  challenge: true,
});
const processing = (pm: string, captureMethod: CaptureMethod): Outcome => ({
  pm,
  captureMethod,
  status: 'processing',
  event: 'payment_intent.processing',
  charge: { status: 'pending', captured: false, event: 'charge.pending' },
  amountReceived: 0n,
  amountCapturable: 0n,
  keepsPaymentMethod: true,
  settleTimer: true,
});

const OUTCOMES: Outcome[] = [
  succeeds('pm_card_visa', 'automatic'),
  succeeds('pm_card_visa', 'automatic_async'),
  held('pm_card_visa'),
  succeeds('pm_card_mastercard', 'automatic'),
  held('pm_card_mastercard'),
  declines('pm_card_chargeDeclined', 'generic_decline', 'automatic'),
  declines('pm_card_chargeDeclined', 'generic_decline', 'manual'),
  declines('pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds', 'automatic'),
  challenged('automatic'),
  challenged('manual'),
  processing('pm_usBankAccount', 'automatic'),
  processing('pm_usBankAccount_insufficientFunds', 'automatic'),
];

/** Ways to arrive at a confirm: the payment method comes with the confirm, or was attached earlier. */
const STARTS: { name: string; setup: (o: Outcome) => PaymentIntent; pmOnConfirm: (o: Outcome) => string | undefined }[] = [
  {
    name: 'requires_payment_method, payment method passed to confirm',
    setup: (o) => created({ captureMethod: o.captureMethod }),
    pmOnConfirm: (o) => o.pm,
  },
  {
    name: 'requires_confirmation, payment method attached at create',
    setup: (o) => created({ captureMethod: o.captureMethod, paymentMethod: o.pm }),
    pmOnConfirm: () => undefined,
  },
  {
    name: 'requires_confirmation, confirm replaces the attached payment method',
    setup: (o) => created({ captureMethod: o.captureMethod, paymentMethod: 'pm_card_mastercard' }),
    pmOnConfirm: (o) => o.pm,
  },
  {
    name: 'requires_action, confirm with a payment method instead of passing the challenge',
    setup: (o) => reach('requires_action', { captureMethod: o.captureMethod }),
    pmOnConfirm: (o) => o.pm,
  },
];

describe.each(STARTS)('confirm from $name', ({ setup, pmOnConfirm }) => {
  it.each(OUTCOMES)('$pm ($captureMethod capture) → $status', (o) => {
    const before = setup(o);
    const decision = step(before, confirmWith(pmOnConfirm(o), { challengeToken: 'tok_new', returnUrl: 'https://shop.example/done' }));
    const { state } = decision;

    expect(state.status).toBe(o.status);
    expect(decision.events.map((e) => e.type)).toEqual(o.charge ? [o.event, o.charge.event] : [o.event]);
    expect(state.charges.slice(before.charges.length).map((c) => ({ status: c.status, captured: c.captured }))).toEqual(
      o.charge ? [{ status: o.charge.status, captured: o.charge.captured }] : [],
    );
    expect(state.amount).toBe(AMOUNT);
    expect(state.amountReceived).toBe(o.amountReceived);
    expect(state.amountCapturable).toBe(o.amountCapturable);
    expectBigintAmounts(state);
    expect(state.paymentMethod).toBe(o.keepsPaymentMethod ? o.pm : null);
    expect(state.revision).toBe(before.revision + 1);

    if (o.declineCode) {
      const expectedError = {
        type: 'card_error',
        code: 'card_declined',
        declineCode: o.declineCode,
        message: expect.any(String),
        paymentMethod: { id: o.pm, type: 'card' },
      };
      expect(state.lastPaymentError).toEqual(expectedError);
      expect(decision.paymentError).toEqual(state.lastPaymentError);
    } else {
      expect(state.lastPaymentError).toBeNull();
      expect(decision.paymentError).toBeNull();
    }

    expect(state.nextAction).toEqual(
      o.challenge ? { type: 'redirect_to_url', challengeToken: 'tok_new', returnUrl: 'https://shop.example/done' } : null,
    );
    expect(decision.timers).toEqual(o.settleTimer ? [{ kind: 'settle', at: LATER + SETTINGS.asyncSettleDelayMs }] : []);
  });
});

/** An event about the attempt's charge: it shows the charge, so it carries no previous attributes of the intent. */
const chargeEvent = (type: EventType) => ({ type, previousAttributes: {}, subject: { kind: 'charge', id: FRESH.chargeId } });

describe('confirm details', () => {
  it('reports exactly the fields that changed, with their old values, on a successful card payment', () => {
    const decision = step(created({ paymentMethod: 'pm_card_visa' }), confirmWith());
    expect(decision.events).toEqual([
      { type: 'payment_intent.succeeded', previousAttributes: { status: 'requires_confirmation', amountReceived: 0n } },
      chargeEvent('charge.succeeded'),
    ]);
  });

  it('reports the attached payment method as previously null when it comes with the confirm', () => {
    const decision = step(created(), confirmWith('pm_card_visa'));
    expect(decision.events[0]?.previousAttributes).toEqual({
      status: 'requires_payment_method',
      paymentMethod: null,
      amountReceived: 0n,
    });
  });

  it('reports only last_payment_error as changed when a decline leaves the status and payment method as they were', () => {
    const decision = step(created(), confirmWith('pm_card_chargeDeclined'));
    expect(decision.state.status).toBe('requires_payment_method');
    expect(decision.events).toEqual([
      { type: 'payment_intent.payment_failed', previousAttributes: { lastPaymentError: null } },
      chargeEvent('charge.failed'),
    ]);
  });

  it('puts the amount on hold for a manual capture and says the capturable amount changed', () => {
    const decision = step(created({ captureMethod: 'manual', amount: 7777n }), confirmWith('pm_card_visa'));
    expect(decision.state.amountCapturable).toBe(7777n);
    expect(decision.events).toEqual([
      {
        type: 'payment_intent.amount_capturable_updated',
        previousAttributes: { status: 'requires_payment_method', paymentMethod: null, amountCapturable: 0n },
      },
      chargeEvent('charge.succeeded'),
    ]);
  });

  it('gives the decline message and card brand details a customer is shown', () => {
    const decision = step(created(), confirmWith('pm_card_chargeDeclined'));
    expect(decision.paymentError).toEqual({
      type: 'card_error',
      code: 'card_declined',
      declineCode: 'generic_decline',
      message: 'Your card was declined.',
      paymentMethod: { id: 'pm_card_chargeDeclined', type: 'card' },
    });
  });

  it('clears the previous decline once a retry succeeds, and reports it as the old value', () => {
    const declined = step(created(), confirmWith('pm_card_chargeDeclined')).state;
    const retried = step(declined, confirmWith('pm_card_visa'));
    expect(retried.state.status).toBe('succeeded');
    expect(retried.state.lastPaymentError).toBeNull();
    expect(retried.events[0]?.previousAttributes).toMatchObject({ lastPaymentError: declined.lastPaymentError });
    expect(retried.state.revision).toBe(3);
  });

  it('keeps a null return_url when none is given with a challenge', () => {
    const decision = step(created({ paymentMethod: 'pm_card_threeDSecure2Required' }), confirmWith(undefined, { challengeToken: 'tok_a' }));
    expect(decision.state.nextAction).toEqual({ type: 'redirect_to_url', challengeToken: 'tok_a', returnUrl: null });
  });

  it('issues a fresh challenge token when confirming again while a challenge is pending', () => {
    const pending = step(
      created({ paymentMethod: 'pm_card_threeDSecure2Required' }),
      confirmWith(undefined, { challengeToken: 'tok_first' }),
    ).state;
    const again = step(pending, confirmWith(undefined, { challengeToken: 'tok_second' }));
    expect(again.state.status).toBe('requires_action');
    expect(again.state.nextAction).toMatchObject({ type: 'redirect_to_url', challengeToken: 'tok_second' });
    expect(again.events.map((e) => e.type)).toEqual(['payment_intent.requires_action']);
  });

  it.each([
    { now: 1_000, delay: 0, at: 1_000 },
    { now: 1_000, delay: 5_000, at: 6_000 },
    { now: 1_700_000_000_000, delay: 86_400_000, at: 1_700_086_400_000 },
  ])('schedules the bank debit to settle at now + asyncSettleDelayMs ($now + $delay)', ({ now, delay, at }) => {
    const decision = step(created({ paymentMethod: 'pm_usBankAccount' }), confirmWith(), now, { ...SETTINGS, asyncSettleDelayMs: delay });
    expect(decision.timers).toEqual([{ kind: 'settle', at }]);
  });
});

describe('confirm refusals (the intent is left as it was)', () => {
  it('refuses live-mode payments: no processor is configured', () => {
    const live = created({ paymentMethod: 'pm_card_visa' }, { livemode: true });
    const error = refusal(() => step(live, confirmWith()));
    expect(error.code).toBe('processor_not_configured');
  });

  it.each([
    { name: 'no payment method anywhere', setup: () => created(), pm: undefined, code: 'parameter_missing' },
    {
      name: 'no payment method after a decline detached it',
      setup: () => step(created(), confirmWith('pm_card_chargeDeclined')).state,
      pm: undefined,
      code: 'parameter_missing',
    },
    { name: 'an unknown payment method', setup: () => created(), pm: 'pm_card_unknown', code: 'resource_missing' },
    {
      name: 'an unknown payment method replacing an attached one',
      setup: () => created({ paymentMethod: 'pm_card_visa' }),
      pm: 'pm_bogus',
      code: 'resource_missing',
    },
    {
      name: 'a bank account on an intent that takes only cards',
      setup: () => created({ paymentMethodTypes: ['card'] }),
      pm: 'pm_usBankAccount',
      code: 'payment_intent_incompatible_payment_method',
    },
    {
      name: 'a card on an intent that takes only bank accounts',
      setup: () => created({ paymentMethodTypes: ['us_bank_account'] }),
      pm: 'pm_card_visa',
      code: 'payment_intent_incompatible_payment_method',
    },
  ])('refuses $name with $code (param payment_method)', ({ setup, pm, code }) => {
    const state = setup();
    const snapshot = structuredClone(state);
    const error = refusal(() => step(state, confirmWith(pm)));
    expect(error.code).toBe(code);
    expect(error.field).toBe('paymentMethod');
    expect(state).toStrictEqual(snapshot);
  });
});
