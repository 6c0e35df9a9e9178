/** Registers /v1/refunds on the family's router, in the order paths must be matched. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../../http/context.js';
import { route } from '../../../http/router.js';
import * as handlers from './handlers.js';
import * as routes from './routes.js';

export function refunds(app: OpenAPIHono<AppEnv>): void {
  route(app, routes.create, handlers.create);
  route(app, routes.list, handlers.list);
  route(app, routes.retrieve, handlers.retrieve);
  route(app, routes.update, handlers.update);
  route(app, routes.cancel, handlers.cancel);
}
