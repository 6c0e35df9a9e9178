import { existsSync, readFileSync } from 'node:fs';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// wrangler, asked by the pool for the worker's bindings, loads .dev.vars (the local secrets `npm run dev`
// writes) into the tests as well and says "Using secrets defined in .dev.vars" for every test file.
// Its info lines are left out (warnings and errors still print; WRANGLER_LOG=log brings them back);
// what matters in that line is said once instead, below: which .dev.vars values the tests really get.
process.env.WRANGLER_LOG ??= 'warn';
let devVarsReported = false;

/** Names .dev.vars defines that the test bindings do not override: they would reach the tests unseen. */
function reportDevVarsReachingTests(bindings: Record<string, unknown>): void {
  if (devVarsReported || !existsSync('.dev.vars')) return;
  devVarsReported = true;
  const names = [...readFileSync('.dev.vars', 'utf8').matchAll(/^\s*(?:export\s+)?([\w.-]+)\s*=/gm)].map((m) => m[1]!);
  const reaching = [...new Set(names)].filter((name) => !(name in bindings));
  if (reaching.length > 0) console.warn(`Note: .dev.vars sets ${reaching.join(', ')} for these tests too (wrangler loads it).`);
}

// vitest-pool-workers 0.14 runs workerd verbosely and prints its info lines to stdout. Some of them
// are dropped here: the pool's runner WebSocket closing at the end of a test file (later pool versions
// drop it themselves, workers-sdk PR 13833; 0.14.9 is the newest that runs on Node 20, see
// shared/TOOLCHAIN.md), the evictions test/webhooks/delivery.test.ts and the fault matrix (test/faults/)
// cause on purpose, and workerd's two notes on an alarm moved while it was due (actor-sqlite.c++), which
// the matrix causes by running alarms early and evicting objects in the middle of one; and the refusal
// test/chain/watcher.test.ts makes an intent answer a delivery with on purpose (workerd reports an RPC
// method's rejection as uncaught in the callee, though the caller, the chain watcher, handles it). Every other
// workerd line still prints, failed subrequests ("connect(): Connection refused", "Network connection
// lost") included.
const BENIGN_WORKERD_LINES = [
  /^exception = workerd\/api\/web-socket\.c\+\+:\d+: disconnected: WebSocket peer disconnected\n$/,
  /^uncaught exception; exception = workerd\/api\/actor-state\.c\+\+:\d+: failed: broken\.outputGateBroken; jsg\.Error: evicted by the test\n/,
  /^uncaught exception; source = Uncaught \(in promise\); stack = Error: the intent is unavailable \(test\)\n/,
  /^NOSENTRY SQLite alarm (overdue, running despite AlarmManager mismatch|handler canceled with requestScheduledAlarm\.);/,
];
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
  typeof chunk === 'string' && BENIGN_WORKERD_LINES.some((line) => line.test(chunk))
    ? true
    : writeStdout(chunk, ...rest)) as typeof process.stdout.write;

/**
 * CHAINS for the tests: `local` is the chain adapter tests' anvil. The payment-intent tests' anvil
 * appears three times: `testnet` (2 confirmations), `deep` (12 confirmations, to watch processing
 * without a stray block confirming it) and `flaky` (behind the webhook receiver's mailbox
 * `rpc-flaky`, which tests script to fail before passing requests through). Chain ids must differ
 * between networks and both anvils are 31337, so the three carry labels (31340, 31339, 31338): only
 * EIP-712 domains use a network's chain id. `faulty` (31336) is the fault matrix's own anvil
 * (test/faults/), always behind the mailbox `rpc-faults`, which passes requests through until a case
 * takes the node down. `rewind` (31341) is a fourth anvil, which only test/crypto/chain-rewind.test.ts
 * uses and moves backwards. `watched` (31342) and `watched-b` (31343) are a fifth anvil's, each behind
 * its own mailbox of the receiver (`rpc-watched`, `rpc-watched-b`): test/chain/watcher.test.ts counts
 * the chain watchers' RPC calls there, takes one network down while the other runs, and reorgs it.
 * `watched-mandates` (31346) is the same anvil behind the mailbox `rpc-watched-mandates`, with the
 * mandate contracts deployed: test/chain/watcher-mandates.test.ts counts the mandate watch's calls there.
 * `relay` (31344, the anvil's real chain id: the relayer signs for it) is a sixth anvil, the relayer's
 * (test/chain/relayer.test.ts), which stops automine, drops transactions and reorgs it. `mandates` (31345)
 * is a seventh, the mandates' (test/mandates/), with both debit contracts deployed and the test relayer allowed.
 * `escrow` (31348) is an eighth, the escrow's (test/chain/escrow.test.ts), with contracts/Escrow.sol deployed
 * and the test relayer allowed; its file stops automine and reverts it.
 * `refunds` (31347, the anvil's real chain id) is a ninth, the crypto refunds' (test/crypto-refunds/), which reverts it;
 * `refunds-flaky` (31349) is the same anvil behind the receiver's mailbox `rpc-refunds-flaky`, which those tests take down.
 * `escrowpay` (31350, the anvil's real chain id: the relayer signs for it) is a tenth, the escrow intents' (test/escrow/),
 * with contracts/Escrow.sol deployed and the test relayer allowed; those tests move its clock and reorg it.
 * `escrowfin` (31351) is an eleventh, the same for test/compat/finternet/escrow.test.ts, which moves its clock too.
 */
function testChains(
  adapterChain: string,
  intentChain: string,
  faultChain: string,
  rewindChain: string,
  watcherChain: string,
  relayerChain: string,
  mandatesChain: string,
  escrowChain: string,
  refundsChain: string,
  escrowIntentsChain: string,
  finternetEscrowChain: string,
  receiverPort: number,
): string {
  const { local } = JSON.parse(adapterChain) as { local: Record<string, unknown> };
  const { local: second } = JSON.parse(intentChain) as { local: Record<string, unknown> };
  const { local: fourth } = JSON.parse(rewindChain) as { local: Record<string, unknown> };
  const testnet = { ...second, chainId: 31_340 };
  const deep = { ...testnet, chainId: 31_339, confirmations: 12 };
  const flaky = {
    ...testnet,
    chainId: 31_338,
    rpcUrls: [`http://127.0.0.1:${receiverPort}/hooks/rpc-flaky`],
    rpcTimeoutMs: 300,
    confirmations: 1,
  };
  const { local: third } = JSON.parse(faultChain) as { local: Record<string, unknown> };
  const faulty = {
    ...third,
    chainId: 31_336,
    rpcUrls: [`http://127.0.0.1:${receiverPort}/hooks/rpc-faults`],
    rpcTimeoutMs: 5_000,
    confirmations: 1,
  };
  const rewind = { ...fourth, chainId: 31_341 };
  const { local: fifth } = JSON.parse(watcherChain) as { local: Record<string, unknown> };
  const watched = { ...fifth, chainId: 31_342, rpcUrls: [`http://127.0.0.1:${receiverPort}/hooks/rpc-watched`], confirmations: 2 };
  const watchedB = { ...watched, chainId: 31_343, rpcUrls: [`http://127.0.0.1:${receiverPort}/hooks/rpc-watched-b`] };
  const watchedMandates = { ...watched, chainId: 31_346, rpcUrls: [`http://127.0.0.1:${receiverPort}/hooks/rpc-watched-mandates`] };
  const { local: relay } = JSON.parse(relayerChain) as { local: Record<string, unknown> };
  const refunds = { ...(JSON.parse(refundsChain) as { local: Record<string, unknown> }).local, confirmations: 2 };
  return JSON.stringify({
    local,
    testnet,
    deep,
    flaky,
    faulty,
    rewind,
    watched,
    'watched-b': watchedB,
    'watched-mandates': watchedMandates,
    relay: { ...relay, confirmations: 2 },
    mandates: { ...(JSON.parse(mandatesChain) as { local: Record<string, unknown> }).local, confirmations: 2 },
    escrow: { ...(JSON.parse(escrowChain) as { local: Record<string, unknown> }).local, confirmations: 2 },
    escrowpay: { ...(JSON.parse(escrowIntentsChain) as { local: Record<string, unknown> }).local, confirmations: 2 },
    escrowfin: { ...(JSON.parse(finternetEscrowChain) as { local: Record<string, unknown> }).local, confirmations: 2 },
    refunds,
    'refunds-flaky': {
      ...refunds,
      chainId: 31_349,
      rpcUrls: [`http://127.0.0.1:${receiverPort}/hooks/rpc-refunds-flaky`],
      rpcTimeoutMs: 300,
    },
  });
}

/** anvil's default mnemonic, account 7 (m/44'/60'/0'/0/7): a well-known test key, never a real one. */
const RELAYER_TEST_KEY = '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356';

// Tests run inside workerd against real D1, Durable Objects and alarms, configured from wrangler.toml.
export default defineConfig({
  plugins: [
    // Called when the pool starts, after the globalSetup modules: `inject` reads what they provided.
    cloudflareTest(async ({ inject }) => {
      const bindings = {
        ADMIN_TOKEN: 'test-admin-token',
        // Links (3-D Secure pages) are built on this origin: configuration, never the request's Host.
        PUBLIC_BASE_URL: 'http://pay.test',
        ASYNC_SETTLE_DELAY_MS: '400',
        REFUND_SETTLE_DELAY_MS: '400',
        DISPUTE_REVIEW_DELAY_MS: '400',
        // A held escrow reads its contract every second (test/escrow/), not every minute.
        ESCROW_HELD_POLL_MS: '1000',
        // Seconds between webhook attempts: short, so exhaustion can be watched in a test.
        WEBHOOK_RETRY_DELAYS: '0,1,1',
        WEBHOOK_TIMEOUT_MS: '1000',
        // The relayer's key: anvil's default account 7 (account 0 pays in other tests); it re-prices a
        // transaction not mined after 2 seconds.
        RELAYER_PRIVATE_KEY: RELAYER_TEST_KEY,
        RELAYER_REPRICE_AFTER_SECONDS: '2',
        // The directory's and the shards' migrations, which test/apply-migrations.ts applies to DIRECTORY and to
        // both shards (wrangler.toml binds SHARD_0 and SHARD_1, both open: OPEN_SHARDS).
        DIRECTORY_MIGRATIONS: await readD1Migrations('./migrations/directory'),
        SHARD_MIGRATIONS: await readD1Migrations('./migrations/shard'),
        // The local anvil chain started by test/local-chain.ts, as network `local`; and as `flaky`,
        // the same chain behind the webhook receiver's mailbox `rpc-flaky`, which tests script to
        // fail (503, timeouts) before passing requests through (its chain id is only a label).
        CHAINS: testChains(
          inject('localChain').chains,
          inject('cryptoChain').chains,
          inject('faultChain').chains,
          inject('rewindChain').chains,
          inject('watcherChain').chains,
          inject('relayerChain').chains,
          inject('mandatesChain').chains,
          inject('escrowChain').chains,
          inject('refundsChain').chains,
          inject('escrowIntentsChain').chains,
          inject('finternetEscrowChain').chains,
          inject('webhookReceiverPort'),
        ),
      };
      reportDevVarsReachingTests(bindings);
      return { wrangler: { configPath: './wrangler.toml' }, miniflare: { bindings } };
    }),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    // Page tests (Node, Chromium), the dev scripts' tests (Node, anvil, npm run dev) and the contracts' tests (Node, solc-js,
    // anvil): vitest.pages.config.ts.
    exclude: ['test/pages/**', 'test/scripts/**', 'test/contracts/**'],
    setupFiles: ['./test/apply-migrations.ts'],
    // Webhook tests wait for real queue deliveries and retries (seconds, on the test schedule).
    testTimeout: 30_000,
    // Concurrent tests (only the fault matrix's, test/faults/) mostly wait for alarms and queues.
    maxConcurrency: 8,
    // viem is hundreds of small modules, each fetched into workerd one by one: about 2.5 s per test
    // file that imports it. Pre-bundled, it loads in well under a second. The same goes for the stripe
    // SDK (some 220 modules: import 2.9 s → 1.2 s), which also publishes source maps without their
    // sources: loaded module by module, each printed "Sourcemap for … points to missing source files".
    deps: {
      optimizer: {
        ssr: {
          enabled: true,
          include: ['viem', 'viem/accounts', '@scure/bip32', '@scure/bip39', '@noble/curves/secp256k1', 'stripe', 'standardwebhooks'],
        },
      },
    },
    globalSetup: ['./test/webhook-receiver.ts', './test/local-chain.ts', './test/openapi-validator.ts'],
    // The generated bad-input suite (test/http/bad-input): a seed to reproduce a run, one operation, more cases.
    provide: { fuzzSeed: process.env.FUZZ_SEED ?? '', fuzzOnly: process.env.FUZZ_ONLY ?? '', fuzzScale: process.env.FUZZ_SCALE ?? '' },
  },
});
