/**
 * Secrets never rest in idempotency records. An answer that shows a secret (a webhook endpoint's
 * signing secret at create and roll, the notification secret at roll) is recorded with a reference
 * in its place — the secret's SHA-256 — and a replay shows the secret again from where it lives, if
 * it is still the live one. Once it is not (rolled again, or the endpoint deleted), a replay is a
 * 409 idempotency_error that shows no secret: a retry must never hand out a secret that no longer
 * signs, or will soon stop. API keys (the admin API) never go through idempotency at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, createMerchant, get, post, type TestMerchant, shardOf, fromEveryShard } from '../helpers.js';

let m: TestMerchant;
/** The merchant's shard, where its rows are. */
let d1: D1Database;
let sk: string;
beforeAll(async () => {
  m = await createMerchant('Idempotent secrets');
  d1 = await shardOf(m.id);
  sk = m.keys.test.secret;
});

const withKey = (key: string, path: string, json: unknown = {}) => call(path, { key: sk, json, headers: { 'Idempotency-Key': key } });

async function recorded(key: string): Promise<string> {
  const row = await d1.prepare('SELECT response_body FROM idempotency_keys WHERE key = ?').bind(key).first<{ response_body: string }>();
  if (!row) throw new Error(`no idempotency record for ${key}`);
  return row.response_body;
}

async function expectSecretGone(res: Response) {
  expect(res.status).toBe(409);
  expect(res.headers.get('Stripe-Should-Retry')).toBe('false');
  const text = await res.text();
  expect(text).not.toContain('whsec_');
  expect(JSON.parse(text).error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_secret_gone', param: 'Idempotency-Key' });
}

const newEndpoint = (key: string) =>
  withKey(key, '/v1/webhook_endpoints', { url: 'https://hooks.example.com/secret', enabled_events: ['*'] });

describe('webhook endpoint create', () => {
  it('the record holds no secret; a replay shows the live secret again', async () => {
    const first = await newEndpoint('endpoint-create-1');
    const created = (await first.json()) as any;
    expect(created.secret).toMatch(/^whsec_/);
    const stored = await recorded('endpoint-create-1');
    expect(stored).not.toContain(created.secret);
    expect(stored).not.toContain('whsec_');
    const again = await newEndpoint('endpoint-create-1');
    expect(again.status).toBe(200);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(created);
  });

  it('once the secret is rolled, a replay shows none: 409', async () => {
    const created = (await (await newEndpoint('endpoint-create-2')).json()) as any;
    await post(sk, `/v1/webhook_endpoints/${created.id}/roll_secret`, { expires_in_seconds: 3600 });
    await expectSecretGone(await newEndpoint('endpoint-create-2'));
  });

  it('once the endpoint is deleted, a replay shows none: 409', async () => {
    const created = (await (await newEndpoint('endpoint-create-3')).json()) as any;
    await call(`/v1/webhook_endpoints/${created.id}`, { key: sk, method: 'DELETE' });
    await expectSecretGone(await newEndpoint('endpoint-create-3'));
  });

  it('a refusal carries no secret and is replayed as recorded', async () => {
    const refused = await withKey('endpoint-create-4', '/v1/webhook_endpoints', { url: 'http://10.0.0.1/hook', enabled_events: ['*'] });
    expect(refused.status).toBe(400);
    const again = await withKey('endpoint-create-4', '/v1/webhook_endpoints', { url: 'http://10.0.0.1/hook', enabled_events: ['*'] });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(await refused.json());
  });
});

describe('webhook endpoint update', () => {
  it('shows no secret, so there is none to record', async () => {
    const { body: endpoint } = await post(sk, '/v1/webhook_endpoints', { url: 'https://hooks.example.com/update', enabled_events: ['*'] });
    const updated = (await (await withKey('update-1', `/v1/webhook_endpoints/${endpoint.id}`, { description: 'x' })).json()) as any;
    expect(updated.secret).toBeUndefined();
    expect(await recorded('update-1')).not.toContain('whsec_');
  });
});

describe('webhook endpoint roll_secret', () => {
  it('the record holds no secret; a replay shows the rolled secret while it is the live one', async () => {
    const { body: endpoint } = await post(sk, '/v1/webhook_endpoints', { url: 'https://hooks.example.com/roll', enabled_events: ['*'] });
    const path = `/v1/webhook_endpoints/${endpoint.id}/roll_secret`;
    const rolled = (await (await withKey('roll-1', path, { expires_in_seconds: 3600 })).json()) as any;
    expect(rolled.secret).toMatch(/^whsec_/);
    expect(rolled.secret).not.toBe(endpoint.secret);
    const stored = await recorded('roll-1');
    expect(stored).not.toContain('whsec_');
    const again = await withKey('roll-1', path, { expires_in_seconds: 3600 });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(rolled);
    // Rolled again: the first roll's secret still signs during the overlap, but it is not the live
    // one any more, and a client that retried would keep a secret that stops working within the hour.
    await post(sk, path, { expires_in_seconds: 3600 });
    await expectSecretGone(await withKey('roll-1', path, { expires_in_seconds: 3600 }));
  });
});

describe('notification secret', () => {
  it('roll: the record holds no secret; a replay shows it while it is the live one, then 409', async () => {
    const rolled = (await (await withKey('notification-roll-1', '/v1/notification_secret/roll', { expires_in_seconds: 60 })).json()) as any;
    expect(rolled.secret).toMatch(/^whsec_/);
    expect(await recorded('notification-roll-1')).not.toContain('whsec_');
    const again = await withKey('notification-roll-1', '/v1/notification_secret/roll', { expires_in_seconds: 60 });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(rolled);
    await post(sk, '/v1/notification_secret/roll', { expires_in_seconds: 60 });
    await expectSecretGone(await withKey('notification-roll-1', '/v1/notification_secret/roll', { expires_in_seconds: 60 }));
  });

  it('GET with an Idempotency-Key records nothing', async () => {
    const res = await call('/v1/notification_secret', { key: sk, headers: { 'Idempotency-Key': 'notification-get-1' } });
    expect(res.status).toBe(200);
    const row = await d1.prepare(`SELECT key FROM idempotency_keys WHERE key = 'notification-get-1'`).first();
    expect(row).toBeNull();
  });
});

describe('API keys', () => {
  it('admin merchant create and roll_keys with an Idempotency-Key record nothing', async () => {
    const created = await call('/v1/admin/merchants', {
      key: ADMIN_TOKEN,
      json: { name: 'Keyed' },
      headers: { 'Idempotency-Key': 'admin-1' },
    });
    expect(created.status).toBe(201);
    const merchant = (await created.json()) as any;
    const rolled = await call(`/v1/admin/merchants/${merchant.id}/roll_keys`, {
      key: ADMIN_TOKEN,
      json: {},
      headers: { 'Idempotency-Key': 'admin-2' },
    });
    expect(rolled.status).toBe(200);
    expect(await fromEveryShard(`SELECT key FROM idempotency_keys WHERE key IN ('admin-1', 'admin-2')`)).toEqual([]);
  });
});

describe('every answer that shows a secret is covered here', () => {
  it('the POST operations whose success answer has a secret or keys field are the ones this file tests', async () => {
    const doc = (await (await call('/openapi.json')).json()) as any;
    const resolve = (schema: any) => (schema?.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema);
    const showing = Object.entries<any>(doc.paths).flatMap(([path, item]) =>
      Object.entries<any>(item)
        .filter(
          ([method, op]) =>
            method === 'post' &&
            Object.entries<any>(op.responses).some(([status, response]) => {
              const properties = resolve(response.content?.['application/json']?.schema)?.properties ?? {};
              return /^2/.test(status) && ('secret' in properties || 'keys' in properties);
            }),
        )
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(showing.sort()).toEqual(
      [
        'POST /v1/webhook_endpoints',
        'POST /v1/webhook_endpoints/{id}/roll_secret',
        // The endpoint's schema, whose secret field an update never fills (tested above).
        'POST /v1/webhook_endpoints/{id}',
        'POST /v1/notification_secret/roll',
        'POST /v1/admin/merchants',
        'POST /v1/admin/merchants/{id}/roll_keys',
      ].sort(),
    );
  });
});

afterAll(async () => {
  // Whatever ran in this file: no record holds a signing secret or an API key.
  const results = await fromEveryShard<{ key: string; response_body: string }>('SELECT key, response_body FROM idempotency_keys');
  expect(results.length).toBeGreaterThan(0);
  for (const row of results) expect(row.response_body ?? '', row.key).not.toMatch(/whsec_|sk_test_|sk_live_/);
  expect((await get(sk, '/v1/webhook_endpoints')).res.status).toBe(200);
});
