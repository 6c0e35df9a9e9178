/**
 * The payment methods of 001_… in the pure domain: the charges their flows leave (reconcileCharges
 * derives them from the transitions), the confirm-time check of a method against the intent, and
 * the bank transfer's funding as a table.
 */
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import type { Command, PaymentIntent } from '../../src/domain/intent.js';
import { decide } from '../../src/domain/payment-intent.js';
import { confirmWith, created, FRESH, LATER, SETTINGS, step } from '../domain/fixtures.js';

const RETURN = { returnUrl: 'https://shop.example/back' };
const blik = (code: string): Command => ({ ...(confirmWith('pm_blik') as Extract<Command, { type: 'confirm' }>), blikCode: code });

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('the charges of each flow', () => {
  it('a redirect: no charge while the payer is away; one succeeded charge with the type once authorized', () => {
    const intent = created({ currency: 'eur', paymentMethodTypes: ['ideal'] });
    const away = step(intent, confirmWith('pm_ideal', RETURN));
    expect(away.state).toMatchObject({ status: 'requires_action', nextAction: { type: 'redirect_to_url', returnUrl: RETURN.returnUrl } });
    expect(away.state.charges).toEqual([]);
    const back = step(away.state, { type: 'complete_challenge', outcome: 'succeeded' });
    expect(back.state.status).toBe('succeeded');
    expect(back.state.charges).toEqual([
      expect.objectContaining({ status: 'succeeded', amountCaptured: 2000n, paymentMethodDetails: { type: 'ideal', reference: null } }),
    ]);
    expect(back.events.map((e) => e.type)).toEqual(['payment_intent.succeeded', 'charge.succeeded']);
  });

  it('a failed redirect: one failed charge with the authentication failure', () => {
    const away = step(created({ currency: 'eur', paymentMethodTypes: ['bancontact'] }), confirmWith('pm_bancontact', RETURN));
    const failed = step(away.state, { type: 'complete_challenge', outcome: 'failed' });
    expect(failed.state).toMatchObject({ status: 'requires_payment_method', paymentMethod: null });
    expect(failed.state.charges).toEqual([
      expect.objectContaining({ status: 'failed', failureCode: 'payment_intent_authentication_failure' }),
    ]);
  });

  it('blik: a declined code fails its charge; an approved one succeeds on the settle timer', () => {
    const intent = created({ currency: 'pln', paymentMethodTypes: ['blik'] });
    const declined = step(intent, blik('000000'));
    expect(declined.paymentError).toMatchObject({ code: 'payment_intent_payment_attempt_failed', declineCode: 'code_invalid' });
    expect(declined.state.charges).toEqual([expect.objectContaining({ status: 'failed', failureCode: 'code_invalid' })]);

    const waiting = step(declined.state, blik('777123'));
    expect(waiting.state).toMatchObject({ status: 'requires_action', nextAction: { type: 'blik_authorize' } });
    expect(waiting.timers).toEqual([{ kind: 'settle', at: expect.any(Number) }]);
    // The second attempt's charge gets an id of its own, as the shell draws fresh ones for every command.
    const approved = decide(waiting.state, { type: 'settle' }, LATER, SETTINGS, { ...FRESH, chargeId: 'ch_test_2' });
    expect(approved.state).toMatchObject({ status: 'succeeded', amountReceived: 2000n });
    expect(approved.state.charges.map((c) => [c.id, c.status])).toEqual([
      ['ch_test_1', 'failed'],
      ['ch_test_2', 'succeeded'],
    ]);
    // A second settle (alarms are at-least-once) changes nothing.
    expect(step(approved.state, { type: 'settle' }).state).toBe(approved.state);
  });

  it('a bank transfer: no charge while funds arrive in part; one succeeded charge when it is paid in full', () => {
    const waiting = step(created({ currency: 'eur', paymentMethodTypes: ['customer_balance'] }), confirmWith('pm_customer_balance'));
    expect(waiting.state.nextAction).toEqual({ type: 'display_bank_transfer_instructions', reference: 'PI_TEST_1'.slice(-12) });
    const part = step(waiting.state, { type: 'fund', amount: 1500n });
    expect(part.state).toMatchObject({ status: 'requires_action', amountReceived: 1500n, charges: [] });
    expect(part.events.map((e) => e.type)).toEqual(['payment_intent.partially_funded']);
    const full = step(part.state, { type: 'fund', amount: 500n });
    expect(full.state).toMatchObject({ status: 'succeeded', amountReceived: 2000n, nextAction: null });
    expect(full.state.charges).toEqual([expect.objectContaining({ status: 'succeeded', amountCaptured: 2000n })]);
  });
});

describe('fund, refused', () => {
  const waiting = (): PaymentIntent =>
    step(created({ currency: 'eur', paymentMethodTypes: ['customer_balance'] }), confirmWith('pm_customer_balance')).state;

  it.each([
    ['more than is due', { type: 'fund', amount: 2001n }, 'amount_too_large', 'amount'],
    ['another reference', { type: 'fund', amount: 1n, reference: 'SOMETHING' }, 'parameter_invalid', 'reference'],
  ] as const)('%s', (_, command, code, field) => {
    expect(refusal(() => step(waiting(), command))).toMatchObject({ code, field });
  });

  it('an intent not waiting for a transfer (a 3-D Secure one, an unconfirmed one)', () => {
    const challenged = step(created({ currency: 'eur' }), confirmWith('pm_card_threeDSecure2Required')).state;
    expect(refusal(() => step(challenged, { type: 'fund', amount: 1n }))).toMatchObject({ code: 'payment_intent_unexpected_state' });
    const open = created({ currency: 'eur', paymentMethodTypes: ['customer_balance'] });
    expect(refusal(() => step(open, { type: 'fund', amount: 1n }))).toMatchObject({
      code: 'payment_intent_unexpected_state',
      currentStatus: 'requires_payment_method',
    });
  });
});

describe('confirm checks the method against the intent again', () => {
  it('an intent whose currency the method does not take (stored before these rules) is refused, naming payment_method', () => {
    const stored = { ...created({ currency: 'eur', paymentMethodTypes: ['ideal'] }), currency: 'usd' };
    expect(refusal(() => step(stored, confirmWith('pm_ideal', RETURN)))).toMatchObject({
      code: 'parameter_invalid',
      field: 'paymentMethod',
    });
  });

  it('manual capture stored on an ideal intent is refused, naming capture_method', () => {
    const stored: PaymentIntent = { ...created({ currency: 'eur', paymentMethodTypes: ['ideal'] }), captureMethod: 'manual' };
    expect(refusal(() => step(stored, confirmWith('pm_ideal', RETURN)))).toMatchObject({ field: 'captureMethod' });
  });

  it('a redirect confirmed again after a manual confirmation authorizes without another trip', () => {
    const away = step(
      created({ currency: 'eur', paymentMethodTypes: ['paypal'], confirmationMethod: 'manual', captureMethod: 'manual' }),
      confirmWith('pm_paypal', RETURN),
    );
    const back = step(away.state, { type: 'complete_challenge', outcome: 'succeeded' });
    expect(back.state.status).toBe('requires_confirmation');
    const confirmed = step(back.state, confirmWith(undefined, RETURN));
    expect(confirmed.state).toMatchObject({ status: 'requires_capture', amountCapturable: 2000n });
  });
});
