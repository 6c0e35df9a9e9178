/**
 * /v1/payment_intents handlers. They only translate: Stripe's wire → a call on the service seam
 * (src/intents/service.ts) → the result on Stripe's wire. Refusals are thrown and rendered by the
 * family's error handler (src/api/stripe/errors.ts).
 */
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { findCursor, listIntents } from '../../../db/intents.js';
import { searchIntents } from '../../../db/search.js';
import type { CreateParams, PaymentIntent as DomainIntent, UpdateParams } from '../../../domain/intent.js';
import { parseSearchQuery, QueryError } from '../../../domain/search-query.js';
import { type AppEnv, shardOf } from '../../../http/context.js';
import type { Outcome } from '../../../intents/service.js';
import { isIntentId } from '../../../intents/service.js';
import { INTENT_ID_PATTERN } from '../../../lib/ids.js';
import { checkWebhookUrl } from '../../../webhooks/url-policy.js';
import { intents, links, scopeOf } from '../context.js';
import { CRYPTO_PARAM, cryptoOptions } from '../crypto-options.js';
import { noSuchObject, paymentFailed, StripeError } from '../errors.js';
import { createdRange } from '../list.js';
import { toBrowserWire, toWire } from '../wire/payment-intent.js';
import type * as routes from './routes.js';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

export const create: Handler<'create'> = async (c) => {
  const p = c.req.valid('json');
  const crypto = p.payment_method_options?.crypto ? await cryptoOptions(c, p.payment_method_options.crypto) : undefined;
  if (p.confirm && p.payment_method === undefined && !crypto) {
    throw new StripeError('parameter_missing', 'confirm=true needs a payment_method.', 'payment_method');
  }
  if (p.payment_method_options?.blik !== undefined && !p.confirm) {
    throw new StripeError(
      'parameter_invalid',
      'A BLIK code is good for one confirmation: pass payment_method_options[blik] together with confirm=true, or at confirm.',
      'payment_method_options[blik]',
    );
  }
  if (p.return_url !== undefined && !p.confirm) {
    throw new StripeError('parameter_invalid', 'return_url can only be passed together with confirm=true.', 'return_url');
  }
  let notificationUrl: string | undefined;
  if (p.notification_url !== undefined) {
    const check = checkWebhookUrl(p.notification_url, c.get('auth').livemode);
    if (!check.ok) throw new StripeError('parameter_invalid', `Invalid notification_url: ${check.reason}`, 'notification_url');
    notificationUrl = check.url.href;
  }
  const params: CreateParams = {
    notificationUrl,
    amount: p.amount,
    currency: p.currency,
    captureMethod: p.capture_method,
    confirmationMethod: p.confirmation_method,
    paymentMethod: p.payment_method,
    paymentMethodTypes: p.payment_method_types,
    description: p.description,
    metadata: p.metadata,
    receiptEmail: p.receipt_email,
    statementDescriptor: p.statement_descriptor,
    customer: p.customer,
    crypto,
  };
  const confirm = p.confirm ? { returnUrl: p.return_url, blikCode: p.payment_method_options?.blik?.code } : undefined;
  return respond(c, await intents(c).create(params, confirm));
};

export const search: Handler<'search'> = async (c) => {
  const q = c.req.valid('query');
  let query: ReturnType<typeof parseSearchQuery>;
  try {
    query = parseSearchQuery(q.query);
  } catch (error) {
    if (error instanceof QueryError) throw new StripeError('parameter_invalid', error.message, 'query');
    throw error;
  }
  const limit = q.limit ?? 10;
  const after = q.page === undefined ? undefined : decodePage(q.page);
  const page = await searchIntents(shardOf(c), { ...scopeOf(c), query, limit, after });
  const last = page.data.at(-1);
  return c.json(
    {
      object: 'search_result' as const,
      url: '/v1/payment_intents/search',
      has_more: page.hasMore,
      next_page: page.hasMore && last ? encodePage(last) : null,
      data: page.data.map((i) => toWire(i, links(c))),
    },
    200,
  );
};

export const retrieve: Handler<'retrieve'> = async (c) => {
  const { id } = c.req.valid('param');
  const { client_secret: clientSecret } = c.req.valid('query');
  if (c.get('auth').kind === 'publishable') {
    if (clientSecret === undefined) {
      throw new StripeError(
        'parameter_missing',
        'A publishable key can only retrieve a PaymentIntent with its client_secret.',
        'client_secret',
      );
    }
    return c.json(toBrowserWire(await intents(c).retrieveWithClientSecret(id, clientSecret), links(c)), 200);
  }
  // A secret key holder may check a client secret too; a wrong one is as good as no intent.
  return c.json(toWire(await intents(c).retrieveChecked(id, clientSecret), links(c)), 200);
};

export const live: Handler<'live'> = async (c) => {
  const { id } = c.req.valid('param');
  const { client_secret: clientSecret } = c.req.valid('query');
  const publishable = c.get('auth').kind === 'publishable';
  if (publishable && clientSecret === undefined) {
    throw new StripeError('parameter_missing', "With a publishable key, pass the PaymentIntent's client_secret.", 'client_secret');
  }
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    throw new StripeError(
      'upgrade_required',
      "This is a WebSocket endpoint: send the request with the header Upgrade: websocket (a browser's new WebSocket(url) does).",
    );
  }
  // A secret key holder owns the intent; a client secret it passes along is checked all the same.
  const webSocket = await intents(c).openLiveStatus(id, clientSecret ?? null, 'stripe');
  // A response of our own (the object's has immutable headers): the app adds its Request-Id to it.
  return new Response(null, { status: 101, webSocket }) as never;
};

export const update: Handler<'update'> = async (c) => {
  const { id } = c.req.valid('param');
  const p = c.req.valid('json');
  const params: UpdateParams = {
    amount: p.amount,
    currency: p.currency,
    captureMethod: p.capture_method,
    paymentMethod: p.payment_method,
    paymentMethodTypes: p.payment_method_types,
    description: p.description,
    metadata: p.metadata,
    receiptEmail: p.receipt_email,
    statementDescriptor: p.statement_descriptor,
    customer: p.customer,
  };
  return respond(c, await intents(c).update(id, params));
};

/**
 * The merchant's server (secret key) or the payer's browser (publishable key and client secret, as
 * Stripe.js sends it) confirms. A browser sees the browser-safe intent, in the answer and in a 402.
 */
export const confirm: Handler<'confirm'> = async (c) => {
  const { id } = c.req.valid('param');
  const p = c.req.valid('json');
  const publishable = c.get('auth').kind === 'publishable';
  if (publishable && p.client_secret === undefined) {
    throw new StripeError('parameter_missing', "With a publishable key, pass the PaymentIntent's client_secret.", 'client_secret');
  }
  const requested = p.payment_method_options?.crypto;
  if (publishable && requested?.expires_in !== undefined) {
    throw new StripeError(
      'parameter_invalid',
      'expires_in sets the payment window of a test: only a secret key can set it.',
      `${CRYPTO_PARAM}[expires_in]`,
    );
  }
  const crypto = requested ? await cryptoOptions(c, requested) : undefined;
  const { intent, paymentError } = await intents(c).confirm(
    id,
    { paymentMethod: p.payment_method, returnUrl: p.return_url, amount: p.amount, crypto, blikCode: p.payment_method_options?.blik?.code },
    p.client_secret,
  );
  const view = (i: DomainIntent) => (publishable ? toBrowserWire(i, links(c)) : toWire(i, links(c)));
  if (paymentError) throw paymentFailed(intent, paymentError, view);
  return c.json(view(intent), 200);
};

export const cryptoSignature: Handler<'cryptoSignature'> = async (c) => {
  const { id } = c.req.valid('param');
  const p = c.req.valid('json');
  const publishable = c.get('auth').kind === 'publishable';
  if (publishable && p.client_secret === undefined) {
    throw new StripeError('parameter_missing', "With a publishable key, pass the PaymentIntent's client_secret.", 'client_secret');
  }
  const { intent } = await intents(c).submitSignature(id, {
    signature: p.signature,
    signer: p.signer,
    clientSecret: p.client_secret,
    publishable,
  });
  return c.json(publishable ? toBrowserWire(intent, links(c)) : toWire(intent, links(c)), 200);
};

export const escrowDeposit: Handler<'escrowDeposit'> = async (c) => {
  const { id } = c.req.valid('param');
  const p = c.req.valid('json');
  const publishable = c.get('auth').kind === 'publishable';
  if (publishable && p.client_secret === undefined) {
    throw new StripeError('parameter_missing', "With a publishable key, pass the PaymentIntent's client_secret.", 'client_secret');
  }
  const { intent } = await intents(c).submitEscrowDeposit(id, {
    signature: p.signature,
    signer: p.signer,
    permit: p.permit,
    clientSecret: p.client_secret,
    publishable,
  });
  return c.json(publishable ? toBrowserWire(intent, links(c)) : toWire(intent, links(c)), 200);
};

export const capture: Handler<'capture'> = async (c) => {
  const { id } = c.req.valid('param');
  return respond(c, await intents(c).capture(id, c.req.valid('json').amount_to_capture));
};

export const cancel: Handler<'cancel'> = async (c) => {
  const { id } = c.req.valid('param');
  return respond(c, await intents(c).cancel(id, c.req.valid('json').cancellation_reason));
};

export const list: Handler<'list'> = async (c) => {
  const q = c.req.valid('query');
  const scope = scopeOf(c);
  const cursorId = q.starting_after ?? q.ending_before;
  let cursor: Parameters<typeof listIntents>[1]['cursor'];
  if (cursorId !== undefined) {
    const param = q.starting_after !== undefined ? 'starting_after' : 'ending_before';
    const key = isIntentId(cursorId) ? await findCursor(shardOf(c), scope.merchantId, scope.livemode, cursorId) : undefined;
    if (!key) throw noSuchObject('payment_intent', cursorId, param);
    cursor = { direction: q.starting_after !== undefined ? 'after' : 'before', ...key };
  }
  const page = await listIntents(shardOf(c), {
    ...scope,
    limit: q.limit ?? 10,
    cursor,
    created: createdRange(q),
    customer: q.customer,
    status: q.status,
    mandate: q.mandate,
  });
  return c.json(
    { object: 'list' as const, url: '/v1/payment_intents', has_more: page.hasMore, data: page.data.map((i) => toWire(i, links(c))) },
    200,
  );
};

/** A committed change answers 200 with the intent, or 402 when its payment attempt failed. */
function respond(c: Context<AppEnv>, { intent, paymentError }: Outcome) {
  if (paymentError) throw paymentFailed(intent, paymentError, (i) => toWire(i, links(c)));
  return c.json(toWire(intent, links(c)), 200);
}

/** next_page tokens: an opaque, URL-safe encoding of the last result's sort key. */
function encodePage(intent: DomainIntent): string {
  return btoa(`${intent.created}.${intent.id}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const PAGE_TOKEN = new RegExp(`^(\\d{1,15})\\.(${INTENT_ID_PATTERN.source.slice(1, -1)})$`);

function decodePage(token: string): { createdAt: number; id: string } {
  let decoded = '';
  try {
    decoded = atob(token.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    // fall through to the refusal below
  }
  const match = PAGE_TOKEN.exec(decoded);
  if (!match) throw new StripeError('parameter_invalid', 'Invalid page: pass the next_page value of a previous search result.', 'page');
  return { createdAt: Number(match[1]), id: match[2]! };
}
