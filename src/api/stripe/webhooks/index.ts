import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../../http/context.js';
import { route } from '../../../http/router.js';
import * as handlers from './handlers.js';
import * as routes from './routes.js';

export function webhooks(app: OpenAPIHono<AppEnv>): void {
  route(app, routes.createEndpoint, handlers.createEndpoint);
  route(app, routes.listEndpoints, handlers.listEndpoints);
  route(app, routes.retrieveEndpoint, handlers.retrieveEndpoint);
  route(app, routes.updateEndpoint, handlers.updateEndpoint);
  route(app, routes.deleteEndpoint, handlers.deleteEndpoint);
  route(app, routes.rollEndpointSecret, handlers.rollEndpointSecret);
  route(app, routes.endpointDeliveries, handlers.endpointDeliveries);
  route(app, routes.retryDelivery, handlers.retryDelivery);
  route(app, routes.notificationSecret, handlers.notificationSecret);
  route(app, routes.rollNotificationSecret, handlers.rollNotificationSecret);
}
