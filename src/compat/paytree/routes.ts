/**
 * The routes of 001_… (Paytree) under /paytree, as data: what its API description documents. The
 * create's body is read by the family itself (three media types, multipart among them: body.ts), so
 * index.ts mounts the handlers and registers these for the document; the paths without the trailing
 * slash answer too, undocumented.
 */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonResponse } from '../../http/schemas/common.js';
import { token } from './auth.js';
import { CREATE_EXAMPLE, CREATE_RESPONSE_EXAMPLE, LIST_EXAMPLE, RETRIEVE_EXAMPLE } from './examples.js';
import { CreateBody, CreateResponse, ErrorResponse, IdParam, ListQuery, PaginatedList, PaymentIntentResponse, PREFIX } from './schemas.js';

const tags = ['Paytree'];
const { security } = token;
export const COLLECTION = `${PREFIX}/v1/transaction/payment_intent/`;

const auth401 =
  'No `Authorization: Token …` (or Bearer) header: {"detail": "Authentication credentials were not provided."}; a key that is not a secret key of this service: {"detail": "Invalid token."}.';
const notFound404 =
  'No such payment intent for this key: another merchant`s, the other mode`s, or one not made through this family ({"detail": "Not found."}).';

export const create = createRoute({
  method: 'post',
  path: COLLECTION,
  operationId: 'transaction_payment_intent_create',
  tags,
  summary: 'Create Payment Intent: the payer pays on the hosted page (payment_link)',
  security,
  request: {
    body: {
      required: true,
      content: {
        'application/json': { schema: CreateBody, example: CREATE_EXAMPLE },
        'application/x-www-form-urlencoded': { schema: CreateBody },
        'multipart/form-data': { schema: CreateBody },
      },
    },
  },
  responses: {
    201: jsonResponse(CreateResponse, 'The created payment intent', CREATE_RESPONSE_EXAMPLE),
    ...errorResponses(ErrorResponse, {
      400: 'Bad fields, each with its messages (a reused transaction_ref, an amount with more decimals than its currency has, `card`).',
      401: auth401,
    }),
  },
});

export const list = createRoute({
  method: 'get',
  path: COLLECTION,
  operationId: 'transaction_payment_intent_list',
  tags,
  summary: 'Get all Payment Intents, newest first, a page at a time',
  security,
  request: { query: ListQuery },
  responses: {
    200: jsonResponse(PaginatedList, 'A page of payment intents, with absolute links to the next and previous pages.', LIST_EXAMPLE),
    ...errorResponses(ErrorResponse, {
      400: 'A filter longer than 255 characters.',
      401: auth401,
      404: 'A page past the last, or not a page number ({"detail": "Invalid page."}).',
    }),
  },
});

export const retrieve = createRoute({
  method: 'get',
  path: `${COLLECTION}{id}/`,
  operationId: 'transaction_payment_intent_retrieve',
  tags,
  summary: 'Get Payment Intent',
  security,
  request: { params: IdParam },
  responses: {
    200: jsonResponse(PaymentIntentResponse, 'The payment intent, with its payments and their refunds.', RETRIEVE_EXAMPLE),
    ...errorResponses(ErrorResponse, { 401: auth401, 404: notFound404 }),
  },
});
