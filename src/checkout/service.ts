/**
 * The Checkout Sessions' service seam: the one way an API family (and the hosted page) reaches a
 * session. A session is made together with its payment intent, through the intents' seam: the
 * intent first, naming the session (its id known beforehand: from the Idempotency-Key when there
 * is one, so a retry reaches the same intent and the same session), then the session's object.
 */
import type { CheckoutSession } from '../domain/checkout-session.js';
import { MAX_SESSION_LIFETIME_MS, successRedirect } from '../domain/checkout-session.js';
import type { CreateParams, PaymentIntent } from '../domain/intent.js';
import type { Env } from '../env.js';
import type { Caller } from '../intents/intent-object.js';
import { IntentService } from '../intents/service.js';
import { keyedSessionId, newSessionId } from '../lib/ids.js';
import { isSessionId, NoSuchSession, sessionObject } from './session-stub.js';

export { isSessionId, NoSuchSession } from './session-stub.js';
import type { CheckoutPageView } from './view.js';

/** The session cannot be expired: its status does not allow it, or its payment is in flight. */
export class SessionRefused extends Error {
  constructor(
    message: string,
    readonly session: CheckoutSession | null,
  ) {
    super(message);
    this.name = 'SessionRefused';
  }
}

/** A session as the family asks for it: everything but what its creation assigns. */
export type SessionDraft = Omit<
  CheckoutSession,
  'id' | 'paymentIntent' | 'intentClientSecret' | 'created' | 'revision' | 'paymentMethodTypes'
>;

export class CheckoutService {
  constructor(
    private readonly env: Env,
    private readonly caller: Caller,
    /** As IntentService's: told when the intent's object answered (it keeps the Idempotency-Key). */
    private readonly onAnswer?: (replayed: boolean) => void,
  ) {}

  /**
   * Creates the intent (naming the session), then the session. `draft.expiresAt` null: 24 hours
   * after the intent's creation. A keyed retry finds the intent made under the key, and the session
   * it names (made now if the first request died between the two).
   */
  async create(draft: Omit<SessionDraft, 'expiresAt'> & { expiresAt: number | null }, intent: CreateParams): Promise<CheckoutSession> {
    const { merchantId, livemode } = this.caller;
    const key = this.caller.idempotency?.key;
    const { intent: made } = await new IntentService(this.env, this.caller, this.onAnswer).create(intent, undefined, (generation) =>
      generation === null || key === undefined
        ? Promise.resolve(newSessionId(livemode))
        : keyedSessionId(merchantId, livemode, key, generation),
    );
    const id = made.checkoutSession;
    if (id === null) throw new Error(`intent ${made.id} was made without its checkout session`);
    const session: CheckoutSession = {
      ...draft,
      id,
      paymentIntent: made.id,
      intentClientSecret: made.clientSecret,
      paymentMethodTypes: made.paymentMethodTypes,
      created: made.created,
      // Whole seconds, as the wire shows it.
      expiresAt: draft.expiresAt ?? Math.floor((made.created + MAX_SESSION_LIFETIME_MS) / 1000) * 1000,
      revision: 1,
    };
    const stored = await sessionObject(this.env, id).create(this.caller, session);
    if (!stored) throw new NoSuchSession(id);
    return stored;
  }

  async retrieve(id: string): Promise<CheckoutSession> {
    const session = await sessionObject(this.env, id).retrieve(this.caller);
    if (!session) throw new NoSuchSession(id);
    return session;
  }

  async expire(id: string): Promise<CheckoutSession> {
    const answer = await sessionObject(this.env, id).expire(this.caller);
    if (!answer) throw new NoSuchSession(id);
    if (answer.ok) return answer.session;
    if (answer.refusal === 'state') throw new SessionRefused(answer.message, null);
    throw new SessionRefused(
      "This Checkout Session's payment is processing: it completes or expires once the payment settles.",
      answer.session,
    );
  }
}

/**
 * What the hosted page shows of a session (src/pages/checkout/), for its merchant and mode only;
 * null for an unknown session or another merchant's, exactly alike.
 */
export async function checkoutPageView(
  env: Env,
  sessionId: string,
  owner: { merchantId: string; livemode: boolean },
): Promise<CheckoutPageView | null> {
  if (!isSessionId(sessionId)) return null;
  const s = await sessionObject(env, sessionId).retrieve(owner);
  if (!s) return null;
  return {
    id: s.id,
    status: s.status,
    currency: s.currency,
    amountTotal: s.amountTotal,
    lineItems: s.lineItems.map((i) => ({
      name: i.name,
      description: i.description,
      quantity: i.quantity,
      unitAmount: i.unitAmount,
      amountTotal: i.amountTotal,
    })),
    customAmount: s.customAmount,
    successUrl: successRedirect(s),
    cancelUrl: s.cancelUrl,
    expiresAt: s.expiresAt,
  };
}

/**
 * The hosted page found the session's intent paid while the session is still open (the intent's
 * `checkout` timer has not told it yet): it tells the session now, as that timer would (idempotent
 * there), so that the payer reaches success_url only once the session is complete.
 */
export async function completeFromPaidIntent(env: Env, sessionId: string, intent: PaymentIntent): Promise<void> {
  if (!isSessionId(sessionId)) return;
  await sessionObject(env, sessionId).intentReported({ id: intent.id, status: intent.status, amount: intent.amount });
}
