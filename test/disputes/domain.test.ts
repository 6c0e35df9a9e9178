/**
 * Test-mode disputes, pure: opened when a pm_card_createDispute payment is captured, evidence merged
 * and submitted, decided by Stripe's test values (idempotently, as the timer may run twice), closed,
 * and the refund guard. Every intent is reached through real transitions (test/domain/fixtures.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Charge } from '../../src/domain/charge.js';
import { assertRefundable, EVIDENCE_WINDOW_MS } from '../../src/domain/disputes.js';
import { DomainError } from '../../src/domain/errors.js';
import type { Command, PaymentIntent } from '../../src/domain/intent.js';
import { confirmWith, created, FRESH, LATER, SETTINGS, step } from '../domain/fixtures.js';

const DISPUTE = FRESH.disputeId;

/** A payment of 2000 usd with the card whose payments are disputed. */
const disputed = (): PaymentIntent => step(created({ paymentMethod: 'pm_card_createDispute' }), confirmWith()).state;
const update = (extra: Partial<Extract<Command, { type: 'update_dispute' }>>): Command => ({
  type: 'update_dispute',
  disputeId: DISPUTE,
  submit: false,
  ...extra,
});
const refusalOf = (fn: () => unknown): DomainError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('opening a dispute', () => {
  it('a pm_card_createDispute payment: needs_response for the captured amount, due in 7 days, the charge disputed, two events', () => {
    const decision = step(created({ paymentMethod: 'pm_card_createDispute' }), confirmWith());
    const { state } = decision;
    expect(state.status).toBe('succeeded');
    expect(state.disputes).toEqual([
      {
        id: DISPUTE,
        charge: FRESH.chargeId,
        created: LATER,
        amount: 2000n,
        reason: 'fraudulent',
        status: 'needs_response',
        evidence: {},
        evidenceSubmittedAt: null,
        dueBy: LATER + EVIDENCE_WINDOW_MS,
        metadata: {},
        fundsWithdrawn: true,
      },
    ]);
    expect(state.charges[0]).toMatchObject({ id: FRESH.chargeId, status: 'succeeded', disputed: true });
    const disputeEvents = decision.events.filter((e) => e.subject?.kind === 'dispute');
    expect(disputeEvents.map((e) => [e.type, e.subject?.id])).toEqual([
      ['charge.dispute.created', DISPUTE],
      ['charge.dispute.funds_withdrawn', DISPUTE],
    ]);
  });

  it.each([
    { name: 'pm_card_visa', method: 'pm_card_visa', live: false },
    { name: 'pm_card_createDispute in live mode', method: 'pm_card_createDispute', live: true },
  ])('no dispute for $name', ({ method, live }) => {
    const intent = created({ paymentMethod: method }, { livemode: live });
    let state: PaymentIntent;
    try {
      state = step(intent, confirmWith()).state;
    } catch {
      return; // live mode refuses test cards altogether
    }
    expect(state.disputes).toEqual([]);
  });

  it('a manual capture is disputed when captured, for what was captured, once', () => {
    const held = step(created({ paymentMethod: 'pm_card_createDispute', captureMethod: 'manual' }), confirmWith()).state;
    expect(held.disputes).toEqual([]);
    const captured = step(held, { type: 'capture', amountToCapture: 1500n }).state;
    expect(captured.disputes.map((d) => [d.amount, d.status])).toEqual([[1500n, 'needs_response']]);
    // A later change of the intent opens no second dispute.
    const later = step(captured, { type: 'update', params: { description: 'x' } }).state;
    expect(later.disputes).toHaveLength(1);
  });
});

describe('evidence', () => {
  it('merges ("" removes a field) and metadata merges, without submitting; one charge.dispute.updated', () => {
    const staged = step(disputed(), update({ evidence: { customer_name: 'Jenny', receipt: 'file_1' }, metadata: { a: '1' } }));
    const next = step(staged.state, update({ evidence: { receipt: '', product_description: 'mug' } }));
    expect(next.state.disputes[0]).toMatchObject({
      status: 'needs_response',
      evidence: { customer_name: 'Jenny', product_description: 'mug' },
      metadata: { a: '1' },
      evidenceSubmittedAt: null,
    });
    expect(next.events.map((e) => e.type)).toEqual(['charge.dispute.updated']);
    expect(next.timers).toEqual([]);
  });

  it('an update that changes nothing changes nothing (no event)', () => {
    const staged = step(disputed(), update({ metadata: { a: '1' } })).state;
    const again = step(staged, update({ metadata: { a: '1' } }));
    expect(again.state).toBe(staged);
    expect(again.events).toEqual([]);
  });

  it('an unknown evidence field is refused, naming evidence', () => {
    const error = refusalOf(() => step(disputed(), update({ evidence: { favourite: 'x' } })));
    expect([error.code, error.field]).toEqual(['parameter_invalid', 'evidence']);
  });

  it('submit: under_review, and the dispute timer after disputeReviewDelayMs', () => {
    const decision = step(disputed(), update({ evidence: { uncategorized_text: 'winning_evidence' }, submit: true }));
    expect(decision.state.disputes[0]).toMatchObject({ status: 'under_review', evidenceSubmittedAt: LATER });
    expect(decision.timers).toEqual([{ kind: 'dispute', key: DISPUTE, at: LATER + SETTINGS.disputeReviewDelayMs }]);
  });

  it('evidence longer than 150,000 characters together is refused, naming evidence; up to it is taken', () => {
    const fields = { access_activity_log: 'a'.repeat(20_000), billing_address: 'b'.repeat(20_000) };
    let state = disputed();
    for (const f of ['cancellation_rebuttal', 'customer_name', 'product_description', 'refund_refusal_explanation', 'shipping_address']) {
      state = step(state, update({ evidence: { [f]: 'c'.repeat(20_000) } })).state;
    }
    // 100,000 characters so far; 50,000 more is exactly the limit.
    const full = step(state, update({ evidence: { ...fields, service_date: 'd'.repeat(10_000) } })).state;
    expect(Object.values(full.disputes[0]!.evidence).join('')).toHaveLength(150_000);
    const error = refusalOf(() => step(full, update({ evidence: { uncategorized_text: 'x' } })));
    expect([error.code, error.field]).toEqual(['parameter_invalid', 'evidence']);
  });

  it('submit without evidence is refused, naming evidence', () => {
    const error = refusalOf(() => step(disputed(), update({ submit: true })));
    expect([error.code, error.field]).toEqual(['parameter_missing', 'evidence']);
  });

  it('evidence past due_by is refused', () => {
    const intent = disputed();
    const error = refusalOf(() => step(intent, update({ evidence: { customer_name: 'x' } }), intent.disputes[0]!.dueBy + 1));
    expect([error.code, error.field]).toEqual(['dispute_unexpected_state', 'evidence']);
  });
});

describe('outcome', () => {
  const submitted = (text: string) => step(disputed(), update({ evidence: { uncategorized_text: text }, submit: true })).state;

  it('winning_evidence: won, funds reinstated, the charge no longer disputed; deciding again changes nothing', () => {
    const decision = step(submitted('winning_evidence'), { type: 'decide_dispute', disputeId: DISPUTE });
    expect(decision.state.disputes[0]!.status).toBe('won');
    expect(decision.state.charges[0]!.disputed).toBe(false);
    expect(decision.events.map((e) => e.type)).toEqual(['charge.dispute.closed', 'charge.dispute.funds_reinstated']);
    const again = step(decision.state, { type: 'decide_dispute', disputeId: DISPUTE });
    expect(again.state).toBe(decision.state);
  });

  it('losing_evidence: lost, the charge stays disputed', () => {
    const decision = step(submitted('losing_evidence'), { type: 'decide_dispute', disputeId: DISPUTE });
    expect(decision.state.disputes[0]!.status).toBe('lost');
    expect(decision.state.charges[0]!.disputed).toBe(true);
    expect(decision.events.map((e) => e.type)).toEqual(['charge.dispute.closed']);
  });

  it('other evidence stays under review; a timer for an unknown dispute does nothing', () => {
    const state = submitted('we shipped it');
    expect(step(state, { type: 'decide_dispute', disputeId: DISPUTE }).state).toBe(state);
    expect(step(state, { type: 'decide_dispute', disputeId: 'dp_other' }).state).toBe(state);
  });

  it('close: lost at once; then evidence, submit and close are refused, metadata still merges', () => {
    const closed = step(disputed(), { type: 'close_dispute', disputeId: DISPUTE });
    expect(closed.state.disputes[0]!.status).toBe('lost');
    expect(closed.events.map((e) => e.type)).toEqual(['charge.dispute.closed']);
    for (const command of [
      update({ evidence: { customer_name: 'x' } }),
      update({ submit: true }),
      { type: 'close_dispute', disputeId: DISPUTE } as Command,
    ]) {
      expect(refusalOf(() => step(closed.state, command)).code).toBe('dispute_unexpected_state');
    }
    expect(step(closed.state, update({ metadata: { k: 'v' } })).state.disputes[0]!.metadata).toEqual({ k: 'v' });
  });

  it('an unknown dispute is resource_missing', () => {
    const error = refusalOf(() => step(disputed(), { type: 'close_dispute', disputeId: 'dp_other' }));
    expect(error.code).toBe('resource_missing');
  });
});

describe('assertRefundable', () => {
  const chargeOf = (state: PaymentIntent): Charge => state.charges[0]!;

  it('refuses a charge whose dispute is open, under review or lost; allows one not disputed or won', () => {
    const open = disputed();
    expect(refusalOf(() => assertRefundable(open, chargeOf(open)))).toMatchObject({ code: 'charge_disputed', field: 'charge' });
    const review = step(open, update({ evidence: { uncategorized_text: 'winning_evidence' }, submit: true })).state;
    expect(refusalOf(() => assertRefundable(review, chargeOf(review))).code).toBe('charge_disputed');
    const won = step(review, { type: 'decide_dispute', disputeId: DISPUTE }).state;
    expect(() => assertRefundable(won, chargeOf(won))).not.toThrow();
    const lost = step(open, { type: 'close_dispute', disputeId: DISPUTE }).state;
    expect(refusalOf(() => assertRefundable(lost, chargeOf(lost))).code).toBe('charge_disputed');
    const plain = step(created({ paymentMethod: 'pm_card_visa' }), confirmWith()).state;
    expect(() => assertRefundable(plain, chargeOf(plain))).not.toThrow();
  });
});
