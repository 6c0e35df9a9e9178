/**
 * The secrets webhook answers show, and where each lives: an idempotency replay shows one again
 * only while it is the live one there (src/http/idempotency.ts, ShownSecret).
 */
import { findEndpoint, notificationSecret } from '../../../db/webhooks.js';
import type { ShownSecret } from '../../../http/idempotency.js';
import { shardOf } from '../../../http/context.js';
import { scopeOf } from '../context.js';

/** An endpoint's signing secret (create, roll_secret): its current secret, none once it is deleted. */
export const endpointSecret: ShownSecret = {
  field: 'secret',
  async live(c, answer) {
    if (typeof answer.id !== 'string') return null;
    return (await findEndpoint(shardOf(c), scopeOf(c), answer.id))?.secret ?? null;
  },
};

/** The merchant's notification secret of this mode (roll). */
export const notificationSecretOfScope: ShownSecret = {
  field: 'secret',
  live: async (c) => (await notificationSecret(shardOf(c), scopeOf(c))).secret,
};
