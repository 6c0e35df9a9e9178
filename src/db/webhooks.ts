/**
 * Webhook endpoints, notification secrets, deliveries and attempts in D1. Requests change these rows
 * concurrently, so every change is one conditional statement (or one batch): new values are computed
 * by SQL from the row as it is then, and the WHERE clause re-checks whatever the change assumed.
 * Nothing is written back from an earlier read.
 */
import { and, asc, desc, eq, gt, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { SQLiteUpdateSetSource } from 'drizzle-orm/sqlite-core';
import { keyset, type CreatedRange, type Cursor } from './keyset.js';
import { newSigningSecret } from '../webhooks/signing.js';
import { events, notificationSecrets, webhookAttempts, webhookDeliveries, webhookEndpoints } from './schema.js';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;
export type EventRow = typeof events.$inferSelect;
interface Scope {
  merchantId: string;
  livemode: boolean;
}

// --- endpoints ---------------------------------------------------------------------------------

export async function insertEndpoint(d1: D1Database, row: EndpointRow): Promise<void> {
  await drizzle(d1).insert(webhookEndpoints).values(row);
}

export async function findEndpoint(d1: D1Database, scope: Scope, id: string): Promise<EndpointRow | undefined> {
  const t = webhookEndpoints;
  const [row] = await drizzle(d1)
    .select()
    .from(t)
    .where(and(eq(t.id, id), eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode), isNull(t.deletedAt)))
    .limit(1);
  return row;
}

/** What an update sets; `metadata` is merged: a key set to '' is removed, and null removes them all. */
export interface EndpointChanges {
  url?: string;
  enabledEvents?: string[];
  description?: string | null;
  status?: EndpointRow['status'];
  metadata?: Record<string, string> | null;
}

/**
 * Applies the changes in one statement: the metadata is merged into the row's metadata as it is at
 * that moment (json_patch), and the statement changes nothing if the merge would pass `maxMetadataKeys`.
 * No changes at all leave the row as it is. Undefined when there is no such endpoint.
 */
export async function updateEndpoint(
  d1: D1Database,
  scope: Scope,
  id: string,
  changes: EndpointChanges,
  maxMetadataKeys: number,
): Promise<EndpointRow | 'too_many_metadata_keys' | undefined> {
  const t = webhookEndpoints;
  const set: SQLiteUpdateSetSource<typeof t> = {};
  if (changes.url !== undefined) set.url = changes.url;
  if (changes.enabledEvents !== undefined) set.enabledEvents = JSON.stringify(changes.enabledEvents);
  if (changes.description !== undefined) set.description = changes.description;
  if (changes.status !== undefined) set.status = changes.status;
  const conditions = [eq(t.id, id), eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode), isNull(t.deletedAt)];
  if (changes.metadata === null) set.metadata = '{}';
  else if (changes.metadata !== undefined) {
    // In a JSON merge patch null removes a key: Stripe's '' is that.
    const patch = JSON.stringify(Object.fromEntries(Object.entries(changes.metadata).map(([k, v]) => [k, v === '' ? null : v])));
    set.metadata = sql`json_patch(${t.metadata}, ${patch})`;
    conditions.push(sql`(SELECT count(*) FROM json_each(json_patch(${t.metadata}, ${patch}))) <= ${maxMetadataKeys}`);
  }
  if (Object.keys(set).length === 0) return findEndpoint(d1, scope, id);
  const [row] = await drizzle(d1)
    .update(t)
    .set(set)
    .where(and(...conditions))
    .returning();
  if (row) return row;
  return (await findEndpoint(d1, scope, id)) ? 'too_many_metadata_keys' : undefined;
}

/** Deletes the endpoint; undefined when there is no such endpoint (or it is already deleted). */
export async function deleteEndpoint(d1: D1Database, scope: Scope, id: string, now: number): Promise<EndpointRow | undefined> {
  const t = webhookEndpoints;
  const [row] = await drizzle(d1)
    .update(t)
    .set({ deletedAt: now, status: 'disabled' })
    .where(and(eq(t.id, id), eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode), isNull(t.deletedAt)))
    .returning();
  return row;
}

/**
 * Replaces the endpoint's secret with a new one, on condition that the secret it replaces is still
 * the current one: of two rolls that read the same secret, the second changes nothing and gets
 * 'conflict' — it has handed out no secret, so none that never signs.
 */
export async function rollEndpointSecret(
  d1: D1Database,
  scope: Scope,
  id: string,
  overlapMs: number,
  now = Date.now(),
): Promise<EndpointRow | 'conflict' | undefined> {
  const current = await findEndpoint(d1, scope, id);
  if (!current) return undefined;
  const t = webhookEndpoints;
  const [row] = await drizzle(d1)
    .update(t)
    .set({ secret: newSigningSecret(), previousSecrets: afterRoll(current, overlapMs, now) })
    .where(
      and(
        eq(t.id, id),
        eq(t.merchantId, scope.merchantId),
        eq(t.livemode, scope.livemode),
        isNull(t.deletedAt),
        eq(t.secret, current.secret),
      ),
    )
    .returning();
  if (row) return row;
  return (await findEndpoint(d1, scope, id)) ? 'conflict' : undefined;
}

export async function listEndpoints(
  d1: D1Database,
  scope: Scope,
  page: { limit: number; cursor?: { direction: 'after' | 'before'; id: string } },
): Promise<{ data: EndpointRow[]; hasMore: boolean }> {
  const t = webhookEndpoints;
  const backwards = page.cursor?.direction === 'before';
  // Endpoint ids are time-ordered, so the id alone is the keyset.
  const conditions: (SQL | undefined)[] = [eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode), isNull(t.deletedAt)];
  if (page.cursor) conditions.push(backwards ? gt(t.id, page.cursor.id) : lt(t.id, page.cursor.id));
  const rows = await drizzle(d1)
    .select()
    .from(t)
    .where(and(...conditions))
    .orderBy(backwards ? asc(t.id) : desc(t.id))
    .limit(page.limit + 1);
  const data = rows.slice(0, page.limit);
  if (backwards) data.reverse();
  return { data, hasMore: rows.length > page.limit };
}

/** Enabled endpoints of the scope that want this event type. */
export async function endpointsFor(d1: D1Database, scope: Scope, type: string): Promise<EndpointRow[]> {
  const t = webhookEndpoints;
  const rows = await drizzle(d1)
    .select()
    .from(t)
    .where(and(eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode), eq(t.status, 'enabled'), isNull(t.deletedAt)));
  return rows.filter((row) => {
    const enabled = JSON.parse(row.enabledEvents) as string[];
    return enabled.includes('*') || enabled.includes(type);
  });
}

// --- the merchant's notification secret ----------------------------------------------------------

/** The merchant's notification secret for this mode, made on first use. */
export async function notificationSecret(d1: D1Database, scope: Scope, now = Date.now()) {
  const db = drizzle(d1);
  const t = notificationSecrets;
  await db
    .insert(t)
    .values({ ...scope, secret: newSigningSecret(), createdAt: now })
    .onConflictDoNothing();
  const [row] = await db
    .select()
    .from(t)
    .where(and(eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode)))
    .limit(1);
  return row!;
}

/** As rollEndpointSecret: the roll happens only if the secret it replaces is still the current one. */
export async function rollNotificationSecret(d1: D1Database, scope: Scope, overlapMs: number, now = Date.now()) {
  const current = await notificationSecret(d1, scope, now);
  const t = notificationSecrets;
  const [row] = await drizzle(d1)
    .update(t)
    .set({ secret: newSigningSecret(), previousSecrets: afterRoll(current, overlapMs, now), createdAt: now })
    .where(and(eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode), eq(t.secret, current.secret)))
    .returning();
  return row ?? ('conflict' as const);
}

/** A secret a roll replaced: it keeps signing until expiresAt (ms). */
interface PreviousSecret {
  secret: string;
  expiresAt: number;
}

/** At most this many replaced secrets sign besides the current one; a roll past it drops the oldest. */
const MAX_PREVIOUS_SECRETS = 10;

/**
 * The previous secrets after a roll: the replaced one signs for the overlap, and the older ones still
 * signing keep their time but never more than the overlap (so a roll with no overlap ends them all).
 */
function afterRoll(row: { secret: string; previousSecrets: string }, overlapMs: number, now: number): string {
  const until = now + overlapMs;
  const older = parsePrevious(row.previousSecrets).map((p) => ({ secret: p.secret, expiresAt: Math.min(p.expiresAt, until) }));
  return JSON.stringify(
    [{ secret: row.secret, expiresAt: until }, ...older].filter((p) => p.expiresAt > now).slice(0, MAX_PREVIOUS_SECRETS),
  );
}

function parsePrevious(json: string): PreviousSecret[] {
  return JSON.parse(json) as PreviousSecret[];
}

/** The secrets that sign now: the current one, and each replaced one still in its overlap. */
export function signingSecrets(row: { secret: string; previousSecrets: string }, now: number): string[] {
  return [row.secret, ...parsePrevious(row.previousSecrets).flatMap((p) => (p.expiresAt > now ? [p.secret] : []))];
}

/** When the last replaced secret stops signing (ms), or null when only the current one signs. */
export function previousSecretsExpireAt(row: { previousSecrets: string }, now: number): number | null {
  const live = parsePrevious(row.previousSecrets).filter((p) => p.expiresAt > now);
  return live.length === 0 ? null : Math.max(...live.map((p) => p.expiresAt));
}

// --- deliveries --------------------------------------------------------------------------------

/** Creates the deliveries of a fan-out (ignoring those that exist) and returns those not yet attempted. */
export async function createDeliveries(d1: D1Database, rows: DeliveryRow[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const db = drizzle(d1);
  const t = webhookDeliveries;
  // D1 binds at most 100 parameters per statement: 13 columns a row, so 7 rows an insert.
  const inserts = chunks(rows, 7).map((chunk) => db.insert(t).values(chunk).onConflictDoNothing());
  await db.batch(inserts as [(typeof inserts)[number], ...typeof inserts]);
  const fresh = [];
  for (const ids of chunks(
    rows.map((r) => r.id),
    90,
  )) {
    fresh.push(
      ...(await db
        .select({ id: t.id })
        .from(t)
        .where(and(inArray(t.id, ids), eq(t.status, 'pending'), eq(t.attempts, 0)))),
    );
  }
  return fresh.map((r) => r.id);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A delivery with its endpoint (null for a notification_url delivery, or once the endpoint is deleted), in one query. */
export type DeliveryWithEndpoint = DeliveryRow & { endpoint: EndpointRow | null };

export async function findDelivery(d1: D1Database, id: string, scope?: Scope): Promise<DeliveryWithEndpoint | undefined> {
  const d = webhookDeliveries;
  const e = webhookEndpoints;
  const [row] = await drizzle(d1)
    .select({ delivery: d, endpoint: e })
    .from(d)
    .leftJoin(e, and(eq(e.id, d.endpointId), isNull(e.deletedAt)))
    .where(and(eq(d.id, id), scope ? and(eq(d.merchantId, scope.merchantId), eq(d.livemode, scope.livemode)) : undefined))
    .limit(1);
  return row && { ...row.delivery, endpoint: row.endpoint };
}

/**
 * Records one attempt and the delivery's new state in one batch. The attempt takes the next number
 * in the insert itself, so attempts made at the same time (the queue's, manual retries) each get
 * their own. `status` null leaves the delivery's status as it is now. Returns the attempt's number.
 */
export async function recordAttempt(
  d1: D1Database,
  attempt: Omit<AttemptRow, 'attempt'>,
  status: DeliveryRow['status'] | null,
  disableEndpoint: string | null,
): Promise<number> {
  const db = drizzle(d1);
  const a = webhookAttempts;
  const d = webhookDeliveries;
  const [inserted] = await db.batch([
    db
      .insert(a)
      .select(
        db
          .select({
            deliveryId: sql`${attempt.deliveryId}`.as('delivery_id'),
            attempt: sql`coalesce(max(${a.attempt}), 0) + 1`.as('attempt'),
            statusCode: sql`${attempt.statusCode}`.as('status_code'),
            durationMs: sql`${attempt.durationMs}`.as('duration_ms'),
            responseBody: sql`${attempt.responseBody}`.as('response_body'),
            error: sql`${attempt.error}`.as('error'),
            createdAt: sql`${attempt.createdAt}`.as('created_at'),
          })
          .from(a)
          .where(eq(a.deliveryId, attempt.deliveryId)),
      )
      .returning({ attempt: a.attempt }),
    db
      .update(d)
      .set({
        attempts: sql`(SELECT max(${a.attempt}) FROM ${a} WHERE ${a.deliveryId} = ${attempt.deliveryId})`,
        ...(status ? { status } : {}),
        updatedAt: sql`max(${d.updatedAt}, ${attempt.createdAt})`,
      })
      .where(eq(d.id, attempt.deliveryId)),
    ...(disableEndpoint ? [db.update(webhookEndpoints).set({ status: 'disabled' }).where(eq(webhookEndpoints.id, disableEndpoint))] : []),
  ]);
  return inserted[0]!.attempt;
}

export async function markDeliveryFailed(d1: D1Database, id: string, now: number): Promise<void> {
  const d = webhookDeliveries;
  await drizzle(d1)
    .update(d)
    .set({ status: 'failed', updatedAt: now })
    .where(and(eq(d.id, id), eq(d.status, 'pending')));
}

/** The dead-letter queue's consumer took the delivery: it is failed, and stays so until retried by hand. */
export async function markDeadLettered(d1: D1Database, id: string, now: number): Promise<void> {
  const d = webhookDeliveries;
  await drizzle(d1)
    .update(d)
    .set({ deadLetteredAt: now, status: sql`CASE WHEN ${d.status} = 'pending' THEN 'failed' ELSE ${d.status} END` })
    .where(eq(d.id, id));
}

export type DeliveryWithAttempts = DeliveryRow & { attemptList: AttemptRow[] };

/** Deliveries with their attempts, newest first, for one endpoint or one event; keyset-paginated. */
export async function listDeliveries(
  d1: D1Database,
  scope: Scope,
  by: { endpointId: string } | { eventId: string },
  limit: number,
  cursor?: Cursor,
): Promise<{ data: DeliveryWithAttempts[]; hasMore: boolean }> {
  const d = webhookDeliveries;
  const page = keyset(d, undefined, cursor);
  const rows = await drizzle(d1)
    .select()
    .from(d)
    .where(
      and(
        eq(d.merchantId, scope.merchantId),
        eq(d.livemode, scope.livemode),
        'endpointId' in by ? eq(d.endpointId, by.endpointId) : eq(d.eventId, by.eventId),
        ...page.conditions,
      ),
    )
    .orderBy(...page.orderBy)
    .limit(limit + 1);
  const data = rows.slice(0, limit);
  if (page.backwards) data.reverse();
  return { data: await withAttempts(d1, data), hasMore: rows.length > limit };
}

/** One delivery of the scope with its attempts. */
export async function deliveryWithAttempts(d1: D1Database, scope: Scope, id: string): Promise<DeliveryWithAttempts | undefined> {
  const delivery = await findDelivery(d1, id, scope);
  if (!delivery) return undefined;
  const { endpoint: _endpoint, ...row } = delivery;
  const [withList] = await withAttempts(d1, [row]);
  return withList;
}

async function withAttempts(d1: D1Database, rows: DeliveryRow[]): Promise<DeliveryWithAttempts[]> {
  const attempts = rows.length
    ? await drizzle(d1)
        .select()
        .from(webhookAttempts)
        .where(
          inArray(
            webhookAttempts.deliveryId,
            rows.map((r) => r.id),
          ),
        )
        .orderBy(asc(webhookAttempts.attempt))
    : [];
  return rows.map((row) => ({ ...row, attemptList: attempts.filter((a) => a.deliveryId === row.id) }));
}

// --- events ------------------------------------------------------------------------------------

export async function findEvent(d1: D1Database, scope: Scope, id: string): Promise<EventRow | undefined> {
  const t = events;
  const [row] = await drizzle(d1)
    .select()
    .from(t)
    .where(and(eq(t.id, id), eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode)))
    .limit(1);
  return row;
}

/** How many deliveries of each event are still pending. */
export async function pendingWebhooks(d1: D1Database, eventIds: string[]): Promise<Map<string, number>> {
  if (eventIds.length === 0) return new Map();
  const d = webhookDeliveries;
  const counts = new Map<string, number>();
  for (const ids of chunks(eventIds, 90)) {
    const rows = await drizzle(d1)
      .select({ eventId: d.eventId, n: sql<number>`count(*)` })
      .from(d)
      .where(and(inArray(d.eventId, ids), eq(d.status, 'pending')))
      .groupBy(d.eventId);
    for (const r of rows) counts.set(r.eventId, r.n);
  }
  return counts;
}

export async function listEvents(
  d1: D1Database,
  scope: Scope,
  q: { limit: number; type?: string; created?: CreatedRange; cursor?: Cursor },
): Promise<{ data: EventRow[]; hasMore: boolean }> {
  const t = events;
  const page = keyset(t, q.created, q.cursor);
  const conditions: (SQL | undefined)[] = [eq(t.merchantId, scope.merchantId), eq(t.livemode, scope.livemode), ...page.conditions];
  if (q.type !== undefined) conditions.push(eq(t.type, q.type));
  const rows = await drizzle(d1)
    .select()
    .from(t)
    .where(and(...conditions))
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  const data = rows.slice(0, q.limit);
  if (page.backwards) data.reverse();
  return { data, hasMore: rows.length > q.limit };
}
