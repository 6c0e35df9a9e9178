/**
 * The service seam: the one way an API family reaches a payment intent. It finds the intent's
 * Durable Object, passes the caller along, runs the command and maps its result: the intent (with
 * a failed payment attempt, if any) or a thrown DomainError in the domain's own terms. A family
 * translates its wire into these calls and renders what comes back; it never touches a stub.
 */
import type { Refund } from '../domain/charge.js';
import type { Command, ConfirmCommand, CreateParams, PaymentError, PaymentIntent, RefundParams, UpdateParams } from '../domain/intent.js';
import type { CancellationReason } from '../domain/status.js';
import { DomainError, type DomainErrorData, noSuchIntent } from '../domain/errors.js';
import type { Env } from '../env.js';
import { keyInUse, keyReused } from '../http/idempotency.js';
import { INTENT_ID_PATTERN, keyedIntentId, newClientSecret, newId, newToken } from '../lib/ids.js';
import { fixedLengthSecretsEqual } from '../lib/secrets.js';
import type { Caller, CommandResult } from './intent-object.js';
import { liveRequest } from './live-status.js';
import type { LiveWireName } from '../api/live-wires.js';

export type { Caller } from './intent-object.js';

/** A committed change: the intent now, and the failed payment attempt when there was one. */
export interface Outcome {
  intent: PaymentIntent;
  paymentError: PaymentError | null;
}

/** A refusal of a command, with the intent as it is now (when the caller may see it). */
export class CommandRefused extends DomainError {
  constructor(
    data: DomainErrorData,
    readonly intent: PaymentIntent | null,
  ) {
    super(data);
  }
}

export function isIntentId(id: string): boolean {
  return INTENT_ID_PATTERN.test(id);
}

function intentObject(env: Env, id: string) {
  if (!isIntentId(id)) throw noSuchIntent(id);
  return env.INTENTS.get(env.INTENTS.idFromName(id));
}

/**
 * The object's answer as the seam gives it. `onAnswer` hears that the intent's object answered (so
 * the object, not the caller, keeps what a key did) and whether that answer was one kept for the
 * Idempotency-Key and given again.
 */
function outcome(id: string, result: CommandResult, caller?: Caller, onAnswer?: (replayed: boolean) => void): Outcome {
  onAnswer?.('replayed' in result && result.replayed === true);
  if ('idempotency' in result) {
    // 'expired' is a create's alone, and create goes on to the next id.
    if (result.idempotency === 'in_flight') throw keyInUse();
    throw keyReused(caller?.idempotency?.key ?? '');
  }
  if (result.ok) return { intent: result.intent, paymentError: result.paymentError };
  if (result.error.code === 'resource_missing' && result.error.resource?.type === 'payment_intent') throw noSuchIntent(id);
  throw new CommandRefused(result.error, result.intent);
}

export class IntentService {
  constructor(
    private readonly env: Env,
    private readonly caller: Caller,
    /** Told when the intent's object answered, and whether with an answer kept for the caller's Idempotency-Key. */
    private readonly onAnswer?: (replayed: boolean) => void,
  ) {}

  /**
   * Creates an intent, and with `confirm` confirms it in the same step (Stripe's confirm=true).
   * Under an Idempotency-Key the id comes from the key, so that every request with it reaches the
   * one object that keeps its answer; an id whose intent outlived the key gives way to the next.
   */
  async create(
    params: CreateParams,
    confirm?: { returnUrl?: string; blikCode?: string },
    /**
     * For a Checkout Session's intent: the session's id, made for the key's generation (null without
     * a key), so that a keyed retry names the same session as it reaches the same intent.
     */
    checkoutSessionOf?: (generation: number | null) => Promise<string>,
  ): Promise<Outcome> {
    const key = this.caller.idempotency?.key;
    for (let generation = 0; ; generation++) {
      const id = key === undefined ? newId('pi') : await keyedIntentId(this.caller.merchantId, this.caller.livemode, key, generation);
      const checkoutSession = checkoutSessionOf && (await checkoutSessionOf(key === undefined ? null : generation));
      const result = await intentObject(this.env, id).create(
        this.caller,
        { id, clientSecret: newClientSecret(id) },
        checkoutSession ? { ...params, checkoutSession } : params,
        confirm && { type: 'confirm', returnUrl: confirm.returnUrl, blikCode: confirm.blikCode, challengeToken: newToken() },
      );
      if (!('idempotency' in result && result.idempotency === 'expired')) return outcome(id, result, this.caller, this.onAnswer);
    }
  }

  /** The intent, if this caller's merchant and mode own it. */
  async retrieve(id: string): Promise<PaymentIntent> {
    const intent = await intentObject(this.env, id).retrieve(this.caller);
    if (!intent) throw noSuchIntent(id);
    return intent;
  }

  /** The intent for a holder of its client secret (a browser): a wrong secret is as good as no intent. */
  async retrieveWithClientSecret(id: string, clientSecret: string): Promise<PaymentIntent> {
    const intent = await intentObject(this.env, id).retrieveWithClientSecret(this.caller, clientSecret);
    if (!intent) throw noSuchIntent(id);
    return intent;
  }

  /**
   * A live status socket (src/intents/live-status.ts): the object's 101 with the socket, or, for
   * an intent this caller may not see or a wrong client secret, the same refusal as a lookup's.
   * `clientSecret` null: the merchant's secret key, which needs none.
   */
  async openLiveStatus(id: string, clientSecret: string | null, wire: LiveWireName): Promise<WebSocket> {
    const live = { merchantId: this.caller.merchantId, livemode: this.caller.livemode, clientSecret, wire };
    const res = await intentObject(this.env, id).fetch(liveRequest(live));
    if (res.status !== 101 || !res.webSocket) throw noSuchIntent(id);
    return res.webSocket;
  }

  /** The intent, checked against a client secret a secret-key holder passed along. */
  async retrieveChecked(id: string, clientSecret: string | undefined): Promise<PaymentIntent> {
    const intent = await this.retrieve(id);
    if (clientSecret !== undefined && !fixedLengthSecretsEqual(clientSecret, intent.clientSecret)) throw noSuchIntent(id);
    return intent;
  }

  update(id: string, params: UpdateParams): Promise<Outcome> {
    return this.run(id, { type: 'update', params });
  }

  /**
   * Confirms the intent: the merchant's, or a browser's with the intent's client secret (a wrong one
   * is as good as no intent). What a payer may choose comes in `options` (amount, crypto).
   */
  async confirm(id: string, options: Omit<ConfirmCommand, 'type' | 'challengeToken' | 'deposit'>, clientSecret?: string): Promise<Outcome> {
    const command: ConfirmCommand = { type: 'confirm', ...options, challengeToken: newToken() };
    return outcome(id, await intentObject(this.env, id).execute(this.caller, command, clientSecret ?? null), this.caller, this.onAnswer);
  }

  capture(id: string, amountToCapture?: bigint): Promise<Outcome> {
    return this.run(id, { type: 'capture', amountToCapture });
  }

  cancel(id: string, reason?: CancellationReason): Promise<Outcome> {
    return this.run(id, { type: 'cancel', reason });
  }

  /** The merchant confirms delivery (or the condition) of a paid intent with a settlement: settlement starts. */
  confirmDelivery(id: string): Promise<Outcome> {
    return this.run(id, { type: 'confirm_delivery' });
  }

  /** Test mode: a bank transfer arrives for a customer_balance intent (src/domain/payment-methods.ts fund). */
  fund(id: string, amount: bigint, reference?: string): Promise<Outcome> {
    return this.run(id, { type: 'fund', amount, reference });
  }

  /**
   * A refund of the intent's charge (src/domain/refunds.ts), its id drawn here. An answer replayed
   * for the Idempotency-Key is the intent right after the refund that request made: the newest of
   * its refunds, since refunds are only ever appended (this request's fresh id is not in it).
   */
  async refund(id: string, params: RefundParams): Promise<Outcome & { refund: Refund }> {
    const refundId = newId('re');
    const done = await this.run(id, { type: 'refund', refundId, params });
    return { ...done, refund: done.intent.refunds.find((r) => r.id === refundId) ?? done.intent.refunds.at(-1)! };
  }

  /** The refund's metadata merged (null clears it). */
  async updateRefund(id: string, refundId: string, metadata: Record<string, string> | null): Promise<Outcome & { refund: Refund }> {
    return withRefund(await this.run(id, { type: 'update_refund', refundId, metadata }), refundId);
  }

  /** A pending refund canceled: its amount is refundable again. */
  async cancelRefund(id: string, refundId: string): Promise<Outcome & { refund: Refund }> {
    return withRefund(await this.run(id, { type: 'cancel_refund', refundId }), refundId);
  }

  /** A payer's EIP-712 signature; with a publishable key only together with the client secret. */
  async submitSignature(
    id: string,
    input: { signature: string; signer: string; clientSecret?: string; publishable: boolean },
  ): Promise<Outcome> {
    return outcome(id, await intentObject(this.env, id).submitSignature(this.caller, input), this.caller);
  }

  /** POST /v1/disputes/:id (src/domain/disputes.ts): through the intent that holds the dispute. */
  updateDispute(id: string, update: Omit<Extract<Command, { type: 'update_dispute' }>, 'type'>): Promise<Outcome> {
    return this.run(id, { type: 'update_dispute', ...update });
  }

  closeDispute(id: string, disputeId: string): Promise<Outcome> {
    return this.run(id, { type: 'close_dispute', disputeId });
  }

  private async run(id: string, command: Command): Promise<Outcome> {
    return outcome(id, await intentObject(this.env, id).execute(this.caller, command), this.caller, this.onAnswer);
  }
}

function withRefund(done: Outcome, refundId: string): Outcome & { refund: Refund } {
  const refund = done.intent.refunds.find((r) => r.id === refundId);
  if (!refund) throw new Error(`refund ${refundId} is not in its intent ${done.intent.id}`);
  return { ...done, refund };
}

/**
 * The intent by its id alone, whoever owns it; null for a malformed id or no intent. For a family
 * whose document shows an intent to anyone with its id (Finternet's public lookup) or tells another
 * merchant's intent apart from none (its 403): that family masks what a stranger may not see.
 */
export async function intentById(env: Env, id: string): Promise<PaymentIntent | null> {
  if (!isIntentId(id)) return null;
  return intentObject(env, id).lookUpById();
}

/**
 * The 3-D Secure challenge behind a link: the link's token is the only credential (random,
 * single-use, compared in constant time by the intent's object). Null when it is not pending.
 */
export async function pendingChallenge(env: Env, id: string, token: string): Promise<PaymentIntent | null> {
  if (!isIntentId(id)) return null;
  return intentObject(env, id).challenge(token);
}

export async function completeChallenge(
  env: Env,
  id: string,
  token: string,
  outcomeOf: 'succeeded' | 'failed',
  requestId: string,
): Promise<Outcome> {
  return outcome(id, await intentObject(env, id).completeChallenge(token, outcomeOf, requestId));
}

/**
 * For the hosted payment page (src/pages/checkout): the intent, the payer as its owner (with a
 * seam to act through) and the owner's shard (where a family keeps more of the intent), when
 * `clientSecret` is its client secret; null for a malformed id, no intent or a wrong secret alike.
 * The secret is compared in constant time by the intent's object.
 */
export async function payerOfIntent(
  env: Env,
  id: string,
  clientSecret: string,
  requestId: string,
): Promise<{ intent: PaymentIntent; service: IntentService; shard: string } | null> {
  if (!isIntentId(id)) return null;
  const found = await intentObject(env, id).forPaymentPage(clientSecret);
  if (!found) return null;
  const { intent, shard } = found;
  const owner: Caller = { merchantId: intent.merchantId, livemode: intent.livemode, shard, requestId, idempotency: null };
  return { intent, service: new IntentService(env, owner), shard };
}
