/**
 * Authentication of 000_…'s family: the headers `apiKey` (the merchant's secret key, sk_test_… or
 * sk_live_…, checked as every family checks it: hashes, constant time, src/merchants/keys.ts) and
 * `clientId` (the merchant's account id, acct_…). Both must be sent and belong together; a test key
 * sees test mode's intents (apiKeyType SANDBOX), a live key live mode's (PRODUCTION).
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../http/context.js';
import { findKeyOwner } from '../../merchants/keys.js';
import { AmplifyError } from './errors.js';

export const API_KEY_SCHEMES = {
  amplifyApiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'apiKey',
    description: "The merchant's secret API key (sk_test_… for SANDBOX, sk_live_… for PRODUCTION). Sent together with clientId.",
  },
  amplifyClientId: {
    type: 'apiKey',
    in: 'header',
    name: 'clientId',
    description: "The merchant's account id (acct_…), which the apiKey must belong to.",
  },
} as const;

const requireKeyPair: MiddlewareHandler<AppEnv> = async (c, next) => {
  const apiKey = c.req.header('apiKey');
  const clientId = c.req.header('clientId');
  if (!apiKey) throw new AmplifyError(401, 'Missing apiKey header', 'apiKey');
  if (!clientId) throw new AmplifyError(401, 'Missing clientId header', 'clientId');
  const owner = await findKeyOwner(c.env.DIRECTORY, apiKey.trim());
  // A publishable key, an unknown or revoked key and a key of another account are one answer: nothing
  // tells a prober which of the two headers was wrong.
  if (owner?.kind !== 'secret' || owner.merchantId !== clientId.trim()) throw new AmplifyError(401, 'Invalid apiKey or clientId', 'apiKey');
  c.set('auth', owner);
  await next();
};

/** Route settings: the key pair, documented. */
export const keyPair = { middleware: requireKeyPair, security: [{ amplifyApiKey: [], amplifyClientId: [] }] as Record<string, string[]>[] };
