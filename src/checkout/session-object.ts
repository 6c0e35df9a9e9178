/**
 * One Durable Object per Checkout Session: the session's state machine (src/domain/checkout-session.ts)
 * in the durable shell (src/durable/entity.ts), and the session's only writer. What is the session's
 * own here: its RPC surface (create, read, what its intent reports, expire), its one timer (expiry
 * at expires_at), its projection into D1 and its outbox messages (checkout.session.completed and
 * .expired). It reaches its payment intent through the intents' service seam, as the merchant.
 */
import { projectSession } from '../db/checkout-sessions.js';
import { shardDatabase } from '../db/shards.js';
import {
  assertExpirable,
  type CheckoutSession,
  decideSession,
  type IntentReport,
  PROCESSING_RECHECK_MS,
  SessionStateError,
} from '../domain/checkout-session.js';
import { createShellTables, DurableEntity, type EventRow, type Migration, type Origin, type TimerHandlers } from '../durable/entity.js';
import type { Caller } from '../intents/intent-object.js';
import { serializeEventRow } from '../intents/events.js';
import { CommandRefused, IntentService } from '../intents/service.js';
import { newId } from '../lib/ids.js';
import type { WebhookMessage } from '../webhooks/messages.js';
import { parseSession, serializeSession } from './record.js';

type SessionTimer = 'expire';

/** What an expire gets: the session now, or why it cannot expire (its status; or its payment is in flight). */
export type ExpireAnswer =
  | { ok: true; session: CheckoutSession }
  | { ok: false; refusal: 'state'; message: string }
  | { ok: false; refusal: 'processing'; session: CheckoutSession };

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "the shell tables, and the session's shard (the read model it projects to)",
    up: (sql) => {
      createShellTables(sql);
      sql.exec('CREATE TABLE placement (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), shard TEXT NOT NULL)');
    },
  },
];

export class CheckoutSessionObject extends DurableEntity<CheckoutSession, SessionTimer> {
  // --- RPC -----------------------------------------------------------------------------------

  /**
   * Creates the session, or, when it exists already (a keyed create retried: its id comes from the
   * key), answers with the session as it is. Null for an id another merchant or mode holds.
   */
  async create(caller: Caller, session: CheckoutSession): Promise<CheckoutSession | null> {
    return this.serialized(async () => {
      if (this.current) return this.owned(caller) ? this.current : null;
      await this.commit(session, [], [{ kind: 'expire', at: session.expiresAt }], originOf(caller), Date.now(), undefined, () =>
        this.sql.exec('INSERT INTO placement (singleton, shard) VALUES (1, ?)', caller.shard),
      );
      return session;
    });
  }

  /** The session, if it belongs to this merchant and mode; otherwise null, exactly as if it did not exist. */
  async retrieve(owner: Pick<Caller, 'merchantId' | 'livemode'>): Promise<CheckoutSession | null> {
    return this.owned(owner) ? this.current : null;
  }

  /**
   * Its payment intent tells the session where it is (src/intents/intent-object.ts, timer `checkout`).
   * Idempotent: a report that changes nothing commits nothing. Throws for a session that does not
   * exist yet, so that the intent's timer retries.
   */
  async intentReported(intent: IntentReport): Promise<void> {
    await this.serialized(async () => {
      if (!this.current) throw new Error(`no checkout session here for ${intent.id}`);
      await this.apply(intent, { requestId: null, idempotencyKey: null });
    });
  }

  /** POST …/expire: cancels the intent (abandoned) and expires the session, if it is open and nothing is in flight. */
  async expire(caller: Caller): Promise<ExpireAnswer | null> {
    return this.serialized(async () => {
      const session = this.owned(caller) ? this.current : null;
      if (!session) return null;
      try {
        assertExpirable(session);
      } catch (error) {
        if (error instanceof SessionStateError) return { ok: false, refusal: 'state', message: error.message };
        throw error;
      }
      const after = await this.endIntent(session, caller.requestId, originOf(caller));
      return after.status === 'open' ? { ok: false, refusal: 'processing', session: after } : { ok: true, session: after };
    });
  }

  // --- the entity's hooks --------------------------------------------------------------------

  protected migrations(): readonly Migration[] {
    return MIGRATIONS;
  }

  protected serialize(state: CheckoutSession): string {
    return serializeSession(state);
  }

  protected parse(record: string): CheckoutSession {
    return parseSession(record);
  }

  protected async project(state: CheckoutSession, events: EventRow[]): Promise<void> {
    await projectSession(
      shardDatabase(this.env, this.shard()),
      state,
      events.map((r) => ({
        id: r.id,
        sequence: r.seq,
        type: r.type,
        createdAt: r.created,
        canonical: serializeEventRow(r, 'checkout.session'),
      })),
    );
  }

  protected outboxMessages(state: CheckoutSession, events: EventRow[]): WebhookMessage[] {
    return events.map((r) => ({
      kind: 'event',
      shard: this.shard(),
      eventId: r.id,
      merchantId: state.merchantId,
      livemode: state.livemode,
      notificationUrl: null,
      canonical: serializeEventRow(r, 'checkout.session'),
    }));
  }

  protected timerHandlers(): TimerHandlers<SessionTimer> {
    return {
      expire: async () => {
        // The shell runs a timer only once due; a session closed since has nothing left to expire.
        const session = this.current!;
        if (session.status !== 'open') return;
        const after = await this.endIntent(session, newId('req'), { requestId: null, idempotencyKey: null });
        // Funds in flight: the intent reports when they land; look again later all the same.
        if (after.status === 'open') this.setTimer('expire', '', Date.now() + PROCESSING_RECHECK_MS);
      },
    };
  }

  protected logFields(): Record<string, unknown> {
    return { checkoutSession: this.current?.id ?? null, intent: this.current?.paymentIntent ?? null };
  }

  // --- the shell's use -----------------------------------------------------------------------

  /**
   * Cancels the session's intent as its merchant (abandoned) and applies what the intent is then:
   * canceled expires the session, succeeded or requires_capture completes it (the payer got there
   * first), processing leaves it open.
   */
  private async endIntent(session: CheckoutSession, requestId: string, origin: Origin): Promise<CheckoutSession> {
    const intents = new IntentService(this.env, {
      merchantId: session.merchantId,
      livemode: session.livemode,
      shard: this.shard(),
      requestId,
      idempotency: null,
    });
    let intent: IntentReport;
    try {
      intent = (await intents.cancel(session.paymentIntent, 'abandoned')).intent;
    } catch (error) {
      // Refused because the intent is past canceling (or canceled already): it says where it is.
      if (!(error instanceof CommandRefused) || !error.intent) throw error;
      intent = error.intent;
    }
    await this.apply(intent, origin);
    return this.current!;
  }

  private async apply(intent: IntentReport, origin: Origin): Promise<void> {
    const state = this.current!;
    const now = Date.now();
    const decision = decideSession(
      state,
      { type: 'intent_reported', intent: { id: intent.id, status: intent.status, amount: intent.amount } },
      now,
    );
    if (decision.state === state) return;
    const events = decision.events.map((e) => ({ type: e.type, previousAttributes: '{}' }));
    // A closed session has nothing left to expire.
    if (decision.state.status !== 'open') this.clearTimer('expire');
    await this.commit(decision.state, events, [], origin, now);
  }

  /** The shard this session's read model is on, kept in the object since its creation. */
  private shard(): string {
    return this.sql.exec<{ shard: string }>('SELECT shard FROM placement').one().shard;
  }

  private owned(owner: Pick<Caller, 'merchantId' | 'livemode'>): boolean {
    return this.current !== null && this.current.merchantId === owner.merchantId && this.current.livemode === owner.livemode;
  }
}

function originOf(caller: Caller): Origin {
  return { requestId: caller.requestId, idempotencyKey: caller.idempotency?.key ?? null };
}
