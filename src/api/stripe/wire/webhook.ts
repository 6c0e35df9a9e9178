/** Webhook endpoints, deliveries and the notification secret on Stripe's wire: rows → objects, times in Unix seconds. */
import { type DeliveryWithAttempts, type EndpointRow, previousSecretsExpireAt } from '../../../db/webhooks.js';
import { API_VERSION } from './event.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

export function endpointToWire(row: EndpointRow) {
  return {
    id: row.id,
    object: 'webhook_endpoint' as const,
    api_version: API_VERSION,
    created: seconds(row.createdAt),
    description: row.description,
    enabled_events: JSON.parse(row.enabledEvents) as string[],
    livemode: row.livemode,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    status: row.status,
    url: row.url,
  };
}

export function deliveryToWire(row: DeliveryWithAttempts) {
  return {
    id: row.id,
    object: 'webhook_delivery' as const,
    event: row.eventId,
    endpoint: row.endpointId,
    url: row.url,
    status: row.status,
    attempts: row.attemptList.map((a) => ({
      attempt: a.attempt,
      status_code: a.statusCode,
      duration_ms: a.durationMs,
      response_body: a.responseBody,
      error: a.error,
      created: seconds(a.createdAt),
    })),
    created: seconds(row.createdAt),
    dead_lettered_at: row.deadLetteredAt === null ? null : seconds(row.deadLetteredAt),
    livemode: row.livemode,
  };
}

/** `previous_secret_expires_at`: when the last secret that rolls replaced stops signing, as of `now`. */
export function notificationSecretToWire(
  row: { secret: string; previousSecrets: string; createdAt: number },
  livemode: boolean,
  now = Date.now(),
) {
  const previousExpireAt = previousSecretsExpireAt(row, now);
  return {
    object: 'notification_secret' as const,
    secret: row.secret,
    previous_secret_expires_at: previousExpireAt === null ? null : seconds(previousExpireAt),
    livemode,
    created: seconds(row.createdAt),
  };
}
