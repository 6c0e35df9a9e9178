/**
 * The family of 004_… (Finternet) under /finternet: its X-API-Key auth, error envelope and
 * rendering over the one service seam, so a Finternet client works by changing its base URL to
 * `${PUBLIC_BASE_URL}/finternet`. It has its own API description at /finternet/openapi.json: its
 * envelope is not Stripe's, and the canonical document (and the checks every route of it gets) stays
 * Stripe's.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { readSettings } from '../../env.js';
import type { AppEnv } from '../../http/context.js';
import { redactPath } from '../../lib/card-numbers.js';
import { newRouter, route } from '../../http/router.js';
import { API_KEY_SCHEME } from './auth.js';
import { FinternetError, finternetErrorHandler, renderFinternetError } from './errors.js';
import * as handlers from './handlers.js';
import * as routes from './routes.js';
import { PREFIX } from './schemas.js';

export const FINTERNET_DOCUMENT = `${PREFIX}/openapi.json`;

function family(): OpenAPIHono<AppEnv> {
  const app = newRouter();
  app.onError(finternetErrorHandler);
  for (const [name, scheme] of Object.entries(API_KEY_SCHEME)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  route(app, routes.create, handlers.create);
  // The public lookup before the authenticated one: `public` is not an intent id.
  route(app, routes.retrievePublic, handlers.retrievePublic);
  route(app, routes.retrieve, handlers.retrieve);
  route(app, routes.submitSignature, handlers.submitSignature);
  route(app, routes.confirmDelivery, handlers.confirmDelivery);
  route(app, routes.cancel, handlers.cancel);
  app.doc31(FINTERNET_DOCUMENT, (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'edge-payment-intents: the wire of Finternet`s payment intents',
      version: '0.1.0',
      description:
        'USDC payment intents in Finternet`s shape (004_…), settled off chain after delivery. Authenticate with `X-API-Key: <secret API key>`; ' +
        '`GET /finternet/v1/payment-intents/public/{intentId}` needs none.',
    },
    servers: [{ url: readSettings(c.env).publicBaseUrl }],
  }));
  // An unknown path is quoted, but never a card number in it (no route refused it: none matched).
  app.all(`${PREFIX}/*`, (c) =>
    renderFinternetError(
      c,
      new FinternetError('route_not_found', `Unrecognized request URL (${c.req.method}: ${redactPath(c.req.path)}).`),
    ),
  );
  return app;
}

/** The family, mounted through a plain router: zod-openapi would copy its routes into the canonical document. */
export function finternetApi(): Hono<AppEnv> {
  return new Hono<AppEnv>().route('/', family());
}
