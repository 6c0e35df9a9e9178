/** /v1/disputes: the routes as data — path, auth, parameters, responses. Handlers are in handlers.ts. */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonBody, jsonResponse } from '../../../http/schemas/common.js';
import { secretKey, secretKeyIdempotentOnObject } from '../auth.js';
import { ErrorEnvelope } from '../errors.js';
import * as examples from './examples.js';
import { CloseDisputeParams, Dispute, DisputeList, disputeIdParam, ListDisputesQuery, UpdateDisputeParams } from './schemas.js';

const tags = ['Disputes'];
const errors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'No such dispute (for this merchant and mode).',
});
const writeErrors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request, naming the parameter; or not allowed in the dispute`s status (dispute_unexpected_state).',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'No such dispute (for this merchant and mode).',
});
const listErrors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'A cursor that names no dispute of this merchant and mode.',
});
const idParam = disputeIdParam(examples.disputeExample.id);

export const list = createRoute({
  method: 'get',
  path: '/v1/disputes',
  tags,
  summary: 'List disputes, newest first (filters: charge, payment_intent, created)',
  ...secretKey,
  request: { query: ListDisputesQuery },
  responses: { 200: jsonResponse(DisputeList, 'A page of disputes.', examples.disputeList), ...listErrors },
});

export const retrieve = createRoute({
  method: 'get',
  path: '/v1/disputes/{id}',
  tags,
  summary: 'Retrieve a dispute',
  ...secretKey,
  request: { params: idParam },
  responses: { 200: jsonResponse(Dispute, 'The dispute.', examples.disputeExample), ...errors },
});

export const update = createRoute({
  method: 'post',
  path: '/v1/disputes/{id}',
  tags,
  summary:
    'Update a dispute: evidence and metadata merge; submit (the default when evidence is given) sends the evidence for review. Test mode: uncategorized_text winning_evidence wins, losing_evidence loses',
  ...secretKeyIdempotentOnObject,
  request: { params: idParam, body: jsonBody(UpdateDisputeParams, false, examples.updateDisputeRequest) },
  responses: { 200: jsonResponse(Dispute, 'The dispute.', examples.submittedDispute), ...writeErrors },
});

export const close = createRoute({
  method: 'post',
  path: '/v1/disputes/{id}/close',
  tags,
  summary: 'Close a dispute: accept it, which loses it (irreversible; only while it needs a response)',
  ...secretKeyIdempotentOnObject,
  request: { params: idParam, body: jsonBody(CloseDisputeParams, false, {}) },
  responses: { 200: jsonResponse(Dispute, 'The dispute, lost.', examples.closedDispute), ...writeErrors },
});
