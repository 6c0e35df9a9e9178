/**
 * The Stripe family renders the domain's refusals in its own words: its messages, its parameter
 * spelling, one status table that covers every code the domain and the shared HTTP layer can give.
 */
import { describe, expect, it } from 'vitest';
import { COVERED_CODES, paymentFailed, refusalToStripe, STRIPE_ERRORS } from '../../src/api/stripe/errors.js';
import { DOMAIN_ERROR_CODES, DomainError, type Field, invalid, noSuchIntent, unexpectedState } from '../../src/domain/errors.js';
import type { PaymentError } from '../../src/domain/intent.js';
import { REQUEST_ERROR_CODES } from '../../src/http/errors.js';
import { created } from '../domain/fixtures.js';

describe('the status table', () => {
  it('has a status and a type for every code of the domain and of the shared HTTP layer', () => {
    for (const code of [...DOMAIN_ERROR_CODES, ...REQUEST_ERROR_CODES]) {
      expect(STRIPE_ERRORS[code as keyof typeof STRIPE_ERRORS], code).toMatchObject({
        status: expect.any(Number),
        type: expect.any(String),
      });
    }
    expect(COVERED_CODES).toHaveLength(DOMAIN_ERROR_CODES.length + REQUEST_ERROR_CODES.length);
  });
});

describe('parameter spelling', () => {
  it.each<[Field, string]>([
    ['amountToCapture', 'amount_to_capture'],
    ['paymentMethodTypes', 'payment_method_types'],
    ['crypto', 'payment_method_options[crypto]'],
    ['crypto.network', 'payment_method_options[crypto][network]'],
    ['crypto.expiresIn', 'payment_method_options[crypto][expires_in]'],
    ['statementDescriptor', 'statement_descriptor'],
  ])('%s is the parameter %s, in param and in the message', (field, param) => {
    const rendered = refusalToStripe(invalid('parameter_invalid', field, `{{${field}}} is wrong.`));
    expect(rendered.param).toBe(param);
    expect(rendered.message).toBe(`${param} is wrong.`);
    expect(rendered.status).toBe(400);
  });

  it('the domain keeps its own spelling in its message (logs)', () => {
    const error = invalid('parameter_missing', 'crypto.network', 'A crypto PaymentIntent needs {{crypto.network}} and {{crypto.token}}.');
    expect(error.message).toBe('A crypto PaymentIntent needs crypto.network and crypto.token.');
    expect(refusalToStripe(error).message).toBe(
      'A crypto PaymentIntent needs payment_method_options[crypto][network] and payment_method_options[crypto][token].',
    );
  });
});

describe('unexpected state, in Stripe’s words', () => {
  it('names the operation, the status and the statuses that allow it', () => {
    const rendered = refusalToStripe(unexpectedState('capture', 'succeeded', ['requires_capture']));
    expect(rendered).toMatchObject({ code: 'payment_intent_unexpected_state', param: null, status: 400, type: 'invalid_request_error' });
    expect(rendered.message).toBe(
      'You cannot capture this PaymentIntent because it has a status of succeeded. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.',
    );
  });

  it('an update of a frozen field names the field as a parameter', () => {
    const rendered = refusalToStripe(unexpectedState('update', 'processing', ['requires_payment_method'], 'captureMethod'));
    expect(rendered.param).toBe('capture_method');
    expect(rendered.message).toMatch(/^You cannot update capture_method on this PaymentIntent because it has a status of processing\./);
  });

  it('a specific reason is kept', () => {
    const error = new DomainError({
      code: 'payment_intent_unexpected_state',
      operation: 'sign',
      currentStatus: 'requires_confirmation',
      detail: 'Only a confirmed one.',
    });
    expect(refusalToStripe(error).message).toBe('Only a confirmed one.');
  });

  it('an unknown intent is resource_missing naming intent', () => {
    expect(refusalToStripe(noSuchIntent('pi_x'))).toMatchObject({
      code: 'resource_missing',
      param: 'intent',
      message: "No such payment_intent: 'pi_x'",
      status: 404,
    });
  });

  it('survives the RPC boundary as data', () => {
    const error = unexpectedState('cancel', 'succeeded', ['requires_payment_method', 'requires_capture']);
    const again = DomainError.fromData(JSON.parse(JSON.stringify(error.toData())));
    expect(refusalToStripe(again)).toEqual(refusalToStripe(error));
  });
});

describe('a failed payment attempt', () => {
  const attempt = (code: string, type: PaymentError['type'] = 'card_error'): PaymentError => ({
    type,
    code,
    declineCode: null,
    message: 'It failed.',
    paymentMethod: { id: 'pm_x', type: type === 'card_error' ? 'card' : 'us_bank_account' },
  });

  it.each([
    ['card_declined', 'card_error'],
    ['payment_intent_authentication_failure', 'card_error'],
    ['insufficient_funds', 'invalid_request_error'],
  ])('keeps its own code %s (402, %s)', (code, type) => {
    const error = paymentFailed(created(), attempt(code), (i) => ({ id: i.id }));
    expect(error).toMatchObject({ code, status: 402, type });
    expect(error.extra.payment_intent).toEqual({ id: 'pi_test_1' });
  });

  it('an attempt failure this family has no code for is payment_intent_payment_attempt_failed, never an authentication failure', () => {
    expect(paymentFailed(created(), attempt('processing_error'), () => null)).toMatchObject({
      code: 'payment_intent_payment_attempt_failed',
      status: 402,
    });
  });
});
