import { describe, expect, it } from 'vitest';
import { CANCELLATION_REASONS, type CancellationReason, type Status } from '../../src/domain/status.js';
import { AMOUNT, expectBigintAmounts, FRESH, LATER, reach, refusal, step } from './fixtures.js';

/** An event about the held charge: it shows the charge, so it carries no previous attributes of the intent. */
const chargeEvent = (type: string) => ({ type, previousAttributes: {}, subject: { kind: 'charge', id: FRESH.chargeId } });

describe('capture from requires_capture (2000 held)', () => {
  it.each([
    { name: 'the whole hold by default', amountToCapture: undefined, received: 2000n },
    { name: 'the whole hold, named explicitly', amountToCapture: 2000n, received: 2000n },
    { name: 'part of the hold', amountToCapture: 1500n, received: 1500n },
    { name: 'the smallest unit', amountToCapture: 1n, received: 1n },
  ])('captures $name → succeeded, amount_received $received', ({ amountToCapture, received }) => {
    const held = reach('requires_capture');
    const decision = step(held, { type: 'capture', amountToCapture });

    expect(decision.state.status).toBe('succeeded');
    expect(decision.state.amountReceived).toBe(received);
    // The rest of a partial capture is released, not left capturable.
    expect(decision.state.amountCapturable).toBe(0n);
    expect(decision.state.amount).toBe(AMOUNT);
    expectBigintAmounts(decision.state);
    expect(decision.events).toEqual([
      {
        type: 'payment_intent.succeeded',
        previousAttributes: { status: 'requires_capture', amountCapturable: 2000n, amountReceived: 0n },
      },
      chargeEvent('charge.captured'),
    ]);
    // The held charge is now captured, for what was captured; no second charge.
    expect(decision.state.charges).toEqual([expect.objectContaining({ status: 'succeeded', captured: true, amountCaptured: received })]);
    expect(decision.timers).toEqual([]);
    expect(decision.paymentError).toBeNull();
    expect(decision.state.revision).toBe(held.revision + 1);
  });

  it.each([
    { name: 'more than is held', amountToCapture: 2001n, code: 'amount_too_large' },
    { name: 'far more than is held', amountToCapture: 99_999_999n, code: 'amount_too_large' },
    { name: 'zero', amountToCapture: 0n, code: 'parameter_invalid' },
    { name: 'a negative amount', amountToCapture: -1n, code: 'parameter_invalid' },
  ])('refuses to capture $name with $code and leaves the hold in place', ({ amountToCapture, code }) => {
    const held = reach('requires_capture');
    const snapshot = structuredClone(held);
    const error = refusal(() => step(held, { type: 'capture', amountToCapture }));
    expect(error.code).toBe(code);
    expect(error.field).toBe('amountToCapture');
    expect(held).toStrictEqual(snapshot);
  });
});

const CANCELABLE: Status[] = ['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture'];
const REASONS: (CancellationReason | undefined)[] = [undefined, ...CANCELLATION_REASONS];

describe.each(CANCELABLE)('cancel from %s', (status) => {
  it.each(REASONS)('with reason %s → canceled at now', (reason) => {
    const before = reach(status);
    const canceledAt = LATER + 999;
    const decision = step(before, { type: 'cancel', reason }, canceledAt);

    expect(decision.state.status).toBe('canceled');
    expect(decision.state.cancellationReason).toBe(reason ?? null);
    expect(decision.state.canceledAt).toBe(canceledAt);
    expect(decision.state.amountCapturable).toBe(0n);
    expect(decision.state.amountReceived).toBe(0n);
    expect(decision.state.nextAction).toBeNull();
    expectBigintAmounts(decision.state);
    // Canceling a hold releases it: Stripe refunds the uncaptured charge in full (charge.refunded).
    expect(decision.events.map((e) => e.type)).toEqual(
      status === 'requires_capture' ? ['payment_intent.canceled', 'charge.refunded'] : ['payment_intent.canceled'],
    );
    expect(decision.state.charges.map((c) => ({ refunded: c.refunded, amountRefunded: c.amountRefunded }))).toEqual(
      status === 'requires_capture' ? [{ refunded: true, amountRefunded: AMOUNT }] : [],
    );
    expect(decision.events[0]?.previousAttributes).toMatchObject({ status, canceledAt: null });
    expect(decision.timers).toEqual([]);
    expect(decision.state.revision).toBe(before.revision + 1);
  });
});

describe('cancel details', () => {
  it('releases a hold: amount_capturable drops to 0 and is reported as changed', () => {
    const decision = step(reach('requires_capture'), { type: 'cancel', reason: 'abandoned' });
    expect(decision.events[0]?.previousAttributes).toEqual({
      status: 'requires_capture',
      amountCapturable: 2000n,
      cancellationReason: null,
      canceledAt: null,
    });
  });

  it('withdraws a pending challenge so its link stops working', () => {
    const pending = reach('requires_action');
    const decision = step(pending, { type: 'cancel' });
    expect(decision.state.nextAction).toBeNull();
    expect(decision.events[0]?.previousAttributes).toEqual({
      status: 'requires_action',
      nextAction: pending.nextAction,
      canceledAt: null,
    });
  });
});
