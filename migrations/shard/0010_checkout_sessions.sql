CREATE TABLE `checkout_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`livemode` integer NOT NULL,
	`status` text NOT NULL,
	`payment_intent` text NOT NULL,
	`created_at` integer NOT NULL,
	`revision` integer NOT NULL,
	`record` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `checkout_sessions_list` ON `checkout_sessions` (`merchant_id`,`livemode`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `checkout_sessions_payment_intent` ON `checkout_sessions` (`merchant_id`,`livemode`,`payment_intent`);