ALTER TABLE `merchants` ADD `crypto_xpub` text;--> statement-breakpoint
ALTER TABLE `merchants` ADD `next_deposit_index` integer DEFAULT 0 NOT NULL;