import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT } from '../../src/domain/currency.js';
import type { PaymentIntent } from '../../src/domain/intent.js';
import { fromRecord, parseRecord, RECORD_VERSION, serializeRecord, toRecord } from '../../src/intents/record.js';
import { confirmWith, created, expectBigintAmounts, reach, step } from './fixtures.js';

const STATES: { name: string; intent: () => PaymentIntent }[] = [
  { name: 'a fresh intent', intent: () => created() },
  {
    name: 'an intent with metadata and descriptive fields',
    intent: () => created({ metadata: { order: '42', note: 'ü ☃' }, description: 'Order', customer: 'cus_1', receiptEmail: 'a@b.example' }),
  },
  { name: 'a pending challenge (next_action)', intent: () => reach('requires_action') },
  { name: 'a decline (last_payment_error)', intent: () => step(created(), confirmWith('pm_card_chargeDeclined')).state },
  { name: 'a hold (amount_capturable)', intent: () => reach('requires_capture') },
  {
    name: 'a partial capture (amount_received)',
    intent: () => step(reach('requires_capture'), { type: 'capture', amountToCapture: 1234n }).state,
  },
  { name: 'a canceled intent', intent: () => step(created(), { type: 'cancel', reason: 'fraudulent' }).state },
  {
    name: 'an intent with a reference and a deposit address taken at creation (000_…)',
    intent: () => ({
      ...created({ reference: 'cart-42' }),
      reservedDeposit: { address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', index: 7 },
    }),
  },
  { name: 'the largest amount', intent: () => created({ amount: MAX_AMOUNT, currency: 'kwd' }) },
  // Beyond 2^53 a number would lose digits; the stored digit strings must not.
  {
    name: 'a Checkout intent whose payer chooses the amount',
    intent: () => created({ checkoutSession: 'cs_test_1', payerAmount: { minimum: 500n, maximum: null } }),
  },
  {
    name: 'amounts beyond 2^53',
    intent: () => ({ ...created(), amount: 2n ** 64n + 1n, amountCapturable: 9_007_199_254_740_993n, amountReceived: 10n ** 30n }),
  },
];

describe('intent records', () => {
  it.each(STATES)('$name survives serializeRecord → parseRecord unchanged', ({ intent }) => {
    const original = intent();
    const restored = parseRecord(serializeRecord(original));
    expect(restored).toStrictEqual(original);
    expectBigintAmounts(restored);
  });

  it.each(STATES)('$name survives toRecord → fromRecord unchanged', ({ intent }) => {
    const original = intent();
    expect(fromRecord(toRecord(original))).toStrictEqual(original);
  });

  it('stores amounts as exact digit strings and carries the record version', () => {
    const intent = { ...reach('requires_capture'), amountReceived: 2n ** 64n };
    const record = toRecord(intent);
    expect(record.v).toBe(RECORD_VERSION);
    expect(record.amount).toBe('2000');
    expect(record.amountCapturable).toBe('2000');
    expect(record.amountReceived).toBe('18446744073709551616');
    const json = JSON.parse(serializeRecord(intent));
    expect(json).toMatchObject({ v: RECORD_VERSION, amount: '2000', amountCapturable: '2000', amountReceived: '18446744073709551616' });
    // The held charge's amounts too.
    expect(json.charges).toEqual([expect.objectContaining({ amount: '2000', amountCaptured: '0', amountRefunded: '0' })]);
  });

  it('loads a v2 record (before Checkout) as an intent of no session whose amount is the merchant’s', () => {
    const { checkoutSession: _s, payerAmount: _p, ...v2 } = { ...JSON.parse(serializeRecord(created())), v: 2 };
    const loaded = parseRecord(JSON.stringify(v2));
    expect(loaded.checkoutSession).toBeNull();
    expect(loaded.payerAmount).toBeNull();
    expect(loaded).toStrictEqual(created());
  });

  it('loads a v3 record (before debits) as an intent of no mandate', () => {
    const { mandate: _m, debit: _d, ...v3 } = { ...JSON.parse(serializeRecord(created())), v: 3 };
    const loaded = parseRecord(JSON.stringify(v3));
    expect(loaded.mandate).toBeNull();
    expect(loaded.debit).toBeNull();
    expect(loaded).toStrictEqual(created());
  });

  it('loads a v5 record (before updated, reference and reserved deposits) as last changed when created, with neither', () => {
    const changed = step(created(), { type: 'cancel', reason: 'fraudulent' }, created().created + 5_000).state;
    expect(changed.updated).toBe(created().created + 5_000);
    const { updated: _u, reference: _r, reservedDeposit: _d, ...v5 } = { ...JSON.parse(serializeRecord(changed)), v: 5 };
    const loaded = parseRecord(JSON.stringify(v5));
    expect(loaded).toStrictEqual({ ...changed, updated: changed.created, reference: null, reservedDeposit: null });
  });

  it('does not leak the record version into the loaded intent', () => {
    expect(parseRecord(serializeRecord(created()))).not.toHaveProperty('v');
  });

  it.each([
    { name: 'a future version', v: RECORD_VERSION + 1 },
    { name: 'version 0', v: 0 },
    { name: 'no version at all', v: undefined },
  ])('refuses to load $name instead of guessing its shape', ({ v }) => {
    const stored = { ...JSON.parse(serializeRecord(created())), v };
    expect(() => parseRecord(JSON.stringify(stored))).toThrow(/Unknown payment intent record version/);
  });
});
