/**
 * The durable-entity shell, through the payment intent's object: timers are rows keyed by
 * (kind, key) with one handler per kind — an unknown kind is kept, logged and retried later, never
 * taken for another — and the object's own schema is versioned, so storage written before the
 * shell is brought forward on load.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPaymentIntent } from '../../src/domain/payment-intent.js';
import { serializeRecord } from '../../src/intents/record.js';
import { newClientSecret, newId } from '../../src/lib/ids.js';
import { createIntent, createMerchant, get, post, type TestMerchant } from '../helpers.js';

let m: TestMerchant;
let sk: string;
beforeAll(async () => {
  m = await createMerchant('Shell');
  sk = m.keys.test.secret;
});
afterEach(() => vi.restoreAllMocks());

const stub = (id: string) => env.INTENTS.get(env.INTENTS.idFromName(id));
type TimerRow = { kind: string; key: string; due_at: number; attempts: number };
const timers = (id: string) =>
  runInDurableObject(stub(id), (_i, state) =>
    state.storage.sql.exec<TimerRow>('SELECT kind, key, due_at, attempts FROM timers ORDER BY kind, key').toArray(),
  );

describe('timers', () => {
  it('a timer of an unknown kind is kept, logged and retried with back-off; the others still run', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { body: intent } = await createIntent(sk, { payment_method_types: ['us_bank_account'] });
    await post(sk, `/v1/payment_intents/${intent.id}/confirm`, { payment_method: 'pm_usBankAccount' });
    const past = Date.now() - 1_000;
    await runInDurableObject(stub(intent.id), (_i, state) => {
      state.storage.sql.exec(`INSERT INTO timers (kind, key, due_at) VALUES ('refund_sweep', 'r1', ?)`, past);
      state.storage.sql.exec(`UPDATE timers SET due_at = ? WHERE kind = 'settle'`, past);
    });
    const before = Date.now();
    await runDurableObjectAlarm(stub(intent.id));

    const rows = await timers(intent.id);
    // The settle ran (the intent settled) and its row is gone; the unknown one waits, attempt 1, ~2 s later.
    expect(rows.map((r) => r.kind)).toEqual(['refund_sweep']);
    expect(rows[0]).toMatchObject({ key: 'r1', attempts: 1 });
    expect(rows[0]!.due_at).toBeGreaterThanOrEqual(before + 1_000);
    expect((await get(sk, `/v1/payment_intents/${intent.id}`)).body.status).toBe('succeeded');
    const log = logged.mock.calls.map((c) => String(c[0])).find((line) => line.includes('unknown kind'));
    expect(JSON.parse(log!)).toMatchObject({ level: 'error', intent: intent.id, kind: 'refund_sweep', key: 'r1', attempt: 1 });
    // The alarm stays armed for it, so a release that knows the kind runs it.
    expect(await runInDurableObject(stub(intent.id), (_i, state) => state.storage.getAlarm())).toBe(rows[0]!.due_at);
  });

  it('several timers of one kind, each with its own key, all run; an at-least-once repeat changes nothing', async () => {
    const { body: intent } = await createIntent(sk, { payment_method_types: ['us_bank_account'] });
    await post(sk, `/v1/payment_intents/${intent.id}/confirm`, { payment_method: 'pm_usBankAccount' });
    const past = Date.now() - 1_000;
    await runInDurableObject(stub(intent.id), (_i, state) => {
      state.storage.sql.exec(`UPDATE timers SET due_at = ? WHERE kind = 'settle'`, past);
      state.storage.sql.exec(`INSERT INTO timers (kind, key, due_at) VALUES ('settle', 'again', ?)`, past);
    });
    await runDurableObjectAlarm(stub(intent.id));
    expect(await timers(intent.id)).toEqual([]);
    const events = await stub(intent.id).events({ merchantId: m.id, livemode: false });
    // Settled once: one payment_intent.succeeded and one charge.succeeded, despite the second timer.
    expect(events.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'payment_intent.processing',
      'charge.pending',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
  });
});

describe('the object’s own schema', () => {
  it('an object written before the shell (tables intent, events with rendered bodies, timers by kind) is brought over on load', async () => {
    const now = Date.now();
    const id = newId('pi', now);
    const { state: intent } = createPaymentIntent(
      { id, clientSecret: newClientSecret(id), merchantId: m.id, livemode: false },
      { amount: 1500n, currency: 'eur', paymentMethodTypes: ['card'] },
      now,
    );
    const record = serializeRecord(intent);
    const renderedBody = JSON.stringify({ id: 'evt_old', object: 'event', request: { id: 'req_old', idempotency_key: 'order-77' } });
    await runInDurableObject(stub(id), (_i, state) => {
      state.storage.sql.exec(`
        CREATE TABLE intent (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), record TEXT NOT NULL);
        CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, created INTEGER NOT NULL,
          request_id TEXT, previous_attributes TEXT NOT NULL, object TEXT NOT NULL, body TEXT NOT NULL,
          projected INTEGER NOT NULL DEFAULT 0, queued INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE timers (kind TEXT PRIMARY KEY, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE watch (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), cursor TEXT NOT NULL, transfers TEXT NOT NULL);
      `);
      state.storage.sql.exec('INSERT INTO intent (singleton, record) VALUES (1, ?)', record);
      state.storage.sql.exec(
        `INSERT INTO events (seq, id, type, created, request_id, previous_attributes, object, body, projected, queued) VALUES (1, 'evt_old', 'payment_intent.created', ?, 'req_old', '{}', ?, ?, 1, 1)`,
        now,
        record,
        renderedBody,
      );
      state.storage.sql.exec(`INSERT INTO timers (kind, due_at, attempts) VALUES ('project', ?, 2)`, now + 3_600_000);
    });
    // Evict it: the next call constructs the object again, from this storage.
    await runInDurableObject(stub(id), (_i, state) => state.abort('reload')).catch(() => undefined);

    expect(await stub(id).retrieve({ merchantId: m.id, livemode: false })).toMatchObject({ id, amount: 1500n, currency: 'eur' });
    const [event] = await stub(id).events({ merchantId: m.id, livemode: false });
    expect(event).toMatchObject({ id: 'evt_old', seq: 1, requestId: 'req_old', idempotencyKey: 'order-77', projected: true, queued: true });
    expect(await timers(id)).toEqual([{ kind: 'project', key: '', due_at: now + 3_600_000, attempts: 2 }]);
    const tables = await runInDurableObject(stub(id), (_i, state) =>
      state.storage.sql
        .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' ORDER BY name`)
        .toArray()
        .map((r) => r.name),
    );
    // Step 5 drops the table in which releases before the chain watcher kept each intent's own cursor.
    expect(tables).toEqual(['events', 'idempotency_keys', 'placement', 'schema_version', 'state', 'timers']);
    expect(
      await runInDurableObject(
        stub(id),
        (_i, state) => state.storage.sql.exec<{ version: number }>('SELECT version FROM schema_version').one().version,
      ),
    ).toBe(6);
    // Written before shards, it projected to the single database, which is now SHARD_0.
    expect(
      await runInDurableObject(
        stub(id),
        (_i, state) => state.storage.sql.exec<{ shard: string }>('SELECT shard FROM placement').one().shard,
      ),
    ).toBe('SHARD_0');

    // And it works as any other: a command commits on top of what was brought over, and its row is on SHARD_0.
    const confirmed = await post(sk, `/v1/payment_intents/${id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(confirmed.body).toMatchObject({ id, status: 'succeeded', amount_received: 1500 });
    // The confirmation's events (the intent's and its charge's) follow the one brought over.
    expect((await stub(id).events({ merchantId: m.id, livemode: false })).map((e) => [e.seq, e.type])).toEqual([
      [1, 'payment_intent.created'],
      [2, 'payment_intent.succeeded'],
      [3, 'charge.succeeded'],
    ]);
    expect(await env.SHARD_0.prepare('SELECT status FROM payment_intents WHERE id = ?').bind(id).first()).toEqual({ status: 'succeeded' });
  });

  it('a new object writes its schema version with its first commit', async () => {
    const { body: intent } = await createIntent(sk);
    const version = await runInDurableObject(
      stub(intent.id),
      (_i, state) => state.storage.sql.exec<{ version: number }>('SELECT version FROM schema_version').one().version,
    );
    expect(version).toBe(6);
  });
});
