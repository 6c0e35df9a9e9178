/** Registers /v1/payment_intents on the family's router, in the order paths must be matched. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv } from '../../../http/context.js';
import { route } from '../../../http/router.js';
import * as handlers from './handlers.js';
import * as routes from './routes.js';

export function paymentIntents(app: OpenAPIHono<AppEnv>): void {
  // Browsers look intents up by client secret, confirm them (as Stripe.js does) and send a payer's
  // signature, from any origin (a checkout page); nothing else is allowed cross-origin, and no
  // credentials but the Authorization header.
  app.use(
    '/v1/payment_intents/:id',
    browserRoute('GET', (c) => c.req.param('id') !== 'search'),
  );
  // A browser's retry of its confirm may carry an Idempotency-Key, as a server's does.
  app.use(
    '/v1/payment_intents/:id/confirm',
    browserRoute('POST', () => true, ['Idempotency-Key']),
  );
  app.use('/v1/payment_intents/:id/crypto_signature', browserRoute('POST'));
  app.use('/v1/payment_intents/:id/escrow_deposit', browserRoute('POST'));
  route(app, routes.create, handlers.create);
  route(app, routes.search, handlers.search);
  route(app, routes.retrieve, handlers.retrieve);
  route(app, routes.live, handlers.live);
  route(app, routes.update, handlers.update);
  route(app, routes.confirm, handlers.confirm);
  route(app, routes.cryptoSignature, handlers.cryptoSignature);
  route(app, routes.escrowDeposit, handlers.escrowDeposit);
  route(app, routes.capture, handlers.capture);
  route(app, routes.cancel, handlers.cancel);
  route(app, routes.list, handlers.list);
}

/**
 * CORS for one browser route: its method's requests and their preflights, and nothing else matched
 * by the path pattern (another method on the same path, or a literal path such as /search that the
 * pattern also matches) gets a CORS header.
 */
function browserRoute(
  method: 'GET' | 'POST',
  isRoute: (c: Context<AppEnv>) => boolean = () => true,
  moreHeaders: string[] = [],
): MiddlewareHandler<AppEnv> {
  const allow = cors({
    origin: '*',
    allowHeaders: ['Authorization', 'Content-Type', ...moreHeaders],
    allowMethods: [method],
    maxAge: 600,
  });
  return async (c, next) => {
    const requested = c.req.method === 'OPTIONS' ? c.req.header('access-control-request-method') : c.req.method;
    if (requested?.toUpperCase() !== method || !isRoute(c)) return next();
    return allow(c, next);
  };
}
