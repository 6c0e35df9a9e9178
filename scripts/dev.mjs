#!/usr/bin/env node
/**
 * `npm run dev`: a local payment-intent API with a demo merchant, from a fresh clone or a second run.
 *
 *   1. applies the D1 migrations to the local database (`wrangler d1 migrations apply DB --local`);
 *   2. makes sure .dev.vars holds an ADMIN_TOKEN (a random one is written if missing; never replaced);
 *   3. starts `wrangler dev --ip 127.0.0.1 --port $PORT` (default 8787), forwarding output and signals;
 *   4. once GET /health answers 200, reuses the merchant in .dev-merchant.json if its test secret key
 *      still works, or creates one through POST /v1/admin/merchants and saves its keys there;
 *   5. prints the URL, the keys and a curl example, and keeps running until wrangler exits (Ctrl-C).
 *
 * Plain Node (>= 20), no dependencies. State lives in .wrangler/state (local D1 and Durable Objects).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEV_VARS = join(ROOT, '.dev.vars');
const MERCHANT_FILE = join(ROOT, '.dev-merchant.json');
const HOST = '127.0.0.1';
const PORT = parsePort(process.env.PORT ?? '8787');
const BASE_URL = `http://${HOST}:${PORT}`;
const READY_TIMEOUT_MS = 120_000;

// Wrangler must not try to phone home: there may be no network at all.
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? 'false' };

const say = (line = '') => process.stdout.write(`[dev] ${line}\n`);
const fail = (message) => {
  process.stderr.write(`[dev] error: ${message}\n`);
  process.exit(1);
};

process.chdir(ROOT);
const wranglerBin = resolveWrangler();

// 1. Migrations. `d1 migrations apply` asks "continue?" unless it sees a non-interactive terminal or
//    CI (it has no --yes flag); CI=true plus a closed stdin answers yes without a prompt.
say('applying D1 migrations to the local database (.wrangler/state)');
const migrated = await run(process.execPath, [wranglerBin, 'd1', 'migrations', 'apply', 'DB', '--local'], {
  env: { ...childEnv, CI: 'true' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (migrated !== 0) fail(`wrangler d1 migrations apply exited with ${migrated}`);

// 2. The admin token, read by wrangler dev from .dev.vars.
const adminToken = ensureAdminToken();

// 3. The server. A port already taken (say, by an earlier `npm run dev`) would make the health check
//    below talk to the wrong server, so refuse early.
if (!(await portIsFree(HOST, PORT))) {
  fail(`${HOST}:${PORT} is already in use. Stop whatever listens there, or pick another port: PORT=8788 npm run dev`);
}
say(`starting wrangler dev on ${BASE_URL}`);
const wrangler = spawn(process.execPath, [wranglerBin, 'dev', '--ip', HOST, '--port', String(PORT)], {
  env: childEnv,
  stdio: 'inherit',
});
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
exited.then(({ code, signal }) => {
  if (!stopping && code !== 0) process.stderr.write(`[dev] wrangler dev exited (${signal ?? code})\n`);
  process.exit(stopping ? 0 : (code ?? 1));
});

// 4. Seed, once the worker answers.
try {
  await waitForHealth();
  const { merchant, reused, reason } = await demoMerchant(adminToken);
  printSummary(merchant, reused, reason);
} catch (error) {
  if (!wranglerExited && !stopping) {
    process.stderr.write(`[dev] error: ${error.message}\n[dev] the server keeps running; fix the problem and restart.\n`);
  }
}

// --- helpers -----------------------------------------------------------------------------------

function parsePort(raw) {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) fail(`PORT must be a TCP port number, got ${JSON.stringify(raw)}`);
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

function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, options);
    child.on('error', (error) => fail(`could not run ${command}: ${error.message}`));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
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
  writeFileSync(MERCHANT_FILE, `${JSON.stringify(merchant, null, 2)}\n`, { mode: 0o600 });
  return { merchant, reused: false, reason };
}

function printSummary(merchant, reused, reason) {
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
    '',
    ' Try it:',
    `   curl ${BASE_URL}/v1/payment_intents -u ${test.secret}: -d amount=2000 -d currency=usd`,
    '',
    ' Ctrl-C stops the server.',
    '='.repeat(78),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
