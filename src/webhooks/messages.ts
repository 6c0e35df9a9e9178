/** What travels on the webhook queue. */
export type WebhookMessage =
  /**
   * An event from an entity's outbox, to be fanned out to the targets that want it. `canonical` is
   * the canonical event (src/intents/events.ts); each target's API family renders its own body.
   */
  | { kind: 'event'; eventId: string; merchantId: string; livemode: boolean; notificationUrl: string | null; canonical: string }
  /** An event queued before events were canonical: its Stripe-wire body, already rendered. */
  | { kind: 'event'; eventId: string; merchantId: string; livemode: boolean; notificationUrl: string | null; event: string }
  /** One delivery of one event to one target. */
  | { kind: 'delivery'; deliveryId: string };
