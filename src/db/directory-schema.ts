/**
 * The directory: the one D1 database of what is global — merchants and the shard each is on, API key
 * hashes, crypto settings and the deposit counters per xpub, and the shards' merchant counts. It is
 * small (a few rows per merchant) and read mostly by authentication, which each isolate caches for
 * 15 s (src/merchants/keys.ts). Everything that grows with a merchant's business is on its shard
 * (src/db/schema.ts). Migrations: migrations/directory (`npm run db:generate`).
 */
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const merchants = sqliteTable('merchants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: integer('created_at').notNull(),
  /** The binding of the shard that holds the merchant's read model (SHARD_0, SHARD_1…), chosen once, at creation. */
  shard: text('shard').notNull(),
  /** Watch-only extended public key that deposit addresses are derived from (m/0/i); never a private key. */
  cryptoXpub: text('crypto_xpub'),
  /** The next unused child index: taken with one UPDATE … RETURNING, so no two intents share an address. */
  nextDepositIndex: integer('next_deposit_index').notNull().default(0),
  /**
   * Origins allowed to frame the merchant's hosted payment pages (CSP frame-ancestors), as a JSON
   * array of https origins; null or [] means none may ('none').
   */
  checkoutFrameAncestors: text('checkout_frame_ancestors'),
});

/**
 * The shards merchants have been assigned to, with how many each holds: a new merchant goes to the
 * open shard (OPEN_SHARDS) with the fewest. A row appears the first time a shard is open.
 */
export const shards = sqliteTable('shards', {
  binding: text('binding').primaryKey(),
  merchants: integer('merchants').notNull().default(0),
});

/**
 * The next unused child index of each xpub, across merchants: two merchants given the same xpub
 * (the local-dev default, or an operator's slip) still never hand out the same deposit address.
 */
export const depositCounters = sqliteTable('deposit_counters', {
  xpub: text('xpub').primaryKey(),
  nextIndex: integer('next_index').notNull(),
});

/**
 * API keys, found by their SHA-256 hash: a key has ≥128 random bits, so a fast hash suffices. A secret
 * key is stored only as its hash. A publishable key is also kept in full (`publishable`), because the
 * hosted checkout page (src/pages/checkout) hands it to its script, as Stripe's Checkout does:
 * publishable keys are public by design (every payer's browser holds one) and can do nothing but what
 * a payer holding a client secret may.
 */
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
    /** The publishable key itself (kind 'publishable' only; always null for a secret key). Null for keys made before it was kept. */
    publishable: text('publishable'),
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('api_keys_merchant').on(t.merchantId, t.livemode)],
);

/**
 * Subscribe buttons (issue 13): a debit item's button id → where the item is. The subscribe page
 * (/subscribe/{button_id}) knows nothing else, and the item itself lives on its merchant's shard:
 * one row, written when the item is created (src/api/stripe/debit-items/handlers.ts), never changed
 * (an item's terms and button are fixed; whether it is active is read from the item).
 */
export const subscribeButtons = sqliteTable('subscribe_buttons', {
  buttonId: text('button_id').primaryKey(),
  merchantId: text('merchant_id')
    .notNull()
    .references(() => merchants.id),
  livemode: integer('livemode', { mode: 'boolean' }).notNull(),
  /** The merchant's shard binding (SHARD_n), as the directory assigned it. */
  shard: text('shard').notNull(),
  debitItemId: text('debit_item_id').notNull(),
  createdAt: integer('created_at').notNull(),
});
