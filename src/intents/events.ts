/**
 * The canonical event: what happened (type), to which object (its state right after), what changed
 * (previous values), and who asked (request). The object is a payment intent or a Checkout Session
 * (`kind`). It speaks no API family's wire: each family renders its own body from it, purely
 * (src/api/stripe/wire/event.ts for Stripe's).
 *
 * It travels on the webhook queue and rests in the D1 read model as JSON in the stored form (amounts
 * as digit strings, the object as its versioned record), with a version of its own:
 *
 *   v1: a payment intent's event (no kind).
 *   v2: `kind`, payment_intent or checkout.session (and, later in v2, mandate). A payment intent's
 *       event about one of its charges, refunds or disputes (charge.*, refund.*, charge.dispute.*)
 *       names it in its previous attributes as `$subject` (see subjectAttributes), and has no
 *       other previous attributes.
 */
import { fromSessionRecord, type SessionRecord } from '../checkout/record.js';
import { type CheckoutSession, SESSION_EVENT_TYPES, type SessionEventType } from '../domain/checkout-session.js';
import { MANDATE_EVENT_TYPES, type Mandate, type MandateEventType } from '../domain/mandate.js';
import { fromMandateRecord, type MandateRecord } from '../mandates/record.js';
import type { EventSubject } from '../domain/charge.js';
import type { PaymentIntent } from '../domain/intent.js';
import { EVENT_TYPES, type EventType } from '../domain/status.js';
import type { EventRow } from '../durable/entity.js';
import { fromRecord, type IntentRecord, partialFromRecord } from './record.js';

interface EventFields {
  id: string;
  /** Per object: 1 for its first event, then one more for each, with no gaps. */
  sequence: number;
  /** Milliseconds since the epoch. */
  created: number;
  request: { id: string | null; idempotencyKey: string | null };
}

export interface IntentEvent extends EventFields {
  kind: 'payment_intent';
  type: EventType;
  /** The intent right after the change. */
  object: PaymentIntent;
  /** The fields that changed, with their values before it. */
  previousAttributes: Partial<PaymentIntent>;
  /** The charge, refund or dispute the event is about (charge.*, refund.*, charge.dispute.*); null for the intent's own events. */
  subject: EventSubject | null;
}

export interface SessionEvent extends EventFields {
  kind: 'checkout.session';
  type: SessionEventType;
  /** The session right after the change. */
  object: CheckoutSession;
}

export interface MandateEvent extends EventFields {
  kind: 'mandate';
  type: MandateEventType;
  /** The mandate right after the change. */
  object: Mandate;
}

export type CanonicalEvent = IntentEvent | SessionEvent | MandateEvent;

/** Every event type there is: what webhook endpoints may enable and /v1/events may filter on. */
export const ALL_EVENT_TYPES = [...EVENT_TYPES, ...SESSION_EVENT_TYPES, ...MANDATE_EVENT_TYPES] as const;
export type EventKind = CanonicalEvent['kind'];

export const EVENT_FORMAT_VERSION = 2;

type SerializedEvent = {
  v: 1 | typeof EVENT_FORMAT_VERSION;
  /** Absent in v1: a payment intent. */
  kind?: EventKind;
  id: string;
  sequence: number;
  type: string;
  created: number;
  request: { id: string | null; idempotency_key: string | null };
  object: IntentRecord | SessionRecord | MandateRecord;
  previous_attributes: Record<string, unknown>;
};

const SUBJECT_KEY = '$subject';

/** The stored previous attributes of an event about a charge, refund or dispute: only which one. */
export function subjectAttributes(subject: EventSubject): Record<string, unknown> {
  return { [SUBJECT_KEY]: subject };
}

/** The subject and the intent's previous attributes of a stored event's previous attributes. */
function splitSubject(stored: Record<string, unknown>): { subject: EventSubject | null; previous: Partial<PaymentIntent> } {
  if (SUBJECT_KEY in stored) return { subject: stored[SUBJECT_KEY] as EventSubject, previous: {} };
  return { subject: null, previous: partialFromRecord(stored) };
}

export function eventFromRow(row: EventRow): IntentEvent {
  const { subject, previous } = splitSubject(JSON.parse(row.previous_attributes));
  return {
    kind: 'payment_intent',
    id: row.id,
    sequence: row.seq,
    type: row.type as EventType,
    created: row.created,
    request: { id: row.request_id, idempotencyKey: row.idempotency_key },
    object: fromRecord(JSON.parse(row.object)),
    previousAttributes: previous,
    subject,
  };
}

/** The event's JSON for the queue and the read model, from its stored row (a payment intent's, unless told). */
export function serializeEventRow(row: EventRow, kind: EventKind = 'payment_intent'): string {
  const serialized: SerializedEvent = {
    v: EVENT_FORMAT_VERSION,
    kind,
    id: row.id,
    sequence: row.seq,
    type: row.type,
    created: row.created,
    request: { id: row.request_id, idempotency_key: row.idempotency_key },
    object: JSON.parse(row.object),
    previous_attributes: JSON.parse(row.previous_attributes),
  };
  return JSON.stringify(serialized);
}

export function parseEvent(json: string): CanonicalEvent {
  const e = JSON.parse(json) as SerializedEvent;
  if (e.v !== 1 && e.v !== EVENT_FORMAT_VERSION) throw new Error(`Unknown event format ${String(e.v)}`);
  const fields: EventFields = {
    id: e.id,
    sequence: e.sequence,
    created: e.created,
    request: { id: e.request.id, idempotencyKey: e.request.idempotency_key },
  };
  const stored = e.object as unknown as { v: number } & Record<string, unknown>;
  if (e.kind === 'checkout.session') {
    return { ...fields, kind: 'checkout.session', type: e.type as SessionEventType, object: fromSessionRecord(stored) };
  }
  if (e.kind === 'mandate') return { ...fields, kind: 'mandate', type: e.type as MandateEventType, object: fromMandateRecord(stored) };
  const { subject, previous } = splitSubject(e.previous_attributes);
  return {
    ...fields,
    kind: 'payment_intent',
    type: e.type as EventType,
    object: fromRecord(stored),
    previousAttributes: previous,
    subject,
  };
}
