import type { D1Migration } from 'cloudflare:test';

// The worker's bindings, GlobalProps (mainModule, durableNamespaces) included, come from
// src/worker-configuration.d.ts (`npm run cf-typegen`); the tests add the migrations vitest.config.ts binds (the directory's, and the one set every shard runs).
declare global {
  namespace Cloudflare {
    interface Env {
      DIRECTORY_MIGRATIONS: D1Migration[];
      SHARD_MIGRATIONS: D1Migration[];
      /** The static assets (wrangler.toml [assets]): the worker never reads them, tests do. */
      ASSETS: Fetcher;
    }
  }
}
