/**
 * 001_…'s payment statuses as a view of the canonical charge and intent (the README's table), and its
 * amounts in each currency's exponent: tables of input → output, no runtime needed.
 */
import { describe, expect, it } from 'vitest';
import { amountProblem, minorUnits } from '../../../src/compat/paytree/schemas.js';
import { amountString, paymentStatus } from '../../../src/compat/paytree/wire.js';
import type { Charge, Dispute } from '../../../src/domain/charge.js';
import type { PaymentIntent } from '../../../src/domain/intent.js';
import { created, NOW } from '../../domain/fixtures.js';

const CHARGE: Charge = {
  id: 'ch_test_1',
  created: NOW,
  amount: 2000n,
  amountCaptured: 2000n,
  amountRefunded: 0n,
  status: 'succeeded',
  captured: true,
  refunded: false,
  disputed: false,
  failureCode: null,
  failureMessage: null,
  outcome: null,
  paymentMethod: 'pm_card_visa',
  paymentMethodDetails: null,
};

const dispute = (status: Dispute['status'], evidenceSubmittedAt: number | null = null): Dispute => ({
  id: 'dp_test_1',
  charge: CHARGE.id,
  created: NOW,
  amount: 2000n,
  reason: 'fraudulent',
  status,
  evidence: {},
  evidenceSubmittedAt,
  dueBy: NOW + 1,
  metadata: {},
  fundsWithdrawn: true,
});

const intent = (over: Partial<PaymentIntent> = {}): PaymentIntent => ({
  ...created(),
  status: 'succeeded',
  amountReceived: 2000n,
  ...over,
});

describe('a payment`s status', () => {
  const cases: [name: string, charge: Partial<Charge>, intent: Partial<PaymentIntent>, expected: string][] = [
    ['a captured charge', {}, {}, 'success'],
    ['an authorization (manual capture)', { captured: false, amountCaptured: 0n }, { status: 'requires_capture' }, 'authorized'],
    ['a released authorization', { captured: false, amountCaptured: 0n, refunded: true }, { status: 'canceled' }, 'canceled'],
    ['a decline', { status: 'failed', failureCode: 'card_declined' }, { status: 'requires_payment_method' }, 'failed'],
    ['an attempt failed by the cancel', { status: 'failed', failureCode: 'payment_canceled' }, { status: 'canceled' }, 'canceled'],
    ['an attempt whose window closed', { status: 'failed', failureCode: 'payment_expired' }, { status: 'canceled' }, 'expired'],
    ['an attempt in flight', { status: 'pending', captured: false }, { status: 'processing', amountReceived: 0n }, 'pending'],
    [
      'an attempt in flight, part received',
      { status: 'pending', captured: false },
      { status: 'processing', amountReceived: 500n },
      'partial',
    ],
    ['a part refunded', { amountRefunded: 500n }, {}, 'partial_refunded'],
    ['all refunded', { amountRefunded: 2000n, refunded: true }, {}, 'refunded'],
    ['an open dispute', { disputed: true }, { disputes: [dispute('needs_response')] }, 'disputed'],
    ['a dispute under review, refunded in part', { amountRefunded: 500n }, { disputes: [dispute('under_review', NOW)] }, 'disputed'],
    ['a dispute won', {}, { disputes: [dispute('won', NOW)] }, 'disputed_won'],
    ['a dispute lost after evidence', { disputed: true }, { disputes: [dispute('lost', NOW)] }, 'disputed_lost'],
    ['a dispute accepted (closed) by the merchant', { disputed: true }, { disputes: [dispute('lost')] }, 'disputed_close'],
  ];
  for (const [name, charge, over, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      const c = { ...CHARGE, ...charge };
      expect(paymentStatus(intent({ charges: [c], ...over }), c)).toBe(expected);
    });
  }
});

describe('amounts in the currency`s exponent', () => {
  const exact: [amount: string, currency: 'KWD' | 'BHD' | 'OMR' | 'CLP' | 'USD' | 'EUR', minor: bigint, shown: string][] = [
    ['1.234', 'KWD', 1234n, '1.234'],
    ['0.5', 'BHD', 500n, '0.500'],
    ['99999999.999', 'OMR', 99999999999n, '99999999.999'],
    ['1500', 'CLP', 1500n, '1500'],
    ['1500.000', 'CLP', 1500n, '1500'],
    ['0.01', 'USD', 1n, '0.01'],
    ['12.', 'EUR', 1200n, '12.00'],
  ];
  for (const [amount, currency, minor, shown] of exact) {
    it(`"${amount}" ${currency} = ${minor}, written "${shown}"`, () => {
      expect(amountProblem(amount, currency)).toBeNull();
      expect(minorUnits(amount, currency)).toBe(minor);
      expect(amountString(minor, currency)).toBe(shown);
    });
  }

  it('refuses more decimals than the currency has, nothing, zero and a negative', () => {
    expect(amountProblem('1.2345', 'KWD')).toBe('Ensure that there are no more than 3 decimal places for KWD.');
    expect(amountProblem('1.5', 'CLP')).toBe('Ensure that there are no decimal places: CLP has no minor unit.');
    expect(amountProblem('0.001', 'USD')).toBe('Ensure that there are no more than 2 decimal places for USD.');
    expect(amountProblem('0', 'CLP')).toBe('Ensure this value is greater than or equal to 1.');
    expect(amountProblem('0.000', 'KWD')).toBe('Ensure this value is greater than or equal to 0.001.');
    expect(amountProblem('-1', 'USD')).toBe('Ensure this value is greater than or equal to 0.01.');
    expect(amountProblem('.', 'USD')).toBe('A valid number is required.');
    expect(amountProblem('1,00', 'EUR')).toBe('A valid number is required.');
  });
});
