/**
 * Stripe's event object, rendered from the canonical event (src/intents/events.ts). Pure: the same
 * canonical event and version always give the same bytes, so every delivery and every read of an
 * event shows the same body. Versioned by API_VERSION: a new wire version adds a renderer beside
 * this one, and what was delivered under the old one can still be rendered the old way.
 */
import { changedFields } from '../../../domain/intent.js';
import type { SessionEventType } from '../../../domain/checkout-session.js';
import type { MandateEventType } from '../../../domain/mandate.js';
import type { EventType } from '../../../domain/status.js';
import type { CanonicalEvent, IntentEvent, MandateEvent, SessionEvent } from '../../../intents/events.js';
import { snakeCase } from '../spelling.js';
import { sessionToWire } from './checkout-session.js';
import { chargeToWire } from './charge.js';
import { disputeToWire } from './dispute.js';
import { mandateToWire } from './mandate.js';
import { refundToWire } from './refund.js';
import { type Links, toWire } from './payment-intent.js';

/** The version of this API's wire format that events are rendered in. */
export const API_VERSION = '2026-11-01';

export interface EventWire {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  livemode: boolean;
  type: EventType | SessionEventType | MandateEventType;
  /** Per object: 1 for its first event, then one more for each. */
  sequence: number;
  data: {
    object:
      | ReturnType<typeof toWire>
      | ReturnType<typeof sessionToWire>
      | ReturnType<typeof mandateToWire>
      | ReturnType<typeof chargeToWire>
      | ReturnType<typeof refundToWire>
      | ReturnType<typeof disputeToWire>;
    previous_attributes: Record<string, unknown>;
  };
  request: { id: string | null; idempotency_key: string | null };
  pending_webhooks?: number;
}

export function renderEvent(event: CanonicalEvent, links: Links): EventWire {
  switch (event.kind) {
    case 'checkout.session':
      return renderSessionEvent(event, links);
    case 'mandate':
      return renderMandateEvent(event);
    case 'payment_intent':
      return renderIntentEvent(event, links);
  }
}

/** A mandate's event: the mandate as it is after it. */
function renderMandateEvent(event: MandateEvent): EventWire {
  return envelope(event, { object: mandateToWire(event.object), previous_attributes: {} });
}

/** A Checkout Session's event: the session as it is after it; Stripe sends no previous attributes with these. */
function renderSessionEvent(event: SessionEvent, links: Links): EventWire {
  return envelope(event, { object: sessionToWire(event.object, links), previous_attributes: {} });
}

/** The event object around what changed: the same for every kind of object. */
function envelope(event: CanonicalEvent, data: EventWire['data']): EventWire {
  return {
    id: event.id,
    object: 'event',
    api_version: API_VERSION,
    created: Math.floor(event.created / 1000),
    livemode: event.object.livemode,
    type: event.type,
    sequence: event.sequence,
    data,
    request: { id: event.request.id, idempotency_key: event.request.idempotencyKey },
  };
}

/** An event about one of the intent's charges, refunds or disputes: that object, as it is after it. */
function renderSubjectEvent(event: IntentEvent, subject: NonNullable<IntentEvent['subject']>): EventWire {
  const intent = event.object;
  const object =
    subject.kind === 'charge'
      ? find(intent.charges, subject.id, chargeToWire.bind(null, intent))
      : subject.kind === 'refund'
        ? find(intent.refunds, subject.id, refundToWire.bind(null, intent))
        : find(intent.disputes, subject.id, disputeToWire.bind(null, intent));
  return envelope(event, { object, previous_attributes: {} });
}

function find<T extends { id: string }, W>(items: readonly T[], id: string, render: (item: T) => W): W {
  const item = items.find((i) => i.id === id);
  // The event's snapshot is the intent right after the change that made it: its subject is in it.
  if (!item) throw new Error(`event subject ${id} is not in the intent's snapshot`);
  return render(item);
}

function renderIntentEvent(event: IntentEvent, links: Links): EventWire {
  if (event.subject) return renderSubjectEvent(event, event.subject);
  const object = toWire(event.object, links);
  // The previous values, rendered exactly as the object is, then only the changed fields kept.
  const previousState = { ...event.object, ...event.previousAttributes };
  const before = toWire(previousState, links);
  const previous: Record<string, unknown> = {};
  for (const field of Object.keys(changedFields(event.object, previousState))) {
    const key = snakeCase(field) as keyof typeof before;
    previous[key] = before[key];
  }
  return envelope(event, { object, previous_attributes: previous });
}
