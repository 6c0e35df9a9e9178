/** What every request carries through Hono: the bindings, its id, and who it is (set by a family's auth). */
import type { Env } from '../env.js';
import type { ApiKeyOwner } from '../merchants/keys.js';

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The merchant, mode and kind of the API key, once a family's auth has run. */
    auth: ApiKeyOwner;
    /** The request's Idempotency-Key, once claimed (src/http/idempotency.ts). */
    idempotencyKey?: string;
  };
}
