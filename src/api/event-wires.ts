/**
 * How each API family renders a canonical event (a payment intent's or a Checkout Session's) for a webhook delivery. The webhook
 * consumer looks a target's wire up here; a family with its own callback shape (001_…'s
 * notification_url, say) adds a renderer to this table and tags its targets with it — the core,
 * which stores and queues canonical events only, does not change.
 */
import type { CanonicalEvent } from '../intents/events.js';
import { renderEvent } from './stripe/wire/event.js';
import type { Links } from './stripe/wire/payment-intent.js';

export interface DeliveryContext {
  links: Links;
  /** How many targets this event is being delivered to. */
  pendingWebhooks: number;
}

export const EVENT_WIRES = {
  /** Stripe's event object (what /v1/webhook_endpoints deliver, and notification_url until a family says otherwise). */
  stripe: (event: CanonicalEvent, delivery: DeliveryContext) =>
    JSON.stringify({ ...renderEvent(event, delivery.links), pending_webhooks: delivery.pendingWebhooks }),
} satisfies Record<string, (event: CanonicalEvent, delivery: DeliveryContext) => string>;

export type EventWireName = keyof typeof EVENT_WIRES;
