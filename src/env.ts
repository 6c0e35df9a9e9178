import type { PaymentIntentObject } from './intents/intent-object.js';

/** Bindings and variables, as declared in wrangler.toml (vars) and set as secrets (ADMIN_TOKEN). */
export interface Env {
  DB: D1Database;
  INTENTS: DurableObjectNamespace<PaymentIntentObject>;
  /** Bearer token for /v1/admin/*. A secret: `wrangler secret put ADMIN_TOKEN`, or .dev.vars locally. */
  ADMIN_TOKEN?: string;
  /** Public origin used in links this service hands out (3-D Secure pages). Defaults to the request's origin. */
  PUBLIC_BASE_URL?: string;
  /** Milliseconds an asynchronous (bank debit) test payment stays in processing. */
  ASYNC_SETTLE_DELAY_MS?: string;
}

export interface Settings {
  asyncSettleDelayMs: number;
}

export function readSettings(env: Env): Settings {
  const raw = env.ASYNC_SETTLE_DELAY_MS ?? '5000';
  const asyncSettleDelayMs = Number.parseInt(raw, 10);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(asyncSettleDelayMs)) {
    throw new Error(`ASYNC_SETTLE_DELAY_MS must be a whole number of milliseconds, got ${JSON.stringify(raw)}`);
  }
  return { asyncSettleDelayMs };
}
