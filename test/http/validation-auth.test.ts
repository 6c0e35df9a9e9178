/**
 * Bad credentials, the admin API's bad input, and unknown routes: each answers the error envelope
 * with the right 4xx, a Request-Id header and a JSON content type, and nothing is created. Which
 * key each route takes (none, a wrong one, a publishable one, another tenant's) is checked for
 * every registered route in every-route-auth.test.ts; this file keeps how a key is presented.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, createMerchant } from '../helpers.js';
import { expectError, expectInvalid, expectMissing, expectNoIntents, UNKNOWN_INTENT_ID } from './validation-support.js';

const CREATE = '/v1/payment_intents';
const base = { amount: 2000, currency: 'usd' };

function expectUnauthenticated(res: Response, code: 'api_key_missing' | 'api_key_invalid' | 'admin_token_invalid') {
  return expectError(res, { status: 401, type: 'authentication_error', code, param: null });
}

function basic(user: string, password = ''): string {
  return `Basic ${btoa(`${user}:${password}`)}`;
}

describe('API keys', () => {
  it.each<[string, string]>([
    ['Basic with invalid base64', 'Basic !!!not-base64!!!'],
    ['Basic with an empty user name', basic('', 'sk_test_x')],
    ['Basic without credentials', 'Basic'],
    ['Bearer without a token', 'Bearer'],
    ['Bearer followed by spaces only', 'Bearer    '],
    ['an unknown scheme', 'Token sk_test_abc'],
    ['a bare key without a scheme', 'sk_test_abc'],
  ])('answers 401 for a malformed header: %s', async (_name, authorization) => {
    const merchant = await createMerchant();
    const res = await call(CREATE, { json: base, headers: { Authorization: authorization } });
    const error = await expectUnauthenticated(res, 'api_key_missing');
    expect(error.message).toMatch(/Bearer/);
    await expectNoIntents(merchant.keys.test.secret);
  });

  it('answers 401 for a real key presented as the Basic password rather than the user name', async () => {
    const merchant = await createMerchant();
    const res = await call(CREATE, { json: base, headers: { Authorization: basic('', merchant.keys.test.secret) } });
    await expectUnauthenticated(res, 'api_key_missing');
    await expectNoIntents(merchant.keys.test.secret);
  });

  it('accepts HTTP Basic with the secret key as user name, as curl -u sk_test_…: sends it', async () => {
    const merchant = await createMerchant();
    const authorization = basic(merchant.keys.test.secret);
    const created = await call(CREATE, { json: base, headers: { Authorization: authorization } });
    expect(created.status).toBe(200);
    const intent = (await created.json()) as any;
    const listed = await call(CREATE, { headers: { Authorization: authorization } });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as any).data.map((i: any) => i.id)).toEqual([intent.id]);
  });

  it('accepts the Bearer scheme in any case', async () => {
    const merchant = await createMerchant();
    const res = await call(CREATE, { headers: { Authorization: `bearer ${merchant.keys.test.secret}` } });
    expect(res.status).toBe(200);
  });

  it('answers 401 api_key_invalid for keys replaced by roll_keys', async () => {
    const merchant = await createMerchant();
    const rolled = await call(`/v1/admin/merchants/${merchant.id}/roll_keys`, { key: ADMIN_TOKEN, json: { mode: 'test' } });
    expect(rolled.status).toBe(200);
    await expectUnauthenticated(await call(CREATE, { key: merchant.keys.test.secret, json: base }), 'api_key_invalid');
    await expectUnauthenticated(
      await call(`/v1/payment_intents/${UNKNOWN_INTENT_ID}`, { key: merchant.keys.test.publishable }),
      'api_key_invalid',
    );
    const fresh = ((await rolled.json()) as any).keys.test.secret as string;
    await expectNoIntents(fresh);
  });
});

describe('admin API', () => {
  const MERCHANTS = '/v1/admin/merchants';

  it.each<[string, Record<string, string>]>([
    ['no Authorization header', {}],
    ['a wrong token', { Authorization: 'Bearer not-the-admin-token' }],
    ['the token with a suffix', { Authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ['a prefix of the token', { Authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ['the token as Basic user name with a wrong case', { Authorization: basic(ADMIN_TOKEN.toUpperCase()) }],
    ['an empty Bearer', { Authorization: 'Bearer ' }],
  ])('answers 401 admin_token_invalid with %s', async (_name, headers) => {
    const res = await call(MERCHANTS, { json: { name: 'Mallory' }, headers });
    const error = await expectUnauthenticated(res, 'admin_token_invalid');
    expect(error.message).not.toContain(ADMIN_TOKEN);
    const roll = await call(`${MERCHANTS}/acct_x/roll_keys`, { method: 'POST', headers });
    await expectUnauthenticated(roll, 'admin_token_invalid');
  });

  it.each<[string, unknown, string, string]>([
    ['a missing name', {}, 'name', 'parameter_missing'],
    ['an empty name', { name: '' }, 'name', 'parameter_invalid'],
    ['a name of spaces only', { name: '   ' }, 'name', 'parameter_invalid'],
    ['a 201-character name', { name: 'n'.repeat(201) }, 'name', 'parameter_invalid'],
    ['a number as name', { name: 5 }, 'name', 'parameter_invalid'],
    ['null as name', { name: null }, 'name', 'parameter_invalid'],
    ['an unknown field', { name: 'Acme', plan: 'pro' }, 'plan', 'parameter_unknown'],
  ])('refuses a merchant with %s', async (_name, json, param, code) => {
    const res = await call(MERCHANTS, { key: ADMIN_TOKEN, json });
    await expectInvalid(res, param, code);
  });

  it('refuses a merchant body that is not JSON or form encoded', async () => {
    await expectInvalid(
      await call(MERCHANTS, { key: ADMIN_TOKEN, method: 'POST', body: 'name=Acme', headers: { 'Content-Type': 'text/plain' } }),
      null,
      'content_type_invalid',
    );
    await expectInvalid(
      await call(MERCHANTS, { key: ADMIN_TOKEN, method: 'POST', body: '{"name":', headers: { 'Content-Type': 'application/json' } }),
      null,
      'body_invalid',
    );
  });

  it('creates a merchant from a form body with a trimmed name', async () => {
    const res = await call(MERCHANTS, { key: ADMIN_TOKEN, form: 'name=+Acme+' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: 'Acme' });
  });

  it('answers 404 resource_missing for roll_keys of an unknown merchant', async () => {
    const error = await expectMissing(await call(`${MERCHANTS}/acct_does_not_exist/roll_keys`, { key: ADMIN_TOKEN, method: 'POST' }), 'id');
    expect(error.message).toContain('acct_does_not_exist');
  });

  it('refuses roll_keys with a bad mode or unknown field, leaving the keys working', async () => {
    const merchant = await createMerchant();
    const path = `${MERCHANTS}/${merchant.id}/roll_keys`;
    await expectInvalid(await call(path, { key: ADMIN_TOKEN, json: { mode: 'prod' } }), 'mode');
    await expectInvalid(await call(path, { key: ADMIN_TOKEN, json: { mode: 'test', force: true } }), 'force', 'parameter_unknown');
    expect((await call(CREATE, { key: merchant.keys.test.secret })).status).toBe(200);
    expect((await call(CREATE, { key: merchant.keys.live.secret })).status).toBe(200);
  });
});

describe('unknown routes', () => {
  it.each<[string, string, RequestInit & { json?: unknown }]>([
    ['an unknown path', '/v1/nope', {}],
    ['an unknown resource', '/v1/charges', { json: base }],
    ['an unknown action on an intent', `/v1/payment_intents/${UNKNOWN_INTENT_ID}/refund`, { method: 'POST' }],
    ['DELETE on an intent', `/v1/payment_intents/${UNKNOWN_INTENT_ID}`, { method: 'DELETE' }],
    ['PUT on the collection', '/v1/payment_intents', { method: 'PUT', json: base }],
    ['GET on confirm', `/v1/payment_intents/${UNKNOWN_INTENT_ID}/confirm`, {}],
    ['a path without version', '/payment_intents', {}],
  ])('answers 404 route_not_found for %s, naming method and path', async (_name, path, init) => {
    const merchant = await createMerchant();
    const res = await call(path, { ...init, key: merchant.keys.test.secret });
    const error = await expectError(res, { status: 404, code: 'route_not_found', param: null });
    const method = init.method ?? (init.json !== undefined ? 'POST' : 'GET');
    expect(error.message).toContain(`${method}: ${path}`);
    await expectNoIntents(merchant.keys.test.secret);
  });

  it('answers route_not_found with the envelope even without credentials', async () => {
    await expectError(await call('/v1/nope'), { status: 404, code: 'route_not_found', param: null });
  });
});
