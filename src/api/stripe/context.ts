/** What this family's handlers take from a request: the service seam as this caller, and where links point. */
import type { Context } from 'hono';
import { readSettings } from '../../env.js';
import type { AppEnv } from '../../http/context.js';
import { type Caller, IntentService } from '../../intents/service.js';
import type { Links } from './wire/payment-intent.js';

export function intents(c: Context<AppEnv>): IntentService {
  return new IntentService(c.env, callerOf(c), keptByObject(c));
}

/** The caller a seam is given: the key's merchant, mode and shard, the request and its Idempotency-Key. */
export function callerOf(c: Context<AppEnv>): Caller {
  const auth = c.get('auth');
  return {
    merchantId: auth.merchantId,
    livemode: auth.livemode,
    shard: auth.shard,
    requestId: c.get('requestId'),
    idempotency: c.get('idempotency') ?? null,
  };
}

/** Told by a seam that the entity's object answered, and whether with the answer kept for the request's Idempotency-Key. */
export function keptByObject(c: Context<AppEnv>): (replayed: boolean) => void {
  return (replayed) => {
    c.set('idempotencyKeptByObject', true);
    if (replayed) c.set('idempotentReplay', true);
  };
}

/** The merchant and mode of the API key: every object is looked up within it. */
export function scopeOf(c: Context<AppEnv>): { merchantId: string; livemode: boolean } {
  const auth = c.get('auth');
  return { merchantId: auth.merchantId, livemode: auth.livemode };
}

export function links(c: Context<AppEnv>): Links {
  return { baseUrl: readSettings(c.env).publicBaseUrl };
}
