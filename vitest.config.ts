import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// Tests run inside workerd against real D1, Durable Objects and alarms, configured from wrangler.toml.
export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          ADMIN_TOKEN: 'test-admin-token',
          ASYNC_SETTLE_DELAY_MS: '400',
          // Seconds between webhook attempts: short, so exhaustion can be watched in a test.
          WEBHOOK_RETRY_DELAYS: '0,1,1',
          WEBHOOK_TIMEOUT_MS: '1000',
          TEST_MIGRATIONS: await readD1Migrations('./migrations'),
        },
      },
    })),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./test/apply-migrations.ts'],
    // Webhook tests wait for real queue deliveries and retries (seconds, on the test schedule).
    testTimeout: 30_000,
    globalSetup: ['./test/webhook-receiver.ts'],
  },
});
