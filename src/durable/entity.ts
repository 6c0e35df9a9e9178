/**
 * The durable-entity shell: what every entity's Durable Object (a payment intent, a mandate…) does
 * the same way, so that an entity is its state machine and a few hooks.
 *
 * - Commands run one at a time (`serialized`), including their awaited side effects.
 * - `commit` writes the state, its events and its timers in one storage transaction; only then does
 *   I/O run: the projection hook (the D1 read model) and the outbox (events to the webhook queue).
 *   Both are written down before they run — events carry `projected` / `queued` flags and a timer
 *   is committed with the change — so a failure or an eviction is retried by the alarm with
 *   back-off: nothing lost, and a retry only repeats what receivers de-duplicate by event id.
 * - Timers are rows keyed by (kind, key), several of one kind may be due; one alarm is armed for
 *   the earliest. Dispatch is an exhaustive map from kind to handler: a row of an unknown kind is
 *   an error (logged, kept, retried later), never silently taken for another kind.
 * - The object's own SQLite schema is versioned: the entity lists its migrations, run in order on
 *   load, so storage written by an older release is brought forward before it is read.
 * - An Idempotency-Key is kept with the change it caused: its answer is written in the commit's
 *   transaction (or, for a refusal, on its own), replayed for 24 hours, and projected with the
 *   read model as the merchant's record of the key (src/http/idempotency.ts reads it to refuse a
 *   key reused on another object). A key in flight is held in memory only: a request whose object
 *   went away holds nothing, and its retry finds the committed answer or runs.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';
import { IDEMPOTENCY_TTL_MS } from '../db/idempotency.js';
import { newIdSeries } from '../lib/ids.js';
import { logError } from '../lib/log.js';
import type { WebhookMessage } from '../webhooks/messages.js';

/** One step of an object's own schema. Steps run in version order, each in the load's transaction. */
export interface Migration {
  version: number;
  description: string;
  up(sql: SqlStorage): void;
}

/** Who asked for a change: a request, or the object's own alarm (no request id). */
export interface Origin {
  requestId: string | null;
  idempotencyKey: string | null;
}

export const ALARM_ORIGIN: Origin = { requestId: null, idempotencyKey: null };

/** A request's Idempotency-Key: scoped to the merchant and mode, with the fingerprint of the request (method, path, parameters). */
export interface KeyedRequest {
  merchantId: string;
  livemode: boolean;
  key: string;
  fingerprint: string;
}

/** What the object holds for a key: nothing (or only an expired answer), the answer to replay, or another request's. */
export type KeyLookup = { kind: 'new' } | { kind: 'recorded'; answer: string } | { kind: 'reused' } | { kind: 'in_flight' };

/** A key's answer as the read model gets it: the merchant's record that the key is taken, and by which request. */
export interface KeyRow {
  merchant_id: string;
  livemode: number;
  key: string;
  fingerprint: string;
  created_at: number;
  expires_at: number;
  [column: string]: SqlStorageValue;
}

/** An event as the shell stores it: canonical (no API family's wire), the state as JSON. */
export interface EventRow {
  seq: number;
  id: string;
  type: string;
  created: number;
  request_id: string | null;
  idempotency_key: string | null;
  /** JSON of the fields that changed, with their values before the change (the entity's stored form). */
  previous_attributes: string;
  /** JSON of the entity right after this event (the entity's stored form). */
  object: string;
  projected: number;
  queued: number;
  [column: string]: SqlStorageValue;
}

/** An event to commit: its type, the previous values (stored form) and, when not the final state, the state after it. */
export interface NewEvent<S> {
  type: string;
  previousAttributes: string;
  snapshot?: S;
}

export interface TimerRow<K extends string> {
  kind: K;
  key: string;
  dueAt: number;
  attempts: number;
}

export type TimerHandlers<K extends string> = { readonly [kind in K]: (timer: TimerRow<K>) => Promise<void> };

/** Kinds the shell itself sets: the read model is behind, events are not yet queued, idempotency keys to forget. */
type ShellTimerKind = 'project' | 'outbox' | 'forget_keys';

/** First retry of a failed side effect or timer, doubling up to the cap. */
const RETRY_MS = 1_000;
const RETRY_CAP_MS = 5 * 60_000;
/** Safety net armed with every commit, cleared once the side effect has happened. */
const WATCHDOG_MS = 30_000;
/** Messages per sendBatch call (the queue takes up to 100 and 256 KB). */
const SEND_CHUNK = 25;

/** Delay before retry `attempt` (1, 2, …) of something that failed: 2 s, 4 s, … up to 5 minutes. */
export function backOffMs(attempt: number): number {
  return Math.min(RETRY_MS * 2 ** attempt, RETRY_CAP_MS);
}

/** The tables every entity has: its state (one row), its events (outbox and projection flags), its timers. */
export function createShellTables(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE state (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
      record TEXT NOT NULL
    );
    CREATE TABLE events (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      type TEXT NOT NULL,
      created INTEGER NOT NULL,
      request_id TEXT,
      idempotency_key TEXT,
      previous_attributes TEXT NOT NULL,
      object TEXT NOT NULL,
      projected INTEGER NOT NULL DEFAULT 0,
      queued INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE timers (
      kind TEXT NOT NULL,
      key TEXT NOT NULL DEFAULT '',
      due_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (kind, key)
    );
  `);
}

/**
 * The object's idempotency keys (a migration step of every entity that takes them): the answer a
 * key got, as the entity encodes it, until it expires; `projected` once the read model has it.
 */
export function idempotencyKeysMigration(version: number): Migration {
  return {
    version,
    description: 'idempotency keys kept with the change they caused',
    up: (sql) =>
      sql.exec(`
        CREATE TABLE idempotency_keys (
          merchant_id TEXT NOT NULL,
          livemode INTEGER NOT NULL,
          key TEXT NOT NULL,
          fingerprint TEXT NOT NULL,
          answer TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          projected INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (merchant_id, livemode, key)
        );
      `),
  };
}

export abstract class DurableEntity<S, K extends string> extends DurableObject<Env> {
  protected readonly sql: SqlStorage;
  /** The entity's state; null until its first commit (an object only looked up stays empty). */
  protected current: S | null = null;
  /** Serializes commands, including their awaited side effects. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Keys of the requests running now (scope → fingerprint). Memory only: it goes with the object. */
  private readonly keysInFlight = new Map<string, string>();
  /** Whether the schema has idempotency_keys (set by migrate: an object only looked up has no tables yet). */
  private keysTable = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(() => this.load());
  }

  // --- what an entity provides ---------------------------------------------------------------

  /** The entity's schema steps, oldest first; the first creates the shell's tables (createShellTables). */
  protected abstract migrations(): readonly Migration[];
  protected abstract serialize(state: S): string;
  protected abstract parse(record: string): S;
  /**
   * Writes the read model for the state, the events and the idempotency keys not yet there, in one
   * batch. Idempotent: the alarm retries it.
   */
  protected abstract project(state: S, events: EventRow[], keys: KeyRow[]): Promise<void>;
  /** The queue messages that carry these events out of the outbox. */
  protected abstract outboxMessages(state: S, events: EventRow[]): WebhookMessage[];
  /** One handler per timer kind the entity sets. */
  protected abstract timerHandlers(): TimerHandlers<K>;
  /** Fields that identify the object in logs (never a secret). */
  protected abstract logFields(): Record<string, unknown>;
  /**
   * Told of each committed change, once its transaction is durable and before the read model and
   * the outbox run: for in-memory I/O that must not wait on them (the intent's live status
   * sockets). It must not throw; nothing retries it.
   */
  protected committed(_state: S): void {}

  // --- commands ------------------------------------------------------------------------------

  protected serialized<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Runs a keyed request once: a key this object already answered is replayed (or refused, for
   * other parameters), a key in flight here is refused, anything else runs. Checked before the
   * request waits its turn, so a retry of a request still running is told so at once.
   */
  protected async once<T>(
    request: KeyedRequest | null,
    answered: (lookup: Exclude<KeyLookup, { kind: 'new' }>) => T,
    run: () => Promise<T>,
  ): Promise<T> {
    if (request === null) return run();
    const scope = scopeOf(request);
    const running = this.keysInFlight.get(scope);
    if (running !== undefined) return answered(running === request.fingerprint ? { kind: 'in_flight' } : { kind: 'reused' });
    this.keysInFlight.set(scope, request.fingerprint);
    try {
      return await run();
    } finally {
      this.keysInFlight.delete(scope);
    }
  }

  /** The answer kept for this key, if it has not expired. */
  protected lookUpKey(request: KeyedRequest, now: number): KeyLookup {
    if (!this.keysTable) return { kind: 'new' };
    const [row] = this.sql
      .exec<{ fingerprint: string; answer: string }>(
        'SELECT fingerprint, answer FROM idempotency_keys WHERE merchant_id = ? AND livemode = ? AND key = ? AND expires_at > ?',
        request.merchantId,
        request.livemode ? 1 : 0,
        request.key,
        now,
      )
      .toArray();
    if (!row) return { kind: 'new' };
    return row.fingerprint === request.fingerprint ? { kind: 'recorded', answer: row.answer } : { kind: 'reused' };
  }

  /** Keeps a refusal's answer for its key (no state changes); then the read model learns of the key. */
  protected async recordAnswer(request: KeyedRequest, answer: string, now: number): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      if (this.current === null) this.migrate();
      this.writeKey(request, answer, now);
      if (this.current !== null) this.setTimer('project', '', now + WATCHDOG_MS);
    });
    await this.armAlarm();
    await this.runProjection(0);
    await this.armAlarm();
  }

  /**
   * State, events, timers and the request's answer for its key in one transaction; then the read
   * model and the outbox. `alsoWrite` writes the entity's own rows in the same transaction, once its
   * schema is current.
   */
  protected async commit(
    state: S,
    events: readonly NewEvent<S>[],
    timers: readonly { kind: K; key?: string; at: number }[],
    origin: Origin,
    now: number,
    answer?: { request: KeyedRequest; body: string },
    alsoWrite?: () => void,
  ): Promise<void> {
    const record = this.serialize(state);
    this.ctx.storage.transactionSync(() => {
      if (this.current === null) this.migrate();
      alsoWrite?.();
      if (answer) this.writeKey(answer.request, answer.body, now);
      this.sql.exec(
        'INSERT INTO state (singleton, record) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET record = excluded.record',
        record,
      );
      let seq = this.sql.exec<{ last: number | null }>('SELECT MAX(seq) AS last FROM events').one().last ?? 0;
      const ids = newIdSeries('evt', events.length, now);
      for (const [i, e] of events.entries()) {
        seq += 1;
        this.sql.exec(
          'INSERT INTO events (seq, id, type, created, request_id, idempotency_key, previous_attributes, object) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          seq,
          ids[i]!,
          e.type,
          now,
          origin.requestId,
          origin.idempotencyKey,
          e.previousAttributes,
          e.snapshot === undefined ? record : this.serialize(e.snapshot),
        );
      }
      for (const t of timers) this.setTimer(t.kind, t.key ?? '', t.at);
      this.setTimer('project', '', now + WATCHDOG_MS);
      if (events.length > 0) this.setTimer('outbox', '', now + WATCHDOG_MS);
    });
    this.current = state;
    this.committed(state);
    // The side effects' timers are on the alarm before they run: an object evicted during them
    // (a deploy, a crash) wakes up by itself to finish them, without waiting for another call.
    await this.armAlarm();
    await this.runProjection(0);
    await this.flushOutbox(0);
    await this.armAlarm();
  }

  private writeKey(request: KeyedRequest, answer: string, now: number): void {
    // An expired answer of the same key is replaced: the key starts again.
    this.sql.exec(
      `INSERT INTO idempotency_keys (merchant_id, livemode, key, fingerprint, answer, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (merchant_id, livemode, key) DO UPDATE SET fingerprint = excluded.fingerprint, answer = excluded.answer,
         created_at = excluded.created_at, expires_at = excluded.expires_at, projected = 0`,
      request.merchantId,
      request.livemode ? 1 : 0,
      request.key,
      request.fingerprint,
      answer,
      now,
      now + IDEMPOTENCY_TTL_MS,
    );
    // Keys are written in time order, so the earliest expiry is the one already set, if any.
    this.sql.exec(
      `INSERT INTO timers (kind, key, due_at) VALUES ('forget_keys', '', ?) ON CONFLICT (kind, key) DO NOTHING`,
      now + IDEMPOTENCY_TTL_MS,
    );
  }

  /** Deletes the keys past their 24 hours; the timer moves to the next expiry, or goes. */
  private forgetExpiredKeys(now: number): void {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM idempotency_keys WHERE expires_at <= ?', now);
      const next = this.sql.exec<{ at: number | null }>('SELECT MIN(expires_at) AS at FROM idempotency_keys').one().at;
      if (next === null) this.clearTimer('forget_keys');
      else this.setTimer('forget_keys', '', next);
    });
  }

  /** Events recorded by this object, oldest first. */
  protected storedEvents(): EventRow[] {
    if (this.current === null) return [];
    return this.sql.exec<EventRow>('SELECT * FROM events ORDER BY seq').toArray();
  }

  // --- timers --------------------------------------------------------------------------------

  /** Sets (or moves) a timer; a moved timer starts its attempts again unless told otherwise. */
  protected setTimer(kind: K | ShellTimerKind, key: string, at: number, attempts = 0): void {
    this.sql.exec(
      'INSERT INTO timers (kind, key, due_at, attempts) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at, attempts = excluded.attempts',
      kind,
      key,
      at,
      attempts,
    );
  }

  protected clearTimer(kind: K | ShellTimerKind, key = ''): void {
    this.sql.exec('DELETE FROM timers WHERE kind = ? AND key = ?', kind, key);
  }

  /**
   * Runs every due timer. Alarms are at-least-once and every handler is idempotent. A fired timer
   * is removed once its handler returns, unless the handler moved it; a handler that throws is
   * retried with back-off. Pending side effects (read model, outbox) are retried on every alarm,
   * due or not, since catching up early is harmless.
   */
  override async alarm(): Promise<void> {
    await this.serialized(async () => {
      // An object without state may still keep answers (a create refused under a key) to forget.
      if (this.current === null && !this.keysTable) return;
      const handlers = this.timerHandlers() as Partial<Record<string, (timer: TimerRow<K>) => Promise<void>>>;
      const now = Date.now();
      const rows = this.sql
        .exec<{ kind: string; key: string; due_at: number; attempts: number }>(
          'SELECT kind, key, due_at, attempts FROM timers ORDER BY due_at',
        )
        .toArray();
      for (const row of rows) {
        if (row.kind === 'forget_keys') {
          if (row.due_at <= now) this.forgetExpiredKeys(now);
          continue;
        }
        if (this.current === null) continue;
        if (row.kind === 'project') await this.runProjection(row.attempts + 1);
        else if (row.kind === 'outbox') await this.flushOutbox(row.attempts + 1);
        else if (row.due_at <= now) await this.fire(row, handlers[row.kind]);
      }
      await this.armAlarm();
    });
  }

  private async fire(
    row: { kind: string; key: string; due_at: number; attempts: number },
    handler: ((timer: TimerRow<K>) => Promise<void>) | undefined,
  ): Promise<void> {
    const attempt = row.attempts + 1;
    if (!handler) {
      // Written by a newer release, or a bug: keep it for a release that knows it, and do not spin.
      this.retryLater(row, attempt);
      logError(
        'timer of an unknown kind; kept and retried later',
        { ...this.logFields(), kind: row.kind, key: row.key, attempt },
        new Error(`no handler for timer kind ${JSON.stringify(row.kind)}`),
      );
      return;
    }
    try {
      await handler({ kind: row.kind as K, key: row.key, dueAt: row.due_at, attempts: row.attempts });
    } catch (error) {
      this.retryLater(row, attempt);
      logError('timer failed; retrying with back-off', { ...this.logFields(), kind: row.kind, key: row.key, attempt }, error);
      return;
    }
    // Removed unless the handler moved it (a poll sets its next one).
    this.sql.exec('DELETE FROM timers WHERE kind = ? AND key = ? AND due_at = ?', row.kind, row.key, row.due_at);
  }

  private retryLater(row: { kind: string; key: string }, attempt: number): void {
    this.sql.exec(
      'UPDATE timers SET due_at = ?, attempts = ? WHERE kind = ? AND key = ?',
      Date.now() + backOffMs(attempt),
      attempt,
      row.kind,
      row.key,
    );
  }

  protected async armAlarm(): Promise<void> {
    const next = this.sql.exec<{ at: number | null }>('SELECT MIN(due_at) AS at FROM timers').one().at;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  // --- side effects --------------------------------------------------------------------------

  /** The read row and the events not yet in it; on failure the timer retries with back-off. */
  private async runProjection(attempt: number): Promise<void> {
    if (this.current === null) return;
    const pending = this.sql.exec<EventRow>('SELECT * FROM events WHERE projected = 0 ORDER BY seq').toArray();
    const keys = this.keysTable
      ? this.sql
          .exec<KeyRow>('SELECT merchant_id, livemode, key, fingerprint, created_at, expires_at FROM idempotency_keys WHERE projected = 0')
          .toArray()
      : [];
    try {
      await this.project(this.current, pending, keys);
      this.ctx.storage.transactionSync(() => {
        for (const r of pending) this.sql.exec('UPDATE events SET projected = 1 WHERE seq = ?', r.seq);
        // Only the rows projected: a key answered again since (an expired one taken over) stays pending.
        for (const k of keys) {
          this.sql.exec(
            'UPDATE idempotency_keys SET projected = 1 WHERE merchant_id = ? AND livemode = ? AND key = ? AND created_at = ?',
            k.merchant_id,
            k.livemode,
            k.key,
            k.created_at,
          );
        }
        this.clearTimer('project');
      });
    } catch (error) {
      this.retryLater({ kind: 'project', key: '' }, attempt);
      logError('read model write failed; the alarm retries it', { ...this.logFields(), attempt }, error);
    }
  }

  /**
   * Sends the events not yet queued, oldest first. A send that fails leaves them in the outbox and
   * the timer retries; a send that succeeded but was not recorded (eviction) is sent again, which
   * receivers absorb: deliveries are de-duplicated by event id downstream.
   */
  private async flushOutbox(attempt: number): Promise<void> {
    if (this.current === null) return;
    const pending = this.sql.exec<EventRow>('SELECT * FROM events WHERE queued = 0 ORDER BY seq').toArray();
    try {
      for (let i = 0; i < pending.length; i += SEND_CHUNK) {
        const chunk = pending.slice(i, i + SEND_CHUNK);
        await this.sendToQueue(this.outboxMessages(this.current, chunk).map((body) => ({ body })));
        this.ctx.storage.transactionSync(() => {
          for (const r of chunk) this.sql.exec('UPDATE events SET queued = 1 WHERE seq = ?', r.seq);
        });
      }
      this.clearTimer('outbox');
    } catch (error) {
      this.retryLater({ kind: 'outbox', key: '' }, attempt);
      logError('queue send failed; the events stay in the outbox and the alarm retries', { ...this.logFields(), attempt }, error);
    }
  }

  /** The one place the object talks to the queue (a seam the fault-injection tests replace). */
  protected async sendToQueue(messages: MessageSendRequest<WebhookMessage>[]): Promise<void> {
    await this.env.WEBHOOK_QUEUE.sendBatch(messages);
  }

  // --- storage -------------------------------------------------------------------------------

  private async load(): Promise<void> {
    // An object that was only looked up (an unknown id) writes nothing: tables appear on the first commit.
    const tables = this.sql
      .exec<{ n: number }>(
        `SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'`,
      )
      .one().n;
    if (tables === 0) return;
    this.ctx.storage.transactionSync(() => this.migrate());
    const row = this.sql.exec<{ record: string }>('SELECT record FROM state').toArray()[0];
    this.current = row ? this.parse(row.record) : null;
    await this.armAlarm();
  }

  /** Brings the object's schema to the newest version, in order; run inside a transaction. */
  private migrate(): void {
    migrateSchema(this.sql, this.migrations());
    this.keysTable = this.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'idempotency_keys'`).toArray().length > 0;
  }
}

/**
 * Runs the steps of an object's own schema newer than the version it records, in order, and records
 * the newest (every Durable Object of this worker versions its storage so). Run inside a transaction.
 */
export function migrateSchema(sql: SqlStorage, steps: readonly Pick<Migration, 'version' | 'up'>[]): void {
  sql.exec('CREATE TABLE IF NOT EXISTS schema_version (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), version INTEGER NOT NULL)');
  const at = sql.exec<{ version: number }>('SELECT version FROM schema_version').toArray()[0]?.version ?? 0;
  for (const step of steps) if (step.version > at) step.up(sql);
  const latest = steps.at(-1)?.version ?? 0;
  if (latest > at) {
    sql.exec(
      'INSERT INTO schema_version (singleton, version) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET version = excluded.version',
      latest,
    );
  }
}

function scopeOf(request: KeyedRequest): string {
  return JSON.stringify([request.merchantId, request.livemode, request.key]);
}
