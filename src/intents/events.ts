/**
 * The canonical event of a payment intent: what happened (type), to which intent (its state right
 * after), what changed (previous values), and who asked (request). It speaks no API family's wire:
 * each family renders its own body from it, purely (src/api/stripe/events.ts for Stripe's).
 *
 * It travels on the webhook queue and rests in the D1 read model as JSON in the stored form (amounts
 * as digit strings, the intent as its versioned record), with a version of its own.
 */
import type { PaymentIntent } from '../domain/intent.js';
import type { EventType } from '../domain/status.js';
import type { EventRow } from '../durable/entity.js';
import { fromRecord, type IntentRecord, partialFromRecord } from './record.js';

export interface IntentEvent {
  id: string;
  /** Per intent: 1 for its first event, then one more for each, with no gaps. */
  sequence: number;
  type: EventType;
  /** Milliseconds since the epoch. */
  created: number;
  request: { id: string | null; idempotencyKey: string | null };
  /** The intent right after the change. */
  object: PaymentIntent;
  /** The fields that changed, with their values before it. */
  previousAttributes: Partial<PaymentIntent>;
}

export const EVENT_FORMAT_VERSION = 1;

interface SerializedEvent {
  v: typeof EVENT_FORMAT_VERSION;
  id: string;
  sequence: number;
  type: EventType;
  created: number;
  request: { id: string | null; idempotency_key: string | null };
  object: IntentRecord;
  previous_attributes: Record<string, unknown>;
}

export function eventFromRow(row: EventRow): IntentEvent {
  return {
    id: row.id,
    sequence: row.seq,
    type: row.type as EventType,
    created: row.created,
    request: { id: row.request_id, idempotencyKey: row.idempotency_key },
    object: fromRecord(JSON.parse(row.object)),
    previousAttributes: partialFromRecord(JSON.parse(row.previous_attributes)),
  };
}

/** The event's JSON for the queue and the read model, from its stored row. */
export function serializeEventRow(row: EventRow): string {
  const serialized: SerializedEvent = {
    v: EVENT_FORMAT_VERSION,
    id: row.id,
    sequence: row.seq,
    type: row.type as EventType,
    created: row.created,
    request: { id: row.request_id, idempotency_key: row.idempotency_key },
    object: JSON.parse(row.object),
    previous_attributes: JSON.parse(row.previous_attributes),
  };
  return JSON.stringify(serialized);
}

export function parseEvent(json: string): IntentEvent {
  const e = JSON.parse(json) as SerializedEvent;
  if (e.v !== EVENT_FORMAT_VERSION) throw new Error(`Unknown intent event format ${String(e.v)}`);
  return {
    id: e.id,
    sequence: e.sequence,
    type: e.type,
    created: e.created,
    request: { id: e.request.id, idempotencyKey: e.request.idempotency_key },
    object: fromRecord(e.object as unknown as { v: number } & Record<string, unknown>),
    previousAttributes: partialFromRecord(e.previous_attributes),
  };
}
