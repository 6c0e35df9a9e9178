/**
 * D1 read model. The intents' Durable Objects are the source of truth; these tables serve lists,
 * lookups and (later) search. Rows here are never the wire shape: see src/intents/ for conversions.
 */
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const merchants = sqliteTable('merchants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** API keys, stored only as SHA-256 hashes: a key has ≥128 random bits, so a fast hash suffices. */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    keyHash: text('key_hash').primaryKey(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    kind: text('kind', { enum: ['secret', 'publishable'] }).notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    /** The key's first characters and last four, for display ("sk_test_…AbCd"); never enough to use it. */
    hint: text('hint').notNull(),
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('api_keys_merchant').on(t.merchantId, t.livemode)],
);

export const paymentIntents = sqliteTable(
  'payment_intents',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    status: text('status').notNull(),
    /** Minor units. Card amounts are capped at eight digits, far inside SQLite's exact integer range. */
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    customer: text('customer'),
    /** Milliseconds since the epoch. */
    createdAt: integer('created_at').notNull(),
    /** The intent's revision: a row is only ever replaced by a higher one. */
    revision: integer('revision').notNull(),
    /** The stored intent (see src/intents/record.ts), so lists need no call to each Durable Object. */
    record: text('record').notNull(),
  },
  (t) => [
    index('payment_intents_list').on(t.merchantId, t.livemode, t.createdAt, t.id),
    index('payment_intents_status').on(t.merchantId, t.livemode, t.status, t.createdAt, t.id),
    index('payment_intents_customer').on(t.merchantId, t.livemode, t.customer, t.createdAt, t.id),
  ],
);


/**
 * Idempotency keys, scoped to merchant and mode. A row is claimed (in_progress) before the request
 * executes and holds its response afterwards; replays answer from it for 24 hours.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    key: text('key').notNull(),
    /** SHA-256 of method, path and canonical parameters: the same key with other parameters is refused. */
    fingerprint: text('fingerprint').notNull(),
    state: text('state', { enum: ['in_progress', 'done'] }).notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.merchantId, t.livemode, t.key] }), index('idempotency_keys_expiry').on(t.expiresAt)],
);

/**
 * One row per metadata entry of an intent, so `metadata['key']:"value"` searches use an index
 * instead of reading every intent of the merchant. Written in the same batch as the intent's row.
 */
export const paymentIntentMetadata = sqliteTable(
  'payment_intent_metadata',
  {
    intentId: text('intent_id').notNull(),
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.intentId, t.key] }), index('payment_intent_metadata_lookup').on(t.merchantId, t.livemode, t.key, t.value)],
);
