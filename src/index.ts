/** Worker entry: the HTTP app, the webhook queue consumer, the hourly housekeeping, and the Durable Object classes (payment intents, chain watchers). */
import { purgeExpiredKeys } from './db/idempotency.js';
import type { Env } from './env.js';
import { createApp } from './http/app.js';
import { handleWebhookBatch } from './webhooks/consumer.js';
import type { WebhookMessage } from './webhooks/messages.js';

export { ChainWatcher } from './chain/watcher.js';
export { PaymentIntentObject } from './intents/intent-object.js';

const app = createApp();

export default {
  fetch: app.fetch,
  /** The webhook queue and its dead-letter queue. */
  queue: (batch, env) => handleWebhookBatch(batch as MessageBatch<WebhookMessage>, env),
  /** Hourly (wrangler.toml [triggers]): drops idempotency keys past their 24 hours. */
  async scheduled(controller, env) {
    await purgeExpiredKeys(env.DB, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;
