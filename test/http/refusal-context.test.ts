/**
 * A refusal about an existing intent carries the intent as it is now (error.payment_intent, as
 * Stripe sends it): its status is not dropped on the way out. A browser (publishable key) gets the
 * browser-safe form only; a refusal about an intent the caller may not see carries nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { call, createIntent, createMerchant, post, type TestMerchant } from '../helpers.js';

let m: TestMerchant;
beforeAll(async () => {
  m = await createMerchant('Refusals');
});

describe('refusals carry the intent', () => {
  it('with a secret key: the whole intent, in the status that refused the command', async () => {
    const { body: intent } = await createIntent(m.keys.test.secret, { metadata: { order_id: 'A-1' } });
    const { res, body } = await post(m.keys.test.secret, `/v1/payment_intents/${intent.id}/capture`);
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'payment_intent_unexpected_state', param: null });
    expect(body.error.payment_intent).toEqual(intent);
    expect(body.error.payment_intent.status).toBe('requires_payment_method');
  });

  it('with a publishable key and the client secret: only the browser-safe fields', async () => {
    const { body: intent } = await createIntent(m.keys.test.secret, { metadata: { order_id: 'A-2' }, description: 'private note' });
    const res = await call(`/v1/payment_intents/${intent.id}/crypto_signature`, {
      key: m.keys.test.publishable,
      json: { signature: `0x${'1'.repeat(130)}`, signer: `0x${'2'.repeat(40)}`, client_secret: intent.client_secret },
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'payment_intent_unexpected_state', param: null });
    expect(body.error.message).toMatch(/Only a confirmed crypto PaymentIntent/);
    expect(body.error.payment_intent).toMatchObject({
      id: intent.id,
      status: 'requires_payment_method',
      client_secret: intent.client_secret,
    });
    for (const field of ['metadata', 'description', 'customer', 'receipt_email', 'amount_received', 'notification_url']) {
      expect(body.error.payment_intent, field).not.toHaveProperty(field);
    }
  });

  it('another merchant’s intent: a plain 404, no intent in it', async () => {
    const other = await createMerchant('Other');
    const { body: intent } = await createIntent(m.keys.test.secret);
    const { res, body } = await post(other.keys.test.secret, `/v1/payment_intents/${intent.id}/capture`);
    expect(res.status).toBe(404);
    expect(body.error).toEqual({
      type: 'invalid_request_error',
      code: 'resource_missing',
      param: 'intent',
      message: `No such payment_intent: '${intent.id}'`,
    });
  });
});
