/**
 * The family of 000_… (Amplify's crypto checkout API), under /amplify: its own key-pair auth
 * (apiKey + clientId headers), error envelope and rendering over the one service seam, so an
 * Amplify client works by changing its base URL to `${PUBLIC_BASE_URL}/amplify`. Its own API
 * description is at /amplify/openapi.json: its envelope is not Stripe's.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { readSettings } from '../../env.js';
import { redactPath } from '../../lib/card-numbers.js';
import type { AppEnv } from '../../http/context.js';
import { newRouter, route } from '../../http/router.js';
import { API_KEY_SCHEMES } from './auth.js';
import { AmplifyError, amplifyErrorHandler, renderAmplifyError } from './errors.js';
import * as handlers from './handlers.js';
import * as routes from './routes.js';

function family(): OpenAPIHono<AppEnv> {
  const app = newRouter();
  app.onError(amplifyErrorHandler);
  for (const [name, scheme] of Object.entries(API_KEY_SCHEMES)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  route(app, routes.create, handlers.create);
  route(app, routes.status, handlers.status);
  route(app, routes.retrieve, handlers.retrieve);
  app.doc31('/amplify/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'edge-payment-intents: the wire of Amplify`s payment intents',
      version: '0.1.0',
      description:
        'Crypto checkout in Amplify`s shape. Authenticate a create with the headers `apiKey` (the secret API key) and `clientId` ' +
        '(the account id); the client secret is the credential of the lookups.',
    },
    servers: [{ url: `${readSettings(c.env).publicBaseUrl}` }],
  }));
  // An unknown path is quoted, but never a card number in it (no route refused it: none matched).
  app.all('/amplify/*', (c) => renderAmplifyError(c, new AmplifyError(404, `Cannot ${c.req.method} ${redactPath(c.req.path)}`)));
  return app;
}

/** The family, mounted through a plain router so that its routes stay out of the canonical document. */
export function amplifyApi(): Hono<AppEnv> {
  return new Hono<AppEnv>().route('/', family());
}
