/**
 * Authentication of 002_…'s family: DebitLlama's `Authorization: Bearer <access token>`, where the
 * access token is the merchant's secret API key (sk_test_… or sk_live_…), checked as the Stripe
 * family checks it (hashes, constant time: src/merchants/keys.ts). A test key sees test mode's
 * objects and a live key live mode's. A publishable key is no access token.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../http/context.js';
import { findKeyOwner } from '../../merchants/keys.js';
import { presentedKey } from '../stripe/auth.js';
import { ApiV1Error } from './errors.js';

export const ACCESS_TOKEN_SCHEME = {
  accessToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      "DebitLlama's access token: `Authorization: Bearer <token>`, where the token is the merchant's secret API key (sk_test_… sees test mode, sk_live_… live mode).",
  },
} as const;

const requireAccessToken: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header('authorization');
  if (header === undefined) throw new ApiV1Error(401, 'Missing Authorization Header');
  const token = presentedKey(header);
  if (token === null) throw new ApiV1Error(401, 'Invalid Authorization Value: send Authorization: Bearer <access token>');
  const owner = await findKeyOwner(c.env.DIRECTORY, token);
  if (owner?.kind !== 'secret') throw new ApiV1Error(401, 'Invalid access token');
  c.set('auth', owner);
  await next();
};

/** Route settings: an access token, documented. */
export const accessToken = { middleware: requireAccessToken, security: [{ accessToken: [] }] as Record<string, string[]>[] };
