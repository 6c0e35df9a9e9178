/// <reference types="node" />
/**
 * For page tests (Node, not workerd): the worker on a real `wrangler dev`, and a headless Chromium
 * that may talk to this machine only, so a page that needs the internet fails here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { type Address, createWalletClient, erc20Abi, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { d1Bindings } from '../../scripts/d1-bindings.mjs';
import { type LocalChain, startLocalChain } from '../../scripts/local-chain.mjs';

const HOST = '127.0.0.1';
const CHROMIUM = '/usr/bin/chromium';

export interface DevServer {
  url: string;
  /** What wrangler dev printed so far (the worker's logs among it). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * `wrangler dev` on a free port, with its own throwaway state; resolves once GET /health answers 200.
 * `vars` are passed as `--var NAME:value` (CHAINS, ADMIN_TOKEN, …) besides PUBLIC_BASE_URL.
 */
export async function startWranglerDev({
  vars = {},
  migrate = false,
}: {
  vars?: Record<string, string>;
  /** Apply the D1 migrations of every binding to the throwaway state first (as `npm run dev` does), for pages that read D1. */
  migrate?: boolean;
} = {}): Promise<DevServer> {
  const wrangler = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const state = mkdtempSync(join(tmpdir(), 'pages-test-'));
  if (migrate) await applyMigrations(wrangler, state);
  const url = `http://${HOST}:${port}`;
  let output = '';
  let everything = '';
  const child = spawn(
    process.execPath,
    [
      wrangler,
      'dev',
      '--ip',
      HOST,
      '--port',
      String(port),
      // Its own inspector port, so a `npm run dev` beside it does not collide on 9229.
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      state,
      '--show-interactive-dev-session=false',
      // Links and the OpenAPI server are built on PUBLIC_BASE_URL: this server's own origin.
      '--var',
      `PUBLIC_BASE_URL:${url}`,
      // `--var NAME:value` splits at the first colon only, and no shell is involved: JSON passes as it is.
      ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
    ],
    {
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    everything += chunk.toString();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const stop = async () => {
    await stopChild(child);
    rmSync(state, { recursive: true, force: true });
  };

  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, output: () => everything, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not answer ${url}/health (exit code ${child.exitCode}):\n${output}`);
}

export interface OfflineBrowser {
  browser: Browser;
  context: BrowserContext;
  /** Requests to anywhere but this machine, refused before they left. */
  blocked: string[];
}

/** Headless Chromium (Debian's) whose every request to a host other than 127.0.0.1 / localhost is aborted and recorded. */
export async function launchOfflineBrowser(): Promise<OfflineBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`page tests need Chromium at ${CHROMIUM}: apt-get update && apt-get install -y chromium (.ci/run does)`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const blocked: string[] = [];
  const context = await newOfflineContext(browser, blocked);
  return { browser, context, blocked };
}

/** Another context of the browser, as offline as the first (`options`: e.g. `javaScriptEnabled: false`); what it refused goes to `blocked`. */
export async function newOfflineContext(browser: Browser, blocked: string[], options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  await context.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    if (hostname === HOST || hostname === 'localhost') return route.continue();
    blocked.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  return context;
}

/** Mines blocks on the local chain (anvil's automine gives each transaction its own block; confirmations need more). */
/** A phone-sized viewport: the hosted page must be readable at this width. */
export const PHONE = { width: 390, height: 844 };

/**
 * A phone-sized page of `context` whose problems are collected into `problems`: page errors, console
 * errors (a CSP violation is one) and any 5xx answer. A refused request's "Failed to load resource"
 * line is not counted: the tests judge those answers by their status (a 404 page, a 400/402 to a confirm).
 */
export async function newWatchedPage(context: BrowserContext, problems: string[]): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize(PHONE);
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(`console error: ${message.text()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 500) problems.push(`${res.status()} from ${res.url()}`);
  });
  return page;
}

export async function mine(chain: LocalChain, blocks = 1): Promise<void> {
  const res = await fetch(chain.rpcUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_mine', params: [`0x${blocks.toString(16)}`] }),
  });
  if (!res.ok) throw new Error(`anvil_mine: ${res.status}`);
}

/** USDC from anvil's account 0 (which holds the demo usdc) to `to`, signed here with viem. */
export async function sendUsdc(chain: LocalChain, to: string, amount: bigint): Promise<void> {
  const account = privateKeyToAccount(chain.accounts[0]!.privateKey);
  const wallet = createWalletClient({ account, transport: http(chain.rpcUrl) });
  await wallet.writeContract({
    chain: {
      id: chain.chainId,
      name: 'local',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [chain.rpcUrl] } },
    },
    address: chain.usdc.address,
    abi: erc20Abi,
    functionName: 'transfer',
    args: [to as Address, amount],
  });
}

/** The QR code on the page, decoded from a screenshot of it. */
export async function decodeQr(page: Page): Promise<string | null> {
  const png = PNG.sync.read(await page.locator('svg.qr').screenshot());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
}

/**
 * An EIP-1193 wallet (window.ethereum) in the page, backed by anvil's unlocked default account:
 * anvil signs eth_sendTransaction itself. Records the methods the page called.
 */
export async function injectAnvilWallet(page: Page, chain: LocalChain): Promise<string[]> {
  const calls: string[] = [];
  await page.exposeFunction('anvilRequest', async (method: string, params: unknown[]) => {
    calls.push(method);
    if (method === 'eth_requestAccounts') method = 'eth_accounts';
    if (method === 'wallet_switchEthereumChain') {
      const [{ chainId }] = params as [{ chainId: string }];
      if (chainId !== `0x${chain.chainId.toString(16)}`) throw new Error(`unknown chain ${chainId}`);
      return null;
    }
    const res = await fetch(chain.rpcUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(body.error.message);
    return body.result;
  });
  await page.addInitScript(() => {
    const forward = (globalThis as any).anvilRequest;
    (globalThis as any).ethereum = {
      isMetaMask: false,
      request: ({ method, params = [] }: { method: string; params?: unknown[] }) => forward(method, params),
    };
  });
  return calls;
}

/** `wrangler d1 migrations apply <binding> --local` for each D1 binding of wrangler.toml, into `state`. */
async function applyMigrations(wrangler: string, state: string): Promise<void> {
  for (const binding of d1Bindings('wrangler.toml')) {
    // CI=true and a closed stdin: no "continue?" prompt (the command has no --yes).
    const child = spawn(process.execPath, [wrangler, 'd1', 'migrations', 'apply', binding, '--local', '--persist-to', state], {
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    if (code !== 0) throw new Error(`wrangler d1 migrations apply ${binding} --local exited with ${code}:\n${output}`);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const PAGES_ADMIN_TOKEN = 'pages-test-admin-token';

export interface DevServerWithChain {
  server: DevServer;
  chain: LocalChain;
  /** Where POST /v1/admin/* is open: the token the server was started with. */
  adminToken: string;
  stop(): Promise<void>;
}

/**
 * A local anvil chain (scripts/local-chain.mjs: the demo usdc minted to account 0) and `wrangler
 * dev` with it as network `local` (CHAINS, polled every 500 ms, the least CHAINS takes, so tests wait less) and an admin token
 * to make merchants with, as `npm run dev` wires them (scripts/dev.mjs).
 */
export async function startWranglerDevWithChain(): Promise<DevServerWithChain> {
  const chain = await startLocalChain();
  try {
    const chains = { local: { ...chain.chainsConfig.local, pollIntervalMs: 500 } };
    const server = await startWranglerDev({ migrate: true, vars: { CHAINS: JSON.stringify(chains), ADMIN_TOKEN: PAGES_ADMIN_TOKEN } });
    return {
      server,
      chain,
      adminToken: PAGES_ADMIN_TOKEN,
      stop: async () => {
        await server.stop();
        await chain.stop();
      },
    };
  } catch (error) {
    await chain.stop();
    throw error;
  }
}
