/** The pure mapping of a mandate's reports onto its debit intent (src/domain/debit-intent.ts), as a table. */
import { describe, expect, it } from 'vitest';
import { applyDebitReport, createDebitIntent, ignoredReport } from '../../src/domain/debit-intent.js';
import type { DebitReport, PaymentIntent } from '../../src/domain/intent.js';
import { decide } from '../../src/domain/payment-intent.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const SETTINGS = {
  asyncSettleDelayMs: 5_000,
  cryptoMonitorWindowMs: 86_400_000,
  refundSettleDelayMs: 5_000,
  disputeReviewDelayMs: 5_000,
  escrowHoldSeconds: 604_800,
  escrowHeldPollMs: 60_000,
};
const FRESH = { chargeId: 'ch_test_1', refundId: 're_test_1', disputeId: 'dp_test_1' };
const TX = `0x${'ab'.repeat(32)}`;

function fresh(): PaymentIntent {
  return createDebitIntent(
    { id: 'pi_test_debit', clientSecret: 'pi_test_debit_secret_x', merchantId: 'acct_test', livemode: false },
    {
      amount: 5_000_000n,
      currency: 'usdc',
      debit: {
        mandate: 'mdt_test',
        period: 1,
        network: 'local',
        chainId: 31337,
        contract: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
        token: { symbol: 'usdc', decimals: 6, address: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
        payer: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        payee: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      },
      description: null,
      metadata: {},
    },
    NOW,
  ).state;
}

const report = (state: PaymentIntent, r: DebitReport) => decide(state, { type: 'debit_reported', report: r }, NOW, SETTINGS, FRESH);
const through = (...reports: DebitReport[]) => reports.reduce((s, r) => report(s, r).state, fresh());

const processing: DebitReport = { kind: 'processing', attemptId: 'a1', txHash: null };
const failed: DebitReport = { kind: 'failed', code: 'allowance_too_low', message: 'The allowance is below the debit.' };
const succeeded: DebitReport = { kind: 'succeeded', txHash: TX, blockNumber: 7n, amount: 5_000_000n };
const forfeited: DebitReport = { kind: 'closed', reason: 'period_forfeited' };
const ended: DebitReport = { kind: 'closed', reason: 'mandate_canceled' };

describe('debit reports → intent', () => {
  it.each([
    // Each send is an attempt: its charge is pending while the transaction is out, then succeeds or fails.
    {
      name: 'created + processing',
      from: [],
      r: processing,
      status: 'processing',
      events: ['payment_intent.processing', 'charge.pending'],
    },
    {
      name: 'created + failed',
      from: [],
      r: failed,
      status: 'requires_payment_method',
      events: ['payment_intent.payment_failed', 'charge.failed'],
    },
    { name: 'created + succeeded', from: [], r: succeeded, status: 'succeeded', events: ['payment_intent.succeeded', 'charge.succeeded'] },
    { name: 'created + closed', from: [], r: forfeited, status: 'canceled', events: ['payment_intent.canceled'] },
    {
      name: 'processing + failed',
      from: [processing],
      r: failed,
      status: 'requires_payment_method',
      events: ['payment_intent.payment_failed', 'charge.failed'],
    },
    {
      name: 'failed + processing (a retry)',
      from: [failed],
      r: processing,
      status: 'processing',
      events: ['payment_intent.processing', 'charge.pending'],
    },
    {
      name: 'processing + succeeded',
      from: [processing],
      r: succeeded,
      status: 'succeeded',
      events: ['payment_intent.succeeded', 'charge.succeeded'],
    },
    { name: 'failed + closed', from: [failed], r: ended, status: 'canceled', events: ['payment_intent.canceled'] },
    { name: 'processing + processing', from: [processing], r: processing, status: 'processing', events: [] },
    { name: 'failed + the same failed', from: [failed], r: failed, status: 'requires_payment_method', events: [] },
    { name: 'succeeded + the same succeeded', from: [succeeded], r: succeeded, status: 'succeeded', events: [] },
    { name: 'succeeded + failed (late)', from: [succeeded], r: failed, status: 'succeeded', events: [] },
    { name: 'succeeded + closed (late)', from: [succeeded], r: forfeited, status: 'succeeded', events: [] },
    { name: 'canceled + processing (late)', from: [forfeited], r: processing, status: 'canceled', events: [] },
    { name: 'canceled + closed', from: [forfeited], r: ended, status: 'canceled', events: [] },
    {
      name: 'canceled + succeeded (late funds)',
      from: [forfeited],
      r: succeeded,
      status: 'canceled',
      events: ['payment_intent.late_funds_received'],
    },
  ] as { name: string; from: DebitReport[]; r: DebitReport; status: string; events: string[] }[])(
    '$name → $status $events',
    ({ from, r, status, events }) => {
      const before = through(...from);
      const d = report(before, r);
      expect(d.state.status).toBe(status);
      expect(d.events.map((e) => e.type)).toEqual(events);
      if (events.length === 0 && r.kind !== 'processing') expect(d.state).toBe(before);
    },
  );

  it('failed: last_payment_error names the report’s code and the mandate as the payment method; a retry clears it', () => {
    const s = through(failed);
    expect(s.lastPaymentError).toEqual({
      type: 'invalid_request_error',
      code: 'allowance_too_low',
      declineCode: null,
      message: 'The allowance is below the debit.',
      paymentMethod: { id: 'mdt_test', type: 'crypto' },
    });
    expect(report(s, processing).state.lastPaymentError).toBeNull();
  });

  it('closed: abandoned for a forfeited period, automatic when the mandate ended, at the time passed in', () => {
    expect(through(forfeited)).toMatchObject({ cancellationReason: 'abandoned', canceledAt: NOW });
    expect(through(ended)).toMatchObject({ cancellationReason: 'automatic', canceledAt: NOW });
  });

  it('a failed send and its retry are two charges; the one that succeeds shows the payer and the transaction', () => {
    const ids = (n: number) => ({ ...FRESH, chargeId: `ch_test_${n}` });
    const steps: [DebitReport, number][] = [
      [processing, 1],
      [failed, 2],
      [{ ...processing, attemptId: 'a2' }, 3],
      [succeeded, 4],
    ];
    const s = steps.reduce((state, [r, n]) => decide(state, { type: 'debit_reported', report: r }, NOW, SETTINGS, ids(n)).state, fresh());
    expect(s.charges.map((c) => [c.id, c.status])).toEqual([
      ['ch_test_1', 'failed'],
      ['ch_test_3', 'succeeded'],
    ]);
    expect(s.charges[0]).toMatchObject({ failureCode: 'allowance_too_low', paymentMethod: 'mdt_test' });
    expect(s.charges[1]).toMatchObject({
      amount: 5_000_000n,
      amountCaptured: 5_000_000n,
      paymentMethod: 'mdt_test',
      paymentMethodDetails: {
        type: 'crypto',
        crypto: { network: 'local', chainId: 31337, from: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', transactions: [TX] },
      },
    });
  });

  it('succeeded: amount_received and the transaction and block', () => {
    expect(through(processing, succeeded)).toMatchObject({ amountReceived: 5_000_000n, debit: { txHash: TX, blockNumber: 7n } });
  });

  it('says why a late report is ignored, and nothing for one that applies or repeats', () => {
    expect(ignoredReport(through(succeeded), failed)).toMatch(/already succeeded/);
    expect(ignoredReport(through(succeeded), { ...succeeded, txHash: `0x${'cd'.repeat(32)}` })).toMatch(/already succeeded/);
    expect(ignoredReport(through(succeeded), succeeded)).toBeNull();
    expect(ignoredReport(through(forfeited), failed)).toMatch(/canceled/);
    expect(ignoredReport(through(failed), processing)).toBeNull();
  });

  it('a debit intent cannot be confirmed, captured or have its payment changed by its merchant', () => {
    const s = through(failed);
    const confirm = () => decide(s, { type: 'confirm', challengeToken: 't' }, NOW, SETTINGS, FRESH);
    expect(confirm).toThrow(expect.objectContaining({ code: 'payment_intent_unexpected_state', operation: 'confirm', field: 'mandate' }));
    expect(() => decide(s, { type: 'capture' }, NOW, SETTINGS, FRESH)).toThrow(expect.objectContaining({ field: 'mandate' }));
    expect(() => decide(s, { type: 'update', params: { amount: 1n } }, NOW, SETTINGS, FRESH)).toThrow(
      expect.objectContaining({ field: 'amount' }),
    );
    expect(decide(s, { type: 'update', params: { description: 'March' } }, NOW, SETTINGS, FRESH).state.description).toBe('March');
    expect(decide(s, { type: 'cancel' }, NOW, SETTINGS, FRESH).state.status).toBe('canceled');
  });

  it('applyDebitReport refuses an intent that is not a debit', () => {
    const { debit: _d, ...rest } = fresh();
    expect(() => applyDebitReport({ ...rest, debit: null }, processing, NOW)).toThrow(/not a mandate's debit intent/);
  });
});
