/**
 * Debit items on the canonical API: create with each field (JSON and, through the official `stripe`
 * SDK's rawRequest, form encoding with an Idempotency-Key), each refusal naming its parameter,
 * list pagination and the active filter, update rules (signed terms never change), concurrent
 * updates, deactivate/reactivate, and tenants (another merchant's or mode's item is a 404).
 */
import { exports } from 'cloudflare:workers';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, createMerchant, get, post, type TestMerchant } from '../helpers.js';

const PAYEE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const BASE_URL = 'http://pay.test';

/** A valid test-mode item on the payment-intent tests' chain (network `testnet`, token usdc). */
const item = (overrides: Record<string, unknown> = {}) => ({
  name: 'Daily plan',
  network: 'testnet',
  token: 'usdc',
  payee_address: PAYEE,
  max_price: 1_000_000,
  debit_times: 12,
  debit_interval: 30,
  pricing: 'fixed',
  redirect_url: 'https://shop.example/subscribed',
  ...overrides,
});

let m: TestMerchant;
let sk: string;
beforeAll(async () => {
  m = await createMerchant('Debit items');
  sk = m.keys.test.secret;
});

async function create(overrides: Record<string, unknown> = {}, key = sk) {
  const { res, body } = await post(key, '/v1/debit_items', item(overrides));
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function refusal(path: string, params: Record<string, unknown>, key = sk) {
  const { res, body } = await post(key, path, params);
  expect(res.status, JSON.stringify(body)).toBe(400);
  return body.error;
}

describe('POST /v1/debit_items', () => {
  it('makes an active item with every field, a random button id and its checkout url', async () => {
    const before = Math.floor(Date.now() / 1000);
    const made = await create({ metadata: { plan: 'pro' }, pricing: 'dynamic', token: 'USDC' });
    expect(made).toMatchObject({
      object: 'debit_item',
      name: 'Daily plan',
      network: 'testnet',
      chain_id: 31_340,
      token: { symbol: 'usdc', decimals: 6 },
      payee_address: PAYEE,
      max_price: 1_000_000,
      debit_times: 12,
      debit_interval: 30,
      debit_interval_seconds: 30 * 86_400,
      pricing: 'dynamic',
      redirect_url: 'https://shop.example/subscribed',
      active: true,
      deleted: false,
      metadata: { plan: 'pro' },
      livemode: false,
    });
    expect(made.id).toMatch(/^di_[0-9A-Za-z]{24}$/);
    expect(made.token.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(made.button_id).toMatch(/^btn_[0-9A-Za-z]{32}$/);
    expect(made.checkout_url).toBe(`${BASE_URL}/subscribe/${made.button_id}`);
    expect(made.created).toBeGreaterThanOrEqual(before);
    const other = await create();
    expect(other.button_id).not.toBe(made.button_id);
    expect((await get(sk, `/v1/debit_items/${made.id}`)).body).toEqual(made);
  });

  it('takes the native coin, a lowercase payee (answered checksummed), and max_price past 2^53 and up to uint128 as digit strings', async () => {
    const max = ((1n << 128n) - 1n).toString();
    const made = await create({ token: 'eth', payee_address: PAYEE.toLowerCase(), max_price: max });
    expect(made.token).toEqual({ symbol: 'eth', decimals: 18, address: null });
    expect(made.payee_address).toBe(PAYEE);
    expect(made.max_price).toBe(max);
    expect((await create({ max_price: '9007199254740993' })).max_price).toBe('9007199254740993');
  });

  it('takes debit_interval_seconds (>= 10) in test mode instead of days', async () => {
    const made = await create({ debit_interval: undefined, debit_interval_seconds: 10 });
    expect(made).toMatchObject({ debit_interval: null, debit_interval_seconds: 10 });
  });

  it.each([
    ['name', { name: '' }],
    ['name', { name: undefined }],
    ['network', { network: 'nowhere' }],
    ['network', { network: 'Bad Net' }],
    ['token', { token: 'doge' }],
    ['payee_address', { payee_address: '0x1234' }],
    ['payee_address', { payee_address: '0x70997970c51812dc3A010C7d01b50e0d17dc79C8' }],
    ['payee_address', { payee_address: '0x0000000000000000000000000000000000000000' }],
    ['max_price', { max_price: 0 }],
    ['max_price', { max_price: -5 }],
    ['max_price', { max_price: 1.5 }],
    ['max_price', { max_price: (1n << 128n).toString() }],
    ['max_price', { max_price: 2 ** 60 }],
    ['debit_times', { debit_times: 0 }],
    ['debit_times', { debit_times: 10_001 }],
    ['debit_interval', { debit_interval: 0 }],
    ['debit_interval', { debit_interval: 3651 }],
    ['debit_interval', { debit_interval: undefined }],
    ['debit_interval', { debit_interval: 1, debit_interval_seconds: 60 }],
    ['debit_interval_seconds', { debit_interval: undefined, debit_interval_seconds: 9 }],
    ['pricing', { pricing: 'Fixed' }],
    ['redirect_url', { redirect_url: 'not a url' }],
    ['redirect_url', { redirect_url: 'http://shop.example/done' }],
    ['redirect_url', { redirect_url: 'https://10.0.0.1/done' }],
    ['metadata', { metadata: { ['k'.repeat(41)]: 'v' } }],
    ['chain_id', { chain_id: 1 }],
  ])('refuses a bad %s by name, and makes nothing', async (param, overrides) => {
    const before = (await get(sk, '/v1/debit_items?limit=100')).body.data.length;
    const error = await refusal('/v1/debit_items', item(overrides));
    expect(error.param).toMatch(new RegExp(`^${param}`));
    expect((await get(sk, '/v1/debit_items?limit=100')).body.data.length).toBe(before);
  });

  it('accepts an http redirect to localhost in test mode', async () => {
    expect((await create({ redirect_url: 'http://localhost:3000/done' })).redirect_url).toBe('http://localhost:3000/done');
  });

  it('refuses the seconds form and loopback redirects in live mode, and test networks there', async () => {
    const live = m.keys.live.secret;
    expect((await refusal('/v1/debit_items', item({ debit_interval: undefined, debit_interval_seconds: 60 }), live)).param).toBe(
      'debit_interval_seconds',
    );
    expect((await refusal('/v1/debit_items', item({ redirect_url: 'http://localhost:3000/done' }), live)).param).toBe('redirect_url');
    expect((await refusal('/v1/debit_items', item(), live)).param).toBe('network');
  });

  it('is refused with a publishable key (403) and without a key (401)', async () => {
    const pub = await post(m.keys.test.publishable, '/v1/debit_items', item());
    expect(pub.res.status).toBe(403);
    expect((await call('/v1/debit_items', { json: item() })).status).toBe(401);
  });

  it('through the stripe SDK (form encoding) with an Idempotency-Key: a retry gets the same item, and one item is made', async () => {
    const stripe = new Stripe(sk, {
      host: 'pay.test',
      port: 443,
      protocol: 'https',
      maxNetworkRetries: 0,
      httpClient: Stripe.createFetchHttpClient(((url: string, init: RequestInit) =>
        exports.default.fetch(new Request(url, init))) as typeof fetch),
    });
    const key = `di-${crypto.randomUUID()}`;
    const params = { ...item({ name: `Keyed ${key}`, max_price: '5000000' }), metadata: { order: '7' } };
    const first = await stripe.rawRequest('POST', '/v1/debit_items', params, { idempotencyKey: key });
    const again = await stripe.rawRequest('POST', '/v1/debit_items', params, { idempotencyKey: key });
    const a = JSON.parse(JSON.stringify(first));
    const b = JSON.parse(JSON.stringify(again));
    expect(a.id).toBe(b.id);
    expect(a.button_id).toBe(b.button_id);
    expect(a).toMatchObject({ max_price: 5_000_000, debit_times: 12, debit_interval: 30, metadata: { order: '7' } });
    const listed = (await get(sk, '/v1/debit_items?limit=100')).body.data.filter((d: any) => d.name === `Keyed ${key}`);
    expect(listed).toHaveLength(1);
    // The same key with other parameters is refused, not answered with the first item.
    await expect(
      stripe.rawRequest('POST', '/v1/debit_items', { ...params, max_price: '6000000' }, { idempotencyKey: key }),
    ).rejects.toMatchObject({ type: 'StripeIdempotencyError' });
  });
});

describe('GET /v1/debit_items', () => {
  it('pages newest first with starting_after and ending_before, and filters on active', async () => {
    const owner = await createMerchant('Debit item lists');
    const key = owner.keys.test.secret;
    const made: any[] = [];
    for (let i = 0; i < 5; i++) made.push(await create({ name: `Plan ${i}` }, key));
    const newest = made.map((d) => d.id).reverse();
    const first = (await get(key, '/v1/debit_items?limit=2')).body;
    expect(first.data.map((d: any) => d.id)).toEqual(newest.slice(0, 2));
    expect(first.has_more).toBe(true);
    const second = (await get(key, `/v1/debit_items?limit=2&starting_after=${newest[1]}`)).body;
    expect(second.data.map((d: any) => d.id)).toEqual(newest.slice(2, 4));
    const last = (await get(key, `/v1/debit_items?limit=2&starting_after=${newest[3]}`)).body;
    expect(last).toMatchObject({ has_more: false, data: [{ id: newest[4] }] });
    const back = (await get(key, `/v1/debit_items?limit=2&ending_before=${newest[2]}`)).body;
    expect(back.data.map((d: any) => d.id)).toEqual(newest.slice(0, 2));

    expect((await post(key, `/v1/debit_items/${newest[1]}/deactivate`)).res.status).toBe(200);
    const inactive = (await get(key, '/v1/debit_items?active=false')).body.data.map((d: any) => d.id);
    expect(inactive).toEqual([newest[1]]);
    const active = (await get(key, '/v1/debit_items?active=true')).body.data.map((d: any) => d.id);
    expect(active).toEqual(newest.filter((id) => id !== newest[1]));
  });

  it('refuses a bad limit, an unknown cursor and another merchant`s item as cursor, by name', async () => {
    const other = await createMerchant('Debit item cursor');
    const theirs = await create({}, other.keys.test.secret);
    for (const [query, param, status] of [
      ['limit=0', 'limit', 400],
      ['active=maybe', 'active', 400],
      ['starting_after=di_unknown', 'starting_after', 404],
      [`ending_before=${theirs.id}`, 'ending_before', 404],
    ] as const) {
      const { res, body } = await get(sk, `/v1/debit_items?${query}`);
      expect(res.status, query).toBe(status);
      expect(body.error.param).toBe(param);
    }
  });
});

describe('POST /v1/debit_items/{id}', () => {
  it('changes name, redirect_url and metadata (merged; "" removes a key)', async () => {
    const made = await create({ metadata: { a: '1', b: '2' } });
    const { res, body } = await post(sk, `/v1/debit_items/${made.id}`, {
      name: 'Renamed',
      redirect_url: 'https://shop.example/new',
      metadata: { b: '', c: '3' },
    });
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toEqual({ ...made, name: 'Renamed', redirect_url: 'https://shop.example/new', metadata: { a: '1', c: '3' } });
    expect((await get(sk, `/v1/debit_items/${made.id}`)).body).toEqual(body);
  });

  it.each([
    ['network', 'testnet'],
    ['token', 'eth'],
    ['payee_address', PAYEE],
    ['max_price', 2],
    ['debit_times', 3],
    ['debit_interval', 7],
    ['debit_interval_seconds', 60],
    ['pricing', 'dynamic'],
  ])('refuses a change of the signed term %s by name, and changes nothing', async (param, value) => {
    const made = await create();
    const error = await refusal(`/v1/debit_items/${made.id}`, { name: 'Sneaky', [param]: value });
    expect(error.param).toBe(param);
    expect(error.message).toContain('cannot be changed');
    expect((await get(sk, `/v1/debit_items/${made.id}`)).body).toEqual(made);
  });

  it('refuses a bad redirect_url and an unknown parameter by name', async () => {
    const made = await create();
    expect((await refusal(`/v1/debit_items/${made.id}`, { redirect_url: 'ftp://x.example' })).param).toBe('redirect_url');
    expect((await refusal(`/v1/debit_items/${made.id}`, { button_id: 'btn_x' })).param).toBe('button_id');
  });

  it('lands every one of concurrent updates: none is lost', async () => {
    const made = await create();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => post(sk, `/v1/debit_items/${made.id}`, { metadata: { [`k${i}`]: String(i) } })),
    );
    const landed = results.filter((r) => r.res.status === 200).length;
    // Each either landed or was refused as a whole (409): what landed is all there.
    for (const r of results) expect([200, 409]).toContain(r.res.status);
    const after = (await get(sk, `/v1/debit_items/${made.id}`)).body;
    expect(Object.keys(after.metadata)).toHaveLength(landed);
    for (const [i, r] of results.entries()) {
      if (r.res.status === 200) expect(after.metadata[`k${i}`]).toBe(String(i));
    }
    expect(landed).toBeGreaterThanOrEqual(1);
  });
});

describe('deactivate and reactivate', () => {
  it('turn the item off and on, each idempotent', async () => {
    const made = await create();
    const off = (await post(sk, `/v1/debit_items/${made.id}/deactivate`)).body;
    expect(off).toMatchObject({ id: made.id, active: false, deleted: true });
    expect((await post(sk, `/v1/debit_items/${made.id}/deactivate`)).body).toEqual(off);
    // The terms and the button are the same; the item can still be renamed while off.
    expect(off.button_id).toBe(made.button_id);
    const on = (await post(sk, `/v1/debit_items/${made.id}/reactivate`)).body;
    expect(on).toEqual(made);
    expect((await post(sk, `/v1/debit_items/${made.id}/reactivate`)).body).toEqual(made);
  });

  it('refuse a body parameter by name', async () => {
    const made = await create();
    expect((await refusal(`/v1/debit_items/${made.id}/deactivate`, { active: false })).param).toBe('active');
  });
});

describe('tenants', () => {
  it("another merchant's item and the other mode's are 404 on every route, and unchanged", async () => {
    const other = await createMerchant('Debit item tenant');
    const theirs = await create({}, other.keys.test.secret);
    for (const key of [sk, other.keys.live.secret]) {
      const reads = [
        await get(key, `/v1/debit_items/${theirs.id}`),
        await post(key, `/v1/debit_items/${theirs.id}`, { name: 'Stolen' }),
        await post(key, `/v1/debit_items/${theirs.id}/deactivate`),
        await post(key, `/v1/debit_items/${theirs.id}/reactivate`),
      ];
      for (const { res, body } of reads) {
        expect(res.status).toBe(404);
        expect(body.error).toMatchObject({ code: 'resource_missing', param: 'id' });
      }
      expect((await get(key, '/v1/debit_items?limit=100')).body.data.map((d: any) => d.id)).not.toContain(theirs.id);
    }
    expect((await get(other.keys.test.secret, `/v1/debit_items/${theirs.id}`)).body).toEqual(theirs);
    expect((await get(sk, '/v1/debit_items/not-an-id')).res.status).toBe(404);
  });
});
