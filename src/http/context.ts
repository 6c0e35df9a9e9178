/** What every request carries through Hono: the bindings, its id, and who it is (set by a family's auth). */
import type { Context } from 'hono';
import { shardDatabase } from '../db/shards.js';
import type { Env } from '../env.js';
import type { ApiKeyOwner } from '../merchants/keys.js';

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The merchant, mode and kind of the API key, and the merchant's shard, once a family's auth has run. */
    auth: ApiKeyOwner;
    /** The request's Idempotency-Key, once claimed (src/http/idempotency.ts). */
    idempotencyKey?: string;
  };
}

/**
 * The read model of the authenticated merchant: its shard, as authentication found it in the
 * directory (no further lookup). The only way a request reaches a shard.
 */
export function shardOf(c: Context<AppEnv>): D1Database {
  return shardDatabase(c.env, c.get('auth').shard);
}
