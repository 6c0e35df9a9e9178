/**
 * Keys, modes and tenants: who can see what. Another merchant's object, or an object of the other
 * mode, must be indistinguishable from one that does not exist.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, createIntent, createMerchant, get, post, type TestMerchant, shardOf } from '../helpers.js';
import { expectErrorLogs } from '../expected-logs.js';
import { findStorefront } from '../../src/merchants/keys.js';

let a: TestMerchant;
let b: TestMerchant;
beforeAll(async () => {
  a = await createMerchant('Merchant A');
  b = await createMerchant('Merchant B');
});

const MISSING_ID = 'pi_0000000000ZZZZZZZZZZZZZZ';

async function errorOf(res: Response) {
  const body = (await res.json()) as any;
  return { status: res.status, error: body.error };
}

describe('merchants and keys', () => {
  it('issues acct_ ids and four distinct keys of ≥128 random bits; secret keys stored only as hashes, publishable ones kept for the hosted page', async () => {
    expect(a.id).toMatch(/^acct_/);
    const keys = [a.keys.test.secret, a.keys.test.publishable, a.keys.live.secret, a.keys.live.publishable];
    expect(keys[0]).toMatch(/^sk_test_[0-9A-Za-z]{32}$/);
    expect(keys[1]).toMatch(/^pk_test_[0-9A-Za-z]{32}$/);
    expect(keys[2]).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);
    expect(keys[3]).toMatch(/^pk_live_[0-9A-Za-z]{32}$/);
    expect(new Set(keys).size).toBe(4);
    const rows = await env.DIRECTORY.prepare('SELECT * FROM api_keys WHERE merchant_id = ?').bind(a.id).all();
    expect(rows.results).toHaveLength(4);
    const stored = JSON.stringify(rows.results);
    for (const key of [a.keys.test.secret, a.keys.live.secret]) expect(stored).not.toContain(key.slice(8));
    // Publishable keys are public by design: kept whole, on their own rows only, so the hosted page can hand them to its script.
    const publishable = rows.results.filter((r) => r.kind === 'publishable').map((r) => r.publishable);
    expect(publishable.sort()).toEqual([a.keys.live.publishable, a.keys.test.publishable].sort());
    expect(rows.results.filter((r) => r.kind === 'secret').map((r) => r.publishable)).toEqual([null, null]);
  });

  it("the storefront (name and current publishable key of a mode) follows a roll at once, and names no other merchant's key", async () => {
    const m = await createMerchant('Storefront Ltd');
    expect(await findStorefront(env.DIRECTORY, m.id, false)).toEqual({
      merchantName: 'Storefront Ltd',
      publishableKey: m.keys.test.publishable,
      frameAncestors: [],
    });
    expect(await findStorefront(env.DIRECTORY, m.id, true)).toEqual({
      merchantName: 'Storefront Ltd',
      publishableKey: m.keys.live.publishable,
      frameAncestors: [],
    });
    const res = await call(`/v1/admin/merchants/${m.id}/roll_keys`, { key: ADMIN_TOKEN, json: { mode: 'test' } });
    const rolled = (await res.json()) as any;
    expect((await findStorefront(env.DIRECTORY, m.id, false))?.publishableKey).toBe(rolled.keys.test.publishable);
    expect((await findStorefront(env.DIRECTORY, m.id, true))?.publishableKey).toBe(m.keys.live.publishable);
    expect(await findStorefront(env.DIRECTORY, 'acct_nope', false)).toBeNull();
  });

  it('rolling keys replaces them: the old ones answer 401 at once, the new ones work', async () => {
    const m = await createMerchant('Roller');
    const res = await call(`/v1/admin/merchants/${m.id}/roll_keys`, { key: ADMIN_TOKEN, json: { mode: 'test' } });
    expect(res.status).toBe(200);
    const rolled = (await res.json()) as any;
    expect(rolled.id).toBe(m.id);
    expect(rolled.keys.live).toBeUndefined();
    expect(rolled.keys.test.secret).not.toBe(m.keys.test.secret);
    expect((await get(m.keys.test.secret, '/v1/payment_intents')).res.status).toBe(401);
    expect((await get(rolled.keys.test.secret, '/v1/payment_intents')).res.status).toBe(200);
    // Live keys were not part of the roll.
    expect((await get(m.keys.live.secret, '/v1/payment_intents')).res.status).toBe(200);
  });

  it('rolling an unknown merchant is a 404; the admin API needs the admin token', async () => {
    const res = await call('/v1/admin/merchants/acct_nope/roll_keys', { key: ADMIN_TOKEN, json: {} });
    expect(res.status).toBe(404);
    const denied = await call('/v1/admin/merchants', { key: a.keys.test.secret, json: { name: 'x' } });
    expect(await errorOf(denied)).toMatchObject({ status: 401, error: { type: 'authentication_error', code: 'admin_token_invalid' } });
  });
});

describe('authentication', () => {
  it('accepts Bearer and HTTP Basic with the key as user name', async () => {
    const basic = await call('/v1/payment_intents', { headers: { Authorization: `Basic ${btoa(`${a.keys.test.secret}:`)}` } });
    expect(basic.status).toBe(200);
    expect((await get(a.keys.test.secret, '/v1/payment_intents')).res.status).toBe(200);
  });

  it('a missing or unknown key is a 401 authentication_error, without echoing the key', async () => {
    expect(await errorOf(await call('/v1/payment_intents'))).toMatchObject({
      status: 401,
      error: { type: 'authentication_error', code: 'api_key_missing' },
    });
    const unknown = `sk_test_${'x'.repeat(32)}`;
    const res = await errorOf(await call('/v1/payment_intents', { key: unknown }));
    expect(res).toMatchObject({ status: 401, error: { type: 'authentication_error', code: 'api_key_invalid' } });
    expect(res.error.message).not.toContain(unknown);
  });

  it('a publishable key on a secret-key route is a 403', async () => {
    const res = await call('/v1/payment_intents', { key: a.keys.test.publishable, json: { amount: 100, currency: 'usd' } });
    expect(await errorOf(res)).toMatchObject({ status: 403, error: { code: 'secret_key_required' } });
    expect((await get(a.keys.test.secret, '/v1/payment_intents')).body.data).toEqual([]);
  });
});

describe('tenant and mode isolation', () => {
  it("another merchant's intent is a 404 identical to a missing one, for every operation", async () => {
    const { body: intent } = await createIntent(a.keys.test.secret, { capture_method: 'manual' });
    const bk = b.keys.test.secret;
    const foreign = await get(bk, `/v1/payment_intents/${intent.id}`);
    const missing = await get(bk, `/v1/payment_intents/${MISSING_ID}`);
    expect(foreign.res.status).toBe(404);
    expect(foreign.body.error.message.replace(intent.id, 'ID')).toBe(missing.body.error.message.replace(MISSING_ID, 'ID'));
    expect({ ...foreign.body.error, message: '' }).toEqual({ ...missing.body.error, message: '' });

    for (const op of ['', '/confirm', '/capture', '/cancel']) {
      const { res, body } = await post(
        bk,
        `/v1/payment_intents/${intent.id}${op}`,
        op === '/confirm' ? { payment_method: 'pm_card_visa' } : {},
      );
      expect(res.status).toBe(404);
      expect(body.error.code).toBe('resource_missing');
    }
    // B's attempts changed nothing, and B's list does not show it.
    const after = await get(a.keys.test.secret, `/v1/payment_intents/${intent.id}`);
    expect(after.body).toEqual(intent);
    expect((await get(bk, '/v1/payment_intents')).body.data.map((i: any) => i.id)).not.toContain(intent.id);
  });

  it('a test key never sees a live object, and a live key never sees a test object', async () => {
    const { body: live } = await createIntent(a.keys.live.secret);
    const { body: test } = await createIntent(a.keys.test.secret);
    expect(live.livemode).toBe(true);
    expect(test.livemode).toBe(false);
    expect((await get(a.keys.test.secret, `/v1/payment_intents/${live.id}`)).res.status).toBe(404);
    expect((await get(a.keys.live.secret, `/v1/payment_intents/${test.id}`)).res.status).toBe(404);
    const liveIds = (await get(a.keys.live.secret, '/v1/payment_intents?limit=100')).body.data.map((i: any) => i.id);
    const testIds = (await get(a.keys.test.secret, '/v1/payment_intents?limit=100')).body.data.map((i: any) => i.id);
    expect(liveIds).toContain(live.id);
    expect(liveIds).not.toContain(test.id);
    expect(testIds).toContain(test.id);
    expect(testIds).not.toContain(live.id);
  });

  it('a list cursor from another merchant is refused as unknown', async () => {
    const { body: intent } = await createIntent(a.keys.test.secret);
    const { res, body } = await get(b.keys.test.secret, `/v1/payment_intents?starting_after=${intent.id}`);
    expect(res.status).toBe(404);
    expect(body.error.param).toBe('starting_after');
  });
});

describe('browser lookups', () => {
  it('a publishable key with the client secret sees only browser-safe fields', async () => {
    const { body: intent } = await createIntent(a.keys.test.secret, {
      description: 'secret order notes',
      metadata: { internal: 'x' },
      receipt_email: 'buyer@example.com',
      customer: 'cus_42',
      statement_descriptor: 'ACME SHOP',
    });
    const res = await call(`/v1/payment_intents/${intent.id}?client_secret=${intent.client_secret}`, { key: a.keys.test.publishable });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      id: intent.id,
      amount: 2000,
      currency: 'usd',
      status: 'requires_payment_method',
      client_secret: intent.client_secret,
    });
    for (const hidden of [
      'metadata',
      'customer',
      'receipt_email',
      'description',
      'statement_descriptor',
      'amount_received',
      'amount_capturable',
    ]) {
      expect(body).not.toHaveProperty(hidden);
    }
    expect(JSON.stringify(body)).not.toContain('secret order notes');
  });

  it('a wrong client secret, or none, or another merchant’s publishable key is refused', async () => {
    const { body: intent } = await createIntent(a.keys.test.secret);
    const pk = a.keys.test.publishable;
    const wrong = await call(`/v1/payment_intents/${intent.id}?client_secret=${intent.id}_secret_${'x'.repeat(25)}`, { key: pk });
    expect(await errorOf(wrong)).toMatchObject({ status: 404, error: { code: 'resource_missing' } });
    const none = await call(`/v1/payment_intents/${intent.id}`, { key: pk });
    expect(await errorOf(none)).toMatchObject({ status: 400, error: { code: 'parameter_missing', param: 'client_secret' } });
    const otherMerchant = await call(`/v1/payment_intents/${intent.id}?client_secret=${intent.client_secret}`, {
      key: b.keys.test.publishable,
    });
    expect(otherMerchant.status).toBe(404);
    const otherMode = await call(`/v1/payment_intents/${intent.id}?client_secret=${intent.client_secret}`, {
      key: a.keys.live.publishable,
    });
    expect(otherMode.status).toBe(404);
  });

  it('answers CORS preflights and sets CORS headers on the lookup', async () => {
    const { body: intent } = await createIntent(a.keys.test.secret);
    const preflight = await call(`/v1/payment_intents/${intent.id}`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://shop.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(preflight.headers.get('Access-Control-Allow-Methods')).toContain('GET');
    expect(preflight.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain('authorization');
    const res = await call(`/v1/payment_intents/${intent.id}?client_secret=${intent.client_secret}`, {
      key: a.keys.test.publishable,
      headers: { Origin: 'https://shop.example' },
    });
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*');
  });
});

describe('faults', () => {
  it('a real fault is a 500 api_error with a generic message and the request id, nothing internal', async () => {
    const d1 = await shardOf(a.id);
    await d1.exec('ALTER TABLE payment_intents RENAME TO payment_intents_away');
    const logs = expectErrorLogs((log) => log.msg === 'unhandled error');
    try {
      const res = await call('/v1/payment_intents', { key: a.keys.test.secret });
      expect(res.status).toBe(500);
      const body = (await res.json()) as any;
      const requestId = res.headers.get('Request-Id');
      expect(body.error).toMatchObject({ type: 'api_error', code: 'internal_error', request_id: requestId });
      expect(body.error.message).toContain(requestId);
      // The request id is random base62 and can spell "d1" by chance; judge the message without it.
      expect(body.error.message.replace(requestId!, '')).not.toMatch(/payment_intents|SQL|\bD1\b/i);
      // What the client is not told is in the log, under the same request id.
      expect(logs.caught).toEqual([
        expect.objectContaining({
          requestId,
          method: 'GET',
          path: '/v1/payment_intents',
          error: expect.objectContaining({ message: expect.stringContaining('no such table: payment_intents') }),
        }),
      ]);
    } finally {
      logs.restore();
      await d1.exec('ALTER TABLE payment_intents_away RENAME TO payment_intents');
    }
  });
});

describe('key cache', () => {
  it('a revoked key stops working within the cache lifetime even in an isolate that did not roll it', async () => {
    const { findKeyOwner, KEY_CACHE_TTL_MS } = await import('../../src/merchants/keys.js');
    const m = await createMerchant('Cached');
    const now = Date.now();
    expect(await findKeyOwner(env.DIRECTORY, m.keys.test.secret, now)).toMatchObject({ merchantId: m.id, kind: 'secret' });
    // Revoke behind the cache's back, as another isolate's roll would.
    await env.DIRECTORY.prepare('UPDATE api_keys SET revoked_at = ? WHERE merchant_id = ?').bind(now, m.id).run();
    expect(await findKeyOwner(env.DIRECTORY, m.keys.test.secret, now + 1)).not.toBeNull();
    expect(await findKeyOwner(env.DIRECTORY, m.keys.test.secret, now + KEY_CACHE_TTL_MS + 1)).toBeNull();
  });
});
