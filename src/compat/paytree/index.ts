/**
 * The family of 001_… (Paytree's Secured Checkout API) under /paytree: its Token auth, DRF error
 * envelope and rendering over the one service seam, so a Paytree client works by changing its base
 * URL to `${PUBLIC_BASE_URL}/paytree`. Its own API description is at /paytree/openapi.json: its
 * envelope is not Stripe's. Each path answers with and without its trailing slash; another method
 * on a path is DRF's 405, an unknown path its 404.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { readSettings } from '../../env.js';
import type { AppEnv } from '../../http/context.js';
import { newRouter } from '../../http/router.js';
import { SECURITY_SCHEMES, token } from './auth.js';
import { notFound, paytreeErrorHandler, renderPaytreeError } from './errors.js';
import * as handlers from './handlers.js';
import * as routes from './routes.js';
import { PREFIX } from './schemas.js';

export const PAYTREE_DOCUMENT = `${PREFIX}/openapi.json`;

function family(): OpenAPIHono<AppEnv> {
  const app = newRouter();
  app.onError(paytreeErrorHandler);
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  for (const route of [routes.create, routes.list, routes.retrieve]) app.openAPIRegistry.registerPath(route);
  const collection = [routes.COLLECTION, routes.COLLECTION.slice(0, -1)];
  const one = [`${routes.COLLECTION}:id/`, `${routes.COLLECTION}:id`];
  app.post(collection[0]!, token.middleware, handlers.create);
  app.post(collection[1]!, token.middleware, handlers.create);
  app.get(collection[0]!, token.middleware, handlers.list);
  app.get(collection[1]!, token.middleware, handlers.list);
  app.get(one[0]!, token.middleware, handlers.retrieve);
  app.get(one[1]!, token.middleware, handlers.retrieve);
  app.doc31(PAYTREE_DOCUMENT, (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'edge-payment-intents: the wire of Paytree`s Secured Checkout API',
      version: '0.1.0',
      description:
        'Payment intents in the shape of Paytree`s Secured Checkout API (001_…). Authenticate with `Authorization: Token <secret API key>` ' +
        '(or `Bearer <secret API key>`). Create takes JSON, form-encoded and multipart bodies; errors are Django REST framework`s.',
    },
    servers: [{ url: readSettings(c.env).publicBaseUrl }],
  }));
  for (const path of collection) app.all(path, token.middleware, handlers.methodNotAllowed('GET, POST, HEAD, OPTIONS'));
  for (const path of one) app.all(path, token.middleware, handlers.methodNotAllowed('GET, HEAD, OPTIONS'));
  app.all(`${PREFIX}/*`, (c) => renderPaytreeError(c, notFound()));
  return app;
}

/** The family, mounted through a plain router: zod-openapi would copy its routes into the canonical document. */
export function paytreeApi(): Hono<AppEnv> {
  return new Hono<AppEnv>().route('/', family());
}
