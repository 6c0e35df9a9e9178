CREATE TABLE `paytree_intents` (
	`intent_id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`livemode` integer NOT NULL,
	`state` text NOT NULL,
	`transaction_ref` text NOT NULL,
	`client_ref` text NOT NULL,
	`email` text NOT NULL,
	`domain` text NOT NULL,
	`method` text NOT NULL,
	`details` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `paytree_intents_transaction_ref` ON `paytree_intents` (`merchant_id`,`livemode`,`transaction_ref`);--> statement-breakpoint
CREATE INDEX `paytree_intents_list` ON `paytree_intents` (`merchant_id`,`livemode`,`state`,`created_at`,`intent_id`);