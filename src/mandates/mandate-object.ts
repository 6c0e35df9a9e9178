/**
 * One Durable Object per mandate (issue 13): the mandate's state machine (src/domain/mandate.ts) in the
 * durable shell (src/durable/entity.ts), its only writer, and the schedule of its debits. Named by its
 * id, which comes from where it lives on chain (src/lib/ids.ts `mandateIdOf`).
 *
 * Timers (rows; one alarm for the earliest):
 *   register: sends `authorize` through the relayer (attempt `${id}:authorize`) and polls it to final;
 *   schedule: the debit schedule's run, at the due time (see `run`); it also follows an attempt in flight;
 *   cancel:   sends the merchant's `cancel` through the relayer (attempt `${id}:cancel`) and polls it;
 *   watch:    asks the network's chain watcher for the mandate's Debited / MandateCancelled logs once
 *             registered (src/chain/watcher.ts), and drops the watch once the mandate is closed;
 *   report:   tells each period's debit intent what happened (src/intents/debits.ts), in order, retried
 *             with back-off on its own so a failing report never holds the schedule up.
 *
 * The object's own rows, written in the commits' transactions:
 *   attempts: every debit attempt `${id}:p${period}:a${n}`, written down before it is sent. An open one
 *     is only ever sent again under the same id (the relayer sends an id once), so an eviction between
 *     the commit and the send, or a duplicate alarm, never debits twice;
 *   periods:  the periods whose intent was told something (retries, last failure, closed);
 *   reports:  the reports not yet delivered.
 *
 * Time: periods are counted in the chain's clock (the latest block's timestamp: anvil's can be moved),
 * alarms in the worker's; a due time on chain becomes an alarm at now + (due − chain now).
 */
import type { Address, Hex } from 'viem';
import { chainsConfig } from '../chain/registry.js';
import { relayer, relayerAccount, type RelayedTransaction } from '../chain/relayer.js';
import { chainWatcher } from '../chain/watcher.js';
import { projectMandate } from '../db/mandates.js';
import { shardDatabase } from '../db/shards.js';
import {
  type CancellationSource,
  type DebitDone,
  type DebitRequest,
  isClosed,
  type Mandate,
  type MandateEventType,
  nextRequest,
  periodAt,
  periodEnd,
  registered,
  registrationFailed,
  shortRetryDelayMs,
  withCancel,
  withDebit,
  withFunds,
  withRequest,
  withRequestFailed,
  withShortfall,
} from '../domain/mandate.js';
import {
  ALARM_ORIGIN,
  createShellTables,
  DurableEntity,
  type EventRow,
  type Migration,
  type Origin,
  type TimerHandlers,
} from '../durable/entity.js';
import { type DebitIntentRef, type DebitReport, debitIntentId, reportDebit } from '../intents/debits.js';
import { serializeEventRow } from '../intents/events.js';
import type { Caller } from '../intents/intent-object.js';
import { newId } from '../lib/ids.js';
import { logInfo, logWarn } from '../lib/log.js';
import type { WebhookMessage } from '../webhooks/messages.js';
import { authorizeData, cancelData, debitData, MandateChain, type SignedTerms } from './chain.js';
import { parseMandate, serializeMandate } from './record.js';

type MandateTimer = 'register' | 'schedule' | 'cancel' | 'report' | 'watch';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'the shell tables; debit attempts, the periods told to their intents, the reports not yet delivered',
    up: (sql) => {
      createShellTables(sql);
      sql.exec(`
        CREATE TABLE attempts (
          id TEXT PRIMARY KEY,
          period INTEGER NOT NULL,
          n INTEGER NOT NULL,
          amount TEXT NOT NULL,
          request_id TEXT,
          state TEXT NOT NULL DEFAULT 'open',
          sent INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL
        );
        CREATE TABLE periods (
          period INTEGER PRIMARY KEY,
          amount TEXT NOT NULL,
          request_id TEXT,
          retries INTEGER NOT NULL DEFAULT 0,
          last_code TEXT,
          closed INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE reports (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          period INTEGER NOT NULL,
          amount TEXT NOT NULL,
          body TEXT NOT NULL
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      `);
    },
  },
];

interface AttemptRow {
  [column: string]: SqlStorageValue;
  id: string;
  period: number;
  n: number;
  amount: string;
  request_id: string | null;
  state: string;
  sent: number;
}

interface PeriodRow {
  [column: string]: SqlStorageValue;
  period: number;
  amount: string;
  request_id: string | null;
  retries: number;
  last_code: string | null;
  closed: number;
}

/** Why a command was refused, as data (an Error does not cross the RPC boundary with its fields). */
export type MandateCommandAnswer<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      code: 'resource_missing' | 'parameter_invalid' | 'mandate_unexpected_state';
      message: string;
      param?: string;
      status?: Mandate['status'];
    };

/** The watcher's delivery of the mandate's logs (src/chain/watcher.ts, watcher-logs); only its kind is read here. */
export interface MandateLogsDelivery {
  kind: 'mandate_logs';
  network: string;
  onchainId: string;
  logs: readonly { event: 'Debited' | 'MandateCancelled'; confirmations: number }[];
}

export class MandateObject extends DurableEntity<Mandate, MandateTimer> {
  private chainClient: MandateChain | undefined;
  /** The last schedule runs (memory only, newest last): what each did and its RPC calls, for measuring. */
  readonly runs: { did: string; calls: number }[] = [];
  private did = '';

  // --- RPC -----------------------------------------------------------------------------------

  /**
   * Creates the mandate (registering, mandate.created) and arms its registration, or, when it exists
   * (the same signature subscribed again), answers with it as it is.
   */
  async create(mandate: Mandate, requestId: string): Promise<Mandate> {
    return this.serialized(async () => {
      if (this.current) return this.current;
      const now = Date.now();
      await this.commit(
        mandate,
        [{ type: 'mandate.created', previousAttributes: '{}' }],
        [{ kind: 'register', at: now }],
        origin(requestId),
        now,
      );
      return mandate;
    });
  }

  /** The mandate, if this merchant and mode own it; otherwise null, exactly as if it did not exist. */
  async retrieve(owner: Pick<Caller, 'merchantId' | 'livemode'>): Promise<Mandate | null> {
    return this.owned(owner) ? this.current : null;
  }

  /**
   * The merchant's cancel: canceled at once (no debit is sent after this commit), the period's intent
   * closed, and the relayer's `cancel` sent by the `cancel` timer. Already canceled: as it is.
   */
  async cancel(caller: Caller): Promise<MandateCommandAnswer<Mandate>> {
    return this.serialized(async () => {
      const m = this.owned(caller) ? this.current : null;
      if (!m) return missing();
      if (m.status === 'canceled') return { ok: true, value: m };
      if (m.status === 'paid' || m.status === 'failed') {
        return {
          ok: false,
          code: 'mandate_unexpected_state',
          message: `This mandate cannot be canceled because it is ${m.status}; only a mandate that is registering, created, recurring or account_balance_too_low can.`,
          status: m.status,
        };
      }
      await this.cancelNow(m, 'merchant', origin(caller.requestId));
      return { ok: true, value: this.current! };
    });
  }

  /** A Dynamic mandate's debit request: pending, paid by the next debit due (this period's if not yet debited). */
  async requestDebit(caller: Caller, amount: bigint): Promise<MandateCommandAnswer<{ mandate: Mandate; request: DebitRequest }>> {
    return this.serialized(async () => {
      const m = this.owned(caller) ? this.current : null;
      if (!m) return missing();
      if (m.pricing !== 'dynamic') {
        return {
          ok: false,
          code: 'mandate_unexpected_state',
          param: 'amount',
          message: 'Debit requests are for Dynamic pricing only: this mandate is Fixed and debits its max amount every period.',
          status: m.status,
        };
      }
      if (isClosed(m)) {
        return {
          ok: false,
          code: 'mandate_unexpected_state',
          message: `This mandate is ${m.status}: it takes no more debit requests.`,
          status: m.status,
        };
      }
      if (amount < 1n || amount > m.maxAmount) {
        return {
          ok: false,
          code: 'parameter_invalid',
          param: 'amount',
          message: `amount must be between 1 and the mandate's max amount (${m.maxAmount}).`,
        };
      }
      const now = Date.now();
      const request: DebitRequest = {
        id: newId('dr', now),
        amount,
        status: 'pending',
        period: null,
        failureCode: null,
        paymentIntent: null,
        created: now,
      };
      const next = withRequest(m, request);
      // Registered: the schedule runs now (it sleeps again if this period is paid already).
      const timers = m.status === 'registering' ? [] : [{ kind: 'schedule' as const, at: now }];
      await this.commit(next, [this.updated(m)], timers, origin(caller.requestId), now);
      return { ok: true, value: { mandate: next, request } };
    });
  }

  /**
   * The chain watcher saw the mandate's Debited or MandateCancelled logs change: the schedule runs now
   * and reads the contract (the logs are a wake-up call; the contract is the truth). Answers whether
   * the mandate still wants its logs.
   */
  async chainObserved(delivery: MandateLogsDelivery): Promise<{ watching: boolean }> {
    return this.serialized(async () => {
      const m = this.current;
      if (!m || delivery.kind !== 'mandate_logs') return { watching: false };
      if (isClosed(m)) return { watching: false };
      if (m.status !== 'registering' && delivery.logs.length > 0) {
        this.setTimer('schedule', '', Date.now());
        await this.armAlarm();
      }
      return { watching: true };
    });
  }

  // --- the entity's hooks --------------------------------------------------------------------

  protected migrations(): readonly Migration[] {
    return MIGRATIONS;
  }

  protected serialize(state: Mandate): string {
    return serializeMandate(state);
  }

  protected parse(record: string): Mandate {
    return parseMandate(record);
  }

  protected async project(state: Mandate, events: EventRow[]): Promise<void> {
    await projectMandate(
      shardDatabase(this.env, state.shard),
      state,
      events.map((r) => ({ id: r.id, sequence: r.seq, type: r.type, createdAt: r.created, canonical: serializeEventRow(r, 'mandate') })),
    );
  }

  protected outboxMessages(state: Mandate, events: EventRow[]): WebhookMessage[] {
    return events.map((r) => ({
      kind: 'event',
      shard: state.shard,
      eventId: r.id,
      merchantId: state.merchantId,
      livemode: state.livemode,
      notificationUrl: null,
      canonical: serializeEventRow(r, 'mandate'),
    }));
  }

  protected timerHandlers(): TimerHandlers<MandateTimer> {
    return {
      register: () => this.register(),
      schedule: async () => {
        const chain = this.chain();
        const before = chain.calls;
        this.did = 'nothing';
        try {
          await this.run();
        } finally {
          this.runs.push({ did: this.did, calls: chain.calls - before });
          if (this.runs.length > 50) this.runs.shift();
        }
      },
      cancel: () => this.sendCancel(),
      report: () => this.deliverReports(),
      watch: () => this.syncWatch(),
    };
  }

  protected logFields(): Record<string, unknown> {
    return { mandate: this.current?.id ?? null, network: this.current?.network ?? null };
  }

  // --- registration --------------------------------------------------------------------------

  private async register(): Promise<void> {
    const m = this.current!;
    if (m.status !== 'registering') return;
    const attemptId = `${m.id}:authorize`;
    let tx: RelayedTransaction | null = await this.relayer().status(attemptId);
    if (!tx) {
      const sent = await this.relayer().send(m.network, {
        id: attemptId,
        to: m.contract as Address,
        data: authorizeData(termsOf(m), m.signature as Hex),
      });
      if (!sent.ok) {
        if (sent.error !== 'transaction_would_revert') throw new Error(`authorize not sent: ${sent.error}: ${sent.message}`);
        // Already registered (MandateExists: the same terms, so the same mandate) or refused for good.
        await this.settleRegistration(null);
        return;
      }
      tx = sent.transaction;
    }
    if (!tx.final) {
      this.setTimer('register', '', Date.now() + this.pollMs());
      return;
    }
    await this.settleRegistration(tx);
  }

  /** The authorize is final (or was never sendable): the contract says whether the mandate is registered. */
  private async settleRegistration(tx: RelayedTransaction | null): Promise<void> {
    const m = this.current!;
    const onchain = await this.chain().mandateOf(m.contract as Address, m.onchainId as Hex);
    const now = Date.now();
    if (!onchain) {
      logWarn('mandate registration failed on chain', { mandate: m.id, network: m.network, status: tx?.status ?? 'would_revert' });
      await this.commit(registrationFailed(m), [this.updated(m)], [], ALARM_ORIGIN, now);
      return;
    }
    const relayerAddress = relayerAccount(this.env)!.address;
    const gas = await this.chain().estimateDebitGas(m.contract as Address, m.onchainId as Hex, m.maxAmount, relayerAddress);
    if (tx?.blockNumber != null) this.setMeta('registered_block', tx.blockNumber.toString());
    await this.commit(
      registered(m, gas),
      [this.updated(m)],
      [
        { kind: 'schedule', at: now },
        { kind: 'watch', at: now },
      ],
      ALARM_ORIGIN,
      now,
    );
  }

  /** The watcher delivers the mandate's logs while it is open (a wake-up for the schedule); a closed one drops its watch. */
  private async syncWatch(): Promise<void> {
    const m = this.current!;
    if (m.status === 'registering') return;
    const watcher = chainWatcher(this.env, m.network);
    const subscriber = { kind: 'mandate' as const, id: m.id };
    if (isClosed(m)) {
      await watcher.unwatchMandate(m.network, subscriber, m.onchainId as Hex);
      return;
    }
    await watcher.watchMandate(m.network, {
      subscriber,
      contract: m.contract as Address,
      onchainId: m.onchainId as Hex,
      fromBlock: this.fromBlock(),
      confirmations: chainsConfig(this.env).get(m.network)?.confirmations ?? 1,
    });
  }

  // --- the schedule --------------------------------------------------------------------------

  /**
   * One run of the schedule. Idempotent: everything is read again (the contract at the head, the
   * attempt in flight from the relayer), so a duplicate alarm does what the first one did, or nothing.
   */
  private async run(): Promise<void> {
    const m = this.current!;
    if (isClosed(m) || m.status === 'registering') return;
    const open = this.openAttempt();
    if (open) {
      this.did = 'follow';
      await this.follow(open);
      return;
    }
    this.did = 'read';
    const chain = this.chain();
    const head = await chain.head();
    const onchain = await chain.mandateOf(m.contract as Address, m.onchainId as Hex, head.number);
    if (!onchain) throw new Error('the contract does not know this registered mandate (a reorg of its registration?)');
    if (onchain.cancelled) {
      const by = await chain.cancelledBy(m.contract as Address, m.onchainId as Hex, this.fromBlock());
      const source: CancellationSource =
        by?.toLowerCase() === m.payer.toLowerCase() ? 'payer' : by?.toLowerCase() === m.payee.toLowerCase() ? 'payee' : 'merchant';
      await this.cancelNow(m, source, ALARM_ORIGIN);
      return;
    }
    if (onchain.used > m.used || onchain.lastPeriod > m.lastPeriod) {
      this.did = 'reconcile';
      await this.reconcile();
      // The logs must explain the contract's count; if the node did not give them, ask again later (back-off), not at once.
      if (this.current!.used < onchain.used) throw new Error(`the Debited logs explain ${this.current!.used} of ${onchain.used} debits`);
      this.setTimer('schedule', '', Date.now());
      return;
    }
    const now = Date.now();
    const wallAt = (chainSeconds: number) => now + Math.max(0, chainSeconds - head.timestamp) * 1000;
    const period = periodAt(m, head.timestamp);
    await this.forfeitBefore(period);
    if (period === 0) {
      this.setTimer('schedule', '', wallAt(m.start));
      return;
    }
    if (period <= m.lastPeriod) {
      this.did = 'sleep';
      this.setTimer('schedule', '', wallAt(periodEnd(m, m.lastPeriod)));
      return;
    }
    const request = m.pricing === 'dynamic' ? nextRequest(this.current!) : undefined;
    // Dynamic without a request: nothing is due until the merchant asks (requestDebit wakes the schedule).
    if (m.pricing === 'dynamic' && !request) return;
    const amount = request ? request.amount : m.maxAmount;
    const token = (m.token.address ?? '0x0000000000000000000000000000000000000000') as Address;
    const funds = await chain.funds(m.accountType, m.contract as Address, token, m.payer as Address, head.number);
    const available = funds.allowance === null || funds.allowance > funds.balance ? funds.balance : funds.allowance;
    const row = this.periodRow(period);
    if (available < amount) {
      this.did = 'short';
      const code =
        m.accountType === 'virtual_account' ? 'deposit_too_low' : funds.balance >= amount ? 'allowance_too_low' : 'account_balance_too_low';
      const retries = row?.retries ?? 0;
      const at = Math.min(now + shortRetryDelayMs(retries), wallAt(periodEnd(m, period)));
      const current = this.current!;
      const next = withShortfall(current, amount, available, now);
      const events =
        current.status === 'account_balance_too_low' && current.failedDynamicPaymentAmount === next.failedDynamicPaymentAmount
          ? []
          : [this.updated(current)];
      await this.commit(next, events, [{ kind: 'schedule', at }], ALARM_ORIGIN, now, undefined, () => {
        this.upsertPeriod(period, amount, request?.id ?? null, retries + 1, code);
        if (row?.last_code !== code) {
          this.queueReport(period, amount, {
            kind: 'failed',
            code,
            message: shortMessage(code, amount, available),
          });
        }
      });
      return;
    }
    // Enough: write the attempt down (and the intent's processing), then send it.
    this.did = 'debit';
    const n = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM attempts WHERE period = ?', period).one().n + 1;
    const attemptId = `${m.id}:p${period}:a${n}`;
    const current = this.current!;
    const next = withFunds(current, available, now);
    await this.commit(
      next,
      next.status === current.status ? [] : [this.updated(current)],
      [{ kind: 'schedule', at: now + this.pollMs() }],
      ALARM_ORIGIN,
      now,
      undefined,
      () => {
        this.sql.exec(
          'INSERT INTO attempts (id, period, n, amount, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          attemptId,
          period,
          n,
          amount.toString(),
          request?.id ?? null,
          now,
        );
        this.upsertPeriod(period, amount, request?.id ?? null, row?.retries ?? 0, row?.last_code ?? null);
        this.queueReport(period, amount, { kind: 'processing', attemptId, txHash: null });
      },
    );
    await this.sendAttempt(this.attempt(attemptId)!);
  }

  /** Sends an open attempt under its id (again, if an eviction came between): the relayer sends an id once. */
  private async sendAttempt(attempt: AttemptRow): Promise<void> {
    const m = this.current!;
    const sent = await this.relayer().send(m.network, {
      id: attempt.id,
      to: m.contract as Address,
      data: debitData(m.onchainId as Hex, BigInt(attempt.amount)),
    });
    if (sent.ok) {
      this.sql.exec('UPDATE attempts SET sent = 1 WHERE id = ?', attempt.id);
      this.setTimer('schedule', '', Date.now() + this.pollMs());
      return;
    }
    if (sent.error === 'transaction_would_revert') {
      // Nothing was sent: the contract refuses this debit now (debited already? short since the read?). Read again after a pause.
      this.sql.exec(`UPDATE attempts SET state = 'unsent' WHERE id = ?`, attempt.id);
      const refused = this.sql
        .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM attempts WHERE period = ? AND state != 'mined'`, attempt.period)
        .one().n;
      this.setTimer('schedule', '', Date.now() + shortRetryDelayMs(refused - 1));
      logWarn('mandate debit would revert; the contract is read again', { mandate: m.id, attempt: attempt.id, message: sent.message });
      return;
    }
    // The chain or the relayer cannot send now: the shell retries the run with back-off; the attempt stays open.
    throw new Error(`debit not sent: ${sent.error}: ${sent.message}`);
  }

  /** An attempt in flight: sent, then polled until final; mined → the debit is recorded from its Debited log. */
  private async follow(attempt: AttemptRow): Promise<void> {
    const m = this.current!;
    const tx = await this.relayer().status(attempt.id);
    if (!tx) {
      // Written down, never sent (an eviction in between): sent now, under the same id.
      await this.sendAttempt(attempt);
      return;
    }
    if (!tx.final) {
      this.setTimer('schedule', '', Date.now() + this.pollMs());
      return;
    }
    if (tx.status === 'mined') {
      const log = await this.chain().debitedIn(tx.hash, m.contract as Address, m.onchainId as Hex);
      if (log) {
        await this.recordDebit(attempt, { ...log, at: log.timestamp * 1000 }, ALARM_ORIGIN);
        this.setTimer('schedule', '', Date.now());
        return;
      }
    }
    // Reverted (debited by another attempt? short since the read?), replaced (never mined), or mined
    // without our log: the attempt is over; the next run reads the contract again and decides.
    this.sql.exec('UPDATE attempts SET state = ? WHERE id = ?', tx.status === 'mined' ? 'no_log' : tx.status, attempt.id);
    const over = this.sql
      .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM attempts WHERE period = ? AND state = 'failed'`, attempt.period)
      .one().n;
    this.setTimer('schedule', '', Date.now() + (tx.status === 'replaced' ? 0 : shortRetryDelayMs(Math.max(0, over - 1))));
  }

  /** Records a mined debit once: the attempt (if ours) mined, the mandate's progress, the intent succeeded. */
  private async recordDebit(
    attempt: AttemptRow | null,
    log: { period: number; used: number; amount: bigint; txHash: Hex; blockNumber: bigint; at: number },
    from: Origin,
  ): Promise<void> {
    const m = this.current!;
    const requestId = attempt?.request_id ?? this.periodRow(log.period)?.request_id ?? null;
    const done: DebitDone = {
      period: log.period,
      used: log.used,
      amount: log.amount,
      at: log.at,
      requestId,
      paymentIntent: await this.intentIdOf(log.period),
    };
    const next = withDebit(m, done);
    const now = Date.now();
    const closing = next.status === 'paid' && m.status !== 'paid' ? [{ kind: 'watch' as const, at: now }] : [];
    await this.commit(next, next === m ? [] : [this.updated(m)], closing, from, now, undefined, () => {
      if (attempt) this.sql.exec(`UPDATE attempts SET state = 'mined' WHERE id = ?`, attempt.id);
      if (next === m) return;
      const row = this.periodRow(log.period);
      if (!row) this.upsertPeriod(log.period, log.amount, requestId, 0, null);
      this.sql.exec('UPDATE periods SET closed = 1 WHERE period = ?', log.period);
      this.queueReport(log.period, log.amount, { kind: 'succeeded', txHash: log.txHash, blockNumber: log.blockNumber, amount: log.amount });
      // An attempt written for an earlier period and mined in this one: that earlier period was forfeited.
      if (attempt && attempt.period !== log.period) this.closePeriod(attempt.period, 'period_forfeited');
    });
  }

  /** The contract is ahead of the object (a debit recorded elsewhere, or lost with an eviction): the Debited logs say what happened. */
  private async reconcile(): Promise<void> {
    const m = this.current!;
    const logs = await this.chain().debitedLogs(m.contract as Address, m.onchainId as Hex, this.fromBlock());
    for (const log of logs) {
      if (log.period <= this.current!.lastPeriod) continue;
      const block = await this.chain().client.getBlock({ blockNumber: log.blockNumber });
      const ours = this.sql
        .exec<AttemptRow>(`SELECT * FROM attempts WHERE period <= ? AND state NOT IN ('mined') ORDER BY period DESC, n DESC`, log.period)
        .toArray()[0];
      logInfo('mandate reconciled from a Debited log', { mandate: m.id, period: log.period, used: log.used });
      await this.recordDebit(ours ?? null, { ...log, at: Number(block.timestamp) * 1000 }, ALARM_ORIGIN);
    }
    // Attempts of periods now debited are over.
    this.sql.exec(`UPDATE attempts SET state = 'superseded' WHERE state = 'open' AND period <= ?`, this.current!.lastPeriod);
  }

  /** Periods before `period` told something and not paid: forfeited (a Dynamic request of one fails). */
  private async forfeitBefore(period: number): Promise<void> {
    const rows = this.sql.exec<PeriodRow>('SELECT * FROM periods WHERE closed = 0 AND period < ?', period).toArray();
    if (rows.length === 0) return;
    let next = this.current!;
    const before = next;
    for (const row of rows) {
      if (row.request_id && row.last_code)
        next = withRequestFailed(next, row.request_id, row.period, row.last_code, await this.intentIdOf(row.period));
    }
    const now = Date.now();
    await this.commit(next, next === before ? [] : [this.updated(before)], [], ALARM_ORIGIN, now, undefined, () => {
      for (const row of rows) this.closePeriod(row.period, 'period_forfeited');
    });
  }

  // --- cancel --------------------------------------------------------------------------------

  /** Canceled in one commit: state, event, the open period's intent closed, the schedule stopped, the chain's cancel armed. */
  private async cancelNow(m: Mandate, source: CancellationSource, from: Origin): Promise<void> {
    const now = Date.now();
    const next = withCancel(m, source, now);
    // Canceled on chain already (the payer or payee did it): nothing to send.
    const timers: { kind: MandateTimer; at: number }[] = [{ kind: 'watch', at: now }];
    if (source === 'merchant') timers.push({ kind: 'cancel', at: now });
    await this.commit(
      next,
      [{ type: 'mandate.canceled', previousAttributes: JSON.stringify({ status: m.status }) }],
      timers,
      from,
      now,
      undefined,
      () => {
        this.clearTimer('schedule');
        for (const row of this.sql.exec<PeriodRow>('SELECT * FROM periods WHERE closed = 0').toArray())
          this.closePeriod(row.period, 'mandate_canceled');
      },
    );
  }

  /**
   * Sends the relayer's cancel once the mandate is on chain, and polls it to final. An attempt in
   * flight at the cancel is only followed (never sent again): if it lands, the debit is recorded.
   */
  private async sendCancel(): Promise<void> {
    const m = this.current!;
    const retry = () => this.setTimer('cancel', '', Date.now() + this.pollMs());
    const open = this.openAttempt();
    if (open) {
      const tx = await this.relayer().status(open.id);
      if (!tx) this.sql.exec(`UPDATE attempts SET state = 'abandoned' WHERE id = ?`, open.id);
      else if (tx.final) {
        const log = tx.status === 'mined' ? await this.chain().debitedIn(tx.hash, m.contract as Address, m.onchainId as Hex) : null;
        if (log) await this.recordDebit(open, { ...log, at: log.timestamp * 1000 }, ALARM_ORIGIN);
        else this.sql.exec('UPDATE attempts SET state = ? WHERE id = ?', tx.status, open.id);
      }
    }
    const onchain = await this.chain().mandateOf(m.contract as Address, m.onchainId as Hex);
    if (!onchain) {
      const registration = await this.relayer().status(`${m.id}:authorize`);
      // Its authorize may still land: cancel it then. Never sent or final without registering: nothing to cancel.
      if (registration && !registration.final) retry();
      return;
    }
    const attemptId = `${m.id}:cancel`;
    let tx: RelayedTransaction | null = await this.relayer().status(attemptId);
    if (!tx) {
      if (onchain.cancelled) return;
      const sent = await this.relayer().send(m.network, { id: attemptId, to: m.contract as Address, data: cancelData(m.onchainId as Hex) });
      if (!sent.ok) {
        if (sent.error === 'transaction_would_revert') {
          logWarn('mandate cancel would revert on chain', { mandate: m.id, message: sent.message });
          return;
        }
        throw new Error(`cancel not sent: ${sent.error}: ${sent.message}`);
      }
      tx = sent.transaction;
    }
    if (!tx.final || (this.openAttempt() !== undefined && this.openAttempt()!.sent === 1)) retry();
  }

  // --- debit intents -------------------------------------------------------------------------

  /** Delivers the queued reports in order; the first that fails stops the rest until the retry. */
  private async deliverReports(): Promise<void> {
    const rows = this.sql
      .exec<{ seq: number; period: number; amount: string; body: string }>('SELECT * FROM reports ORDER BY seq')
      .toArray();
    for (const row of rows) {
      const ref = await this.refOf(row.period, BigInt(row.amount));
      await reportDebit(this.env, ref, decodeReport(row.body), null);
      this.sql.exec('DELETE FROM reports WHERE seq = ?', row.seq);
    }
  }

  private async refOf(period: number, amount: bigint): Promise<DebitIntentRef> {
    const m = this.current!;
    return {
      id: await debitIntentId(m.id, period),
      merchantId: m.merchantId,
      livemode: m.livemode,
      shard: m.shard,
      mandate: m.id,
      period,
      amount,
      currency: m.token.symbol,
      network: m.network,
      chainId: m.chainId,
      token: m.token,
      payer: m.payer,
      payee: m.payee,
      contract: m.contract,
      description: `Debit ${period} of mandate ${m.id}`,
      metadata: m.metadata,
    };
  }

  /** The period's intent id, once the debit intents give one (null until then). */
  private async intentIdOf(period: number): Promise<string | null> {
    try {
      return await debitIntentId(this.current!.id, period);
    } catch {
      return null;
    }
  }

  /** Inside a commit's transaction: the report waits in order; the `report` timer delivers it. */
  private queueReport(period: number, amount: bigint, report: DebitReport): void {
    this.sql.exec('INSERT INTO reports (period, amount, body) VALUES (?, ?, ?)', period, amount.toString(), encodeReport(report));
    this.sql.exec(`INSERT INTO timers (kind, key, due_at) VALUES ('report', '', ?) ON CONFLICT (kind, key) DO NOTHING`, Date.now());
  }

  private closePeriod(period: number, reason: 'period_forfeited' | 'mandate_canceled'): void {
    const row = this.periodRow(period);
    if (!row || row.closed === 1) return;
    this.sql.exec('UPDATE periods SET closed = 1 WHERE period = ?', period);
    this.queueReport(period, BigInt(row.amount), { kind: 'closed', reason });
  }

  private upsertPeriod(period: number, amount: bigint, requestId: string | null, retries: number, code: string | null): void {
    this.sql.exec(
      `INSERT INTO periods (period, amount, request_id, retries, last_code) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (period) DO UPDATE SET amount = excluded.amount, request_id = excluded.request_id, retries = excluded.retries, last_code = excluded.last_code`,
      period,
      amount.toString(),
      requestId,
      retries,
      code,
    );
  }

  // --- helpers -------------------------------------------------------------------------------

  private updated(before: Mandate): { type: MandateEventType; previousAttributes: string } {
    return {
      type: 'mandate.updated',
      previousAttributes: JSON.stringify({ status: before.status, used: before.used, revision: before.revision }),
    };
  }

  private openAttempt(): AttemptRow | undefined {
    return this.sql.exec<AttemptRow>(`SELECT * FROM attempts WHERE state = 'open' ORDER BY period, n`).toArray()[0];
  }

  private attempt(id: string): AttemptRow | undefined {
    return this.sql.exec<AttemptRow>('SELECT * FROM attempts WHERE id = ?', id).toArray()[0];
  }

  private periodRow(period: number): PeriodRow | undefined {
    return this.sql.exec<PeriodRow>('SELECT * FROM periods WHERE period = ?', period).toArray()[0];
  }

  private setMeta(key: string, value: string): void {
    this.sql.exec('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }

  /** The block logs are read from: the registration's (0 when it was never seen). */
  private fromBlock(): bigint {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'registered_block'`).toArray()[0];
    return row ? BigInt(row.value) : 0n;
  }

  private chain(): MandateChain {
    if (this.chainClient) return this.chainClient;
    const m = this.current!;
    const config = chainsConfig(this.env).get(m.network);
    if (!config) throw new Error(`the network ${m.network} is not in CHAINS`);
    this.chainClient = new MandateChain(config, m.network);
    return this.chainClient;
  }

  private relayer() {
    return relayer(this.env, this.current!.network);
  }

  private pollMs(): number {
    return chainsConfig(this.env).get(this.current!.network)?.pollIntervalMs ?? 5_000;
  }

  private owned(owner: Pick<Caller, 'merchantId' | 'livemode'>): boolean {
    return this.current !== null && this.current.merchantId === owner.merchantId && this.current.livemode === owner.livemode;
  }
}

function origin(requestId: string): Origin {
  return { requestId, idempotencyKey: null };
}

function missing(): MandateCommandAnswer<never> {
  return { ok: false, code: 'resource_missing', param: 'id', message: 'No such mandate.' };
}

function termsOf(m: Mandate): SignedTerms {
  return {
    payer: m.payer as Address,
    payee: m.payee as Address,
    token: (m.token.address ?? '0x0000000000000000000000000000000000000000') as Address,
    maxAmount: m.maxAmount,
    debitTimes: m.debitTimes,
    interval: BigInt(m.interval),
    start: BigInt(m.start),
    validBefore: BigInt(m.validBefore),
    salt: m.salt as Hex,
  };
}

export { termsOf };

function shortMessage(code: string, amount: bigint, available: bigint): string {
  const what = code === 'allowance_too_low' ? 'allowance to the contract' : code === 'deposit_too_low' ? 'deposit' : 'balance';
  return `The payer's ${what} covers ${available} of the ${amount} due; retried within the period.`;
}

function encodeReport(report: DebitReport): string {
  return JSON.stringify(report, (_key, value: unknown) => (typeof value === 'bigint' ? { $bigint: value.toString() } : value));
}

function decodeReport(body: string): DebitReport {
  return JSON.parse(body, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && '$bigint' in value ? BigInt((value as { $bigint: string }).$bigint) : value,
  ) as DebitReport;
}
