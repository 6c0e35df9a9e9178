/**
 * /v1/payment_intents: create, retrieve, update, confirm, capture, cancel, list. Handlers only
 * translate: wire → command, the intent's Durable Object decides and persists, result → wire.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { resolveCryptoOptions } from '../../chain/registry.js';
import { findCursor, listIntents } from '../../db/intents.js';
import type { CryptoOptions } from '../../domain/crypto.js';
import { cryptoSettings } from '../../merchants/crypto.js';
import { searchIntents } from '../../db/search.js';
import { parseSearchQuery, QueryError } from '../../domain/search-query.js';
import type { Command, ConfirmCommand, CreateParams, PaymentIntent as DomainIntent, UpdateParams } from '../../domain/payment-intent.js';
import type { Env } from '../../env.js';
import type { CommandResult } from '../../intents/intent-object.js';
import { newClientSecret, newId, newToken } from '../../lib/ids.js';
import { fixedLengthSecretsEqual } from '../../lib/secrets.js';
import { requireKey } from '../auth.js';
import { idempotent } from '../idempotency.js';
import { checkWebhookUrl } from '../../webhooks/url-policy.js';
import { ApiError } from '../errors.js';
import { route, type AppEnv } from '../openapi.js';
import { createdRange } from '../schemas/list.js';
import { paymentErrorToWire, toBrowserWire, toWire } from '../../wire/payment-intent.js';
import {
  BrowserPaymentIntent,
  CancelPaymentIntentParams,
  CapturePaymentIntentParams,
  ConfirmPaymentIntentParams,
  CreatePaymentIntentParams,
  CryptoSignatureParams,
  ErrorEnvelope,
  IntentIdParam,
  ListQuery,
  PaymentIntent,
  PaymentIntentList,
  PaymentIntentSearchResult,
  RetrieveQuery,
  SearchQueryParams,
  UpdatePaymentIntentParams,
} from '../schemas/payment-intent.js';

const INTENT_ID = /^pi_[0-9A-Za-z]{24}$/;
const TAG = ['PaymentIntents'];
/** Secret-key POSTs: authenticated, then idempotent under an Idempotency-Key. */
const secretKey = [requireKey('secret'), idempotent];

const errors = {
  400: { description: 'Invalid request: the error names the parameter.', content: { 'application/json': { schema: ErrorEnvelope } } },
  401: { description: 'Missing or unknown API key.', content: { 'application/json': { schema: ErrorEnvelope } } },
  403: { description: 'A publishable key on a secret-key route.', content: { 'application/json': { schema: ErrorEnvelope } } },
  404: { description: 'No such payment intent (for this merchant and mode).', content: { 'application/json': { schema: ErrorEnvelope } } },
} as const;
const intentResponse = { description: 'The payment intent.', content: { 'application/json': { schema: PaymentIntent } } };
const cardError = {
  description: 'The payment attempt failed (card_error); the intent, now back in requires_payment_method, is in error.payment_intent.',
  content: { 'application/json': { schema: ErrorEnvelope } },
};
function body<T extends z.ZodType>(schema: T, required = true) {
  return { required, content: { 'application/json': { schema } } };
}

export function registerPaymentIntentRoutes(app: OpenAPIHono<AppEnv>): void {
  // Browsers look intents up by client secret from any origin (a checkout page); nothing else is
  // allowed cross-origin, and no credentials other than the Authorization header are involved.
  app.use(
    '/v1/payment_intents/:id',
    cors({ origin: '*', allowHeaders: ['Authorization', 'Content-Type'], allowMethods: ['GET'], maxAge: 600 }),
  );
  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/payment_intents',
      tags: TAG,
      summary: 'Create a payment intent (optionally confirming it at once with confirm=true)',
      middleware: secretKey,
      request: { body: body(CreatePaymentIntentParams) },
      responses: { 200: intentResponse, 402: cardError, ...errors },
    }),
    async (c) => {
      const p = c.req.valid('json');
      const crypto = p.payment_method_options?.crypto ? await cryptoOptions(c, p.payment_method_options.crypto) : undefined;
      if (p.confirm && p.payment_method === undefined && !crypto) {
        throw new ApiError('parameter_missing', 'confirm=true needs a payment_method.', 'payment_method');
      }
      if (p.return_url !== undefined && !p.confirm) {
        throw new ApiError('parameter_invalid', 'return_url can only be passed together with confirm=true.', 'return_url');
      }
      let notificationUrl: string | undefined;
      if (p.notification_url !== undefined) {
        const check = checkWebhookUrl(p.notification_url, c.get('auth').livemode);
        if (!check.ok) throw new ApiError('parameter_invalid', `Invalid notification_url: ${check.reason}`, 'notification_url');
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
      const now = Date.now();
      const id = newId('pi', now);
      const confirm: ConfirmCommand | undefined = p.confirm
        ? { type: 'confirm', returnUrl: p.return_url, challengeToken: newToken() }
        : undefined;
      const result = await stub(c.env, id).create(caller(c), { id, clientSecret: newClientSecret(id) }, params, confirm);
      return respond(c, id, result);
    },
  );

  // Registered before /{id}, which would otherwise take "search" for an id.
  route(
    app,
    createRoute({
      method: 'get',
      path: '/v1/payment_intents/search',
      tags: TAG,
      summary: "Search payment intents with Stripe's query language (read-after-write)",
      middleware: requireKey('secret'),
      request: { query: SearchQueryParams },
      responses: {
        200: { description: 'A page of results.', content: { 'application/json': { schema: PaymentIntentSearchResult } } },
        ...errors,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const auth = c.get('auth');
      let query;
      try {
        query = parseSearchQuery(q.query);
      } catch (error) {
        if (error instanceof QueryError) throw new ApiError('parameter_invalid', error.message, 'query');
        throw error;
      }
      const limit = q.limit ?? 10;
      const after = q.page === undefined ? undefined : decodePage(q.page);
      const page = await searchIntents(c.env.DB, { merchantId: auth.merchantId, livemode: auth.livemode, query, limit, after });
      const last = page.data.at(-1);
      return c.json(
        {
          object: 'search_result' as const,
          url: '/v1/payment_intents/search',
          has_more: page.hasMore,
          next_page: page.hasMore && last ? encodePage(last) : null,
          data: page.data.map((i) => toWire(i, baseUrl(c))),
        },
        200,
      );
    },
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: '/v1/payment_intents/{id}',
      tags: TAG,
      summary: 'Retrieve a payment intent (with a publishable key: pass client_secret, browser-safe fields only)',
      middleware: requireKey('secret_or_publishable'),
      request: { params: IntentIdParam, query: RetrieveQuery },
      responses: {
        200: {
          description: 'The payment intent; BrowserPaymentIntent when asked with a publishable key.',
          content: { 'application/json': { schema: z.union([PaymentIntent, BrowserPaymentIntent]) } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { client_secret: clientSecret } = c.req.valid('query');
      const auth = c.get('auth');
      if (auth.kind === 'publishable') {
        if (clientSecret === undefined) {
          throw new ApiError(
            'parameter_missing',
            'A publishable key can only retrieve a PaymentIntent with its client_secret.',
            'client_secret',
          );
        }
        const intent = INTENT_ID.test(id) ? await stub(c.env, id).retrieveWithClientSecret(caller(c), clientSecret) : null;
        if (!intent) throw noSuchIntent(id);
        return c.json(toBrowserWire(intent, baseUrl(c)), 200);
      }
      const intent = INTENT_ID.test(id) ? await stub(c.env, id).retrieve(caller(c)) : null;
      if (!intent) throw noSuchIntent(id);
      // A secret key holder may check a client secret too; a wrong one is as good as no intent.
      if (clientSecret !== undefined && !fixedLengthSecretsEqual(clientSecret, intent.clientSecret)) throw noSuchIntent(id);
      return c.json(toWire(intent, baseUrl(c)), 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/payment_intents/{id}',
      tags: TAG,
      summary: 'Update a payment intent',
      middleware: secretKey,
      request: { params: IntentIdParam, body: body(UpdatePaymentIntentParams, false) },
      responses: { 200: intentResponse, ...errors },
    }),
    async (c) => {
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
      return command(c, id, { type: 'update', params });
    },
  );

  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/payment_intents/{id}/confirm',
      tags: TAG,
      summary: 'Confirm a payment intent',
      middleware: secretKey,
      request: { params: IntentIdParam, body: body(ConfirmPaymentIntentParams, false) },
      responses: { 200: intentResponse, 402: cardError, ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const p = c.req.valid('json');
      return command(c, id, { type: 'confirm', paymentMethod: p.payment_method, returnUrl: p.return_url, challengeToken: newToken() });
    },
  );

  // A payer (a browser with the publishable key and client secret) or the merchant submits the
  // payer's EIP-712 signature; it is verified with viem and recorded with its signer.
  app.use(
    '/v1/payment_intents/:id/crypto_signature',
    cors({ origin: '*', allowHeaders: ['Authorization', 'Content-Type'], allowMethods: ['POST'], maxAge: 600 }),
  );
  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/payment_intents/{id}/crypto_signature',
      tags: TAG,
      summary: "Record the payer's EIP-712 signature over a crypto intent (next_action.crypto_transfer.typed_data)",
      middleware: requireKey('secret_or_publishable'),
      request: { params: IntentIdParam, body: body(CryptoSignatureParams) },
      responses: {
        200: {
          description: 'The payment intent with crypto.signature set; BrowserPaymentIntent when asked with a publishable key.',
          content: { 'application/json': { schema: z.union([PaymentIntent, BrowserPaymentIntent]) } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const p = c.req.valid('json');
      const publishable = c.get('auth').kind === 'publishable';
      if (publishable && p.client_secret === undefined) {
        throw new ApiError('parameter_missing', "With a publishable key, pass the PaymentIntent's client_secret.", 'client_secret');
      }
      if (!INTENT_ID.test(id)) throw noSuchIntent(id);
      const result = await stub(c.env, id).submitSignature(caller(c), {
        signature: p.signature,
        signer: p.signer,
        clientSecret: p.client_secret,
        publishable,
      });
      if (!result.ok) return respond(c, id, result);
      return c.json(publishable ? toBrowserWire(result.intent, baseUrl(c)) : toWire(result.intent, baseUrl(c)), 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/payment_intents/{id}/capture',
      tags: TAG,
      summary: 'Capture an authorized payment intent (all of it, or amount_to_capture)',
      middleware: secretKey,
      request: { params: IntentIdParam, body: body(CapturePaymentIntentParams, false) },
      responses: { 200: intentResponse, ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      return command(c, id, { type: 'capture', amountToCapture: c.req.valid('json').amount_to_capture });
    },
  );

  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/payment_intents/{id}/cancel',
      tags: TAG,
      summary: 'Cancel a payment intent',
      middleware: secretKey,
      request: { params: IntentIdParam, body: body(CancelPaymentIntentParams, false) },
      responses: { 200: intentResponse, ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      return command(c, id, { type: 'cancel', reason: c.req.valid('json').cancellation_reason });
    },
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: '/v1/payment_intents',
      tags: TAG,
      summary: 'List payment intents, newest first',
      middleware: requireKey('secret'),
      request: { query: ListQuery },
      responses: {
        200: { description: 'A page of payment intents.', content: { 'application/json': { schema: PaymentIntentList } } },
        ...errors,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const auth = c.get('auth');
      const cursorId = q.starting_after ?? q.ending_before;
      let cursor;
      if (cursorId !== undefined) {
        const param = q.starting_after !== undefined ? 'starting_after' : 'ending_before';
        const key = INTENT_ID.test(cursorId) ? await findCursor(c.env.DB, auth.merchantId, auth.livemode, cursorId) : undefined;
        if (!key) throw new ApiError('resource_missing', `No such payment_intent: '${cursorId}'`, param);
        cursor = { direction: q.starting_after !== undefined ? ('after' as const) : ('before' as const), ...key };
      }
      const page = await listIntents(c.env.DB, {
        merchantId: auth.merchantId,
        livemode: auth.livemode,
        limit: q.limit ?? 10,
        cursor,
        created: createdRange(q),
        customer: q.customer,
        status: q.status,
      });
      return c.json(
        { object: 'list' as const, url: '/v1/payment_intents', has_more: page.hasMore, data: page.data.map((i) => toWire(i, baseUrl(c))) },
        200,
      );
    },
  );
}

const CRYPTO_PARAM = 'payment_method_options[crypto]';

/** payment_method_options.crypto against this deployment's networks, for a merchant with an xpub. */
async function cryptoOptions(
  c: Context<AppEnv>,
  requested: { network: string; token: string; expires_in?: number },
): Promise<CryptoOptions> {
  const found = resolveCryptoOptions(
    c.env,
    { network: requested.network, token: requested.token, expiresIn: requested.expires_in ?? null },
    c.get('auth').livemode,
  );
  if (!found.ok) throw new ApiError('parameter_invalid', found.message, `${CRYPTO_PARAM}[${found.param}]`);
  const settings = await cryptoSettings(c.env.DB, c.get('auth').merchantId);
  if (!settings?.xpub) {
    throw new ApiError(
      'crypto_not_configured',
      "This account cannot take crypto payments yet: its watch-only xpub (the account's extended public key, from which each PaymentIntent gets its own deposit address) is not set.",
      'payment_method_types',
    );
  }
  return found.options;
}

/** next_page tokens: an opaque, URL-safe encoding of the last result's sort key. */
function encodePage(intent: DomainIntent): string {
  return btoa(`${intent.created}.${intent.id}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodePage(token: string): { createdAt: number; id: string } {
  let decoded = '';
  try {
    decoded = atob(token.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    // fall through to the refusal below
  }
  const match = /^(\d{1,15})\.(pi_[0-9A-Za-z]{24})$/.exec(decoded);
  if (!match) throw new ApiError('parameter_invalid', 'Invalid page: pass the next_page value of a previous search result.', 'page');
  return { createdAt: Number(match[1]), id: match[2]! };
}

function stub(env: Env, id: string) {
  return env.INTENTS.get(env.INTENTS.idFromName(id));
}

function caller(c: Context<AppEnv>) {
  const auth = c.get('auth');
  return {
    merchantId: auth.merchantId,
    livemode: auth.livemode,
    requestId: c.get('requestId'),
    idempotencyKey: c.get('idempotencyKey') ?? null,
    baseUrl: baseUrl(c),
  };
}

export function baseUrl(c: Context<AppEnv>): string {
  return (c.env.PUBLIC_BASE_URL ?? new URL(c.req.url).origin).replace(/\/+$/, '');
}

function noSuchIntent(id: string): ApiError {
  return new ApiError('resource_missing', `No such payment_intent: '${id}'`, 'intent');
}

async function command(c: Context<AppEnv>, id: string, cmd: Command) {
  if (!INTENT_ID.test(id)) throw noSuchIntent(id);
  return respond(c, id, await stub(c.env, id).execute(caller(c), cmd));
}

/** A committed result answers 200, or 402 when the payment attempt failed; a refusal is an ApiError. */
function respond(c: Context<AppEnv>, id: string, result: CommandResult) {
  if (!result.ok) {
    const { code, message, param } = result.error;
    if (code === 'resource_missing' && param === 'intent') throw noSuchIntent(id);
    throw new ApiError(code, message, param ?? null);
  }
  if (result.paymentError) throw paymentFailed(result.intent, baseUrl(c));
  return c.json(toWire(result.intent, baseUrl(c)), 200);
}

function paymentFailed(intent: DomainIntent, base: string): ApiError {
  const error = paymentErrorToWire(intent.lastPaymentError!);
  const code = error.code === 'card_declined' ? 'card_declined' : 'payment_intent_authentication_failure';
  return new ApiError(code, error.message, null, {
    ...(error.decline_code ? { decline_code: error.decline_code } : {}),
    payment_method: error.payment_method,
    payment_intent: toWire(intent, base),
  });
}
