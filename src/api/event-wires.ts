/**
 * How each API family renders a canonical event (a payment intent's or a Checkout Session's) for a webhook delivery. The webhook
 * consumer looks a target's wire up here; a family with its own callback shape (001_…'s
 * notification_url) adds a wire to this table and claims its targets in notificationWireOf — the
 * core, which stores and queues canonical events only, does not change.
 */
import { paytreeNotification, paytreeOrigin, statusChangeOf } from '../compat/paytree/notifications.js';
import type { CanonicalEvent } from '../intents/events.js';
import { renderEvent } from './stripe/wire/event.js';
import type { Links } from './stripe/wire/payment-intent.js';

export interface DeliveryContext {
  links: Links;
  /** How many targets this event is being delivered to. */
  pendingWebhooks: number;
  /** The merchant's shard: a family reads the fields its body needs from its own table there, before rendering. */
  d1: D1Database;
}

export interface EventWire {
  /** Whether a target on this wire hears of the event at all (pure: decided before the fan-out counts its targets). */
  carries(event: CanonicalEvent): boolean;
  /** The delivered body, fixed once per (event, target). */
  render(event: CanonicalEvent, delivery: DeliveryContext): Promise<string>;
}

export const EVENT_WIRES = {
  /** Stripe's event object (what /v1/webhook_endpoints deliver, and a canonical intent's notification_url): every event. */
  stripe: {
    carries: () => true,
    render: async (event, delivery) =>
      JSON.stringify({ ...renderEvent(event, delivery.links), pending_webhooks: delivery.pendingWebhooks }),
  },
  /** 001_…'s notification_url callback: its status changes only, in Paytree's body (src/compat/paytree/notifications.ts). */
  paytree: {
    carries: (event) => event.kind === 'payment_intent' && statusChangeOf(event) !== null,
    render: async (event, delivery) => {
      if (event.kind !== 'payment_intent') throw new Error(`A Paytree notification is about a payment intent, not a ${event.kind}`);
      return paytreeNotification(delivery.d1, event, delivery.links.baseUrl);
    },
  },
} satisfies Record<string, EventWire>;

export type EventWireName = keyof typeof EVENT_WIRES;

/**
 * The wire of an intent's notification_url: that of the family the intent was made through, when
 * the family has callbacks of its own, Stripe's otherwise; `undecided` while a family's create is
 * still writing its row (the fan-out tries again shortly, rather than guess).
 */
export async function notificationWireOf(event: CanonicalEvent, d1: D1Database): Promise<EventWireName | 'undecided'> {
  if (event.kind !== 'payment_intent') return 'stripe';
  switch (await paytreeOrigin(d1, event.object)) {
    case 'made':
      return 'paytree';
    case 'making':
      return 'undecided';
    case null:
      return 'stripe';
  }
}
