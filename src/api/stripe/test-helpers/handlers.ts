/** /v1/test_helpers/payment_intents handlers: Stripe's wire → the service seam → Stripe's wire. */
import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../../http/context.js';
import { intents, links } from '../context.js';
import { StripeError } from '../errors.js';
import { toWire } from '../wire/payment-intent.js';
import type * as routes from './routes.js';

export const fund: RouteHandler<typeof routes.fund, AppEnv> = async (c) => {
  const { id } = c.req.valid('param');
  const p = c.req.valid('json');
  const service = intents(c);
  // Looked up first: a live key asking about a test intent gets the 404 of an unknown one.
  const intent = await service.retrieve(id);
  if (c.get('auth').livemode) {
    throw new StripeError('parameter_invalid', 'Test helpers only work with a test key (sk_test_…): no money moves here.', 'id');
  }
  if (p.currency !== intent.currency) {
    throw new StripeError(
      'parameter_invalid',
      `currency ${p.currency} is not this PaymentIntent's currency (${intent.currency}): a transfer in another currency is not applied to it.`,
      'currency',
    );
  }
  const { intent: funded } = await service.fund(id, p.amount, p.reference);
  return c.json(toWire(funded, links(c)), 200);
};
