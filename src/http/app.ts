/** The HTTP app: request ids, the error envelope, routes, and the API description. */
import { createRoute, z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { chainsConfig } from '../chain/registry.js';
import { readSettings } from '../env.js';
import { newId } from '../lib/ids.js';
import { logError } from '../lib/log.js';
import { registerDocs } from './docs.js';
import { ApiError, errorResponse } from './errors.js';
import { newRouter } from './openapi.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerChallengeRoutes } from './routes/challenge.js';
import { registerPaymentIntentRoutes } from './routes/payment-intents.js';
import { registerWebhookRoutes } from './routes/webhooks.js';

const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'edge-payment-intents',
    version: '0.1.0',
    description:
      'Payment intents on Cloudflare Workers with a Stripe-compatible wire. Authenticate with `Authorization: Bearer sk_test_…` ' +
      '(or HTTP Basic with the key as user name). Bodies may be JSON or form-encoded with bracket notation.',
  },
};

/** How clients authenticate (auth.ts): operations name these in their `security`. */
const SECURITY_SCHEMES = {
  apiKey: { type: 'http', scheme: 'bearer', description: 'An API key as a Bearer token: `Authorization: Bearer sk_test_…`.' },
  apiKeyBasic: { type: 'http', scheme: 'basic', description: 'An API key as the HTTP Basic user name, no password: `-u sk_test_…:`.' },
  adminToken: { type: 'http', scheme: 'bearer', description: 'The ADMIN_TOKEN secret as a Bearer token, for /v1/admin/* only.' },
} as const;

export function createApp() {
  const app = newRouter();

  app.use(async (c, next) => {
    const requestId = newId('req');
    c.set('requestId', requestId);
    c.header('Request-Id', requestId);
    await next();
  });

  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error);
    if (error instanceof HTTPException && error.status < 500) {
      return errorResponse(c, new ApiError('body_invalid', error.message));
    }
    // A real fault: log it with the request id, tell the client nothing about internals.
    const requestId = c.get('requestId');
    logError('unhandled error', { requestId, method: c.req.method, path: c.req.path }, error);
    return errorResponse(
      c,
      new ApiError('internal_error', `An internal error occurred. If it persists, contact support with request id ${requestId}.`, null, {
        request_id: requestId,
      }),
    );
  });

  app.notFound((c) => errorResponse(c, new ApiError('route_not_found', `Unrecognized request URL (${c.req.method}: ${c.req.path}).`)));

  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      tags: ['Service'],
      summary: 'Liveness: no storage touched',
      responses: { 200: { description: 'Up.', content: { 'application/json': { schema: z.object({ ok: z.literal(true) }) } } } },
    }),
    (c) => c.json({ ok: true as const }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/health/ready',
      tags: ['Service'],
      summary: 'Readiness: the configuration (variables, CHAINS) is valid and the D1 read model answers a query',
      responses: {
        200: {
          description: 'Ready.',
          content: { 'application/json': { schema: z.object({ ok: z.literal(true), networks: z.array(z.string()) }) } },
        },
        503: {
          description: 'A variable is invalid: each problem named (never an RPC URL).',
          content: { 'application/json': { schema: z.object({ ok: z.literal(false), problems: z.array(z.string()) }) } },
        },
      },
    }),
    async (c) => {
      let networks: string[];
      try {
        readSettings(c.env);
        networks = Object.keys(chainsConfig(c.env));
      } catch (error) {
        const problems = (error instanceof Error ? error.message : String(error)).split('\n');
        logError('configuration is invalid', { problems }, error);
        return c.json({ ok: false as const, problems }, 503);
      }
      await c.env.DB.prepare('SELECT 1').first();
      return c.json({ ok: true as const, networks }, 200);
    },
  );

  registerAdminRoutes(app);
  registerPaymentIntentRoutes(app);
  registerChallengeRoutes(app);
  registerWebhookRoutes(app);

  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  // The server is configuration (PUBLIC_BASE_URL), never the request's Host; without it, relative.
  app.doc31('/openapi.json', (c) => ({ ...OPENAPI_INFO, servers: [{ url: c.env.PUBLIC_BASE_URL?.replace(/\/+$/, '') || '/' }] }));
  registerDocs(app);
  return app;
}
