/** Registers /v1/payment_intents on the family's router, in the order paths must be matched. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import type { AppEnv } from '../../../http/context.js';
import { route } from '../../../http/router.js';
import * as handlers from './handlers.js';
import * as routes from './routes.js';

export function paymentIntents(app: OpenAPIHono<AppEnv>): void {
  // Browsers look intents up by client secret, and send a payer's signature, from any origin (a
  // checkout page); nothing else is allowed cross-origin, and no credentials but the Authorization header.
  app.use(
    '/v1/payment_intents/:id',
    cors({ origin: '*', allowHeaders: ['Authorization', 'Content-Type'], allowMethods: ['GET'], maxAge: 600 }),
  );
  app.use(
    '/v1/payment_intents/:id/crypto_signature',
    cors({ origin: '*', allowHeaders: ['Authorization', 'Content-Type'], allowMethods: ['POST'], maxAge: 600 }),
  );
  route(app, routes.create, handlers.create);
  route(app, routes.search, handlers.search);
  route(app, routes.retrieve, handlers.retrieve);
  route(app, routes.update, handlers.update);
  route(app, routes.confirm, handlers.confirm);
  route(app, routes.cryptoSignature, handlers.cryptoSignature);
  route(app, routes.capture, handlers.capture);
  route(app, routes.cancel, handlers.cancel);
  route(app, routes.list, handlers.list);
}
