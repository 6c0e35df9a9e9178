/**
 * Test helpers: a merchant made through the admin API, requests to the worker as a client sends them, and
 * the D1 database a merchant's rows are on (its shard, as the directory assigned it).
 */
import { env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import Stripe from 'stripe';

export const ADMIN_TOKEN = 'test-admin-token';
const BASE = 'http://pay.test';

export interface TestMerchant {
  id: string;
  name: string;
  keys: { test: { secret: string; publishable: string }; live: { secret: string; publishable: string } };
}

export type ClientRequestInit = RequestInit & { key?: string; json?: unknown; form?: string };

/** A request as a client sends it: the key as a Bearer token, a JSON or form body with its Content-Type. */
export function clientRequest(path: string, init: ClientRequestInit = {}): Request {
  const headers = new Headers(init.headers);
  if (init.key) headers.set('Authorization', `Bearer ${init.key}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(init.json);
  } else if (init.form !== undefined) {
    headers.set('Content-Type', 'application/x-www-form-urlencoded');
    body = init.form;
  }
  const method = init.method ?? (body !== undefined ? 'POST' : 'GET');
  return new Request(`${BASE}${path}`, { ...init, method, headers, body });
}

export function call(path: string, init: ClientRequestInit = {}): Promise<Response> {
  return exports.default.fetch(clientRequest(path, init));
}

export async function createMerchant(name = 'Test merchant'): Promise<TestMerchant> {
  const res = await call('/v1/admin/merchants', { key: ADMIN_TOKEN, json: { name } });
  if (res.status !== 201) throw new Error(`merchant create failed: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function createIntent(key: string, params: Record<string, unknown> = {}) {
  const res = await call('/v1/payment_intents', { key, json: { amount: 2000, currency: 'usd', ...params } });
  return { res, body: (await res.json()) as any };
}

export async function post(key: string, path: string, params: Record<string, unknown> = {}) {
  const res = await call(path, { key, json: params });
  return { res, body: (await res.json()) as any };
}

export async function get(key: string, path: string) {
  const res = await call(path, { key });
  return { res, body: (await res.json()) as any };
}

/** Polls until the condition holds (for work done by real alarms), failing after `timeoutMs`. */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The shards wrangler.toml binds (both open to new merchants in the tests), by binding name. */
export const SHARDS: Readonly<Record<string, D1Database>> = { SHARD_0: env.SHARD_0, SHARD_1: env.SHARD_1 };

/** The binding name of the merchant's shard, as the directory has it. */
export async function shardNameOf(merchantId: string): Promise<string> {
  const row = await env.DIRECTORY.prepare('SELECT shard FROM merchants WHERE id = ?').bind(merchantId).first<{ shard: string }>();
  if (!row) throw new Error(`no merchant ${merchantId} in the directory`);
  return row.shard;
}

/** The database of the merchant's shard: where its intents, events, endpoints, deliveries and keys are. */
export async function shardOf(merchantId: string): Promise<D1Database> {
  return SHARDS[await shardNameOf(merchantId)]!;
}

/** A query's rows from every shard, shard by shard: for checks that must hold wherever a row is. */
export async function fromEveryShard<T>(query: string, ...binds: unknown[]): Promise<T[]> {
  const rows = await Promise.all(
    Object.values(SHARDS).map(
      async (d1) =>
        (
          await d1
            .prepare(query)
            .bind(...binds)
            .all<T>()
        ).results,
    ),
  );
  return rows.flat();
}

/** The official stripe SDK, unmodified, talking to the worker under test (no network, no retries). */
export function stripeClient(key: string): Stripe {
  return new Stripe(key, {
    host: 'pay.test',
    port: 443,
    protocol: 'https',
    maxNetworkRetries: 0,
    httpClient: Stripe.createFetchHttpClient(((url: string, init: RequestInit) =>
      exports.default.fetch(new Request(url, init))) as typeof fetch),
  });
}
