import { applyD1Migrations, env } from 'cloudflare:test';

// Setup files run before each test file; applying migrations is idempotent. Every shard runs the same ones.
await Promise.all([
  applyD1Migrations(env.DIRECTORY, env.DIRECTORY_MIGRATIONS),
  applyD1Migrations(env.SHARD_0, env.SHARD_MIGRATIONS),
  applyD1Migrations(env.SHARD_1, env.SHARD_MIGRATIONS),
]);
