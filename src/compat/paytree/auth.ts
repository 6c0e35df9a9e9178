/**
 * Authentication of 001_…'s family (Paytree): `Authorization: Token <secret key>` as DRF's
 * TokenAuthentication reads it, or `Authorization: Bearer <secret key>` (its document's jwtAuth
 * scheme; the token is this service's secret key, not a JWT). The key is checked as every family
 * checks it (hashes, constant time: src/merchants/keys.ts); its mode is the mode of what it sees.
 * Messages are DRF's: no header (or another scheme) → "Authentication credentials were not
 * provided.", a malformed header or a key that is not a secret key of this service → "Invalid token."
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../http/context.js';
import { findKeyOwner } from '../../merchants/keys.js';
import { invalidToken, notAuthenticated, PaytreeError } from './errors.js';

export const SECURITY_SCHEMES = {
  tokenAuth: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description:
      'Token-based authentication with required prefix "Token": `Authorization: Token sk_test_…` (a secret API key of this service).',
  },
  jwtAuth: {
    type: 'http',
    scheme: 'bearer',
    description: 'The same secret API key as a Bearer token: `Authorization: Bearer sk_test_…`.',
  },
} as const;

const SCHEMES = ['token', 'bearer'];

const requireToken: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header('authorization')?.trim() ?? '';
  const parts = header.split(/\s+/);
  // Another scheme (Basic, …) is no credential of this API, as DRF sees it.
  if (header === '' || !SCHEMES.includes(parts[0]!.toLowerCase())) throw notAuthenticated();
  if (parts.length === 1) throw new PaytreeError(401, { detail: 'Invalid token header. No credentials provided.' });
  if (parts.length > 2) throw new PaytreeError(401, { detail: 'Invalid token header. Token string should not contain spaces.' });
  const owner = await findKeyOwner(c.env.DIRECTORY, parts[1]!);
  if (owner?.kind !== 'secret') throw invalidToken();
  c.set('auth', owner);
  await next();
};

/** Route settings: a token, documented. */
export const token = { middleware: requireToken, security: [{ tokenAuth: [] }, { jwtAuth: [] }] as Record<string, string[]>[] };
