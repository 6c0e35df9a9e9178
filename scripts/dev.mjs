#!/usr/bin/env node
/**
 * `npm run dev`: a local payment-intent API with a demo merchant, from a fresh clone or a second run.
 *
 *   1. applies the D1 migrations to each local database wrangler.toml binds — the directory and every shard
 *      (`wrangler d1 migrations apply <binding> --local`) — and says in one line each what it did
 *      (wrangler's full output only if it fails);
 *   2. makes sure .dev.vars holds an ADMIN_TOKEN and a RELAYER_PRIVATE_KEY (random ones are written if
 *      missing; never replaced; the key is never printed, only its address);
 *   3. starts a local chain (anvil, scripts/local-chain.mjs) on 127.0.0.1:$CHAIN_PORT (default 8545),
 *      a block every 2 s, kept in .wrangler/state/local-chain/ across restarts (as the local D1 and
 *      Durable Objects are, which remember its blocks), with the demo stablecoin `usdc` minted to
 *      anvil's first default account the first time; then the recurring-debit contracts (issue 13,
 *      scripts/contracts.mjs): deployed by anvil account 8 (their owner) on a new chain, at the
 *      addresses of its first two transactions, and found there on a kept one; the relayer allowed on
 *      both (by the owner, when .dev.vars has a new key) and funded from anvil account 9 when low; and the
 *      escrow for delivery versus payment (contracts/Escrow.sol): deployed by anvil account 6 (its owner) at
 *      the address of its first transaction, found there on a kept chain, the relayer allowed on it;
 *   4. starts `wrangler dev --ip 127.0.0.1 --port $PORT` (default 8787) with that chain as network
 *      `local` (CHAINS, with both contracts) and DEFAULT_CRYPTO_XPUB set to the demo xpub, forwarding
 *      output and signals;
 *   5. once GET /health answers 200, reuses the merchant in .dev-merchant.json if its test secret key
 *      still works, or creates one through POST /v1/admin/merchants and saves its keys there; either
 *      way the merchant ends up with the demo xpub, so it can take crypto payments;
 *   6. prints the URL, the keys, the chain and the commands to try it (with this run's URLs), and keeps
 *      running until wrangler exits (Ctrl-C); the chain stops with it.
 *
 * One `npm run dev` per checkout: it holds .wrangler/state/dev.lock (scripts/dev-lock.mjs), and a
 * second one is refused with the first one's URLs. Its URLs are also saved in .dev-merchant.json
 * (`dev`), where scripts/pay-intent.mjs finds them.
 *
 * Plain Node (>= 20); the chain uses the project's viem and anvil. State lives in .wrangler/state
 * (local D1, Durable Objects and the chain) and survives restarts; deleting that directory starts
 * all three afresh. The token is at the same address on every new chain (the deployer's first
 * transaction) and found there on a kept one.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { d1Bindings } from './d1-bindings.mjs';
import { acquireDevLock } from './dev-lock.mjs';

const say = (line = '') => process.stdout.write(`[dev] ${line}\n`);
const fail = (message) => {
  process.stderr.write(`[dev] error: ${message}\n`);
  process.exit(1);
};

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEV_VARS = join(ROOT, '.dev.vars');
const MERCHANT_FILE = join(ROOT, '.dev-merchant.json');
/** wrangler's local state (D1, Durable Objects); the chain and the lock are kept with it. */
const STATE_DIR = join(ROOT, '.wrangler', 'state');
const LOCK_FILE = join(STATE_DIR, 'dev.lock');
const CHAIN_STATE = join(STATE_DIR, 'local-chain', 'anvil-state.json');
const HOST = '127.0.0.1';
const PORT = parsePort('PORT', process.env.PORT ?? '8787');
const CHAIN_PORT = parsePort('CHAIN_PORT', process.env.CHAIN_PORT ?? '8545');
if (PORT === CHAIN_PORT) fail(`PORT and CHAIN_PORT must differ, both are ${PORT}`);
const BASE_URL = `http://${HOST}:${PORT}`;
const RPC_URL = `http://${HOST}:${CHAIN_PORT}`;
/** What scripts/pay-intent.mjs assumes without API_BASE / RPC_URL and without .dev-merchant.json. */
const DEFAULT_BASE_URL = 'http://127.0.0.1:8787';
const DEFAULT_RPC_URL = 'http://127.0.0.1:8545';
const READY_TIMEOUT_MS = 120_000;
/** Seconds between the local chain's blocks: confirmations arrive by themselves, as on a real chain. */
const CHAIN_BLOCK_TIME = 2;
/**
 * m/44'/60'/1' of anvil's public test mnemonic ("test test … junk"): the demo merchant's watch-only
 * wallet, a second account of that mnemonic, so no deposit address is one of anvil's funded default
 * accounts (m/44'/60'/0'/0/i) and the demo payer never pays itself. Keys are public: local use only.
 */
/** secp256k1's group order n: a private key is a number from 1 to n - 1. */
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const DEMO_XPUB = 'xpub6Ce9NcJvTk372KjsGfWqbcex5DumjpNquQLApoeQUavSCjEc823BV1tb4rXUuPuht8h2hSxkg2EXUaKUJmniJvRZAELxypsCzBFdtosmV76';
const startedAt = performance.now();
/** anvil's default accounts: 8 deploys (and owns) the recurring-debit contracts, 6 the escrow, 9 funds the relayer. */
const CONTRACTS_OWNER_ACCOUNT = 8;
const ESCROW_OWNER_ACCOUNT = 6;
const FUNDER_ACCOUNT = 9;
/** The relayer is topped up with RELAYER_FUNDING when its balance is below RELAYER_LOW (wei). */
const RELAYER_FUNDING = 100n * 10n ** 18n;
const RELAYER_LOW = 10n * 10n ** 18n;

// Wrangler must not try to phone home: there may be no network at all. Nor fetch the `Request.cf`
// object (a visitor's location, ASN, TLS details) from workers.cloudflare.com: offline, that fetch fails
// with a warning and a stack trace on every start, and this API never reads request.cf. With
// CLOUDFLARE_CF_FETCH_ENABLED=false (miniflare's documented switch, honoured by wrangler dev) the
// placeholder object is used straight away. Either variable set in the environment wins.
const childEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false',
};

process.chdir(ROOT);
const wranglerBin = resolveWrangler();

// One server per checkout: a second one on the same .wrangler/state would share its SQLite files with
// the first (SQLITE_BUSY) and overwrite .dev-merchant.json. Checked before the ports, so a second
// start gets this answer whatever ports it asks for.
mkdirSync(STATE_DIR, { recursive: true });
const lock = acquireDevLock(LOCK_FILE, { apiBase: BASE_URL, rpcUrl: RPC_URL });
if (!lock.acquired) refuseSecondInstance(lock.holder);
if (lock.staleHolderReplaced) say(`took over ${relative(ROOT, LOCK_FILE)}: the npm run dev that left it is gone`);

// Ports next: one already taken (by another checkout's `npm run dev`, say) would make the checks below
// talk to the wrong server, so refuse before doing anything.
if (!(await portIsFree(HOST, PORT))) {
  fail(
    `${HOST}:${PORT} is already in use (another program, or \`npm run dev\` in another checkout). ` +
      `Stop whatever listens there, or pick other ports: PORT=${PORT + 1} CHAIN_PORT=${CHAIN_PORT + 1} npm run dev`,
  );
}
if (!(await portIsFree(HOST, CHAIN_PORT))) {
  fail(
    `${HOST}:${CHAIN_PORT} (the local chain) is already in use (another anvil, or \`npm run dev\` in another checkout). ` +
      `Stop it, or pick other ports: PORT=${PORT + 1} CHAIN_PORT=${CHAIN_PORT + 1} npm run dev`,
  );
}

// 1. Migrations. `d1 migrations apply` asks "continue?" unless it sees a non-interactive terminal or
//    CI (it has no --yes flag); CI=true plus a closed stdin answers yes without a prompt. Its output
//    (a table per migration, about 150 lines on a first start) is kept back and summed up in a line;
//    it is printed in full when the command fails or says something this script does not recognise.
for (const binding of d1Bindings(join(ROOT, 'wrangler.toml'))) {
  const migration = await capture(process.execPath, [wranglerBin, 'd1', 'migrations', 'apply', binding, '--local'], {
    env: { ...childEnv, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (migration.code !== 0) {
    process.stderr.write(migration.output);
    fail(`wrangler d1 migrations apply ${binding} --local exited with ${migration.code} (its output is above)`);
  }
  say(`D1 ${binding} (local, .wrangler/state): ${summariseMigrations(migration.output)}`);
}

// 2. The admin token and the relayer's key, read by wrangler dev from .dev.vars.
const adminToken = ensureAdminToken();
const relayerKey = ensureRelayerKey();

// 3. The chain, kept with the rest of the local state: the intents remember its blocks, so it must not
//    start empty while they do. anvil is stopped when this process exits, however it exits, and
//    writes the chain to CHAIN_STATE then (and every 10 s meanwhile; see local-chain.mjs).
let chain;
try {
  // Imported here: it needs viem, and without `npm install` resolveWrangler above says so first.
  const { startLocalChain, UnreadableChainState } = await import('./local-chain.mjs');
  const start = () => startLocalChain({ port: CHAIN_PORT, host: HOST, blockTime: CHAIN_BLOCK_TIME, statePath: CHAIN_STATE });
  try {
    chain = await start();
  } catch (error) {
    if (!(error instanceof UnreadableChainState)) throw error;
    // Cut short by a hard kill while anvil wrote it: nothing in it can be used. Kept for a look.
    const aside = `${CHAIN_STATE}.unreadable-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(CHAIN_STATE, aside);
    process.stderr.write(
      `[dev] warning: ${error.message}\n[dev] moved it to ${relative(ROOT, aside)} and started a new chain. Crypto intents of ` +
        'earlier runs wait (one warning each) until the new chain is past the blocks they read, then scan it again.\n',
    );
    chain = await start();
  }
} catch (error) {
  fail(`could not start the local chain: ${error.message}`);
}
const chainState = relative(ROOT, CHAIN_STATE);
say(
  chain.state.loaded
    ? `local chain (anvil) on ${chain.rpcUrl}: loaded from ${chainState} at block ${chain.state.headAtStart}, a block every ${CHAIN_BLOCK_TIME} s, usdc at ${chain.usdc.address}`
    : `local chain (anvil) on ${chain.rpcUrl}: new, kept in ${chainState}, a block every ${CHAIN_BLOCK_TIME} s, usdc deployed at ${chain.usdc.address}`,
);

// 3b. The recurring-debit contracts and the relayer that sends their debits.
let debits;
try {
  debits = await ensureDebitContracts();
} catch (error) {
  await chain.stop();
  fail(`could not set up the recurring-debit contracts on the local chain: ${error.shortMessage ?? error.message}`);
}
say(
  `recurring-debit contracts (owner: anvil account 8, ${debits.owner}): ConnectedWallets ${debits.connectedWallets.address} ` +
    `(${debits.connectedWallets.deployed ? 'deployed now' : 'found'}), VirtualAccounts ${debits.virtualAccounts.address} ` +
    `(${debits.virtualAccounts.deployed ? 'deployed now' : 'found'})`,
);
say(
  `relayer ${debits.relayer.address}: ${debits.relayer.allowedNow.length > 0 ? `allowed now on ${debits.relayer.allowedNow.join(' and ')}` : 'allowed on both'}, ` +
    `balance ${formatEth(debits.relayer.balance)} eth${debits.relayer.funded ? ` (funded ${formatEth(RELAYER_FUNDING)} eth from anvil account 9)` : ''}`,
);

// 3c. The escrow for delivery versus payment, its releases and refunds sent by the same relayer.
let escrow;
try {
  escrow = await ensureEscrow(debits.relayer.address);
} catch (error) {
  await chain.stop();
  fail(`could not set up the escrow contract on the local chain: ${error.shortMessage ?? error.message}`);
}
say(
  `escrow contract (owner: anvil account ${ESCROW_OWNER_ACCOUNT}, ${escrow.owner}): ${escrow.address} (${escrow.deployed ? 'deployed now' : 'found'}), ` +
    `relayer ${escrow.relayerAllowedNow ? 'allowed now' : 'allowed'}`,
);

// 4. The server, with the chain as network `local`. `--var NAME:value` splits at the first colon
//    only, and no shell is involved, so JSON passes as it is.
say(`starting wrangler dev on ${BASE_URL}`);
// Links (3-D Secure pages, the OpenAPI server) are built on PUBLIC_BASE_URL: the origin served here.
const chainsConfig = {
  ...chain.chainsConfig,
  local: { ...chain.chainsConfig.local, ...debits.chainsConfig, escrow_contract: escrow.address },
};
const vars = { PUBLIC_BASE_URL: BASE_URL, CHAINS: JSON.stringify(chainsConfig), DEFAULT_CRYPTO_XPUB: DEMO_XPUB };
const wrangler = spawn(
  process.execPath,
  [
    wranglerBin,
    'dev',
    '--ip',
    HOST,
    '--port',
    String(PORT),
    ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
  ],
  { env: childEnv, stdio: 'inherit' },
);
let wranglerExited = false;
const exited = new Promise((resolve) => {
  wrangler.on('exit', (code, signal) => {
    wranglerExited = true;
    resolve({ code, signal });
  });
});
wrangler.on('error', (error) => fail(`could not start wrangler: ${error.message}`));

// Ctrl-C, kill, a closed terminal: pass the signal on and leave once wrangler is gone. (A terminal's
// Ctrl-C reaches wrangler directly too; wrangler shuts down cleanly either way.)
// npm run forwards the terminal's signal as well, so repeats within a second are one signal.
let stopping = false;
let lastForward = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (wranglerExited) process.exit(0);
    stopping = true;
    if (Date.now() - lastForward < 1_000) return;
    lastForward = Date.now();
    wrangler.kill(signal);
  });
}
exited.then(async ({ code, signal }) => {
  if (!stopping && code !== 0) process.stderr.write(`[dev] wrangler dev exited (${signal ?? code})\n`);
  await chain.stop();
  process.exit(stopping ? 0 : (code ?? 1));
});
// A terminal's Ctrl-C reaches anvil too, and its exit may be seen before our own SIGINT: wait a moment.
chain.exited.then((codeOrSignal) => {
  setTimeout(() => {
    if (stopping || wranglerExited) return;
    process.stderr.write(`[dev] error: the local chain stopped (${codeOrSignal}); crypto payments need it: restart npm run dev\n`);
  }, 1_000).unref();
});

// 5. Seed, once the worker answers.
try {
  await waitForHealth();
  const { merchant, reused, reason } = await demoMerchant(adminToken);
  const xpubNote = await ensureDemoXpub(merchant, adminToken);
  saveMerchant({ ...merchant, dev: { api_base: BASE_URL, rpc_url: RPC_URL } });
  printSummary(merchant, reused, reason, xpubNote);
} catch (error) {
  if (!wranglerExited && !stopping) {
    process.stderr.write(`[dev] error: ${error.message}\n[dev] the server keeps running; fix the problem and restart.\n`);
  }
}

// --- helpers -----------------------------------------------------------------------------------

function parsePort(name, raw) {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) fail(`${name} must be a TCP port number, got ${JSON.stringify(raw)}`);
  return port;
}

function resolveWrangler() {
  const require = createRequire(join(ROOT, 'package.json'));
  try {
    const pkgPath = require.resolve('wrangler/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
    return join(dirname(pkgPath), typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.wrangler);
  } catch {
    fail('wrangler is not installed here. Run `npm install` first.');
  }
}

/** Runs a command with its output kept (stdout and stderr interleaved, in arrival order). */
function capture(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, options);
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        output += chunk;
      });
    }
    child.on('error', (error) => fail(`could not run ${command}: ${error.message}`));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

/**
 * One line for a successful `d1 migrations apply`: "up to date" or which migrations were applied.
 * Warnings and errors wrangler printed are passed on as they are; output of any other shape is
 * printed whole rather than guessed at.
 */
function summariseMigrations(output) {
  const plain = stripVTControlCharacters(output);
  const lines = plain.split(/\r?\n/);
  for (const line of lines) {
    if (/\[(?:WARNING|ERROR)\]|✘|▲/.test(line)) process.stderr.write(`${line}\n`);
  }
  if (/No migrations to apply/.test(plain)) return 'database up to date (no migrations to apply)';
  const count = /About to apply (\d+) migration/.exec(plain);
  const done = [...plain.matchAll(/│\s*(\S+\.sql)\s*│\s*✅/g)].map((match) => match[1]);
  const applied = [...new Set(done)];
  if (count && applied.length === Number(count[1])) {
    const names = applied.length > 2 ? `${applied[0]} … ${applied.at(-1)}` : applied.join(', ');
    return `applied ${applied.length} migration${applied.length === 1 ? '' : 's'} (${names})`;
  }
  process.stdout.write(output);
  return 'migrations applied (wrangler output above)';
}

/** The ADMIN_TOKEN in .dev.vars; writes a random 256-bit one if the file or the variable is missing. */
function ensureAdminToken() {
  const text = existsSync(DEV_VARS) ? readFileSync(DEV_VARS, 'utf8') : '';
  const existing = readVar(text, 'ADMIN_TOKEN');
  if (existing) {
    say('ADMIN_TOKEN: using the one in .dev.vars');
    return existing;
  }
  const token = randomBytes(32).toString('hex');
  // An empty `ADMIN_TOKEN=` line is dropped (it would close the admin API); every other line is kept.
  const kept = text
    .split(/\r?\n/)
    .filter((line) => !/^\s*(?:export\s+)?ADMIN_TOKEN\s*=/.test(line))
    .join('\n')
    .replace(/\n*$/, '');
  const header = text === '' ? '# Local secrets for `wrangler dev` (gitignored). Made by scripts/dev.mjs.\n' : '';
  writeFileSync(DEV_VARS, `${header}${kept}${kept ? '\n' : ''}ADMIN_TOKEN=${token}\n`, { mode: 0o600 });
  say(`ADMIN_TOKEN: ${text === '' ? 'created .dev.vars with' : 'added to .dev.vars'} a new random token`);
  return token;
}

/**
 * The relayer's RELAYER_PRIVATE_KEY in .dev.vars; writes a random secp256k1 key if the variable is
 * missing (never replaced). The key itself is never printed: only the relayer's address.
 */
function ensureRelayerKey() {
  const text = existsSync(DEV_VARS) ? readFileSync(DEV_VARS, 'utf8') : '';
  const existing = readVar(text, 'RELAYER_PRIVATE_KEY');
  if (existing) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(existing)) {
      fail('RELAYER_PRIVATE_KEY in .dev.vars must be 0x followed by 64 hex digits; fix it, or delete the line for a new random key');
    }
    say('RELAYER_PRIVATE_KEY: using the one in .dev.vars');
    return existing;
  }
  // 32 random bytes are a valid secp256k1 key unless 0 or ≥ the group order (odds about 2^-128): checked anyway.
  let key;
  do key = `0x${randomBytes(32).toString('hex')}`;
  while (BigInt(key) === 0n || BigInt(key) >= SECP256K1_ORDER);
  const kept = text
    .split(/\r?\n/)
    .filter((line) => !/^\s*(?:export\s+)?RELAYER_PRIVATE_KEY\s*=/.test(line))
    .join('\n')
    .replace(/\n*$/, '');
  writeFileSync(DEV_VARS, `${kept}${kept ? '\n' : ''}RELAYER_PRIVATE_KEY=${key}\n`, { mode: 0o600 });
  say("RELAYER_PRIVATE_KEY: added to .dev.vars a new random key (the relayer's; local chain only)");
  return key;
}

/**
 * ConnectedWallets and VirtualAccounts on the local chain: the first two transactions of anvil account
 * 8 (their owner), so on a kept chain they are found at those addresses (code there) rather than
 * deployed again. The relayer (RELAYER_PRIVATE_KEY's address) is allowed on both by the owner when it
 * is not yet (a new chain, or a new .dev.vars), and funded from anvil account 9 when its balance is low.
 */
async function ensureDebitContracts() {
  const { getAddress, getContractAddress, parseAbi } = await import('viem');
  const { privateKeyToAccount } = await import('viem/accounts');
  const { compileContracts } = await import('./contracts.mjs');
  const owner = chain.accounts[CONTRACTS_OWNER_ACCOUNT].address;
  const funder = chain.accounts[FUNDER_ACCOUNT].address;
  const relayer = privateKeyToAccount(relayerKey).address;
  const { client, wallet, settle } = await localClients();

  const compiled = compileContracts();
  const abi = parseAbi(['function isRelayer(address) view returns (bool)', 'function owner() view returns (address)']);
  const result = {};
  for (const [i, name] of ['ConnectedWallets', 'VirtualAccounts'].entries()) {
    const address = getContractAddress({ from: owner, nonce: BigInt(i) });
    const code = await client.getCode({ address });
    let deployed = false;
    if (code === undefined || code === '0x') {
      const nonce = await client.getTransactionCount({ address: owner });
      if (nonce !== i) {
        throw new Error(
          `${name} is not at ${address}, and anvil account 8 (${owner}) has sent ${nonce} transactions, so it cannot be deployed ` +
            `there now. Account 8 is kept for these contracts: move ${relative(ROOT, CHAIN_STATE)} away to start a new chain`,
        );
      }
      const { bytecode } = compiled[name];
      const receipt = await settle(await wallet.deployContract({ account: owner, abi: compiled[name].abi, bytecode }), `deploying ${name}`);
      if (getAddress(receipt.contractAddress) !== address)
        throw new Error(`${name} was deployed at ${receipt.contractAddress}, not ${address}`);
      deployed = true;
    } else {
      const actualOwner = await client.readContract({ address, abi, functionName: 'owner' }).catch(() => undefined);
      if (actualOwner !== owner) {
        throw new Error(
          `the contract at ${address} is not ${name} owned by anvil account 8: move ${relative(ROOT, CHAIN_STATE)} away to start a new chain`,
        );
      }
    }
    result[name] = { address, deployed };
  }

  const allowedNow = [];
  for (const name of ['ConnectedWallets', 'VirtualAccounts']) {
    const { address } = result[name];
    if (await client.readContract({ address, abi, functionName: 'isRelayer', args: [relayer] })) continue;
    const hash = await wallet.writeContract({
      account: owner,
      address,
      abi: compiled[name].abi,
      functionName: 'setRelayer',
      args: [relayer, true],
    });
    await settle(hash, `allowing the relayer on ${name}`);
    allowedNow.push(name);
  }

  let balance = await client.getBalance({ address: relayer });
  let funded = false;
  if (balance < RELAYER_LOW) {
    await settle(await wallet.sendTransaction({ account: funder, to: relayer, value: RELAYER_FUNDING }), 'funding the relayer');
    balance = await client.getBalance({ address: relayer });
    funded = true;
  }

  return {
    owner,
    connectedWallets: result.ConnectedWallets,
    virtualAccounts: result.VirtualAccounts,
    relayer: { address: relayer, balance, funded, allowedNow },
    chainsConfig: {
      connected_wallets_contract: result.ConnectedWallets.address,
      virtual_accounts_contract: result.VirtualAccounts.address,
    },
  };
}

/**
 * The escrow on the local chain: the first transaction of anvil account 6 (its owner), so on a kept chain
 * it is found at that address rather than deployed again. The relayer is allowed on it when it is not yet.
 */
/**
 * Clients of the local chain for the deploys here: a public client, a wallet client for anvil's
 * default accounts (unlocked: eth_sendTransaction signs for them), and `settle`, which mines a block at
 * once for a transaction sent here (blocks otherwise come every CHAIN_BLOCK_TIME s) and throws if it
 * reverted.
 */
async function localClients() {
  const { createPublicClient, createWalletClient, http } = await import('viem');
  const localChain = {
    id: chain.chainId,
    name: 'local',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [chain.rpcUrl] } },
  };
  const transport = http(chain.rpcUrl);
  const client = createPublicClient({ chain: localChain, transport, cacheTime: 0, pollingInterval: 100 });
  const wallet = createWalletClient({ chain: localChain, transport });
  const settle = async (hash, what) => {
    await client.request({ method: 'evm_mine', params: [] });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 100 });
    if (receipt.status !== 'success') throw new Error(`${what} reverted (${hash})`);
    return receipt;
  };
  return { client, wallet, settle };
}

async function ensureEscrow(relayer) {
  const { getAddress, getContractAddress } = await import('viem');
  const { compileContracts } = await import('./contracts.mjs');
  const owner = chain.accounts[ESCROW_OWNER_ACCOUNT].address;
  const { client, wallet, settle } = await localClients();
  const { abi, bytecode } = compileContracts().Escrow;
  const address = getContractAddress({ from: owner, nonce: 0n });
  const code = await client.getCode({ address });
  let deployed = false;
  if (code === undefined || code === '0x') {
    const nonce = await client.getTransactionCount({ address: owner });
    if (nonce !== 0) {
      throw new Error(
        `the escrow is not at ${address}, and anvil account ${ESCROW_OWNER_ACCOUNT} (${owner}) has sent ${nonce} transactions, so it ` +
          `cannot be deployed there now. That account is kept for the escrow: move ${relative(ROOT, CHAIN_STATE)} away to start a new chain`,
      );
    }
    const receipt = await settle(await wallet.deployContract({ account: owner, abi, bytecode }), 'deploying the escrow');
    if (getAddress(receipt.contractAddress) !== address)
      throw new Error(`the escrow was deployed at ${receipt.contractAddress}, not ${address}`);
    deployed = true;
  } else {
    const actualOwner = await client.readContract({ address, abi, functionName: 'owner' }).catch(() => undefined);
    if (actualOwner !== owner) {
      throw new Error(
        `the contract at ${address} is not the escrow owned by anvil account ${ESCROW_OWNER_ACCOUNT}: move ${relative(ROOT, CHAIN_STATE)} away to start a new chain`,
      );
    }
    // A chain kept from before deposits were keyed by intent id and payer has the older escrow (escrowOf(bytes32)).
    const current = await client
      .readContract({ address, abi, functionName: 'escrowOf', args: [`0x${'0'.repeat(64)}`, owner] })
      .then(() => true)
      .catch(() => false);
    if (!current) {
      throw new Error(
        `the escrow at ${address} is an older build (deposits keyed by intent id only): move ${relative(ROOT, CHAIN_STATE)} away to start a new chain`,
      );
    }
  }
  let relayerAllowedNow = false;
  if (!(await client.readContract({ address, abi, functionName: 'isRelayer', args: [relayer] }))) {
    const hash = await wallet.writeContract({ account: owner, address, abi, functionName: 'setRelayer', args: [relayer, true] });
    await settle(hash, 'allowing the relayer on the escrow');
    relayerAllowedNow = true;
  }
  return { owner, address, deployed, relayerAllowedNow };
}

/** Wei as ether, with up to 4 decimals (rounded down). */
function formatEth(wei) {
  const whole = wei / 10n ** 18n;
  const fraction = ((wei % 10n ** 18n) / 10n ** 14n).toString().padStart(4, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** A variable of a dotenv file (the format wrangler reads .dev.vars in). */
function readVar(text, name) {
  let value;
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*)$/.exec(line);
    if (!match || match[1] !== name) continue;
    let raw = match[2].trim();
    const quote = raw[0];
    if ((quote === '"' || quote === "'" || quote === '`') && raw.indexOf(quote, 1) > 0) {
      raw = raw.slice(1, raw.indexOf(quote, 1));
    } else {
      raw = raw.replace(/\s+#.*$/, '');
    }
    value = raw; // dotenv: the last definition wins
  }
  return value || undefined;
}

function portIsFree(host, port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function waitForHealth() {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (wranglerExited || stopping) throw new Error('wrangler dev stopped before it was ready');
    try {
      const res = await fetch(`${BASE_URL}/health`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${BASE_URL}/health did not answer 200 within ${READY_TIMEOUT_MS / 1000} s`);
}

/** The saved demo merchant if its test secret key still works here, else a new one (saved). */
async function demoMerchant(token) {
  let reason = 'no .dev-merchant.json yet';
  if (existsSync(MERCHANT_FILE)) {
    let saved;
    try {
      saved = JSON.parse(readFileSync(MERCHANT_FILE, 'utf8'));
    } catch {
      reason = '.dev-merchant.json is not valid JSON';
    }
    const key = saved?.keys?.test?.secret;
    if (typeof key === 'string') {
      const res = await fetch(`${BASE_URL}/v1/payment_intents?limit=1`, { headers: { Authorization: `Bearer ${key}` } });
      await res.arrayBuffer();
      if (res.status === 200) return { merchant: saved, reused: true };
      reason = `its test secret key is not accepted here (HTTP ${res.status}; the local database was probably reset)`;
    } else if (saved) {
      reason = '.dev-merchant.json has no keys.test.secret';
    }
  }

  const res = await fetch(`${BASE_URL}/v1/admin/merchants`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Demo merchant' }),
  });
  const body = await res.text();
  if (res.status !== 201) {
    throw new Error(`POST /v1/admin/merchants answered ${res.status}: ${body}`);
  }
  const merchant = JSON.parse(body);
  // The API shows keys once; this file is the only copy (gitignored).
  saveMerchant(merchant);
  return { merchant, reused: false, reason };
}

/** .dev-merchant.json: the merchant and its keys, and (`dev`) where this run serves it, for scripts/pay-intent.mjs. */
function saveMerchant(merchant) {
  writeFileSync(MERCHANT_FILE, `${JSON.stringify(merchant, null, 2)}\n`, { mode: 0o600 });
}

/** A second `npm run dev` in this checkout: says which one runs, and how to use it or stop it. */
function refuseSecondInstance(holder) {
  const who = holder ? `pid ${holder.pid}, since ${holder.startedAt}` : 'it is starting';
  const lines = [
    `another \`npm run dev\` is running in this checkout (${who})${holder ? `: ${holder.apiBase}, chain ${holder.rpcUrl}` : ''}.`,
    `  Two would share ${relative(ROOT, STATE_DIR)} (the local D1 database, Durable Objects and chain) and ${relative(ROOT, MERCHANT_FILE)};`,
    '  SQLite cannot serve one database to two servers (SQLITE_BUSY), so this one does not start.',
  ];
  if (holder) {
    lines.push(
      '  Use the running one (its demo merchant is in .dev-merchant.json):',
      `    curl ${holder.apiBase}/health`,
      `    ${payIntentCommand(holder.apiBase, holder.rpcUrl)}`,
      `  or stop it first (Ctrl-C in its terminal, or kill -INT ${holder.pid}).`,
    );
  }
  lines.push(
    '  For a second, independent server, use a second checkout (its own .wrangler/state), on other ports:',
    `    git worktree add ../${basename(ROOT)}-2 && cd ../${basename(ROOT)}-2 && npm ci && PORT=${PORT + 1} CHAIN_PORT=${CHAIN_PORT + 1} npm run dev`,
  );
  fail(lines.join('\n'));
}

/** scripts/pay-intent.mjs for a server and chain, with API_BASE / RPC_URL when they are not its defaults. */
function payIntentCommand(apiBase, rpcUrl, id = 'pi_…') {
  const env = [
    ...(apiBase === DEFAULT_BASE_URL ? [] : [`API_BASE=${apiBase}`]),
    ...(rpcUrl === DEFAULT_RPC_URL ? [] : [`RPC_URL=${rpcUrl}`]),
  ];
  return [...env, 'node scripts/pay-intent.mjs', id].join(' ');
}

/**
 * New merchants get the demo xpub from DEFAULT_CRYPTO_XPUB; one saved by a run from before that has
 * none, so it is set here. An xpub set by hand is left alone.
 */
async function ensureDemoXpub(merchant, token) {
  const res = await fetch(`${BASE_URL}/v1/crypto_settings`, { headers: { Authorization: `Bearer ${merchant.keys.test.secret}` } });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET /v1/crypto_settings answered ${res.status}: ${body}`);
  const { xpub } = JSON.parse(body);
  if (xpub === DEMO_XPUB) return "the demo xpub (anvil's test mnemonic)";
  if (xpub !== null) return 'an xpub set by hand (kept; payments go to that wallet)';
  const set = await fetch(`${BASE_URL}/v1/admin/merchants/${merchant.id}/crypto`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ xpub: DEMO_XPUB }),
  });
  const setBody = await set.text();
  if (set.status !== 200) throw new Error(`POST /v1/admin/merchants/${merchant.id}/crypto answered ${set.status}: ${setBody}`);
  return "the demo xpub (anvil's test mnemonic), set now";
}

function printSummary(merchant, reused, reason, xpubNote) {
  const file = relative(process.cwd(), MERCHANT_FILE);
  const test = merchant.keys.test;
  const lines = [
    '',
    '='.repeat(78),
    ` edge-payment-intents is running at ${BASE_URL}`,
    `   API reference: ${BASE_URL}/docs   OpenAPI: ${BASE_URL}/openapi.json`,
    `   Admin token:   ADMIN_TOKEN in ${relative(process.cwd(), DEV_VARS)} (for /v1/admin/*)`,
    '',
    reused
      ? ` Demo merchant (reused from ${file}): ${merchant.id}`
      : ` Demo merchant (created now: ${reason}; keys saved to ${file}): ${merchant.id}`,
    `   test secret key:      ${test.secret}`,
    `   test publishable key: ${test.publishable}`,
    `   (live keys are in ${file}; live confirmation is refused: no processor is configured)`,
    `   crypto: ${xpubNote}`,
    '',
    ` Local chain (network "local", chain id ${chain.chainId}): ${chain.rpcUrl}, a block every ${CHAIN_BLOCK_TIME} s`,
    `   kept in ${relative(process.cwd(), CHAIN_STATE)} across restarts (${chain.state.loaded ? `loaded at block ${chain.state.headAtStart}` : 'new this start'}); rm -r .wrangler/state resets it with the database`,
    `   usdc (6 decimals): ${chain.usdc.address}`,
    `   demo payer (anvil account 0; 1,000,000 usdc minted to it on a new chain): ${chain.accounts[0].address}`,
    `   recurring debits (owner: anvil account ${CONTRACTS_OWNER_ACCOUNT}, ${debits.owner}):`,
    `     ConnectedWallets: ${debits.connectedWallets.address}`,
    `     VirtualAccounts:  ${debits.virtualAccounts.address}`,
    `   escrow (owner: anvil account ${ESCROW_OWNER_ACCOUNT}, ${escrow.owner}): ${escrow.address}`,
    `   relayer (RELAYER_PRIVATE_KEY in ${relative(process.cwd(), DEV_VARS)}): ${debits.relayer.address}, ${formatEth(debits.relayer.balance)} eth`,
    '',
    ' Try it:',
    `   curl ${BASE_URL}/v1/payment_intents -u ${test.secret}: -d amount=2000 -d currency=usd`,
    '   pay a crypto intent from the demo payer (README: "Crypto payments (local chain)"):',
    `     ${payIntentCommand(BASE_URL, chain.rpcUrl)}`,
    '   a shop whose "Check out" makes a Checkout Session and sends you to its hosted page (README: "Hosted checkout"):',
    `     ${BASE_URL === DEFAULT_BASE_URL ? '' : `API_BASE=${BASE_URL} `}node scripts/checkout-server.mjs   then open http://127.0.0.1:4242`,
    '',
    ` Ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s. Ctrl-C stops the server and the chain (which is saved).`,
    '='.repeat(78),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
