#!/usr/bin/env node
/**
 * A real local EVM chain for tests and `npm run dev`: anvil (npm `@foundry-rs/anvil-linux-amd64`) with its
 * deterministic default accounts, and a demo stablecoin `usdc` (ERC-20, 6 decimals) deployed on it.
 *
 *   import { startLocalChain } from './scripts/local-chain.mjs';
 *   const chain = await startLocalChain();        // a free port; { port: 8545 } for a fixed one
 *   chain.rpcUrl, chain.usdc.address, chain.accounts[0].privateKey, chain.chainsConfig
 *   await chain.stop();
 *
 *   node scripts/local-chain.mjs [--port 8545] [--block-time 2] [--state <file>] [--logs]   starts one and prints its CHAINS config
 *
 * Automine by default (tests): every transaction gets its own block at once; confirmations come from
 * mining more (`anvil_mine`). `blockTime` (seconds) mines a block every N seconds instead, as a real
 * chain does, so confirmations arrive by themselves (`npm run dev`). anvil is stopped on stop(), on
 * this process's exit, and — through a tiny watchdog process reading a pipe from this one — even
 * when this process dies without running exit handlers (SIGKILL, a crash).
 *
 * Without `statePath` the chain is new and empty every time (tests). With it (`npm run dev`), anvil
 * loads the chain from that file if it exists and writes it back on exit and every
 * `stateInterval` seconds (`--state`, `--state-interval`), so blocks, balances and the token survive
 * a restart, and a hard kill loses at most the last interval. The demo token is deployed only when
 * it is not on the chain yet: at the address of the deployer's first transaction, with exactly the
 * code this file compiles.
 *
 * The token is compiled with solc-js against @openzeppelin/contracts (no network) and the bytecode
 * cached in node_modules/.cache/local-chain, keyed by compiler, sources and settings (`compileSolidity`,
 * which scripts/contracts.mjs uses too). Plain Node
 * (>= 20); uses the project's viem and dev dependencies.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getAddress, getContractAddress } from 'viem/utils';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'package.json'));

/** anvil's default; the same one `mnemonicToAccount` tests derive from. */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';
export const LOCAL_CHAIN_ID = 31337;
/** How many default accounts are returned (anvil funds 10 with 10,000 ETH each). */
const ACCOUNT_COUNT = 10;
const USDC_DECIMALS = 6;
/** Minted to the first default account at start: 1,000,000 USDC. */
const USDC_MINTED = 1_000_000n * 10n ** BigInt(USDC_DECIMALS);
const START_TIMEOUT_MS = 15_000;
/** Seconds between state dumps when the chain is kept in a file. */
const DEFAULT_STATE_INTERVAL = 10;
/** How long anvil may take to exit (and write its state) after SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;

/** The chain's state file could not be loaded (cut short by a hard kill mid-write, say). */
export class UnreadableChainState extends Error {
  constructor(statePath, detail) {
    super(`anvil could not load the chain's state from ${statePath}: ${detail}`);
    this.name = 'UnreadableChainState';
    this.statePath = statePath;
  }
}

const TOKEN_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

import "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// The local chain's demo stablecoin: 6 decimals, like USDC. Anyone may mint: it is a faucet for
/// tests and demos, and exists only on a local chain.
contract LocalUSDC is ERC20 {
    constructor() ERC20("USD Coin", "USDC") {}

    function decimals() public pure override returns (uint8) {
        return ${USDC_DECIMALS};
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
`;

/**
 * Starts anvil, deploys the demo stablecoin and mints to the first default account (or, on a chain
 * loaded from `statePath` that has it already, finds it there). `onLog` gets anvil's log lines once
 * it listens (by default they are dropped). `timings` (milliseconds) says where start-up time went.
 * `chainId` replaces anvil's 31337 (a chain whose transactions are signed for another id than the others').
 */
export async function startLocalChain({
  port = 0,
  host = '127.0.0.1',
  blockTime,
  onLog,
  statePath,
  stateInterval = DEFAULT_STATE_INTERVAL,
  chainId: requestedChainId,
} = {}) {
  if (blockTime !== undefined && !(Number.isInteger(blockTime) && blockTime >= 1)) {
    throw new Error(`blockTime must be a whole number of seconds, at least 1, got ${blockTime}`);
  }
  if (statePath !== undefined && !(Number.isInteger(stateInterval) && stateInterval >= 1)) {
    throw new Error(`stateInterval must be a whole number of seconds, at least 1, got ${stateInterval}`);
  }
  const loaded = statePath !== undefined && existsSync(statePath);
  if (statePath !== undefined) mkdirSync(dirname(statePath), { recursive: true });
  const started = performance.now();
  const anvil = await spawnAnvil({
    port,
    host,
    blockTime,
    onLog,
    state: statePath && { path: statePath, interval: stateInterval, loaded },
    chainId: requestedChainId,
  });
  const anvilMs = performance.now() - started;

  try {
    const rpcUrl = `http://${anvil.host}:${anvil.port}`;
    const rpc = jsonRpc(rpcUrl);
    const chainId = Number(await rpc('eth_chainId', []));
    const headAtStart = BigInt(await rpc('eth_blockNumber', []));

    const compileStarted = performance.now();
    const token = compileToken();
    const compileMs = performance.now() - compileStarted;
    const deployStarted = performance.now();
    const [deployer] = anvil.accounts;
    // The token is the deployer's first transaction, so it has the same address on every chain
    // started here. On a chain loaded from a file it is there already: never deployed over itself.
    const expected = getContractAddress({ from: deployer.address, nonce: 0n });
    const code = await rpc('eth_getCode', [expected, 'latest']);
    let address = expected;
    let deployed = false;
    if (code !== '0x' && code.toLowerCase() !== token.runtimeBytecode.toLowerCase()) {
      throw new Error(
        `the chain loaded from ${statePath} has another contract at ${expected} than the demo usdc this checkout builds ` +
          `(its source or compiler changed?). Move the file away to start a new, empty chain: mv ${statePath} ${statePath}.old`,
      );
    }
    if (code === '0x') {
      // anvil's default accounts are unlocked: eth_sendTransaction signs for them.
      const deploy = await transact(rpc, { from: deployer.address, data: token.bytecode }, blockTime);
      if (deploy.status !== '0x1') throw new Error(`the USDC deployment reverted (${deploy.transactionHash})`);
      address = getAddress(deploy.contractAddress);
      const mint = await transact(
        rpc,
        { from: deployer.address, to: address, data: token.mintSelector + word(deployer.address) + word(USDC_MINTED) },
        blockTime,
      );
      if (mint.status !== '0x1') throw new Error(`minting USDC reverted (${mint.transactionHash})`);
      deployed = true;
    }
    const deployMs = performance.now() - deployStarted;

    const usdc = { address: getAddress(address), decimals: USDC_DECIMALS };
    return {
      rpcUrl,
      chainId,
      port: anvil.port,
      usdc,
      accounts: anvil.accounts,
      mnemonic: ANVIL_MNEMONIC,
      /** Where the chain is kept, and whether it was loaded from there (false: a new chain); null without statePath. */
      state: statePath === undefined ? null : { path: statePath, loaded, interval: stateInterval, headAtStart },
      /** Whether the demo token was deployed now (false: found on the loaded chain). */
      usdcDeployed: deployed,
      /** The CHAINS variable's value for this chain (an object: JSON.stringify it for the binding). */
      chainsConfig: {
        local: {
          chainId,
          rpcUrls: [rpcUrl],
          confirmations: 2,
          pollIntervalMs: 1000,
          nativeCurrency: { symbol: 'eth', decimals: 18 },
          tokens: [{ symbol: 'usdc', address: usdc.address, decimals: USDC_DECIMALS, usdPegged: true }],
        },
      },
      timings: { anvilMs, compileMs, compileCached: token.cached, deployMs, totalMs: performance.now() - started },
      /** Settles with anvil's exit code or signal when it ends, whoever ended it. */
      exited: anvil.exited,
      stop: anvil.stop,
    };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

// --- anvil ---------------------------------------------------------------------------------------

/**
 * The anvil binary, from Foundry's platform package. The project depends on the linux-x64 package
 * directly (the machines it runs on): the wrapper package `@foundry-rs/anvil` lists every platform as
 * an optional dependency, and the registry here serves only linux-x64, which leaves `npm ci` with a
 * lock file it calls out of sync. Spawning the binary itself also avoids the wrapper's extra Node
 * process, which forwards only SIGINT/SIGTERM and would leave anvil running if killed hard.
 */
function resolveAnvil() {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
  const binary = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${arch}`;
  try {
    return require.resolve(`${platformPackage}/bin/${binary}`);
  } catch {
    throw new Error(
      `the anvil binary (${platformPackage}) is not installed. The project installs @foundry-rs/anvil-linux-amd64 ` +
        `(run \`npm install\`); on another platform, install ${platformPackage} or put Foundry's anvil at that path.`,
    );
  }
}

/**
 * Resolves once anvil listens, with its port and default accounts (read from --config-out). With
 * `state`, anvil loads the chain from state.path (if it exists) and writes it there on exit and every
 * state.interval seconds; anvil is then stopped with SIGTERM (it writes the file), SIGKILL only
 * after STOP_GRACE_MS.
 */
/**
 * What kills the running anvils when this process exits: one 'exit' listener for them all (the tests
 * run ten chains, and ten listeners of their own would trip Node's leak warning).
 */
const KILL_ON_EXIT = new Set();

let killingOnExit = false;

function killOnProcessExit(kill) {
  if (!killingOnExit) {
    killingOnExit = true;
    process.once('exit', () => {
      for (const each of KILL_ON_EXIT) each();
    });
  }
  KILL_ON_EXIT.add(kill);
}

function spawnAnvil({ port, host, blockTime, onLog, state, chainId }) {
  const dir = mkdtempSync(join(tmpdir(), 'local-chain-'));
  const configOut = join(dir, 'anvil.json');
  const child = spawn(
    resolveAnvil(),
    [
      ...[
        '--port',
        String(port),
        '--host',
        host,
        '--mnemonic',
        ANVIL_MNEMONIC,
        '--accounts',
        String(ACCOUNT_COUNT),
        '--config-out',
        configOut,
      ],
      ...(blockTime ? ['--block-time', String(blockTime)] : []),
      ...(chainId ? ['--chain-id', String(chainId)] : []),
      ...(state ? ['--state', state.path, '--state-interval', String(state.interval)] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const watchdog = startWatchdog(child.pid, state ? STOP_GRACE_MS : 2_000);

  let exited = false;
  const exit = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      resolve(signal ?? code);
    }),
  );
  // On exit nothing can be awaited: SIGTERM lets anvil write its state and leave by itself (the
  // watchdog, which sees this process gone, kills it if it has not after STOP_GRACE_MS).
  const killOnExit = () => {
    if (!exited) child.kill(state ? 'SIGTERM' : 'SIGKILL');
  };
  killOnProcessExit(killOnExit);

  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      KILL_ON_EXIT.delete(killOnExit);
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), state ? STOP_GRACE_MS : 2_000);
        await exit;
        clearTimeout(timer);
      }
      watchdog?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true }); // when anvil never got as far as listening
    })();
    return stopped;
  };

  return new Promise((resolve, reject) => {
    let output = '';
    let listening = false;
    const fail = async (message) => {
      await stop();
      // anvil refuses a state file it cannot parse (cut short by a hard kill while it was written).
      const unreadable = state?.loaded && /invalid value .* for '--state <PATH>': (.*)/.exec(output);
      if (unreadable) return reject(new UnreadableChainState(state.path, unreadable[1].trim()));
      reject(new Error(`${message}\n--- anvil output ---\n${output.trim()}`));
    };
    const timer = setTimeout(() => fail(`anvil did not start listening within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);

    const onLine = (line) => {
      if (listening) return onLog?.(line);
      output += `${line}\n`;
      const match = /^Listening on (\S+):(\d+)\s*$/.exec(line);
      if (!match) return;
      listening = true;
      clearTimeout(timer);
      let config;
      try {
        config = JSON.parse(readFileSync(configOut, 'utf8'));
      } catch (error) {
        return fail(`could not read anvil's --config-out file: ${error.message}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const accounts = config.available_accounts.map((address, i) => ({
        address: getAddress(address),
        privateKey: config.private_keys[i],
      }));
      resolve({ host: match[1], port: Number(match[2]), accounts, stop, exited: exit });
    };
    // Read both streams to the end, always: anvil logs every request, and a full pipe would block it.
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop();
        for (const line of lines) onLine(line);
      });
      // anvil's last words (its refusal of a state file) may end without a newline.
      stream.on('end', () => {
        if (partial !== '') onLine(partial);
        partial = '';
      });
    }
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(`could not run anvil: ${error.message}`);
    });
    // 'close', not 'exit': it comes once anvil's output has been read to the end, so the reason it
    // stopped (a state file it cannot read) is in `output` when fail() looks for it.
    child.once('close', (code, signal) => {
      if (listening) return;
      clearTimeout(timer);
      fail(`anvil exited (${code ?? signal}) before it was listening`);
    });
  });
}

/**
 * A second process that stops anvil when this one is gone however it ended: it waits for the end
 * of a pipe whose other end only this process holds, sends SIGTERM (anvil writes its state file,
 * if it keeps one, and exits) and SIGKILL if anvil is still there after `graceMs`. Unreferenced, so
 * it never keeps us alive.
 */
function startWatchdog(anvilPid, graceMs) {
  if (anvilPid === undefined) return undefined;
  const source = `
    const pid = Number(process.argv[1]);
    const graceMs = Number(process.argv[2]);
    const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
    const end = () => {
      try { process.kill(pid, 'SIGTERM'); } catch { process.exit(0); }
      const deadline = Date.now() + graceMs;
      const check = setInterval(() => {
        if (!alive()) process.exit(0);
        if (Date.now() > deadline) { try { process.kill(pid, 'SIGKILL'); } catch {} process.exit(0); }
      }, 100);
    };
    process.stdin.on('end', end).on('error', end).resume();
  `;
  const watchdog = spawn(process.execPath, ['-e', source, String(anvilPid), String(graceMs)], { stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.on('error', () => {}); // best effort: exit handlers and stop() remain
  watchdog.stdin.on('error', () => {});
  watchdog.unref();
  watchdog.stdin.unref?.();
  return watchdog;
}

// --- the token -----------------------------------------------------------------------------------

/** The token's creation and runtime bytecode and `mint` selector; compiled once, then read from the cache. */
function compileToken() {
  const { contracts, cached } = compileSolidity({
    name: 'LocalUSDC',
    sources: { 'LocalUSDC.sol': TOKEN_SOURCE },
    outputs: { 'LocalUSDC.sol': { LocalUSDC: ['evm.bytecode.object', 'evm.deployedBytecode.object', 'evm.methodIdentifiers'] } },
  });
  const { evm } = contracts['LocalUSDC.sol'].LocalUSDC;
  return {
    bytecode: `0x${evm.bytecode.object}`,
    runtimeBytecode: `0x${evm.deployedBytecode.object}`,
    mintSelector: `0x${evm.methodIdentifiers['mint(address,uint256)']}`,
    cached,
  };
}

/**
 * Compiles Solidity sources (file name → text) with solc-js, optimizer on, for the cancun EVM, and
 * returns solc's `contracts` output for `outputs` (file → contract → solc output selection), cached in
 * node_modules/.cache/local-chain under `name`, keyed by compiler, OpenZeppelin, sources and settings.
 * Imports resolve to files under the project's root first (`contracts/Mandates.sol`), then to packages
 * (`@openzeppelin/contracts/...`): pass every project file a source imports in `sources`, so that a
 * change to it changes the key.
 */
export function compileSolidity({ name, sources, outputs }) {
  const solcVersion = JSON.parse(readFileSync(require.resolve('solc/package.json'), 'utf8')).version;
  const ozVersion = JSON.parse(readFileSync(require.resolve('@openzeppelin/contracts/package.json'), 'utf8')).version;
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([file, content]) => [file, { content }])),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      // Fixed, so the bytecode runs on any anvil hardfork from cancun on.
      evmVersion: 'cancun',
      outputSelection: outputs,
    },
  };
  const key = createHash('sha256')
    // 'contracts': the cached file holds solc's contracts output (earlier caches held the token's fields only).
    .update(JSON.stringify(['contracts', solcVersion, ozVersion, input]))
    .digest('hex')
    .slice(0, 16);
  const cacheFile = join(ROOT, 'node_modules', '.cache', 'local-chain', `${name}-${key}.json`);
  try {
    return { contracts: JSON.parse(readFileSync(cacheFile, 'utf8')), cached: true };
  } catch {
    // not compiled yet
  }

  // Loading solc-js (an 8 MB Emscripten build) alone takes about 0.3 s: only when compiling.
  const solc = require('solc');
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), {
      import: (path) => {
        try {
          const local = join(ROOT, path);
          return { contents: readFileSync(existsSync(local) ? local : require.resolve(path), 'utf8') };
        } catch (error) {
          return { error: `cannot read ${path}: ${error.message}` };
        }
      },
    }),
  );
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`compiling ${name} failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const contracts = Object.fromEntries(Object.keys(outputs).map((file) => [file, output.contracts[file]]));
  mkdirSync(dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, JSON.stringify(contracts));
  return { contracts, cached: false };
}

// --- JSON-RPC ------------------------------------------------------------------------------------

function jsonRpc(url) {
  let id = 0;
  return async (method, params) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    const body = await res.json();
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
}

/**
 * Sends a transaction and waits for its receipt. Even with automine, eth_sendTransaction can answer
 * before the block is in: eth_getTransactionReceipt may still say null right after. With interval
 * mining, a block is mined at once (`evm_mine`) instead of waiting up to `blockTime` for the next one.
 */
async function transact(rpc, tx, blockTime = 0) {
  const hash = await rpc('eth_sendTransaction', [tx]);
  if (blockTime) await rpc('evm_mine', []);
  const timeoutMs = 5_000 + 2 * blockTime * 1000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = await rpc('eth_getTransactionReceipt', [hash]);
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, blockTime ? 100 : 10));
  }
}

/** One ABI word: an address or a uint256, left-padded to 32 bytes, without 0x. */
function word(value) {
  const hex = typeof value === 'bigint' ? value.toString(16) : value.slice(2).toLowerCase();
  return hex.padStart(64, '0');
}

// --- CLI -----------------------------------------------------------------------------------------

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const portArg = args.includes('--port') ? args[args.indexOf('--port') + 1] : '8545';
  const port = Number(portArg);
  const blockTimeArg = args.includes('--block-time') ? args[args.indexOf('--block-time') + 1] : undefined;
  const statePath = args.includes('--state') ? args[args.indexOf('--state') + 1] : undefined;
  if (
    !/^\d+$/.test(portArg ?? '') ||
    port > 65535 ||
    (blockTimeArg !== undefined && !/^[1-9]\d*$/.test(blockTimeArg)) ||
    (args.includes('--state') && !statePath)
  ) {
    process.stderr.write(`usage: node scripts/local-chain.mjs [--port 8545] [--block-time <seconds>] [--state <file>] [--logs]\n`);
    process.exit(2);
  }
  const blockTime = blockTimeArg === undefined ? undefined : Number(blockTimeArg);
  const logs = args.includes('--logs');
  try {
    const chain = await startLocalChain({
      port,
      blockTime,
      statePath,
      onLog: logs ? (line) => process.stdout.write(`[anvil] ${line}\n`) : undefined,
    });
    const { timings } = chain;
    const lines = [
      `Local chain (anvil) at ${chain.rpcUrl}, chain id ${chain.chainId}, ${blockTime ? `a block every ${blockTime} s` : 'automine (a block per transaction)'}`,
      ...(chain.state
        ? [
            `  ${chain.state.loaded ? `loaded from ${chain.state.path} at block ${chain.state.headAtStart}` : `new; kept in ${chain.state.path}`} (written on exit and every ${chain.state.interval} s)`,
          ]
        : []),
      `  started in ${ms(timings.totalMs)} (anvil ${ms(timings.anvilMs)}, USDC ${timings.compileCached ? 'cached bytecode' : `compiled in ${ms(timings.compileMs)}`}, ${chain.usdcDeployed ? `deploy + mint ${ms(timings.deployMs)}` : 'already deployed'})`,
      `  USDC (6 decimals): ${chain.usdc.address}${chain.usdcDeployed ? '; 1,000,000 USDC minted to account 0' : ''}; anyone may call mint(to, amount)`,
      `  mnemonic: ${chain.mnemonic}`,
      ...chain.accounts.slice(0, 3).map((a, i) => `  account ${i}: ${a.address}  key ${a.privateKey}`),
      '',
      'CHAINS (wrangler vars / .dev.vars):',
      JSON.stringify(chain.chainsConfig),
      '',
      'Ctrl-C stops the chain.',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    let stopping = false;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.once(signal, () => {
        stopping = true;
        chain.stop().then(() => process.exit(0));
      });
    }
    chain.exited.then((codeOrSignal) => {
      if (stopping) return;
      process.stderr.write(`error: anvil exited (${codeOrSignal})\n`);
      process.exit(1);
    });
  } catch (error) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  }
}

function ms(value) {
  return `${Math.round(value)} ms`;
}
