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
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

const HOST = '127.0.0.1';
const CHROMIUM = '/usr/bin/chromium';

export interface DevServer {
  url: string;
  stop(): Promise<void>;
}

/** `wrangler dev` on a free port, with its own throwaway state; resolves once GET /health answers 200. */
export async function startWranglerDev(): Promise<DevServer> {
  const wrangler = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const state = mkdtempSync(join(tmpdir(), 'pages-test-'));
  const url = `http://${HOST}:${port}`;
  let output = '';
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
    ],
    { env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
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
      if ((await fetch(`${url}/health`)).ok) return { url, stop };
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
  const context = await browser.newContext();
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    if (hostname === HOST || hostname === 'localhost') return route.continue();
    blocked.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  return { browser, context, blocked };
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
