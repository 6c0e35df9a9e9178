-- Amounts as digit strings: a crypto intent's token base units can pass SQLite's 64-bit integers.
-- No foreign key points at payment_intents, so the rebuild needs no PRAGMA (which D1 restricts).
CREATE TABLE `__new_payment_intents` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`livemode` integer NOT NULL,
	`status` text NOT NULL,
	`amount` text NOT NULL,
	`currency` text NOT NULL,
	`customer` text,
	`created_at` integer NOT NULL,
	`revision` integer NOT NULL,
	`record` text NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_payment_intents`("id", "merchant_id", "livemode", "status", "amount", "currency", "customer", "created_at", "revision", "record") SELECT "id", "merchant_id", "livemode", "status", CAST("amount" AS TEXT), "currency", "customer", "created_at", "revision", "record" FROM `payment_intents`;--> statement-breakpoint
DROP TABLE `payment_intents`;--> statement-breakpoint
ALTER TABLE `__new_payment_intents` RENAME TO `payment_intents`;--> statement-breakpoint
CREATE INDEX `payment_intents_list` ON `payment_intents` (`merchant_id`,`livemode`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payment_intents_status` ON `payment_intents` (`merchant_id`,`livemode`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payment_intents_customer` ON `payment_intents` (`merchant_id`,`livemode`,`customer`,`created_at`,`id`);