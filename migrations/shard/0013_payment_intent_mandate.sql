ALTER TABLE `payment_intents` ADD `mandate_id` text;--> statement-breakpoint
CREATE INDEX `payment_intents_mandate` ON `payment_intents` (`merchant_id`,`livemode`,`mandate_id`,`created_at`,`id`);