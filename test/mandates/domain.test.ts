/**
 * The mandate's pure schedule steps (src/domain/mandate.ts): periods are fixed windows from start,
 * the short-funds ladder fits at least two retries in a 10-second test period, a debit is applied
 * once, and the statuses map onto 002_…'s status_text.
 */
import { describe, expect, it } from 'vitest';
import {
  type Mandate,
  periodAt,
  periodEnd,
  shortRetryDelayMs,
  wireStatus,
  withCancel,
  withDebit,
  withFunds,
  withShortfall,
} from '../../src/domain/mandate.js';

const base: Mandate = {
  id: 'mdt_test',
  merchantId: 'acct_1',
  livemode: false,
  shard: 'SHARD_0',
  debitItemId: 'di_1',
  network: 'mandates',
  chainId: 31_345,
  accountType: 'connected_wallet',
  contract: '0x0000000000000000000000000000000000000001',
  token: { symbol: 'usdc', decimals: 6, address: '0x0000000000000000000000000000000000000002' },
  payer: '0x0000000000000000000000000000000000000003',
  payee: '0x0000000000000000000000000000000000000004',
  maxAmount: 1_000_000n,
  debitTimes: 2,
  interval: 100,
  start: 1_000,
  validBefore: 5_000,
  salt: `0x${'00'.repeat(32)}`,
  signature: '0x',
  onchainId: `0x${'11'.repeat(32)}`,
  commitment: `0x${'22'.repeat(32)}`,
  pricing: 'dynamic',
  status: 'created',
  used: 0,
  lastPeriod: 0,
  lastPaymentAt: null,
  nextPaymentAt: 1_000_000,
  estimatedGas: 70_470n,
  debitRequests: [{ id: 'dr_1', amount: 600_000n, status: 'pending', period: null, failureCode: null, paymentIntent: null, created: 0 }],
  failedDynamicPaymentAmount: 0n,
  accountBalance: null,
  balanceReadAt: null,
  canceledAt: null,
  cancellationSource: null,
  metadata: {},
  created: 0,
  revision: 1,
};

describe('periods', () => {
  it.each([
    [999, 0],
    [1_000, 1],
    [1_099, 1],
    [1_100, 2],
    [1_350, 4],
  ])('at chain time %i the period is %i', (t, p) => {
    expect(periodAt(base, t)).toBe(p);
  });

  it('a period ends where the next starts', () => {
    expect(periodEnd(base, 1)).toBe(1_100);
    expect(periodAt(base, periodEnd(base, 1))).toBe(2);
  });

  it('the short-funds ladder retries at least twice within a 10-second test period, and grows', () => {
    expect(shortRetryDelayMs(0) + shortRetryDelayMs(1)).toBeLessThan(10_000);
    expect(shortRetryDelayMs(2)).toBeGreaterThan(shortRetryDelayMs(1));
    expect(shortRetryDelayMs(100)).toBe(7_200_000);
  });
});

describe('transitions', () => {
  it('a debit: used, last period, next payment at start + used·interval, the request debited; the same debit again changes nothing', () => {
    const d = { period: 1, used: 1, amount: 600_000n, at: 1_050_000, requestId: 'dr_1', paymentIntent: 'pi_x' };
    const after = withDebit(base, d);
    expect(after).toMatchObject({
      status: 'recurring',
      used: 1,
      lastPeriod: 1,
      lastPaymentAt: 1_050_000,
      nextPaymentAt: 1_100_000,
      revision: 2,
    });
    expect(after.debitRequests[0]).toMatchObject({ status: 'debited', period: 1, paymentIntent: 'pi_x' });
    expect(withDebit(after, d)).toBe(after);
    const last = withDebit(after, { ...d, period: 3, used: 2, requestId: null });
    expect(last).toMatchObject({ status: 'paid', nextPaymentAt: null, lastPeriod: 3 });
  });

  it('short: ACCOUNTBALANCETOOLOW with the balance read and, for Dynamic, what was missing; back to created or recurring with funds', () => {
    const short = withShortfall(base, 600_000n, 250_000n, 5);
    expect(short).toMatchObject({ status: 'account_balance_too_low', accountBalance: 250_000n, failedDynamicPaymentAmount: 350_000n });
    expect(wireStatus(short.status)).toBe('ACCOUNTBALANCETOOLOW');
    expect(withFunds(short, 700_000n, 6).status).toBe('created');
    expect(withFunds({ ...short, used: 1 }, 700_000n, 6).status).toBe('recurring');
  });

  it('a cancel ends pending requests; a debit landing after it keeps it canceled', () => {
    const canceled = withCancel(base, 'payer', 7);
    expect(canceled).toMatchObject({ status: 'canceled', cancellationSource: 'payer', canceledAt: 7, nextPaymentAt: null });
    expect(canceled.debitRequests[0]!.status).toBe('canceled');
    expect(withDebit(canceled, { period: 1, used: 1, amount: 1n, at: 8, requestId: null, paymentIntent: null }).status).toBe('canceled');
  });

  it.each([
    ['registering', 'CREATED'],
    ['created', 'CREATED'],
    ['recurring', 'RECURRING'],
    ['account_balance_too_low', 'ACCOUNTBALANCETOOLOW'],
    ['paid', 'PAID'],
    ['canceled', 'CANCELLED'],
    ['failed', 'CANCELLED'],
  ] as const)('%s is %s on the wire of 002_…', (status, wire) => {
    expect(wireStatus(status)).toBe(wire);
  });
});
