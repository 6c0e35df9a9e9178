/**
 * A shard's D1 read model: everything of a merchant that grows with its business (intents, their
 * metadata index, events, webhook endpoints, deliveries and attempts, the notification secret,
 * idempotency keys). Each merchant's rows live on one shard only (src/db/shards.ts); what is global
 * is in the directory (src/db/directory-schema.ts). The intents' Durable Objects are the source of
 * truth; these tables serve lists, lookups and search. Rows here are never the wire shape: see
 * src/intents/ for conversions. Migrations: migrations/shard (`npm run db:generate`).
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const paymentIntents = sqliteTable(
  'payment_intents',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    status: text('status').notNull(),
    /**
     * The amount as a decimal digit string (no leading zeros): minor units, or a token's base units,
     * which can pass SQLite's 64-bit integers. Compared by (length, text), which is numeric order.
     */
    amount: text('amount').notNull(),
    currency: text('currency').notNull(),
    customer: text('customer'),
    /** The mandate (mdt_…) the intent is a debit of; null for any other intent. */
    mandateId: text('mandate_id'),
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
    index('payment_intents_mandate').on(t.merchantId, t.livemode, t.mandateId, t.createdAt, t.id),
  ],
);

/**
 * Idempotency keys, scoped to merchant and mode. On routes that are not on an intent a row is
 * claimed (in_progress) before the request executes and holds its response afterwards; replays
 * answer from it for 24 hours. A key used on an intent is kept, with its answer, by the intent's
 * Durable Object; its row here (kept_by_object, no response) is written with the intent's
 * projection, so that the key is refused on any other route or object.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    key: text('key').notNull(),
    /** SHA-256 of method, path and canonical parameters: the same key with other parameters is refused. */
    fingerprint: text('fingerprint').notNull(),
    state: text('state', { enum: ['in_progress', 'done', 'kept_by_object'] }).notNull(),
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
  (t) => [
    primaryKey({ columns: [t.intentId, t.key] }),
    index('payment_intent_metadata_lookup').on(t.merchantId, t.livemode, t.key, t.value),
  ],
);

/** Events of every intent, projected by the intent's Durable Object with its row (for /v1/events). */
export const events = sqliteTable(
  'events',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    intentId: text('intent_id').notNull(),
    /** Per-intent order: 1, 2, 3… */
    sequence: integer('sequence').notNull(),
    type: text('type').notNull(),
    /** Milliseconds since the epoch. */
    createdAt: integer('created_at').notNull(),
    /**
     * The canonical event (src/intents/events.ts), which each API family renders into its wire.
     * Null only for events written before canonical events existed, which kept their rendered body.
     */
    canonical: text('canonical'),
    /** Events written before canonical events: the Stripe-wire body as it was delivered (without pending_webhooks). */
    body: text('body'),
  },
  (t) => [
    index('events_list').on(t.merchantId, t.livemode, t.createdAt, t.id),
    index('events_type').on(t.merchantId, t.livemode, t.type, t.createdAt, t.id),
  ],
);

/** Merchants' webhook endpoints. The signing secret is kept to sign with; it is shown only at create. */
export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    url: text('url').notNull(),
    /** JSON array of event types, or ["*"]. */
    enabledEvents: text('enabled_events').notNull(),
    description: text('description'),
    metadata: text('metadata').notNull(),
    status: text('status', { enum: ['enabled', 'disabled'] }).notNull(),
    secret: text('secret').notNull(),
    /** Secrets replaced by rolls that still sign until their own time: JSON [{secret, expiresAt (ms)}], newest first. */
    previousSecrets: text('previous_secrets').notNull().default('[]'),
    createdAt: integer('created_at').notNull(),
    deletedAt: integer('deleted_at'),
  },
  (t) => [index('webhook_endpoints_list').on(t.merchantId, t.livemode, t.createdAt, t.id)],
);

/** The merchant-level secret that signs deliveries to per-intent notification_url callbacks. */
export const notificationSecrets = sqliteTable(
  'notification_secrets',
  {
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    secret: text('secret').notNull(),
    /** As webhook_endpoints.previous_secrets. */
    previousSecrets: text('previous_secrets').notNull().default('[]'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.merchantId, t.livemode] })],
);

/**
 * One delivery of one event to one target (an endpoint, or the intent's notification_url). Its id
 * is derived from the pair, so a repeated fan-out finds the delivery it already made.
 */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    eventId: text('event_id').notNull(),
    /** A we_ id, or null for the intent's notification_url. */
    endpointId: text('endpoint_id'),
    url: text('url').notNull(),
    status: text('status', { enum: ['pending', 'succeeded', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull(),
    /** The exact body that is signed and sent, identical on every attempt. */
    body: text('body').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    /** When the dead-letter queue took it, after the last scheduled attempt failed. */
    deadLetteredAt: integer('dead_lettered_at'),
  },
  (t) => [
    index('webhook_deliveries_event').on(t.eventId, t.createdAt),
    index('webhook_deliveries_endpoint').on(t.endpointId, t.createdAt, t.id),
  ],
);

/** Every attempt of a delivery, as the receiver answered it. */
export const webhookAttempts = sqliteTable(
  'webhook_attempts',
  {
    deliveryId: text('delivery_id').notNull(),
    attempt: integer('attempt').notNull(),
    statusCode: integer('status_code'),
    durationMs: integer('duration_ms').notNull(),
    /** The first 1 KiB of the response body. */
    responseBody: text('response_body'),
    error: text('error'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.attempt] })],
);

/**
 * Checkout Sessions, projected by each session's Durable Object (src/checkout/session-object.ts):
 * the list (newest first) and its payment_intent filter read them here.
 */
export const checkoutSessions = sqliteTable(
  'checkout_sessions',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    status: text('status').notNull(),
    paymentIntent: text('payment_intent').notNull(),
    /** Milliseconds since the epoch. */
    createdAt: integer('created_at').notNull(),
    /** The session's revision: a row is only ever replaced by a higher one. */
    revision: integer('revision').notNull(),
    /** The stored session (src/checkout/record.ts), so lists need no call to each Durable Object. */
    record: text('record').notNull(),
  },
  (t) => [
    index('checkout_sessions_list').on(t.merchantId, t.livemode, t.createdAt, t.id),
    index('checkout_sessions_payment_intent').on(t.merchantId, t.livemode, t.paymentIntent),
  ],
);

/**
 * Debit items (issue 13): a merchant's plans for recurring debits. D1 is their only store (no
 * Durable Object): every change is a conditional write on `revision`.
 */
export const debitItems = sqliteTable(
  'debit_items',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    active: integer('active', { mode: 'boolean' }).notNull(),
    /** The subscribe page's address: looked up by the page without an API key. */
    buttonId: text('button_id').notNull(),
    /**
     * The item's integer id on the wire of 002_… (`DebitItem_ApiV1.id`): one more than the shard's
     * highest at insert (src/db/debit-items.ts), never reused.
     */
    number: integer('number'),
    /** Milliseconds since the epoch. */
    createdAt: integer('created_at').notNull(),
    revision: integer('revision').notNull(),
    /** The stored item (src/db/debit-items.ts). */
    record: text('record').notNull(),
  },
  (t) => [
    index('debit_items_list').on(t.merchantId, t.livemode, t.createdAt, t.id),
    uniqueIndex('debit_items_button').on(t.buttonId),
    uniqueIndex('debit_items_number').on(t.number),
  ],
);

/**
 * Mandates (issue 13), projected by each mandate's Durable Object (src/mandates/mandate-object.ts):
 * the canonical list and the wire of 002_… (sorts and JSON filter) read them here. Columns the
 * filters and sorts of 002_… name are kept apart from the record; addresses in lowercase.
 */
export const mandates = sqliteTable(
  'mandates',
  {
    id: text('id').primaryKey(),
    /** The integer id on the wire of 002_… (`PaymentIntent_ApiV1.id`): set at the first projection, never reused. */
    number: integer('number').notNull(),
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    /** The canonical status (src/domain/mandate.ts). */
    status: text('status').notNull(),
    /** 002_…'s status_text (CREATED, CANCELLED, RECURRING, PAID, ACCOUNTBALANCETOOLOW). */
    statusText: text('status_text').notNull(),
    debitItemId: text('debit_item_id').notNull(),
    /** The debit item's integer id (002_… filter and sort `debit_item_id`). */
    debitItemNumber: integer('debit_item_number').notNull(),
    network: text('network').notNull(),
    accountType: text('account_type').notNull(),
    payer: text('payer').notNull(),
    payeeAddress: text('payee_address').notNull(),
    /** Digit strings, compared by (length, text), which is numeric order. */
    maxDebitAmount: text('max_debit_amount').notNull(),
    debitTimes: integer('debit_times').notNull(),
    intervalSeconds: integer('interval_seconds').notNull(),
    /** The EIP-712 digest, 0x + 64 lowercase hex (002_… `payment_intent`). */
    onchainId: text('onchain_id').notNull(),
    commitment: text('commitment').notNull(),
    estimatedGas: text('estimated_gas'),
    /** Milliseconds since the epoch, or null. */
    lastPaymentAt: integer('last_payment_at'),
    nextPaymentAt: integer('next_payment_at'),
    pricing: text('pricing').notNull(),
    tokenSymbol: text('token_symbol').notNull(),
    /** Null for the native coin. */
    tokenAddress: text('token_address'),
    usedFor: integer('used_for').notNull(),
    /** Milliseconds since the epoch. */
    createdAt: integer('created_at').notNull(),
    /** The mandate's revision: a row is only ever replaced by a higher one. */
    revision: integer('revision').notNull(),
    /** The stored mandate (src/mandates/record.ts), so lists need no call to each Durable Object. */
    record: text('record').notNull(),
  },
  (t) => [
    uniqueIndex('mandates_number').on(t.number),
    index('mandates_list').on(t.merchantId, t.livemode, t.createdAt, t.id),
    index('mandates_debit_item').on(t.merchantId, t.livemode, t.debitItemId, t.createdAt, t.id),
    index('mandates_onchain').on(t.merchantId, t.livemode, t.onchainId),
    index('mandates_commitment').on(t.merchantId, t.livemode, t.commitment),
  ],
);

/**
 * Lookups of a payment intent's charges, refunds and disputes: which intent holds each one, for
 * retrieves and lists. The objects themselves are in the intent's record (payment_intents.record,
 * record v5), which lists render from; these rows never change once written.
 */
export const charges = sqliteTable(
  'charges',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    paymentIntentId: text('payment_intent_id').notNull(),
    /** Milliseconds since the epoch. */
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('charges_list').on(t.merchantId, t.livemode, t.createdAt, t.id),
    index('charges_payment_intent').on(t.merchantId, t.livemode, t.paymentIntentId, t.createdAt, t.id),
  ],
);

export const refunds = sqliteTable(
  'refunds',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    paymentIntentId: text('payment_intent_id').notNull(),
    chargeId: text('charge_id').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('refunds_list').on(t.merchantId, t.livemode, t.createdAt, t.id),
    index('refunds_payment_intent').on(t.merchantId, t.livemode, t.paymentIntentId, t.createdAt, t.id),
    index('refunds_charge').on(t.merchantId, t.livemode, t.chargeId, t.createdAt, t.id),
  ],
);

export const disputes = sqliteTable(
  'disputes',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    paymentIntentId: text('payment_intent_id').notNull(),
    chargeId: text('charge_id').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('disputes_list').on(t.merchantId, t.livemode, t.createdAt, t.id),
    index('disputes_payment_intent').on(t.merchantId, t.livemode, t.paymentIntentId, t.createdAt, t.id),
    index('disputes_charge').on(t.merchantId, t.livemode, t.chargeId, t.createdAt, t.id),
  ],
);

/**
 * The fields of an intent made through 001_…'s family (Paytree) that the canonical intent has no
 * place for: its references, customer, address, session, callback, order items, route and method,
 * as the family's wire gave them (src/compat/paytree). One row per such intent, keyed by its id.
 * The row is written before the intent is made, as a reservation of its transaction_ref (UNIQUE per
 * merchant and mode): `intent_id` holds the reservation's own token (`ptres_…`) until the intent
 * exists, and `state` says which.
 */
export const paytreeIntents = sqliteTable(
  'paytree_intents',
  {
    intentId: text('intent_id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: integer('livemode', { mode: 'boolean' }).notNull(),
    state: text('state', { enum: ['reserved', 'created'] }).notNull(),
    transactionRef: text('transaction_ref').notNull(),
    clientRef: text('client_ref').notNull(),
    /** The customer's email as given (the list's client_email filter). */
    email: text('email').notNull(),
    /** The host of callback.return_url (the list's domain filter). */
    domain: text('domain').notNull(),
    method: text('method').notNull(),
    /** The Paytree fields as validated, JSON: customer, address, session, callback, order_items, metadata, force_route. */
    details: text('details').notNull(),
    /** Milliseconds since the epoch: the reservation, then the intent's creation. */
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('paytree_intents_transaction_ref').on(t.merchantId, t.livemode, t.transactionRef),
    index('paytree_intents_list').on(t.merchantId, t.livemode, t.state, t.createdAt, t.intentId),
  ],
);
