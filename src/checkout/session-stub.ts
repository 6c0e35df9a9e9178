/** Where a Checkout Session's Durable Object is: by its id, and only for an id of a session's form. */
import type { Env } from '../env.js';
import { SESSION_ID_PATTERN } from '../lib/ids.js';

/** No such session for this caller (unknown, malformed, or another merchant's or mode's). */
export class NoSuchSession extends Error {
  constructor(readonly id: string) {
    super(`No such checkout session: '${id}'`);
    this.name = 'NoSuchSession';
  }
}

export function isSessionId(id: string): boolean {
  return SESSION_ID_PATTERN.test(id);
}

export function sessionObject(env: Env, id: string) {
  if (!isSessionId(id)) throw new NoSuchSession(id);
  return env.CHECKOUT_SESSIONS.get(env.CHECKOUT_SESSIONS.idFromName(id));
}
