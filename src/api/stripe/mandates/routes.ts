/** /v1/mandates: the routes as data — path, auth, parameters, responses. Handlers are in handlers.ts. */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonBody, jsonResponse } from '../../../http/schemas/common.js';
import { secretKey, secretKeyIdempotent } from '../auth.js';
import { debitItemIdParam } from '../debit-items/schemas.js';
import { ErrorEnvelope } from '../errors.js';
import * as examples from './examples.js';
import {
  CancelMandateParams,
  CreateDebitRequestParams,
  ListItemMandatesQuery,
  ListMandatesQuery,
  Mandate,
  MandateList,
  mandateIdParam,
} from './schemas.js';

const tags = ['Mandates'];
const errors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'No such mandate (for this merchant and mode).',
});
const writeErrors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request, naming the parameter; or not allowed in the mandate`s status (mandate_unexpected_state).',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'No such mandate (for this merchant and mode).',
  503: 'The chain could not be asked (chain_unavailable): nothing was changed; retry.',
});
const listErrors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'A cursor that names no mandate of this merchant and mode.',
});
const idParam = mandateIdParam(examples.mandateExample.id);

export const list = createRoute({
  method: 'get',
  path: '/v1/mandates',
  tags,
  summary: 'List mandates, newest first (filters: debit_item, status, created)',
  ...secretKey,
  request: { query: ListMandatesQuery },
  responses: { 200: jsonResponse(MandateList, 'A page of mandates.', examples.mandateList), ...listErrors },
});

export const retrieve = createRoute({
  method: 'get',
  path: '/v1/mandates/{id}',
  tags,
  summary: 'Retrieve a mandate',
  ...secretKey,
  request: { params: idParam },
  responses: { 200: jsonResponse(Mandate, 'The mandate.', examples.mandateExample), ...errors },
});

export const cancel = createRoute({
  method: 'post',
  path: '/v1/mandates/{id}/cancel',
  tags,
  summary: 'Cancel a mandate: no debit is sent after this answer; the payee`s cancel goes on chain through the relayer (idempotent)',
  ...secretKeyIdempotent,
  request: { params: idParam, body: jsonBody(CancelMandateParams, false, {}) },
  responses: { 200: jsonResponse(Mandate, 'The canceled mandate.', examples.canceledMandate), ...writeErrors },
});

export const createDebitRequest = createRoute({
  method: 'post',
  path: '/v1/mandates/{id}/debit_requests',
  tags,
  summary:
    'Ask a Dynamic mandate for a debit of `amount` (at most its max_amount): in the current period if not yet debited, else the next',
  ...secretKeyIdempotent,
  request: { params: idParam, body: jsonBody(CreateDebitRequestParams, true, examples.debitRequestParams) },
  responses: {
    200: jsonResponse(Mandate, 'The mandate: the new request is the last of its pending_debit_requests.', examples.mandateExample),
    ...writeErrors,
  },
});

export const listOfItem = createRoute({
  method: 'get',
  path: '/v1/debit_items/{id}/mandates',
  tags,
  summary: 'List the mandates of one debit item, newest first (filters: status, created)',
  ...secretKey,
  request: { params: debitItemIdParam(examples.mandateExample.debit_item), query: ListItemMandatesQuery },
  responses: {
    200: jsonResponse(MandateList, 'A page of the item`s mandates.', {
      ...examples.mandateList,
      url: `/v1/debit_items/${examples.mandateExample.debit_item}/mandates`,
    }),
    ...errorResponses(ErrorEnvelope, {
      400: 'Invalid request: the error names the parameter.',
      401: 'Missing or unknown API key.',
      403: 'A publishable key.',
      404: 'No such debit item (for this merchant and mode), or a cursor that names no mandate of it.',
    }),
  },
});
