/** /v1/charges: the routes as data — path, auth, parameters, responses. Handlers are in handlers.ts. */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonResponse } from '../../../http/schemas/common.js';
import { secretKey } from '../auth.js';
import { ErrorEnvelope } from '../errors.js';
import * as examples from './examples.js';
import { Charge, ChargeList, chargeIdParam, ListChargesQuery } from './schemas.js';

const tags = ['Charges'];

export const list = createRoute({
  method: 'get',
  path: '/v1/charges',
  tags,
  summary: 'List charges (payment attempts), newest first (filters: payment_intent, customer, created)',
  ...secretKey,
  request: { query: ListChargesQuery },
  responses: {
    200: jsonResponse(ChargeList, 'A page of charges.', examples.chargeList),
    ...errorResponses(ErrorEnvelope, {
      400: 'Invalid request: the error names the parameter.',
      401: 'Missing or unknown API key.',
      403: 'A publishable key.',
      404: 'A cursor that names no charge of this merchant and mode.',
    }),
  },
});

export const retrieve = createRoute({
  method: 'get',
  path: '/v1/charges/{id}',
  tags,
  summary: 'Retrieve a charge: one payment attempt of a PaymentIntent, with its refunds',
  ...secretKey,
  request: { params: chargeIdParam(examples.succeededCharge.id) },
  responses: {
    200: jsonResponse(Charge, 'The charge.', examples.succeededCharge),
    ...errorResponses(ErrorEnvelope, {
      400: 'Invalid request: the error names the parameter.',
      401: 'Missing or unknown API key.',
      403: 'A publishable key.',
      404: 'No such charge (for this merchant and mode).',
    }),
  },
});
