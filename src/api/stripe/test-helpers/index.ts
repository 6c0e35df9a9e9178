/** Registers /v1/test_helpers/payment_intents on the family's router. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../../http/context.js';
import { route } from '../../../http/router.js';
import * as handlers from './handlers.js';
import * as routes from './routes.js';

export function testHelpers(app: OpenAPIHono<AppEnv>): void {
  route(app, routes.fund, handlers.fund);
}
