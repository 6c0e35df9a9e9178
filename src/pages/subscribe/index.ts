/** The subscribe page of a debit item (/subscribe/{button_id}): its routes (routes.ts), handlers (handlers.ts) and HTML (view.ts). */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { links } from '../../api/stripe/context.js';
import { stripeErrorHandler } from '../../api/stripe/errors.js';
import type { AppEnv } from '../../http/context.js';
import { newRouter, route } from '../../http/router.js';
import { showPage, subscribeFromPage } from './handlers.js';
import { show, subscribeRoute } from './routes.js';

export function subscribePages(): OpenAPIHono<AppEnv> {
  const app = newRouter();
  app.onError(stripeErrorHandler(links));
  route(app, show, showPage);
  route(app, subscribeRoute, subscribeFromPage);
  return app;
}
