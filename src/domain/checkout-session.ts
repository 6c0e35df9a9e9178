/**
 * A Checkout Session: a hosted page's worth of line items, paid through the one payment intent it
 * makes at creation. Its state machine is small: open until its intent reaches an end, then
 * complete (the intent succeeded, or holds funds for a manual capture) or expired (the intent was
 * canceled: by the session's own expiry, or because the intent's crypto window ran out).
 *
 * Pure: `decideSession(state, command, now)` returns the next state and its events; the session's
 * Durable Object (src/checkout/session-object.ts) does the I/O (asking the intent to cancel).
 */
import type { Status } from './status.js';

export const SESSION_STATUSES = ['open', 'complete', 'expired'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export type PaymentStatus = 'unpaid' | 'paid' | 'no_payment_required';

export const SESSION_EVENT_TYPES = ['checkout.session.completed', 'checkout.session.expired'] as const;
export type SessionEventType = (typeof SESSION_EVENT_TYPES)[number];

/** How long a session may stay open: Stripe's bounds for expires_at, and its default. */
export const MIN_SESSION_LIFETIME_MS = 30 * 60_000;
export const MAX_SESSION_LIFETIME_MS = 24 * 60 * 60_000;
/** How long after expiry a session whose payment is still in flight looks again (its intent also reports). */
export const PROCESSING_RECHECK_MS = 60 * 60_000;
/** The amount an intent starts with when the payer chooses it and the merchant set neither preset nor minimum. */
export const CUSTOM_AMOUNT_FALLBACK = 100n;

export interface LineItem {
  /** li_… */
  id: string;
  name: string;
  description: string | null;
  quantity: number;
  /** For a custom amount: the amount the intent starts with (preset, minimum or the fallback). */
  unitAmount: bigint;
  amountTotal: bigint;
}

/** Bounds of an amount the payer chooses (custom_unit_amount); null bounds are open. */
export interface CustomAmount {
  minimum: bigint | null;
  maximum: bigint | null;
  preset: bigint | null;
}

export interface CheckoutSession {
  id: string;
  merchantId: string;
  livemode: boolean;
  /** Milliseconds since the epoch. */
  created: number;
  expiresAt: number;
  status: SessionStatus;
  paymentStatus: PaymentStatus;
  currency: string;
  /** The line items' total, or once complete the amount of the payment (a payer may have chosen it). */
  amountTotal: bigint;
  amountSubtotal: bigint;
  lineItems: LineItem[];
  customAmount: CustomAmount | null;
  paymentIntent: string;
  /** The intent's client secret: the hosted page's credential, in the session's url while it is open. */
  intentClientSecret: string;
  /** As given, with Stripe's {CHECKOUT_SESSION_ID} placeholder still in it (successRedirect replaces it). */
  successUrl: string;
  cancelUrl: string | null;
  customerEmail: string | null;
  clientReferenceId: string | null;
  metadata: Record<string, string>;
  paymentMethodTypes: string[];
  /** When it completed or expired (ms); null while open. */
  closedAt: number | null;
  revision: number;
}

/** What a session is told by, or about, its payment intent: the intent as it is now. */
export interface IntentReport {
  id: string;
  status: Status;
  amount: bigint;
}

export type SessionCommand =
  /** The intent reached a status the session cares about (or the session looked it up). */
  { type: 'intent_reported'; intent: IntentReport };

export interface SessionDecision {
  state: CheckoutSession;
  events: { type: SessionEventType }[];
}

/** Why an operation on a session is refused: the session's status is not one that allows it. */
export class SessionStateError extends Error {
  constructor(
    readonly operation: 'expire',
    readonly status: SessionStatus,
    readonly allowed: readonly SessionStatus[],
  ) {
    super(
      `Only Checkout Sessions with a status in [${allowed.map((s) => `"${s}"`).join(', ')}] can be ${operation}d. This Checkout Session has a status of ${status}.`,
    );
    this.name = 'SessionStateError';
  }
}

export const PLACEHOLDER = '{CHECKOUT_SESSION_ID}';

/** The success URL a payer is sent to: Stripe's placeholder replaced by the session's id. */
export function successRedirect(session: Pick<CheckoutSession, 'id' | 'successUrl'>): string {
  return session.successUrl.split(PLACEHOLDER).join(session.id);
}

export function decideSession(state: CheckoutSession, command: SessionCommand, now: number): SessionDecision {
  switch (command.type) {
    case 'intent_reported':
      return intentReported(state, command.intent, now);
  }
}

function intentReported(state: CheckoutSession, intent: IntentReport, now: number): SessionDecision {
  // Only the session's own intent counts, and only while the session is open: an end is final.
  if (intent.id !== state.paymentIntent || state.status !== 'open') return { state, events: [] };
  const closed = { revision: state.revision + 1, closedAt: now };
  switch (intent.status) {
    case 'succeeded':
      return complete({ ...state, ...closed, paymentStatus: 'paid' }, intent);
    case 'requires_capture':
      return complete({ ...state, ...closed, paymentStatus: 'unpaid' }, intent);
    case 'canceled':
      return { state: { ...state, ...closed, status: 'expired' }, events: [{ type: 'checkout.session.expired' }] };
    default:
      return { state, events: [] };
  }
}

function complete(state: CheckoutSession, intent: IntentReport): SessionDecision {
  const amount = state.customAmount ? intent.amount : state.amountTotal;
  return {
    state: { ...state, status: 'complete', amountTotal: amount, amountSubtotal: amount },
    events: [{ type: 'checkout.session.completed' }],
  };
}

/** An expire (the merchant's, or the session's own at expires_at) may start only while open. */
export function assertExpirable(state: CheckoutSession): void {
  if (state.status !== 'open') throw new SessionStateError('expire', state.status, ['open']);
}
