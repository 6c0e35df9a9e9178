/**
 * Two shards end to end: merchants spread over both at creation, each merchant's rows on its own
 * shard and nowhere else, every route working for a merchant on either, tenants isolated across
 * shards, assignment under concurrent creation, migrations on every database, and the hourly purge
 * on every shard.
 */
import { createExecutionContext, createScheduledController, env, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../../src/index.js';
import {
  call,
  createIntent,
  createMerchant,
  fromEveryShard,
  get,
  post,
  SHARDS,
  shardNameOf,
  type TestMerchant,
  waitFor,
} from '../helpers.js';
import { openMailbox } from '../webhooks/receiver-client.js';

const SHARD_NAMES = ['SHARD_0', 'SHARD_1'] as const;
type ShardName = (typeof SHARD_NAMES)[number];
const other = (shard: ShardName): ShardName => (shard === 'SHARD_0' ? 'SHARD_1' : 'SHARD_0');

/** One merchant on each shard: this file's directory starts empty, so the first goes to SHARD_0, the second to SHARD_1. */
const on = {} as Record<ShardName, TestMerchant>;
beforeAll(async () => {
  on.SHARD_0 = await createMerchant('First, on shard 0');
  on.SHARD_1 = await createMerchant('Second, on shard 1');
});

async function count(shard: ShardName, query: string, ...binds: unknown[]): Promise<number> {
  const row = await SHARDS[shard]!.prepare(`SELECT count(*) AS n FROM (${query})`)
    .bind(...binds)
    .first<{ n: number }>();
  return row!.n;
}

describe('assignment', () => {
  it('puts merchants on both shards, the directory knowing which', async () => {
    expect(await shardNameOf(on.SHARD_0.id)).toBe('SHARD_0');
    expect(await shardNameOf(on.SHARD_1.id)).toBe('SHARD_1');
    // Merchants and keys are the directory's alone: no shard has such tables any more.
    for (const shard of SHARD_NAMES) {
      const tables = await SHARDS[shard]!.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('merchants', 'api_keys')",
      ).all();
      expect(tables.results).toEqual([]);
    }
  });

  it('spreads concurrent creations evenly: each reads the counts the others left', async () => {
    const counts = async (): Promise<Record<string, number>> =>
      Object.fromEntries(
        (
          await env.DIRECTORY.prepare('SELECT binding, merchants FROM shards ORDER BY binding').all<{
            binding: string;
            merchants: number;
          }>()
        ).results.map((r) => [r.binding, r.merchants]),
      );
    const before = await counts();
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => createMerchant(`Concurrent ${i}`)));
    const after = await counts();
    const total = (c: Record<string, number>) => (c.SHARD_0 ?? 0) + (c.SHARD_1 ?? 0);
    expect(total(after)).toBe(total(before) + 12);
    expect(Math.abs(after.SHARD_0! - after.SHARD_1!)).toBeLessThanOrEqual(1);
    // The counts are the directory's merchants, shard by shard.
    const actual = await env.DIRECTORY.prepare('SELECT shard, count(*) AS n FROM merchants GROUP BY shard ORDER BY shard').all<{
      shard: string;
      n: number;
    }>();
    expect(Object.fromEntries(actual.results.map((r) => [r.shard, r.n]))).toEqual(after);
    // Every one of them works, on the shard it was given.
    for (const m of made) {
      const { res, body } = await createIntent(m.keys.test.secret);
      expect(res.status).toBe(200);
      expect(await count((await shardNameOf(m.id)) as ShardName, 'SELECT 1 FROM payment_intents WHERE id = ?', body.id)).toBe(1);
    }
  });

  it('sends new merchants only to the shards OPEN_SHARDS names', async () => {
    const closedToNew = { ...env, OPEN_SHARDS: 'SHARD_1' };
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request('http://pay.test/v1/admin/merchants', {
        method: 'POST',
        headers: { Authorization: 'Bearer test-admin-token', 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'While shard 0 is closed' }),
      }),
      closedToNew,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(201);
    expect(await shardNameOf(((await res.json()) as { id: string }).id)).toBe('SHARD_1');
  });
});

describe.each(SHARD_NAMES)('a merchant on %s', (shard) => {
  it('creates, lists, searches and reads events, all on its shard and none on the other', async () => {
    const m = on[shard];
    const sk = m.keys.test.secret;
    const order = `order-${shard}-${crypto.randomUUID()}`;
    const { res, body: intent } = await createIntent(sk, { metadata: { order } });
    expect(res.status).toBe(200);

    const listed = await get(sk, '/v1/payment_intents?limit=100');
    expect(listed.body.data.map((pi: any) => pi.id)).toContain(intent.id);
    const searched = await get(sk, `/v1/payment_intents/search?query=${encodeURIComponent(`metadata['order']:'${order}'`)}`);
    expect(searched.body.data.map((pi: any) => pi.id)).toEqual([intent.id]);
    await waitFor(async () =>
      (await get(sk, '/v1/events?type=payment_intent.created')).body.data.some((e: any) => e.data.object.id === intent.id),
    );

    for (const [table, column] of [
      ['payment_intents', 'id'],
      ['payment_intent_metadata', 'intent_id'],
      ['events', 'intent_id'],
    ]) {
      expect(await count(shard, `SELECT 1 FROM ${table} WHERE ${column} = ?`, intent.id), `${table} on ${shard}`).toBeGreaterThan(0);
      expect(await count(other(shard), `SELECT 1 FROM ${table} WHERE ${column} = ?`, intent.id), `${table} on ${other(shard)}`).toBe(0);
    }
    // The intent's object keeps the shard it was created for.
    const stub = env.INTENTS.get(env.INTENTS.idFromName(intent.id));
    const kept = await runInDurableObject(
      stub,
      (_object, state) => state.storage.sql.exec<{ shard: string }>('SELECT shard FROM placement').one().shard,
    );
    expect(kept).toBe(shard);
  });

  it('delivers webhooks from its shard, and keeps its endpoints, deliveries, attempts and idempotency keys there', async () => {
    const m = on[shard];
    const sk = m.keys.test.secret;
    const mailbox = await openMailbox({ secrets: [] });
    const endpoint = await call('/v1/webhook_endpoints', {
      key: sk,
      json: { url: mailbox.url, enabled_events: ['payment_intent.created'] },
      headers: { 'Idempotency-Key': `endpoint-${shard}` },
    });
    expect(endpoint.status).toBe(200);
    const endpointId = ((await endpoint.json()) as { id: string }).id;
    const { body: intent } = await createIntent(sk);
    await waitFor(async () => (await mailbox.received()).length >= 1, 10_000);
    const [delivered] = await mailbox.received();
    expect(JSON.parse(delivered!.body)).toMatchObject({ type: 'payment_intent.created', data: { object: { id: intent.id } } });
    await waitFor(async () => (await get(sk, `/v1/webhook_endpoints/${endpointId}/deliveries`)).body.data[0]?.status === 'succeeded');

    const rows = {
      webhook_endpoints: ['SELECT 1 FROM webhook_endpoints WHERE id = ?', endpointId],
      webhook_deliveries: ['SELECT 1 FROM webhook_deliveries WHERE endpoint_id = ?', endpointId],
      webhook_attempts: [
        'SELECT 1 FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = ?)',
        endpointId,
      ],
      idempotency_keys: ['SELECT 1 FROM idempotency_keys WHERE merchant_id = ? AND key = ?', m.id, `endpoint-${shard}`],
    } as const;
    for (const [table, [query, ...binds]] of Object.entries(rows)) {
      expect(await count(shard, query, ...binds), `${table} on ${shard}`).toBeGreaterThan(0);
      expect(await count(other(shard), query, ...binds), `${table} on ${other(shard)}`).toBe(0);
    }
  });

  it("finds nothing of a merchant's on the other shard: its objects are a 404, its lists empty", async () => {
    const owner = on[shard];
    const stranger = on[other(shard)].keys.test.secret;
    const order = crypto.randomUUID();
    const { body: intent } = await createIntent(owner.keys.test.secret, { metadata: { secret_order: order } });
    // For an event this test never causes: nothing is delivered to an address that does not exist.
    const { body: endpoint } = await post(owner.keys.test.secret, '/v1/webhook_endpoints', {
      url: 'https://shop.example/hooks',
      enabled_events: ['payment_intent.amount_capturable_updated'],
    });
    let eventId = '';
    await waitFor(async () => {
      const events = (await get(owner.keys.test.secret, '/v1/events?type=payment_intent.created')).body.data as any[];
      eventId = events.find((e) => e.data.object.id === intent.id)?.id ?? '';
      return eventId !== '';
    });

    for (const path of [`/v1/payment_intents/${intent.id}`, `/v1/events/${eventId}`, `/v1/webhook_endpoints/${endpoint.id}`]) {
      const { res, body } = await get(stranger, path);
      expect(res.status, path).toBe(404);
      expect(body.error.code, path).toBe('resource_missing');
    }
    const canceled = await post(stranger, `/v1/payment_intents/${intent.id}/cancel`);
    expect(canceled.res.status).toBe(404);
    const searched = await get(stranger, `/v1/payment_intents/search?query=${encodeURIComponent(`metadata['secret_order']:'${order}'`)}`);
    expect(searched.body.data).toEqual([]);
    expect((await get(stranger, '/v1/events?limit=100')).body.data.map((e: any) => e.id)).not.toContain(eventId);
  });
});

describe('from before shards', () => {
  it('a queue message without a shard is one queued before the split: its endpoints and deliveries are on SHARD_0', async () => {
    const m = on.SHARD_0;
    const mailbox = await openMailbox({ secrets: [] });
    const { body: endpoint } = await post(m.keys.test.secret, '/v1/webhook_endpoints', {
      url: mailbox.url,
      enabled_events: ['payment_intent.canceled'],
    });
    const event = {
      id: `evt_before${crypto.randomUUID().replace(/-/g, '').slice(0, 20)}`,
      object: 'event',
      type: 'payment_intent.canceled',
    };
    await env.WEBHOOK_QUEUE.send({
      kind: 'event',
      eventId: event.id,
      merchantId: m.id,
      livemode: false,
      notificationUrl: null,
      event: JSON.stringify(event),
    });
    await waitFor(async () => (await mailbox.received()).length === 1, 8_000);
    expect(await count('SHARD_0', 'SELECT 1 FROM webhook_deliveries WHERE endpoint_id = ?', endpoint.id)).toBe(1);
  });
});

describe('migrations', () => {
  it('are applied to the directory and to every shard, each database holding its own tables', async () => {
    const applied = async (d1: D1Database) =>
      (await d1.prepare('SELECT name FROM d1_migrations ORDER BY id').all<{ name: string }>()).results.map((r) => r.name);
    expect(await applied(env.DIRECTORY)).toEqual(env.DIRECTORY_MIGRATIONS.map((m) => m.name));
    for (const shard of SHARD_NAMES) expect(await applied(SHARDS[shard]!)).toEqual(env.SHARD_MIGRATIONS.map((m) => m.name));

    const tables = async (d1: D1Database) =>
      (
        await d1
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name",
          )
          .all<{ name: string }>()
      ).results.map((r) => r.name);
    expect(await tables(env.DIRECTORY)).toEqual([
      'api_keys',
      'd1_migrations',
      'deposit_counters',
      'merchants',
      'shards',
      'subscribe_buttons',
    ]);
    for (const shard of SHARD_NAMES) {
      expect(await tables(SHARDS[shard]!)).toEqual(
        expect.arrayContaining([
          'payment_intents',
          'payment_intent_metadata',
          'events',
          'webhook_endpoints',
          'webhook_deliveries',
          'webhook_attempts',
        ]),
      );
      expect(await tables(SHARDS[shard]!)).not.toContain('merchants');
    }
  });
});

describe('hourly housekeeping', () => {
  it('purges expired idempotency keys on every shard', async () => {
    const past = Date.now() - 1;
    for (const shard of SHARD_NAMES) {
      await SHARDS[shard]!.prepare(
        "INSERT INTO idempotency_keys (merchant_id, livemode, key, fingerprint, state, created_at, expires_at) VALUES (?, 0, 'expired', 'f', 'done', ?, ?)",
      )
        .bind(on[shard].id, past, past)
        .run();
    }
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '17 * * * *' }), env);
    expect(await fromEveryShard("SELECT key FROM idempotency_keys WHERE key = 'expired'")).toEqual([]);
  });
});
