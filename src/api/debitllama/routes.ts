/** /api/v1 of 002_… (DebitLlama's wire): the routes as data. Handlers are in handlers.ts. */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, jsonResponse } from '../../http/schemas/common.js';
import { accessToken } from './auth.js';
import { AccountsQuery, ItemsQuery, PaymentIntentsQuery, SinglePaymentIntentQuery } from './query.js';
import {
  AccountsResponse,
  ErrorResponse,
  ItemResponse,
  ItemsResponse,
  PaymentIntentsResponse,
  SinglePaymentIntentResponse,
} from './schemas.js';

const tags = ['DebitLlama API v1'];
const listErrors = errorResponses(ErrorResponse, {
  400: 'A bad current_page, page_size, sort_by, sort_direction or filter (field named as filter.<field>).',
  401: 'A missing or unknown access token.',
});
const oneErrors = errorResponses(ErrorResponse, {
  400: 'A bad parameter, named.',
  401: 'A missing or unknown access token.',
  404: 'None of this merchant`s (for this mode).',
});

export const paymentIntents = createRoute({
  method: 'get',
  path: '/api/v1/payment_intents',
  tags,
  summary: 'The merchant`s mandates as DebitLlama`s payment intents, a page at a time, sorted and filtered',
  ...accessToken,
  request: { query: PaymentIntentsQuery },
  responses: { 200: jsonResponse(PaymentIntentsResponse, 'A page of payment intents.'), ...listErrors },
});

export const paymentIntent = createRoute({
  method: 'get',
  path: '/api/v1/payment_intents/{payment_intent}',
  tags,
  summary: 'One payment intent by its on-chain id, with its latest dynamic payment request',
  ...accessToken,
  request: {
    params: z.object({
      payment_intent: z
        .string()
        .max(66)
        .openapi({ param: { name: 'payment_intent', in: 'path' }, example: `0x${'2b'.repeat(32)}` }),
    }),
    query: SinglePaymentIntentQuery,
  },
  responses: { 200: jsonResponse(SinglePaymentIntentResponse, 'The payment intent.'), ...oneErrors },
});

export const accounts = createRoute({
  method: 'get',
  path: '/api/v1/accounts',
  tags,
  summary: 'The payers` accounts behind the merchant`s mandates (one per commitment and contract), with the last balance read',
  ...accessToken,
  request: { query: AccountsQuery },
  responses: { 200: jsonResponse(AccountsResponse, 'A page of accounts.'), ...listErrors },
});

export const items = createRoute({
  method: 'get',
  path: '/api/v1/items',
  tags,
  summary: 'The merchant`s debit items, a page at a time, sorted and filtered',
  ...accessToken,
  request: { query: ItemsQuery },
  responses: { 200: jsonResponse(ItemsResponse, 'A page of debit items.'), ...listErrors },
});

export const item = createRoute({
  method: 'get',
  path: '/api/v1/items/{button_id}',
  tags,
  summary: 'One debit item by its button id',
  ...accessToken,
  request: {
    params: z.object({
      button_id: z
        .string()
        .max(100)
        .openapi({ param: { name: 'button_id', in: 'path' }, example: 'btn_7Hq2ZkP9xVwR3mN8cL5tY1bJ4dF6gS0a' }),
    }),
  },
  responses: { 200: jsonResponse(ItemResponse, 'The debit item.'), ...oneErrors },
});
