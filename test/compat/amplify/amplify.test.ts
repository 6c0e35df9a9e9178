/**
 * The wire of 000_… (Amplify) at /amplify: every request of its document replayed as written, its
 * key-pair auth, the client secret as the lookups' credential, bad input in its envelope, one intent
 * seen through the Stripe SDK too, and payments end to end on a real anvil chain (the payment-intent
 * tests' chain, network `testnet`: 2 confirmations) reaching COMPLETED and TIMEOUT.
 */
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, inject } from 'vitest';
import { depositAddress } from '../../../src/chain/addresses.js';
import { chainClient, randomXpub } from '../../chain/local-chain-client.js';
import { ADMIN_TOKEN, call, createMerchant, get, post, type TestMerchant, waitFor, stripeClient } from '../../helpers.js';

const chain = chainClient(inject('cryptoChain'));
const USDC = 10n ** 6n;
const BASE = 'http://pay.test/amplify';

let m: TestMerchant;
let other: TestMerchant;
let xpub: string;

beforeAll(async () => {
  [m, other] = await Promise.all([createMerchant('Amplify shop'), createMerchant('Another shop')]);
  xpub = randomXpub();
  for (const [merchant, key] of [
    [m, xpub],
    [other, randomXpub()],
  ] as const) {
    expect((await call(`/v1/admin/merchants/${merchant.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: key } })).status).toBe(200);
  }
});

/** A request exactly as an Amplify client sends it: its headers, a JSON body. */
function amplify(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return exports.default.fetch(
    new Request(`${BASE}${path}`, { method: init.method ?? (init.body ? 'POST' : 'GET'), headers, body: init.body }),
  );
}

const auth = (merchant: TestMerchant, mode: 'test' | 'live' = 'test') => ({ apiKey: merchant.keys[mode].secret, clientId: merchant.id });

async function json(res: Response | Promise<Response>) {
  const r = await res;
  return { status: r.status, body: (await r.json()) as any };
}

/** The document's create body, as written there. */
const DOCUMENTED_CREATE = `{
    "receiverId": "receiver-identification",
    "metadata": {
      "key": "Value",
      "anotherKey": "another value"
    }
}`;

async function created(merchant = m, body = DOCUMENTED_CREATE, mode: 'test' | 'live' = 'test') {
  const res = await json(amplify('/payment_intent', { headers: auth(merchant, mode), body }));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { paymentIntentId: string; clientSecret: string; walletAddress: string; receiverId: string };
}

const lookup = (clientSecret: string) => json(amplify(`/payment_intent/${clientSecret}`));
const statusOf = async (clientSecret: string) =>
  (await json(amplify('/payment_intent/status', { body: JSON.stringify({ clientSecret }) }))).body.status as string;

const stripe = stripeClient;

async function untilStatus(clientSecret: string, status: string, timeoutMs = 15_000) {
  let last = '';
  await waitFor(async () => {
    last = await statusOf(clientSecret);
    return last === status;
  }, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message}: still ${last}`);
  });
}

describe('the documented requests', () => {
  it('POST /payment_intent answers the four documented fields, with a deposit address taken at creation', async () => {
    const before = (await get(m.keys.test.secret, '/v1/crypto_settings')).body.addresses_issued as number;
    const body = await created();
    expect(Object.keys(body).sort()).toEqual(['clientSecret', 'paymentIntentId', 'receiverId', 'walletAddress']);
    expect(body.paymentIntentId).toMatch(/^pi_[0-9A-Za-z]{24}$/);
    expect(body.clientSecret.startsWith(`${body.paymentIntentId}_secret_`)).toBe(true);
    expect(body.receiverId).toBe('receiver-identification');
    // The merchant's next address under its xpub, counted now, not at confirmation.
    expect(body.walletAddress).toBe(depositAddress(xpub, before));
    expect((await get(m.keys.test.secret, '/v1/crypto_settings')).body.addresses_issued).toBe(before + 1);
    expect((await created()).walletAddress).toBe(depositAddress(xpub, before + 1));
  });

  it('GET /payment_intent/:clientSecret answers the documented fields without a key, CREATED in SANDBOX', async () => {
    const body = await created();
    const { status, body: intent } = await lookup(body.clientSecret);
    expect(status).toBe(200);
    expect(Object.keys(intent).sort()).toEqual(
      ['_id', 'apiKeyType', 'clientSecret', 'created_at', 'metadata', 'receiverId', 'status', 'updated_at', 'userId', 'walletId'].sort(),
    );
    expect(intent).toEqual({
      _id: body.paymentIntentId,
      userId: m.id,
      walletId: body.walletAddress,
      clientSecret: body.clientSecret,
      status: 'CREATED',
      apiKeyType: 'SANDBOX',
      receiverId: 'receiver-identification',
      metadata: { key: 'Value', anotherKey: 'another value' },
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updated_at: intent.created_at,
    });
  });

  it('POST /payment_intent/status answers {status}', async () => {
    const body = await created();
    const res = await json(amplify('/payment_intent/status', { body: `{\n    "clientSecret": "${body.clientSecret}"\n}` }));
    expect(res).toEqual({ status: 200, body: { status: 'CREATED' } });
  });

  it('keeps no metadata as null, and a live key`s intent is PRODUCTION', async () => {
    const body = await created(m, '{"receiverId": "cart-42"}', 'live');
    const { body: intent } = await lookup(body.clientSecret);
    expect(intent).toMatchObject({ status: 'CREATED', apiKeyType: 'PRODUCTION', receiverId: 'cart-42', metadata: null });
    // Live and test share the merchant's xpub: one address counter.
    expect(body.walletAddress).toMatch(/^0x[0-9a-fA-F]{40}$/);
  });
});

describe('authentication', () => {
  const refusal = (message: string, param: string) => ({ statusCode: 401, error: 'Unauthorized', message, param });

  it('refuses a missing header, a wrong pair, a publishable key and an unknown key with one 401 envelope', async () => {
    const cases: [Record<string, string>, ReturnType<typeof refusal>][] = [
      [{}, refusal('Missing apiKey header', 'apiKey')],
      [{ apiKey: m.keys.test.secret }, refusal('Missing clientId header', 'clientId')],
      [{ clientId: m.id }, refusal('Missing apiKey header', 'apiKey')],
      [{ apiKey: m.keys.test.secret, clientId: other.id }, refusal('Invalid apiKey or clientId', 'apiKey')],
      [{ apiKey: other.keys.live.secret, clientId: m.id }, refusal('Invalid apiKey or clientId', 'apiKey')],
      [{ apiKey: m.keys.test.publishable, clientId: m.id }, refusal('Invalid apiKey or clientId', 'apiKey')],
      [{ apiKey: `sk_test_${'x'.repeat(32)}`, clientId: m.id }, refusal('Invalid apiKey or clientId', 'apiKey')],
      [{ apiKey: 'garbage', clientId: 'garbage' }, refusal('Invalid apiKey or clientId', 'apiKey')],
    ];
    for (const [headers, expected] of cases) {
      expect(await json(amplify('/payment_intent', { headers, body: DOCUMENTED_CREATE })), JSON.stringify(headers)).toEqual({
        status: 401,
        body: expected,
      });
    }
  });

  it('takes the headers in any letter case (HTTP headers are case-insensitive)', async () => {
    const res = await json(
      amplify('/payment_intent', { headers: { APIKEY: m.keys.test.secret, clientid: m.id }, body: '{"receiverId":"r"}' }),
    );
    expect(res.status).toBe(200);
  });
});

describe('isolation', () => {
  it('the client secret is the only credential of a lookup: a wrong, malformed or foreign-looking one is a 404', async () => {
    const body = await created();
    const wrongSecret = `${body.paymentIntentId}_secret_${'A'.repeat(25)}`;
    for (const secret of [wrongSecret, body.paymentIntentId, 'nope', `pi_${'0'.repeat(24)}_secret_${'A'.repeat(25)}`, '%00']) {
      const res = await lookup(encodeURIComponent(secret));
      expect(res, secret).toEqual({
        status: 404,
        body: { statusCode: 404, error: 'Not Found', message: 'Payment intent not found', param: null },
      });
      expect((await json(amplify('/payment_intent/status', { body: JSON.stringify({ clientSecret: secret }) }))).status).toBe(404);
    }
  });

  it('another merchant, and the same merchant in the other mode, do not see the intent through the canonical API', async () => {
    const body = await created();
    expect((await get(other.keys.test.secret, `/v1/payment_intents/${body.paymentIntentId}`)).res.status).toBe(404);
    expect((await get(m.keys.live.secret, `/v1/payment_intents/${body.paymentIntentId}`)).res.status).toBe(404);
    expect((await get(m.keys.test.secret, `/v1/payment_intents/${body.paymentIntentId}`)).res.status).toBe(200);
  });

  it('concurrent creates each get an address of their own', async () => {
    const bodies = await Promise.all(Array.from({ length: 6 }, (_, i) => created(m, JSON.stringify({ receiverId: `cart-${i}` }))));
    expect(new Set(bodies.map((b) => b.walletAddress)).size).toBe(6);
    expect(new Set(bodies.map((b) => b.paymentIntentId)).size).toBe(6);
  });

  it('a merchant without a watch-only xpub cannot create: no address to give', async () => {
    const bare = await createMerchant('No xpub');
    const res = await json(amplify('/payment_intent', { headers: auth(bare), body: DOCUMENTED_CREATE }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining('xpub') });
  });
});

describe('bad input, in the envelope and never a 500', () => {
  const create = (body: string, contentType = 'application/json') =>
    json(amplify('/payment_intent', { headers: { ...auth(m), 'content-type': contentType }, body }));

  it.each([
    ['{}', 'receiverId', 'receiverId is required'],
    ['{"receiverId": ""}', 'receiverId', undefined],
    ['{"receiverId": "   "}', 'receiverId', undefined],
    ['{"receiverId": 42}', 'receiverId', undefined],
    ['{"receiverId": null}', 'receiverId', undefined],
    [`{"receiverId": "${'r'.repeat(256)}"}`, 'receiverId', undefined],
    ['{"receiverId": "r", "metadata": "text"}', 'metadata', undefined],
    ['{"receiverId": "r", "metadata": [1]}', 'metadata', undefined],
    ['{"receiverId": "r", "metadata": {"n": 1}}', 'metadata.n', undefined],
    [`{"receiverId": "r", "metadata": {"${'k'.repeat(41)}": "v"}}`, `metadata.${'k'.repeat(41)}`, undefined],
    ['{"receiverId": "r", "metadata": {"__proto__": "v"}}', 'metadata.__proto__', undefined],
    [
      `{"receiverId": "r", "metadata": ${JSON.stringify(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])))}}`,
      'metadata',
      undefined,
    ],
    ['{"receiverId": "r", "amount": 100}', 'amount', 'property amount should not exist'],
    // A card number is never taken, in any parameter (src/http/card-numbers.ts).
    ['{"receiverId": "4242 4242 4242 4242"}', 'receiverId', undefined],
    ['{"receiverId": "r", "metadata": {"card": "4000056655665556"}}', 'metadata.card', undefined],
  ])('create %s → 400 naming %s', async (body, param, message) => {
    const res = await create(body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', param });
    if (message) expect(res.body.message).toBe(message);
  });

  it('refuses a body that is not JSON, or not an object, in the envelope', async () => {
    for (const body of ['{"receiverId": ', '[]', '"text"', 'null']) {
      const res = await create(body);
      expect(res.status, body).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    const form = await create('receiverId=r', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(200);
    const text = await create('receiverId', 'text/plain');
    expect(text.status).toBe(400);
  });

  it('refuses a status body without a string clientSecret, and answers an unknown path in the envelope', async () => {
    for (const body of ['{}', '{"clientSecret": 1}', '{"clientSecret": "x", "other": 1}', `{"clientSecret": "${'x'.repeat(256)}"}`]) {
      const res = await json(amplify('/payment_intent/status', { body }));
      expect(res.status, body).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', param: expect.any(String) });
    }
    expect(await json(amplify('/payment_intents'))).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'Cannot GET /amplify/payment_intents', param: null },
    });
    expect((await json(amplify(`/payment_intent/${'x'.repeat(300)}`))).status).toBe(400);
  });
});

describe('one intent on every wire', () => {
  it('is the canonical crypto intent whose payer chooses the amount; a change there shows here', async () => {
    const body = await created();
    const sdk = stripe(m.keys.test.secret);
    const pi = await sdk.paymentIntents.retrieve(body.paymentIntentId);
    expect(pi).toMatchObject({
      id: body.paymentIntentId,
      client_secret: body.clientSecret,
      status: 'requires_payment_method',
      currency: 'usd',
      payment_method_types: ['crypto'],
      metadata: { key: 'Value', anotherKey: 'another value' },
      livemode: false,
    });
    expect((pi as unknown as { payer_amount: unknown }).payer_amount).toEqual({ minimum: null, maximum: null });

    const { body: first } = await lookup(body.clientSecret);
    await new Promise((r) => setTimeout(r, 5));
    await sdk.paymentIntents.update(body.paymentIntentId, { metadata: { key: '', added: 'yes' } });
    const { body: updated } = await lookup(body.clientSecret);
    expect(updated.metadata).toEqual({ anotherKey: 'another value', added: 'yes' });
    expect(updated.updated_at > first.updated_at).toBe(true);
    expect(updated.created_at).toBe(first.created_at);

    await sdk.paymentIntents.cancel(body.paymentIntentId);
    expect(await statusOf(body.clientSecret)).toBe('ERROR');
  });

  it('shows an intent made on the Stripe wire by its client secret too (receiverId null)', async () => {
    const { body: pi } = await post(m.keys.test.secret, '/v1/payment_intents', { amount: 2000, currency: 'usd' });
    const { body: intent } = await lookup(pi.client_secret);
    expect(intent).toMatchObject({
      _id: pi.id,
      status: 'CREATED',
      receiverId: null,
      walletId: null,
      metadata: null,
      apiKeyType: 'SANDBOX',
    });
  });

  it('serves its own API description, and none of its paths in the canonical one', async () => {
    const doc = (await (await call('/amplify/openapi.json')).json()) as any;
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/amplify/payment_intent',
      '/amplify/payment_intent/status',
      '/amplify/payment_intent/{clientSecret}',
    ]);
    const main = (await (await call('/openapi.json')).json()) as any;
    expect(Object.keys(main.paths).filter((p) => p.startsWith('/amplify'))).toEqual([]);
    const port = inject('openapiValidatorPort');
    const verdict = (await (await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: JSON.stringify(doc) })).json()) as any;
    expect(verdict, JSON.stringify(verdict.errors)).toMatchObject({ valid: true });
  });
});

describe('a payment on chain', () => {
  it('CREATED → WAITING FOR PAYMENT (the payer chose amount, token and network on the hosted page) → COMPLETED', async () => {
    const body = await created();
    const issued = (await get(m.keys.test.secret, '/v1/crypto_settings')).body.addresses_issued;
    // The hosted page's form, as a browser without JavaScript posts it.
    const page = await call(`/pay/${body.paymentIntentId}?client_secret=${encodeURIComponent(body.clientSecret)}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('value="testnet:usdc"');
    const paid = await call(`/pay/${body.paymentIntentId}`, {
      form: new URLSearchParams({
        client_secret: body.clientSecret,
        amount: '12.50',
        pay_with: 'crypto',
        crypto: 'testnet:usdc',
      }).toString(),
      redirect: 'manual',
    });
    expect(paid.status, await paid.clone().text()).toBe(303);
    expect(await statusOf(body.clientSecret)).toBe('WAITING FOR PAYMENT');

    const pi = (await get(m.keys.test.secret, `/v1/payment_intents/${body.paymentIntentId}`)).body;
    expect(pi).toMatchObject({ status: 'requires_action', amount: 1250 });
    // The address of the create, not a new one.
    expect(pi.next_action.crypto_transfer).toMatchObject({ deposit_address: body.walletAddress, amount: '12500000', network: 'testnet' });
    expect((await get(m.keys.test.secret, '/v1/crypto_settings')).body.addresses_issued).toBe(issued);

    await chain.payUsdc(body.walletAddress as `0x${string}`, 12n * USDC + 500_000n);
    await chain.mine(1);
    await untilStatus(body.clientSecret, 'COMPLETED');
    const { body: done } = await lookup(body.clientSecret);
    expect(done).toMatchObject({ status: 'COMPLETED', walletId: body.walletAddress });
    expect(done.updated_at > done.created_at).toBe(true);
    expect((await stripe(m.keys.test.secret).paymentIntents.retrieve(body.paymentIntentId)).status).toBe('succeeded');
  });

  it('TIMEOUT when the window (shortened with expires_in in test mode) closes with the funds short; late funds are recorded', async () => {
    const body = await created();
    const confirmed = await post(m.keys.test.secret, `/v1/payment_intents/${body.paymentIntentId}/confirm`, {
      amount: 500,
      payment_method_options: { crypto: { network: 'testnet', token: 'usdc', expires_in: 10 } },
    });
    expect(confirmed.res.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(confirmed.body.next_action.crypto_transfer.deposit_address).toBe(body.walletAddress);
    expect(await statusOf(body.clientSecret)).toBe('WAITING FOR PAYMENT');

    await chain.payUsdc(body.walletAddress as `0x${string}`, 2n * USDC);
    await chain.mine(1);
    await untilStatus(body.clientSecret, 'TIMEOUT', 20_000);
    const canceled = (await get(m.keys.test.secret, `/v1/payment_intents/${body.paymentIntentId}`)).body;
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });

    await chain.payUsdc(body.walletAddress as `0x${string}`, 3n * USDC);
    await waitFor(
      async () => (await get(m.keys.test.secret, `/v1/payment_intents/${body.paymentIntentId}`)).body.crypto.late_transactions.length === 1,
      10_000,
    );
    expect(await statusOf(body.clientSecret)).toBe('TIMEOUT');
  });
});
