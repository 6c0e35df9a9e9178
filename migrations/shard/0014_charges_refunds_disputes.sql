CREATE TABLE `charges` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`livemode` integer NOT NULL,
	`payment_intent_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `charges_list` ON `charges` (`merchant_id`,`livemode`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `charges_payment_intent` ON `charges` (`merchant_id`,`livemode`,`payment_intent_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `disputes` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`livemode` integer NOT NULL,
	`payment_intent_id` text NOT NULL,
	`charge_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `disputes_list` ON `disputes` (`merchant_id`,`livemode`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `disputes_payment_intent` ON `disputes` (`merchant_id`,`livemode`,`payment_intent_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `disputes_charge` ON `disputes` (`merchant_id`,`livemode`,`charge_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `refunds` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`livemode` integer NOT NULL,
	`payment_intent_id` text NOT NULL,
	`charge_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `refunds_list` ON `refunds` (`merchant_id`,`livemode`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `refunds_payment_intent` ON `refunds` (`merchant_id`,`livemode`,`payment_intent_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `refunds_charge` ON `refunds` (`merchant_id`,`livemode`,`charge_id`,`created_at`,`id`);