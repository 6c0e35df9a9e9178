import type { D1Migration } from 'cloudflare:test';
import type { Env as WorkerEnv } from '../src/env.js';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
      /** The static assets (wrangler.toml [assets]): the worker never reads them, tests do. */
      ASSETS: Fetcher;
    }
    interface GlobalProps {
      mainModule: typeof import('../src/index.js');
      durableNamespaces: 'PaymentIntentObject';
    }
  }
}
