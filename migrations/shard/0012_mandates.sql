CREATE TABLE `mandates` (
	`id` text PRIMARY KEY NOT NULL,
	`number` integer NOT NULL,
	`merchant_id` text NOT NULL,
	`livemode` integer NOT NULL,
	`status` text NOT NULL,
	`status_text` text NOT NULL,
	`debit_item_id` text NOT NULL,
	`debit_item_number` integer NOT NULL,
	`network` text NOT NULL,
	`account_type` text NOT NULL,
	`payer` text NOT NULL,
	`payee_address` text NOT NULL,
	`max_debit_amount` text NOT NULL,
	`debit_times` integer NOT NULL,
	`interval_seconds` integer NOT NULL,
	`onchain_id` text NOT NULL,
	`commitment` text NOT NULL,
	`estimated_gas` text,
	`last_payment_at` integer,
	`next_payment_at` integer,
	`pricing` text NOT NULL,
	`token_symbol` text NOT NULL,
	`token_address` text,
	`used_for` integer NOT NULL,
	`created_at` integer NOT NULL,
	`revision` integer NOT NULL,
	`record` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mandates_number` ON `mandates` (`number`);--> statement-breakpoint
CREATE INDEX `mandates_list` ON `mandates` (`merchant_id`,`livemode`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `mandates_debit_item` ON `mandates` (`merchant_id`,`livemode`,`debit_item_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `mandates_onchain` ON `mandates` (`merchant_id`,`livemode`,`onchain_id`);--> statement-breakpoint
CREATE INDEX `mandates_commitment` ON `mandates` (`merchant_id`,`livemode`,`commitment`);--> statement-breakpoint
ALTER TABLE `debit_items` ADD `number` integer;--> statement-breakpoint
-- Items made before 002_…'s integer ids get theirs in creation order.
UPDATE `debit_items` SET `number` = (SELECT COUNT(*) FROM `debit_items` AS `older` WHERE `older`.`created_at` < `debit_items`.`created_at` OR (`older`.`created_at` = `debit_items`.`created_at` AND `older`.`id` <= `debit_items`.`id`));--> statement-breakpoint
CREATE UNIQUE INDEX `debit_items_number` ON `debit_items` (`number`);