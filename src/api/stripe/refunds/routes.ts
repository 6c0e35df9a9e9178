/** /v1/refunds: the routes as data — path, auth, parameters, responses. Handlers are in handlers.ts. */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonBody, jsonResponse } from '../../../http/schemas/common.js';
import { secretKey, secretKeyIdempotentOnObject } from '../auth.js';
import { ErrorEnvelope } from '../errors.js';
import * as examples from './examples.js';
import {
  CancelRefundParams,
  CreateRefundParams,
  ListRefundsQuery,
  Refund,
  RefundList,
  refundIdParam,
  UpdateRefundParams,
} from './schemas.js';

const tags = ['Refunds'];
const errors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'No such refund (for this merchant and mode).',
});
const listErrors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'A cursor that names no refund of this merchant and mode.',
});
const idParam = refundIdParam(examples.pendingRefund.id);

export const create = createRoute({
  method: 'post',
  path: '/v1/refunds',
  tags,
  summary:
    'Refund a PaymentIntent`s succeeded charge, in full or in part (several refunds up to the amount received, never more); a card refund is pending, then succeeds or fails',
  ...secretKeyIdempotentOnObject,
  request: { body: jsonBody(CreateRefundParams, true, examples.createRefundRequest) },
  responses: {
    200: jsonResponse(Refund, 'The refund, pending.', examples.pendingRefund),
    ...errorResponses(ErrorEnvelope, {
      400: 'Invalid request, naming the parameter: nothing left to refund (charge_already_refunded), an amount above what is left (amount_too_large), no succeeded charge (payment_intent_unexpected_state), a disputed charge (charge_disputed).',
      401: 'Missing or unknown API key.',
      403: 'A publishable key.',
      404: 'No such payment intent or charge (for this merchant and mode).',
    }),
  },
});

export const list = createRoute({
  method: 'get',
  path: '/v1/refunds',
  tags,
  summary: 'List refunds, newest first (filters: payment_intent, charge, created)',
  ...secretKey,
  request: { query: ListRefundsQuery },
  responses: { 200: jsonResponse(RefundList, 'A page of refunds.', examples.refundList), ...listErrors },
});

export const retrieve = createRoute({
  method: 'get',
  path: '/v1/refunds/{id}',
  tags,
  summary: 'Retrieve a refund',
  ...secretKey,
  request: { params: idParam },
  responses: { 200: jsonResponse(Refund, 'The refund.', examples.succeededRefund), ...errors },
});

export const update = createRoute({
  method: 'post',
  path: '/v1/refunds/{id}',
  tags,
  summary: 'Update a refund`s metadata (keys merge, "" removes a key)',
  ...secretKeyIdempotentOnObject,
  request: { params: idParam, body: jsonBody(UpdateRefundParams, false, examples.updateRefundRequest) },
  responses: { 200: jsonResponse(Refund, 'The refund.', examples.updatedRefund), ...errors },
});

export const cancel = createRoute({
  method: 'post',
  path: '/v1/refunds/{id}/cancel',
  tags,
  summary: 'Cancel a pending refund: its amount can be refunded again',
  ...secretKeyIdempotentOnObject,
  request: { params: idParam, body: jsonBody(CancelRefundParams, false, {}) },
  responses: {
    200: jsonResponse(Refund, 'The canceled refund.', examples.canceledRefund),
    ...errorResponses(ErrorEnvelope, {
      400: 'Invalid request; or the refund is no longer pending (refund_unexpected_state).',
      401: 'Missing or unknown API key.',
      403: 'A publishable key.',
      404: 'No such refund (for this merchant and mode).',
    }),
  },
});
