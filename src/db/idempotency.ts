/**
 * Idempotency-key rows of the merchant. Routes not on an intent claim a key before executing,
 * record the response after and replay it for 24 hours. Keys used on an intent are kept by its
 * Durable Object; their rows here only say which request holds the key (src/db/intents.ts writes
 * them), read by keyHolder before another object may take the key.
 */
import { and, eq, gt, lte, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { idempotencyKeys } from './schema.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface KeyScope {
  merchantId: string;
  livemode: boolean;
  key: string;
}

export type Claim =
  | { claimed: true }
  | { claimed: false; fingerprint: string; state: 'in_progress' | 'kept_by_object' }
  | { claimed: false; fingerprint: string; state: 'done'; status: number; body: string };

/**
 * Claims the key atomically: an insert, or the takeover of an expired row. D1 runs it as one
 * statement on the primary, so of two concurrent requests exactly one gets `claimed: true`.
 */
export async function claimKey(d1: D1Database, scope: KeyScope, fingerprint: string, now: number): Promise<Claim> {
  const db = drizzle(d1);
  const t = idempotencyKeys;
  const claimed = await db
    .insert(t)
    .values({ ...scope, fingerprint, state: 'in_progress', createdAt: now, expiresAt: now + IDEMPOTENCY_TTL_MS })
    .onConflictDoUpdate({
      target: [t.merchantId, t.livemode, t.key],
      set: {
        fingerprint,
        state: 'in_progress',
        responseStatus: null,
        responseBody: null,
        createdAt: now,
        expiresAt: now + IDEMPOTENCY_TTL_MS,
      },
      setWhere: sql`${t.expiresAt} <= ${now}`,
    })
    .returning({ key: t.key });
  if (claimed.length > 0) return { claimed: true };
  const [row] = await db.select().from(t).where(scopeIs(scope)).limit(1);
  if (!row) return claimKey(d1, scope, fingerprint, now); // expired and purged in between
  if (row.state === 'in_progress' || row.responseStatus === null || row.responseBody === null) {
    return { claimed: false, fingerprint: row.fingerprint, state: 'in_progress' };
  }
  return { claimed: false, fingerprint: row.fingerprint, state: 'done', status: row.responseStatus, body: row.responseBody };
}

export async function recordResponse(d1: D1Database, scope: KeyScope, status: number, body: string): Promise<void> {
  await drizzle(d1).update(idempotencyKeys).set({ state: 'done', responseStatus: status, responseBody: body }).where(scopeIs(scope));
}

/**
 * Keeps a refusal made before a key's request reached an intent's object (a parameter the handler
 * refused), so that a retry is answered with it as Stripe does. A row already there (the key's first
 * request, or one kept by an object meanwhile) wins: nothing is overwritten.
 */
export async function keepRefusal(d1: D1Database, scope: KeyScope, fingerprint: string, status: number, body: string, now: number) {
  await drizzle(d1)
    .insert(idempotencyKeys)
    .values({
      ...scope,
      fingerprint,
      state: 'done',
      responseStatus: status,
      responseBody: body,
      createdAt: now,
      expiresAt: now + IDEMPOTENCY_TTL_MS,
    })
    .onConflictDoNothing();
}

/** The live row of this key, if any: the request holding it (claimed, recorded, or kept by an intent's object). */
export async function keyHolder(d1: D1Database, scope: KeyScope, now: number): Promise<Exclude<Claim, { claimed: true }> | null> {
  const t = idempotencyKeys;
  const [row] = await drizzle(d1)
    .select()
    .from(t)
    .where(and(scopeIs(scope), gt(t.expiresAt, now)))
    .limit(1);
  if (!row) return null;
  if (row.state === 'done' && row.responseStatus !== null && row.responseBody !== null) {
    return { claimed: false, fingerprint: row.fingerprint, state: 'done', status: row.responseStatus, body: row.responseBody };
  }
  return { claimed: false, fingerprint: row.fingerprint, state: row.state === 'kept_by_object' ? 'kept_by_object' : 'in_progress' };
}

/** Deletes expired keys (run from the scheduled handler). */
export async function purgeExpiredKeys(d1: D1Database, now: number): Promise<void> {
  await drizzle(d1).delete(idempotencyKeys).where(lte(idempotencyKeys.expiresAt, now));
}

function scopeIs(scope: KeyScope) {
  const t = idempotencyKeys;
  return and(eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode), eq(t.key, scope.key));
}
