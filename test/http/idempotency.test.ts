/** Idempotency-Key: replays never execute twice; other parameters under the same key are refused. */
import { env, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, createMerchant, get, type TestMerchant, shardOf } from '../helpers.js';

let m: TestMerchant;
/** The merchant's shard, where its rows are. */
let d1: D1Database;
let sk: string;
beforeAll(async () => {
  m = await createMerchant('Idempotent');
  d1 = await shardOf(m.id);
  sk = m.keys.test.secret;
});

const withKey = (key: string, path: string, json: unknown, secret = sk) =>
  call(path, { key: secret, json, headers: { 'Idempotency-Key': key } });
const count = async (secret = sk) => (await get(secret, '/v1/payment_intents?limit=100')).body.data.length;

describe('Idempotency-Key', () => {
  it('a retry replays the first response without executing again', async () => {
    const before = await count();
    const first = await withKey('create-1', '/v1/payment_intents', { amount: 1000, currency: 'usd' });
    const again = await withKey('create-1', '/v1/payment_intents', { currency: 'usd', amount: 1000 });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    expect(await again.json()).toEqual(await first.json());
    expect(await count()).toBe(before + 1);
  });

  it('replays errors too, status and body: a declined confirm is not attempted again', async () => {
    const created = (await (await call('/v1/payment_intents', { key: sk, json: { amount: 1000, currency: 'usd' } })).json()) as any;
    const path = `/v1/payment_intents/${created.id}/confirm`;
    const first = await withKey('decline-1', path, { payment_method: 'pm_card_chargeDeclined' });
    const again = await withKey('decline-1', path, { payment_method: 'pm_card_chargeDeclined' });
    expect(first.status).toBe(402);
    expect(again.status).toBe(402);
    expect(await again.json()).toEqual(await first.json());
    const events = await env.INTENTS.get(env.INTENTS.idFromName(created.id)).events({ merchantId: m.id, livemode: false });
    expect(events.filter((e) => e.type === 'payment_intent.payment_failed')).toHaveLength(1);
  });

  it('the same key with other parameters is a 400 idempotency_error, and nothing executes', async () => {
    await withKey('reuse-1', '/v1/payment_intents', { amount: 1000, currency: 'usd' });
    const before = await count();
    const res = await withKey('reuse-1', '/v1/payment_intents', { amount: 1001, currency: 'usd' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_reused', param: 'Idempotency-Key' });
    expect(await count()).toBe(before);
    // …and on another path too.
    const other = await withKey('reuse-1', '/v1/payment_intents/pi_0000000000ZZZZZZZZZZZZZZ/cancel', {});
    expect(other.status).toBe(400);
  });

  it('two concurrent requests with one key never both execute', async () => {
    const before = await count();
    const responses = await Promise.all(
      Array.from({ length: 4 }, () => withKey('race-1', '/v1/payment_intents', { amount: 1234, currency: 'usd' })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as any[];
    const created = new Set(bodies.filter((b) => b.object === 'payment_intent').map((b) => b.id));
    expect(created.size).toBe(1);
    for (const b of bodies.filter((b) => b.error)) expect(b.error.code).toBe('idempotency_key_in_use');
    expect(await count()).toBe(before + 1);
  });

  it('keys are scoped to merchant and mode', async () => {
    const other = await createMerchant('Other');
    const mine = await withKey('shared-key', '/v1/payment_intents', { amount: 1000, currency: 'usd' });
    const theirs = await withKey('shared-key', '/v1/payment_intents', { amount: 1000, currency: 'usd' }, other.keys.test.secret);
    const live = await withKey('shared-key', '/v1/payment_intents', { amount: 1000, currency: 'usd' }, m.keys.live.secret);
    const ids = await Promise.all([mine, theirs, live].map(async (r) => ((await r.json()) as any).id));
    expect(new Set(ids).size).toBe(3);
    expect(theirs.headers.get('Idempotent-Replayed')).toBeNull();
  });

  it('a key expires after 24 hours and can then be used again', async () => {
    const first = (await (await withKey('old-key', '/v1/payment_intents', { amount: 1000, currency: 'usd' })).json()) as any;
    // The key is kept by the intent it made (its answer) and in the merchant's record.
    await runInDurableObject(env.INTENTS.get(env.INTENTS.idFromName(first.id)), async (_instance, state) => {
      state.storage.sql.exec(`UPDATE idempotency_keys SET expires_at = ? WHERE key = 'old-key'`, Date.now() - 1);
    });
    await d1
      .prepare(`UPDATE idempotency_keys SET expires_at = ? WHERE key = 'old-key'`)
      .bind(Date.now() - 1)
      .run();
    const second = (await (await withKey('old-key', '/v1/payment_intents', { amount: 1000, currency: 'usd' })).json()) as any;
    expect(second.id).not.toBe(first.id);
  });

  it('the same parameters as JSON and as a form are the same request: replayed, not refused', async () => {
    const before = await count();
    // The amount is a JSON number here and a string in the form: both validate to the same bigint.
    const json = await withKey('encoding-1', '/v1/payment_intents', {
      amount: 1500,
      currency: 'usd',
      metadata: { order_id: 'A-1', note: 'two words' },
      payment_method_types: ['card'],
    });
    const form = await call('/v1/payment_intents', {
      key: sk,
      form: 'metadata[note]=two+words&amount=1500&payment_method_types[0]=card&currency=usd&metadata[order_id]=A-1',
      headers: { 'Idempotency-Key': 'encoding-1' },
    });
    expect(json.status).toBe(200);
    expect(form.status).toBe(200);
    expect(form.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await form.json()).toEqual(await json.json());
    expect(await count()).toBe(before + 1);
    // Another route, an enum parameter:
    const created = (await (await call('/v1/payment_intents', { key: sk, json: { amount: 1000, currency: 'usd' } })).json()) as any;
    const path = `/v1/payment_intents/${created.id}/cancel`;
    const cancelJson = await withKey('encoding-2', path, { cancellation_reason: 'abandoned' });
    const cancelForm = await call(path, { key: sk, form: 'cancellation_reason=abandoned', headers: { 'Idempotency-Key': 'encoding-2' } });
    expect(cancelForm.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await cancelForm.json()).toEqual(await cancelJson.json());
  });

  it('an optional body left out, sent empty, as {} or as an empty form is the same request', async () => {
    const created = (await (await call('/v1/payment_intents', { key: sk, json: { amount: 1000, currency: 'usd' } })).json()) as any;
    const path = `/v1/payment_intents/${created.id}/cancel`;
    const first = await call(path, { key: sk, method: 'POST', headers: { 'Idempotency-Key': 'empty-1' } });
    expect(first.status).toBe(200);
    for (const init of [{ json: {} }, { form: '' }, { body: '', method: 'POST' }]) {
      const again = await call(path, { key: sk, ...init, headers: { 'Idempotency-Key': 'empty-1' } });
      expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    }
  });

  it('a request refused by validation claims nothing: the corrected request under the same key executes', async () => {
    const before = await count();
    const refused = await withKey('invalid-1', '/v1/payment_intents', { amount: 1000 });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error).toMatchObject({ code: 'parameter_missing', param: 'currency' });
    const row = await d1.prepare(`SELECT key FROM idempotency_keys WHERE key = 'invalid-1'`).first();
    expect(row).toBeNull();
    // The same refused request again: validated again, the same answer, still nothing recorded.
    const again = await withKey('invalid-1', '/v1/payment_intents', { amount: 1000 });
    expect(again.status).toBe(400);
    expect(again.headers.get('Idempotent-Replayed')).toBeNull();
    const corrected = await withKey('invalid-1', '/v1/payment_intents', { amount: 1000, currency: 'usd' });
    expect(corrected.status).toBe(200);
    expect(corrected.headers.get('Idempotent-Replayed')).toBeNull();
    expect(await count()).toBe(before + 1);
  });

  it('a refusal after validation (by the handler) is recorded and replayed as before', async () => {
    const first = await withKey(
      'handler-refusal-1',
      '/v1/webhook_endpoints',
      { url: 'http://127.0.0.1/hook', enabled_events: ['*'] },
      m.keys.live.secret,
    );
    expect(first.status).toBe(400);
    const again = await withKey(
      'handler-refusal-1',
      '/v1/webhook_endpoints',
      { url: 'http://127.0.0.1/hook', enabled_events: ['*'] },
      m.keys.live.secret,
    );
    expect(again.status).toBe(400);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
  });

  it('refuses an over-long key', async () => {
    const res = await withKey('k'.repeat(256), '/v1/payment_intents', { amount: 1000, currency: 'usd' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: 'parameter_invalid', param: 'Idempotency-Key' });
  });
});

describe('housekeeping', () => {
  it('the hourly job deletes expired keys and keeps live ones', async () => {
    const { createScheduledController } = await import('cloudflare:test');
    const worker = (await import('../../src/index.js')).default;
    await withKey('purge-me', '/v1/payment_intents', { amount: 1000, currency: 'usd' });
    await withKey('keep-me', '/v1/payment_intents', { amount: 1000, currency: 'usd' });
    await d1
      .prepare(`UPDATE idempotency_keys SET expires_at = ? WHERE key = 'purge-me'`)
      .bind(Date.now() - 1)
      .run();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '17 * * * *' }), env);
    const keys = await d1.prepare(`SELECT key FROM idempotency_keys WHERE key IN ('purge-me', 'keep-me')`).all();
    expect(keys.results.map((r) => r.key)).toEqual(['keep-me']);
  });
});
