/**
 * The event object on the wire (and in webhook bodies), rendered once, when the change commits, so
 * every delivery and every read shows the same bytes.
 */
import { changedFields, type DomainEvent, type PaymentIntent } from '../domain/payment-intent.js';
import { toWire } from './payment-intent.js';

/** The version of this API's wire format that events are rendered in. */
export const API_VERSION = '2026-11-01';

export interface EventWire {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  livemode: boolean;
  type: string;
  /** Per intent: 1 for its first event, then one more for each. */
  sequence: number;
  data: { object: ReturnType<typeof toWire>; previous_attributes: Record<string, unknown> };
  request: { id: string | null; idempotency_key: string | null };
  pending_webhooks?: number;
}

export function renderEvent(input: {
  id: string;
  sequence: number;
  created: number;
  event: DomainEvent;
  /** The intent after the change. */
  state: PaymentIntent;
  request: { id: string | null; idempotencyKey: string | null };
  baseUrl: string;
}): EventWire {
  const object = toWire(input.state, input.baseUrl);
  // The previous values, rendered exactly as the object is, then only the changed fields kept.
  const previousState = { ...input.state, ...input.event.previousAttributes };
  const before = toWire(previousState, input.baseUrl);
  const previous: Record<string, unknown> = {};
  for (const field of Object.keys(changedFields(input.state, previousState))) {
    const key = field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) as keyof typeof before;
    previous[key] = before[key];
  }
  return {
    id: input.id,
    object: 'event',
    api_version: API_VERSION,
    created: Math.floor(input.created / 1000),
    livemode: input.state.livemode,
    type: input.event.type,
    sequence: input.sequence,
    data: { object, previous_attributes: previous },
    request: { id: input.request.id, idempotency_key: input.request.idempotencyKey },
  };
}
