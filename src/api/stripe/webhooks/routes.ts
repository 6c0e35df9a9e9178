/** /v1/webhook_endpoints, /v1/webhook_deliveries and /v1/notification_secret: the routes as data. */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, jsonBody, jsonResponse } from '../../../http/schemas/common.js';
import { secretKey, secretKeyIdempotent, secretKeyIdempotentShowing } from '../auth.js';
import { ErrorEnvelope } from '../errors.js';
import * as examples from '../examples.js';
import { PageQuery } from '../list.js';
import {
  CreateEndpointParams,
  DeletedEndpoint,
  NotificationSecret,
  RollSecretParams,
  UpdateEndpointParams,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookEndpoint,
  WebhookEndpointList,
} from './schemas.js';
import { endpointSecret, notificationSecretOfScope } from './secrets.js';

const tags = ['Webhook endpoints'];
const errors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'No such object (for this merchant and mode).',
});
const idParam = (example: string) =>
  z.object({
    id: z
      .string()
      .max(100)
      .openapi({ param: { name: 'id', in: 'path' }, example }),
  });
const EndpointId = idParam(examples.endpoint.id);
/** A roll that lost to another roll of the same secret. */
const rollErrors = {
  ...errors,
  ...errorResponses(ErrorEnvelope, { 409: 'Another roll of the same secret won: this one changed nothing.' }),
};

export const createEndpoint = createRoute({
  method: 'post',
  path: '/v1/webhook_endpoints',
  tags,
  summary: 'Create a webhook endpoint (its signing secret is in this answer only)',
  ...secretKeyIdempotentShowing(endpointSecret),
  request: { body: jsonBody(CreateEndpointParams, true, examples.createEndpointRequest) },
  responses: { 200: jsonResponse(WebhookEndpoint, 'The endpoint, with its secret.', examples.createdEndpoint), ...errors },
});

export const listEndpoints = createRoute({
  method: 'get',
  path: '/v1/webhook_endpoints',
  tags,
  summary: 'List webhook endpoints, newest first',
  ...secretKey,
  request: { query: PageQuery },
  responses: { 200: jsonResponse(WebhookEndpointList, 'A page of endpoints.', examples.endpointList), ...errors },
});

export const retrieveEndpoint = createRoute({
  method: 'get',
  path: '/v1/webhook_endpoints/{id}',
  tags,
  summary: 'Retrieve a webhook endpoint',
  ...secretKey,
  request: { params: EndpointId },
  responses: { 200: jsonResponse(WebhookEndpoint, 'The endpoint (without its secret).', examples.endpoint), ...errors },
});

export const updateEndpoint = createRoute({
  method: 'post',
  path: '/v1/webhook_endpoints/{id}',
  tags,
  summary: 'Update a webhook endpoint (disabled=true stops deliveries to it)',
  ...secretKeyIdempotent,
  request: { params: EndpointId, body: jsonBody(UpdateEndpointParams, false, examples.updateEndpointRequest) },
  responses: { 200: jsonResponse(WebhookEndpoint, 'The endpoint.', examples.updatedEndpoint), ...errors },
});

export const deleteEndpoint = createRoute({
  method: 'delete',
  path: '/v1/webhook_endpoints/{id}',
  tags,
  summary: 'Delete a webhook endpoint',
  ...secretKey,
  request: { params: EndpointId },
  responses: { 200: jsonResponse(DeletedEndpoint, 'Deleted.', examples.deletedEndpoint), ...errors },
});

export const rollEndpointSecret = createRoute({
  method: 'post',
  path: '/v1/webhook_endpoints/{id}/roll_secret',
  tags,
  summary: 'Replace the signing secret; the old one keeps signing for expires_in_seconds (default 24 h)',
  ...secretKeyIdempotentShowing(endpointSecret),
  request: { params: EndpointId, body: jsonBody(RollSecretParams, false, examples.rollSecretRequest) },
  responses: { 200: jsonResponse(WebhookEndpoint, 'The endpoint, with its new secret.', examples.rolledEndpoint), ...rollErrors },
});

export const endpointDeliveries = createRoute({
  method: 'get',
  path: '/v1/webhook_endpoints/{id}/deliveries',
  tags,
  summary: "An endpoint's deliveries and their attempts, newest first",
  ...secretKey,
  request: { params: EndpointId, query: PageQuery },
  responses: { 200: jsonResponse(WebhookDeliveryList, 'Deliveries.', examples.endpointDeliveryList), ...errors },
});

export const retryDelivery = createRoute({
  method: 'post',
  path: '/v1/webhook_deliveries/{id}/retry',
  tags,
  summary: 'Deliver again now, by hand (one attempt, recorded like the others)',
  ...secretKeyIdempotent,
  request: { params: idParam(examples.delivery.id) },
  responses: { 200: jsonResponse(WebhookDelivery, 'The delivery after the attempt.', examples.delivery), ...errors },
});

export const notificationSecret = createRoute({
  method: 'get',
  path: '/v1/notification_secret',
  tags,
  summary: "The merchant's secret that signs deliveries to intents' notification_url",
  ...secretKey,
  responses: { 200: jsonResponse(NotificationSecret, 'The secret.', examples.notificationSecret), ...errors },
});

export const rollNotificationSecret = createRoute({
  method: 'post',
  path: '/v1/notification_secret/roll',
  tags,
  summary: 'Replace the notification secret; the old one keeps signing for expires_in_seconds (default 24 h)',
  ...secretKeyIdempotentShowing(notificationSecretOfScope),
  request: { body: jsonBody(RollSecretParams, false, examples.rollSecretRequest) },
  responses: { 200: jsonResponse(NotificationSecret, 'The new secret.', examples.rolledNotificationSecret), ...rollErrors },
});
