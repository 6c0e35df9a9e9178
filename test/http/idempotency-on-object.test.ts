/**
 * Idempotency-Key on the routes that change an intent: the intent's Durable Object keeps the key
 * with the change it caused (src/durable/entity.ts). Concurrent requests with one key reach one
 * object and run once; a request whose worker died before answering leaves its committed answer,
 * not a key stuck in progress; a key is refused on any other route or object; keys expire.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { CancelPaymentIntentParams, CreatePaymentIntentParams } from '../../src/api/stripe/payment-intents/schemas.js';
import { fingerprintOf } from '../../src/http/idempotency.js';
import type { Caller } from '../../src/intents/intent-object.js';
import { keyedIntentId } from '../../src/lib/ids.js';
import { randomXpub } from '../chain/local-chain-client.js';
import { ADMIN_TOKEN, call, createIntent, createMerchant, get, shardNameOf, shardOf, type TestMerchant } from '../helpers.js';

let m: TestMerchant;
let sk: string;
/** The merchant's shard: its record of keys lives there. */
let d1: D1Database;
beforeAll(async () => {
  m = await createMerchant('Keys on objects');
  sk = m.keys.test.secret;
  d1 = await shardOf(m.id);
});

const stub = (id: string) => env.INTENTS.get(env.INTENTS.idFromName(id));
const withKey = (key: string, path: string, json: unknown) => call(path, { key: sk, json, headers: { 'Idempotency-Key': key } });
const count = async () => (await get(sk, '/v1/payment_intents?limit=100')).body.data.length;
const eventsOf = (id: string) => stub(id).events({ merchantId: m.id, livemode: false });
const unique = (name: string) => `${name}-${crypto.randomUUID()}`;

/** The caller the worker would pass for this request (the fingerprint as src/http/idempotency.ts computes it). */
async function callerFor(key: string, path: string, params: unknown): Promise<Caller> {
  return {
    merchantId: m.id,
    livemode: false,
    shard: await shardNameOf(m.id),
    requestId: `req_${crypto.randomUUID()}`,
    idempotency: { key, fingerprint: await fingerprintOf('POST', path, params) },
  };
}

describe('concurrent requests with one key', () => {
  it('10 creates at once: one intent, one payment_intent.created, every 200 the same id, the others 409 in use', async () => {
    const key = unique('burst-create');
    const before = await count();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => withKey(key, '/v1/payment_intents', { amount: 4200, currency: 'usd' })),
    );
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as any[];
    const ok = bodies.filter((_, i) => responses[i]!.status === 200);
    expect(responses.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    expect(ok.length).toBeGreaterThan(0);
    const id = await keyedIntentId(m.id, false, key, 0);
    for (const b of ok) expect(b).toEqual(ok[0]);
    expect(ok[0].id).toBe(id);
    for (const [i, b] of bodies.entries()) {
      if (responses[i]!.status === 409) expect(b.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_in_use' });
    }
    expect(await count()).toBe(before + 1);
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(['payment_intent.created']);
    // Once the first has answered, the same request is replayed.
    const again = await withKey(key, '/v1/payment_intents', { amount: 4200, currency: 'usd' });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(ok[0]);
  });

  it('10 confirms at once: one confirmation (one succeeded event), every 200 the same intent', async () => {
    const { body: created } = await createIntent(sk);
    const key = unique('burst-confirm');
    const path = `/v1/payment_intents/${created.id}/confirm`;
    const responses = await Promise.all(Array.from({ length: 10 }, () => withKey(key, path, { payment_method: 'pm_card_visa' })));
    expect(responses.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as any[];
    const ok = bodies.filter((_, i) => responses[i]!.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    for (const b of ok) expect(b).toEqual(ok[0]);
    expect(ok[0]).toMatchObject({ id: created.id, status: 'succeeded' });
    expect((await eventsOf(created.id)).map((e) => e.type)).toEqual([
      'payment_intent.created',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
  });
});

describe('a request whose worker died before answering', () => {
  it('a create committed by the object is found by the retry: the committed intent, replayed, not a second one, not 409', async () => {
    const key = unique('dead-create');
    const params = { amount: 1500, currency: 'usd', metadata: { order: 'A-7' } };
    const id = await keyedIntentId(m.id, false, key, 0);
    // The worker's call reached the object and committed; its answer never reached the client.
    const caller = await callerFor(key, '/v1/payment_intents', CreatePaymentIntentParams.parse(params));
    const committed = await stub(id).create(
      caller,
      { id, clientSecret: `${id}_secret_dead` },
      {
        amount: 1500n,
        currency: 'usd',
        metadata: { order: 'A-7' },
      },
    );
    expect(committed.ok).toBe(true);
    const before = await count();

    const retry = await withKey(key, '/v1/payment_intents', params);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await retry.json()).toMatchObject({ id, amount: 1500, metadata: { order: 'A-7' }, client_secret: `${id}_secret_dead` });
    expect(await count()).toBe(before);
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(['payment_intent.created']);
  });

  it('a cancel committed by the object is found by the retry, which does not run it again', async () => {
    const { body: created } = await createIntent(sk);
    const key = unique('dead-cancel');
    const path = `/v1/payment_intents/${created.id}/cancel`;
    const caller = await callerFor(key, path, CancelPaymentIntentParams.parse({ cancellation_reason: 'abandoned' }));
    expect((await stub(created.id).execute(caller, { type: 'cancel', reason: 'abandoned' })).ok).toBe(true);

    const retry = await withKey(key, path, { cancellation_reason: 'abandoned' });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await retry.json()).toMatchObject({ id: created.id, status: 'canceled', cancellation_reason: 'abandoned' });
    expect((await eventsOf(created.id)).map((e) => e.type)).toEqual(['payment_intent.created', 'payment_intent.canceled']);
  });

  it('a request that never reached a commit holds nothing: its retry runs', async () => {
    // The object was evicted before committing (test/faults covers the eviction itself): nothing
    // of the key is stored, in the object or in D1, so the retry is a first request.
    const key = unique('never-committed');
    const retry = await withKey(key, '/v1/payment_intents', { amount: 900, currency: 'usd' });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('Idempotent-Replayed')).toBeNull();
  });
});

describe('one key, one request', () => {
  it('a create key used on another intent, another route, another object: refused before anything runs', async () => {
    const key = unique('cross');
    const created = (await (await withKey(key, '/v1/payment_intents', { amount: 1000, currency: 'usd' })).json()) as any;
    const { body: other } = await createIntent(sk);
    for (const [path, json] of [
      [`/v1/payment_intents/${other.id}/confirm`, { payment_method: 'pm_card_visa' }],
      [`/v1/payment_intents/${created.id}/cancel`, {}],
      ['/v1/webhook_endpoints', { url: 'http://127.0.0.1:9/hook', enabled_events: ['payment_intent.amount_capturable_updated'] }],
    ] as const) {
      const res = await withKey(key, path, json);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as any).error).toMatchObject({ code: 'idempotency_key_reused', param: 'Idempotency-Key' });
    }
    expect((await get(sk, `/v1/payment_intents/${other.id}`)).body.status).toBe('requires_payment_method');
    expect((await get(sk, `/v1/payment_intents/${created.id}`)).body.status).toBe('requires_payment_method');
  });

  it('a confirm key used again for another intent or a create is refused; so is a webhook endpoint key on an intent', async () => {
    const { body: a } = await createIntent(sk);
    const { body: b } = await createIntent(sk);
    const key = unique('confirm-then');
    expect((await withKey(key, `/v1/payment_intents/${a.id}/confirm`, { payment_method: 'pm_card_visa' })).status).toBe(200);
    const onB = await withKey(key, `/v1/payment_intents/${b.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(onB.status).toBe(400);
    expect((await get(sk, `/v1/payment_intents/${b.id}`)).body.status).toBe('requires_payment_method');
    const before = await count();
    expect((await withKey(key, '/v1/payment_intents', { amount: 1000, currency: 'usd' })).status).toBe(400);
    expect(await count()).toBe(before);

    const hookKey = unique('hook-then');
    expect(
      (
        await withKey(hookKey, '/v1/webhook_endpoints', {
          url: 'http://127.0.0.1:9/h',
          enabled_events: ['payment_intent.amount_capturable_updated'],
        })
      ).status,
    ).toBe(200);
    expect((await withKey(hookKey, '/v1/payment_intents', { amount: 1000, currency: 'usd' })).status).toBe(400);
    expect(await count()).toBe(before);
  });
});

describe('refusals', () => {
  it('a refused command is kept and replayed, status and body; the same key with other parameters is refused', async () => {
    const { body: created } = await createIntent(sk, { payment_method: 'pm_card_visa', confirm: true });
    const key = unique('refused-cancel');
    const path = `/v1/payment_intents/${created.id}/cancel`;
    const first = await withKey(key, path, {});
    expect(first.status).toBe(400);
    const firstBody = (await first.json()) as any;
    expect(firstBody.error).toMatchObject({ code: 'payment_intent_unexpected_state' });
    const again = await withKey(key, path, {});
    expect(again.status).toBe(400);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(firstBody);
    const other = await withKey(key, path, { cancellation_reason: 'duplicate' });
    expect(((await other.json()) as any).error).toMatchObject({ code: 'idempotency_key_reused' });
  });

  it('a create refused by the domain is kept by the object its key names, and replayed', async () => {
    const key = unique('refused-create');
    const params = { amount: 1000, currency: 'usdc' };
    const first = await withKey(key, '/v1/payment_intents', params);
    expect(first.status).toBe(400);
    const again = await withKey(key, '/v1/payment_intents', params);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
  });
});

describe('refusals made before the object is asked', () => {
  it('confirm=true without a payment method: the 400 is kept for the key and replayed; no intent is made', async () => {
    const key = unique('refused-before-object');
    const params = { amount: 1000, currency: 'usd', confirm: true };
    const before = await count();
    const first = await withKey(key, '/v1/payment_intents', params);
    expect(first.status).toBe(400);
    const firstBody = (await first.json()) as any;
    expect(firstBody.error).toMatchObject({ code: 'parameter_missing', param: 'payment_method' });
    const again = await withKey(key, '/v1/payment_intents', params);
    expect(again.status).toBe(400);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(firstBody);
    // The same key with the parameter added is another request: refused, not run.
    const corrected = await withKey(key, '/v1/payment_intents', { ...params, payment_method: 'pm_card_visa' });
    expect(corrected.status).toBe(400);
    expect(((await corrected.json()) as any).error).toMatchObject({ code: 'idempotency_key_reused' });
    expect(await count()).toBe(before);
  });

  it('crypto before the account has an xpub: the refusal is replayed after the xpub is set, as Stripe replays an error', async () => {
    const merchant = await createMerchant('Refused before its xpub');
    const secret = merchant.keys.test.secret;
    const key = unique('crypto-not-configured');
    const params = { amount: 1099, currency: 'usd', payment_method_options: { crypto: { network: 'testnet', token: 'usdc' } } };
    const send = () => call('/v1/payment_intents', { key: secret, json: params, headers: { 'Idempotency-Key': key } });
    const first = await send();
    expect(first.status).toBe(400);
    const firstBody = (await first.json()) as any;
    expect(firstBody.error).toMatchObject({ code: 'crypto_not_configured' });
    const set = await call(`/v1/admin/merchants/${merchant.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: randomXpub() } });
    expect(set.status).toBe(200);
    const again = await send();
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(firstBody);
    // A new key runs it, now that the account can take crypto.
    const fresh = await call('/v1/payment_intents', { key: secret, json: params, headers: { 'Idempotency-Key': unique('fresh') } });
    expect(fresh.status).toBe(200);
  });
});

describe('keys claimed in D1 by the release before this one', () => {
  it('a create recorded there is replayed from there, not run again; one still in progress there is 409', async () => {
    const params = { amount: 1000, currency: 'usd' };
    const fingerprint = await fingerprintOf('POST', '/v1/payment_intents', CreatePaymentIntentParams.parse(params));
    const { body: made } = await createIntent(sk, params);
    const [done, running] = [unique('legacy-done'), unique('legacy-running')];
    const now = Date.now();
    await d1.batch([
      d1
        .prepare(
          `INSERT INTO idempotency_keys (merchant_id, livemode, key, fingerprint, state, response_status, response_body, created_at, expires_at) VALUES (?, 0, ?, ?, 'done', 200, ?, ?, ?)`,
        )
        .bind(m.id, done, fingerprint, JSON.stringify(made), now, now + 3_600_000),
      d1
        .prepare(
          `INSERT INTO idempotency_keys (merchant_id, livemode, key, fingerprint, state, created_at, expires_at) VALUES (?, 0, ?, ?, 'in_progress', ?, ?)`,
        )
        .bind(m.id, running, fingerprint, now, now + 3_600_000),
    ]);
    const before = await count();
    const replay = await withKey(done, '/v1/payment_intents', params);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await replay.json()).toEqual(made);
    const inUse = await withKey(running, '/v1/payment_intents', params);
    expect(inUse.status).toBe(409);
    expect(await count()).toBe(before);
  });
});

describe('expiry', () => {
  it('after 24 hours a key is forgotten by its object: the same create makes a new intent, at the key’s next id', async () => {
    const key = unique('expired-create');
    const params = { amount: 1000, currency: 'usd' };
    const first = (await (await withKey(key, '/v1/payment_intents', params)).json()) as any;
    expect(first.id).toBe(await keyedIntentId(m.id, false, key, 0));
    await expireKeys(first.id, key);
    const second = await withKey(key, '/v1/payment_intents', params);
    expect(second.status).toBe(200);
    expect(second.headers.get('Idempotent-Replayed')).toBeNull();
    expect(((await second.json()) as any).id).toBe(await keyedIntentId(m.id, false, key, 1));
    // …and within its new 24 hours, replayed from the new intent.
    const third = await withKey(key, '/v1/payment_intents', params);
    expect(third.headers.get('Idempotent-Replayed')).toBe('true');
    expect(((await third.json()) as any).id).toBe(await keyedIntentId(m.id, false, key, 1));
  });

  it('the object’s timer deletes expired keys and keeps live ones', async () => {
    const { body: created } = await createIntent(sk);
    const old = unique('old');
    const live = unique('live');
    await withKey(old, `/v1/payment_intents/${created.id}`, { description: 'first' });
    await withKey(live, `/v1/payment_intents/${created.id}`, { description: 'second' });
    await runInDurableObject(stub(created.id), async (_instance, state) => {
      state.storage.sql.exec('UPDATE idempotency_keys SET expires_at = ? WHERE key = ?', Date.now() - 1, old);
      state.storage.sql.exec(`UPDATE timers SET due_at = ? WHERE kind = 'forget_keys'`, Date.now() - 1);
    });
    await runDurableObjectAlarm(stub(created.id));
    await runInDurableObject(stub(created.id), async (_instance, state) => {
      const keys = state.storage.sql.exec<{ key: string }>('SELECT key FROM idempotency_keys').toArray();
      expect(keys.map((k) => k.key)).toEqual([live]);
      const timer = state.storage.sql.exec<{ due_at: number }>(`SELECT due_at FROM timers WHERE kind = 'forget_keys'`).toArray();
      expect(timer).toHaveLength(1);
      expect(timer[0]!.due_at).toBeGreaterThan(Date.now());
    });
  });
});

/** Moves a key's 24 hours into the past, in the object that keeps it and in the merchant's record. */
async function expireKeys(id: string, key: string): Promise<void> {
  await runInDurableObject(stub(id), async (_instance, state) => {
    state.storage.sql.exec('UPDATE idempotency_keys SET expires_at = ? WHERE key = ?', Date.now() - 1, key);
  });
  await d1
    .prepare('UPDATE idempotency_keys SET expires_at = ? WHERE key = ?')
    .bind(Date.now() - 1, key)
    .run();
}
