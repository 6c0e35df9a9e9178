import { describe, expect, it } from 'vitest';
import type { CaptureMethod, EventType, Status } from '../../src/domain/status.js';
import type { PaymentIntent } from '../../src/domain/intent.js';
import { ALL_STATUSES, AMOUNT, confirmWith, created, expectBigintAmounts, reach, step } from './fixtures.js';

const THREE_DS = 'pm_card_threeDSecure2Required';

describe('complete_challenge with automatic confirmation', () => {
  it.each([
    { captureMethod: 'automatic', status: 'succeeded', event: 'payment_intent.succeeded', received: AMOUNT, capturable: 0n },
    {
      captureMethod: 'manual',
      status: 'requires_capture',
      event: 'payment_intent.amount_capturable_updated',
      received: 0n,
      capturable: AMOUNT,
    },
  ] satisfies { captureMethod: CaptureMethod; status: Status; event: EventType; received: bigint; capturable: bigint }[])(
    'passing the challenge ($captureMethod capture) authorizes → $status',
    ({ captureMethod, status, event, received, capturable }) => {
      const pending = reach('requires_action', { captureMethod });
      const decision = step(pending, { type: 'complete_challenge', outcome: 'succeeded' });

      expect(decision.state.status).toBe(status);
      // The authorization after the challenge is the attempt's charge: it succeeded (captured or held).
      expect(decision.events.map((e) => e.type)).toEqual([event, 'charge.succeeded']);
      expect(decision.state.charges).toEqual([
        expect.objectContaining({ status: 'succeeded', captured: captureMethod === 'automatic', paymentMethod: THREE_DS }),
      ]);
      expect(decision.state.amountReceived).toBe(received);
      expect(decision.state.amountCapturable).toBe(capturable);
      expectBigintAmounts(decision.state);
      expect(decision.state.nextAction).toBeNull();
      expect(decision.state.paymentMethod).toBe(THREE_DS);
      expect(decision.events[0]?.previousAttributes).toMatchObject({ status: 'requires_action', nextAction: pending.nextAction });
      expect(decision.paymentError).toBeNull();
      expect(decision.state.revision).toBe(pending.revision + 1);
    },
  );

  it.each(['automatic', 'manual'] as const)(
    'failing the challenge (%s confirmation) fails the payment and detaches the card',
    (confirmationMethod) => {
      const pending = reach('requires_action', { confirmationMethod });
      const decision = step(pending, { type: 'complete_challenge', outcome: 'failed' });

      expect(decision.state.status).toBe('requires_payment_method');
      expect(decision.state.paymentMethod).toBeNull();
      expect(decision.state.nextAction).toBeNull();
      expect(decision.state.amountReceived).toBe(0n);
      expect(decision.events).toEqual([
        {
          type: 'payment_intent.payment_failed',
          previousAttributes: {
            status: 'requires_action',
            paymentMethod: THREE_DS,
            nextAction: pending.nextAction,
            lastPaymentError: null,
          },
        },
      ]);
      const expectedError = {
        type: 'card_error',
        code: 'payment_intent_authentication_failure',
        declineCode: null,
        message: expect.stringContaining('failed authentication'),
        paymentMethod: { id: THREE_DS, type: 'card' },
      };
      expect(decision.state.lastPaymentError).toEqual(expectedError);
      expect(decision.paymentError).toEqual(expectedError);
      // A failed authentication never reached the card network: as on Stripe, no charge and no charge.failed.
      expect(decision.state.charges).toEqual([]);
    },
  );

  it('after a failed challenge the customer can pay with another card', () => {
    const failed = step(reach('requires_action'), { type: 'complete_challenge', outcome: 'failed' }).state;
    const retried = step(failed, confirmWith('pm_card_visa'));
    expect(retried.state.status).toBe('succeeded');
    expect(retried.state.lastPaymentError).toBeNull();
  });
});

describe('complete_challenge with manual confirmation', () => {
  function authenticated(captureMethod: CaptureMethod = 'automatic'): { pending: PaymentIntent; after: PaymentIntent } {
    const pending = reach('requires_action', { confirmationMethod: 'manual', captureMethod });
    const decision = step(pending, { type: 'complete_challenge', outcome: 'succeeded' });
    return { pending, after: decision.state };
  }

  it('passing the challenge hands back to the merchant: requires_confirmation, nothing charged yet', () => {
    const pending = reach('requires_action', { confirmationMethod: 'manual' });
    const decision = step(pending, { type: 'complete_challenge', outcome: 'succeeded' });
    expect(decision.state.status).toBe('requires_confirmation');
    expect(decision.state.paymentMethod).toBe(THREE_DS);
    expect(decision.state.amountReceived).toBe(0n);
    expect(decision.events).toEqual([
      { type: 'payment_intent.updated', previousAttributes: { status: 'requires_action', nextAction: pending.nextAction } },
    ]);
    expect(decision.timers).toEqual([]);
  });

  it.each([
    { captureMethod: 'automatic', status: 'succeeded', received: AMOUNT, capturable: 0n },
    { captureMethod: 'manual', status: 'requires_capture', received: 0n, capturable: AMOUNT },
  ] satisfies { captureMethod: CaptureMethod; status: Status; received: bigint; capturable: bigint }[])(
    'the merchant confirms again ($captureMethod capture) → $status, without a second challenge',
    ({ captureMethod, status, received, capturable }) => {
      const { after } = authenticated(captureMethod);
      const decision = step(after, confirmWith(undefined, { challengeToken: 'tok_should_not_be_used' }));
      expect(decision.state.status).toBe(status);
      expect(decision.state.nextAction).toBeNull();
      expect(decision.state.amountReceived).toBe(received);
      expect(decision.state.amountCapturable).toBe(capturable);
    },
  );

  it('a new amount needs a new challenge: the customer only authenticated the amount they were shown', () => {
    // The challenge page shows the customer the amount (formatAmount); passing it must not
    // authorize a different amount the merchant sets afterwards.
    const { after } = authenticated();
    const raised = step(after, { type: 'update', params: { amount: 99_999_999n } }).state;
    expect(raised.status).toBe('requires_confirmation');
    const decision = step(raised, confirmWith(undefined, { challengeToken: 'tok_again' }));
    expect(decision.state.status).toBe('requires_action');
    expect(decision.state.amountReceived).toBe(0n);
  });
});

describe('settle (the timer after an asynchronous bank debit)', () => {
  it.each([
    {
      name: 'pm_usBankAccount, automatic capture',
      pm: 'pm_usBankAccount',
      captureMethod: 'automatic',
      status: 'succeeded',
      event: 'payment_intent.succeeded',
      charge: 'charge.succeeded',
      received: AMOUNT,
      capturable: 0n,
    },
    {
      name: 'pm_usBankAccount, manual capture',
      pm: 'pm_usBankAccount',
      captureMethod: 'manual',
      status: 'requires_capture',
      event: 'payment_intent.amount_capturable_updated',
      charge: 'charge.succeeded',
      received: 0n,
      capturable: AMOUNT,
    },
    {
      name: 'pm_usBankAccount_insufficientFunds',
      pm: 'pm_usBankAccount_insufficientFunds',
      captureMethod: 'automatic',
      status: 'requires_payment_method',
      event: 'payment_intent.payment_failed',
      charge: 'charge.failed',
      received: 0n,
      capturable: 0n,
    },
  ] satisfies {
    name: string;
    pm: string;
    captureMethod: CaptureMethod;
    status: Status;
    event: EventType;
    charge: EventType;
    received: bigint;
    capturable: bigint;
  }[])('$name: processing → $status', ({ pm, captureMethod, status, event, charge, received, capturable }) => {
    const inFlight = step(created({ paymentMethod: pm, captureMethod }), confirmWith()).state;
    expect(inFlight.status).toBe('processing');
    expect(inFlight.charges).toEqual([expect.objectContaining({ status: 'pending', paymentMethod: pm })]);
    const decision = step(inFlight, { type: 'settle' });

    expect(decision.state.status).toBe(status);
    // The pending charge settles: one charge, its event after the intent's.
    expect(decision.events.map((e) => e.type)).toEqual([event, charge]);
    expect(decision.state.charges).toEqual([
      expect.objectContaining({ id: inFlight.charges[0]!.id, status: charge.slice('charge.'.length) }),
    ]);
    expect(decision.events[0]?.previousAttributes).toMatchObject({ status: 'processing' });
    expect(decision.state.amountReceived).toBe(received);
    expect(decision.state.amountCapturable).toBe(capturable);
    expectBigintAmounts(decision.state);
    expect(decision.timers).toEqual([]);
    expect(decision.state.revision).toBe(inFlight.revision + 1);
  });

  it('a failed debit records the bank error and detaches the account', () => {
    const inFlight = step(created({ paymentMethod: 'pm_usBankAccount_insufficientFunds' }), confirmWith()).state;
    const decision = step(inFlight, { type: 'settle' });
    const expectedError = {
      type: 'invalid_request_error',
      code: 'insufficient_funds',
      declineCode: null,
      message: expect.stringContaining('insufficient funds'),
      paymentMethod: { id: 'pm_usBankAccount_insufficientFunds', type: 'us_bank_account' },
    };
    expect(decision.state.lastPaymentError).toEqual(expectedError);
    expect(decision.paymentError).toEqual(expectedError);
    expect(decision.state.paymentMethod).toBeNull();
  });

  const settledTwice = () => step(reach('processing'), { type: 'settle' }).state;
  const settleNoOps: { name: string; setup: () => PaymentIntent }[] = [
    ...ALL_STATUSES.filter((s) => s !== 'processing').map((status) => ({ name: status, setup: () => reach(status) })),
    { name: 'succeeded by an earlier settle (the alarm fired twice)', setup: settledTwice },
    {
      name: 'requires_payment_method after a failed settle',
      setup: () =>
        step(step(created({ paymentMethod: 'pm_usBankAccount_insufficientFunds' }), confirmWith()).state, { type: 'settle' }).state,
    },
  ];

  it.each(settleNoOps)('is a no-op on an intent that is $name', ({ setup }) => {
    const state = setup();
    const decision = step(state, { type: 'settle' });
    expect(decision.state).toBe(state);
    expect(decision.events).toEqual([]);
    expect(decision.timers).toEqual([]);
    expect(decision.paymentError).toBeNull();
  });
});
