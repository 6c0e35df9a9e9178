/** /v1/webhook_endpoints, /v1/webhook_deliveries and /v1/notification_secret: the routes as data. */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, jsonBody, jsonResponse } from '../../../http/schemas/common.js';
import { secretKey, secretKeyIdempotent } from '../auth.js';
import { ErrorEnvelope } from '../errors.js';
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
const EndpointId = idParam('we_01JD4X2Q8Z3N9A7ZbC1dE2fG3h');

export const createEndpoint = createRoute({
  method: 'post',
  path: '/v1/webhook_endpoints',
  tags,
  summary: 'Create a webhook endpoint (its signing secret is in this answer only)',
  ...secretKeyIdempotent,
  request: { body: jsonBody(CreateEndpointParams) },
  responses: { 200: jsonResponse(WebhookEndpoint, 'The endpoint, with its secret.'), ...errors },
});

export const listEndpoints = createRoute({
  method: 'get',
  path: '/v1/webhook_endpoints',
  tags,
  summary: 'List webhook endpoints, newest first',
  ...secretKey,
  request: { query: PageQuery },
  responses: { 200: jsonResponse(WebhookEndpointList, 'A page of endpoints.'), ...errors },
});

export const retrieveEndpoint = createRoute({
  method: 'get',
  path: '/v1/webhook_endpoints/{id}',
  tags,
  summary: 'Retrieve a webhook endpoint',
  ...secretKey,
  request: { params: EndpointId },
  responses: { 200: jsonResponse(WebhookEndpoint, 'The endpoint (without its secret).'), ...errors },
});

export const updateEndpoint = createRoute({
  method: 'post',
  path: '/v1/webhook_endpoints/{id}',
  tags,
  summary: 'Update a webhook endpoint (disabled=true stops deliveries to it)',
  ...secretKeyIdempotent,
  request: { params: EndpointId, body: jsonBody(UpdateEndpointParams, false) },
  responses: { 200: jsonResponse(WebhookEndpoint, 'The endpoint.'), ...errors },
});

export const deleteEndpoint = createRoute({
  method: 'delete',
  path: '/v1/webhook_endpoints/{id}',
  tags,
  summary: 'Delete a webhook endpoint',
  ...secretKey,
  request: { params: EndpointId },
  responses: { 200: jsonResponse(DeletedEndpoint, 'Deleted.'), ...errors },
});

export const rollEndpointSecret = createRoute({
  method: 'post',
  path: '/v1/webhook_endpoints/{id}/roll_secret',
  tags,
  summary: 'Replace the signing secret; the old one keeps signing for expires_in_seconds (default 24 h)',
  ...secretKeyIdempotent,
  request: { params: EndpointId, body: jsonBody(RollSecretParams, false) },
  responses: { 200: jsonResponse(WebhookEndpoint, 'The endpoint, with its new secret.'), ...errors },
});

export const endpointDeliveries = createRoute({
  method: 'get',
  path: '/v1/webhook_endpoints/{id}/deliveries',
  tags,
  summary: "An endpoint's deliveries and their attempts, newest first",
  ...secretKey,
  request: { params: EndpointId, query: PageQuery },
  responses: { 200: jsonResponse(WebhookDeliveryList, 'Deliveries.'), ...errors },
});

export const retryDelivery = createRoute({
  method: 'post',
  path: '/v1/webhook_deliveries/{id}/retry',
  tags,
  summary: 'Deliver again now, by hand (one attempt, recorded like the others)',
  ...secretKeyIdempotent,
  request: { params: idParam('whd_0123456789abcdef01234567') },
  responses: { 200: jsonResponse(WebhookDelivery, 'The delivery after the attempt.'), ...errors },
});

export const notificationSecret = createRoute({
  method: 'get',
  path: '/v1/notification_secret',
  tags,
  summary: "The merchant's secret that signs deliveries to intents' notification_url",
  ...secretKey,
  responses: { 200: jsonResponse(NotificationSecret, 'The secret.'), ...errors },
});

export const rollNotificationSecret = createRoute({
  method: 'post',
  path: '/v1/notification_secret/roll',
  tags,
  summary: 'Replace the notification secret; the old one keeps signing for expires_in_seconds (default 24 h)',
  ...secretKeyIdempotent,
  request: { body: jsonBody(RollSecretParams, false) },
  responses: { 200: jsonResponse(NotificationSecret, 'The new secret.'), ...errors },
});
