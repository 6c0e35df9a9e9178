#!/usr/bin/env node
/**
 * The chain bench: what watching the chain costs in RPC calls, and how soon a payment is seen.
 *
 *   node bench/chain.mjs            standalone: prints a table, writes nothing
 *   import { runChainBench } from './chain.mjs'; const results = await runChainBench({ log });
 *
 * A local anvil (scripts/local-chain.mjs, the demo usdc; a block mined every BLOCK_MS by the bench,
 * as a real chain makes them), a counting JSON-RPC proxy in front of it (node http: every request
 * the worker sends is counted by method, batches included), and a `wrangler dev` of this worker with
 * CHAINS pointing at the proxy — its own state directory (.wrangler/bench-chain, wiped at the start)
 * and its own ports, like bench/run.mjs.
 *
 *   1. 1, 100, then 1,000 waiting crypto intents (created and confirmed through the API): the RPC
 *      calls per minute the worker makes while they wait, by method, over WINDOW_MS each.
 *   2. 50 transfers to 50 more intents: the time from the transfer's block being mined (the
 *      transaction's answer from anvil, which mines it at once) to the intent reading `processing`
 *      through the API (polled every 25 ms), p50 and p99.
 *
 * RPC calls follow the network's poll interval and its blocks, not the intents: the 1,000 column
 * should read like the 1 column. (Before the chain watcher, each waiting intent polled on its own:
 * about 3 calls per poll interval each.)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { encodeFunctionData, parseAbi } from 'viem';
import { d1Bindings } from '../scripts/d1-bindings.mjs';
import { freePort, stopChild } from './processes.mjs';
import { ANVIL_MNEMONIC, startLocalChain } from '../scripts/local-chain.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STATE = join(ROOT, '.wrangler', 'bench-chain');
const HOST = '127.0.0.1';
const SIZES = (process.env.BENCH_CHAIN_SIZES ?? '1,100,1000').split(',').map(Number);
const WINDOW_MS = Number(process.env.BENCH_CHAIN_WINDOW_MS ?? 30_000);
const BLOCK_MS = Number(process.env.BENCH_CHAIN_BLOCK_MS ?? 2_000);
const POLL_INTERVAL_MS = 1_000;
const CONFIRMATIONS = 3;
const TRANSFERS = Number(process.env.BENCH_CHAIN_TRANSFERS ?? 50);
const TRANSFER_CONCURRENCY = 5;
const ERC20 = parseAbi(['function transfer(address to, uint256 value) returns (bool)']);

/** Runs the bench; `log` gets progress lines. Returns a plain object (see the bottom of this file for its shape). */
export async function runChainBench({ log = () => {} } = {}) {
  const wranglerBin = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' };
  const adminToken = randomBytes(24).toString('hex');
  rmSync(STATE, { recursive: true, force: true });
  mkdirSync(STATE, { recursive: true });

  const chain = await startLocalChain();
  const proxy = await countingProxy(chain.rpcUrl);
  const chains = {
    bench: { ...chain.chainsConfig.local, rpcUrls: [proxy.url], pollIntervalMs: POLL_INTERVAL_MS, confirmations: CONFIRMATIONS },
  };
  const port = await freePort(HOST);
  const inspectorPort = await freePort(HOST);
  const base = `http://${HOST}:${port}`;
  let server;
  let miner;
  try {
    for (const binding of d1Bindings(join(ROOT, 'wrangler.toml'))) {
      await run(wranglerBin, ['d1', 'migrations', 'apply', binding, '--local', '--persist-to', STATE], env);
    }
    server = await startServer();
    // Blocks keep coming, as on a real chain: mined straight on anvil (not through the proxy).
    miner = setInterval(() => void rpc(chain.rpcUrl, 'anvil_mine', ['0x1']).catch(() => undefined), BLOCK_MS);

    const merchant = await api('POST', '/v1/admin/merchants', adminToken, { name: 'Chain bench' }, 201);
    const xpub = HDKey.fromMasterSeed(mnemonicToSeedSync(ANVIL_MNEMONIC)).derive("m/44'/60'/0'").publicExtendedKey;
    await api('POST', `/v1/admin/merchants/${merchant.id}/crypto`, adminToken, { xpub }, 200);
    const sk = merchant.keys.test.secret;

    const results = {
      chain: { pollIntervalMs: POLL_INTERVAL_MS, blockMs: BLOCK_MS, confirmations: CONFIRMATIONS, windowMs: WINDOW_MS },
      waiting: [],
      latency: null,
    };
    const waiting = [];
    for (const size of SIZES) {
      log(`${size} waiting intents: creating and confirming ${size - waiting.length} more`);
      waiting.push(...(await confirmedIntents(sk, size - waiting.length)));
      await allWatched(waiting.map((i) => i.address));
      proxy.reset();
      const started = Date.now();
      await sleep(WINDOW_MS);
      const counts = proxy.reset();
      const minutes = (Date.now() - started) / 60_000;
      const perMinute = Object.fromEntries(Object.entries(counts).map(([method, n]) => [method, round(n / minutes)]));
      const total = round(Object.values(counts).reduce((a, b) => a + b, 0) / minutes);
      results.waiting.push({ intents: size, rpcCallsPerMinute: total, byMethod: perMinute });
      log(`${size} waiting intents: ${total} RPC calls per minute`);
    }

    log(`${TRANSFERS} transfers: block mined → processing`);
    const payees = await confirmedIntents(sk, TRANSFERS);
    await allWatched([...waiting, ...payees].map((i) => i.address));
    const latencies = [];
    let next = 0;
    // One payer per worker (concurrent transactions of one account would race for its nonce), each
    // funded with usdc by the first account, which holds it all.
    const payers = chain.accounts.slice(1, 1 + TRANSFER_CONCURRENCY).map((a) => a.address);
    for (const payer of payers) {
      const data = encodeFunctionData({ abi: ERC20, functionName: 'transfer', args: [payer, 1_000_000_000n] });
      await rpc(chain.rpcUrl, 'eth_sendTransaction', [{ from: chain.accounts[0].address, to: chain.usdc.address, data }]);
    }
    const worker = async (payer) => {
      while (next < payees.length) {
        const intent = payees[next++];
        const data = encodeFunctionData({ abi: ERC20, functionName: 'transfer', args: [intent.address, BigInt(intent.amount)] });
        // Automine: anvil answers once the transaction's block is mined.
        await rpc(chain.rpcUrl, 'eth_sendTransaction', [{ from: payer, to: chain.usdc.address, data }]);
        const mined = performance.now();
        for (;;) {
          const status = (await api('GET', `/v1/payment_intents/${intent.id}`, sk, undefined, 200)).status;
          if (status === 'processing' || status === 'succeeded') break;
          await sleep(25);
        }
        latencies.push(performance.now() - mined);
      }
    };
    await Promise.all(payers.map(worker));
    latencies.sort((a, b) => a - b);
    results.latency = {
      transfers: latencies.length,
      p50Ms: Math.round(percentile(latencies, 0.5)),
      p99Ms: Math.round(percentile(latencies, 0.99)),
      maxMs: Math.round(latencies.at(-1)),
    };
    return results;
  } finally {
    clearInterval(miner);
    await stopChild(server);
    await proxy.close();
    await chain.stop();
  }

  // --- helpers (closures over this run's server) --------------------------------------------------

  async function confirmedIntents(sk, count) {
    const made = [];
    let i = 0;
    const worker = async () => {
      while (i < count) {
        i++;
        const created = await api('POST', '/v1/payment_intents', sk, {
          amount: 1099,
          currency: 'usd',
          payment_method_types: ['crypto'],
          payment_method_options: { crypto: { network: 'bench', token: 'usdc' } },
        });
        const confirmed = await api('POST', `/v1/payment_intents/${created.id}/confirm`, sk, {});
        made.push({ id: confirmed.id, address: confirmed.next_action.crypto_transfer.deposit_address, amount: confirmed.crypto.amount });
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    return made;
  }

  /** Waits until the watcher's eth_getLogs filters have named every one of these addresses (they registered). */
  async function allWatched(addresses) {
    const wanted = addresses.map((a) => `0x${'0'.repeat(24)}${a.slice(2).toLowerCase()}`);
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (wanted.every((a) => proxy.watched(a))) return;
      await sleep(250);
    }
    throw new Error('the intents did not all register with the chain watcher within 120 s');
  }

  async function api(method, path, token, body, expected = 200) {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
        return await res.json();
      } catch (error) {
        // A dropped keep-alive connection; only reads are retried (a write could have landed).
        if (method !== 'GET' || attempt === 3 || !(error instanceof TypeError)) throw error;
      }
    }
  }

  async function startServer() {
    const child = spawn(
      process.execPath,
      [
        wranglerBin,
        'dev',
        '--ip',
        HOST,
        '--port',
        String(port),
        '--inspector-port',
        String(inspectorPort),
        '--persist-to',
        STATE,
        '--var',
        `ADMIN_TOKEN:${adminToken}`,
        '--var',
        `CHAINS:${JSON.stringify(chains)}`,
        '--log-level',
        'warn',
        '--show-interactive-dev-session=false',
      ],
      { env, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
      try {
        if ((await fetch(`${base}/health`)).ok) return child;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    child.kill('SIGTERM');
    throw new Error('wrangler dev did not answer /health within 120 s');
  }
}

/** Prints the results as a table. */
export function printChainTable(results, write = (line) => process.stdout.write(`${line}\n`)) {
  const methods = [...new Set(results.waiting.flatMap((w) => Object.keys(w.byMethod)))].sort();
  const { pollIntervalMs, blockMs, confirmations, windowMs } = results.chain;
  write(
    `RPC calls per minute while intents wait (poll ${pollIntervalMs} ms, a block every ${blockMs} ms, ${confirmations} confirmations, ${windowMs / 1000} s each)`,
  );
  write(['waiting intents'.padEnd(22), ...results.waiting.map((w) => String(w.intents).padStart(10))].join(''));
  for (const method of methods) {
    write([method.padEnd(22), ...results.waiting.map((w) => String(w.byMethod[method] ?? 0).padStart(10))].join(''));
  }
  write(['total'.padEnd(22), ...results.waiting.map((w) => String(w.rpcCallsPerMinute).padStart(10))].join(''));
  const l = results.latency;
  write(`block mined → processing over ${l.transfers} transfers: p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms (max ${l.maxMs} ms)`);
}

/**
 * A JSON-RPC proxy on 127.0.0.1 that forwards every request to `upstream` and counts it by method
 * (each call of a batch). It also keeps every recipient an eth_getLogs filter has named: a
 * registered watch stays in the watcher's filter while it lasts.
 */
async function countingProxy(upstream) {
  let counts = {};
  const recipients = new Set();
  const server = createHttpServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      const parsed = JSON.parse(body);
      for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
        counts[call.method] = (counts[call.method] ?? 0) + 1;
        if (call.method === 'eth_getLogs') {
          const to = call.params?.[0]?.topics?.[2];
          for (const address of Array.isArray(to) ? to : to ? [to] : []) recipients.add(address);
        }
      }
    } catch {
      counts.unparsable = (counts.unparsable ?? 0) + 1;
    }
    try {
      const answer = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(await answer.text());
    } catch (error) {
      res.writeHead(502);
      res.end(String(error));
    }
  });
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  return {
    url: `http://${HOST}:${server.address().port}`,
    /** The counts since the last reset, and a fresh start. */
    reset() {
      const taken = counts;
      counts = {};
      return taken;
    },
    watched: (address) => recipients.has(address),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function rpc(url, method, params) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const answer = await res.json();
  if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
  return answer.result;
}

/** A wrangler command, quiet when it succeeds; its whole output when it fails. */
function run(bin, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`wrangler ${args.join(' ')} failed:\n${output}`))));
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(n) {
  return Math.round(n * 10) / 10;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.chdir(ROOT);
  const results = await runChainBench({ log: (line) => process.stdout.write(`[bench:chain] ${line}\n`) });
  printChainTable(results);
  if (process.env.BENCH_CHAIN_OUT) writeFileSync(process.env.BENCH_CHAIN_OUT, `${JSON.stringify(results, null, 2)}\n`);
}
