/** Bad input on the events and webhook routes: a 4xx in the envelope, naming the parameter, and nothing changed. */
import { beforeAll, describe, expect, it } from 'vitest';
import { call, createMerchant, get, post, type TestMerchant, shardOf } from '../helpers.js';

let m: TestMerchant;
/** The merchant's shard, where its rows are. */
let d1: D1Database;
let sk: string;
let endpointId: string;
beforeAll(async () => {
  m = await createMerchant('Webhook validation');
  d1 = await shardOf(m.id);
  sk = m.keys.test.secret;
  const { body } = await post(sk, '/v1/webhook_endpoints', { url: 'https://shop.example/hooks', enabled_events: ['*'] });
  endpointId = body.id;
});

async function expectRefused(res: Response, status: number, code: string, param: string | null) {
  expect(res.status).toBe(status);
  expect(res.headers.get('Request-Id')).toMatch(/^req_/);
  const body = (await res.json()) as any;
  expect(body.error).toMatchObject({ code, param });
  expect(body.error.message).toEqual(expect.any(String));
}

const endpointUnchanged = async () => {
  const { body } = await get(sk, `/v1/webhook_endpoints/${endpointId}`);
  expect(body).toMatchObject({ url: 'https://shop.example/hooks', enabled_events: ['*'], status: 'enabled', metadata: {} });
};

describe('webhook endpoint create', () => {
  it.each([
    [{ enabled_events: ['*'] }, 'parameter_missing', 'url'],
    [{ url: 'https://shop.example/h' }, 'parameter_missing', 'enabled_events'],
    [{ url: 'https://shop.example/h', enabled_events: [] }, 'parameter_invalid', 'enabled_events'],
    [{ url: 'https://shop.example/h', enabled_events: 'payment_intent.created' }, 'parameter_invalid', 'enabled_events'],
    [{ url: 'https://shop.example/h', enabled_events: ['*'], secret: 'whsec_mine' }, 'parameter_unknown', 'secret'],
    [{ url: 5, enabled_events: ['*'] }, 'parameter_invalid', 'url'],
    [
      { url: 'https://shop.example/h', enabled_events: ['*'], metadata: { ['k'.repeat(41)]: 'v' } },
      'parameter_invalid',
      `metadata[${'k'.repeat(41)}]`,
    ],
  ])('%o → %s naming %s, nothing created', async (body, code, param) => {
    const before = (await get(sk, '/v1/webhook_endpoints?limit=100')).body.data.length;
    await expectRefused(await call('/v1/webhook_endpoints', { key: sk, json: body }), 400, code, param);
    expect((await get(sk, '/v1/webhook_endpoints?limit=100')).body.data).toHaveLength(before);
  });

  it('form encoding with brackets works, and a publishable key is refused', async () => {
    const res = await call('/v1/webhook_endpoints', {
      key: sk,
      form: 'url=https://shop.example/form&enabled_events[]=payment_intent.succeeded&metadata[team]=ops',
    });
    expect(res.status).toBe(200);
    expect((await res.json()) as object).toMatchObject({ enabled_events: ['payment_intent.succeeded'], metadata: { team: 'ops' } });
    await expectRefused(
      await call('/v1/webhook_endpoints', { key: m.keys.test.publishable, json: { url: 'https://shop.example/h', enabled_events: ['*'] } }),
      403,
      'secret_key_required',
      null,
    );
  });
});

describe('webhook endpoint update, roll, delete', () => {
  it.each([
    [{ disabled: 'maybe' }, 'parameter_invalid', 'disabled'],
    [{ enabled_events: ['charge.teleported'] }, 'parameter_invalid', 'enabled_events[0]'],
    [{ url: 'http://shop.example/h' }, 'parameter_invalid', 'url'],
    [{ status: 'disabled' }, 'parameter_unknown', 'status'],
  ])('update %o → %s naming %s, nothing changes', async (body, code, param) => {
    await expectRefused(await call(`/v1/webhook_endpoints/${endpointId}`, { key: sk, json: body }), 400, code, param);
    await endpointUnchanged();
  });

  it.each([['=1'], ['&&&'], ['']])('an update whose form body %o has no parameters answers the endpoint unchanged', async (form) => {
    const res = await call(`/v1/webhook_endpoints/${endpointId}`, { key: sk, form });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual((await get(sk, `/v1/webhook_endpoints/${endpointId}`)).body);
    await endpointUnchanged();
  });

  it('refuses an update that would leave more than 50 metadata keys', async () => {
    const keys = (p: string, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${p}${i}`, 'v']));
    const { body: endpoint } = await post(sk, '/v1/webhook_endpoints', {
      url: 'https://shop.example/m',
      enabled_events: ['*'],
      metadata: keys('a', 30),
    });
    await expectRefused(
      await call(`/v1/webhook_endpoints/${endpoint.id}`, { key: sk, json: { metadata: keys('b', 21) } }),
      400,
      'parameter_invalid',
      'metadata',
    );
    expect(Object.keys((await get(sk, `/v1/webhook_endpoints/${endpoint.id}`)).body.metadata)).toHaveLength(30);
  });

  it.each([[-1], ['abc'], [604_801], [1.5]])('roll_secret with expires_in_seconds=%o → 400, the secret unchanged', async (value) => {
    const { body: endpoint } = await post(sk, '/v1/webhook_endpoints', { url: 'https://shop.example/r', enabled_events: ['*'] });
    await expectRefused(
      await call(`/v1/webhook_endpoints/${endpoint.id}/roll_secret`, { key: sk, json: { expires_in_seconds: value } }),
      400,
      'parameter_invalid',
      'expires_in_seconds',
    );
    const row = await d1.prepare('SELECT secret, previous_secrets FROM webhook_endpoints WHERE id = ?').bind(endpoint.id).first();
    expect(row).toEqual({ secret: endpoint.secret, previous_secrets: '[]' });
  });

  it.each([
    ['GET', ''],
    ['POST', ''],
    ['DELETE', ''],
    ['POST', '/roll_secret'],
    ['GET', '/deliveries'],
  ])('%s an unknown endpoint%s → 404 resource_missing', async (method, suffix) => {
    const res = await call(`/v1/webhook_endpoints/we_0000000000ZZZZZZZZZZZZZZ${suffix}`, {
      key: sk,
      method,
      ...(method === 'POST' ? { json: {} } : {}),
    });
    await expectRefused(res, 404, 'resource_missing', 'id');
  });
});

describe('lists and events', () => {
  it.each([
    ['/v1/webhook_endpoints?limit=0', 'limit'],
    ['/v1/webhook_endpoints?limit=101', 'limit'],
    ['/v1/webhook_endpoints?starting_after=we_a&ending_before=we_b', 'ending_before'],
    ['/v1/events?limit=abc', 'limit'],
    ['/v1/events?type=payment_intent.exploded', 'type'],
    ['/v1/events?created[gt]=yesterday', 'created[gt]'],
  ])('GET %s → 400 naming %s', async (path, param) => {
    await expectRefused(await call(path, { key: sk }), 400, 'parameter_invalid', param);
  });

  it('unknown query parameters, cursors and ids are refused', async () => {
    await expectRefused(await call('/v1/events?sort=asc', { key: sk }), 400, 'parameter_unknown', 'sort');
    await expectRefused(await call('/v1/events?starting_after=evt_nope', { key: sk }), 404, 'resource_missing', 'starting_after');
    await expectRefused(await call('/v1/events/evt_nope', { key: sk }), 404, 'resource_missing', 'id');
    await expectRefused(await call('/v1/events/evt_nope/deliveries', { key: sk }), 404, 'resource_missing', 'id');
    await expectRefused(await call('/v1/webhook_deliveries/whd_nope/retry', { key: sk, json: {} }), 404, 'resource_missing', 'id');
    await expectRefused(await call('/v1/notification_secret/roll', { key: sk, json: { overlap: 1 } }), 400, 'parameter_unknown', 'overlap');
  });

  it('a publishable key reads nothing here', async () => {
    for (const path of ['/v1/events', '/v1/webhook_endpoints', '/v1/notification_secret', `/v1/webhook_endpoints/${endpointId}`]) {
      await expectRefused(await call(path, { key: m.keys.test.publishable }), 403, 'secret_key_required', null);
    }
  });
});

describe('delivery lists', () => {
  it('page with starting_after and ending_before, and refuse an unknown cursor', async () => {
    const { openMailbox } = await import('./receiver-client.js');
    const { waitFor, createIntent } = await import('../helpers.js');
    const own = await createMerchant('Delivery pages');
    const key = own.keys.test.secret;
    const mailbox = await openMailbox({ secrets: [] });
    const { body: endpoint } = await post(key, '/v1/webhook_endpoints', { url: mailbox.url, enabled_events: ['payment_intent.created'] });
    for (let i = 0; i < 3; i++) await createIntent(key);
    const path = `/v1/webhook_endpoints/${endpoint.id}/deliveries`;
    await waitFor(async () => (await get(key, `${path}?limit=100`)).body.data.length === 3);
    const all = (await get(key, path)).body.data.map((d: any) => d.id);

    const first = (await get(key, `${path}?limit=2`)).body;
    expect(first.data.map((d: any) => d.id)).toEqual(all.slice(0, 2));
    expect(first.has_more).toBe(true);
    const next = (await get(key, `${path}?limit=2&starting_after=${all[1]}`)).body;
    expect(next.data.map((d: any) => d.id)).toEqual(all.slice(2));
    expect(next.has_more).toBe(false);
    const back = (await get(key, `${path}?limit=2&ending_before=${all[1]}`)).body;
    expect(back.data.map((d: any) => d.id)).toEqual(all.slice(0, 1));
    expect(back.has_more).toBe(false);

    await expectRefused(await call(`${path}?starting_after=whd_nope`, { key }), 404, 'resource_missing', 'starting_after');
    await expectRefused(await call(`${path}?ending_before=${all[0]}`, { key: sk }), 404, 'resource_missing', 'id');
  });
});
