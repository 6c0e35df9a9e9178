/**
 * How each API family renders an intent for a live status socket (GET …/live). The socket
 * remembers its family's name (it outlives the request that opened it, and the object may be
 * evicted in between); the intent's object renders each change with it. A family adds a row here,
 * as it does in event-wires.ts; the core does not change.
 */
import type { PaymentIntent } from '../domain/intent.js';
import { type Links, toBrowserWire } from './stripe/wire/payment-intent.js';

export const LIVE_WIRES = {
  /** Exactly what the browser lookup (GET /v1/payment_intents/:id with a publishable key) answers. */
  stripe: (intent: PaymentIntent, links: Links) => JSON.stringify(toBrowserWire(intent, links)),
} satisfies Record<string, (intent: PaymentIntent, links: Links) => string>;

export type LiveWireName = keyof typeof LIVE_WIRES;
