/**
 * Authentication of 004_…'s family: Finternet's `X-API-Key` header, holding the merchant's secret
 * API key (sk_test_… or sk_live_…), checked as the Stripe family checks it (hashes, constant time:
 * src/merchants/keys.ts). A test key sees test mode's intents and a live key live mode's. A
 * publishable key is no API key here.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../http/context.js';
import { findKeyOwner } from '../../merchants/keys.js';
import { FinternetError } from './errors.js';

export const API_KEY_SCHEME = {
  finternetApiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: "The merchant's secret API key: `X-API-Key: sk_test_…` sees test mode, `sk_live_…` live mode.",
  },
} as const;

const requireApiKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = c.req.header('x-api-key')?.trim();
  if (!key) throw new FinternetError('authentication_required', 'No API key provided: send it in the X-API-Key header.');
  const owner = await findKeyOwner(c.env.DIRECTORY, key);
  if (owner?.kind !== 'secret') throw new FinternetError('invalid_api_key', 'Invalid API key provided.');
  c.set('auth', owner);
  await next();
};

/** Route settings: an API key, documented. */
export const apiKey = { middleware: requireApiKey, security: [{ finternetApiKey: [] }] as Record<string, string[]>[] };
/** Route settings: no authentication (the public lookup). */
export const noAuth = { security: [] as Record<string, string[]>[] };
