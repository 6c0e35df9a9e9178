-- Events are kept canonical (src/intents/events.ts) and rendered by each API family when read or
-- delivered. Events written before this keep the Stripe-wire body they were rendered with.
-- No foreign key points at events, so the rebuild needs no PRAGMA (which D1 restricts).
CREATE TABLE `__new_events` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`livemode` integer NOT NULL,
	`intent_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`type` text NOT NULL,
	`created_at` integer NOT NULL,
	`canonical` text,
	`body` text
);
--> statement-breakpoint
INSERT INTO `__new_events`("id", "merchant_id", "livemode", "intent_id", "sequence", "type", "created_at", "canonical", "body") SELECT "id", "merchant_id", "livemode", "intent_id", "sequence", "type", "created_at", NULL, "body" FROM `events`;--> statement-breakpoint
DROP TABLE `events`;--> statement-breakpoint
ALTER TABLE `__new_events` RENAME TO `events`;--> statement-breakpoint
CREATE INDEX `events_list` ON `events` (`merchant_id`,`livemode`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `events_type` ON `events` (`merchant_id`,`livemode`,`type`,`created_at`,`id`);
