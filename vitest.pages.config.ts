import { defineConfig } from 'vitest/config';

// Page tests run in Node: each starts `wrangler dev` and drives headless Chromium (test/pages/support.ts).
// So do the dev scripts' tests (test/scripts/): anvil, `npm run dev` and pay-intent.mjs, in throwaway checkouts.
// And the recurring-debit contracts' tests (test/contracts/): solc-js and anvil.
export default defineConfig({
  test: {
    include: ['test/pages/**/*.test.ts', 'test/scripts/**/*.test.ts', 'test/contracts/**/*.test.ts'],
    // Starting wrangler dev and Chromium on a busy 2-core machine.
    hookTimeout: 120_000,
    testTimeout: 60_000,
  },
});
