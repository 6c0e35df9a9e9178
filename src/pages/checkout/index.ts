/** The hosted payment page (/pay/{id}): its routes (routes.ts), handlers (handlers.ts) and HTML (view.ts). */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { links } from '../../api/stripe/context.js';
import { stripeErrorHandler } from '../../api/stripe/errors.js';
import type { AppEnv } from '../../http/context.js';
import { newRouter, route } from '../../http/router.js';
import { payFromPage, showPage } from './handlers.js';
import { pay, show } from './routes.js';

export function checkoutPages(): OpenAPIHono<AppEnv> {
  const app = newRouter();
  app.onError(stripeErrorHandler(links));
  route(app, show, showPage);
  route(app, pay, payFromPage);
  return app;
}
