/**
 * One Durable Object per payment intent: the intent's state machine (src/domain) in the durable
 * shell (src/durable/entity.ts), and the intent's only writer. What is the intent's own here: its
 * RPC surface (create, read, commands, the payer's signature, the 3-D Secure challenge, what the
 * chain watcher delivers), its timers (settle an asynchronous payment, register its chain watch),
 * its projection into D1 and its outbox messages. The chain is read by the network's watcher
 * (src/chain/watcher.ts); the intent's side of that is src/intents/chain-watch.ts.
 */
import { type Address, getAddress, type Hex, isAddress, verifyTypedData } from 'viem';
import { ChainUnavailable, type ChainReader } from '../chain/port.js';
import { chainsConfig, newChainReader } from '../chain/registry.js';
import { relayer } from '../chain/relayer.js';
import type { DepositPermit } from '../domain/escrow.js';
import { isEscrowed, nextEscrowPoll } from '../domain/escrow-intent.js';
import { chainWatcher, type DeliveryAck, refundSubscriber, type WatchDelivery } from '../chain/watcher.js';
import { projectIntent } from '../db/intents.js';
import { SHARD_BEFORE_SPLIT, shardDatabase } from '../db/shards.js';
import { assertSignable, watchRequest } from '../domain/crypto-intent.js';
import { createDebitIntent, type DebitCreateParams, type DebitReport, ignoredReport } from '../domain/debit-intent.js';
import { paymentTypedData } from '../domain/crypto.js';
import { awaitsTransfer, refundWatchChanges } from '../domain/crypto-refunds.js';
import { freshIds } from '../lib/ids.js';
import { DomainError, type DomainErrorData, invalid, noSuchIntent } from '../domain/errors.js';
import type { Command, ConfirmCommand, CreateParams, Decision, PaymentError, PaymentIntent } from '../domain/intent.js';
import { createPaymentIntent, decide, depositToAllocate } from '../domain/payment-intent.js';
import {
  ALARM_ORIGIN,
  createShellTables,
  DurableEntity,
  type EventRow,
  idempotencyKeysMigration,
  type KeyedRequest,
  type KeyLookup,
  type KeyRow,
  type Migration,
  type Origin,
  type TimerHandlers,
} from '../durable/entity.js';
import { type Env, readSettings } from '../env.js';
import { logError, logInfo, logWarn } from '../lib/log.js';
import { fixedLengthSecretsEqual } from '../lib/secrets.js';
import type { WebhookMessage } from '../webhooks/messages.js';
import { isFinal, LIVE_CLOSE, LIVE_SOCKET_CAP, type LiveAttachment, readLiveRequest, renderLive } from './live-status.js';
import { sessionObject } from '../checkout/session-stub.js';
import { allocateDeposit, reserveDeposit, watcherMigration, watchMigration, watchRewindMigration } from './chain-watch.js';
import { depositSignatureValid, escrowSend, readEscrowState, sentOrSettled } from './escrow-watch.js';
import { serializeEventRow, subjectAttributes } from './events.js';
import { parseRecord, partialToRecord, serializeRecord } from './record.js';

/** Who is asking: the merchant and mode of the API key, the merchant's shard, and the request (with its Idempotency-Key, if any). */
export interface Caller {
  merchantId: string;
  livemode: boolean;
  /** The merchant's shard (src/db/shards.ts): a new intent keeps it and projects there for good. */
  shard: string;
  requestId: string;
  idempotency: { key: string; fingerprint: string } | null;
}

export type Owner = Pick<Caller, 'merchantId' | 'livemode'>;

/** A command's answer as it crosses the RPC boundary: plain data, the error as DomainErrorData; `replayed` when kept for its key and given again. */
export type Answer =
  | { ok: true; intent: PaymentIntent; paymentError: PaymentError | null; replayed?: true }
  /** `intent` is the intent as it is now, when the caller may see it. */
  | { ok: false; error: DomainErrorData; intent: PaymentIntent | null; replayed?: true };

/** What a command's caller gets: the answer, or the Idempotency-Key's refusal. */
export type CommandResult =
  | Answer
  /**
   * The Idempotency-Key was used with other parameters, or its request is still running here; or
   * (`expired`, a create only) this object's intent was made under the key, which has expired since:
   * the create goes on to the key's next id.
   */
  | { ok: false; idempotency: 'reused' | 'in_flight' | 'expired' };

/** An intent's event as the object stores it (read by tests and support tooling). */
export interface StoredEvent {
  id: string;
  seq: number;
  type: string;
  created: number;
  requestId: string | null;
  idempotencyKey: string | null;
  /** JSON of the domain fields with their values before the change; amounts as digit strings. */
  previousAttributes: string;
  object: PaymentIntent;
  projected: boolean;
  queued: boolean;
}

/** `checkout`: tell the intent's Checkout Session where the intent is now (it completes or expires on it). */
type IntentTimer =
  | 'settle'
  | 'watch'
  | 'checkout'
  | 'refund'
  | 'dispute'
  | 'settlement'
  | 'escrow'
  | 'escrow_release'
  | 'escrow_refund'
  | 'escrow_deposit';

/** The statuses a Checkout Session's intent tells its session of. */
const CHECKOUT_ENDS: readonly PaymentIntent['status'][] = ['succeeded', 'requires_capture', 'canceled'];

/** The caller may not see this intent, or there is none: the seam names the id it asked for. */
const NOT_FOUND: Answer = { ok: false, error: noSuchIntent('').toData(), intent: null };

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description:
      'the shell tables; an object written before the shell (tables intent, events with rendered bodies, timers keyed by kind) is brought over',
    up: (sql) => (hasTable(sql, 'intent') ? adoptPreShellLayout(sql) : createShellTables(sql)),
  },
  watchMigration(2),
  watchRewindMigration(3),
  {
    version: 4,
    description:
      "the intent's shard, the read model it projects to; an object from before shards projected to the single database, now SHARD_0",
    up: (sql) => {
      sql.exec('CREATE TABLE placement (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), shard TEXT NOT NULL)');
      sql.exec('INSERT INTO placement (singleton, shard) SELECT 1, ? FROM state', SHARD_BEFORE_SPLIT);
    },
  },
  watcherMigration(5),
  idempotencyKeysMigration(6),
];

export class PaymentIntentObject extends DurableEntity<PaymentIntent, IntentTimer> {
  private readonly readers = new Map<string, ChainReader>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // A live socket's keep-alive is answered without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
  }

  // --- live status (src/intents/live-status.ts) ---------------------------------------------

  /**
   * Opens a live status socket (the only fetch this object answers; the seam checked the Upgrade).
   * The caller must own the intent and, unless it is the merchant's secret key, show the client
   * secret: otherwise a 404, exactly as for an unknown intent, and no socket.
   */
  override async fetch(request: Request): Promise<Response> {
    const live = readLiveRequest(request);
    const intent = live && this.owned(live) ? this.current : null;
    if (!live || !intent) return new Response(null, { status: 404 });
    if (live.clientSecret !== null && !fixedLengthSecretsEqual(live.clientSecret, intent.clientSecret)) {
      return new Response(null, { status: 404 });
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    if (this.ctx.getWebSockets().length >= LIVE_SOCKET_CAP) {
      server.accept();
      server.close(LIVE_CLOSE.full.code, LIVE_CLOSE.full.reason);
      return new Response(null, { status: 101, webSocket: client });
    }
    const attachment: LiveAttachment = { wire: live.wire };
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment(attachment);
    server.send(renderLive(intent, attachment, this.baseUrl()));
    if (isFinal(intent)) server.close(LIVE_CLOSE.final(intent).code, LIVE_CLOSE.final(intent).reason);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** `ping` is answered by the auto-response; anything else a browser sends is ignored. */
  override async webSocketMessage(): Promise<void> {}

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code, reason);
    } catch {
      // Already closed, or a code (1005, 1006) that cannot be sent back.
    }
  }

  /** Every open socket gets the change, committed and durable; a final status closes them. */
  protected override committed(state: PaymentIntent): void {
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) return;
    const baseUrl = this.baseUrl();
    for (const ws of sockets) {
      try {
        ws.send(renderLive(state, ws.deserializeAttachment() as LiveAttachment, baseUrl));
        if (isFinal(state)) ws.close(LIVE_CLOSE.final(state).code, LIVE_CLOSE.final(state).reason);
      } catch (error) {
        // A socket going away as we send: the browser reconnects or falls back to polling.
        logWarn('live status push failed', { intent: state.id, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  private baseUrl(): string {
    return readSettings(this.env).publicBaseUrl;
  }

  // --- RPC -----------------------------------------------------------------------------------

  async create(
    caller: Caller,
    ids: { id: string; clientSecret: string },
    params: CreateParams,
    confirm?: ConfirmCommand,
  ): Promise<CommandResult> {
    const request = keyedRequest(caller);
    return this.once(request, answeredAlready, () =>
      this.serialized(async () => {
        const now = Date.now();
        const kept = request && this.lookUpKey(request, now);
        if (kept && kept.kind !== 'new') return answeredAlready(kept);
        if (this.current) {
          // An id made from a key is taken only by that key's create, answered above until it expired.
          if (request) return { ok: false, idempotency: 'expired' };
          return refused(invalid('parameter_invalid', 'id', `A PaymentIntent with id ${ids.id} already exists.`), null);
        }
        return this.createNow(caller, request, ids, params, confirm, now);
      }),
    );
  }

  private async createNow(
    caller: Caller,
    request: KeyedRequest | null,
    ids: { id: string; clientSecret: string },
    params: CreateParams,
    confirm: ConfirmCommand | undefined,
    now: number,
  ): Promise<CommandResult> {
    let decision: Decision;
    try {
      const reserved = params.reserveDeposit ? await reserveDeposit(this.env.DIRECTORY, caller.merchantId) : null;
      decision = createPaymentIntent({ ...ids, merchantId: caller.merchantId, livemode: caller.livemode }, params, now, reserved);
      if (confirm) {
        const created = decision;
        const prepared = await this.prepare(created.state, confirm);
        const confirmed = decide(created.state, prepared, now, readSettings(this.env), freshIds(now));
        // payment_intent.created shows the intent as created, the confirm's events as confirmed.
        const createdEvents = created.events.map((e) => ({ ...e, snapshot: created.state }));
        decision = { ...confirmed, events: [...createdEvents, ...confirmed.events] };
      }
    } catch (error) {
      if (error instanceof DomainError) return this.refuse(request, refused(error, null), now);
      throw error;
    }
    return this.commitDecision(decision, originOf(caller), now, request, () =>
      this.sql.exec('INSERT INTO placement (singleton, shard) VALUES (1, ?)', caller.shard),
    );
  }

  /**
   * A mandate's report on its period's debit (src/intents/debits.ts): the first creates the intent
   * (its owner and shard from the mandate), every one is applied by the domain. Reports are
   * retried by the mandate's alarms: the same one again changes nothing. A late or contradicting one
   * is ignored with a warning, never refused: the mandate's schedule must not stall on its intent.
   */
  async reportDebit(
    owner: Owner & { shard: string },
    ids: { id: string; clientSecret: string },
    params: DebitCreateParams,
    report: DebitReport,
    requestId: string | null,
  ): Promise<PaymentIntent> {
    return this.serialized(async () => {
      const now = Date.now();
      const origin: Origin = { requestId, idempotencyKey: null };
      const intent = this.current;
      if (!intent) {
        const created = createDebitIntent({ ...ids, ...owner }, params, now);
        const reported = decide(created.state, { type: 'debit_reported', report }, now, readSettings(this.env), freshIds(now));
        // payment_intent.created shows the intent as created, the report's event as reported.
        const decision = { ...reported, events: [...created.events.map((e) => ({ ...e, snapshot: created.state })), ...reported.events] };
        await this.commitDecision(decision, origin, now, null, () =>
          this.sql.exec('INSERT INTO placement (singleton, shard) VALUES (1, ?)', owner.shard),
        );
        return decision.state;
      }
      if (!this.owned(owner) || intent.debit?.mandate !== params.debit.mandate || intent.debit.period !== params.debit.period) {
        throw new Error(`${intent.id} is not debit ${params.debit.period} of ${params.debit.mandate}`);
      }
      const ignored = ignoredReport(intent, report);
      if (ignored !== null) {
        logWarn('debit report ignored', {
          intent: intent.id,
          mandate: params.debit.mandate,
          period: params.debit.period,
          report: report.kind,
          status: intent.status,
          why: ignored,
        });
        return intent;
      }
      const answer = await this.run({ type: 'debit_reported', report }, origin);
      if (!answer.ok) throw new Error(`debit report refused: ${answer.error.code}`);
      return answer.intent;
    });
  }

  /** The intent, if it belongs to this merchant and mode; otherwise null, exactly as if it did not exist. */
  async retrieve(caller: Owner): Promise<PaymentIntent | null> {
    return this.owned(caller) ? this.current : null;
  }

  /**
   * The intent for anyone who knows its id (Finternet's public lookup, and its 403 for another
   * merchant's intent): the family that asks decides what of it a stranger sees.
   */
  async lookUpById(): Promise<PaymentIntent | null> {
    return this.current;
  }

  /** The intent, for a browser holding its client secret and a publishable key of the same merchant and mode. */
  async retrieveWithClientSecret(caller: Owner, clientSecret: string): Promise<PaymentIntent | null> {
    if (!this.owned(caller) || !this.current) return null;
    return fixedLengthSecretsEqual(clientSecret, this.current.clientSecret) ? this.current : null;
  }

  /** A client secret shown (by a browser, or passed along by the merchant) is this intent's; null: none shown. */
  private secretMatches(clientSecret: string | null): boolean {
    return clientSecret === null || (this.current !== null && fixedLengthSecretsEqual(clientSecret, this.current.clientSecret));
  }

  /**
   * A command of the intent's owner, or with `clientSecret` of a browser holding the intent's client
   * secret (a wrong one is answered as an unknown intent, before any kept answer is replayed). Under an Idempotency-Key its answer, refusals included, is
   * kept here with the change (an unknown or another merchant's intent keeps nothing: a 404 is not
   * this object's to remember).
   */
  async execute(caller: Caller, command: Command, clientSecret: string | null = null): Promise<CommandResult> {
    if (!this.owned(caller) || !this.secretMatches(clientSecret)) return NOT_FOUND;
    const request = keyedRequest(caller);
    return this.once(request, answeredAlready, () =>
      this.serialized(async () => {
        const intent = this.owned(caller) && this.secretMatches(clientSecret) ? this.current : null;
        if (!intent) return NOT_FOUND;
        const now = Date.now();
        const kept = request && this.lookUpKey(request, now);
        if (kept && kept.kind !== 'new') return answeredAlready(kept);
        let prepared: Command;
        try {
          prepared = await this.prepare(intent, command);
        } catch (error) {
          if (error instanceof DomainError) return this.refuse(request, refused(error, intent), now);
          throw error;
        }
        return this.run(prepared, originOf(caller), request);
      }),
    );
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
      const intent = this.owned(caller) ? this.current : null;
      const secretOk =
        input.clientSecret === undefined
          ? !input.publishable
          : intent !== null && fixedLengthSecretsEqual(input.clientSecret, intent.clientSecret);
      if (!intent || !secretOk) return NOT_FOUND;
      let c: ReturnType<typeof assertSignable>;
      try {
        c = assertSignable(intent);
      } catch (error) {
        if (error instanceof DomainError) return refused(error, intent);
        throw error;
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
        return refused(
          invalid(
            'parameter_invalid',
            'signature',
            `The signature was not made by ${input.signer} over this PaymentIntent's typed data (next_action.crypto_transfer.typed_data).`,
          ),
          intent,
        );
      }
      const signature = { signer: getAddress(input.signer), signature: input.signature.toLowerCase(), verifiedAt: Date.now() };
      return this.run({ type: 'record_signature', signature }, originOf(caller));
    });
  }

  /** The intent behind a 3-D Secure challenge link, if the token is the one currently pending. */
  async challenge(token: string): Promise<PaymentIntent | null> {
    const action = this.current?.nextAction;
    const pending = action?.type === 'redirect_to_url' ? action.challengeToken : undefined;
    if (!pending || !fixedLengthSecretsEqual(token, pending)) return null;
    return this.current;
  }

  async completeChallenge(token: string, outcome: 'succeeded' | 'failed', requestId: string): Promise<CommandResult> {
    return this.serialized(async () => {
      const intent = await this.challenge(token);
      if (!intent) return NOT_FOUND;
      return this.run({ type: 'complete_challenge', outcome }, { requestId, idempotencyKey: null });
    });
  }

  /** Events recorded for this intent, oldest first. */
  async events(caller: Owner): Promise<StoredEvent[]> {
    if (!this.owned(caller)) return [];
    return this.storedEvents().map((r) => ({
      id: r.id,
      seq: r.seq,
      type: r.type,
      created: r.created,
      requestId: r.request_id,
      idempotencyKey: r.idempotency_key,
      previousAttributes: r.previous_attributes,
      object: parseRecord(r.object),
      projected: r.projected === 1,
      queued: r.queued === 1,
    }));
  }

  // --- the entity's hooks --------------------------------------------------------------------

  protected migrations(): readonly Migration[] {
    return MIGRATIONS;
  }

  protected serialize(state: PaymentIntent): string {
    return serializeRecord(state);
  }

  protected parse(record: string): PaymentIntent {
    return parseRecord(record);
  }

  protected async project(state: PaymentIntent, events: EventRow[], keys: KeyRow[]): Promise<void> {
    await projectIntent(
      shardDatabase(this.env, this.shard()),
      state,
      events.map((r) => ({ id: r.id, sequence: r.seq, type: r.type, createdAt: r.created, canonical: serializeEventRow(r) })),
      keys.map((k) => ({ key: k.key, fingerprint: k.fingerprint, createdAt: k.created_at, expiresAt: k.expires_at })),
    );
  }

  protected outboxMessages(state: PaymentIntent, events: EventRow[]): WebhookMessage[] {
    return events.map((r) => ({
      kind: 'event',
      shard: this.shard(),
      eventId: r.id,
      merchantId: state.merchantId,
      livemode: state.livemode,
      notificationUrl: state.notificationUrl,
      canonical: serializeEventRow(r),
    }));
  }

  protected timerHandlers(): TimerHandlers<IntentTimer> {
    return {
      settle: async () => {
        await this.run({ type: 'settle' }, ALARM_ORIGIN);
      },
      // Keyed by a crypto refund's id for its destination's watch; unkeyed for the deposit address.
      watch: (timer) => (timer.key ? this.syncRefundWatch(timer.key) : this.syncWatch()),
      checkout: () => this.tellCheckoutSession(),
      // Keyed by the refund's or dispute's id: several may be due.
      refund: async (timer) => {
        await this.run({ type: 'settle_refund', refundId: timer.key }, ALARM_ORIGIN);
      },
      dispute: async (timer) => {
        await this.run({ type: 'decide_dispute', disputeId: timer.key }, ALARM_ORIGIN);
      },
      // The off-ramp simulator's step (src/domain/settlement.ts).
      settlement: async () => {
        await this.run({ type: 'advance_settlement' }, ALARM_ORIGIN);
      },
      // An escrowed intent (src/domain/escrow-intent.ts): its poll of the contract, and the relayer's transactions.
      escrow: () => this.pollEscrow(),
      escrow_release: () => this.sendEscrow('release'),
      escrow_refund: (timer) => this.sendEscrow('refund', timer.key),
      escrow_deposit: () => this.sendEscrow('deposit'),
    };
  }

  protected logFields(): Record<string, unknown> {
    return { intent: this.current?.id ?? null };
  }

  // --- the shell's use -----------------------------------------------------------------------

  private async run(command: Command, origin: Origin, request: KeyedRequest | null = null): Promise<Answer> {
    const intent = this.current;
    if (!intent) return NOT_FOUND;
    const now = Date.now();
    let decision: Decision;
    try {
      decision = decide(intent, command, now, readSettings(this.env), freshIds(now));
    } catch (error) {
      if (error instanceof DomainError) return this.refuse(request, refused(error, intent), now);
      throw error;
    }
    if (decision.state === intent) {
      const unchanged: Answer = { ok: true, intent, paymentError: null };
      return request ? this.refuse(request, unchanged, now) : unchanged;
    }
    return this.commitDecision(decision, origin, now, request);
  }

  /** Commits the decision; under a key, its answer is kept in the same transaction (with `alsoWrite`'s rows). */
  private async commitDecision(
    decision: Decision,
    origin: Origin,
    now: number,
    request: KeyedRequest | null,
    alsoWrite?: () => void,
  ): Promise<Answer> {
    const events = decision.events.map((e) => ({
      type: e.type,
      previousAttributes: JSON.stringify(e.subject ? subjectAttributes(e.subject) : partialToRecord(e.previousAttributes)),
      snapshot: e.snapshot,
    }));
    const result: Answer = { ok: true, intent: decision.state, paymentError: decision.paymentError };
    await this.commit(
      decision.state,
      events,
      [...decision.timers, ...checkoutTimer(this.current, decision.state, now), ...refundWatchTimers(this.current, decision.state, now)],
      origin,
      now,
      request ? { request, body: encodeAnswer(result) } : undefined,
      alsoWrite,
    );
    return result;
  }

  /** An answer that changed nothing (a refusal, or a command with nothing to do): kept for its key, if any. */
  private async refuse(request: KeyedRequest | null, result: Answer, now: number): Promise<Answer> {
    if (request) await this.recordAnswer(request, encodeAnswer(result), now);
    return result;
  }

  /**
   * A confirmation that hands out a deposit address gets it here, the chain's head read first: a
   * crypto intent's first, or one where the payer chooses crypto (src/domain depositToAllocate).
   */
  private async prepare(intent: PaymentIntent, command: Command): Promise<Command> {
    if (command.type === 'refund') return this.prepareRefund(intent, command);
    if (command.type !== 'confirm') return command;
    const paying = depositToAllocate(intent, command);
    if (!paying?.crypto) return command;
    return { ...command, deposit: await allocateDeposit(this.env.DIRECTORY, paying, this.chainReader(paying.crypto.network)) };
  }

  /**
   * A refund of a crypto intent is a crypto refund: only transfers after the chain's head now pay
   * it, so the head is read first (an unreachable chain refuses the refund rather than open one
   * whose start nobody knows).
   */
  private async prepareRefund(intent: PaymentIntent, command: Extract<Command, { type: 'refund' }>): Promise<Command> {
    const network = intent.crypto?.network;
    if (network === undefined || intent.crypto?.depositAddress === null) return command;
    const reader = this.chainReader(network);
    if (!reader) {
      throw invalid(
        'parameter_invalid',
        'crypto.network',
        `The network ${network} of this PaymentIntent is no longer configured on this deployment.`,
      );
    }
    let head: bigint;
    try {
      head = await reader.head();
    } catch (error) {
      if (!(error instanceof ChainUnavailable)) throw error;
      logError('chain unavailable at refund', { intent: intent.id, network, fault: error.fault }, error);
      throw new DomainError({
        code: 'chain_unavailable',
        detail: `The ${network} network cannot be read right now, so no refund was opened. Retry shortly.`,
      });
    }
    return { ...command, params: { ...command.params, head } };
  }

  /**
   * Brings the watch of a crypto refund's destination in line with the refund: registered while it
   * waits for its transfer (from the block after its creation), unregistered once it succeeded or
   * was canceled. Idempotent on the watcher; a failure throws and the shell retries the timer.
   */
  private async syncRefundWatch(refundId: string): Promise<void> {
    const intent = this.current!;
    const c = intent.refunds.find((r) => r.id === refundId)?.crypto;
    if (!c) return;
    const refund = intent.refunds.find((r) => r.id === refundId)!;
    const watcher = chainWatcher(this.env, c.network);
    const subscriber = refundSubscriber(intent.id, refundId);
    if (awaitsTransfer(refund)) {
      await watcher.watch(c.network, {
        subscriber,
        address: c.destination as Address,
        token: c.token.address as Address | null,
        fromBlock: c.fromBlock + 1n,
        confirmations: c.confirmationsRequired,
        until: null,
        notifyAt: null,
      });
    } else {
      await watcher.unwatch(c.network, subscriber, c.destination as Address, c.token.address as Address | null);
    }
  }

  /**
   * What the network's watcher saw at a crypto refund's destination: the domain decides whether a
   * transfer pays the refund. A chain that went backwards past the watcher changes nothing (the
   * watcher delivers again once it has scanned again). The answer tells the watcher whether the
   * refund still waits for its transfer.
   */
  async refundObserved(refundId: string, delivery: WatchDelivery): Promise<DeliveryAck> {
    if (delivery.kind === 'mandate_logs') return { watching: false };
    return this.serialized(async () => {
      const intent = this.current;
      const refund = intent?.refunds.find((r) => r.id === refundId);
      const c = refund?.crypto;
      if (
        !intent ||
        !refund ||
        !c ||
        !awaitsTransfer(refund) ||
        c.network !== delivery.network ||
        c.destination.toLowerCase() !== delivery.address.toLowerCase() ||
        (c.token.address?.toLowerCase() ?? null) !== (delivery.token?.toLowerCase() ?? null)
      ) {
        return { watching: false };
      }
      if (delivery.kind === 'behind') {
        logWarn('chain went back past the refund watch; the refund waits for it', {
          intent: intent.id,
          refund: refundId,
          network: c.network,
          head: delivery.head.toString(),
          lastRead: delivery.lastRead.toString(),
        });
        return { watching: true };
      }
      const transfers = delivery.transfers.map((t) => ({ ...t, to: delivery.address }));
      const outcome = await this.run(
        { type: 'refund_observed', refundId, transfers, head: delivery.head, observedAt: delivery.observedAt },
        ALARM_ORIGIN,
      );
      if (!outcome.ok) {
        logError(
          'refund observation refused',
          { intent: intent.id, refund: refundId, code: outcome.error.code },
          new Error(outcome.error.detail ?? outcome.error.code),
        );
      }
      const now = this.current!.refunds.find((r) => r.id === refundId);
      return { watching: now !== undefined && awaitsTransfer(now) };
    });
  }

  /**
   * Brings the network watcher's registration in line with the intent: registered while it waits
   * and through its late-funds window, unregistered after. Idempotent on the watcher; a failure
   * throws, and the shell retries the timer with back-off until the watcher has it.
   */
  private async syncWatch(): Promise<void> {
    const intent = this.current!;
    const c = intent.crypto;
    if (!c || c.depositAddress === null) return;
    const watcher = chainWatcher(this.env, c.network);
    const subscriber = { kind: 'payment_intent' as const, id: intent.id };
    const request = watchRequest(intent, Date.now());
    if (request) {
      await watcher.watch(c.network, {
        subscriber,
        address: request.address as Address,
        token: request.token as Address | null,
        fromBlock: request.fromBlock,
        confirmations: request.confirmations,
        until: request.until,
        notifyAt: request.notifyAt,
      });
    } else {
      await watcher.unwatch(c.network, subscriber, c.depositAddress as Address, c.token.address as Address | null);
    }
  }

  /**
   * What the network's watcher saw for the deposit address: the domain decides what it means. A
   * chain that went backwards past the watcher (reset, a deep reorg, a node far behind) changes
   * nothing: one warning, and the watcher delivers again once it has scanned the chain again.
   * The answer tells the watcher whether the intent still needs watching.
   */
  async chainObserved(delivery: WatchDelivery): Promise<DeliveryAck> {
    // A mandate's logs are never an intent's: a watch that says so is dropped.
    if (delivery.kind === 'mandate_logs') return { watching: false };
    return this.serialized(async () => {
      const intent = this.current;
      const c = intent?.crypto;
      if (!intent || !c || c.network !== delivery.network || c.depositAddress !== delivery.address || c.token.address !== delivery.token) {
        return { watching: false };
      }
      if (delivery.kind === 'behind') {
        logWarn('chain went back past the watch; the intent waits for it', {
          intent: intent.id,
          network: c.network,
          head: delivery.head.toString(),
          lastRead: delivery.lastRead.toString(),
          rescanFrom: delivery.rescanFrom.toString(),
          detail:
            `The head of ${c.network} (block ${delivery.head}) is below block ${delivery.lastRead}, the last one its watcher read: ` +
            'the chain was reset, a deep reorg replaced blocks, or the node is far behind. Nothing about the intent changes meanwhile ' +
            `(nothing counted or taken back, no expiry). Once the chain is past block ${delivery.lastRead} again, it is scanned again ` +
            `from block ${delivery.rescanFrom} and what is on chain then counts.`,
        });
        return { watching: true };
      }
      if (delivery.rescanned) {
        logInfo('chain back past the watch; scanned again', {
          intent: intent.id,
          network: c.network,
          from: delivery.rescanned.from.toString(),
          lastRead: delivery.rescanned.lastRead.toString(),
          waitedMs: Date.now() - delivery.rescanned.since,
        });
      }
      const outcome = await this.run(
        { type: 'chain_observed', transfers: delivery.transfers, head: delivery.head, observedAt: delivery.observedAt },
        ALARM_ORIGIN,
      );
      if (!outcome.ok) {
        logError(
          'chain observation refused',
          { intent: intent.id, code: outcome.error.code },
          new Error(outcome.error.detail ?? outcome.error.code),
        );
      }
      return { watching: watchRequest(this.current!, Date.now()) !== null };
    });
  }

  /**
   * The escrow poll (the `escrow` timer; at least once, idempotent): reads what the contract says
   * now, lets the domain decide, and sets the next poll — at the network's interval while the lock
   * is awaited or a transaction is on its way, at ESCROW_HELD_POLL_MS while it is held — or none
   * once nothing is left to watch. A chain that cannot be read throws: the shell retries with back-off.
   */
  private async pollEscrow(): Promise<void> {
    const intent = this.current!;
    if (!isEscrowed(intent) || intent.crypto.escrow.merchant === null) return;
    const c = intent.crypto;
    const config = chainsConfig(this.env).get(c.network);
    const reader = this.chainReader(c.network);
    if (!config || !reader) {
      logError('escrow poll: network no longer configured', { intent: intent.id, network: c.network }, new Error('network not in CHAINS'));
      return;
    }
    const observation = await readEscrowState(reader, c, () => Date.now());
    const outcome = await this.run(observation, ALARM_ORIGIN);
    if (!outcome.ok) {
      logError(
        'escrow observation refused',
        { intent: intent.id, code: outcome.error.code },
        new Error(outcome.error.detail ?? outcome.error.code),
      );
    }
    const next = nextEscrowPoll(this.current!, Date.now(), config.pollIntervalMs, readSettings(this.env));
    if (next !== null) this.setTimer('escrow', '', next);
  }

  /**
   * Has the relayer send one of the escrow's transactions, written down (the intent's attempt and
   * this timer) before it is sent. The relayer sends an attempt id once, so a repeated alarm sends
   * nothing new; one that would revert (the deposit already ended) is left to the poll to explain.
   */
  private async sendEscrow(kind: 'release' | 'refund' | 'deposit', payer?: string): Promise<void> {
    const intent = this.current!;
    if (!isEscrowed(intent)) return;
    const c = intent.crypto;
    const send = escrowSend(c, kind, payer);
    if (!send) return;
    const sent = sentOrSettled(await relayer(this.env, c.network).send(c.network, { id: send.id, ...send.call }));
    if (sent === 'would_revert') logWarn('escrow transaction would revert; not sent', { intent: intent.id, attempt: send.id });
  }

  /**
   * The payer's EIP-712 Deposit signature over the escrow's terms (signer = payer), with an EIP-2612
   * permit when the payer has given no allowance: verified here, then written down and sent by the
   * relayer (`${pi}:escrow_deposit`), so the payer sends no transaction. With a publishable key the
   * client secret must match, as for a browser lookup.
   */
  async submitEscrowDeposit(
    caller: Caller,
    input: { signature: string; signer: string; permit?: DepositPermit; clientSecret?: string; publishable: boolean },
  ): Promise<CommandResult> {
    return this.serialized(async () => {
      const intent = this.owned(caller) ? this.current : null;
      const secretOk =
        input.clientSecret === undefined
          ? !input.publishable
          : intent !== null && fixedLengthSecretsEqual(input.clientSecret, intent.clientSecret);
      if (!intent || !secretOk) return NOT_FOUND;
      if (isEscrowed(intent) && intent.crypto.escrow.merchant !== null && intent.crypto.escrow.deposit === null) {
        if (!isAddress(input.signer)) {
          return refused(invalid('parameter_invalid', 'signer', '{{signer}} must be an address (0x followed by 40 hex digits).'), intent);
        }
        if (!(await depositSignatureValid(intent.crypto, input.signer, input.signature))) {
          return refused(
            invalid(
              'parameter_invalid',
              'signature',
              `The signature was not made by ${input.signer} over this PaymentIntent's Deposit (next_action.crypto_escrow_deposit.typed_data with payer ${input.signer}).`,
            ),
            intent,
          );
        }
      }
      const deposit = {
        signer: isAddress(input.signer) ? getAddress(input.signer) : input.signer,
        signature: input.signature.toLowerCase(),
        permit: input.permit ?? null,
      };
      return this.run({ type: 'escrow_deposit', deposit }, originOf(caller));
    });
  }

  /** Tells the Checkout Session that made this intent where the intent is (idempotent there; retried with back-off on failure). */
  private async tellCheckoutSession(): Promise<void> {
    const intent = this.current!;
    if (intent.checkoutSession === null) return;
    await sessionObject(this.env, intent.checkoutSession).intentReported({ id: intent.id, status: intent.status, amount: intent.amount });
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

  /** The shard this intent's read model is on, kept in the object since its creation (read locally, never from D1). */
  private shard(): string {
    return this.sql.exec<{ shard: string }>('SELECT shard FROM placement').one().shard;
  }

  private owned(caller: Owner): boolean {
    return this.current !== null && this.current.merchantId === caller.merchantId && this.current.livemode === caller.livemode;
  }

  /**
   * The intent and its owner's shard, for the holder of its client secret alone (the hosted payment
   * page, src/pages/checkout, where the payer has no API key): null for a wrong secret or no intent.
   */
  async forPaymentPage(clientSecret: string): Promise<{ intent: PaymentIntent; shard: string } | null> {
    const intent = this.current;
    if (!intent || !fixedLengthSecretsEqual(clientSecret, intent.clientSecret)) return null;
    return { intent, shard: this.shard() };
  }
}

/** Crypto refunds that started or stopped waiting for their transfer: their destination's watch changes now. */
function refundWatchTimers(before: PaymentIntent | null, after: PaymentIntent, now: number): { kind: 'watch'; key: string; at: number }[] {
  return refundWatchChanges(before, after).map((key) => ({ kind: 'watch', key, at: now }));
}

/** A Checkout Session's intent that reached one of CHECKOUT_ENDS now: its session is told at once. */
function checkoutTimer(before: PaymentIntent | null, after: PaymentIntent, now: number): { kind: 'checkout'; at: number }[] {
  if (after.checkoutSession === null || !CHECKOUT_ENDS.includes(after.status) || before?.status === after.status) return [];
  return [{ kind: 'checkout', at: now }];
}

function refused(error: DomainError, intent: PaymentIntent | null): Answer {
  return { ok: false, error: error.toData(), intent };
}

function keyedRequest(caller: Caller): KeyedRequest | null {
  return caller.idempotency && { merchantId: caller.merchantId, livemode: caller.livemode, ...caller.idempotency };
}

function originOf(caller: Caller): Origin {
  return { requestId: caller.requestId, idempotencyKey: caller.idempotency?.key ?? null };
}

/** A key's kept answer replayed, or why the key cannot run here. */
function answeredAlready(lookup: Exclude<KeyLookup, { kind: 'new' }>): CommandResult {
  if (lookup.kind === 'recorded') return decodeAnswer(lookup.answer);
  return { ok: false, idempotency: lookup.kind };
}

/**
 * A key's answer as kept: the outcome in the domain's terms (the intent in its stored form), not a
 * family's wire. A replay is rendered again by the family that asks, the same way as the first
 * answer, so a rendering change reaches replays too (as it reaches retrieves).
 */
function encodeAnswer(result: Answer): string {
  const intent = result.intent && serializeRecord(result.intent);
  return JSON.stringify(result.ok ? { ok: true, intent, paymentError: result.paymentError } : { ok: false, error: result.error, intent });
}

function decodeAnswer(answer: string): Answer {
  const kept = JSON.parse(answer) as
    | { ok: true; intent: string; paymentError: PaymentError | null }
    | { ok: false; error: DomainErrorData; intent: string | null };
  if (kept.ok) return { ok: true, intent: parseRecord(kept.intent), paymentError: kept.paymentError, replayed: true };
  return { ok: false, error: kept.error, intent: kept.intent === null ? null : parseRecord(kept.intent), replayed: true };
}

function hasTable(sql: SqlStorage, name: string): boolean {
  return sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`, name).toArray().length > 0;
}

/**
 * Objects written before the shell had the tables `intent` (the record), `events` (with the
 * rendered Stripe body, the idempotency key only inside it) and `timers` (one per kind). The state
 * and the canonical fields of each event are kept; the rendered body is dropped (families render
 * from the canonical event); timers get the key ''.
 */
function adoptPreShellLayout(sql: SqlStorage): void {
  sql.exec(`
    ALTER TABLE events RENAME TO events_before_shell;
    ALTER TABLE timers RENAME TO timers_before_shell;
  `);
  createShellTables(sql);
  sql.exec(`
    INSERT INTO state (singleton, record) SELECT singleton, record FROM intent;
    INSERT INTO events (seq, id, type, created, request_id, idempotency_key, previous_attributes, object, projected, queued)
      SELECT seq, id, type, created, request_id, json_extract(body, '$.request.idempotency_key'), previous_attributes, object, projected, queued
      FROM events_before_shell;
    INSERT INTO timers (kind, key, due_at, attempts) SELECT kind, '', due_at, attempts FROM timers_before_shell;
    DROP TABLE intent;
    DROP TABLE events_before_shell;
    DROP TABLE timers_before_shell;
  `);
}
