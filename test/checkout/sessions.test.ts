/**
 * Checkout Sessions through the official `stripe` SDK, pointed at this worker: create with every
 * parameter, read back, list, line items, expire; the payment intent each session makes; the
 * session completing or expiring as its intent ends, with its events delivered to a real receiver.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkoutPageView } from '../../src/checkout/service.js';
import { randomXpub } from '../chain/local-chain-client.js';
import { ADMIN_TOKEN, call, createMerchant, get, post, type TestMerchant, waitFor } from '../helpers.js';
import { openMailbox } from '../webhooks/receiver-client.js';

type Fetch = (url: string, init: RequestInit) => Promise<Response>;
const toWorker: Fetch = (url, init) => exports.default.fetch(new Request(url, init));

function client(key: string): Stripe {
  return new Stripe(key, {
    host: 'pay.test',
    port: 443,
    protocol: 'https',
    maxNetworkRetries: 0,
    httpClient: Stripe.createFetchHttpClient(toWorker as typeof fetch),
  });
}

const BASE_URL = 'http://pay.test';
const sessionStub = (id: string) => env.CHECKOUT_SESSIONS.get(env.CHECKOUT_SESSIONS.idFromName(id));
const intentStub = (id: string) => env.INTENTS.get(env.INTENTS.idFromName(id));

/** The smallest valid create: one item of 20.00 USD. */
const oneItem = (overrides: Record<string, unknown> = {}) => ({
  mode: 'payment',
  line_items: [{ price_data: { currency: 'usd', unit_amount: 2000, product_data: { name: 'Mug' } }, quantity: 1 }],
  success_url: 'https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}',
  ...overrides,
});

let m: TestMerchant;
let sk: string;
let stripe: Stripe;
beforeAll(async () => {
  m = await createMerchant('Checkout');
  sk = m.keys.test.secret;
  stripe = client(sk);
});

/** Makes the session's own expiry due now (its timer row), and runs its alarm. */
async function expireByAlarm(sessionId: string): Promise<void> {
  await runInDurableObject(sessionStub(sessionId), async (_instance, state) => {
    state.storage.sql.exec(`UPDATE timers SET due_at = ? WHERE kind = 'expire'`, Date.now());
  });
  await runDurableObjectAlarm(sessionStub(sessionId));
}

async function sessionTimers(sessionId: string) {
  return runInDurableObject(sessionStub(sessionId), async (_instance, state) =>
    state.storage.sql.exec<{ kind: string; due_at: number }>('SELECT kind, due_at FROM timers').toArray(),
  );
}

describe('create and read, with the stripe SDK', () => {
  it('takes every parameter, answers a checkout.session, and makes its payment intent at once', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'eur', unit_amount: 1500, product_data: { name: 'T-shirt', description: 'Size M' } }, quantity: 2 },
        { price_data: { currency: 'eur', unit_amount: 500, product_data: { name: 'Shipping' } }, quantity: 1 },
      ],
      success_url: 'https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://shop.example/cart',
      payment_method_types: ['card'],
      payment_intent_data: { description: 'Order A-1', metadata: { order_id: 'A-1' }, capture_method: 'automatic' },
      customer_email: 'jenny@example.com',
      client_reference_id: 'cart-7',
      metadata: { cart: '7' },
      expires_at: expiresAt,
    } as Stripe.Checkout.SessionCreateParams);
    expect(session).toMatchObject({
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 3500,
      amount_subtotal: 3500,
      currency: 'eur',
      success_url: 'https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://shop.example/cart',
      customer_email: 'jenny@example.com',
      client_reference_id: 'cart-7',
      metadata: { cart: '7' },
      payment_method_types: ['card'],
      expires_at: expiresAt,
      livemode: false,
    });
    expect(session.id).toMatch(/^cs_test_[0-9A-Za-z]{43}$/);

    const intent = await stripe.paymentIntents.retrieve(session.payment_intent as string);
    expect(intent).toMatchObject({
      amount: 3500,
      currency: 'eur',
      status: 'requires_payment_method',
      description: 'Order A-1',
      metadata: { order_id: 'A-1' },
      capture_method: 'automatic',
      receipt_email: 'jenny@example.com',
      payment_method_types: ['card'],
    });
    // The session's url is its intent's hosted page, the client secret its credential.
    expect(session.url).toBe(`${BASE_URL}/pay/${intent.id}?client_secret=${encodeURIComponent(intent.client_secret!)}`);
    const stored = await intentStub(intent.id).retrieve({ merchantId: m.id, livemode: false });
    expect(stored?.checkoutSession).toBe(session.id);
    expect(stored?.payerAmount).toBeNull();

    const { lastResponse: _created, ...asCreated } = session;
    const { lastResponse: _retrieved, ...asRetrieved } = await stripe.checkout.sessions.retrieve(session.id);
    expect(asRetrieved).toEqual(asCreated);
  });

  it('defaults: expires 24 hours after creation, payment_method_types of the intent', async () => {
    const { res, body } = await post(sk, '/v1/checkout/sessions', oneItem());
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.expires_at - body.created).toBe(24 * 3600);
    expect(body.payment_method_types).toEqual(['card']);
    const [timer] = await sessionTimers(body.id);
    expect(timer?.kind).toBe('expire');
    expect(Math.floor(timer!.due_at / 1000)).toBe(body.expires_at);
  });

  it('form encoding, as curl sends it, gives the same session', async () => {
    const form = [
      'mode=payment',
      'line_items[0][price_data][currency]=usd',
      'line_items[0][price_data][unit_amount]=700',
      'line_items[0][price_data][product_data][name]=Tea',
      'line_items[0][quantity]=3',
      `success_url=${encodeURIComponent('https://shop.example/ok')}`,
    ].join('&');
    const res = await call('/v1/checkout/sessions', { key: sk, form });
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ amount_total: 2100, currency: 'usd' });
  });

  it('line_items: Stripe item objects, in order, paginated', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [1, 2, 3].map((n) => ({
        price_data: { currency: 'usd', unit_amount: 100 * n, product_data: { name: `Item ${n}` } },
        quantity: n,
      })),
      success_url: 'https://shop.example/ok',
    });
    const all = await stripe.checkout.sessions.listLineItems(session.id);
    expect(all.data.map((i) => [i.object, i.description, i.quantity, i.amount_total, i.price?.unit_amount])).toEqual([
      ['item', 'Item 1', 1, 100, 100],
      ['item', 'Item 2', 2, 400, 200],
      ['item', 'Item 3', 3, 900, 300],
    ]);
    const first = await stripe.checkout.sessions.listLineItems(session.id, { limit: 2 });
    expect(first.has_more).toBe(true);
    const rest = await stripe.checkout.sessions.listLineItems(session.id, { limit: 2, starting_after: first.data[1]!.id });
    expect(rest).toMatchObject({ has_more: false, data: [{ description: 'Item 3' }] });
    const before = await stripe.checkout.sessions.listLineItems(session.id, { limit: 1, ending_before: rest.data[0]!.id });
    expect(before.data.map((i) => i.description)).toEqual(['Item 2']);
  });

  it('list: newest first, auto-paginated, filtered by payment_intent', async () => {
    const own = await createMerchant('Checkout lister');
    const sdk = client(own.keys.test.secret);
    const made: Stripe.Checkout.Session[] = [];
    for (let i = 0; i < 5; i++) made.push(await sdk.checkout.sessions.create(oneItem() as Stripe.Checkout.SessionCreateParams));
    const seen: string[] = [];
    for await (const s of sdk.checkout.sessions.list({ limit: 2 })) seen.push(s.id);
    expect(seen).toEqual(made.map((s) => s.id).reverse());
    const one = await sdk.checkout.sessions.list({ payment_intent: made[2]!.payment_intent as string });
    expect(one.data.map((s) => s.id)).toEqual([made[2]!.id]);
    // Another merchant's intent finds nothing here.
    const other = await sdk.checkout.sessions.list({ payment_intent: made[2]!.payment_intent as string });
    expect(other.data).toHaveLength(1);
    expect((await stripe.checkout.sessions.list({ payment_intent: made[2]!.payment_intent as string })).data).toEqual([]);
    const { res, body } = await get(own.keys.test.secret, '/v1/checkout/sessions?starting_after=cs_test_nope');
    expect(res.status).toBe(404);
    expect(body.error).toMatchObject({ code: 'resource_missing', param: 'starting_after' });
  });
});

describe('custom amounts', () => {
  const custom = (bounds: Record<string, number>, quantity = 1) => ({
    price_data: { currency: 'usd', product_data: { name: 'Donation' }, custom_unit_amount: { enabled: true, ...bounds } },
    quantity,
  });

  it('the intent starts at preset, else minimum, else 100, and carries the bounds for the payer', async () => {
    for (const [bounds, amount] of [
      [{ minimum: 500, maximum: 5000, preset: 1000 }, 1000],
      [{ minimum: 500 }, 500],
      [{ maximum: 5000 }, 100],
    ] as const) {
      const { res, body } = await post(sk, '/v1/checkout/sessions', oneItem({ line_items: [custom(bounds)] }));
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.amount_total).toBe(amount);
      const intent = await intentStub(body.payment_intent).retrieve({ merchantId: m.id, livemode: false });
      expect(intent).toMatchObject({
        amount: BigInt(amount),
        payerAmount: {
          minimum: 'minimum' in bounds ? BigInt(bounds.minimum) : null,
          maximum: 'maximum' in bounds ? BigInt(bounds.maximum) : null,
        },
      });
      const view = await checkoutPageView(env, body.id, { merchantId: m.id, livemode: false });
      expect(view?.customAmount).toEqual({
        minimum: 'minimum' in bounds ? BigInt(bounds.minimum) : null,
        maximum: 'maximum' in bounds ? BigInt(bounds.maximum) : null,
        preset: 'preset' in bounds ? BigInt(bounds.preset) : null,
      });
    }
  });

  it.each([
    ['quantity other than 1', [custom({ minimum: 500 }, 2)], 'line_items[0][quantity]'],
    ['not the only line item', [custom({ minimum: 500 }), oneItem().line_items[0]], 'line_items'],
    ['maximum below minimum', [custom({ minimum: 500, maximum: 400 })], 'line_items[0][price_data][custom_unit_amount][maximum]'],
    ['preset below minimum', [custom({ minimum: 500, preset: 400 })], 'line_items[0][price_data][custom_unit_amount][preset]'],
    ['preset above maximum', [custom({ maximum: 500, preset: 600 })], 'line_items[0][price_data][custom_unit_amount][preset]'],
    ['minimum of 0', [custom({ minimum: 0 })], 'line_items[0][price_data][custom_unit_amount][minimum]'],
    [
      'with unit_amount',
      [{ ...custom({ minimum: 500 }), price_data: { ...custom({ minimum: 500 }).price_data, unit_amount: 700 } }],
      'line_items[0][price_data][unit_amount]',
    ],
  ])('refused: %s', async (_, lineItems, param) => {
    const { res, body } = await post(sk, '/v1/checkout/sessions', oneItem({ line_items: lineItems }));
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param });
  });
});

describe('refusals name the parameter', () => {
  const at = () => Math.floor(Date.now() / 1000);
  it.each([
    ['mode subscription', { mode: 'subscription' }, 'parameter_invalid', 'mode'],
    ['no mode', { mode: undefined }, 'parameter_missing', 'mode'],
    ['no line items', { line_items: [] }, 'parameter_invalid', 'line_items'],
    [
      'two currencies',
      {
        line_items: [
          oneItem().line_items[0],
          { price_data: { currency: 'eur', unit_amount: 100, product_data: { name: 'B' } }, quantity: 1 },
        ],
      },
      'parameter_invalid',
      'line_items[1][price_data][currency]',
    ],
    [
      'no unit_amount',
      { line_items: [{ price_data: { currency: 'usd', product_data: { name: 'A' } }, quantity: 1 }] },
      'parameter_missing',
      'line_items[0][price_data][unit_amount]',
    ],
    [
      'a float amount',
      { line_items: [{ price_data: { currency: 'usd', unit_amount: 10.5, product_data: { name: 'A' } }, quantity: 1 }] },
      'parameter_invalid',
      'line_items[0][price_data][unit_amount]',
    ],
    [
      'a total past eight digits',
      { line_items: [{ price_data: { currency: 'usd', unit_amount: 99_999_999, product_data: { name: 'A' } }, quantity: 2 }] },
      'amount_too_large',
      'line_items',
    ],
    ['no success_url', { success_url: undefined }, 'parameter_missing', 'success_url'],
    ['a relative success_url', { success_url: '/thanks' }, 'parameter_invalid', 'success_url'],
    ['a javascript: cancel_url', { cancel_url: 'javascript:alert(1)' }, 'parameter_invalid', 'cancel_url'],
    ['an unknown payment method type', { payment_method_types: ['sofort'] }, 'parameter_invalid', 'payment_method_types[0]'],
    ['a bad customer_email', { customer_email: 'nobody' }, 'parameter_invalid', 'customer_email'],
    [
      'crypto options without crypto',
      { payment_method_types: ['card'], payment_method_options: { crypto: { network: 'base', token: 'usdc' } } },
      'parameter_invalid',
      'payment_method_options[crypto]',
    ],
    ['crypto before the account has an xpub', { payment_method_types: ['crypto'] }, 'crypto_not_configured', 'payment_method_types'],
  ])('%s', async (_, overrides, code, param) => {
    const { res, body } = await post(sk, '/v1/checkout/sessions', oneItem(overrides));
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toMatchObject({ code, param });
  });

  it('expires_at: 30 minutes to 24 hours from now', async () => {
    for (const expires of [at() + 29 * 60, at() + 24 * 3600 + 60, at() - 10]) {
      const { res, body } = await post(sk, '/v1/checkout/sessions', oneItem({ expires_at: expires }));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'expires_at' });
    }
    for (const expires of [at() + 31 * 60, at() + 23 * 3600]) {
      const { res, body } = await post(sk, '/v1/checkout/sessions', oneItem({ expires_at: expires }));
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.expires_at).toBe(expires);
    }
  });

  it('a card number anywhere is refused before anything runs', async () => {
    const { res, body } = await post(sk, '/v1/checkout/sessions', oneItem({ metadata: { note: '4242 4242 4242 4242' } }));
    expect(res.status).toBe(400);
    expect(JSON.stringify(body)).not.toContain('4242 4242 4242 4242');
  });
});

describe('crypto', () => {
  it('one crypto type with its network and token makes a crypto intent; a refusal of the intent names the session parameter', async () => {
    const own = await createMerchant('Checkout crypto');
    const osk = own.keys.test.secret;
    const { res: set } = await post(ADMIN_TOKEN, `/v1/admin/merchants/${own.id}/crypto`, { xpub: randomXpub() });
    expect(set.status).toBe(200);
    const crypto = { payment_method_types: ['crypto'], payment_method_options: { crypto: { network: 'testnet', token: 'usdc' } } };
    const { res, body } = await post(osk, '/v1/checkout/sessions', oneItem(crypto));
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.payment_method_types).toEqual(['crypto']);
    const intent = (await get(osk, `/v1/payment_intents/${body.payment_intent}`)).body;
    expect(intent).toMatchObject({
      payment_method_types: ['crypto'],
      payment_method_options: { crypto: { network: 'testnet', token: 'usdc' } },
      status: 'requires_confirmation',
    });

    for (const [overrides, param] of [
      [{ payment_intent_data: { capture_method: 'manual' } }, 'payment_intent_data[capture_method]'],
      [{ payment_method_options: { crypto: { network: 'nowhere', token: 'usdc' } } }, 'payment_method_options[crypto][network]'],
    ] as const) {
      const refused = await post(osk, '/v1/checkout/sessions', oneItem({ ...crypto, ...overrides }));
      expect(refused.res.status, JSON.stringify(refused.body)).toBe(400);
      expect(refused.body.error.param).toBe(param);
    }
    // Nothing was made by the refusals: one session, one intent.
    expect((await get(osk, '/v1/checkout/sessions')).body.data).toHaveLength(1);
    expect((await get(osk, '/v1/payment_intents')).body.data).toHaveLength(1);
  });

  it('crypto among other types, or crypto with no network named: the intent waits for the payer to choose, and a card still pays', async () => {
    const own = await createMerchant('Checkout crypto choice');
    const osk = own.keys.test.secret;
    await post(ADMIN_TOKEN, `/v1/admin/merchants/${own.id}/crypto`, { xpub: randomXpub() });
    for (const types of [['card', 'crypto'], ['crypto']]) {
      const { res, body: session } = await post(osk, '/v1/checkout/sessions', oneItem({ payment_method_types: types }));
      expect(res.status, JSON.stringify(session)).toBe(200);
      expect(session.payment_method_types).toEqual(types);
      const intent = (await get(osk, `/v1/payment_intents/${session.payment_intent}`)).body;
      expect(intent).toMatchObject({
        payment_method_types: types,
        status: 'requires_payment_method',
        crypto: null,
        payment_method_options: {},
      });
      // The payer's browser names a network this deployment does not have: refused by name, nothing handed out.
      const refused = await call(`/v1/payment_intents/${intent.id}/confirm`, {
        key: own.keys.test.publishable,
        json: { client_secret: intent.client_secret, payment_method_options: { crypto: { network: 'nowhere', token: 'usdc' } } },
      });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as any).error.param).toBe('payment_method_options[crypto][network]');
    }
    // A card pays the card-or-crypto session's intent, and the session completes.
    const { body: session } = await post(osk, '/v1/checkout/sessions', oneItem({ payment_method_types: ['card', 'crypto'] }));
    const theirs = client(osk);
    expect((await theirs.paymentIntents.confirm(session.payment_intent, { payment_method: 'pm_card_visa' })).status).toBe('succeeded');
    await waitFor(async () => (await theirs.checkout.sessions.retrieve(session.id)).status === 'complete');
  });
});

describe('tenants and keys', () => {
  it("another merchant's session, or the other mode's, is a 404 on every route; a publishable key a 403", async () => {
    const session = await stripe.checkout.sessions.create(oneItem() as Stripe.Checkout.SessionCreateParams);
    const other = await createMerchant('Checkout neighbour');
    for (const key of [other.keys.test.secret, m.keys.live.secret]) {
      for (const path of [`/v1/checkout/sessions/${session.id}`, `/v1/checkout/sessions/${session.id}/line_items`]) {
        const { res, body } = await get(key, path);
        expect(res.status).toBe(404);
        expect(body.error).toMatchObject({ code: 'resource_missing', param: 'id' });
      }
      const { res } = await post(key, `/v1/checkout/sessions/${session.id}/expire`);
      expect(res.status).toBe(404);
    }
    expect(await checkoutPageView(env, session.id, { merchantId: other.id, livemode: false })).toBeNull();
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    for (const [method, path] of [
      ['POST', '/v1/checkout/sessions'],
      ['GET', `/v1/checkout/sessions/${session.id}`],
      ['GET', '/v1/checkout/sessions'],
    ] as const) {
      const res = await call(path, { key: m.keys.test.publishable, method, json: method === 'POST' ? oneItem() : undefined });
      expect(res.status).toBe(403);
    }
  });

  it('an id that is not a session id is a 404, not a 500', async () => {
    const { res, body } = await get(sk, '/v1/checkout/sessions/pi_123');
    expect(res.status).toBe(404);
    expect(body.error.code).toBe('resource_missing');
  });
});

describe('Idempotency-Key', () => {
  it('a keyed create replayed gives the same session and one intent', async () => {
    const key = `checkout-${crypto.randomUUID()}`;
    const first = await stripe.checkout.sessions.create(oneItem() as Stripe.Checkout.SessionCreateParams, { idempotencyKey: key });
    const again = await stripe.checkout.sessions.create(oneItem() as Stripe.Checkout.SessionCreateParams, { idempotencyKey: key });
    expect(again.id).toBe(first.id);
    expect(again.payment_intent).toBe(first.payment_intent);
    const raw = await call('/v1/checkout/sessions', { key: sk, json: oneItem(), headers: { 'Idempotency-Key': `${key}-raw` } });
    const replay = await call('/v1/checkout/sessions', { key: sk, json: oneItem(), headers: { 'Idempotency-Key': `${key}-raw` } });
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(((await replay.json()) as any).id).toBe(((await raw.json()) as any).id);
    const sessions = await stripe.checkout.sessions.list({ payment_intent: first.payment_intent as string });
    expect(sessions.data).toHaveLength(1);
    // Other parameters under the same key are refused.
    const { res, body } = await (async () => {
      const r = await call('/v1/checkout/sessions', {
        key: sk,
        json: oneItem({ client_reference_id: 'x' }),
        headers: { 'Idempotency-Key': key },
      });
      return { res: r, body: (await r.json()) as any };
    })();
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('idempotency_key_reused');
  });

  it('concurrent keyed creates make one session and one intent', async () => {
    const own = await createMerchant('Checkout concurrent');
    const key = `checkout-${crypto.randomUUID()}`;
    const answers = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const res = await call('/v1/checkout/sessions', {
          key: own.keys.test.secret,
          json: oneItem(),
          headers: { 'Idempotency-Key': key },
        });
        return { status: res.status, body: (await res.json()) as any };
      }),
    );
    const created = answers.filter((a) => a.status === 200);
    expect(created.length).toBeGreaterThan(0);
    // The others are told the key is in use (409), never a second session.
    for (const a of answers) expect([200, 409]).toContain(a.status);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    const intents = (await get(own.keys.test.secret, '/v1/payment_intents?limit=100')).body.data;
    expect(intents).toHaveLength(1);
    const sessions = (await get(own.keys.test.secret, '/v1/checkout/sessions?limit=100')).body.data;
    expect(sessions.map((s: any) => s.id)).toEqual([created[0]!.body.id]);
  });
});

describe('completion and expiry', () => {
  it('paying the intent completes the session (paid), and checkout.session.completed reaches a webhook endpoint', async () => {
    const own = await createMerchant('Checkout webhooks');
    const sdk = client(own.keys.test.secret);
    const mailbox = await openMailbox({ secrets: [] });
    const endpoint = await sdk.webhookEndpoints.create({
      url: mailbox.url,
      enabled_events: ['checkout.session.completed', 'checkout.session.expired'] as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
    });
    expect(endpoint.enabled_events).toEqual(['checkout.session.completed', 'checkout.session.expired']);
    const session = await sdk.checkout.sessions.create(oneItem() as Stripe.Checkout.SessionCreateParams);
    await sdk.paymentIntents.confirm(session.payment_intent as string, { payment_method: 'pm_card_visa' });
    await waitFor(async () => (await sdk.checkout.sessions.retrieve(session.id)).status === 'complete');
    const done = await sdk.checkout.sessions.retrieve(session.id);
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', url: null, amount_total: 2000 });

    let received: any[] = [];
    await waitFor(async () => {
      received = (await mailbox.received()).map((r) => JSON.parse(r.body));
      return received.length >= 1;
    }, 8_000);
    // Only the session's event: the endpoint did not enable the intent's.
    expect(received.map((e) => e.type)).toEqual(['checkout.session.completed']);
    expect(received[0].data.object).toMatchObject({
      id: session.id,
      object: 'checkout.session',
      status: 'complete',
      payment_status: 'paid',
    });
    const listed = await sdk.events.list({ type: 'checkout.session.completed' });
    expect(listed.data.map((e) => e.id)).toEqual([received[0].id]);
    expect((await sdk.events.retrieve(received[0].id)).data.object).toMatchObject({ id: session.id, status: 'complete' });
  });

  it('a manual capture completes the session unpaid', async () => {
    const session = await stripe.checkout.sessions.create(
      oneItem({ payment_intent_data: { capture_method: 'manual' } }) as Stripe.Checkout.SessionCreateParams,
    );
    await stripe.paymentIntents.confirm(session.payment_intent as string, { payment_method: 'pm_card_visa' });
    await waitFor(async () => (await stripe.checkout.sessions.retrieve(session.id)).status === 'complete');
    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({ status: 'complete', payment_status: 'unpaid' });
    const { res, body } = await post(sk, `/v1/checkout/sessions/${session.id}/expire`);
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'checkout_session_unexpected_state' });
    expect(body.error.message).toContain('complete');
  });

  it('its expiry (the alarm) cancels the intent, expires the session and records checkout.session.expired', async () => {
    const session = await stripe.checkout.sessions.create(oneItem() as Stripe.Checkout.SessionCreateParams);
    await expireByAlarm(session.id);
    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({ status: 'expired', url: null });
    expect(await stripe.paymentIntents.retrieve(session.payment_intent as string)).toMatchObject({
      status: 'canceled',
      cancellation_reason: 'abandoned',
    });
    await waitFor(async () => {
      const events = (await stripe.events.list({ type: 'checkout.session.expired' })).data;
      return events.some((e) => (e.data.object as { id: string }).id === session.id);
    });
    expect(await checkoutPageView(env, session.id, { merchantId: m.id, livemode: false })).toMatchObject({ status: 'expired' });
    expect(await sessionTimers(session.id)).toEqual([]);
  });

  it('POST expire: an open session expires now, once', async () => {
    const session = await stripe.checkout.sessions.create(oneItem() as Stripe.Checkout.SessionCreateParams);
    const expired = await stripe.checkout.sessions.expire(session.id);
    expect(expired).toMatchObject({ id: session.id, status: 'expired', payment_status: 'unpaid', url: null });
    expect((await stripe.paymentIntents.retrieve(session.payment_intent as string)).status).toBe('canceled');
    await expect(stripe.checkout.sessions.expire(session.id)).rejects.toMatchObject({
      statusCode: 400,
      code: 'checkout_session_unexpected_state',
    });
  });

  it('canceling the intent directly expires its session', async () => {
    const session = await stripe.checkout.sessions.create(oneItem() as Stripe.Checkout.SessionCreateParams);
    await stripe.paymentIntents.cancel(session.payment_intent as string);
    await waitFor(async () => (await stripe.checkout.sessions.retrieve(session.id)).status === 'expired');
  });

  it('expiry while the payment is processing waits; the session completes when the funds land', async () => {
    const session = await stripe.checkout.sessions.create(
      oneItem({ payment_method_types: ['card', 'us_bank_account'] }) as Stripe.Checkout.SessionCreateParams,
    );
    const intentId = session.payment_intent as string;
    const processing = await stripe.paymentIntents.confirm(intentId, { payment_method: 'pm_usBankAccount' });
    expect(processing.status).toBe('processing');
    // Hold the settlement back while the session's expiry runs.
    await runInDurableObject(intentStub(intentId), async (_i, state) => {
      state.storage.sql.exec(`UPDATE timers SET due_at = due_at + 3600000 WHERE kind = 'settle'`);
    });
    await expireByAlarm(session.id);
    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({ status: 'open' });
    expect((await stripe.paymentIntents.retrieve(intentId)).status).toBe('processing');
    const [timer] = await sessionTimers(session.id);
    expect(timer).toMatchObject({ kind: 'expire' });
    expect(timer!.due_at).toBeGreaterThan(Date.now());
    const { res, body } = await post(sk, `/v1/checkout/sessions/${session.id}/expire`);
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('checkout_session_unexpected_state');

    await runInDurableObject(intentStub(intentId), async (_i, state) => {
      state.storage.sql.exec(`UPDATE timers SET due_at = ? WHERE kind = 'settle'`, Date.now());
    });
    await runDurableObjectAlarm(intentStub(intentId));
    await waitFor(async () => (await stripe.checkout.sessions.retrieve(session.id)).status === 'complete');
    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({ payment_status: 'paid' });
  });
});

describe('the page view', () => {
  it("replaces {CHECKOUT_SESSION_ID} in the success URL and shows the items in the domain's terms", async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'jpy', unit_amount: 500, product_data: { name: 'Tea', description: 'Sencha' } }, quantity: 3 },
      ],
      success_url: 'https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://shop.example/cart',
    });
    expect(await checkoutPageView(env, session.id, { merchantId: m.id, livemode: false })).toEqual({
      id: session.id,
      status: 'open',
      currency: 'jpy',
      amountTotal: 1500n,
      lineItems: [{ name: 'Tea', description: 'Sencha', quantity: 3, unitAmount: 500n, amountTotal: 1500n }],
      customAmount: null,
      successUrl: `https://shop.example/thanks?session_id=${session.id}`,
      cancelUrl: 'https://shop.example/cart',
      expiresAt: session.expires_at * 1000,
    });
    expect(await checkoutPageView(env, 'cs_test_unknown', { merchantId: m.id, livemode: false })).toBeNull();
  });
});
