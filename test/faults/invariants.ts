/**
 * What must hold for an intent once its faults are over and it has recovered (alarms run, queue
 * drained): its events gap-free and exactly once in the object, in D1 and at the receiver (by
 * webhook-id, every body the same), its D1 row equal to the object's state, and every delivery
 * done and recorded attempt by attempt.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { expect } from 'vitest';
import { fromEveryShard } from '../helpers.js';
import type { TestMailbox } from '../webhooks/receiver-client.js';
import { MARKER_KEY } from './injection.js';

export const stub = (id: string) => env.INTENTS.get(env.INTENTS.idFromName(id));

/**
 * Polls until the condition holds, failing after `timeoutMs`: first at short intervals, then
 * less often (up to every 250 ms), so that many cases waiting at once leave the machine to the work
 * they wait for.
 */
export async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 20; !(await condition()); pause = Math.min(pause * 2, 250)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** The object's own storage, read inside it. */
export interface ObjectView {
  /** The stored intent (src/intents/record.ts), or null when nothing was ever committed. */
  record: string | null;
  revision: number;
  events: { seq: number; id: string; type: string; projected: boolean; queued: boolean }[];
  timers: { kind: string; dueAt: number }[];
  alarm: number | null;
  /** The object's clock when it was read. */
  now: number;
}

export async function inspect(id: string): Promise<ObjectView> {
  return runInDurableObject(stub(id), async (_instance, state) => {
    const sql = state.storage.sql;
    const alarm = await state.storage.getAlarm();
    if (sql.exec(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'state'`).toArray().length === 0) {
      return { record: null, revision: 0, events: [], timers: [], alarm, now: Date.now() };
    }
    const record = sql.exec<{ record: string }>('SELECT record FROM state').toArray()[0]?.record ?? null;
    const events = sql
      .exec<{ seq: number; id: string; type: string; projected: number; queued: number }>(
        'SELECT seq, id, type, projected, queued FROM events ORDER BY seq',
      )
      .toArray()
      .map((e) => ({ ...e, projected: e.projected === 1, queued: e.queued === 1 }));
    const timers = sql
      .exec<{ kind: string; due_at: number }>('SELECT kind, due_at FROM timers ORDER BY due_at')
      .toArray()
      .map((t) => ({ kind: t.kind, dueAt: t.due_at }));
    const revision = record === null ? 0 : (JSON.parse(record) as { revision: number }).revision;
    return { record, revision, events, timers, alarm, now: Date.now() };
  });
}

/** Events not yet in D1 or not yet on the queue: the shell's own retries are due. */
function behind(view: ObjectView): boolean {
  return view.events.some((e) => !e.projected || !e.queued) || view.timers.some((t) => t.kind === 'project' || t.kind === 'outbox');
}

/**
 * Runs the object's alarm until its side effects have caught up and no settle is waiting, and
 * `done` holds. A test fires the alarm early rather than wait out the shell's back-off: eviction
 * checks that an alarm was armed, and alarms are at-least-once.
 */
export async function recover(id: string, done: (view: ObjectView) => boolean = () => true): Promise<ObjectView> {
  let view: ObjectView | undefined;
  await until(async () => {
    view = await inspect(id);
    if (behind(view)) {
      await runDurableObjectAlarm(stub(id));
      return false;
    }
    return !view.timers.some((t) => t.kind === 'settle') && done(view);
  }, 20_000).catch((error: Error) => {
    throw new Error(`${id} did not recover: ${error.message}; ${JSON.stringify(view)}`);
  });
  return view!;
}

interface DeliveryRow {
  id: string;
  event_id: string;
  status: string;
  attempts: number;
  body: string;
}

async function deliveriesOf(eventIds: string[]): Promise<DeliveryRow[]> {
  if (eventIds.length === 0) return [];
  return fromEveryShard<DeliveryRow>(
    `SELECT id, event_id, status, attempts, body FROM webhook_deliveries WHERE event_id IN (${eventIds.map(() => '?').join(',')})`,
    ...eventIds,
  );
}

/** Waits until every event of the intent has been delivered (its delivery succeeded). */
export async function drained(eventIds: string[]): Promise<void> {
  let rows: DeliveryRow[] = [];
  await until(async () => {
    rows = await deliveriesOf(eventIds);
    return rows.length >= eventIds.length && rows.every((r) => r.status === 'succeeded');
  }, 20_000).catch((error: Error) => {
    throw new Error(
      `deliveries of ${eventIds.join(', ')} not done: ${error.message}; ${JSON.stringify(rows.map(({ body: _, ...r }) => r))}`,
    );
  });
}

/**
 * The invariants, for an intent whose events should be `types` (none: it was never created).
 * Call after recover() and drained().
 */
export async function expectConsistent(id: string, types: string[], mailbox: TestMailbox, marker: string): Promise<void> {
  const view = await inspect(id);

  // The object: one event per change, sequence 1..n, each id once, all in D1 and on the queue.
  expect(view.events.map((e) => e.type)).toEqual(types);
  expect(view.events.map((e) => e.seq)).toEqual(types.map((_, i) => i + 1));
  const ids = view.events.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(view.events.filter((e) => !e.projected || !e.queued)).toEqual([]);
  expect(view.timers.filter((t) => t.kind === 'project' || t.kind === 'outbox')).toEqual([]);

  // D1: the same events, once each, and the row exactly the object's state (revision, status, amounts…).
  const d1Events = await fromEveryShard<{ id: string; sequence: number; type: string }>(
    'SELECT id, sequence, type FROM events WHERE intent_id = ? ORDER BY sequence, id',
    id,
  );
  expect(d1Events).toEqual(view.events.map((e) => ({ id: e.id, sequence: e.seq, type: e.type })));
  const [row = null, ...elsewhere] = await fromEveryShard<{ status: string; revision: number; amount: string; record: string }>(
    'SELECT status, revision, amount, record FROM payment_intents WHERE id = ?',
    id,
  );
  expect(elsewhere).toEqual([]);
  if (view.record === null) {
    expect(row).toBeNull();
  } else {
    const state = JSON.parse(view.record) as { status: string; revision: number; amount: string };
    expect(row).toEqual({ status: state.status, revision: state.revision, amount: String(state.amount), record: view.record });
  }
  // One intent per case, however often its create was tried.
  const marked = await fromEveryShard<{ intent_id: string }>(
    'SELECT intent_id FROM payment_intent_metadata WHERE key = ? AND value = ?',
    MARKER_KEY,
    marker,
  );
  expect(marked.map((r) => r.intent_id)).toEqual(view.record === null ? [] : [id]);

  // Every event delivered, each delivery done and every attempt recorded.
  const deliveries = await deliveriesOf(ids);
  expect(deliveries.map((d) => d.event_id).sort()).toEqual([...ids].sort());
  expect(deliveries.filter((d) => d.status !== 'succeeded')).toEqual([]);
  const attempts = new Map<string, { attempt: number; status_code: number | null; error: string | null }[]>();
  if (deliveries.length > 0) {
    const results = await fromEveryShard<{ delivery_id: string; attempt: number; status_code: number | null; error: string | null }>(
      `SELECT delivery_id, attempt, status_code, error FROM webhook_attempts WHERE delivery_id IN (${deliveries.map(() => '?').join(',')}) ORDER BY attempt`,
      ...deliveries.map((d) => d.id),
    );
    for (const { delivery_id, ...r } of results) attempts.set(delivery_id, [...(attempts.get(delivery_id) ?? []), r]);
  }
  for (const d of deliveries) {
    const numbers = (attempts.get(d.id) ?? []).map((a) => a.attempt);
    expect(numbers, `attempts of ${d.id}`).toEqual(Array.from({ length: d.attempts }, (_, i) => i + 1));
  }

  // The receiver: each event at least once by webhook-id, never altered, each request an attempt on record.
  const received = await mailbox.received();
  const byWebhookId = new Map<string, typeof received>();
  for (const r of received) byWebhookId.set(r.headers['webhook-id']!, [...(byWebhookId.get(r.headers['webhook-id']!) ?? []), r]);
  expect([...byWebhookId.keys()].sort()).toEqual([...ids].sort());
  for (const d of deliveries) {
    const requests = byWebhookId.get(d.event_id)!;
    expect(requests.every((r) => r.verifiedStandard && r.verifiedStripe)).toBe(true);
    expect(new Set(requests.map((r) => r.body)), `bodies of ${d.event_id}`).toEqual(new Set([d.body]));
    // Each request the receiver got is an attempt on record; an attempt that got an answer reached it.
    const recorded = attempts.get(d.id) ?? [];
    const detail = `${requests.length} requests for ${d.event_id}, attempts on record: ${JSON.stringify(recorded)}`;
    expect(requests.length, detail).toBeLessThanOrEqual(recorded.length);
    expect(recorded.filter((a) => a.status_code !== null).length, detail).toBeLessThanOrEqual(requests.length);
    const event = JSON.parse(d.body) as {
      id: string;
      type: string;
      sequence: number;
      data: { object: { id: string; payment_intent?: string } };
    };
    const stored = view.events.find((e) => e.id === d.event_id)!;
    expect(event).toMatchObject({ id: stored.id, type: stored.type, sequence: stored.seq });
    // The intent's events show the intent; its charge's show the charge, of this intent.
    const object = event.data.object;
    expect(stored.type.startsWith('charge.') ? object.payment_intent : object.id).toBe(id);
  }
}
