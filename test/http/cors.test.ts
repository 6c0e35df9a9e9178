/**
 * CORS: exactly the four routes a browser calls with a publishable key — looking an intent up by its
 * client secret (GET /v1/payment_intents/{id}), confirming it as Stripe.js does
 * (POST /v1/payment_intents/{id}/confirm), sending the payer's signature
 * (POST /v1/payment_intents/{id}/crypto_signature) and the payer's signed escrow deposit
 * (POST /v1/payment_intents/{id}/escrow_deposit) — answer other origins, for their own method and
 * its preflight. Every other operation of the OpenAPI document, other methods on those paths
 * included, answers with no Access-Control-* header at all, preflight or actual request.
 */
import { describe, expect, it } from 'vitest';
import { call } from '../helpers.js';

const BROWSER_ROUTES = [
  'GET /v1/payment_intents/{id}',
  'POST /v1/payment_intents/{id}/confirm',
  'POST /v1/payment_intents/{id}/crypto_signature',
  'POST /v1/payment_intents/{id}/escrow_deposit',
];
const ORIGIN = 'https://shop.example';

async function documentedOperations(): Promise<{ name: string; method: string; path: string }[]> {
  const doc = (await (await call('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => ({ name: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path })),
  );
}

const OPERATIONS = await documentedOperations();

/** The path with each parameter filled with a plausible id (no object needs to exist: CORS is decided first). */
function concrete(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'id' ? 'pi_0000000000CORS0000000000' : `${name}_cors`));
}

const corsHeaders = (res: Response) => [...res.headers.keys()].filter((name) => name.startsWith('access-control-'));

function preflight(path: string, method: string): Promise<Response> {
  return call(path, {
    method: 'OPTIONS',
    headers: { Origin: ORIGIN, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'authorization, content-type' },
  });
}

function actual(path: string, method: string): Promise<Response> {
  const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
  return call(path, {
    method,
    body,
    headers: { Origin: ORIGIN, Authorization: 'Bearer pk_test_nobody', ...(body ? { 'Content-Type': 'application/json' } : {}) },
  });
}

describe('CORS on every operation of the document', () => {
  it('the browser routes are in the document', () => {
    for (const name of BROWSER_ROUTES) expect(OPERATIONS.map((op) => op.name)).toContain(name);
  });

  it.each(OPERATIONS.filter((op) => BROWSER_ROUTES.includes(op.name)))('$name: preflight and answer allow any origin', async (op) => {
    const path = concrete(op.path);
    const pre = await preflight(path, op.method);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toBe(op.method);
    // The confirm also takes an Idempotency-Key from a browser's retry.
    const headers = op.name.endsWith('/confirm') ? 'authorization,content-type,idempotency-key' : 'authorization,content-type';
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toBe(headers);
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    const res = await actual(path, op.method);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it.each(OPERATIONS.filter((op) => !BROWSER_ROUTES.includes(op.name)))('$name: no CORS headers, preflight or answer', async (op) => {
    const path = concrete(op.path);
    const pre = await preflight(path, op.method);
    expect(corsHeaders(pre), `preflight answered ${pre.status}`).toEqual([]);
    expect(pre.status).not.toBe(204);
    const res = await actual(path, op.method);
    expect(corsHeaders(res), `answered ${res.status}`).toEqual([]);
  });
});

describe('CORS outside the document', () => {
  it.each([
    ['GET', '/openapi.json'],
    ['GET', '/docs'],
    ['GET', '/v1/no_such_route'],
    ['PUT', '/v1/payment_intents/pi_0000000000CORS0000000000'],
    ['DELETE', '/v1/payment_intents/pi_0000000000CORS0000000000'],
    ['GET', '/v1/payment_intents/pi_0000000000CORS0000000000/crypto_signature'],
    ['GET', '/v1/payment_intents/pi_0000000000CORS0000000000/confirm'],
    ['PUT', '/v1/payment_intents/pi_0000000000CORS0000000000/confirm'],
  ])('%s %s: no CORS headers, preflight or answer', async (method, path) => {
    expect(corsHeaders(await preflight(path, method))).toEqual([]);
    expect(corsHeaders(await actual(path, method))).toEqual([]);
  });
});
