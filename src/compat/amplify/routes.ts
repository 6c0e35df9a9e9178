/** 000_…'s wire (Amplify), under /amplify: the routes as data. Handlers are in handlers.ts. */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonBody, jsonResponse } from '../../http/schemas/common.js';
import { keyPair } from './auth.js';
import {
  ClientSecretParam,
  CreateBody,
  CreateResponse,
  ErrorResponse,
  PaymentIntentResponse,
  StatusBody,
  StatusResponse,
} from './schemas.js';

const PREFIX = '/amplify';
const tags = ['Amplify'];

export const create = createRoute({
  method: 'post',
  path: `${PREFIX}/payment_intent`,
  tags,
  summary: 'Creates a payment intent: no amount yet, the payer chooses token, network and amount on the hosted page',
  description:
    'The intent gets its deposit address (walletAddress) now; the payer pays at `/pay/{paymentIntentId}?client_secret={clientSecret}`, ' +
    'choosing a USD stablecoin, a network and the amount in USD.',
  ...keyPair,
  request: {
    body: jsonBody(CreateBody, true, { receiverId: 'receiver-identification', metadata: { key: 'Value', anotherKey: 'another value' } }),
  },
  responses: {
    200: jsonResponse(CreateResponse, 'The payment intent, CREATED.'),
    ...errorResponses(ErrorResponse, {
      400: 'A bad body (the parameter named), or an account without its watch-only xpub.',
      401: 'A missing apiKey or clientId header, or a pair that does not belong together.',
    }),
  },
});

export const retrieve = createRoute({
  method: 'get',
  path: `${PREFIX}/payment_intent/{clientSecret}`,
  tags,
  summary: 'Returns a payment intent, for the holder of its client secret (a browser: no apiKey needed)',
  security: [],
  request: { params: ClientSecretParam },
  responses: {
    200: jsonResponse(PaymentIntentResponse, 'The payment intent.'),
    ...errorResponses(ErrorResponse, { 404: 'No payment intent has this client secret (a malformed one included).' }),
  },
});

export const status = createRoute({
  method: 'post',
  path: `${PREFIX}/payment_intent/status`,
  tags,
  summary: 'Returns the status of a payment intent, for the holder of its client secret',
  security: [],
  request: { body: jsonBody(StatusBody) },
  responses: {
    200: jsonResponse(StatusResponse, 'Its status.'),
    ...errorResponses(ErrorResponse, {
      400: 'A bad body (the parameter named).',
      404: 'No payment intent has this client secret (a malformed one included).',
    }),
  },
});
