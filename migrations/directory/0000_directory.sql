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
CREATE TABLE `deposit_counters` (
	`xpub` text PRIMARY KEY NOT NULL,
	`next_index` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `merchants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	`shard` text NOT NULL,
	`crypto_xpub` text,
	`next_deposit_index` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `shards` (
	`binding` text PRIMARY KEY NOT NULL,
	`merchants` integer DEFAULT 0 NOT NULL
);
