/** Worker entry: the HTTP app, the webhook queue consumer, the hourly housekeeping, and the Durable Object classes (payment intents, chain watchers, relayers, Checkout Sessions). */
import { purgeExpiredKeys } from './db/idempotency.js';
import { boundShards, shardDatabase } from './db/shards.js';
import type { Env } from './env.js';
import { createApp } from './http/app.js';
import { handleWebhookBatch } from './webhooks/consumer.js';
import type { WebhookMessage } from './webhooks/messages.js';

export { Relayer } from './chain/relayer.js';
export { ChainWatcher } from './chain/watcher.js';
export { CheckoutSessionObject } from './checkout/session-object.js';
export { PaymentIntentObject } from './intents/intent-object.js';
export { MandateObject } from './mandates/mandate-object.js';

const app = createApp();

export default {
  fetch: app.fetch,
  /** The webhook queue and its dead-letter queue. */
  queue: (batch, env) => handleWebhookBatch(batch as MessageBatch<WebhookMessage>, env),
  /** Hourly (wrangler.toml [triggers]): drops idempotency keys past their 24 hours, on every shard. */
  async scheduled(controller, env) {
    // Every shard is purged even if one fails; the run then fails, naming the shards that did not answer.
    const shards = boundShards(env);
    const results = await Promise.allSettled(shards.map((shard) => purgeExpiredKeys(shardDatabase(env, shard), controller.scheduledTime)));
    const failed = shards.filter((_, i) => results[i]!.status === 'rejected');
    if (failed.length > 0) {
      const reasons = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      throw new AggregateError(reasons, `purging expired idempotency keys failed on ${failed.join(', ')}`);
    }
  },
} satisfies ExportedHandler<Env>;
