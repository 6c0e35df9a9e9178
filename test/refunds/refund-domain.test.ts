/**
 * Refunds in the pure domain (src/domain/refunds.ts): what a refund does to its charge, the
 * refusals (each naming its parameter), settling on the timer (succeeded, or failed for
 * pm_card_refundFail), cancel, metadata, and at-least-once timers changing nothing twice.
 */
import { describe, expect, it } from 'vitest';
import type { Command, PaymentIntent } from '../../src/domain/intent.js';
import { createDebitIntent } from '../../src/domain/debit-intent.js';
import { decide } from '../../src/domain/payment-intent.js';
import { confirmWith, created, FRESH, LATER, reach, refusal, SETTINGS, step } from '../domain/fixtures.js';

const refund = (refundId: string, params: Extract<Command, { type: 'refund' }>['params'] = {}): Command => ({
  type: 'refund',
  refundId,
  params,
});
const settle = (refundId: string): Command => ({ type: 'settle_refund', refundId });
const cancel = (refundId: string): Command => ({ type: 'cancel_refund', refundId });

/** A 2000 usd intent paid with `paymentMethod`. */
function paidWith(paymentMethod = 'pm_card_visa'): PaymentIntent {
  const paid = step(created({ paymentMethod }), confirmWith()).state;
  expect(paid.status).toBe('succeeded');
  return paid;
}

const chargeOf = (intent: PaymentIntent) => intent.charges.find((c) => c.status === 'succeeded')!;
const refundIn = (intent: PaymentIntent, id: string) => intent.refunds.find((r) => r.id === id)!;

describe('creating a refund', () => {
  it('refunds all that is left by default: pending, counted against the charge at once, settled by a keyed timer', () => {
    const paid = paidWith();
    const d = step(paid, refund('re_a', { reason: 'requested_by_customer', metadata: { ticket: 'T-1' } }));
    expect(d.state.refunds).toEqual([
      {
        id: 're_a',
        charge: chargeOf(paid).id,
        created: LATER,
        amount: 2000n,
        reason: 'requested_by_customer',
        metadata: { ticket: 'T-1' },
        status: 'pending',
        failureReason: null,
        crypto: null,
      },
    ]);
    expect(chargeOf(d.state)).toMatchObject({ amountRefunded: 2000n, refunded: true });
    expect(d.events.map((e) => [e.type, e.subject])).toEqual([['refund.created', { kind: 'refund', id: 're_a' }]]);
    expect(d.timers).toEqual([{ kind: 'refund', key: 're_a', at: LATER + SETTINGS.refundSettleDelayMs }]);
    // The intent itself is as it was: amount_received does not move, and no payment_intent.* event.
    expect(d.state).toMatchObject({ status: 'succeeded', amountReceived: 2000n });
  });

  it('several partial refunds up to the amount received, never more; the charge names the parameter', () => {
    let intent = paidWith();
    intent = step(intent, refund('re_1', { amount: 500n })).state;
    intent = step(intent, refund('re_2', { amount: 700n, charge: chargeOf(intent).id })).state;
    expect(chargeOf(intent)).toMatchObject({ amountRefunded: 1200n, refunded: false });

    const tooMuch = refusal(() => step(intent, refund('re_3', { amount: 801n })));
    expect(tooMuch).toMatchObject({ code: 'amount_too_large', field: 'amount' });
    expect(tooMuch.message).toContain('(800,');

    intent = step(intent, refund('re_3')).state;
    expect(refundIn(intent, 're_3').amount).toBe(800n);
    expect(chargeOf(intent)).toMatchObject({ amountRefunded: 2000n, refunded: true });
    expect(refusal(() => step(intent, refund('re_4', { amount: 1n })))).toMatchObject({
      code: 'charge_already_refunded',
      field: 'paymentIntent',
    });
    expect(refusal(() => step(intent, refund('re_4', { charge: chargeOf(intent).id })))).toMatchObject({
      code: 'charge_already_refunded',
      field: 'charge',
    });
  });

  it('refuses an intent without a captured, succeeded charge, naming what was passed', () => {
    for (const status of ['requires_payment_method', 'processing', 'canceled'] as const) {
      expect(refusal(() => step(reach(status), refund('re_x')))).toMatchObject({
        code: 'payment_intent_unexpected_state',
        field: 'paymentIntent',
        allowedStatuses: ['succeeded'],
      });
    }
    const held = reach('requires_capture');
    const uncaptured = refusal(() => step(held, refund('re_x', { charge: held.charges[0]!.id })));
    expect(uncaptured).toMatchObject({ code: 'payment_intent_unexpected_state', field: 'charge' });
    expect(uncaptured.message).toContain('cancel the PaymentIntent');
  });

  it('refuses a charge that is not this intent`s, and an amount that is not positive', () => {
    const paid = paidWith();
    expect(refusal(() => step(paid, refund('re_x', { charge: 'ch_of_another_intent' })))).toMatchObject({
      code: 'parameter_invalid',
      field: 'charge',
    });
    expect(refusal(() => step(paid, refund('re_x', { amount: 0n })))).toMatchObject({ code: 'parameter_invalid', field: 'amount' });
  });

  it('refuses a charge whose dispute holds its money (pm_card_createDispute), naming what was passed', () => {
    const disputed = paidWith('pm_card_createDispute');
    expect(disputed.disputes).toHaveLength(1);
    expect(refusal(() => step(disputed, refund('re_x')))).toMatchObject({ code: 'charge_disputed', field: 'paymentIntent' });
    expect(refusal(() => step(disputed, refund('re_x', { charge: chargeOf(disputed).id })))).toMatchObject({
      code: 'charge_disputed',
      field: 'charge',
    });
  });

  it("refuses a mandate's debit intent: its contract paid it on chain, from the payer's wallet", () => {
    const debit = createDebitIntent(
      { id: 'pi_test_debit', clientSecret: 'pi_test_debit_secret_x', merchantId: 'acct_test', livemode: false },
      {
        amount: 5_000_000n,
        currency: 'usdc',
        debit: {
          mandate: 'mdt_test',
          period: 1,
          network: 'local',
          contract: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
          token: { symbol: 'usdc', decimals: 6, address: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
          payer: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
          payee: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
        },
        description: null,
        metadata: {},
      },
      LATER,
    ).state;
    const paidDebit = step(debit, {
      type: 'debit_reported',
      report: { kind: 'succeeded', txHash: `0x${'ab'.repeat(32)}`, blockNumber: 7n, amount: 5_000_000n },
    }).state;
    expect(paidDebit.status).toBe('succeeded');
    const refused = refusal(() => step(paidDebit, refund('re_x')));
    expect(refused).toMatchObject({ code: 'parameter_invalid', field: 'paymentIntent' });
    expect(refused.message).toContain('0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
  });

  it('a failed attempt before the successful one is not refundable; the succeeded charge is', () => {
    const declined = step(created({ paymentMethod: 'pm_card_chargeDeclined' }), confirmWith()).state;
    const failedCharge = declined.charges[0]!;
    // The second attempt's charge gets an id of its own (the shell draws fresh ids for every command).
    const paid = decide(declined, confirmWith('pm_card_visa'), LATER, SETTINGS, { ...FRESH, chargeId: 'ch_second' }).state;
    expect(paid.charges.map((c) => [c.id, c.status])).toEqual([
      [failedCharge.id, 'failed'],
      ['ch_second', 'succeeded'],
    ]);
    expect(refusal(() => step(paid, refund('re_x', { charge: failedCharge.id })))).toMatchObject({
      code: 'payment_intent_unexpected_state',
      field: 'charge',
    });
    expect(refundIn(step(paid, refund('re_ok')).state, 're_ok').charge).toBe(chargeOf(paid).id);
  });
});

describe('settling a refund (the refund timer)', () => {
  it('succeeds: refund.updated and charge.refunded; a second firing changes nothing', () => {
    const pending = step(paidWith(), refund('re_a', { amount: 300n })).state;
    const d = step(pending, settle('re_a'));
    expect(refundIn(d.state, 're_a').status).toBe('succeeded');
    expect(d.events.map((e) => [e.type, e.subject?.kind])).toEqual([
      ['refund.updated', 'refund'],
      ['charge.refunded', 'charge'],
    ]);
    expect(chargeOf(d.state).amountRefunded).toBe(300n);
    const again = step(d.state, settle('re_a'));
    expect(again.state).toBe(d.state);
    expect(again.events).toEqual([]);
  });

  it('fails for pm_card_refundFail: declined, refund.failed, and the amount is refundable again', () => {
    const pending = step(paidWith('pm_card_refundFail'), refund('re_a', { amount: 1500n })).state;
    expect(chargeOf(pending).amountRefunded).toBe(1500n);
    const d = step(pending, settle('re_a'));
    expect(refundIn(d.state, 're_a')).toMatchObject({ status: 'failed', failureReason: 'declined' });
    expect(d.events.map((e) => e.type)).toEqual(['refund.updated', 'refund.failed']);
    expect(chargeOf(d.state)).toMatchObject({ amountRefunded: 0n, refunded: false });
    // All 2000 can be asked for again.
    expect(refundIn(step(d.state, refund('re_b')).state, 're_b').amount).toBe(2000n);
    expect(step(d.state, settle('re_a')).events).toEqual([]);
  });

  it('a timer for an unknown refund changes nothing', () => {
    const paid = paidWith();
    expect(step(paid, settle('re_nope')).state).toBe(paid);
  });
});

describe('canceling and updating a refund', () => {
  it('cancels while pending (amount refundable again, failure_reason merchant_request); not after, and the late timer is a no-op', () => {
    const pending = step(paidWith(), refund('re_a', { amount: 2000n })).state;
    const d = step(pending, cancel('re_a'));
    expect(refundIn(d.state, 're_a')).toMatchObject({ status: 'canceled', failureReason: 'merchant_request' });
    expect(d.events.map((e) => e.type)).toEqual(['refund.updated']);
    expect(chargeOf(d.state)).toMatchObject({ amountRefunded: 0n, refunded: false });
    expect(refusal(() => step(d.state, cancel('re_a')))).toMatchObject({ code: 'refund_unexpected_state', field: 'id' });
    expect(step(d.state, settle('re_a')).state).toBe(d.state);

    const settled = step(pending, settle('re_a')).state;
    const late = refusal(() => step(settled, cancel('re_a')));
    expect(late).toMatchObject({ code: 'refund_unexpected_state' });
    expect(late.message).toContain('status of succeeded');
  });

  it('merges metadata like an intent`s ("" removes a key, null clears); an update that changes nothing is no change', () => {
    const pending = step(paidWith(), refund('re_a', { metadata: { a: '1', b: '2' } })).state;
    const d = step(pending, { type: 'update_refund', refundId: 're_a', metadata: { b: '', c: '3' } });
    expect(refundIn(d.state, 're_a').metadata).toEqual({ a: '1', c: '3' });
    expect(d.events.map((e) => e.type)).toEqual(['refund.updated']);
    expect(step(d.state, { type: 'update_refund', refundId: 're_a', metadata: { a: '1' } }).state).toBe(d.state);
    expect(refundIn(step(d.state, { type: 'update_refund', refundId: 're_a', metadata: null }).state, 're_a').metadata).toEqual({});
    expect(refusal(() => step(d.state, { type: 'update_refund', refundId: 're_nope', metadata: {} }))).toMatchObject({
      code: 'resource_missing',
      resource: { type: 'refund', id: 're_nope' },
    });
  });
});
