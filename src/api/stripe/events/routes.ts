/** /v1/events: the routes as data. */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, jsonResponse } from '../../../http/schemas/common.js';
import { secretKey } from '../auth.js';
import { ErrorEnvelope } from '../errors.js';
import * as examples from '../examples.js';
import { PageQuery } from '../list.js';
import { WebhookDeliveryList } from '../webhooks/schemas.js';
import { Event, EventList, EventListQuery } from './schemas.js';

const tags = ['Events'];
const errors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or unknown API key.',
  403: 'A publishable key.',
  404: 'No such event (for this merchant and mode).',
});
const EventIdParam = z.object({
  id: z
    .string()
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' }, example: examples.event.id }),
});

export const list = createRoute({
  method: 'get',
  path: '/v1/events',
  tags,
  summary: 'List events, newest first',
  ...secretKey,
  request: { query: EventListQuery },
  responses: { 200: jsonResponse(EventList, 'A page of events.', examples.eventList), ...errors },
});

export const retrieve = createRoute({
  method: 'get',
  path: '/v1/events/{id}',
  tags,
  summary: 'Retrieve an event',
  ...secretKey,
  request: { params: EventIdParam },
  responses: { 200: jsonResponse(Event, 'The event.', examples.event), ...errors },
});

export const deliveries = createRoute({
  method: 'get',
  path: '/v1/events/{id}/deliveries',
  tags,
  summary: "An event's webhook deliveries and their attempts",
  ...secretKey,
  request: { params: EventIdParam, query: PageQuery },
  responses: { 200: jsonResponse(WebhookDeliveryList, 'Deliveries, newest first.', examples.eventDeliveryList), ...errors },
});
