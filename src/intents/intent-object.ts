/**
 * One Durable Object per payment intent: its state machine's shell and its only writer.
 *
 * Every command runs load → decide → commit (state, events with their rendered bodies, and timers
 * in one storage transaction) → side effects: the D1 read row and events, then the outbox (events
 * sent to the webhook queue). Commands are serialized. Each side effect is written down before it
 * runs — events carry `projected` and `queued` flags, and timers committed with the change make the
 * alarm retry whatever did not happen — so nothing is lost, nothing applied backwards, and a retry
 * only repeats what receivers already de-duplicate by event id.
 */
import { DurableObject } from 'cloudflare:workers';
import { getAddress, verifyTypedData, type Address, type Hex } from 'viem';
import { depositAddress } from '../chain/addresses.js';
import { ChainUnavailable, type ChainReader } from '../chain/port.js';
import { newChainReader } from '../chain/registry.js';
import { projectIntent, type ProjectedEvent } from '../db/intents.js';
import { paymentTypedData, transferKey, type CryptoPayment, type CryptoTransfer } from '../domain/crypto.js';
import { DomainError } from '../domain/errors.js';
import {
  createPaymentIntent,
  decide,
  nextPoll,
  type ChainObservation,
  type Command,
  type ConfirmCommand,
  type CreateParams,
  type Decision,
  type PaymentError,
  type PaymentIntent,
} from '../domain/payment-intent.js';
import { readSettings, type Env } from '../env.js';
import { newIdSeries } from '../lib/ids.js';
import { logError } from '../lib/log.js';
import { allocateDepositIndex } from '../merchants/crypto.js';
import { fixedLengthSecretsEqual } from '../lib/secrets.js';
import type { WebhookMessage } from '../webhooks/messages.js';
import { renderEvent } from '../wire/event.js';
import { bigintAsString } from '../lib/json.js';
import { parseRecord, serializeRecord, transferFromRecord, transferToRecord, type StoredTransfer } from './record.js';

export interface Caller {
  merchantId: string;
  livemode: boolean;
  requestId: string;
  idempotencyKey?: string | null;
  /** Origin for links rendered into event bodies (3-D Secure pages). */
  baseUrl: string;
}

type Owner = Pick<Caller, 'merchantId' | 'livemode'>;
/** Who asked for a change: a request, or the object's own alarm. */
type Origin = { requestId: string | null; idempotencyKey: string | null; baseUrl: string };

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
  /** The event as rendered for the wire. */
  body: string;
  projected: boolean;
  queued: boolean;
}

/**
 * settle: an async payment is due; poll: read the chain for a crypto intent; project: D1 is behind;
 * outbox: events are not yet queued.
 */
type TimerKind = 'settle' | 'poll' | 'project' | 'outbox';

/** First retry of a failed side effect, doubling up to the cap. */
const RETRY_MS = 1_000;
const RETRY_CAP_MS = 5 * 60_000;
/** Safety net armed with every commit, cleared once the side effect has happened. */
const WATCHDOG_MS = 30_000;
/** Messages per sendBatch call (the queue takes up to 100 and 256 KB). */
const SEND_CHUNK = 25;
/**
 * Blocks past the required confirmations that are still re-checked for reorgs and re-scanned on
 * every poll (a transfer dropped by a reorg is often re-included a block or two later).
 */
const REORG_MARGIN = 3n;
/** Scan calls per poll; a longer backlog continues at the next poll, which then comes at once. */
const MAX_SCANS_PER_POLL = 20;
/** The longest wait between polls after repeated chain faults. */
const POLL_BACKOFF_CAP_MS = 60_000;

export class PaymentIntentObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private intent: PaymentIntent | null = null;
  /** Serializes commands, including their awaited side effects. */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly readers = new Map<string, ChainReader>();

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
        object TEXT NOT NULL,
        body TEXT NOT NULL,
        projected INTEGER NOT NULL DEFAULT 0,
        queued INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS timers (
        kind TEXT PRIMARY KEY,
        due_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0
      );
    `);
    this.createWatchTable();
  }

  /** A crypto intent's view of its deposit address on chain: where the scan resumes, what is there. */
  private createWatchTable(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS watch (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        cursor TEXT NOT NULL,
        transfers TEXT NOT NULL
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
          const created = decision;
          const prepared = await this.prepare(created.state, confirm);
          const confirmed = decide(created.state, prepared, now, readSettings(this.env));
          // payment_intent.created shows the intent as created, the confirm's events as confirmed.
          const createdEvents = created.events.map((e) => ({ ...e, snapshot: created.state }));
          decision = { ...confirmed, events: [...createdEvents, ...confirmed.events] };
        }
      } catch (error) {
        if (error instanceof DomainError) return failure(error);
        throw error;
      }
      return this.commit(decision, origin(caller), now);
    });
  }

  /** The intent, if it belongs to this merchant and mode; otherwise null, exactly as if it did not exist. */
  async retrieve(caller: Owner): Promise<PaymentIntent | null> {
    return this.owned(caller) ? this.intent : null;
  }

  /** The intent, for a browser holding its client secret and a publishable key of the same merchant and mode. */
  async retrieveWithClientSecret(caller: Owner, clientSecret: string): Promise<PaymentIntent | null> {
    if (!this.owned(caller) || !this.intent) return null;
    return fixedLengthSecretsEqual(clientSecret, this.intent.clientSecret) ? this.intent : null;
  }

  async execute(caller: Caller, command: Command): Promise<CommandResult> {
    return this.serialized(async () => {
      if (!this.owned(caller)) return notFound();
      let prepared: Command;
      try {
        prepared = await this.prepare(this.intent!, command);
      } catch (error) {
        if (error instanceof DomainError) return failure(error);
        throw error;
      }
      return this.run(prepared, origin(caller));
    });
  }

  /**
   * A payer's EIP-712 signature over the intent's typed data, verified here with viem and recorded
   * with its signer. With a publishable key the client secret must match, as for a browser lookup.
   */
  async submitSignature(
    caller: Caller,
    input: { signature: string; signer: string; clientSecret?: string; publishable: boolean },
  ): Promise<CommandResult> {
    return this.serialized(async () => {
      if (!this.owned(caller)) return notFound();
      const intent = this.intent!;
      if (input.clientSecret !== undefined || input.publishable) {
        if (input.clientSecret === undefined || !fixedLengthSecretsEqual(input.clientSecret, intent.clientSecret)) return notFound();
      }
      const c = intent.crypto;
      if (!c || c.depositAddress === null) {
        return failure(
          new DomainError(
            'payment_intent_unexpected_state',
            'Only a confirmed crypto PaymentIntent (with a deposit address) can take a payer signature.',
            undefined,
            intent.status,
          ),
        );
      }
      let valid = false;
      try {
        valid = await verifyTypedData({
          ...paymentTypedData(intent.id, c),
          address: input.signer as Address,
          signature: input.signature as Hex,
        } as Parameters<typeof verifyTypedData>[0]);
      } catch {
        valid = false;
      }
      if (!valid) {
        return failure(
          new DomainError(
            'parameter_invalid',
            `The signature was not made by ${input.signer} over this PaymentIntent's typed data (next_action.crypto_transfer.typed_data).`,
            'signature',
          ),
        );
      }
      return this.run(
        {
          type: 'record_signature',
          signature: { signer: getAddress(input.signer), signature: input.signature.toLowerCase(), verifiedAt: Date.now() },
        },
        origin(caller),
      );
    });
  }

  /** The intent behind a 3-D Secure challenge link, if the token is the one currently pending. */
  async challenge(token: string): Promise<PaymentIntent | null> {
    const action = this.intent?.nextAction;
    const pending = action?.type === 'redirect_to_url' ? action.challengeToken : undefined;
    if (!pending || !fixedLengthSecretsEqual(token, pending)) return null;
    return this.intent;
  }

  async completeChallenge(token: string, outcome: 'succeeded' | 'failed', requestId: string, baseUrl: string): Promise<CommandResult> {
    return this.serialized(async () => {
      if (!(await this.challenge(token))) return notFound();
      return this.run({ type: 'complete_challenge', outcome }, { requestId, idempotencyKey: null, baseUrl });
    });
  }

  /** Events recorded for this intent, oldest first. */
  async events(caller: Owner): Promise<StoredEvent[]> {
    if (!this.owned(caller)) return [];
    return this.sql
      .exec<EventRow>('SELECT * FROM events ORDER BY seq')
      .toArray()
      .map((r) => ({
        id: r.id,
        seq: r.seq,
        type: r.type,
        created: r.created,
        requestId: r.request_id,
        previousAttributes: r.previous_attributes,
        object: parseRecord(r.object),
        body: r.body,
        projected: r.projected === 1,
        queued: r.queued === 1,
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
      const timers = this.sql
        .exec<{ kind: TimerKind; due_at: number; attempts: number }>('SELECT kind, due_at, attempts FROM timers')
        .toArray();
      for (const timer of timers) {
        if (timer.kind === 'project') {
          await this.project(timer.attempts + 1);
        } else if (timer.kind === 'outbox') {
          await this.flushOutbox(timer.attempts + 1);
        } else if (timer.kind === 'poll') {
          if (timer.due_at <= now) await this.poll(timer.attempts);
        } else if (timer.due_at <= now) {
          this.sql.exec('DELETE FROM timers WHERE kind = ?', timer.kind);
          await this.run({ type: 'settle' }, { requestId: null, idempotencyKey: null, baseUrl: this.env.PUBLIC_BASE_URL ?? '' });
        }
      }
      await this.armAlarm();
    });
  }

  // --- shell ---------------------------------------------------------------------------------

  private async run(command: Command, from: Origin): Promise<CommandResult> {
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
    return this.commit(decision, from, now);
  }

  /** State, events (rendered) and timers in one transaction; then the read model and the outbox. */
  private async commit(decision: Decision, from: Origin, now: number): Promise<CommandResult> {
    const { state, events, timers } = decision;
    const record = serializeRecord(state);
    this.ctx.storage.transactionSync(() => {
      if (!this.intent) this.createTables();
      this.sql.exec(
        'INSERT INTO intent (singleton, record) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET record = excluded.record',
        record,
      );
      let seq = this.sql.exec<{ last: number | null }>('SELECT MAX(seq) AS last FROM events').one().last ?? 0;
      const ids = newIdSeries('evt', events.length, now);
      for (const [i, e] of events.entries()) {
        seq += 1;
        const id = ids[i]!;
        const body = renderEvent({
          id,
          sequence: seq,
          created: now,
          event: e,
          state: e.snapshot ?? state,
          request: { id: from.requestId, idempotencyKey: from.idempotencyKey },
          baseUrl: from.baseUrl,
        });
        this.sql.exec(
          'INSERT INTO events (seq, id, type, created, request_id, previous_attributes, object, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          seq,
          id,
          e.type,
          now,
          from.requestId,
          JSON.stringify(e.previousAttributes, bigintAsString),
          record,
          JSON.stringify(body),
        );
      }
      for (const t of timers) this.setTimer(t.kind, t.at);
      this.setTimer('project', now + WATCHDOG_MS);
      if (events.length > 0) this.setTimer('outbox', now + WATCHDOG_MS);
    });
    this.intent = state;
    await this.project(0);
    await this.flushOutbox(0);
    await this.armAlarm();
    return { ok: true, intent: state, paymentError: decision.paymentError };
  }

  /** Writes the read row and the events not yet in D1; on failure the timer retries with backoff. */
  private async project(attempt: number): Promise<void> {
    if (!this.intent) return;
    const pending = this.sql.exec<EventRow>('SELECT * FROM events WHERE projected = 0 ORDER BY seq').toArray();
    const projected: ProjectedEvent[] = pending.map((r) => ({
      id: r.id,
      sequence: r.seq,
      type: r.type,
      createdAt: r.created,
      body: r.body,
    }));
    try {
      await projectIntent(this.env.DB, this.intent, projected);
      this.ctx.storage.transactionSync(() => {
        for (const r of pending) this.sql.exec('UPDATE events SET projected = 1 WHERE seq = ?', r.seq);
        this.sql.exec(`DELETE FROM timers WHERE kind = 'project'`);
      });
    } catch (error) {
      this.backOff('project', attempt);
      logError('read model write failed; the alarm retries it', { intent: this.intent.id, attempt }, error);
    }
  }

  /**
   * Sends the events not yet queued, oldest first. A send that fails leaves them in the outbox and
   * the timer retries; a send that succeeded but was not recorded (eviction) is sent again, which
   * receivers absorb: deliveries are de-duplicated by event id downstream.
   */
  private async flushOutbox(attempt: number): Promise<void> {
    if (!this.intent) return;
    const pending = this.sql.exec<EventRow>('SELECT * FROM events WHERE queued = 0 ORDER BY seq').toArray();
    try {
      for (let i = 0; i < pending.length; i += SEND_CHUNK) {
        const chunk = pending.slice(i, i + SEND_CHUNK);
        await this.sendToQueue(
          chunk.map((r) => ({
            body: {
              kind: 'event' as const,
              eventId: r.id,
              merchantId: this.intent!.merchantId,
              livemode: this.intent!.livemode,
              notificationUrl: this.intent!.notificationUrl,
              event: r.body,
            },
          })),
        );
        this.ctx.storage.transactionSync(() => {
          for (const r of chunk) this.sql.exec('UPDATE events SET queued = 1 WHERE seq = ?', r.seq);
        });
      }
      this.sql.exec(`DELETE FROM timers WHERE kind = 'outbox'`);
    } catch (error) {
      this.backOff('outbox', attempt);
      logError('queue send failed; the events stay in the outbox and the alarm retries', { intent: this.intent.id, attempt }, error);
    }
  }

  // --- crypto --------------------------------------------------------------------------------

  /**
   * Confirming a crypto intent hands the payer a deposit address: the chain's head is read first
   * (the scan starts there; an unreachable chain refuses the confirmation rather than hand out an
   * address nobody watches), then the merchant's next index is taken in D1.
   */
  private async prepare(intent: PaymentIntent, command: Command): Promise<Command> {
    const c = intent.crypto;
    if (command.type !== 'confirm' || !c || c.depositAddress !== null) return command;
    if (!['requires_payment_method', 'requires_confirmation'].includes(intent.status)) return command;
    const reader = this.chainReader(c.network);
    if (!reader) {
      throw new DomainError(
        'parameter_invalid',
        `The network ${c.network} of this PaymentIntent is no longer configured on this deployment.`,
        'payment_method_options[crypto][network]',
      );
    }
    let head: bigint;
    try {
      head = await reader.head();
    } catch (error) {
      if (!(error instanceof ChainUnavailable)) throw error;
      logError('chain unavailable at confirmation', { intent: intent.id, network: c.network, fault: error.fault }, error);
      throw new DomainError(
        'chain_unavailable',
        `The ${c.network} network cannot be read right now, so no deposit address was handed out. Retry shortly.`,
      );
    }
    const allocated = await allocateDepositIndex(this.env.DB, intent.merchantId);
    if (!allocated) {
      throw new DomainError(
        'crypto_not_configured',
        'This account has no crypto settings: its watch-only xpub must be set before crypto PaymentIntents can be confirmed.',
        'payment_method_types',
      );
    }
    return { ...command, deposit: { address: depositAddress(allocated.xpub, allocated.index), index: allocated.index, startBlock: head } };
  }

  /**
   * One look at the chain for a crypto intent, then the decision on what it means. A chain fault
   * changes nothing: the poll is retried with backoff (or after the node's Retry-After).
   */
  private async poll(attempt: number): Promise<void> {
    const intent = this.intent;
    const c = intent?.crypto;
    if (!intent || !c || c.depositAddress === null || c.startBlock === null) {
      this.sql.exec(`DELETE FROM timers WHERE kind = 'poll'`);
      return;
    }
    const settings = readSettings(this.env);
    let observation: ChainObservation;
    let caughtUp: boolean;
    try {
      const reader = this.chainReader(c.network);
      if (!reader) throw new ChainUnavailable('http-error', `the network ${c.network} is no longer in CHAINS`);
      ({ observation, caughtUp } = await this.observeChain(reader, c));
    } catch (error) {
      const fault = error instanceof ChainUnavailable ? error : undefined;
      const delay = Math.max(fault?.retryAfterMs ?? 0, Math.min(c.pollIntervalMs * 2 ** attempt, POLL_BACKOFF_CAP_MS));
      this.sql.exec(
        `INSERT INTO timers (kind, due_at, attempts) VALUES ('poll', ?, ?) ON CONFLICT (kind) DO UPDATE SET due_at = excluded.due_at, attempts = excluded.attempts`,
        Date.now() + delay,
        attempt + 1,
      );
      logError(
        'chain poll failed; retrying',
        { intent: intent.id, network: c.network, attempt, fault: fault?.fault ?? 'bug', retryInMs: delay },
        error,
      );
      return;
    }
    const result = await this.run(observation, { requestId: null, idempotencyKey: null, baseUrl: this.env.PUBLIC_BASE_URL ?? '' });
    if (!result.ok) logError('chain observation refused', { intent: intent.id, code: result.error.code }, result.error.message);
    const next = nextPoll(this.intent!, Date.now(), settings);
    if (next === null) this.sql.exec(`DELETE FROM timers WHERE kind = 'poll'`);
    else this.setTimer('poll', caughtUp ? next : Date.now());
  }

  /**
   * Every transfer to the deposit address still on chain. Transfers not yet past their
   * confirmations (plus a margin) are checked against their block's hash — a different hash means a
   * reorg dropped them — and the last blocks are scanned again, so a re-included one is found.
   */
  private async observeChain(reader: ChainReader, c: CryptoPayment): Promise<{ observation: ChainObservation; caughtUp: boolean }> {
    // The watch table exists: createTables made it with the intent, and only crypto intents (all
    // created since it exists) poll.
    const stored = this.sql.exec<{ cursor: string; transfers: string }>('SELECT cursor, transfers FROM watch').toArray()[0];
    const cursor = stored ? BigInt(stored.cursor) : c.startBlock!;
    const watched: CryptoTransfer[] = stored ? (JSON.parse(stored.transfers) as StoredTransfer[]).map(transferFromRecord) : [];

    const observedAt = Date.now();
    const head = await reader.head();
    const recheckDepth = BigInt(c.confirmationsRequired) + REORG_MARGIN;
    const found = new Map<string, CryptoTransfer>();
    let from = maxBig(c.startBlock!, cursor - recheckDepth);
    for (const t of watched) {
      if (head - t.blockNumber + 1n > recheckDepth) {
        found.set(transferKey(t), t);
        continue;
      }
      // Past the node's head this throws (a node that is behind must not look like a reorg).
      if ((await reader.blockHash(t.blockNumber)) === t.blockHash) found.set(transferKey(t), t);
      else if (t.blockNumber < from) from = t.blockNumber;
    }

    const to = c.depositAddress as Address;
    for (let scans = 0; scans < MAX_SCANS_PER_POLL && from <= head; scans++) {
      const scan = c.token.address
        ? await reader.erc20Transfers({ token: c.token.address as Address, to, fromBlock: from, toBlock: head })
        : await reader.nativeTransfers({ to, fromBlock: from, toBlock: head });
      for (const t of scan.transfers) found.set(transferKey(t), t);
      if (scan.toBlock < from) break;
      from = scan.toBlock + 1n;
    }
    const transfers = [...found.values()];
    this.sql.exec(
      'INSERT INTO watch (singleton, cursor, transfers) VALUES (1, ?, ?) ON CONFLICT (singleton) DO UPDATE SET cursor = excluded.cursor, transfers = excluded.transfers',
      from.toString(),
      JSON.stringify(transfers.map(transferToRecord)),
    );
    if (from <= head) {
      // Not every block up to the head has been read yet: what was read counts, but it cannot
      // vouch for the time past the window (no expiry on it); the next poll continues at once.
      const vouched = Math.min(observedAt, (c.expiresAt ?? observedAt) - 1);
      return { observation: { type: 'chain_observed', transfers, head: from - 1n, observedAt: vouched }, caughtUp: false };
    }
    return { observation: { type: 'chain_observed', transfers, head, observedAt }, caughtUp: true };
  }

  /** The chain as this object reads it; one reader per network, this object's own (see registry.ts). */
  protected chainReader(network: string): ChainReader | undefined {
    let reader = this.readers.get(network);
    if (!reader) {
      reader = newChainReader(this.env, network);
      if (reader) this.readers.set(network, reader);
    }
    return reader;
  }

  /** The one place the object talks to the queue (a seam the fault-injection tests replace). */
  protected async sendToQueue(messages: MessageSendRequest<WebhookMessage>[]): Promise<void> {
    await this.env.WEBHOOK_QUEUE.sendBatch(messages);
  }

  private backOff(kind: TimerKind, attempt: number): void {
    const delay = Math.min(RETRY_MS * 2 ** attempt, RETRY_CAP_MS);
    this.sql.exec('UPDATE timers SET due_at = ?, attempts = ? WHERE kind = ?', Date.now() + delay, attempt, kind);
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

  private owned(caller: Owner): boolean {
    return this.intent !== null && this.intent.merchantId === caller.merchantId && this.intent.livemode === caller.livemode;
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

interface EventRow {
  seq: number;
  id: string;
  type: string;
  created: number;
  request_id: string | null;
  previous_attributes: string;
  object: string;
  body: string;
  projected: number;
  queued: number;
  [key: string]: SqlStorageValue;
}

function origin(caller: Caller): Origin {
  return { requestId: caller.requestId, idempotencyKey: caller.idempotencyKey ?? null, baseUrl: caller.baseUrl };
}

function failure(error: DomainError): CommandResult {
  return { ok: false, error: { code: error.code, message: error.message, param: error.param, status: error.status } };
}

function notFound(): CommandResult {
  return { ok: false, error: { code: 'resource_missing', message: 'No such payment_intent.', param: 'intent' } };
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
