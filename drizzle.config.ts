import { defineConfig } from 'drizzle-kit';

// The shards' schema: `npm run db:generate` writes the SQL that `wrangler d1 migrations apply SHARD_n` runs on
// every shard. The directory has its own (drizzle.directory.config.ts). migrations/shard holds the single
// database's history from before the split, unchanged: that database is SHARD_0 (README, Sharding).
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './migrations/shard',
});
