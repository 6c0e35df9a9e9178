CREATE TABLE `deposit_counters` (
	`xpub` text PRIMARY KEY NOT NULL,
	`next_index` integer NOT NULL
);
--> statement-breakpoint
-- Counters continue from what each xpub's merchants have already handed out.
INSERT INTO `deposit_counters` (`xpub`, `next_index`) SELECT `crypto_xpub`, MAX(`next_deposit_index`) FROM `merchants` WHERE `crypto_xpub` IS NOT NULL GROUP BY `crypto_xpub`;
