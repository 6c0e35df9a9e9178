/**
 * The intent's Durable Object as the only writer: events recorded with each change, and a read
 * model that catches up after a failed D1 write — never lost, never moved backwards.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectIntent } from '../../src/db/intents.js';
import { parseRecord } from '../../src/intents/record.js';
import { createIntent, createMerchant, get, post, type TestMerchant, shardOf } from '../helpers.js';

let m: TestMerchant;
/** The merchant's shard, where its rows are. */
let d1: D1Database;
let sk: string;
beforeAll(async () => {
  m = await createMerchant('Durable');
  d1 = await shardOf(m.id);
  sk = m.keys.test.secret;
});
afterEach(() => vi.restoreAllMocks());

const stub = (id: string) => env.INTENTS.get(env.INTENTS.idFromName(id));

async function readRow(id: string, table = 'payment_intents') {
  return d1
    .prepare(`SELECT status, revision, record FROM ${table} WHERE id = ?`)
    .bind(id)
    .first<{ status: string; revision: number; record: string }>();
}

describe('events', () => {
  it('records one event per change with an increasing sequence, the request id and previous attributes', async () => {
    const { body: created } = await createIntent(sk, { capture_method: 'manual' });
    const confirm = await post(sk, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_card_visa' });
    const capture = await post(sk, `/v1/payment_intents/${created.id}/capture`, { amount_to_capture: 500 });

    const events = await stub(created.id).events({ merchantId: m.id, livemode: false });
    expect(events.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'payment_intent.amount_capturable_updated',
      'charge.succeeded',
      'payment_intent.succeeded',
      'charge.captured',
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events.every((e) => /^evt_/.test(e.id))).toBe(true);
    expect(events[1]!.requestId).toBe(confirm.res.headers.get('Request-Id'));
    expect(events[2]!.requestId).toBe(confirm.res.headers.get('Request-Id'));
    expect(events[3]!.requestId).toBe(capture.res.headers.get('Request-Id'));
    expect(JSON.parse(events[3]!.previousAttributes)).toEqual({
      status: 'requires_capture',
      amountCapturable: '2000',
      amountReceived: '0',
    });
    expect(events[3]!.object).toMatchObject({ status: 'succeeded', amountReceived: 500n, revision: 3 });
    // The charge's event names its charge instead of the intent's changed fields.
    expect(JSON.parse(events[4]!.previousAttributes)).toEqual({ $subject: { kind: 'charge', id: events[4]!.object.charges[0]!.id } });
  });

  it('a refused command records nothing', async () => {
    const { body: created } = await createIntent(sk);
    await post(sk, `/v1/payment_intents/${created.id}/capture`);
    const events = await stub(created.id).events({ merchantId: m.id, livemode: false });
    expect(events.map((e) => e.type)).toEqual(['payment_intent.created']);
  });

  it('state and events live together in the object’s own storage', async () => {
    const { body: created } = await createIntent(sk, { payment_method: 'pm_card_visa', confirm: true });
    await runInDurableObject(stub(created.id), async (_instance, state) => {
      const record = state.storage.sql.exec<{ record: string }>('SELECT record FROM state').one().record;
      expect(parseRecord(record)).toMatchObject({ status: 'succeeded', revision: 2 });
      const count = state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM events').one().n;
      // payment_intent.created, payment_intent.succeeded and charge.succeeded.
      expect(count).toBe(3);
    });
  });

  it('looking up an unknown id writes nothing into a new object', async () => {
    const id = 'pi_0000000000AAAAAAAAAAAAAA';
    expect((await get(sk, `/v1/payment_intents/${id}`)).res.status).toBe(404);
    await runInDurableObject(stub(id), async (_instance, state) => {
      expect(state.storage.sql.exec(`SELECT name FROM sqlite_master WHERE type = 'table'`).toArray()).toEqual([]);
    });
  });
});

describe('read model', () => {
  it('when the D1 write fails, the request still answers with the committed change and the alarm catches the row up', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { body: created } = await createIntent(sk);
    expect((await readRow(created.id))?.status).toBe('requires_payment_method');

    await d1.exec('ALTER TABLE payment_intents RENAME TO payment_intents_away');
    let confirmed: Awaited<ReturnType<typeof post>> | undefined;
    try {
      confirmed = await post(sk, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_card_visa' });
      // An alarm while D1 is still down retries, fails again, and keeps the retry armed.
      await runDurableObjectAlarm(stub(created.id));
    } finally {
      await d1.exec('ALTER TABLE payment_intents_away RENAME TO payment_intents');
    }
    expect(confirmed.res.status).toBe(200);
    expect(confirmed.body.status).toBe('succeeded');
    expect((await readRow(created.id))?.status).toBe('requires_payment_method');
    // The failure was logged without the intent's client secret.
    expect(logged).toHaveBeenCalled();
    expect(JSON.stringify(logged.mock.calls)).not.toContain(created.client_secret);

    expect(await runDurableObjectAlarm(stub(created.id))).toBe(true);
    const row = await readRow(created.id);
    expect(row).toMatchObject({ status: 'succeeded', revision: 2 });
    const listed = await get(sk, '/v1/payment_intents?limit=100');
    expect(listed.body.data.find((i: any) => i.id === created.id).status).toBe('succeeded');

    // Once caught up, no retry stays armed.
    await runInDurableObject(stub(created.id), async (_instance, state) => {
      expect(state.storage.sql.exec('SELECT kind FROM timers').toArray()).toEqual([]);
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });

  it('a late write of an older revision never moves the row backwards', async () => {
    const { body: created } = await createIntent(sk);
    const old = await stub(created.id).retrieve({ merchantId: m.id, livemode: false });
    await post(sk, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect((await readRow(created.id))?.status).toBe('succeeded');
    await projectIntent(d1, old!);
    expect(await readRow(created.id)).toMatchObject({ status: 'succeeded', revision: 2 });
  });
});
