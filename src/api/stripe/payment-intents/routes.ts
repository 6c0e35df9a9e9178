/** /v1/payment_intents: the routes as data — path, auth, parameters, responses. Handlers are in handlers.ts. */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, jsonBody, jsonResponse } from '../../../http/schemas/common.js';
import {
  keyInHeaderOrPublishableInQuery,
  secretKey,
  secretKeyIdempotentOnObject,
  secretOrPublishableKey,
  secretOrPublishableKeyIdempotentOnObject,
} from '../auth.js';
import { ErrorEnvelope } from '../errors.js';
import * as examples from '../examples.js';
import {
  BrowserPaymentIntent,
  CancelPaymentIntentParams,
  CapturePaymentIntentParams,
  ConfirmPaymentIntentParams,
  CreatePaymentIntentParams,
  CryptoSignatureParams,
  EscrowDepositParams,
  intentIdParam,
  LiveQuery,
  ListQuery,
  PaymentIntent,
  PaymentIntentList,
  PaymentIntentSearchResult,
  RetrieveQuery,
  SearchQueryParams,
  UpdatePaymentIntentParams,
} from './schemas.js';

const tags = ['PaymentIntents'];
const errors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key on a secret-key route.',
  404: 'No such payment intent (for this merchant and mode).',
});
const listErrors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'A cursor that names no payment intent of this merchant and mode.',
});
const intentResponse = (example: z.input<typeof PaymentIntent>) => jsonResponse(PaymentIntent, 'The payment intent.', example);
const paymentFailed = jsonResponse(
  ErrorEnvelope,
  'The payment attempt failed (card_declined, payment_intent_authentication_failure, …); the intent, now back in requires_payment_method, is in error.payment_intent.',
);

export const create = createRoute({
  method: 'post',
  path: '/v1/payment_intents',
  tags,
  summary: 'Create a payment intent (optionally confirming it at once with confirm=true)',
  ...secretKeyIdempotentOnObject,
  request: { body: jsonBody(CreatePaymentIntentParams, true, examples.createPaymentIntentRequest) },
  responses: { 200: intentResponse(examples.paidIntent), 402: paymentFailed, ...errors },
});

/** Registered before retrieve, which would otherwise take "search" for an id. */
export const search = createRoute({
  method: 'get',
  path: '/v1/payment_intents/search',
  tags,
  summary: "Search payment intents with Stripe's query language (read-after-write)",
  ...secretKey,
  request: { query: SearchQueryParams },
  responses: { 200: jsonResponse(PaymentIntentSearchResult, 'A page of results.', examples.paymentIntentSearchResult), ...listErrors },
});

export const retrieve = createRoute({
  method: 'get',
  path: '/v1/payment_intents/{id}',
  tags,
  summary: 'Retrieve a payment intent (with a publishable key: pass client_secret, browser-safe fields only)',
  ...secretOrPublishableKey,
  request: { params: intentIdParam(examples.updatedIntent.id), query: RetrieveQuery },
  responses: {
    200: jsonResponse(
      z.union([PaymentIntent, BrowserPaymentIntent]),
      'The payment intent; BrowserPaymentIntent when asked with a publishable key.',
      examples.updatedIntent,
    ),
    ...errors,
  },
});

/** A browser (publishable key and client secret) or the merchant watches the intent change: a WebSocket. */
export const live = createRoute({
  method: 'get',
  path: '/v1/payment_intents/{id}/live',
  tags,
  summary: 'Live status: a WebSocket that sends the browser-safe intent now and after every change',
  description: [
    "Open it from a browser with `new WebSocket('wss://…/v1/payment_intents/pi_…/live?client_secret=pi_…_secret_…&key=pk_test_…')`:",
    'a WebSocket cannot send an Authorization header, so the publishable key travels as the query parameter `key`',
    '(publishable keys are public by design; a secret key is only taken in the Authorization header, never in the URL).',
    'The first message is the intent exactly as the browser lookup (`GET /v1/payment_intents/{id}` with a publishable key) returns it;',
    'then one message of the same shape after each committed change (a request, a settlement, an on-chain transfer, an expiry).',
    'Send `ping` to get `pong`. At most 20 sockets per intent: the next one is closed at once with code 1013.',
    'Once the intent is succeeded or canceled the socket is closed with code 1000 (late funds of a crypto intent are not pushed).',
    'A wrong client secret, or an intent of another merchant or mode, is a 404 as for an unknown intent, and no socket.',
  ].join(' '),
  ...keyInHeaderOrPublishableInQuery,
  request: { params: intentIdParam(examples.challengedIntentLive.id), query: LiveQuery },
  responses: {
    101: jsonResponse(
      BrowserPaymentIntent,
      "Switching Protocols: the WebSocket. Each message is a BrowserPaymentIntent as JSON text (shown here as this response's content).",
      examples.challengedIntentLive,
    ),
    ...errors,
    426: jsonResponse(ErrorEnvelope, 'upgrade_required: the request was not a WebSocket upgrade (no `Upgrade: websocket` header).'),
  },
});

export const update = createRoute({
  method: 'post',
  path: '/v1/payment_intents/{id}',
  tags,
  summary: 'Update a payment intent',
  ...secretKeyIdempotentOnObject,
  request: {
    params: intentIdParam(examples.updatedIntent.id),
    body: jsonBody(UpdatePaymentIntentParams, false, examples.updatePaymentIntentRequest),
  },
  responses: { 200: intentResponse(examples.updatedIntent), ...errors },
});

/** The merchant's server, or a payer's browser with the publishable key and the client secret (as Stripe.js confirms). */
export const confirm = createRoute({
  method: 'post',
  path: '/v1/payment_intents/{id}/confirm',
  tags,
  summary: "Confirm a payment intent (a secret key, or a browser's publishable key with client_secret)",
  description: [
    "Takes a secret key, or a publishable key (pk_test_…, pk_live_…) together with the PaymentIntent's `client_secret` in the body,",
    "as Stripe.js sends it: a payer's browser confirms from any origin (CORS for this method and path), so a merchant can build its own checkout page.",
    'Either key takes only what a payer may choose: `payment_method`, `return_url`, `payment_method_options[crypto][network]` and `[token]`',
    '(a PaymentIntent whose payment_method_types include crypto and that names no network yet becomes a crypto PaymentIntent and gets its deposit address),',
    'and `amount` for a PaymentIntent with `payer_amount`, within its bounds. `payment_method_options[crypto][expires_in]` only with a secret key in test mode.',
    'With a publishable key the answer, and the PaymentIntent in a 402, are the browser-safe BrowserPaymentIntent;',
    'a wrong client secret, or an intent of another merchant or mode, is a 404 as for an unknown intent.',
  ].join(' '),
  ...secretOrPublishableKeyIdempotentOnObject,
  request: {
    params: intentIdParam(examples.challengedIntentLive.id),
    body: jsonBody(ConfirmPaymentIntentParams, false, examples.browserConfirmRequest),
  },
  responses: {
    200: jsonResponse(
      z.union([PaymentIntent, BrowserPaymentIntent]),
      "The payment intent; BrowserPaymentIntent when confirmed with a publishable key (the example: a payer's browser, sent to 3-D Secure).",
      examples.challengedIntentLive,
    ),
    402: paymentFailed,
    ...errors,
    503: jsonResponse(ErrorEnvelope, 'chain_unavailable: the network cannot be read right now; no deposit address was handed out.'),
  },
});

/** A payer (a browser with the publishable key and client secret) or the merchant submits the payer's EIP-712 signature. */
export const cryptoSignature = createRoute({
  method: 'post',
  path: '/v1/payment_intents/{id}/crypto_signature',
  tags,
  summary: "Record the payer's EIP-712 signature over a crypto intent (next_action.crypto_transfer.typed_data)",
  ...secretOrPublishableKey,
  request: {
    params: intentIdParam(examples.signedCryptoIntent.id),
    body: jsonBody(CryptoSignatureParams, true, examples.cryptoSignatureRequest),
  },
  responses: {
    200: jsonResponse(
      z.union([PaymentIntent, BrowserPaymentIntent]),
      'The payment intent with crypto.signature set; BrowserPaymentIntent when asked with a publishable key.',
      examples.signedCryptoIntent,
    ),
    ...errors,
  },
});

/**
 * A payer (a browser with the publishable key and client secret) or the merchant submits the payer's
 * signed escrow Deposit: the relayer locks it for the payer (with a permit, the payer sends nothing).
 */
export const escrowDeposit = createRoute({
  method: 'post',
  path: '/v1/payment_intents/{id}/escrow_deposit',
  tags,
  summary: "Have the relayer lock the payer's signed deposit in escrow (next_action.crypto_escrow_deposit.typed_data)",
  ...secretOrPublishableKey,
  request: {
    params: intentIdParam(examples.escrowDepositIntent.id),
    body: jsonBody(EscrowDepositParams, true, examples.escrowDepositRequest),
  },
  responses: {
    200: jsonResponse(
      z.union([PaymentIntent, BrowserPaymentIntent]),
      'The payment intent with crypto.escrow.deposit_signer set: the relayer sends the deposit, and the intent moves to processing and requires_capture as its lock is seen and confirmed. BrowserPaymentIntent when asked with a publishable key.',
      examples.escrowDepositIntent,
    ),
    ...errors,
  },
});

export const capture = createRoute({
  method: 'post',
  path: '/v1/payment_intents/{id}/capture',
  tags,
  summary: 'Capture an authorized payment intent (all of it, or amount_to_capture)',
  ...secretKeyIdempotentOnObject,
  request: {
    params: intentIdParam(examples.capturedIntent.id),
    body: jsonBody(CapturePaymentIntentParams, false, examples.capturePaymentIntentRequest),
  },
  responses: { 200: intentResponse(examples.capturedIntent), ...errors },
});

export const cancel = createRoute({
  method: 'post',
  path: '/v1/payment_intents/{id}/cancel',
  tags,
  summary: 'Cancel a payment intent',
  ...secretKeyIdempotentOnObject,
  request: {
    params: intentIdParam(examples.canceledIntent.id),
    body: jsonBody(CancelPaymentIntentParams, false, examples.cancelPaymentIntentRequest),
  },
  responses: { 200: intentResponse(examples.canceledIntent), ...errors },
});

export const list = createRoute({
  method: 'get',
  path: '/v1/payment_intents',
  tags,
  summary: 'List payment intents, newest first',
  ...secretKey,
  request: { query: ListQuery },
  responses: { 200: jsonResponse(PaymentIntentList, 'A page of payment intents.', examples.paymentIntentList), ...listErrors },
});
