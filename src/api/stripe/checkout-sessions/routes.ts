/** /v1/checkout/sessions: the routes as data — path, auth, parameters, responses. Handlers are in handlers.ts. */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonBody, jsonResponse } from '../../../http/schemas/common.js';
import { secretKey, secretKeyIdempotent, secretKeyIdempotentOnObject } from '../auth.js';
import { ErrorEnvelope } from '../errors.js';
import * as examples from '../examples.js';
import {
  CheckoutSession,
  CheckoutSessionList,
  CreateCheckoutSessionParams,
  ExpireCheckoutSessionParams,
  LineItemList,
  LineItemsQuery,
  ListCheckoutSessionsQuery,
  sessionIdParam,
} from './schemas.js';

const tags = ['CheckoutSessions'];
const errors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'No such checkout session (for this merchant and mode).',
});
const listErrors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'A cursor that names no checkout session of this merchant and mode.',
});
const sessionResponse = (example: typeof examples.checkoutSession) => jsonResponse(CheckoutSession, 'The checkout session.', example);

export const create = createRoute({
  method: 'post',
  path: '/v1/checkout/sessions',
  tags,
  summary: 'Create a Checkout Session (and its payment intent); send the payer to its url',
  description: [
    'Makes the PaymentIntent at once (amount: the line items, or for a custom_unit_amount the preset, minimum or 100),',
    'named by the session; its hosted page is the session`s url. The session completes when the intent succeeds',
    '(payment_status paid) or holds the funds for a manual capture (unpaid), and expires at expires_at (its intent canceled,',
    'abandoned). Events: checkout.session.completed and checkout.session.expired.',
  ].join(' '),
  ...secretKeyIdempotentOnObject,
  request: { body: jsonBody(CreateCheckoutSessionParams, true, examples.createCheckoutSessionRequest) },
  responses: { 200: sessionResponse(examples.checkoutSession), ...errors },
});

export const retrieve = createRoute({
  method: 'get',
  path: '/v1/checkout/sessions/{id}',
  tags,
  summary: 'Retrieve a Checkout Session',
  ...secretKey,
  request: { params: sessionIdParam(examples.checkoutSession.id) },
  responses: { 200: sessionResponse(examples.checkoutSession), ...errors },
});

export const list = createRoute({
  method: 'get',
  path: '/v1/checkout/sessions',
  tags,
  summary: 'List Checkout Sessions, newest first (filter: payment_intent)',
  ...secretKey,
  request: { query: ListCheckoutSessionsQuery },
  responses: { 200: jsonResponse(CheckoutSessionList, 'A page of sessions.', examples.checkoutSessionList), ...listErrors },
});

export const lineItems = createRoute({
  method: 'get',
  path: '/v1/checkout/sessions/{id}/line_items',
  tags,
  summary: "A Checkout Session's line items",
  ...secretKey,
  request: { params: sessionIdParam(examples.checkoutSession.id), query: LineItemsQuery },
  responses: { 200: jsonResponse(LineItemList, 'A page of line items.', examples.checkoutSessionLineItems), ...errors },
});

export const expire = createRoute({
  method: 'post',
  path: '/v1/checkout/sessions/{id}/expire',
  tags,
  summary: 'Expire an open Checkout Session now (its payment intent is canceled, abandoned)',
  ...secretKeyIdempotent,
  request: { params: sessionIdParam(examples.expiredCheckoutSession.id), body: jsonBody(ExpireCheckoutSessionParams, false, {}) },
  responses: { 200: sessionResponse(examples.expiredCheckoutSession), ...errors },
});
