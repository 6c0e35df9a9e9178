/** Registers /v1/charges on the family's router, in the order paths must be matched. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../../http/context.js';
import { route } from '../../../http/router.js';
import * as handlers from './handlers.js';
import * as routes from './routes.js';

export function charges(app: OpenAPIHono<AppEnv>): void {
  route(app, routes.list, handlers.list);
  route(app, routes.retrieve, handlers.retrieve);
}
