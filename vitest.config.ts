import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// Tests run inside workerd against real D1, Durable Objects and alarms, configured from wrangler.toml.
export default defineConfig({
  plugins: [
    // Called when the pool starts, after the globalSetup modules: `inject` reads what they provided.
    cloudflareTest(async ({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          ADMIN_TOKEN: 'test-admin-token',
          ASYNC_SETTLE_DELAY_MS: '400',
          // Seconds between webhook attempts: short, so exhaustion can be watched in a test.
          WEBHOOK_RETRY_DELAYS: '0,1,1',
          WEBHOOK_TIMEOUT_MS: '1000',
          TEST_MIGRATIONS: await readD1Migrations('./migrations'),
          // The local anvil chain started by test/local-chain.ts, as network `local`.
          CHAINS: inject('localChain').chains,
        },
      },
    })),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./test/apply-migrations.ts'],
    // Webhook tests wait for real queue deliveries and retries (seconds, on the test schedule).
    testTimeout: 30_000,
    // viem is hundreds of small modules, each fetched into workerd one by one: about 2.5 s per test
    // file that imports it. Pre-bundled, it loads in well under a second.
    deps: {
      optimizer: {
        ssr: { enabled: true, include: ['viem', 'viem/accounts', '@scure/bip32', '@scure/bip39', '@noble/curves/secp256k1'] },
      },
    },
    globalSetup: ['./test/webhook-receiver.ts', './test/local-chain.ts'],
  },
});
