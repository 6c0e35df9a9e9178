/**
 * 001_…'s callbacks: the request its `callback.notification_url` gets "every time a status change is
 * triggered". Rendered from the canonical events the core queues (the webhook consumer picks this
 * wire for the notification_url of an intent made through this family: src/api/event-wires.ts), and
 * signed and retried as every webhook here (src/webhooks/deliver.ts).
 *
 * A status is Paytree's (its 13 payment statuses). Of the canonical events, those that move one are
 * the status changes (STATUS_CHANGES); each commit of the intent has at most one of them, so each
 * change is told once. Everything else (creation, updates, a 3-D Secure step, late funds, a refund
 * or dispute still under way, and the charge.* events that echo an intent's own transition) is
 * not sent to notification_url.
 */
import { type RouteConfig, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { paytreeRowOf } from '../../db/paytree.js';
import { paytreeIntents } from '../../db/schema.js';
import type { PaymentIntent } from '../../domain/intent.js';
import type { EventType } from '../../domain/status.js';
import type { IntentEvent } from '../../intents/events.js';
import { RETRIEVE_EXAMPLE } from './examples.js';
import { PAYMENT_STATUSES, type PaymentStatus, PaymentIntentResponse } from './schemas.js';
import { paymentStatus, paytreeIntentToWire } from './wire.js';

export const NOTIFICATION_EVENT = 'payment_intent.status_changed';

export const PaytreeNotification = z
  .object({
    id: z.string().openapi({ description: 'This notification (`evt_…`): also its `webhook-id` header, the same on every retry.' }),
    event: z.literal(NOTIFICATION_EVENT),
    created: z.string().openapi({ format: 'date-time', description: 'When the status changed.' }),
    status: z.enum(PAYMENT_STATUSES).openapi({ description: 'The status the change moved to.' }),
    payment: z
      .string()
      .nullable()
      .openapi({ description: 'The payment (`payment[].id`) whose status this is; null when no payment was attempted (a cancel).' }),
    transaction_ref: z.string(),
    client_ref: z.string(),
    payment_intent: PaymentIntentResponse.openapi({ description: 'The payment intent right after the change, as GET …/{id}/ shows it.' }),
  })
  .openapi('PaytreeNotification');

export type PaytreeNotificationWire = z.input<typeof PaytreeNotification>;

export const NOTIFICATION_EXAMPLE: PaytreeNotificationWire = {
  id: 'evt_01JD3R5X9K2M4N6P8Q0R2S4T6V',
  event: NOTIFICATION_EVENT,
  created: '2026-11-30T21:04:12.000Z',
  status: 'partial_refunded',
  payment: 'ch_01JD3R2K8M0N1P2q3R4s5T6u7V',
  transaction_ref: RETRIEVE_EXAMPLE.transaction_ref,
  client_ref: RETRIEVE_EXAMPLE.client_ref,
  payment_intent: RETRIEVE_EXAMPLE,
};

/** The callback in the family's API description (its `webhooks`): what a notification_url receives. */
export const notificationWebhook = {
  method: 'post',
  path: 'notification',
  operationId: 'payment_intent_notification',
  tags: ['Paytree'],
  summary: 'What callback.notification_url receives on each status change',
  description:
    'A POST for each status change of the intent (not its creation), signed as every webhook of this service: Standard Webhooks ' +
    '(`webhook-id`, `webhook-timestamp`, `webhook-signature`) and `Stripe-Signature`, with the merchant`s notification secret ' +
    '(GET /v1/notification_secret with the same secret key). Any 2xx acknowledges it; anything else, or no answer within the ' +
    'timeout, is retried with the same id and body on the retry schedule, then dead-lettered; a 410 stops it.',
  request: {
    headers: z.object({
      'webhook-id': z.string().openapi({ description: 'The notification`s id (its body`s `id`), the same on every retry.' }),
      'webhook-timestamp': z.string().openapi({ description: 'Unix seconds of this attempt.' }),
      'webhook-signature': z.string().openapi({ description: '`v1,<base64 HMAC-SHA256>` over `id.timestamp.body`, one per live secret.' }),
      'stripe-signature': z
        .string()
        .openapi({ description: '`t=<timestamp>,v1=<hex HMAC-SHA256>` over `timestamp.body`, as Stripe signs.' }),
    }),
    body: { required: true, content: { 'application/json': { schema: PaytreeNotification, example: NOTIFICATION_EXAMPLE } } },
  },
  responses: { 200: { description: 'Received (any 2xx).' } },
} satisfies RouteConfig;

interface StatusChange {
  status: PaymentStatus;
  /** The charge the status belongs to, if any. */
  payment: string | null;
}

/** The canonical events that change a Paytree status, and what each changes it to; null when this one does not. */
const STATUS_CHANGES: Partial<Record<EventType, (event: IntentEvent) => StatusChange | null>> = {
  // The payer's funds are in flight (a bank debit sent, crypto seen and confirming).
  'payment_intent.processing': (e) => ({ status: 'pending', payment: latestCharge(e.object) }),
  'payment_intent.partially_funded': (e) => ({ status: 'partial', payment: latestCharge(e.object) }),
  'payment_intent.amount_capturable_updated': (e) => ({ status: 'authorized', payment: latestCharge(e.object) }),
  'payment_intent.succeeded': (e) => ({ status: 'success', payment: latestCharge(e.object) }),
  'payment_intent.payment_failed': (e) => ({ status: 'failed', payment: latestCharge(e.object) }),
  // A crypto intent's window closing (or a Checkout Session's) cancels it as abandoned: Paytree's expired.
  // The payment is the attempt the cancel ended, if any (not an earlier, failed one).
  'payment_intent.canceled': (e) => {
    const ended = e.object.charges.at(-1);
    const status = ended ? paymentStatus(e.object, ended) : null;
    return {
      status: e.object.cancellationReason === 'abandoned' ? 'expired' : 'canceled',
      payment: ended && (status === 'canceled' || status === 'expired') ? ended.id : null,
    };
  },
  // A refund done: refunded once the succeeded refunds cover the payment, partial_refunded before.
  // Pending refunds do not count (Stripe's amount_refunded does): with two refunds under way, the
  // first to succeed is partial_refunded and the second refunded, each told once. Releasing an
  // uncaptured payment is the intent's cancel, told there.
  'charge.refunded': (e) => {
    const charge = e.object.charges.find((c) => c.id === e.subject?.id);
    if (!charge?.captured) return null;
    const done = e.object.refunds.filter((r) => r.charge === charge.id && r.status === 'succeeded').reduce((sum, r) => sum + r.amount, 0n);
    return { status: done >= charge.amountCaptured ? 'refunded' : 'partial_refunded', payment: charge.id };
  },
  'charge.dispute.created': (e) => ({ status: 'disputed', payment: disputedCharge(e) }),
  'charge.dispute.closed': (e) => {
    const charge = e.object.charges.find((c) => c.id === disputedCharge(e));
    return charge ? { status: paymentStatus(e.object, charge), payment: charge.id } : null;
  },
};

/** The Paytree status change an event makes, or null when it makes none (pure). */
export function statusChangeOf(event: IntentEvent): StatusChange | null {
  return STATUS_CHANGES[event.type]?.(event) ?? null;
}

/** The notification_url body of a status change; the family's row is read from the merchant's shard. */
export async function paytreeNotification(d1: D1Database, event: IntentEvent, baseUrl: string): Promise<string> {
  const change = statusChangeOf(event);
  if (!change) throw new Error(`${event.type} is not a status change for a Paytree notification`);
  const row = await paytreeRowOf(d1, event.object.id);
  if (!row) throw new Error(`No Paytree row for ${event.object.id}`);
  const body: PaytreeNotificationWire = {
    id: event.id,
    event: NOTIFICATION_EVENT,
    created: new Date(event.created).toISOString(),
    status: change.status,
    payment: change.payment,
    transaction_ref: row.transactionRef,
    client_ref: row.clientRef,
    payment_intent: paytreeIntentToWire(event.object, row, baseUrl),
  };
  return JSON.stringify(body);
}

/**
 * Whether the intent was made through this family: `made` once its row is written, `making` while
 * the create that makes it still holds a reservation of its transaction_ref (the intent exists, the
 * row not yet: src/db/paytree.ts), null for an intent of another family.
 */
export async function paytreeOrigin(d1: D1Database, intent: PaymentIntent): Promise<'made' | 'making' | null> {
  if (await paytreeRowOf(d1, intent.id)) return 'made';
  if (intent.reference === null || intent.notificationUrl === null) return null;
  const t = paytreeIntents;
  const [reserved] = await drizzle(d1)
    .select({ intentId: t.intentId })
    .from(t)
    .where(
      and(
        eq(t.merchantId, intent.merchantId),
        eq(t.livemode, intent.livemode),
        eq(t.transactionRef, intent.reference),
        eq(t.state, 'reserved'),
      ),
    )
    .limit(1);
  // The reservation may have become this intent's row meanwhile: look again.
  if (!reserved) return (await paytreeRowOf(d1, intent.id)) ? 'made' : null;
  return 'making';
}

function latestCharge(intent: PaymentIntent): string | null {
  return intent.charges.at(-1)?.id ?? null;
}

function disputedCharge(event: IntentEvent): string | null {
  return event.object.disputes.find((d) => d.id === event.subject?.id)?.charge ?? null;
}
