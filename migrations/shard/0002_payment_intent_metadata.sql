CREATE TABLE `payment_intent_metadata` (
	`intent_id` text NOT NULL,
	`merchant_id` text NOT NULL,
	`livemode` integer NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`intent_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `payment_intent_metadata_lookup` ON `payment_intent_metadata` (`merchant_id`,`livemode`,`key`,`value`);--> statement-breakpoint
INSERT OR IGNORE INTO `payment_intent_metadata` (`intent_id`, `merchant_id`, `livemode`, `key`, `value`)
SELECT p.`id`, p.`merchant_id`, p.`livemode`, m.`key`, m.`value`
FROM `payment_intents` p, json_each(p.`record`, '$.metadata') m;
