-- The shape of the product's payment_intents list (src/db/schema.ts, index payment_intents_list):
-- rows found by merchant and mode in created order, each carrying its stored record.
CREATE TABLE rows (
  id TEXT PRIMARY KEY NOT NULL,
  merchant_id TEXT NOT NULL,
  livemode INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX rows_list ON rows (merchant_id, livemode, created_at, id);
