/**
 * The hosted payment page and its live status, for `npm run bench` (bench/run.mjs calls measurePage
 * while the product runs).
 *
 *   ttfb: GET /pay/{id}?client_secret=… one request at a time, from sending it to its first byte
 *         (the response's status line and headers), beside the floor (GET /health) timed the same
 *         way, interleaved, so both see the same machine. The ratio is page p50 / floor p50.
 *   push: a real Chromium holds the page's socket (GET /v1/payment_intents/{id}/live, what the
 *         page's script opens); 100 updates of the intent's amount are made one at a time, each
 *         timed from the moment its request is sent to the moment the browser's socket receives
 *         the message with that amount (both clocks are this machine's Date.now()). The update's
 *         own round trip is timed too: the push is sent after the commit, before the read model and
 *         the outbox run, so it normally arrives before the response.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';

const CHROMIUM = '/usr/bin/chromium';

export async function measurePage({ base, sk, pk, samples = 200, pushes = 100, log }) {
  const intent = await api(base, sk, 'POST', '/v1/payment_intents', { amount: '1000', currency: 'usd', description: 'Bench page' });
  const pagePath = `/pay/${intent.id}?client_secret=${encodeURIComponent(intent.client_secret)}`;
  const first = await timeToFirstByte(base, pagePath);
  if (first.status !== 200) throw new Error(`GET /pay/… answered ${first.status}, not 200: is the hosted page mounted?`);

  const page = [];
  const floor = [];
  for (let i = 0; i < samples; i++) {
    floor.push((await timeToFirstByte(base, '/health')).ms);
    page.push((await timeToFirstByte(base, pagePath)).ms);
  }
  const ttfb = { samples, page: percentiles(page), floor: percentiles(floor) };
  ttfb.ratioP50 = round(ttfb.page.p50 / ttfb.floor.p50);
  log(`page TTFB p50 ${ttfb.page.p50} ms p99 ${ttfb.page.p99} ms; floor p50 ${ttfb.floor.p50} ms (${ttfb.ratioP50}×)`);

  const push = existsSync(CHROMIUM) ? await measurePush({ base, sk, pk, intent, pushes, log }) : { skipped: `no Chromium at ${CHROMIUM}` };
  return { ttfb, push };
}

export async function measurePush({ base, sk, pk, intent, pushes, log }) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${base}/health`);
    const socketUrl = `${base.replace(/^http/, 'ws')}/v1/payment_intents/${intent.id}/live?client_secret=${encodeURIComponent(intent.client_secret)}&key=${pk}`;
    await page.evaluate(
      (url) =>
        new Promise((resolve, reject) => {
          window.received = new Map();
          const ws = new WebSocket(url);
          ws.onmessage = (m) => {
            const amount = JSON.parse(m.data).amount;
            if (!window.received.has(amount)) window.received.set(amount, Date.now());
            resolve();
          };
          ws.onerror = () => reject(new Error('the live socket did not open'));
        }),
      socketUrl,
    );
    const latencies = [];
    const roundTrips = [];
    for (let i = 1; i <= pushes; i++) {
      const amount = 1000 + i;
      const sent = Date.now();
      await api(base, sk, 'POST', `/v1/payment_intents/${intent.id}`, { amount: String(amount) });
      roundTrips.push(Date.now() - sent);
      const at = await page.waitForFunction((a) => window.received.get(a), amount, { timeout: 10_000, polling: 1 });
      latencies.push((await at.jsonValue()) - sent);
    }
    const result = { samples: pushes, commitToBrowser: percentiles(latencies), updateRoundTrip: percentiles(roundTrips) };
    log(
      `live push: request → browser p50 ${result.commitToBrowser.p50} ms p99 ${result.commitToBrowser.p99} ms ` +
        `(the update's own round trip p50 ${result.updateRoundTrip.p50} ms)`,
    );
    return result;
  } finally {
    await browser.close();
  }
}

function timeToFirstByte(base, path) {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { method: 'GET', headers: { 'accept-language': 'en-US' } }, (res) => {
      const ms = performance.now() - started;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function api(base, sk, method, path, params) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${sk}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
  return { p50: at(50), p99: at(99) };
}

function round(n) {
  return Math.round(n * 100) / 100;
}
