import { describe, expect, it } from 'vitest';
import { findTestPaymentMethod, TEST_PAYMENT_METHOD_IDS, type TestOutcome } from '../../src/domain/test-payment-methods.js';

describe('test payment methods', () => {
  it.each([
    { id: 'pm_card_visa', type: 'card', outcome: { kind: 'authorize' } },
    { id: 'pm_card_mastercard', type: 'card', outcome: { kind: 'authorize' } },
    {
      id: 'pm_card_chargeDeclined',
      type: 'card',
      outcome: { kind: 'decline', declineCode: 'generic_decline', message: 'Your card was declined.' },
    },
    {
      id: 'pm_card_chargeDeclinedInsufficientFunds',
      type: 'card',
      outcome: { kind: 'decline', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
    },
    { id: 'pm_card_threeDSecure2Required', type: 'card', outcome: { kind: 'challenge' } },
    { id: 'pm_usBankAccount', type: 'us_bank_account', outcome: { kind: 'async', settles: 'succeeded' } },
    { id: 'pm_usBankAccount_insufficientFunds', type: 'us_bank_account', outcome: { kind: 'async', settles: 'failed' } },
  ] satisfies { id: string; type: string; outcome: TestOutcome }[])('$id is a $type that does $outcome.kind', ({ id, type, outcome }) => {
    expect(findTestPaymentMethod(id)).toMatchObject({ id, type, outcome });
    expect(TEST_PAYMENT_METHOD_IDS).toContain(id);
  });

  it('a card shows its brand and last four digits on its charges; a bank account has no card', () => {
    expect(findTestPaymentMethod('pm_card_visa')?.card).toMatchObject({ brand: 'visa', last4: '4242' });
    expect(findTestPaymentMethod('pm_card_mastercard')?.card).toMatchObject({ brand: 'mastercard', last4: '4444' });
    expect(findTestPaymentMethod('pm_usBankAccount')?.card).toBeUndefined();
  });

  it('lists each id once', () => {
    expect(new Set(TEST_PAYMENT_METHOD_IDS).size).toBe(TEST_PAYMENT_METHOD_IDS.length);
  });

  it.each(['pm_card_unknown', 'PM_CARD_VISA', 'pm_card_visa ', '', '4242424242424242', 'toString'])(
    'knows nothing of %j (raw card numbers included)',
    (id) => {
      expect(findTestPaymentMethod(id)).toBeUndefined();
    },
  );
});
