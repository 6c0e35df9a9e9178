/** Worker entry: the HTTP app, the hourly housekeeping, and the payment intent Durable Object class. */
import { purgeExpiredKeys } from './db/idempotency.js';
import type { Env } from './env.js';
import { createApp } from './http/app.js';

export { PaymentIntentObject } from './intents/intent-object.js';

const app = createApp();

export default {
  fetch: app.fetch,
  /** Hourly (wrangler.toml [triggers]): drops idempotency keys past their 24 hours. */
  async scheduled(controller, env) {
    await purgeExpiredKeys(env.DB, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;
