CREATE TABLE `debit_items` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`livemode` integer NOT NULL,
	`active` integer NOT NULL,
	`button_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`revision` integer NOT NULL,
	`record` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `debit_items_list` ON `debit_items` (`merchant_id`,`livemode`,`created_at`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `debit_items_button` ON `debit_items` (`button_id`);