/**
 * One Durable Object per payment intent: its state machine's shell and its only writer.
 *
 * Every command runs load → decide → commit (state, events and timers in one storage transaction)
 * → side effects (D1 read row). Commands are serialized; the D1 write is guarded by revision and
 * backed by a timer row written in the same transaction, so a failed or interrupted projection is
 * retried by the alarm until the read model catches up — never lost, never applied backwards.
 */
import { DurableObject } from 'cloudflare:workers';
import { projectIntent } from '../db/intents.js';
import { DomainError } from '../domain/errors.js';
import {
  createPaymentIntent,
  decide,
  type Command,
  type ConfirmCommand,
  type CreateParams,
  type Decision,
  type PaymentError,
  type PaymentIntent,
} from '../domain/payment-intent.js';
import { readSettings, type Env } from '../env.js';
import { newId } from '../lib/ids.js';
import { logError } from '../lib/log.js';
import { fixedLengthSecretsEqual } from '../lib/secrets.js';
import { parseRecord, serializeRecord } from './record.js';

export interface Caller {
  merchantId: string;
  livemode: boolean;
  requestId: string;
}

export type CommandResult =
  | { ok: true; intent: PaymentIntent; paymentError: PaymentError | null }
  | { ok: false; error: { code: DomainError['code']; message: string; param?: string; status?: string } };

export interface StoredEvent {
  id: string;
  seq: number;
  type: string;
  created: number;
  requestId: string | null;
  /** JSON of the domain fields with their values before the change; amounts as digit strings. */
  previousAttributes: string;
  object: PaymentIntent;
}

type TimerKind = 'settle' | 'project';

/** First retry of a failed read-model write, doubling up to the cap. */
const PROJECTION_RETRY_MS = 1_000;
const PROJECTION_RETRY_CAP_MS = 5 * 60_000;
/** Safety net armed with every commit, cleared once the read row is written. */
const PROJECTION_WATCHDOG_MS = 30_000;

export class PaymentIntentObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private intent: PaymentIntent | null = null;
  /** Serializes commands, including their awaited side effects. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      // An object that was only looked up (an unknown id) writes nothing: tables appear on the first commit.
      const exists = this.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'intent'`).toArray().length > 0;
      if (!exists) return;
      const row = this.sql.exec<{ record: string }>('SELECT record FROM intent').toArray()[0];
      this.intent = row ? parseRecord(row.record) : null;
      await this.armAlarm();
    });
  }

  private createTables(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS intent (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        record TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        created INTEGER NOT NULL,
        request_id TEXT,
        previous_attributes TEXT NOT NULL,
        object TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS timers (
        kind TEXT PRIMARY KEY,
        due_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0
      );
    `);
  }

  // --- RPC -----------------------------------------------------------------------------------

  async create(
    caller: Caller,
    ids: { id: string; clientSecret: string },
    params: CreateParams,
    confirm?: ConfirmCommand,
  ): Promise<CommandResult> {
    return this.serialized(async () => {
      if (this.intent) {
        return failure(new DomainError('parameter_invalid', `A PaymentIntent with id ${ids.id} already exists.`, 'id'));
      }
      const now = Date.now();
      let decision: Decision;
      try {
        decision = createPaymentIntent({ ...ids, merchantId: caller.merchantId, livemode: caller.livemode }, params, now);
        if (confirm) {
          const confirmed = decide(decision.state, confirm, now, readSettings(this.env));
          decision = { ...confirmed, events: [...decision.events, ...confirmed.events] };
        }
      } catch (error) {
        if (error instanceof DomainError) return failure(error);
        throw error;
      }
      return this.commit(decision, caller.requestId, now);
    });
  }

  /** The intent, if it belongs to this merchant and mode; otherwise null, exactly as if it did not exist. */
  async retrieve(caller: Omit<Caller, 'requestId'>): Promise<PaymentIntent | null> {
    return this.owned(caller) ? this.intent : null;
  }

  /** The intent, for a browser holding its client secret and a publishable key of the same merchant and mode. */
  async retrieveWithClientSecret(caller: Omit<Caller, 'requestId'>, clientSecret: string): Promise<PaymentIntent | null> {
    if (!this.owned(caller) || !this.intent) return null;
    return fixedLengthSecretsEqual(clientSecret, this.intent.clientSecret) ? this.intent : null;
  }

  async execute(caller: Caller, command: Command): Promise<CommandResult> {
    return this.serialized(async () => {
      if (!this.owned(caller)) return notFound();
      return this.run(command, caller.requestId);
    });
  }

  /** The intent behind a 3-D Secure challenge link, if the token is the one currently pending. */
  async challenge(token: string): Promise<PaymentIntent | null> {
    const pending = this.intent?.nextAction?.challengeToken;
    if (!pending || !fixedLengthSecretsEqual(token, pending)) return null;
    return this.intent;
  }

  async completeChallenge(token: string, outcome: 'succeeded' | 'failed', requestId: string): Promise<CommandResult> {
    return this.serialized(async () => {
      if (!(await this.challenge(token))) return notFound();
      return this.run({ type: 'complete_challenge', outcome }, requestId);
    });
  }

  /** Events recorded for this intent, oldest first (for tests and, later, the events API). */
  async events(caller: Omit<Caller, 'requestId'>): Promise<StoredEvent[]> {
    if (!this.owned(caller)) return [];
    return this.sql
      .exec<{ id: string; seq: number; type: string; created: number; request_id: string | null; previous_attributes: string; object: string }>(
        'SELECT * FROM events ORDER BY seq',
      )
      .toArray()
      .map((r) => ({
        id: r.id,
        seq: r.seq,
        type: r.type,
        created: r.created,
        requestId: r.request_id,
        previousAttributes: r.previous_attributes,
        object: parseRecord(r.object),
      }));
  }

  /**
   * Runs every due timer. Alarms are at-least-once and each timer's work is idempotent; a pending
   * read-model write is retried on every alarm, due or not, since catching up early is harmless.
   */
  override async alarm(): Promise<void> {
    await this.serialized(async () => {
      if (!this.intent) return;
      const now = Date.now();
      const timers = this.sql.exec<{ kind: TimerKind; due_at: number; attempts: number }>('SELECT kind, due_at, attempts FROM timers').toArray();
      for (const timer of timers) {
        if (timer.kind === 'project') {
          await this.project(timer.attempts + 1);
        } else if (timer.due_at <= now) {
          this.sql.exec('DELETE FROM timers WHERE kind = ?', timer.kind);
          await this.run({ type: 'settle' }, null);
        }
      }
      await this.armAlarm();
    });
  }

  // --- shell ---------------------------------------------------------------------------------

  private async run(command: Command, requestId: string | null): Promise<CommandResult> {
    if (!this.intent) return notFound();
    const now = Date.now();
    let decision: Decision;
    try {
      decision = decide(this.intent, command, now, readSettings(this.env));
    } catch (error) {
      if (error instanceof DomainError) return failure(error);
      throw error;
    }
    if (decision.state === this.intent) return { ok: true, intent: this.intent, paymentError: null };
    return this.commit(decision, requestId, now);
  }

  /** State, events and timers in one transaction; then the read row. */
  private async commit(decision: Decision, requestId: string | null, now: number): Promise<CommandResult> {
    const { state, events, timers } = decision;
    const record = serializeRecord(state);
    this.ctx.storage.transactionSync(() => {
      if (!this.intent) this.createTables();
      this.sql.exec(
        'INSERT INTO intent (singleton, record) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET record = excluded.record',
        record,
      );
      for (const e of events) {
        this.sql.exec(
          'INSERT INTO events (id, type, created, request_id, previous_attributes, object) VALUES (?, ?, ?, ?, ?, ?)',
          newId('evt', now),
          e.type,
          now,
          requestId,
          JSON.stringify(e.previousAttributes, bigintAsString),
          record,
        );
      }
      for (const t of timers) this.setTimer(t.kind, t.at);
      this.setTimer('project', now + PROJECTION_WATCHDOG_MS);
    });
    this.intent = state;
    await this.project(0);
    await this.armAlarm();
    return { ok: true, intent: state, paymentError: decision.paymentError };
  }

  /** Writes the read row; on failure keeps the timer with a backoff so the alarm retries. */
  private async project(attempt: number): Promise<void> {
    if (!this.intent) return;
    try {
      await projectIntent(this.env.DB, this.intent);
      this.sql.exec(`DELETE FROM timers WHERE kind = 'project'`);
    } catch (error) {
      const delay = Math.min(PROJECTION_RETRY_MS * 2 ** attempt, PROJECTION_RETRY_CAP_MS);
      this.sql.exec(`UPDATE timers SET due_at = ?, attempts = ? WHERE kind = 'project'`, Date.now() + delay, attempt);
      logError('read model write failed; the alarm retries it', { intent: this.intent.id, attempt, retryInMs: delay }, error);
    }
  }

  private setTimer(kind: TimerKind, at: number): void {
    this.sql.exec(
      'INSERT INTO timers (kind, due_at) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET due_at = excluded.due_at, attempts = 0',
      kind,
      at,
    );
  }

  private async armAlarm(): Promise<void> {
    const next = this.sql.exec<{ at: number | null }>('SELECT MIN(due_at) AS at FROM timers').one().at;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  private owned(caller: Omit<Caller, 'requestId'>): boolean {
    return this.intent !== null && this.intent.merchantId === caller.merchantId && this.intent.livemode === caller.livemode;
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

function failure(error: DomainError): CommandResult {
  return { ok: false, error: { code: error.code, message: error.message, param: error.param, status: error.status } };
}

function notFound(): CommandResult {
  return { ok: false, error: { code: 'resource_missing', message: 'No such payment_intent.', param: 'intent' } };
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
