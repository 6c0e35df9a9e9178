/** /v1/debit_items: the routes as data — path, auth, parameters, responses. Handlers are in handlers.ts. */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonBody, jsonResponse } from '../../../http/schemas/common.js';
import { secretKey, secretKeyIdempotent } from '../auth.js';
import { ErrorEnvelope } from '../errors.js';
import * as examples from './examples.js';
import {
  CreateDebitItemParams,
  DebitItem,
  DebitItemList,
  debitItemIdParam,
  EmptyParams,
  ListDebitItemsQuery,
  UpdateDebitItemParams,
} from './schemas.js';

const tags = ['DebitItems'];
const errors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'No such debit item (for this merchant and mode).',
});
const writeErrors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'No such debit item (for this merchant and mode).',
  409: 'The item kept changing under concurrent updates (concurrent_update): nothing was changed; retry.',
});
const listErrors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'A cursor that names no debit item of this merchant and mode.',
});
const createErrors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
});
const itemResponse = (example: typeof examples.debitItem) => jsonResponse(DebitItem, 'The debit item.', example);
const idParam = debitItemIdParam(examples.debitItem.id);

export const create = createRoute({
  method: 'post',
  path: '/v1/debit_items',
  tags,
  summary: 'Create a debit item: a plan of recurring on-chain debits a payer subscribes to through its checkout_url',
  description: [
    'The terms (network, token, payee_address, max_price, debit_times, the interval, pricing) are what payers sign their',
    'mandates over: they never change. The item answers with a random button_id and its checkout_url, the subscribe page',
    'to put behind the merchant`s button.',
  ].join(' '),
  ...secretKeyIdempotent,
  request: { body: jsonBody(CreateDebitItemParams, true, examples.createDebitItemRequest) },
  responses: { 200: itemResponse(examples.debitItem), ...createErrors },
});

export const list = createRoute({
  method: 'get',
  path: '/v1/debit_items',
  tags,
  summary: 'List debit items, newest first (filter: active)',
  ...secretKey,
  request: { query: ListDebitItemsQuery },
  responses: { 200: jsonResponse(DebitItemList, 'A page of debit items.', examples.debitItemList), ...listErrors },
});

export const retrieve = createRoute({
  method: 'get',
  path: '/v1/debit_items/{id}',
  tags,
  summary: 'Retrieve a debit item',
  ...secretKey,
  request: { params: idParam },
  responses: { 200: itemResponse(examples.debitItem), ...errors },
});

export const update = createRoute({
  method: 'post',
  path: '/v1/debit_items/{id}',
  tags,
  summary: 'Update a debit item`s name, redirect_url or metadata (its signed terms never change)',
  ...secretKeyIdempotent,
  request: { params: idParam, body: jsonBody(UpdateDebitItemParams, false, examples.updateDebitItemRequest) },
  responses: { 200: itemResponse(examples.updatedDebitItem), ...writeErrors },
});

export const deactivate = createRoute({
  method: 'post',
  path: '/v1/debit_items/{id}/deactivate',
  tags,
  summary: 'Deactivate a debit item: its checkout_url takes no new subscribers (idempotent)',
  ...secretKeyIdempotent,
  request: { params: idParam, body: jsonBody(EmptyParams, false, {}) },
  responses: { 200: itemResponse(examples.deactivatedDebitItem), ...writeErrors },
});

export const reactivate = createRoute({
  method: 'post',
  path: '/v1/debit_items/{id}/reactivate',
  tags,
  summary: 'Reactivate a deactivated debit item (idempotent)',
  ...secretKeyIdempotent,
  request: { params: idParam, body: jsonBody(EmptyParams, false, {}) },
  responses: { 200: itemResponse(examples.debitItem), ...writeErrors },
});
