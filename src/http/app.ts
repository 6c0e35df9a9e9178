/**
 * The worker's HTTP app: request ids, the API families mounted side by side (each a sub-app with
 * its own auth, error envelope and renderer over the one service seam), health, and the API
 * description generated from the same zod schemas that validate requests.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { adminApi } from '../api/admin/index.js';
import { debitLlamaApi } from '../api/debitllama/index.js';
import { finternetApi } from '../compat/finternet/index.js';
import { amplifyApi } from '../compat/amplify/index.js';
import { paytreeApi } from '../compat/paytree/index.js';
import { links } from '../api/stripe/context.js';
import { renderStripeError, StripeError, stripeErrorHandler } from '../api/stripe/errors.js';
import { stripeApi } from '../api/stripe/index.js';
import { relayerProblems } from '../chain/relayer.js';
import { chainsConfig } from '../chain/registry.js';
import { boundShards, openShards, shardDatabase } from '../db/shards.js';
import { type Env, readSettings } from '../env.js';
import { redactPath } from '../lib/card-numbers.js';
import { newId } from '../lib/ids.js';
import { logError } from '../lib/log.js';
import { challengePages } from '../pages/challenge.js';
import { checkoutPages } from '../pages/checkout/index.js';
import { subscribePages } from '../pages/subscribe/index.js';
import { registerDocs } from './docs.js';
import { newRouter } from './router.js';
import { jsonResponse } from './schemas/common.js';

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

const Ready = z.object({ ok: z.literal(true), networks: z.array(z.string()) });
const NotReady = z.object({ ok: z.literal(false), problems: z.array(z.string()) });

export const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['Service'],
  summary: 'Liveness: no storage touched',
  security: [],
  responses: { 200: jsonResponse(z.object({ ok: z.literal(true) }), 'Up.', { ok: true }) },
});

export const ready = createRoute({
  method: 'get',
  path: '/health/ready',
  tags: ['Service'],
  summary:
    'Readiness: the configuration (variables, CHAINS, OPEN_SHARDS) is valid, the D1 directory and every shard answer a query, and no relayer is out of gas money',
  security: [],
  responses: {
    200: jsonResponse(Ready, 'Ready.', { ok: true, networks: ['base', 'base-sepolia'] }),
    503: jsonResponse(
      NotReady,
      'A variable is invalid, a D1 database does not answer, a shard merchants are on is not bound, or a relayer is out of gas money: each problem named (never an RPC URL or a secret).',
    ),
  },
});

export function createApp() {
  const app = newRouter();

  app.use(async (c, next) => {
    const requestId = newId('req');
    c.set('requestId', requestId);
    c.header('Request-Id', requestId);
    await next();
  });

  // Anything outside a family (health, the description) answers in the canonical envelope. An
  // unknown path is quoted, but never a card number in it (no route refused it: none matched).
  app.onError(stripeErrorHandler(links));
  app.notFound((c) =>
    renderStripeError(c, new StripeError('route_not_found', `Unrecognized request URL (${c.req.method}: ${redactPath(c.req.path)}).`)),
  );

  app.openapi(health, (c) => c.json({ ok: true as const }, 200));

  app.openapi(ready, async (c) => {
    let networks: string[];
    try {
      const { publicBaseUrl } = readSettings(c.env);
      networks = [...chainsConfig(c.env).keys()];
      assertReachableBaseUrl(publicBaseUrl, new URL(c.req.url).hostname);
    } catch (error) {
      const problems = (error instanceof Error ? error.message : String(error)).split('\n');
      logError('configuration is invalid', { problems }, error);
      return c.json({ ok: false as const, problems }, 503);
    }
    const problems = (await Promise.all([databaseProblems(c.env), relayerProblems(c.env)])).flat();
    if (problems.length > 0) return c.json({ ok: false as const, problems }, 503);
    return c.json({ ok: true as const, networks }, 200);
  });

  app.route('/', stripeApi());
  app.route('/', adminApi());
  app.route('/', debitLlamaApi());
  app.route('/', finternetApi());
  app.route('/', amplifyApi());
  app.route('/', paytreeApi());
  app.route('/', challengePages());
  app.route('/', checkoutPages());
  app.route('/', subscribePages());

  // The server is configuration (PUBLIC_BASE_URL), never the request's Host.
  app.doc31('/openapi.json', (c) => ({ ...OPENAPI_INFO, servers: [{ url: readSettings(c.env).publicBaseUrl }] }));
  registerDocs(app);
  return app;
}

/**
 * What keeps the read model from serving: the directory or a shard that does not answer, a shard
 * OPEN_SHARDS names or the directory assigned merchants to that is not bound. All are checked at once,
 * so one answer names every problem.
 */
async function databaseProblems(env: Env): Promise<string[]> {
  const bound = boundShards(env);
  const directory = async (): Promise<string[]> => {
    let assigned: string[];
    try {
      assigned = (await env.DIRECTORY.prepare('SELECT binding FROM shards').all<{ binding: string }>()).results.map((r) => r.binding);
    } catch (error) {
      logError('D1 does not answer', { binding: 'DIRECTORY' }, error);
      return ['D1 (binding DIRECTORY) does not answer a query'];
    }
    return assigned
      .filter((shard) => !bound.includes(shard))
      .map((shard) => `merchants are assigned to the shard ${shard}, which is not bound (a D1 binding ${shard})`);
  };
  const shard = async (name: string): Promise<string[]> => {
    try {
      await shardDatabase(env, name).prepare('SELECT 1').first();
      return [];
    } catch (error) {
      logError('D1 does not answer', { binding: name }, error);
      return [`D1 (binding ${name}) does not answer a query`];
    }
  };
  const problems = (await Promise.all([directory(), ...bound.map(shard)])).flat();
  try {
    openShards(env);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return problems;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * A deployment left with the local-development PUBLIC_BASE_URL (a loopback origin) would hand its
 * payers links to their own machine. The request's host is only compared here, never used in a link.
 */
function assertReachableBaseUrl(publicBaseUrl: string, requestHost: string): void {
  const configured = new URL(publicBaseUrl).hostname;
  if (LOOPBACK.test(configured) && !LOOPBACK.test(requestHost)) {
    throw new Error(
      `PUBLIC_BASE_URL is ${publicBaseUrl}, a loopback origin, but this deployment is reached as ${requestHost}: set PUBLIC_BASE_URL to its public origin`,
    );
  }
}
