/**
 * The canonical API family: Stripe's wire (form or JSON bodies, Stripe's error envelope, API keys
 * as Bearer or Basic), so the official `stripe` SDK works unmodified. A sub-app with its own auth,
 * error renderer and resources; every resource reaches the core through the service seam.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/context.js';
import { newRouter } from '../../http/router.js';
import { SECURITY_SCHEMES } from './auth.js';
import { links } from './context.js';
import { charges } from './charges/index.js';
import { checkoutSettingsRoutes } from './checkout-settings/index.js';
import { checkoutSessions } from './checkout-sessions/index.js';
import { cryptoSettingsRoutes } from './crypto-settings/index.js';
import { debitItems } from './debit-items/index.js';
import { disputes } from './disputes/index.js';
import { stripeErrorHandler } from './errors.js';
import { events } from './events/index.js';
import { mandates } from './mandates/index.js';
import { paymentIntents } from './payment-intents/index.js';
import { testHelpers } from './test-helpers/index.js';
import { refunds } from './refunds/index.js';
import { webhooks } from './webhooks/index.js';

export function stripeApi(): OpenAPIHono<AppEnv> {
  const app = newRouter();
  app.onError(stripeErrorHandler(links));
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  paymentIntents(app);
  charges(app);
  checkoutSessions(app);
  debitItems(app);
  mandates(app);
  events(app);
  webhooks(app);
  cryptoSettingsRoutes(app);
  checkoutSettingsRoutes(app);
  disputes(app);
  testHelpers(app);
  refunds(app);
  return app;
}
