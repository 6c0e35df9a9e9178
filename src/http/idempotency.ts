/**
 * `Idempotency-Key` on POST: the first request with a key executes and its response — status and
 * body, errors included — is kept for 24 hours; a retry with the same parameters replays it
 * without executing again. Scoped to merchant and mode. Runs after authentication and after the
 * body is validated (src/http/router.ts puts it there): the parameters are compared as validated,
 * whatever their encoding, and a request refused by validation claims nothing — it never began to
 * execute, so its retry, corrected or not, is simply validated again (Stripe does the same).
 *
 * Two ways to keep a key. On a route that changes one intent (`idempotentOnObject`), the intent's
 * Durable Object keeps it with the change it caused, in the commit's transaction: no claim before
 * and no record after, and a request that died on the way holds nothing. Other routes
 * (`idempotent`: webhook endpoints, secret rolls) claim the key in D1 before running and record
 * the response after.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { claimKey, keepRefusal, keyHolder, recordResponse } from '../db/idempotency.js';
import { sha256Hex } from '../lib/secrets.js';
import { type AppEnv, shardOf } from './context.js';
import { RequestError } from './errors.js';

const MAX_KEY_LENGTH = 255;
const HEADER = 'Idempotency-Key';

/**
 * A secret that a route's answer shows (a webhook signing secret): it is kept out of the record. The
 * record holds a reference in its place, the secret's SHA-256; a replay looks the secret up where it
 * lives and shows it again only if it is still the live one there. Otherwise (rolled since, or its
 * object deleted) the replay is refused with idempotency_secret_gone: a retry never hands out a
 * secret that no longer signs, nor one that will stop at the end of a roll's overlap.
 */
export interface ShownSecret {
  /** The answer's top-level field that holds the secret. */
  field: string;
  /** The secret live now for the object the recorded answer describes; null when there is none. */
  live(c: Context<AppEnv>, answer: Record<string, unknown>): Promise<string | null>;
}

/** Where a recorded answer had its secret: `{"$secret": {"sha256": "…"}}` (a secret is a string on the wire, never an object). */
const SECRET_REFERENCE = '$secret';

const claimers = new WeakSet<MiddlewareHandler<AppEnv>>();

/** Whether this middleware claims the Idempotency-Key (router.ts validates the body before it). */
export function claimsIdempotencyKey(middleware: unknown): boolean {
  return claimers.has(middleware as MiddlewareHandler<AppEnv>);
}

/** The Idempotency-Key middleware of a route, told which secret its answer shows, if any. */
export function idempotent(shown?: ShownSecret): MiddlewareHandler<AppEnv> {
  const middleware: MiddlewareHandler<AppEnv> = (c, next) => runIdempotently(c, next, shown);
  claimers.add(middleware);
  return middleware;
}

/**
 * The Idempotency-Key of a route that changes one intent: passed on, with the request's
 * fingerprint, to the intent's object, which replays or runs (src/intents/intent-object.ts). A key
 * the merchant's record in D1 gives to another request (another route, another intent, other
 * parameters) is refused here, before any object is asked.
 */
export function idempotentOnObject(): MiddlewareHandler<AppEnv> {
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    const { scope, fingerprint } = await keyedRequest(c, key);
    const holder = await keyHolder(shardOf(c), scope, Date.now());
    if (holder !== null && holder.fingerprint !== fingerprint) throw keyReused(key);
    // A key claimed in D1 on this very request by a release before keys were kept by objects (for
    // 24 hours after the deploy): its answer is there, not in the object.
    if (holder !== null && holder.state === 'in_progress') throw keyInUse();
    if (holder !== null && holder.state === 'done') {
      c.header('Idempotent-Replayed', 'true');
      return c.body(holder.body, holder.status as 200, { 'Content-Type': 'application/json; charset=UTF-8' });
    }
    c.set('idempotency', { key, fingerprint });
    // The request runs to the object's answer even if the client goes away (see runIdempotently).
    const answered = (async () => {
      await next();
      if (c.get('idempotentReplay')) c.header('Idempotent-Replayed', 'true');
      // Refused before the object was asked (a parameter the handler checks, the account's crypto
      // settings): nothing holds the key, so the refusal is kept here, and a retry gets it again.
      if (!c.get('idempotencyKeptByObject') && keptRefusal(c.res.status)) {
        await keepRefusal(shardOf(c), scope, fingerprint, c.res.status, await c.res.clone().text(), Date.now());
      }
    })();
    c.executionCtx.waitUntil(answered);
    await answered;
  };
  claimers.add(middleware);
  return middleware;
}

/**
 * A refusal that says what the request was, kept for its key: a 4xx, but not 409 (a conflict of the
 * moment: the key in use, a concurrent update) nor 429. A 5xx is no answer and is never kept.
 */
function keptRefusal(status: number): boolean {
  return status >= 400 && status < 500 && status !== 409 && status !== 429;
}

/** The key refused: it was first used with other parameters, or on another route or object. */
export function keyReused(key: string): RequestError {
  return new RequestError(
    'idempotency_key_reused',
    `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
      `Try using a key other than '${key}' if you meant to execute a different request.`,
    [HEADER],
    false,
  );
}

/** The key's first request is still running. */
export function keyInUse(): RequestError {
  return new RequestError(
    'idempotency_key_in_use',
    'There is currently another in-progress request using this Idempotency-Key. Retry after it completes.',
    [HEADER],
    true,
  );
}

/** The key checked, its scope (merchant and mode) and the request's fingerprint. */
async function keyedRequest(c: Context<AppEnv>, key: string) {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new RequestError('parameter_invalid', `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters long.`, [HEADER]);
  }
  const auth = c.get('auth');
  const scope = { merchantId: auth.merchantId, livemode: auth.livemode, key };
  // The body as router.ts validated it (undefined on a route that takes none).
  const params: unknown = c.req.valid('json' as never);
  return { scope, fingerprint: await fingerprintOf(c.req.method, new URL(c.req.url).pathname, params) };
}

async function runIdempotently(c: Context<AppEnv>, next: () => Promise<void>, shown: ShownSecret | undefined) {
  const key = c.req.header('idempotency-key');
  if (c.req.method !== 'POST' || key === undefined) return next();
  const { scope, fingerprint } = await keyedRequest(c, key);
  const claim = await claimKey(shardOf(c), scope, fingerprint, Date.now());

  if (!claim.claimed) {
    if (claim.fingerprint !== fingerprint) throw keyReused(key);
    if (claim.state !== 'done') throw keyInUse();
    const body = shown ? await withLiveSecret(c, claim.body, shown) : claim.body;
    c.header('Idempotent-Replayed', 'true');
    return c.body(body, claim.status as 200, { 'Content-Type': 'application/json; charset=UTF-8' });
  }

  // Once claimed, the request runs to its recorded answer even if the client goes away: workerd
  // cancels the work of a request whose client disconnected (waitUntil's excepted), and the key
  // would then stay in progress for its 24 hours, so no retry could ever learn what it did.
  const answered = (async () => {
    await next();
    // Errors thrown by the handler have already become c.res (Hono's compose runs onError first).
    const answer = await c.res.clone().text();
    await recordResponse(shardOf(c), scope, c.res.status, shown ? await withoutSecret(answer, shown) : answer);
  })();
  c.executionCtx.waitUntil(answered);
  await answered;
}

/** The answer to record: the secret replaced by its reference. An answer without it (a refusal) is kept as it is. */
async function withoutSecret(answer: string, shown: ShownSecret): Promise<string> {
  const object = jsonObject(answer);
  const secret = object?.[shown.field];
  if (!object || typeof secret !== 'string') return answer;
  return JSON.stringify({ ...object, [shown.field]: { [SECRET_REFERENCE]: { sha256: await sha256Hex(secret) } } });
}

/** The recorded answer with its secret shown again, if that very secret is still the live one. */
async function withLiveSecret(c: Context<AppEnv>, recorded: string, shown: ShownSecret): Promise<string> {
  const object = jsonObject(recorded);
  const reference = referenceIn(object?.[shown.field]);
  if (!object || !reference) return recorded;
  const live = await shown.live(c, object);
  if (live === null || (await sha256Hex(live)) !== reference.sha256) {
    throw new RequestError(
      'idempotency_secret_gone',
      'A request with this Idempotency-Key has already run, and the secret its answer showed is no longer the live one ' +
        '(it was rolled since, or its object deleted), so it is not shown again. Retrieve the object, and roll its secret ' +
        'if you do not hold the current one.',
      [HEADER],
      false,
    );
  }
  return JSON.stringify({ ...object, [shown.field]: live });
}

function referenceIn(value: unknown): { sha256: string } | undefined {
  if (value === null || typeof value !== 'object' || !Object.hasOwn(value, SECRET_REFERENCE)) return undefined;
  const reference = (value as Record<string, unknown>)[SECRET_REFERENCE] as { sha256?: unknown } | null;
  return typeof reference?.sha256 === 'string' ? { sha256: reference.sha256 } : undefined;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Method, path and the validated parameters in a canonical form, hashed: JSON and form encoding of
 * the same parameters are one request. A route without a body has none to compare.
 */
export function fingerprintOf(method: string, path: string, params: unknown): Promise<string> {
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
