/**
 * The family of 004_… (Finternet) under /finternet: the document's requests replayed unchanged (only
 * the base URL and the key differ), its two documented errors word for word, the public lookup's
 * masking, bad input in its envelope, tenant and mode isolation, and the same intent through the
 * official stripe SDK. Intents are made on the escrow intents' chain (`escrowpay`): every Finternet
 * intent is held in escrow. The payment itself, on chain, is escrow.test.ts's.
 */
import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { chainsConfig } from '../../../src/chain/registry.js';
import { localChain, randomXpub } from '../../chain/local-chain-client.js';
import { ADMIN_TOKEN, call, createMerchant, type TestMerchant, stripeClient } from '../../helpers.js';
import { documentProblems, operationsLacking } from '../../http/openapi-document.js';

const BASE = 'http://pay.test/finternet';

let merchant: TestMerchant;
let sk: string;

beforeAll(async () => {
  merchant = await createMerchant('Finternet merchant');
  sk = merchant.keys.test.secret;
  const set = await call(`/v1/admin/merchants/${merchant.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: randomXpub() } });
  expect(set.status).toBe(200);
});

/** A request as a Finternet client sends it: the key in X-API-Key, JSON bodies. */
async function finternet(path: string, init: { key?: string; json?: unknown; body?: string; method?: string } = {}) {
  const headers = new Headers();
  if (init.key !== undefined) headers.set('X-API-Key', init.key);
  let body = init.body;
  if (init.json !== undefined) body = JSON.stringify(init.json);
  if (body !== undefined) headers.set('Content-Type', 'application/json');
  const res = await exports.default.fetch(
    new Request(`${BASE}${path}`, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body }),
  );
  return { res, body: (await res.json()) as any };
}

const escrowChain = inject('escrowIntentsChain');
const ESCROW = chainsConfig(env).get('escrowpay')!.escrow_contract;

const ORDER = {
  chainId: escrowChain.chainId,
  amount: '1000.00',
  currency: 'USDC',
  type: 'DELIVERY_VS_PAYMENT',
  settlementMethod: 'OFF_RAMP_MOCK',
  settlementDestination: '9876543210',
  metadata: { orderId: 'ORD-123', customerId: 'CUST-456' },
};

async function createOrder(overrides: Record<string, unknown> = {}, key = sk) {
  const created = await finternet('/v1/payment-intents', { key, json: { ...ORDER, ...overrides } });
  expect(created.res.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

const stripe = stripeClient;

describe('the documented requests, replayed unchanged', () => {
  it('GET /v1/payment-intents/intent_2xYz9AbC123 with the document`s placeholder key is a 401; with a real key the documented 404, word for word', async () => {
    const placeholder = await finternet('/v1/payment-intents/intent_2xYz9AbC123', { key: 'sk_test_your_key_here' });
    expect(placeholder.res.status).toBe(401);
    expect(placeholder.body).toEqual({
      error: { code: 'invalid_api_key', message: 'Invalid API key provided.', type: 'authentication_error' },
    });
    const missing = await finternet('/v1/payment-intents/intent_2xYz9AbC123', { key: sk });
    expect(missing.res.status).toBe(404);
    expect(missing.body).toEqual({
      error: { code: 'resource_missing', message: 'Payment intent not found: intent_2xYz9AbC123', type: 'invalid_request_error' },
    });
  });

  it('the document`s JavaScript example reads paymentIntent.data.status of an intent made here', async () => {
    const made = await createOrder();
    // As the document's fetch example sends it: only headers: { 'X-API-Key': … }.
    const response = await exports.default.fetch(new Request(`${BASE}/v1/payment-intents/${made.id}`, { headers: { 'X-API-Key': sk } }));
    expect(response.status).toBe(200);
    const paymentIntent = (await response.json()) as any;
    expect(paymentIntent.data.status).toBe('REQUIRES_ACTION');
    expect(paymentIntent).toMatchObject({ id: made.id, object: 'payment_intent', status: 'REQUIRES_ACTION', created: made.created });
    await finternet(`/v1/payment-intents/${made.id}/cancel`, { key: sk, method: 'POST' });
  });

  it('the public endpoint answers without authentication', async () => {
    const made = await createOrder();
    const response = await exports.default.fetch(new Request(`${BASE}/v1/payment-intents/public/${made.id}`));
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).data.status).toBe('REQUIRES_ACTION');
  });
});

describe('create and retrieve', () => {
  it('makes a USDC intent held in escrow, in the document`s shape, amounts as decimal strings', async () => {
    const made = await createOrder();
    expect(made.id).toMatch(/^pi_/);
    expect(made).toMatchObject({ object: 'payment_intent', status: 'REQUIRES_ACTION' });
    expect(made.data).toMatchObject({
      id: made.id,
      merchantId: merchant.id,
      status: 'REQUIRES_ACTION',
      amount: '1000.00',
      currency: 'USDC',
      type: 'DELIVERY_VS_PAYMENT',
      settlementMethod: 'OFF_RAMP_MOCK',
      settlementDestination: '9876543210',
      settlementStatus: 'PENDING',
      contractAddress: ESCROW,
      transactionHash: null,
      payoutTransactionHash: null,
      chainId: escrowChain.chainId,
      signerAddress: null,
      tokenAddress: escrowChain.usdc.address,
      deliveryConfirmedAt: null,
      metadata: { orderId: 'ORD-123', customerId: 'CUST-456' },
      phases: [
        { phase: 'SIGNATURE_VERIFICATION', status: 'PENDING' },
        { phase: 'BLOCKCHAIN_CONFIRMATION', status: 'PENDING' },
        { phase: 'ESCROW_LOCKED', status: 'PENDING' },
        { phase: 'SETTLEMENT', status: 'PENDING' },
      ],
    });
    expect(made.data.depositAddress).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(made.data.typedData).toMatchObject({ primaryType: 'Deposit', domain: { verifyingContract: ESCROW } });
    expect(made.data.typedData.message).toMatchObject({ amount: '1000000000', merchant: made.data.depositAddress });
    expect(made.updated).toBeGreaterThanOrEqual(made.created);
    const read = await finternet(`/v1/payment-intents/${made.id}`, { key: sk });
    expect(read.body).toEqual(made);
  });

  it('takes fractions up to USDC`s 6 decimals, a CONDITIONAL type and a chain by chainId', async () => {
    const made = await createOrder({ amount: '0.000001', type: 'CONDITIONAL', chainId: escrowChain.chainId, metadata: undefined });
    expect(made.data).toMatchObject({ amount: '0.000001', type: 'CONDITIONAL', metadata: {} });
    expect(made.data.typedData.message.amount).toBe('1');
  });
});

describe('the public lookup', () => {
  it('shows the same intent without metadata and with the settlement destination masked', async () => {
    const made = await createOrder();
    const open = await finternet(`/v1/payment-intents/public/${made.id}`);
    expect(open.res.status).toBe(200);
    const { metadata, settlementDestination, ...rest } = made.data;
    expect(open.body.data).not.toHaveProperty('metadata');
    expect(open.body.data.settlementDestination).toBe('******3210');
    expect(open.body.data).toEqual({ ...rest, settlementDestination: '******3210' });
    expect(JSON.stringify(open.body)).not.toContain('9876543210');
    expect(JSON.stringify(open.body)).not.toContain('ORD-123');
    expect(JSON.stringify(open.body)).not.toContain(sk);
  });

  it('answers an unknown id with the documented 404', async () => {
    const none = await finternet('/v1/payment-intents/public/intent_2xYz9AbC123');
    expect(none.res.status).toBe(404);
    expect(none.body.error).toEqual({
      code: 'resource_missing',
      message: 'Payment intent not found: intent_2xYz9AbC123',
      type: 'invalid_request_error',
    });
  });
});

describe('authentication and isolation', () => {
  it('refuses a missing key, an unknown key and a publishable key with 401 on every authenticated route', async () => {
    const made = await createOrder();
    const routes: [string, string, unknown?][] = [
      ['POST', '/v1/payment-intents', ORDER],
      ['GET', `/v1/payment-intents/${made.id}`],
      [
        'POST',
        `/v1/payment-intents/${made.id}/signature`,
        { signature: `0x${'11'.repeat(65)}`, signerAddress: localChain.accounts[2]!.address },
      ],
      ['POST', `/v1/payment-intents/${made.id}/confirm-delivery`],
      ['POST', `/v1/payment-intents/${made.id}/cancel`],
    ];
    for (const [method, path, json] of routes) {
      for (const key of [undefined, 'sk_test_your_key_here', merchant.keys.test.publishable]) {
        const { res, body } = await finternet(path, { key, json, method });
        expect(res.status, `${method} ${path} ${key}`).toBe(401);
        expect(body.error.type).toBe('authentication_error');
        expect(body.error.code).toBe(key === undefined ? 'authentication_required' : 'invalid_api_key');
      }
    }
    expect((await finternet(`/v1/payment-intents/${made.id}`, { key: sk })).body.status).toBe('REQUIRES_ACTION');
  });

  it('answers another merchant with the documented 403, on every route, and changes nothing', async () => {
    const made = await createOrder();
    const other = await createMerchant('Another Finternet merchant');
    const forbidden = {
      error: { code: 'forbidden', message: 'You do not have access to this payment intent', type: 'authentication_error' },
    };
    for (const [method, path] of [
      ['GET', `/v1/payment-intents/${made.id}`],
      ['POST', `/v1/payment-intents/${made.id}/confirm-delivery`],
      ['POST', `/v1/payment-intents/${made.id}/cancel`],
    ] as const) {
      const { res, body } = await finternet(path, { key: other.keys.test.secret, method });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(body).toEqual(forbidden);
    }
    expect((await finternet(`/v1/payment-intents/${made.id}`, { key: sk })).body.status).toBe('REQUIRES_ACTION');
  });

  it('keeps modes apart: the merchant`s live key does not find a test intent (404)', async () => {
    const made = await createOrder();
    const live = await finternet(`/v1/payment-intents/${made.id}`, { key: merchant.keys.live.secret });
    expect(live.res.status).toBe(404);
    expect(live.body.error).toEqual({
      code: 'resource_missing',
      message: `Payment intent not found: ${made.id}`,
      type: 'invalid_request_error',
    });
    expect((await finternet(`/v1/payment-intents/${made.id}/cancel`, { key: merchant.keys.live.secret, method: 'POST' })).res.status).toBe(
      404,
    );
  });

  it('refuses the off-ramp simulator, or a chain, in live mode', async () => {
    const { res, body } = await finternet('/v1/payment-intents', { key: merchant.keys.live.secret, json: ORDER });
    expect(res.status).toBe(400);
    expect(['chainId', 'settlementMethod']).toContain(body.error.param);
  });
});

describe('bad input, in the family`s envelope and naming the field', () => {
  it('refuses every malformed create field with a 400, never a 500', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ amount: undefined }, 'amount', 'parameter_missing'],
      [{ amount: 1000 }, 'amount', 'parameter_invalid'],
      [{ amount: '1,000.00' }, 'amount', 'parameter_invalid'],
      [{ amount: '-1.00' }, 'amount', 'parameter_invalid'],
      [{ amount: '1e3' }, 'amount', 'parameter_invalid'],
      [{ amount: '0.00' }, 'amount', 'parameter_invalid'],
      [{ amount: '1.0000001' }, 'amount', 'parameter_invalid'],
      [{ amount: '9'.repeat(31) }, 'amount', 'parameter_invalid'],
      [{ currency: 'USD' }, 'currency', 'parameter_invalid'],
      [{ currency: undefined }, 'currency', 'parameter_missing'],
      [{ type: 'ESCROW' }, 'type', 'parameter_invalid'],
      [{ settlementMethod: 'WIRE' }, 'settlementMethod', 'parameter_invalid'],
      [{ settlementDestination: '' }, 'settlementDestination', 'parameter_invalid'],
      [{ settlementDestination: 'x'.repeat(101) }, 'settlementDestination', 'parameter_invalid'],
      [{ metadata: { orderId: 7 } }, 'metadata.orderId', 'parameter_invalid'],
      [{ metadata: 'ORD-123' }, 'metadata', 'parameter_invalid'],
      [{ chainId: 1 }, 'chainId', 'parameter_invalid'],
      [{ chainId: 'sepolia' }, 'chainId', 'parameter_invalid'],
      [{ merchantId: 'acct_x' }, 'merchantId', 'parameter_unknown'],
    ];
    for (const [override, param, code] of cases) {
      const { res, body } = await finternet('/v1/payment-intents', { key: sk, json: { ...ORDER, ...override } });
      expect(res.status, JSON.stringify(override)).toBe(400);
      expect(body.error, JSON.stringify(override)).toMatchObject({ code, param, type: 'invalid_request_error' });
    }
  });

  it('refuses a body that is not JSON, a card number, a long id and a malformed signature', async () => {
    const notJson = await finternet('/v1/payment-intents', { key: sk, body: '{"amount":' });
    expect(notJson.res.status).toBe(400);
    expect(notJson.body.error.type).toBe('invalid_request_error');

    const card = await finternet('/v1/payment-intents', { key: sk, json: { ...ORDER, metadata: { note: '4242424242424242' } } });
    expect(card.res.status).toBe(400);
    expect(card.body.error.param).toBe('metadata.note');
    expect(JSON.stringify(card.body)).not.toContain('4242424242424242');

    const long = await finternet(`/v1/payment-intents/${'x'.repeat(101)}`, { key: sk });
    expect(long.res.status).toBe(400);
    expect(long.body.error.param).toBe('intentId');

    const made = await createOrder();
    const signer = localChain.accounts[2]!.address;
    for (const [json, param] of [
      [{ signature: '0x1234', signerAddress: signer }, 'signature'],
      [{ signerAddress: signer }, 'signature'],
      [{ signature: `0x${'11'.repeat(65)}`, signerAddress: '0x1234' }, 'signerAddress'],
      [{ signature: `0x${'11'.repeat(65)}`, signerAddress: signer }, 'signature'],
      [{ signature: `0x${'11'.repeat(65)}`, signerAddress: signer, extra: 1 }, 'extra'],
      [
        {
          signature: `0x${'11'.repeat(65)}`,
          signerAddress: signer,
          permit: { deadline: 1, v: 29, r: `0x${'22'.repeat(32)}`, s: `0x${'33'.repeat(32)}` },
        },
        'permit.v',
      ],
      [
        {
          signature: `0x${'11'.repeat(65)}`,
          signerAddress: signer,
          permit: { deadline: 'soon', v: 27, r: `0x${'22'.repeat(32)}`, s: `0x${'33'.repeat(32)}` },
        },
        'permit.deadline',
      ],
      [
        { signature: `0x${'11'.repeat(65)}`, signerAddress: signer, permit: { deadline: 1, v: 27, r: '0x22', s: `0x${'33'.repeat(32)}` } },
        'permit.r',
      ],
      [{ signature: `0x${'11'.repeat(65)}`, signerAddress: signer, permit: 'signed' }, 'permit'],
    ] as const) {
      const { res, body } = await finternet(`/v1/payment-intents/${made.id}/signature`, { key: sk, json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(body.error.param).toBe(param);
    }
  });

  it('answers an unknown path under /finternet in its envelope, and serves its own API description', async () => {
    const unknown = await finternet('/v1/payment-intents/x/refund', { key: sk, method: 'POST' });
    expect(unknown.res.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'route_not_found', type: 'invalid_request_error' });
    const doc = (await (await call('/finternet/openapi.json')).json()) as any;
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/finternet/v1/payment-intents',
      '/finternet/v1/payment-intents/public/{intentId}',
      '/finternet/v1/payment-intents/{intentId}',
      '/finternet/v1/payment-intents/{intentId}/cancel',
      '/finternet/v1/payment-intents/{intentId}/confirm-delivery',
      '/finternet/v1/payment-intents/{intentId}/signature',
    ]);
    expect(doc.components.securitySchemes.finternetApiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    const main = (await (await call('/openapi.json')).json()) as any;
    expect(Object.keys(main.paths).filter((p) => p.startsWith('/finternet'))).toEqual([]);
  });

  it('describes itself in a valid OpenAPI document: every operation with examples and its own security entry', async () => {
    const doc = (await (await call('/finternet/openapi.json')).json()) as any;
    expect(await documentProblems(doc)).toEqual([]);
    expect(operationsLacking(doc)).toEqual({ example: [], security: [] });
    expect(doc.paths['/finternet/v1/payment-intents/public/{intentId}'].get.security).toEqual([]);
    expect(doc.servers).toEqual([{ url: expect.stringMatching(/^https?:\/\//) }]);
  });
});

describe('one intent, seen through both families', () => {
  it('an intent made here is the same PaymentIntent through the stripe SDK, and a cancel there shows here', async () => {
    const made = await createOrder();
    const pi = await stripe(sk).paymentIntents.retrieve(made.id);
    expect(pi).toMatchObject({
      id: made.id,
      status: 'requires_action',
      currency: 'usdc',
      amount: 1_000_000_000,
      metadata: { orderId: 'ORD-123', customerId: 'CUST-456' },
      payment_method_types: ['crypto'],
      capture_method: 'manual',
    });
    expect((pi.next_action as any).crypto_escrow_deposit).toMatchObject({ contract: ESCROW, merchant: made.data.depositAddress });
    const canceled = await stripe(sk).paymentIntents.cancel(made.id);
    expect(canceled.status).toBe('canceled');
    const seen = await finternet(`/v1/payment-intents/${made.id}`, { key: sk });
    expect(seen.body).toMatchObject({ status: 'CANCELED', data: { status: 'CANCELED', settlementStatus: 'PENDING' } });
    expect(seen.body.data.phases.map((p: { status: string }) => p.status)).toEqual(['SKIPPED', 'FAILED', 'SKIPPED', 'SKIPPED']);
    expect(seen.body.data.typedData).toBeNull();
  });

  it('a cancel here is seen by the stripe SDK, and a second one is refused naming the status', async () => {
    const made = await createOrder();
    const canceled = await finternet(`/v1/payment-intents/${made.id}/cancel`, { key: sk, method: 'POST' });
    expect(canceled.res.status).toBe(200);
    expect(canceled.body.status).toBe('CANCELED');
    expect((await stripe(sk).paymentIntents.retrieve(made.id)).status).toBe('canceled');
    const again = await finternet(`/v1/payment-intents/${made.id}/cancel`, { key: sk, method: 'POST' });
    expect(again.res.status).toBe(400);
    expect(again.body.error.code).toBe('payment_intent_unexpected_state');
    expect(again.body.error.message).toContain('CANCELED');
  });
});
