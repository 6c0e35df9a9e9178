/**
 * `Idempotency-Key` on POST: the first request with a key executes and its response — status and
 * body, errors included — is kept for 24 hours; a retry with the same parameters replays it
 * without executing again. Scoped to merchant and mode. Runs after authentication and after the
 * body is validated (src/http/router.ts puts it there): the parameters are compared as validated,
 * whatever their encoding, and a request refused by validation claims nothing — it never began to
 * execute, so its retry, corrected or not, is simply validated again (Stripe does the same).
 */
import type { MiddlewareHandler } from 'hono';
import { claimKey, recordResponse } from '../db/idempotency.js';
import { sha256Hex } from '../lib/secrets.js';
import type { AppEnv } from './context.js';
import { RequestError } from './errors.js';

const MAX_KEY_LENGTH = 255;
const HEADER = 'Idempotency-Key';

export const idempotent: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = c.req.header('idempotency-key');
  if (c.req.method !== 'POST' || key === undefined) return next();
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new RequestError('parameter_invalid', `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters long.`, [HEADER]);
  }
  const auth = c.get('auth');
  const scope = { merchantId: auth.merchantId, livemode: auth.livemode, key };
  // The body as router.ts validated it (undefined on a route that takes none).
  const params: unknown = c.req.valid('json' as never);
  const fingerprint = await fingerprintOf(c.req.method, new URL(c.req.url).pathname, params);
  const claim = await claimKey(c.env.DB, scope, fingerprint, Date.now());

  if (!claim.claimed) {
    if (claim.fingerprint !== fingerprint) {
      throw new RequestError(
        'idempotency_key_reused',
        `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
          `Try using a key other than '${key}' if you meant to execute a different request.`,
        [HEADER],
        false,
      );
    }
    if (claim.state === 'in_progress') {
      throw new RequestError(
        'idempotency_key_in_use',
        'There is currently another in-progress request using this Idempotency-Key. Retry after it completes.',
        [HEADER],
        true,
      );
    }
    c.header('Idempotent-Replayed', 'true');
    return c.body(claim.body, claim.status as 200, { 'Content-Type': 'application/json; charset=UTF-8' });
  }

  c.set('idempotencyKey', key);
  await next();
  // Errors thrown by the handler have already become c.res (Hono's compose runs onError first).
  await recordResponse(c.env.DB, scope, c.res.status, await c.res.clone().text());
};

/**
 * Method, path and the validated parameters in a canonical form, hashed: JSON and form encoding of
 * the same parameters are one request. A route without a body has none to compare.
 */
function fingerprintOf(method: string, path: string, params: unknown): Promise<string> {
  return sha256Hex(`${method} ${path}\n${params === undefined ? '' : canonicalJson(params)}`);
}

/** Keys sorted, undefined members left out, bigints as their digits (the same as the digit string). */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
