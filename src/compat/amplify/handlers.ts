/**
 * 000_…'s handlers: its wire → a call on the service seam (src/intents/service.ts) → the intent in its
 * spelling (wire.ts). Lookups by client secret need no key: the secret is the credential, compared in
 * constant time by the intent's object, and names the intent (pi_…_secret_…).
 */
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { callerOf } from '../../api/stripe/context.js';
import type { CreateParams, PaymentIntent } from '../../domain/intent.js';
import type { AppEnv } from '../../http/context.js';
import { IntentService, payerOfIntent } from '../../intents/service.js';
import { CUSTOM_AMOUNT_FALLBACK } from '../../domain/checkout-session.js';
import { notFoundError } from './errors.js';
import type * as routes from './routes.js';
import { amplifyStatus, paymentIntentToWire, walletAddressOf } from './wire.js';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

/**
 * An intent whose payer chooses the amount (in USD, any positive amount) and the token and network
 * (a USD stablecoin on any configured network) on the hosted page. Its amount until then is the
 * page's suggestion, as for a Checkout Session's custom amount.
 */
function createParams(receiverId: string, metadata: Record<string, string> | null | undefined): CreateParams {
  return {
    amount: CUSTOM_AMOUNT_FALLBACK,
    currency: 'usd',
    paymentMethodTypes: ['crypto'],
    payerAmount: { minimum: null, maximum: null },
    metadata: metadata ?? undefined,
    reference: receiverId,
    reserveDeposit: true,
  };
}

export const create: Handler<'create'> = async (c) => {
  const p = c.req.valid('json');
  const { intent } = await new IntentService(c.env, callerOf(c)).create(createParams(p.receiverId, p.metadata));
  return c.json(
    { paymentIntentId: intent.id, clientSecret: intent.clientSecret, walletAddress: walletAddressOf(intent)!, receiverId: p.receiverId },
    200,
  );
};

/** The intent whose client secret this is; a 404 for a malformed, unknown or wrong one alike. */
async function bySecret(c: Context<AppEnv>, clientSecret: string): Promise<PaymentIntent> {
  const id = clientSecret.split('_secret_', 1)[0]!;
  const found = await payerOfIntent(c.env, id, clientSecret, c.get('requestId'));
  if (!found) throw notFoundError();
  return found.intent;
}

export const retrieve: Handler<'retrieve'> = async (c) => {
  const intent = await bySecret(c, c.req.valid('param').clientSecret);
  return c.json(paymentIntentToWire(intent), 200);
};

export const status: Handler<'status'> = async (c) => {
  const intent = await bySecret(c, c.req.valid('json').clientSecret);
  return c.json({ status: amplifyStatus(intent) }, 200);
};
