/**
 * The browser confirm: a payer's browser confirms with the publishable key and the client secret,
 * as Stripe.js does (POST /v1/payment_intents/{id}/confirm, cross-origin), choosing only what a
 * payer may choose — the payment method, the amount where the payer chooses it, the crypto network
 * and token — and sees browser-safe fields only. Requests go through plain fetch with an Origin
 * header, and through the official `stripe` SDK with the publishable key.
 */
import { env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PayerAmount } from '../../src/domain/intent.js';
import { IntentService } from '../../src/intents/service.js';
import { call, clientRequest, createIntent, createMerchant, get, post, shardNameOf, type TestMerchant } from '../helpers.js';

const ORIGIN = 'https://shop.example';

let m: TestMerchant;
let sk: string;
let pk: string;
let other: TestMerchant;

beforeAll(async () => {
  [m, other] = await Promise.all([createMerchant('Browser confirm'), createMerchant('Someone else')]);
  sk = m.keys.test.secret;
  pk = m.keys.test.publishable;
});

/** The browser's confirm: plain fetch, cross-origin, the publishable key and the client secret in the body. */
async function browserConfirm(intent: { id: string; client_secret: string }, params: Record<string, unknown> = {}, key = pk) {
  const res = await exports.default.fetch(
    clientRequest(`/v1/payment_intents/${intent.id}/confirm`, {
      key,
      json: { client_secret: intent.client_secret, ...params },
      headers: { Origin: ORIGIN },
    }),
  );
  return { res, body: (await res.json()) as any };
}

async function fresh(params: Record<string, unknown> = {}) {
  const { res, body } = await createIntent(sk, params);
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** An intent whose payer chooses the amount, made as a Checkout Session makes one: through the service seam. */
async function payerChooses(payerAmount: PayerAmount) {
  const service = new IntentService(env, {
    merchantId: m.id,
    livemode: false,
    shard: await shardNameOf(m.id),
    requestId: 'req_browser_confirm_test',
    idempotency: null,
  });
  const { intent } = await service.create({ amount: 2000n, currency: 'usd', payerAmount });
  return (await get(sk, `/v1/payment_intents/${intent.id}`)).body;
}

function expectBrowserOnly(body: any) {
  for (const field of ['metadata', 'description', 'receipt_email', 'customer', 'notification_url', 'amount_received']) {
    expect(body, field).not.toHaveProperty(field);
  }
}

describe('a card payment from the browser', () => {
  it('succeeds with the publishable key and client secret: browser fields only, CORS on the answer, hosted_url gone', async () => {
    const intent = await fresh({ metadata: { order: 'A-7' } });
    expect(intent.hosted_url).toBe(`http://pay.test/pay/${intent.id}?client_secret=${encodeURIComponent(intent.client_secret)}`);
    const { res, body } = await browserConfirm(intent, { payment_method: 'pm_card_visa' });
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(body).toMatchObject({
      id: intent.id,
      status: 'succeeded',
      payment_method: 'pm_card_visa',
      hosted_url: null,
      payer_amount: null,
    });
    expectBrowserOnly(body);
    const seen = (await get(sk, `/v1/payment_intents/${intent.id}`)).body;
    expect(seen).toMatchObject({ status: 'succeeded', amount_received: 2000, metadata: { order: 'A-7' } });
  });

  it('a decline is a 402 whose intent has browser fields only; a retry with another card succeeds', async () => {
    const intent = await fresh({ description: 'secret order notes' });
    const declined = await browserConfirm(intent, { payment_method: 'pm_card_chargeDeclined' });
    expect(declined.res.status).toBe(402);
    expect(declined.res.headers.get('access-control-allow-origin')).toBe('*');
    expect(declined.body.error).toMatchObject({ code: 'card_declined', decline_code: 'generic_decline' });
    expect(declined.body.error.payment_intent).toMatchObject({ id: intent.id, status: 'requires_payment_method' });
    expectBrowserOnly(declined.body.error.payment_intent);
    const retried = await browserConfirm(intent, { payment_method: 'pm_card_visa' });
    expect(retried.res.status).toBe(200);
    expect(retried.body.status).toBe('succeeded');
  });

  it('3-D Secure: the browser is sent to the challenge, and after it the intent has succeeded', async () => {
    const intent = await fresh();
    const { body } = await browserConfirm(intent, {
      payment_method: 'pm_card_threeDSecure2Required',
      return_url: 'https://shop.example/done',
    });
    expect(body.status).toBe('requires_action');
    const url = new URL(body.next_action.redirect_to_url.url);
    const done = await call(url.pathname, { form: 'outcome=succeeded', redirect: 'manual' });
    expect(done.status).toBe(303);
    expect(done.headers.get('Location')).toContain('https://shop.example/done?');
    const after = await get(pk, `/v1/payment_intents/${intent.id}?client_secret=${intent.client_secret}`);
    expect(after.body).toMatchObject({ status: 'succeeded', hosted_url: null });
  });

  it('an Idempotency-Key works with the publishable key: the retry gets the first answer, in browser fields', async () => {
    const intent = await fresh();
    const send = () =>
      exports.default.fetch(
        clientRequest(`/v1/payment_intents/${intent.id}/confirm`, {
          key: pk,
          json: { client_secret: intent.client_secret, payment_method: 'pm_card_chargeDeclined' },
          headers: { Origin: ORIGIN, 'Idempotency-Key': `browser-${intent.id}` },
        }),
      );
    const first = await send();
    const firstBody = await first.json();
    expect(first.status).toBe(402);
    const again = await send();
    expect(again.status).toBe(402);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(firstBody);
    expectBrowserOnly((firstBody as any).error.payment_intent);
    // Replayed, not run again: one failed attempt.
    const events = (await get(sk, '/v1/events?limit=100')).body.data.filter((e: any) => e.data.object.id === intent.id);
    expect(events.map((e: any) => e.type).filter((t: string) => t === 'payment_intent.payment_failed')).toHaveLength(1);
  });

  it('the official stripe SDK confirms with the publishable key and client_secret, as Stripe.js does', async () => {
    const intent = await fresh();
    const stripe = new Stripe(pk, {
      host: 'pay.test',
      port: 443,
      protocol: 'https',
      maxNetworkRetries: 0,
      httpClient: Stripe.createFetchHttpClient(((url: string, init: RequestInit) =>
        exports.default.fetch(new Request(url, init))) as typeof fetch),
    });
    const confirmed = await stripe.paymentIntents.confirm(intent.id, {
      payment_method: 'pm_card_visa',
      client_secret: intent.client_secret,
    } as Stripe.PaymentIntentConfirmParams);
    expect(confirmed).toMatchObject({ id: intent.id, status: 'succeeded' });
    expect(confirmed).not.toHaveProperty('metadata');
  });
});

describe('what a publishable key may not do', () => {
  it('without client_secret: 400 parameter_missing naming client_secret, nothing changes', async () => {
    const intent = await fresh();
    const { res, body } = await post(pk, `/v1/payment_intents/${intent.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_missing', param: 'client_secret' });
    expect((await get(sk, `/v1/payment_intents/${intent.id}`)).body.status).toBe('requires_payment_method');
  });

  it.each([
    ['capture_method', { capture_method: 'manual' }],
    ['metadata', { metadata: { a: 'b' } }],
    ['description', { description: 'x' }],
    ['receipt_email', { receipt_email: 'a@example.com' }],
    ['confirm', { confirm: true }],
    ['payment_method_types', { payment_method_types: ['card'] }],
    ['payment_method_options[card]', { payment_method_options: { card: {} } }],
  ])('%s: 400 parameter_unknown naming it, nothing changes', async (param, params) => {
    const intent = await fresh();
    const { res, body } = await browserConfirm(intent, { payment_method: 'pm_card_visa', ...params });
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_unknown', param });
    expect((await get(sk, `/v1/payment_intents/${intent.id}`)).body.status).toBe('requires_payment_method');
  });

  it('a crypto payment window (expires_in) is for a secret key only', async () => {
    const intent = await fresh({ payment_method_types: ['card', 'crypto'] });
    const { res, body } = await browserConfirm(intent, {
      payment_method_options: { crypto: { network: 'testnet', token: 'usdc', expires_in: 60 } },
    });
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'payment_method_options[crypto][expires_in]' });
  });

  it('a wrong client secret, another merchant, live mode, an unknown id: the same 404', async () => {
    const intent = await fresh();
    const unknownId = `${intent.id.slice(0, -4)}ZZZZ`;
    const unknown = await browserConfirm({ id: unknownId, client_secret: intent.client_secret }, { payment_method: 'pm_card_visa' });
    expect(unknown.res.status).toBe(404);
    const cases = [
      browserConfirm({ ...intent, client_secret: `${intent.client_secret.slice(0, -1)}x` }, { payment_method: 'pm_card_visa' }),
      browserConfirm(intent, { payment_method: 'pm_card_visa' }, other.keys.test.publishable),
      browserConfirm(intent, { payment_method: 'pm_card_visa' }, m.keys.live.publishable),
      // A secret key holder passing a client secret along has it checked too.
      post(sk, `/v1/payment_intents/${intent.id}/confirm`, { payment_method: 'pm_card_visa', client_secret: 'pi_x_secret_wrong' }),
    ];
    for (const { res, body } of await Promise.all(cases)) {
      expect(res.status).toBe(404);
      expect(body.error).toEqual({ ...unknown.body.error, message: unknown.body.error.message.replace(unknownId, intent.id) });
    }
    expect((await get(sk, `/v1/payment_intents/${intent.id}`)).body.status).toBe('requires_payment_method');
  });

  it('crypto on an account without an xpub: 400 crypto_not_configured, no address', async () => {
    const intent = await fresh({ payment_method_types: ['card', 'crypto'] });
    const { res, body } = await browserConfirm(intent, { payment_method_options: { crypto: { network: 'testnet', token: 'usdc' } } });
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('crypto_not_configured');
  });

  it('an unknown network is refused naming it', async () => {
    const intent = await fresh({ payment_method_types: ['card', 'crypto'] });
    const { res, body } = await browserConfirm(intent, { payment_method_options: { crypto: { network: 'nowhere', token: 'usdc' } } });
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'payment_method_options[crypto][network]' });
  });
});

describe('the amount a payer chooses', () => {
  it('within the bounds: charged, shown with the bounds, and the event carries the change', async () => {
    const intent = await payerChooses({ minimum: 500n, maximum: 10_000n });
    expect(intent.payer_amount).toEqual({ minimum: 500, maximum: 10_000 });
    const { res, body } = await browserConfirm(intent, { payment_method: 'pm_card_visa', amount: 7_500 });
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ status: 'succeeded', amount: 7_500, payer_amount: { minimum: 500, maximum: 10_000 } });
    expect((await get(sk, `/v1/payment_intents/${intent.id}`)).body.amount_received).toBe(7_500);
    const events = (await get(sk, '/v1/events?limit=100')).body.data.filter((e: any) => e.data.object.id === intent.id);
    const succeeded = events.find((e: any) => e.type === 'payment_intent.succeeded');
    expect(succeeded.data.previous_attributes).toMatchObject({ amount: 2000, status: 'requires_payment_method' });
  });

  it.each([
    [499, 'between 500 and 10000'],
    [10_001, 'between 500 and 10000'],
  ])('%s is outside the bounds: 400 naming amount with the bounds, nothing changes', async (amount, text) => {
    const intent = await payerChooses({ minimum: 500n, maximum: 10_000n });
    const { res, body } = await browserConfirm(intent, { payment_method: 'pm_card_visa', amount });
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'amount' });
    expect(body.error.message).toContain(text);
    expectBrowserOnly(body.error.payment_intent);
    expect((await get(sk, `/v1/payment_intents/${intent.id}`)).body).toMatchObject({ amount: 2000, status: 'requires_payment_method' });
  });

  it('an open upper bound takes a large amount; no amount keeps the current one', async () => {
    const open = await payerChooses({ minimum: 100n, maximum: null });
    expect(open.payer_amount).toEqual({ minimum: 100, maximum: null });
    expect((await browserConfirm(open, { payment_method: 'pm_card_visa', amount: 99_999_999 })).body.amount).toBe(99_999_999);
    const kept = await payerChooses({ minimum: 100n, maximum: null });
    expect((await browserConfirm(kept, { payment_method: 'pm_card_visa' })).body).toMatchObject({ amount: 2000, status: 'succeeded' });
  });

  it('on an intent whose merchant set the amount: 400 naming amount, for either key', async () => {
    const intent = await fresh();
    for (const { res, body } of [
      await browserConfirm(intent, { payment_method: 'pm_card_visa', amount: 1000 }),
      await post(sk, `/v1/payment_intents/${intent.id}/confirm`, { payment_method: 'pm_card_visa', amount: 1000 }),
    ]) {
      expect(res.status).toBe(400);
      expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'amount' });
      expect(body.error.message).toMatch(/set by its merchant/);
    }
  });
});
