/** The routes of 004_… (Finternet) under /finternet, as data. Handlers are in handlers.ts. */
import { createRoute } from '@hono/zod-openapi';
import { idempotentOnObject } from '../../http/idempotency.js';
import { errorResponses, jsonBody, jsonResponse } from '../../http/schemas/common.js';
import { apiKey, noAuth } from './auth.js';
import { EXAMPLE, PUBLIC_EXAMPLE } from './examples.js';
import {
  CreateBody,
  ErrorResponse,
  IntentIdParam,
  PaymentIntentResponse,
  PREFIX,
  PublicPaymentIntentResponse,
  SignatureBody,
} from './schemas.js';

const tags = ['Finternet'];

const auth401 = 'No X-API-Key, or not a secret API key of this service (authentication_required, invalid_api_key).';
const oneErrors = errorResponses(ErrorResponse, {
  400: 'A bad intentId (resource_missing is a 404), or the intent`s status does not allow this (payment_intent_unexpected_state).',
  401: auth401,
  403: 'The payment intent belongs to another merchant (forbidden).',
  404: 'No such payment intent in this key`s mode (resource_missing).',
});

export const create = createRoute({
  method: 'post',
  path: `${PREFIX}/v1/payment-intents`,
  tags,
  summary: 'Create a payment intent: USDC locked in escrow on a configured chain, released on delivery, settled off chain',
  ...apiKey,
  // An Idempotency-Key as on the canonical create: the key names the intent, whose object keeps the answer.
  middleware: [apiKey.middleware, idempotentOnObject()],
  request: {
    body: jsonBody(CreateBody, true, {
      amount: '1000.00',
      currency: 'USDC',
      type: 'DELIVERY_VS_PAYMENT',
      settlementMethod: 'OFF_RAMP_MOCK',
      settlementDestination: '9876543210',
      metadata: { orderId: 'ORD-123', customerId: 'CUST-456' },
    }),
  },
  responses: {
    201: jsonResponse(
      PaymentIntentResponse,
      'The payment intent, waiting for the payer`s deposit in escrow (REQUIRES_ACTION), with the typed data to sign.',
      EXAMPLE,
    ),
    ...errorResponses(ErrorResponse, {
      400: 'A bad field, named in `param`; no chain with USDC and an escrow contract for this mode (chainId); no xpub for deposit addresses (crypto_not_configured).',
      401: auth401,
      503: 'The chain cannot be read right now (chain_unavailable): retry.',
    }),
  },
});

export const retrieve = createRoute({
  method: 'get',
  path: `${PREFIX}/v1/payment-intents/{intentId}`,
  tags,
  summary: 'Retrieve Payment Intent',
  ...apiKey,
  request: { params: IntentIdParam },
  responses: { 200: jsonResponse(PaymentIntentResponse, 'The payment intent.', EXAMPLE), ...oneErrors },
});

export const retrievePublic = createRoute({
  method: 'get',
  path: `${PREFIX}/v1/payment-intents/public/{intentId}`,
  tags,
  summary: 'Retrieve a payment intent for a frontend, without authentication: no metadata, the settlement destination masked',
  ...noAuth,
  request: { params: IntentIdParam },
  responses: {
    200: jsonResponse(PublicPaymentIntentResponse, 'The payment intent as anyone with its id sees it.', PUBLIC_EXAMPLE),
    ...errorResponses(ErrorResponse, { 400: 'A bad intentId.', 404: 'No such payment intent (resource_missing).' }),
  },
});

export const submitSignature = createRoute({
  method: 'post',
  path: `${PREFIX}/v1/payment-intents/{intentId}/signature`,
  tags,
  summary:
    'Submit the payer`s signed escrow deposit (EIP-712 over `data.typedData`, optionally with an EIP-2612 permit): the relayer locks it, the payer pays no gas',
  ...apiKey,
  request: {
    params: IntentIdParam,
    body: jsonBody(SignatureBody, true, {
      signature: `0x${'1b'.repeat(65)}`,
      signerAddress: '0x742d35Cc6634C0532925a3b844Bc9e7595f42318',
      permit: { deadline: 1704070800, v: 27, r: `0x${'2c'.repeat(32)}`, s: `0x${'3d'.repeat(32)}` },
    }),
  },
  responses: {
    200: jsonResponse(
      PaymentIntentResponse,
      'The payment intent with its signer recorded and the deposit on its way to the escrow.',
      EXAMPLE,
    ),
    ...oneErrors,
  },
});

export const confirmDelivery = createRoute({
  method: 'post',
  path: `${PREFIX}/v1/payment-intents/{intentId}/confirm-delivery`,
  tags,
  summary:
    'Confirm delivery (or, for CONDITIONAL, that the condition is met) of a locked payment: the relayer releases the escrow to the merchant, then the settlement runs',
  ...apiKey,
  request: { params: IntentIdParam },
  responses: {
    200: jsonResponse(
      PaymentIntentResponse,
      'The payment intent, settlement IN_PROGRESS (the release on its way) or already further.',
      EXAMPLE,
    ),
    ...oneErrors,
  },
});

export const cancel = createRoute({
  method: 'post',
  path: `${PREFIX}/v1/payment-intents/{intentId}/cancel`,
  tags,
  summary: 'Cancel a payment intent before delivery is confirmed: a locked deposit is refunded to the payer',
  ...apiKey,
  request: { params: IntentIdParam },
  responses: { 200: jsonResponse(PaymentIntentResponse, 'The canceled payment intent.', EXAMPLE), ...oneErrors },
});
