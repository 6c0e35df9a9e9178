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
    /** The Idempotency-Key of a request on an intent and the request's fingerprint, for its object (src/http/idempotency.ts). */
    idempotency?: { key: string; fingerprint: string };
    /** Set when the intent's object answered from a key's kept answer: the response says Idempotent-Replayed. */
    idempotentReplay?: true;
    /** Set when the intent's object answered: it keeps what the key did (a refusal made before it is kept in D1). */
    idempotencyKeptByObject?: true;
  };
}

/**
 * The read model of the authenticated merchant: its shard, as authentication found it in the
 * directory (no further lookup). The only way a request reaches a shard.
 */
export function shardOf(c: Context<AppEnv>): D1Database {
  return shardDatabase(c.env, c.get('auth').shard);
}
