import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../../http/context.js';
import { route } from '../../../http/router.js';
import * as handlers from './handlers.js';
import * as routes from './routes.js';

export function events(app: OpenAPIHono<AppEnv>): void {
  route(app, routes.list, handlers.list);
  route(app, routes.retrieve, handlers.retrieve);
  route(app, routes.deliveries, handlers.deliveries);
}
