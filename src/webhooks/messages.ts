/**
 * What travels on the webhook queue. `shard` is the binding of the merchant's shard (src/db/shards.ts),
 * where the consumer finds its endpoints and deliveries; messages queued before shards carry none and
 * mean SHARD_BEFORE_SPLIT.
 */
export type WebhookMessage =
  /**
   * An event from an entity's outbox, to be fanned out to the targets that want it. `canonical` is
   * the canonical event (src/intents/events.ts); each target's API family renders its own body.
   */
  | {
      kind: 'event';
      shard?: string;
      eventId: string;
      merchantId: string;
      livemode: boolean;
      notificationUrl: string | null;
      canonical: string;
    }
  /** An event queued before events were canonical: its Stripe-wire body, already rendered. */
  | { kind: 'event'; shard?: string; eventId: string; merchantId: string; livemode: boolean; notificationUrl: string | null; event: string }
  /** One delivery of one event to one target. */
  | { kind: 'delivery'; shard?: string; deliveryId: string };
