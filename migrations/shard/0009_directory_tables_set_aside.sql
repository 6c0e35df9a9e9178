-- The split into a directory and shards (README, Sharding): merchants, their API keys and the deposit counters
-- now live in the directory database. drizzle-kit wrote DROP TABLE here; they are renamed instead, so that in a
-- deployment whose single database became SHARD_0 the rows are kept until they are copied into the directory
-- (scripts/split-directory.mjs), even if this migration runs first. On a new shard they are empty.
ALTER TABLE `api_keys` RENAME TO `api_keys_before_directory`;--> statement-breakpoint
ALTER TABLE `deposit_counters` RENAME TO `deposit_counters_before_directory`;--> statement-breakpoint
ALTER TABLE `merchants` RENAME TO `merchants_before_directory`;
