/**
 * The family of 002_… (DebitLlama's /api/v1): its own access-token auth, error envelope and
 * rendering over the same read model as the canonical family, so a DebitLlama client works by
 * changing its base URL. It has its own API description at /api/v1/openapi.json: its envelope is not
 * Stripe's, and the canonical document (and the checks every route of it gets) stays Stripe's.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { readSettings } from '../../env.js';
import { redactPath } from '../../lib/card-numbers.js';
import type { AppEnv } from '../../http/context.js';
import { newRouter, route } from '../../http/router.js';
import { ACCESS_TOKEN_SCHEME } from './auth.js';
import { ApiV1Error, apiV1ErrorHandler, renderApiV1Error } from './errors.js';
import * as handlers from './handlers.js';
import * as routes from './routes.js';

function family(): OpenAPIHono<AppEnv> {
  const app = newRouter();
  app.onError(apiV1ErrorHandler);
  for (const [name, scheme] of Object.entries(ACCESS_TOKEN_SCHEME)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  route(app, routes.paymentIntents, handlers.paymentIntents);
  route(app, routes.paymentIntent, handlers.paymentIntent);
  route(app, routes.accounts, handlers.accounts);
  route(app, routes.items, handlers.items);
  route(app, routes.item, handlers.item);
  app.doc31('/api/v1/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'edge-payment-intents: the wire of DebitLlama`s /api/v1',
      version: '0.1.0',
      description: 'Recurring debits (mandates) in DebitLlama`s API v1 shape. Authenticate with `Authorization: Bearer <secret API key>`.',
    },
    servers: [{ url: readSettings(c.env).publicBaseUrl }],
  }));
  app.all('/api/v1/*', (c) =>
    renderApiV1Error(c, new ApiV1Error(404, `Unrecognized request URL (${c.req.method}: ${redactPath(c.req.path)}).`)),
  );
  return app;
}

/**
 * The family, mounted through a plain router: zod-openapi would copy its routes into the canonical
 * document; Hono keeps its error handler for its own routes either way.
 */
export function debitLlamaApi(): Hono<AppEnv> {
  return new Hono<AppEnv>().route('/', family());
}
