/** Worker entry: the HTTP app, and the payment intent Durable Object class. */
import type { Env } from './env.js';
import { createApp } from './http/app.js';

export { PaymentIntentObject } from './intents/intent-object.js';

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
