#!/usr/bin/env node
/**
 * `npm run bench`: what this service's users do, on a local `wrangler dev` loaded with autocannon,
 * beside what the stack allows, in one run on one machine. Machines here are shared and noisy, so a
 * route's throughput counts as a ratio to its process's floor (GET /health: no storage), measured
 * right before it; absolute numbers alone say little.
 *
 * Two servers, started alike (the same wrangler and flags, the same static-assets layer in front):
 * the product (wrangler.toml), and the reference worker (bench/reference/), which does only the
 * least durable I/O a write needs (a new Durable Object's SQLite insert, then one D1 insert) and a
 * list needs (one indexed D1 select of the list's shape, over as many rows).
 *
 *   small: 1,000 intents made through the API (plus the confirm pools). create and confirm without
 *          and with an Idempotency-Key (the official SDK sends a fresh one with every POST), retrieve,
 *          the browser lookup, list, search; the reference's write and select
 *   large: LARGE intents, the rest written straight into both D1s: list, search and select again
 *   page: the hosted payment page's time to first byte beside the floor's, and the live status push
 *         (a change → the message in a real Chromium's socket, p50 and p99 over 100 changes): bench/page.mjs
 *   webhooks: state change → signed request received (p50, p99), and sustained deliveries per second
 *   chain: runChainBench of bench/chain.mjs, when that file exists (BENCH_CHAIN=0 skips it)
 *
 * Every route at 20 connections (throughput) and at 1 (latency p50, p99). Prints a table and each
 * target as PASS or MISS, and writes both to bench/results.json (BENCH_OUT: another file). State in
 * .wrangler/bench and .wrangler/bench-reference, wiped first; its own ports: `npm run dev` is untouched.
 *
 * A short run while developing:
 *   BENCH_DURATION=2 BENCH_LARGE=5000 BENCH_WEBHOOK_SAMPLES=20 BENCH_WEBHOOK_BURST=100 BENCH_OUT=/tmp/bench.json npm run bench
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { d1Bindings } from '../scripts/d1-bindings.mjs';
import { measurePage } from './page.mjs';
import { freePort, stopChild } from './processes.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 6);
const SERIAL_DURATION_S = Number(process.env.BENCH_SERIAL_DURATION ?? DURATION_S);
/** One client, one request at a time: the latency a caller sees with no queue in front of it. */
const SERIAL = { connections: 1, duration: SERIAL_DURATION_S };
// Workerd evicts a Durable Object 10 s after its last request (miniflare's default): evicting the
// hundreds a write route woke is work of its own, which must not land in the next route's window.
const SETTLE_MS = Number(process.env.BENCH_SETTLE ?? 12) * 1000;
const SMALL = 1_000;
const LARGE = Number(process.env.BENCH_LARGE ?? 100_000);
// A confirm needs an intent of its own each time (a repeat answers 400): room for 300 req/s at
// 20 connections and 100 at 1, for each of the two confirm routes.
const CONFIRM_POOL = Number(process.env.BENCH_CONFIRM_POOL ?? DURATION_S * 300 + SERIAL_DURATION_S * 100);
const OUT = process.env.BENCH_OUT ?? join(ROOT, 'bench', 'results.json');
const ADMIN_TOKEN = randomBytes(24).toString('hex');
const RUN_ID = randomBytes(6).toString('hex');
/** Throughput ratios: keyed/keyless (req/s), route/reference (each to its own floor), route/floor; growth limits. */
const TARGETS = { keyed: 0.95, write: 0.9, select: 0.9, read: 0.8, p99Growth: 1.5, rpcGrowth: 1.1 };
const WEBHOOK_LATENCY_SAMPLES = Number(process.env.BENCH_WEBHOOK_SAMPLES ?? 200);
const WEBHOOK_BURST = Number(process.env.BENCH_WEBHOOK_BURST ?? 1_000);
const WEBHOOK_RETRY_AFTER_S = Number(process.env.BENCH_WEBHOOK_RETRY_AFTER ?? 30);
const CHAIN_BENCH = join(ROOT, 'bench', 'chain.mjs');
/** The reference's rows all belong to one merchant, as the product's list reads one merchant's. */
const REFERENCE_MERCHANT = 'acct_reference';

/** Seeding batches made so far: each batch's Idempotency-Keys are its own, or a batch would replay another's. */
let batches = 0;

const wranglerBin = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
// No metrics, and no fetch of the `Request.cf` object from workers.cloudflare.com (miniflare's
// CLOUDFLARE_CF_FETCH_ENABLED): offline it fails with a warning and a stack trace on each server start.
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' };
const log = (line) => process.stdout.write(`[bench] ${line}\n`);

const product = await server('product', 'wrangler.toml', join(ROOT, '.wrangler', 'bench'), { ADMIN_TOKEN });
const reference = await server('reference', 'bench/reference/wrangler.toml', join(ROOT, '.wrangler', 'bench-reference'), {});
const base = product.base;

const started = performance.now();
const results = {
  machine: {
    connections: CONNECTIONS,
    durationSeconds: DURATION_S,
    serialDurationSeconds: SERIAL_DURATION_S,
    settleSeconds: SETTLE_MS / 1000,
    node: process.version,
    loadAverageAtStart: loadavg().map(round),
    ...(process.env.BENCH_NOTE ? { note: process.env.BENCH_NOTE } : {}),
  },
  phases: {},
};

process.chdir(ROOT);
for (const s of [product, reference]) {
  rmSync(s.state, { recursive: true, force: true });
  mkdirSync(s.state, { recursive: true });
}
const small = SMALL + 2 * CONFIRM_POOL;
await migrateProductD1();
await migrateReferenceD1();
await seedReferenceD1(0, small);
await Promise.all([start(product), start(reference)]);
try {
  const merchant = await json('POST', '/v1/admin/merchants', ADMIN_TOKEN, { name: 'Bench' }, 201);
  const sk = merchant.keys.test.secret;
  const pk = merchant.keys.test.publishable;
  const auth = { authorization: `Bearer ${sk}` };
  const form = { ...auth, 'content-type': 'application/x-www-form-urlencoded' };

  log(`seeding ${SMALL} intents and two confirm pools of ${CONFIRM_POOL} through the API`);
  const seeded = await createMany(sk, SMALL, (i) => ({
    amount: 500 + (i % 5000),
    currency: i % 3 === 0 ? 'eur' : 'usd',
    metadata: { order_id: `A-${i}` },
    ...(i % 2 === 0 ? { payment_method: 'pm_card_visa', confirm: true } : {}),
  }));
  const lookupIntent = seeded[0];
  const confirmPath = (intent) => `/v1/payment_intents/${intent.id}/confirm`;
  const keylessPool = (await createMany(sk, CONFIRM_POOL, () => ({ amount: 1000, currency: 'usd' }))).map(confirmPath);
  const keyedPool = (await createMany(sk, CONFIRM_POOL, () => ({ amount: 1000, currency: 'usd' }))).map(confirmPath);
  await settle();

  const createBody = 'amount=2000&currency=usd&metadata[order_id]=bench';
  const searchPath = (query) => `/v1/payment_intents/search?query=${encodeURIComponent(query)}`;
  const routes = {
    create: { server: product, method: 'POST', path: '/v1/payment_intents', headers: form, body: createBody, wakesObjects: true },
    create_keyed: {
      server: product,
      method: 'POST',
      path: '/v1/payment_intents',
      headers: form,
      body: createBody,
      keyed: true,
      wakesObjects: true,
    },
    // The pool's position (next) lives on the route: its 1-connection run goes on where the 20-connection one stopped.
    confirm: {
      server: product,
      method: 'POST',
      rotate: keylessPool,
      next: 0,
      headers: form,
      body: 'payment_method=pm_card_visa',
      wakesObjects: true,
    },
    confirm_keyed: {
      server: product,
      method: 'POST',
      rotate: keyedPool,
      next: 0,
      headers: form,
      body: 'payment_method=pm_card_visa',
      keyed: true,
      wakesObjects: true,
    },
    retrieve: { server: product, method: 'GET', path: `/v1/payment_intents/${lookupIntent.id}`, headers: auth },
    browser_lookup: {
      server: product,
      method: 'GET',
      path: `/v1/payment_intents/${lookupIntent.id}?client_secret=${lookupIntent.client_secret}`,
      headers: { authorization: `Bearer ${pk}` },
    },
    list: { server: product, method: 'GET', path: '/v1/payment_intents?limit=10', headers: auth },
    search: { server: product, method: 'GET', path: searchPath('status:"succeeded" AND amount>1000'), headers: auth },
    search_metadata: { server: product, method: 'GET', path: searchPath(`metadata['order_id']:"A-${SMALL - 7}"`), headers: auth },
    // One `SELECT 1` on D1 through the product's own process: not a target, shown for comparison.
    d1_select_1: { server: product, method: 'GET', path: '/health/ready', reference: true },
    reference_write: {
      server: reference,
      method: 'POST',
      path: `/write?merchant=${REFERENCE_MERCHANT}_writes`,
      headers: { 'content-type': 'application/json' },
      // A stored intent of the size the product writes.
      body: seedRows(REFERENCE_MERCHANT, 0, 1)[0].record,
      reference: true,
      wakesObjects: true,
    },
    reference_select: { server: reference, method: 'GET', path: `/select?merchant=${REFERENCE_MERCHANT}`, reference: true },
  };

  // Each reference right after the routes it bounds, so they see the same machine.
  results.phases.small = {
    intents: small,
    ...(await measureAll(routes, [
      'create',
      'create_keyed',
      'confirm',
      'confirm_keyed',
      'reference_write',
      'retrieve',
      'browser_lookup',
      'list',
      'search',
      'search_metadata',
      'reference_select',
      'd1_select_1',
    ])),
  };

  log('page: the hosted page (time to first byte) and the live status push (bench/page.mjs)');
  results.page = await measurePage({ base, sk, pk, samples: Number(process.env.BENCH_PAGE_SAMPLES ?? 200), log });

  log(`stopping both servers to write ${LARGE - small} more intents (and reference rows) straight into their D1`);
  await stop(product);
  await stop(reference);
  await seedProductD1(merchant.id, small, LARGE - small);
  await seedReferenceD1(small, LARGE - small);
  await Promise.all([start(product), start(reference)]);
  results.phases.large = { intents: LARGE, ...(await measureAll(routes, ['list', 'search', 'search_metadata', 'reference_select'])) };
  results.webhooks = await measureWebhooks();
} finally {
  await stop(product);
  await stop(reference);
}

if (process.env.BENCH_CHAIN !== '0' && existsSync(CHAIN_BENCH)) {
  log('chain: bench/chain.mjs');
  const { runChainBench } = await import(CHAIN_BENCH);
  results.chain = await runChainBench({ log });
}

results.targets = evaluate(results);
results.machine.loadAverageAtEnd = loadavg().map(round);
results.machine.totalSeconds = Math.round((performance.now() - started) / 1000);
// How steady the machine was: on a quiet one the product's floors stay within a few percent of each other.
const floors = Object.values(results.phases).flatMap((p) =>
  Object.values(p.routes)
    .filter((r) => r.server === 'product')
    .map((r) => r.floor.rps),
);
results.machine.productFloorRps = { min: Math.min(...floors), max: Math.max(...floors) };
writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
printTable(results);
log(`wrote ${OUT} (${results.machine.totalSeconds} s in all)`);

// --- measuring ----------------------------------------------------------------------------------

/**
 * Per route: its process's floor, the route at CONNECTIONS (throughput), then the route at one
 * connection (latency with no queueing: what one client waits).
 */
async function measureAll(routes, names) {
  const out = {};
  // Discarded: the first seconds after start (or after seeding) include the isolate's cold start,
  // which once put the first floor at 114 req/s with a 5.3 s p99 and made create look 1.08×.
  // At least 5 s: the product also drains the seeding's backlog (its events on the queue) for ~2 s.
  for (const s of [product, reference]) await measure(`warm-up ${s.name} (discarded)`, floorOf(s), { duration: Math.max(DURATION_S, 5) });
  const floorsAtOneConnection = {};
  for (const s of [product, reference]) floorsAtOneConnection[s.name] = await measure(`${s.name} floor, 1 conn`, floorOf(s), SERIAL);
  for (const name of names) {
    const spec = routes[name];
    const floor = await measure(`${spec.server.name} floor`, floorOf(spec.server));
    const route = await measure(name, spec);
    if (spec.wakesObjects) await settle();
    const serial = await measure(`${name}, 1 conn`, spec, SERIAL);
    if (spec.wakesObjects) await settle();
    out[name] = {
      ...route,
      server: spec.server.name,
      floor,
      // Three decimals: write routes run near 0.1× the floor, where two would hide a 10 % difference.
      throughputRatio: Math.round((route.rps / floor.rps) * 1000) / 1000,
      p99Ratio: round(route.p99 / floor.p99),
      serial,
      ...(spec.reference ? { reference: true } : {}),
    };
  }
  return { floorsAtOneConnection, routes: out };
}

/** Waits out the eviction of the Durable Objects woken so far (see SETTLE_MS). */
function settle() {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

function floorOf(server) {
  return { server, method: 'GET', path: '/health' };
}

async function measure(name, spec, { connections = CONNECTIONS, duration = DURATION_S } = {}) {
  const rotate = spec.rotate;
  let replays = 0;
  const request = {
    method: spec.method,
    path: spec.path ?? rotate[0],
    headers: spec.headers,
    body: spec.body,
  };
  if (rotate || spec.keyed) {
    request.setupRequest = (req) => ({
      ...req,
      ...(rotate ? { path: rotate[spec.next++ % rotate.length] } : {}),
      // As stripe-node does for every v1 POST (RequestSender._defaultIdempotencyKey).
      ...(spec.keyed ? { headers: { ...req.headers, 'idempotency-key': `stripe-node-retry-${randomUUID()}` } } : {}),
    });
  }
  if (spec.keyed) {
    // A replayed answer would be a cheap lookup, not the create or confirm this route is to measure.
    request.onResponse = (_status, _body, _context, headers) => {
      if (Object.keys(headers).some((h) => h.toLowerCase() === 'idempotent-replayed')) replays++;
    };
  }
  const result = await autocannon({
    url: spec.server.base,
    connections,
    duration,
    requests: [request],
  });
  const summary = {
    connections,
    rps: round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    ...(spec.keyed ? { replays } : {}),
  };
  if (result.non2xx) {
    summary.statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, count]));
  }
  if (rotate && spec.next > rotate.length) {
    log(`warning: ${name}: ${spec.next} requests for a pool of ${rotate.length}; the repeats answer 400 (raise BENCH_CONFIRM_POOL)`);
  }
  log(
    `${name.padEnd(28)} ${String(summary.rps).padStart(8)} req/s  p50 ${summary.p50} ms  p99 ${summary.p99} ms  non-2xx ${summary.non2xx}` +
      (replays ? `  replays ${replays}` : '') +
      (summary.statuses ? `  statuses ${JSON.stringify(summary.statuses)}` : ''),
  );
  return summary;
}

/**
 * The targets of issue 11. Ratios are of throughput to the floor of the route's own process, measured
 * right before it, so a slower minute or a heavier process front does not count against either side.
 * A route that answered anything but 2xx (or replayed a key) does not pass, whatever its speed.
 */
function evaluate(results) {
  const s = results.phases.small.routes;
  const l = results.phases.large.routes;
  const checks = [];
  // From the measured figures, not the rounded ratios: 0.07 / 0.10 would say 0.70 for 0.0704 / 0.0951.
  const ratio = (r) => r.rps / r.floor.rps;
  const clean = (...rs) => rs.every((r) => r.non2xx === 0 && r.errors === 0 && !r.replays);
  const atLeast = (text, value, target, ...measured) =>
    checks.push({ check: text, value: round(value), target, pass: value >= target && clean(...measured) });
  // Keyed and keyless run back to back on one process: their req/s are compared directly. A floor
  // measured between them moves with the objects the first run left being evicted (up to 40% in a
  // quiet run), which is noise here, not a correction.
  for (const name of ['create', 'confirm']) {
    const keyed = s[`${name}_keyed`];
    atLeast(`${name} with Idempotency-Key ≥ ${TARGETS.keyed}× without (req/s)`, keyed.rps / s[name].rps, TARGETS.keyed, keyed, s[name]);
  }
  for (const name of ['create', 'create_keyed', 'confirm', 'confirm_keyed']) {
    const ref = s.reference_write;
    atLeast(`${name} ≥ ${TARGETS.write}× the write reference`, ratio(s[name]) / ratio(ref), TARGETS.write, s[name], ref);
  }
  for (const phase of ['small', 'large']) {
    const { intents, routes } = results.phases[phase];
    for (const name of ['list', 'search', 'search_metadata']) {
      const ref = routes.reference_select;
      const text = `${name} at ${intents} intents ≥ ${TARGETS.select}× the select reference`;
      atLeast(text, ratio(routes[name]) / ratio(ref), TARGETS.select, routes[name], ref);
    }
  }
  for (const name of ['retrieve', 'browser_lookup']) atLeast(`${name} ≥ ${TARGETS.read}× the floor`, ratio(s[name]), TARGETS.read, s[name]);
  for (const name of ['list', 'search', 'search_metadata']) {
    const growth = round(l[name].p99 / s[name].p99);
    checks.push({
      check: `${name} p99 at ${LARGE} ≤ ${TARGETS.p99Growth}× p99 at ${results.phases.small.intents}`,
      value: growth,
      target: TARGETS.p99Growth,
      pass: growth <= TARGETS.p99Growth,
    });
  }
  // RPC calls per minute must not grow with the number of waiting intents (issue 11): the most
  // waiting at most 1.1× the fewest.
  const waiting = results.chain?.waiting;
  if (Array.isArray(waiting) && waiting.length > 1) {
    const [fewest, most] = [waiting[0], waiting.at(-1)];
    const growth = most.rpcCallsPerMinute / fewest.rpcCallsPerMinute;
    checks.push({
      check: `chain: RPC calls per minute with ${most.intents} waiting intents ≤ ${TARGETS.rpcGrowth}× with ${fewest.intents}`,
      value: round(growth),
      target: TARGETS.rpcGrowth,
      pass: growth <= TARGETS.rpcGrowth,
    });
  }
  // bench/chain.mjs may report its own targets in this shape; they are printed and counted alike.
  if (Array.isArray(results.chain?.targets)) checks.push(...results.chain.targets.map((t) => ({ ...t, check: `chain: ${t.check}` })));
  return checks;
}

/** The table in Markdown, as the README's Benchmark section shows it. */
function printTable(results) {
  const rows = [];
  for (const [phase, { intents, routes }] of Object.entries(results.phases)) {
    for (const [name, r] of Object.entries(routes)) {
      rows.push([
        phase,
        intents,
        r.reference ? `${name} (reference)` : name,
        r.rps,
        r.floor.rps,
        r.throughputRatio,
        r.p50,
        r.p99,
        r.serial.p50,
        r.serial.p99,
        r.non2xx + r.serial.non2xx,
      ]);
    }
  }
  const header = ['phase', 'intents', 'route', 'req/s', 'floor req/s', 'ratio', 'p50 ms', 'p99 ms', '1-conn p50', '1-conn p99', 'non-2xx'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log('');
  for (const [phase, { floorsAtOneConnection }] of Object.entries(results.phases)) {
    const floors = Object.entries(floorsAtOneConnection).map(([name, f]) => `${name} p50 ${f.p50} ms, p99 ${f.p99} ms`);
    console.log(`${phase}: the floors at 1 connection: ${floors.join('; ')}`);
  }
  console.log('');
  for (const t of results.targets) console.log(`${t.pass ? 'PASS' : 'MISS'}  ${t.check}: ${t.value}`);
  const w = results.webhooks;
  console.log(
    `\nwebhooks: state change → signed request received, p50 ${w.latency.p50} ms, p99 ${w.latency.p99} ms (${w.latency.samples} events, one at a time); ` +
      `sustained ${w.throughput.deliveriesPerSecond} deliveries/s (${w.throughput.deliveries} deliveries of ${w.throughput.creates} creates at ${w.throughput.concurrency} concurrent)`,
  );
  const p = results.page;
  console.log(
    `\npage: time to first byte p50 ${p.ttfb.page.p50} ms, p99 ${p.ttfb.page.p99} ms; floor p50 ${p.ttfb.floor.p50} ms (${p.ttfb.ratioP50}× the floor, ${p.ttfb.samples} each, interleaved)`,
  );
  console.log(
    p.push.skipped
      ? `live push: skipped (${p.push.skipped})`
      : `live push: change → message in Chromium p50 ${p.push.commitToBrowser.p50} ms, p99 ${p.push.commitToBrowser.p99} ms over ${p.push.samples} changes (the change's own round trip p50 ${p.push.updateRoundTrip.p50} ms)`,
  );
  if (results.chain) console.log(`\nchain: ${JSON.stringify(results.chain)}`);
}

// --- webhooks -----------------------------------------------------------------------------------

/**
 * A receiver on 127.0.0.1 in this process; an endpoint for payment_intent.created pointing at it.
 * Latency: one create at a time, from the moment its response (the committed change) is back to
 * the moment the signed request for its event arrives. Throughput: a burst of creates whose first
 * attempts are all told to retry at one moment (an HTTP-date Retry-After), so the retries arrive as
 * one wave; counted from the first to the last arrival of that wave.
 */
async function measureWebhooks() {
  const { createServer: createHttpServer } = await import('node:http');
  const arrivals = new Map();
  const deferred = new Set();
  let deferFirstAttempts = false;
  /** One HTTP date for the whole burst: every retry becomes due in the same second. */
  let releaseAt = '';
  const receiver = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const at = performance.now();
      let id;
      try {
        id = JSON.parse(body).data.object.id;
      } catch {
        return res.writeHead(400).end();
      }
      // Throughput phase: the first attempt of each is told to come back later, so the retries of
      // the whole burst arrive together, at the rate the consumer can deliver them.
      if (deferFirstAttempts && !deferred.has(id)) {
        deferred.add(id);
        return res.writeHead(503, { 'retry-after': releaseAt }).end();
      }
      if (!arrivals.has(id)) arrivals.set(id, at);
      res.writeHead(200).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, HOST, resolve));
  const hookUrl = `http://${HOST}:${receiver.address().port}/hooks`;
  try {
    const merchant = await json('POST', '/v1/admin/merchants', ADMIN_TOKEN, { name: 'Bench webhooks' }, 201);
    const sk = merchant.keys.test.secret;
    await json('POST', '/v1/webhook_endpoints', sk, { url: hookUrl, enabled_events: ['payment_intent.created'] }, 200);

    const latencies = [];
    for (let i = 0; i < WEBHOOK_LATENCY_SAMPLES; i++) {
      const intent = await json('POST', '/v1/payment_intents', sk, { amount: 1000, currency: 'usd' }, 200);
      const committed = performance.now();
      const deadline = committed + 30_000;
      while (!arrivals.has(intent.id) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      if (!arrivals.has(intent.id)) throw new Error(`no webhook for ${intent.id} within 30 s`);
      latencies.push(arrivals.get(intent.id) - committed);
    }
    latencies.sort((a, b) => a - b);
    const pct = (p) => round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]);
    log(`webhook latency p50 ${pct(50)} ms p99 ${pct(99)} ms over ${latencies.length} events`);

    arrivals.clear();
    releaseAt = new Date(Date.now() + WEBHOOK_RETRY_AFTER_S * 1000).toUTCString();
    deferFirstAttempts = true;
    const burstStarted = performance.now();
    const burst = await createMany(sk, WEBHOOK_BURST, () => ({ amount: 1000, currency: 'usd' }));
    const createSeconds = (performance.now() - burstStarted) / 1000;
    if (createSeconds > WEBHOOK_RETRY_AFTER_S)
      log(`warning: the burst took ${round(createSeconds)} s, longer than Retry-After; the waves overlap`);
    const deadline = performance.now() + 180_000;
    while (burst.some((i) => !arrivals.has(i.id)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const times = burst
      .map((i) => arrivals.get(i.id))
      .filter((t) => t !== undefined)
      .sort((a, b) => a - b);
    const seconds = (times.at(-1) - times[0]) / 1000;
    const deliveriesPerSecond = round(times.length / Math.max(seconds, 0.001));
    log(`webhook throughput ${deliveriesPerSecond} deliveries/s (${times.length}/${burst.length} delivered)`);
    return {
      latency: { samples: latencies.length, p50: pct(50), p99: pct(99) },
      throughput: {
        creates: burst.length,
        createSeconds: round(createSeconds),
        deliveries: times.length,
        concurrency: 16,
        seconds: round(seconds),
        deliveriesPerSecond,
        method: `first attempts answered 503 with one Retry-After date ${WEBHOOK_RETRY_AFTER_S} s after the burst began; the retries, all due then, are timed`,
      },
    };
  } finally {
    receiver.close();
  }
}

// --- seeding ------------------------------------------------------------------------------------

async function createMany(sk, count, paramsOf) {
  const made = new Array(count);
  const batch = ++batches;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const res = await postSafely(`${base}/v1/payment_intents`, sk, `seed-${RUN_ID}-${batch}-${i}`, paramsOf(i));
      if (res.status !== 200) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
      made[i] = await res.json();
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return made;
}

/**
 * A create that survives a dropped keep-alive connection (ECONNRESET after a pause between phases):
 * retried with the same Idempotency-Key, so a retry never makes a second intent.
 */
async function postSafely(url, sk, idempotencyKey, body) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${sk}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
      });
    } catch (error) {
      if (attempt === 3) throw error;
      log(`create retried after a network error (${error.cause?.code ?? error.message})`);
    }
  }
}

/**
 * The product's D1 as the bench uses it: these two functions are the only place that knows its
 * bindings and tables, so a new layout (a directory database and shards) changes only them. Both run
 * with the server stopped.
 */
async function migrateProductD1() {
  for (const binding of d1Bindings(product.config)) await wrangler(product, ['d1', 'migrations', 'apply', binding, '--local']);
}

/**
 * `count` intents of merchantId written straight in, as their objects would project them, older than
 * the API-made ones (`from` goes on where a previous seed stopped).
 */
async function seedProductD1(merchantId, from, count) {
  // The merchant's rows are on its shard, which the directory chose when it was created.
  const [{ results }] = JSON.parse(
    await wrangler(product, [
      'd1',
      'execute',
      'DIRECTORY',
      '--local',
      '--json',
      '--command',
      `SELECT shard FROM merchants WHERE id = '${merchantId}'`,
    ]),
  );
  return executeSql(
    product,
    results[0].shard,
    chunked(seedRows(merchantId, from, count), 100).flatMap((rows) => [
      `INSERT INTO payment_intents (id, merchant_id, livemode, status, amount, currency, customer, created_at, revision, record) VALUES ${rows
        .map((r) => values([r.id, merchantId, 0, r.status, r.amount, r.currency, null, r.created, 2, r.record]))
        .join(',')};`,
      `INSERT INTO payment_intent_metadata (intent_id, merchant_id, livemode, key, value) VALUES ${rows
        .map((r) => values([r.id, merchantId, 0, 'order_id', r.orderId]))
        .join(',')};`,
    ]),
  );
}

/** The reference's D1 (bench/reference/migrations). */
function migrateReferenceD1() {
  return wrangler(reference, ['d1', 'migrations', 'apply', 'DB', '--local']);
}

/** The reference's rows are records of the product's intents, of one merchant, as many as the product's. */
function seedReferenceD1(from, count) {
  return executeSql(
    reference,
    'DB',
    chunked(seedRows(REFERENCE_MERCHANT, from, count), 100).map(
      (rows) =>
        `INSERT INTO rows (id, merchant_id, livemode, created_at, record) VALUES ${rows
          .map((r) => values([r.id, REFERENCE_MERCHANT, 0, r.created, r.record]))
          .join(',')};`,
    ),
  );
}

/** Intents as their Durable Objects would store and project them, one a second back from a day ago. */
function seedRows(merchantId, from, count) {
  const now = Date.now();
  const statuses = ['requires_payment_method', 'succeeded', 'canceled', 'requires_capture'];
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const created = now - 86_400_000 - i * 1000;
    const id = `pi_${timePart(created)}${randomBase62(14)}`;
    const status = statuses[i % statuses.length];
    // The read model keeps amounts as digit strings (token base units can pass 64-bit integers).
    const amount = String(500 + (i % 5000));
    const orderId = `S-${i}`;
    const record = {
      id,
      merchantId,
      livemode: false,
      created,
      amount,
      amountCapturable: status === 'requires_capture' ? amount : '0',
      amountReceived: status === 'succeeded' ? amount : '0',
      currency: i % 3 === 0 ? 'eur' : 'usd',
      status,
      captureMethod: 'automatic',
      confirmationMethod: 'automatic',
      clientSecret: `${id}_secret_${randomBase62(25)}`,
      paymentMethod: status === 'succeeded' ? 'pm_card_visa' : null,
      paymentMethodTypes: ['card'],
      lastPaymentError: null,
      nextAction: null,
      cancellationReason: null,
      canceledAt: status === 'canceled' ? created + 1000 : null,
      description: null,
      metadata: { order_id: orderId },
      receiptEmail: null,
      statementDescriptor: null,
      customer: null,
      notificationUrl: null,
      authenticatedPaymentMethod: null,
      crypto: null,
      revision: 2,
      v: 2,
    };
    return { id, created, status, amount, currency: record.currency, orderId, record: JSON.stringify(record) };
  });
}

async function executeSql(server, binding, statements) {
  const file = join(server.state, 'seed.sql');
  writeFileSync(file, statements.join('\n'));
  await wrangler(server, ['d1', 'execute', binding, '--local', '--file', file]);
}

function chunked(items, size) {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));
}

function values(row) {
  return `(${row.map(sqlValue).join(',')})`;
}

function sqlValue(v) {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return String(v);
  return `'${String(v).replace(/'/g, "''")}'`;
}

function timePart(ms) {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let t = ms;
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = alphabet[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function randomBase62(length) {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return [...randomBytes(length)].map((b) => alphabet[b % 62]).join('');
}

// --- the servers --------------------------------------------------------------------------------

/** A `wrangler dev` of one config, with its own state directory and ports (free now, taken at start). */
async function server(name, config, state, vars) {
  const port = await freePort(HOST);
  return { name, config, state, vars, port, inspectorPort: await freePort(HOST), base: `http://${HOST}:${port}`, child: null };
}

/** Both servers start alike: only the config, the state directory, the ports and the variables differ. */
async function start(s) {
  const child = spawn(
    process.execPath,
    [
      wranglerBin,
      'dev',
      '--config',
      s.config,
      '--ip',
      HOST,
      '--port',
      String(s.port),
      // Its own inspector port too, so a `npm run dev` running beside it does not collide on 9229.
      '--inspector-port',
      String(s.inspectorPort),
      '--persist-to',
      s.state,
      ...Object.entries(s.vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
      '--log-level',
      'warn',
      '--show-interactive-dev-session=false',
    ],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  s.child = child;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev (${s.name}) exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${s.base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev (${s.name}) did not answer /health within 120 s`);
}

function stop(s) {
  return stopChild(s.child);
}

async function json(method, path, token, body, expected) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A wrangler command on a server's config and state, quiet when it succeeds (resolving with its stdout); all its output when it fails. */
function wrangler(s, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerBin, ...args, '--config', s.config, '--persist-to', s.state], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        output += chunk;
        if (stream === child.stdout) stdout += chunk;
      });
    }
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve(stdout);
      process.stderr.write(output);
      reject(new Error(`wrangler ${args.slice(0, 3).join(' ')} (${s.name}) exited with ${code} (its output is above)`));
    });
  });
}

function round(n) {
  return Math.round(n * 100) / 100;
}
