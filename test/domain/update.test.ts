import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT } from '../../src/domain/currency.js';
import type { PaymentIntent, UpdateParams } from '../../src/domain/intent.js';
import type { Status } from '../../src/domain/status.js';
import { AMOUNT, confirmWith, created, expectBigintAmounts, reach, refusal, SETTINGS, FRESH, step } from './fixtures.js';

const update = (params: UpdateParams) => ({ type: 'update' as const, params });

describe('update: metadata', () => {
  it.each<{ name: string; start: Record<string, string>; patch: Record<string, string> | null; result: Record<string, string> }>([
    {
      name: 'adds and overwrites keys, keeping the others',
      start: { a: '1', b: '2' },
      patch: { b: '3', c: '4' },
      result: { a: '1', b: '3', c: '4' },
    },
    { name: 'deletes a key set to ""', start: { a: '1', b: '2' }, patch: { a: '' }, result: { b: '2' } },
    { name: 'deletes and sets in one patch', start: { a: '1', b: '2' }, patch: { a: '', c: '3' }, result: { b: '2', c: '3' } },
    { name: 'clears everything with null', start: { a: '1', b: '2' }, patch: null, result: {} },
  ])('$name', ({ start, patch, result }) => {
    const before = created({ metadata: start });
    const decision = step(before, update({ metadata: patch }));
    expect(decision.state.metadata).toEqual(result);
    expect(decision.events).toEqual([{ type: 'payment_intent.updated', previousAttributes: { metadata: start } }]);
    expect(decision.state.revision).toBe(before.revision + 1);
    expect(decision.state.status).toBe(before.status);
  });

  it('does not write into the patch it was given', () => {
    const patch = { b: '3' };
    step(created({ metadata: { a: '1' } }), update({ metadata: patch }));
    expect(patch).toStrictEqual({ b: '3' });
  });
});

describe('update: attaching a payment method or changing the payment', () => {
  it.each([
    {
      name: 'attaching a card to a fresh intent',
      setup: () => created(),
      params: { paymentMethod: 'pm_card_visa' },
      status: 'requires_confirmation',
      previous: { status: 'requires_payment_method', paymentMethod: null },
    },
    {
      name: 'attaching a card after a decline detached the last one',
      setup: () => step(created(), confirmWith('pm_card_chargeDeclined')).state,
      params: { paymentMethod: 'pm_card_visa' },
      status: 'requires_confirmation',
      previous: { status: 'requires_payment_method', paymentMethod: null },
    },
    {
      name: 'replacing the attached card',
      setup: () => created({ paymentMethod: 'pm_card_visa' }),
      params: { paymentMethod: 'pm_card_mastercard' },
      status: 'requires_confirmation',
      previous: { paymentMethod: 'pm_card_visa' },
    },
    {
      name: 'replacing the card while a challenge is pending (the challenge is withdrawn)',
      setup: () => reach('requires_action'),
      params: { paymentMethod: 'pm_card_visa' },
      status: 'requires_confirmation',
      previous: {
        status: 'requires_action',
        paymentMethod: 'pm_card_threeDSecure2Required',
        nextAction: expect.objectContaining({ type: 'redirect_to_url' }),
      },
    },
    {
      name: 'changing the amount while a challenge is pending (the challenge is withdrawn)',
      setup: () => reach('requires_action'),
      params: { amount: 3000n },
      status: 'requires_confirmation',
      previous: { status: 'requires_action', amount: AMOUNT, nextAction: expect.objectContaining({ type: 'redirect_to_url' }) },
    },
    {
      name: 'changing the amount with no payment method attached',
      setup: () => created(),
      params: { amount: 3000n },
      status: 'requires_payment_method',
      previous: { amount: AMOUNT },
    },
    {
      name: 'changing the currency and capture method before confirmation',
      setup: () => created({ paymentMethod: 'pm_card_visa' }),
      params: { currency: 'jpy', captureMethod: 'manual' },
      status: 'requires_confirmation',
      previous: { currency: 'usd', captureMethod: 'automatic' },
    },
    {
      name: 'narrowing payment_method_types to those still fitting the attached card',
      setup: () => created({ paymentMethod: 'pm_card_visa' }),
      params: { paymentMethodTypes: ['card'] },
      status: 'requires_confirmation',
      previous: { paymentMethodTypes: ['card', 'us_bank_account'] },
    },
  ] satisfies { name: string; setup: () => PaymentIntent; params: UpdateParams; status: Status; previous: object }[])(
    '$name → $status',
    ({ setup, params, status, previous }) => {
      const before = setup();
      const decision = step(before, update(params));
      expect(decision.state.status).toBe(status);
      expect(decision.state.nextAction).toBeNull();
      expect(decision.events).toEqual([{ type: 'payment_intent.updated', previousAttributes: previous }]);
      expect(decision.timers).toEqual([]);
      expect(decision.paymentError).toBeNull();
      expect(decision.state.revision).toBe(before.revision + 1);
      expectBigintAmounts(decision.state);
    },
  );

  it('the new amount is what a later confirm charges', () => {
    const updated = step(created({ paymentMethod: 'pm_card_visa' }), update({ amount: 4321n })).state;
    const confirmed = step(updated, confirmWith()).state;
    expect(confirmed.amountReceived).toBe(4321n);
    expect(typeof confirmed.amountReceived).toBe('bigint');
  });

  it('a card attached by update is the one a confirm without payment_method uses', () => {
    const updated = step(created(), update({ paymentMethod: 'pm_card_chargeDeclined' })).state;
    const decision = step(updated, confirmWith());
    expect(decision.state.status).toBe('requires_payment_method');
    expect(decision.paymentError?.paymentMethod.id).toBe('pm_card_chargeDeclined');
  });
});

describe('update: descriptive fields', () => {
  it.each([
    { field: 'description', set: 'Order #7' },
    { field: 'receiptEmail', set: 'buyer@example.com' },
    { field: 'statementDescriptor', set: 'SHOP 7' },
    { field: 'customer', set: 'cus_7' },
  ] as const)('sets $field, then clears it with null', ({ field, set }) => {
    const start = created();
    const withValue = step(start, update({ [field]: set }));
    expect(withValue.state[field]).toBe(set);
    expect(withValue.events).toEqual([{ type: 'payment_intent.updated', previousAttributes: { [field]: null } }]);

    const cleared = step(withValue.state, update({ [field]: null }));
    expect(cleared.state[field]).toBeNull();
    expect(cleared.events).toEqual([{ type: 'payment_intent.updated', previousAttributes: { [field]: set } }]);
    expect(cleared.state.revision).toBe(start.revision + 2);
  });

  it.each(['processing', 'requires_capture', 'succeeded'] as const)(
    'still accepts description, metadata and receipt_email once the payment is %s, without changing its status',
    (status) => {
      const before = reach(status);
      const decision = step(before, update({ description: 'note', metadata: { k: 'v' }, receiptEmail: 'a@b.example' }));
      expect(decision.state.status).toBe(status);
      expect(decision.state).toMatchObject({ description: 'note', metadata: { k: 'v' }, receiptEmail: 'a@b.example' });
      expect(decision.state.amountReceived).toBe(before.amountReceived);
      expect(decision.state.amountCapturable).toBe(before.amountCapturable);
      expect(decision.events).toEqual([
        { type: 'payment_intent.updated', previousAttributes: { description: null, metadata: {}, receiptEmail: null } },
      ]);
    },
  );
});

describe('update: no-ops return the same state and no events', () => {
  it.each<{ name: string; setup: () => PaymentIntent; params: UpdateParams }>([
    { name: 'an empty update', setup: () => created(), params: {} },
    { name: 'the same amount', setup: () => created(), params: { amount: AMOUNT } },
    { name: 'the same currency', setup: () => created(), params: { currency: 'usd' } },
    { name: 'the same description', setup: () => created({ description: 'x' }), params: { description: 'x' } },
    { name: 'an empty metadata patch', setup: () => created({ metadata: { a: '1' } }), params: { metadata: {} } },
    { name: 'the same metadata value', setup: () => created({ metadata: { a: '1' } }), params: { metadata: { a: '1' } } },
    { name: 'deleting a key that is not there', setup: () => created({ metadata: { a: '1' } }), params: { metadata: { zzz: '' } } },
    { name: 'clearing metadata that is already empty', setup: () => created(), params: { metadata: null } },
    {
      name: 'the attached payment method again',
      setup: () => created({ paymentMethod: 'pm_card_visa' }),
      params: { paymentMethod: 'pm_card_visa' },
    },
    {
      name: 'the same description on a succeeded intent',
      setup: () => step(reach('succeeded'), update({ description: 'd' })).state,
      params: { description: 'd' },
    },
  ])('$name', ({ setup, params }) => {
    const state = setup();
    const decision = step(state, update(params));
    expect(decision.state).toBe(state);
    expect(decision.events).toEqual([]);
    expect(decision.timers).toEqual([]);
    expect(decision.paymentError).toBeNull();
  });
});

describe('update: revision', () => {
  it('goes up by exactly one per change and not at all for a no-op', () => {
    const v1 = created();
    const v2 = step(v1, update({ description: 'a' })).state;
    const v3 = step(v2, update({ metadata: { k: 'v' } })).state;
    const same = step(v3, update({ description: 'a' })).state;
    const v4 = step(same, update({ paymentMethod: 'pm_card_visa' })).state;
    const v5 = step(v4, confirmWith()).state;
    expect([v1, v2, v3, same, v4, v5].map((s) => s.revision)).toEqual([1, 2, 3, 3, 4, 5]);
  });
});

describe('update: refusals (the intent is left as it was)', () => {
  const PAYMENT_FIELDS: { params: UpdateParams; param: string }[] = [
    { params: { amount: 3000n }, param: 'amount' },
    { params: { currency: 'eur' }, param: 'currency' },
    { params: { captureMethod: 'manual' }, param: 'captureMethod' },
    { params: { paymentMethod: 'pm_card_mastercard' }, param: 'paymentMethod' },
    { params: { paymentMethodTypes: ['card'] }, param: 'paymentMethodTypes' },
    { params: { statementDescriptor: 'NEW' }, param: 'statementDescriptor' },
    { params: { customer: 'cus_9' }, param: 'customer' },
  ];
  const IN_FLIGHT = ['processing', 'requires_capture', 'succeeded', 'canceled'] as const;

  describe.each(IN_FLIGHT)('on a %s intent', (status) => {
    it.each(PAYMENT_FIELDS)('refuses to change $param', ({ params, param }) => {
      const state = reach(status);
      const snapshot = structuredClone(state);
      const error = refusal(() => step(state, update(params)));
      expect(error.code).toBe('payment_intent_unexpected_state');
      expect(error.currentStatus).toBe(status);
      expect(error.message).toContain(status);
      if (status !== 'canceled') expect(error.field).toBe(param);
      expect(state).toStrictEqual(snapshot);
    });
  });

  it.each([
    { name: 'description', params: { description: 'late' } },
    { name: 'metadata', params: { metadata: { k: 'v' } } },
    { name: 'receipt_email', params: { receiptEmail: 'a@b.example' } },
    { name: 'nothing at all', params: {} },
  ] satisfies { name: string; params: UpdateParams }[])('refuses any update of a canceled intent ($name)', ({ params }) => {
    const state = reach('canceled');
    const snapshot = structuredClone(state);
    const error = refusal(() => step(state, update(params)));
    expect(error.code).toBe('payment_intent_unexpected_state');
    expect(error.currentStatus).toBe('canceled');
    expect(state).toStrictEqual(snapshot);
  });

  it.each([
    { name: 'a zero amount', setup: () => created(), params: { amount: 0n }, code: 'parameter_invalid', param: 'amount' },
    { name: 'a negative amount', setup: () => created(), params: { amount: -1n }, code: 'parameter_invalid', param: 'amount' },
    {
      name: 'an amount over eight digits',
      setup: () => created(),
      params: { amount: MAX_AMOUNT + 1n },
      code: 'amount_too_large',
      param: 'amount',
    },
    {
      name: 'an unknown payment method',
      setup: () => created(),
      params: { paymentMethod: 'pm_nope' },
      code: 'resource_missing',
      param: 'paymentMethod',
    },
    {
      name: 'a bank account on a card-only intent',
      setup: () => created({ paymentMethodTypes: ['card'] }),
      params: { paymentMethod: 'pm_usBankAccount' },
      code: 'payment_intent_incompatible_payment_method',
      param: 'paymentMethod',
    },
    {
      name: 'payment_method_types that exclude the attached card',
      setup: () => created({ paymentMethod: 'pm_card_visa' }),
      params: { paymentMethodTypes: ['us_bank_account'] },
      code: 'payment_intent_incompatible_payment_method',
      param: 'paymentMethod',
    },
  ] satisfies { name: string; setup: () => PaymentIntent; params: UpdateParams; code: string; param: string }[])(
    'refuses $name with $code',
    ({ setup, params, code, param }) => {
      const state = setup();
      const snapshot = structuredClone(state);
      const error = refusal(() => step(state, update(params)));
      expect(error.code).toBe(code);
      expect(error.field).toBe(param);
      expect(state).toStrictEqual(snapshot);
    },
  );
});

describe('metadata limit across updates', () => {
  it('refuses an update whose merged metadata would exceed 50 keys, and keeps the state', async () => {
    const { createPaymentIntent, decide } = await import('../../src/domain/payment-intent.js');
    const keys = (prefix: string, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v']));
    const { state } = createPaymentIntent(
      { id: 'pi_x', clientSecret: 'pi_x_secret_y', merchantId: 'acct_x', livemode: false },
      { amount: 100n, currency: 'usd', metadata: keys('a', 30) },
      0,
    );
    const settings = { ...SETTINGS, asyncSettleDelayMs: 0 };
    expect(() => decide(state, { type: 'update', params: { metadata: keys('b', 21) } }, 1, settings, FRESH)).toThrowError(
      expect.objectContaining({ code: 'parameter_invalid', field: 'metadata' }),
    );
    expect(
      Object.keys(decide(state, { type: 'update', params: { metadata: keys('b', 20) } }, 1, settings, FRESH).state.metadata),
    ).toHaveLength(50);
    // Replacing and deleting keys in the same update counts the result, not the patch.
    expect(
      Object.keys(decide(state, { type: 'update', params: { metadata: { ...keys('b', 21), a0: '' } } }, 1, settings, FRESH).state.metadata),
    ).toHaveLength(50);
  });
});
