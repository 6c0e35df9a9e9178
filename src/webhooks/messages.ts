/** What travels on the webhook queue. */
export type WebhookMessage =
  /** An event from an intent's outbox, to be fanned out to the endpoints that want it. */
  | { kind: 'event'; eventId: string; merchantId: string; livemode: boolean; notificationUrl: string | null; event: string }
  /** One delivery of one event to one target. */
  | { kind: 'delivery'; deliveryId: string };
