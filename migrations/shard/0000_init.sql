CREATE TABLE `api_keys` (
	`key_hash` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`kind` text NOT NULL,
	`livemode` integer NOT NULL,
	`hint` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`merchant_id`) REFERENCES `merchants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `api_keys_merchant` ON `api_keys` (`merchant_id`,`livemode`);--> statement-breakpoint
CREATE TABLE `merchants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `payment_intents` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`livemode` integer NOT NULL,
	`status` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`customer` text,
	`created_at` integer NOT NULL,
	`revision` integer NOT NULL,
	`record` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `payment_intents_list` ON `payment_intents` (`merchant_id`,`livemode`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payment_intents_status` ON `payment_intents` (`merchant_id`,`livemode`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payment_intents_customer` ON `payment_intents` (`merchant_id`,`livemode`,`customer`,`created_at`,`id`);