/** The wire of events. */
import { z } from '@hono/zod-openapi';
import { ALL_EVENT_TYPES } from '../../../intents/events.js';
import { Charge } from '../charges/schemas.js';
import { CheckoutSession } from '../checkout-sessions/schemas.js';
import { Dispute } from '../disputes/schemas.js';
import { createdParams, cursorParams, limit, oneCursor } from '../list.js';
import { Mandate } from '../mandates/schemas.js';
import { PaymentIntent } from '../payment-intents/schemas.js';
import { Refund } from '../refunds/schemas.js';

export const EventListQuery = z
  .strictObject({ limit, ...cursorParams, type: z.enum(ALL_EVENT_TYPES).optional(), ...createdParams })
  .refine(...oneCursor);

export const Event = z
  .object({
    id: z.string(),
    object: z.literal('event'),
    api_version: z.string(),
    created: z.number().int(),
    livemode: z.boolean(),
    type: z.enum(ALL_EVENT_TYPES),
    sequence: z
      .number()
      .int()
      .openapi({ description: 'Per object (intent, session or mandate): 1 for its first event, one more for each after it.' }),
    data: z.object({
      object: z.union([PaymentIntent, CheckoutSession, Mandate, Charge, Refund, Dispute]),
      previous_attributes: z.record(z.string(), z.unknown()),
    }),
    request: z.object({ id: z.string().nullable(), idempotency_key: z.string().nullable() }),
    pending_webhooks: z.number().int(),
  })
  .openapi('Event');

export const EventList = z
  .object({ object: z.literal('list'), url: z.string(), has_more: z.boolean(), data: z.array(Event) })
  .openapi('EventList');
