import { describe, expect, it } from 'vitest';
import { changedFields, type PaymentIntent } from '../../src/domain/intent.js';
import { created, reach } from './fixtures.js';

describe('changedFields (the previous_attributes of an event)', () => {
  const base = created({ metadata: { a: '1' } });

  it.each([
    { name: 'nothing changed', after: { ...base }, expected: {} },
    { name: 'a bigint amount', after: { ...base, amount: 2001n }, expected: { amount: 2000n } },
    { name: 'a string field set from null', after: { ...base, description: 'd' }, expected: { description: null } },
    {
      name: 'several fields at once',
      after: { ...base, status: 'canceled', canceledAt: 5 },
      expected: { status: 'requires_payment_method', canceledAt: null },
    },
    { name: 'metadata rebuilt with the same entries', after: { ...base, metadata: { a: '1' } }, expected: {} },
    { name: 'metadata with a changed value', after: { ...base, metadata: { a: '2' } }, expected: { metadata: { a: '1' } } },
    {
      name: 'payment_method_types rebuilt with the same entries',
      after: { ...base, paymentMethodTypes: ['card', 'us_bank_account'] },
      expected: {},
    },
    // Internal bookkeeping is not part of what a client sees, so it never appears in an event.
    { name: 'only the revision', after: { ...base, revision: 9 }, expected: {} },
    { name: 'only the authenticated payment method', after: { ...base, authenticatedPaymentMethod: 'pm_card_visa' }, expected: {} },
  ] satisfies { name: string; after: PaymentIntent; expected: object }[])('$name', ({ after, expected }) => {
    expect(changedFields(base, after)).toStrictEqual(expected);
  });

  it('compares nested objects by value: an equal next_action is not a change, a new token is', () => {
    const pending = reach('requires_action');
    const sameAction = { ...pending, nextAction: { ...pending.nextAction! } };
    expect(changedFields(pending, sameAction)).toStrictEqual({});
    const newToken = { ...pending, nextAction: { ...pending.nextAction!, challengeToken: 'tok_other' } };
    expect(changedFields(pending, newToken)).toStrictEqual({ nextAction: pending.nextAction });
  });
});
