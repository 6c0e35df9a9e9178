/**
 * `Idempotency-Key` on POST: the first request with a key executes and its response — status and
 * body, errors included — is kept for 24 hours; a retry with the same parameters replays it
 * without executing again. Scoped to merchant and mode. Runs after authentication.
 */
import type { MiddlewareHandler } from 'hono';
import { claimKey, recordResponse } from '../db/idempotency.js';
import { sha256Hex } from '../lib/secrets.js';
import { readBody } from './body.js';
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
  const fingerprint = await fingerprintOf(c.req.raw);
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
  // Once claimed, the request runs to its recorded answer even if the client goes away: workerd
  // cancels the work of a request whose client disconnected (waitUntil's excepted), and the key
  // would then stay in progress for its 24 hours, so no retry could ever learn what it did.
  const answered = (async () => {
    await next();
    // Errors thrown by the handler have already become c.res (Hono's compose runs onError first).
    await recordResponse(c.env.DB, scope, c.res.status, await c.res.clone().text());
  })();
  c.executionCtx.waitUntil(answered);
  await answered;
};

/** Method, path and the parameters in a canonical form (keys sorted), hashed. */
async function fingerprintOf(request: Request): Promise<string> {
  let params: string;
  try {
    params = canonicalJson(await readBody(request.clone()));
  } catch {
    params = `raw:${await request.clone().text()}`;
  }
  return sha256Hex(`${request.method} ${new URL(request.url).pathname}\n${params}`);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
