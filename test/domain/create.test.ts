import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT } from '../../src/domain/currency.js';
import { createPaymentIntent } from '../../src/domain/payment-intent.js';
import type { CreateParams } from '../../src/domain/intent.js';
import { expectBigintAmounts, IDS, NOW, refusal } from './fixtures.js';

describe('createPaymentIntent', () => {
  it.each([
    { name: 'without a payment method', params: {}, status: 'requires_payment_method', paymentMethod: null },
    { name: 'with a card', params: { paymentMethod: 'pm_card_visa' }, status: 'requires_confirmation', paymentMethod: 'pm_card_visa' },
    {
      name: 'with a bank account it accepts',
      params: { paymentMethod: 'pm_usBankAccount', paymentMethodTypes: ['us_bank_account'] },
      status: 'requires_confirmation',
      paymentMethod: 'pm_usBankAccount',
    },
  ] satisfies { name: string; params: Partial<CreateParams>; status: string; paymentMethod: string | null }[])(
    'creates $name → $status',
    ({ params, status, paymentMethod }) => {
      const decision = createPaymentIntent(IDS, { amount: 1099n, currency: 'usd', ...params }, NOW);
      expect(decision.state.status).toBe(status);
      expect(decision.state.paymentMethod).toBe(paymentMethod);
      expect(decision.events).toEqual([{ type: 'payment_intent.created', previousAttributes: {} }]);
      expect(decision.timers).toEqual([]);
      expect(decision.paymentError).toBeNull();
    },
  );

  it('fills in the defaults a client sees on a minimal create', () => {
    const { state } = createPaymentIntent(IDS, { amount: 1099n, currency: 'eur' }, NOW);
    expect(state).toStrictEqual({
      id: 'pi_test_1',
      clientSecret: 'pi_test_1_secret_abc',
      merchantId: 'acct_test',
      livemode: false,
      created: NOW,
      amount: 1099n,
      amountCapturable: 0n,
      amountReceived: 0n,
      currency: 'eur',
      status: 'requires_payment_method',
      captureMethod: 'automatic',
      confirmationMethod: 'automatic',
      paymentMethod: null,
      paymentMethodTypes: ['card'],
      lastPaymentError: null,
      nextAction: null,
      cancellationReason: null,
      canceledAt: null,
      description: null,
      metadata: {},
      receiptEmail: null,
      statementDescriptor: null,
      customer: null,
      notificationUrl: null,
      authenticatedPaymentMethod: null,
      crypto: null,
      checkoutSession: null,
      payerAmount: null,
      mandate: null,
      debit: null,
      charges: [],
      refunds: [],
      disputes: [],
      revision: 1,
    });
    expectBigintAmounts(state);
  });

  it('keeps every optional field it was given', () => {
    const { state } = createPaymentIntent(
      { ...IDS, livemode: true },
      {
        amount: 500n,
        currency: 'jpy',
        captureMethod: 'manual',
        confirmationMethod: 'manual',
        paymentMethodTypes: ['card', 'us_bank_account'],
        description: 'Order #42',
        metadata: { order: '42' },
        receiptEmail: 'buyer@example.com',
        statementDescriptor: 'SHOP 42',
        customer: 'cus_123',
      },
      NOW,
    );
    expect(state).toMatchObject({
      livemode: true,
      amount: 500n,
      currency: 'jpy',
      captureMethod: 'manual',
      confirmationMethod: 'manual',
      paymentMethodTypes: ['card', 'us_bank_account'],
      description: 'Order #42',
      metadata: { order: '42' },
      receiptEmail: 'buyer@example.com',
      statementDescriptor: 'SHOP 42',
      customer: 'cus_123',
    });
  });

  it.each([
    { name: 'the smallest amount', amount: 1n },
    { name: 'the largest amount (eight digits)', amount: MAX_AMOUNT },
  ])('accepts $name', ({ amount }) => {
    const { state } = createPaymentIntent(IDS, { amount, currency: 'usd' }, NOW);
    expect(state.amount).toBe(amount);
    expect(typeof state.amount).toBe('bigint');
  });

  it.each([
    { name: 'a zero amount', params: { amount: 0n }, code: 'parameter_invalid', param: 'amount' },
    { name: 'a negative amount', params: { amount: -100n }, code: 'parameter_invalid', param: 'amount' },
    { name: 'an amount over eight digits', params: { amount: MAX_AMOUNT + 1n }, code: 'amount_too_large', param: 'amount' },
    { name: 'an unknown payment method', params: { paymentMethod: 'pm_card_nope' }, code: 'resource_missing', param: 'paymentMethod' },
    {
      name: 'a bank account when only cards are accepted (the default)',
      params: { paymentMethod: 'pm_usBankAccount' },
      code: 'payment_intent_incompatible_payment_method',
      param: 'paymentMethod',
    },
    {
      name: 'a card when only bank accounts are accepted',
      params: { paymentMethod: 'pm_card_visa', paymentMethodTypes: ['us_bank_account'] },
      code: 'payment_intent_incompatible_payment_method',
      param: 'paymentMethod',
    },
  ] satisfies { name: string; params: Partial<CreateParams>; code: string; param: string }[])(
    'refuses $name with $code',
    ({ params, code, param }) => {
      const error = refusal(() => createPaymentIntent(IDS, { amount: 1000n, currency: 'usd', ...params }, NOW));
      expect(error.code).toBe(code);
      expect(error.field).toBe(param);
    },
  );
});
