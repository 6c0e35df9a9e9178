/**
 * A Paytree (001_…) intent's payment_link in a real browser: headless Chromium (offline) against
 * `wrangler dev`. The intent is made as a Paytree client makes it (POST /paytree/v1/transaction/
 * payment_intent/ with `Authorization: Token …`); its callback.return_url and cancel_url are a tiny
 * shop on 127.0.0.1 run by this test, so landing there is a real navigation. Paying leads to the
 * return_url, with JavaScript and without; the cancel link leads to the cancel_url, the intent left
 * unpaid; an intent without cancel_url has no cancel link.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DevServer,
  launchOfflineBrowser,
  newOfflineContext,
  newWatchedPage,
  type OfflineBrowser,
  PAGES_ADMIN_TOKEN,
  startWranglerDev,
} from './support.js';

let dev: DevServer;
let chromium: OfflineBrowser;
let noScript: BrowserContext;
let shop: Server;
let shopUrl: string;
let sk: string;
const problems: string[] = [];

/** The merchant's site: where return_url and cancel_url lead. */
function startShop(): Promise<Server> {
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Shop</title><h1>${pathname === '/done' ? 'Thank you for your order' : 'Your cart'}</h1>`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** A Paytree create, as its clients send it. */
async function createPaytreeIntent(callback: Record<string, string>): Promise<{ id: string; payment_link: string }> {
  const res = await fetch(`${dev.url}/paytree/v1/transaction/payment_intent/`, {
    method: 'POST',
    headers: { Authorization: `Token ${sk}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      transaction_ref: `ORDER-${crypto.randomUUID()}`,
      client_ref: 'customer-1',
      amount: '19.90',
      amount_currency: 'EUR',
      customer: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' },
      address: { country: 'GB' },
      session: { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0' },
      callback,
    }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; payment_link: string };
}

/** The intent's payments as the Paytree retrieve shows them. */
async function paymentStatuses(id: string): Promise<string[]> {
  const res = await fetch(`${dev.url}/paytree/v1/transaction/payment_intent/${id}/`, { headers: { Authorization: `Token ${sk}` } });
  return ((await res.json()) as { payment: { status: string }[] }).payment.map((p) => p.status);
}

async function open(link: string, context: BrowserContext = chromium.context): Promise<Page> {
  const page = await newWatchedPage(context, problems);
  const res = await page.goto(link);
  expect(res?.status()).toBe(200);
  return page;
}

beforeAll(async () => {
  [dev, chromium, shop] = await Promise.all([
    startWranglerDev({ migrate: true, vars: { ADMIN_TOKEN: PAGES_ADMIN_TOKEN } }),
    launchOfflineBrowser(),
    startShop(),
  ]);
  shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
  noScript = await newOfflineContext(chromium.browser, chromium.blocked, { javaScriptEnabled: false });
  const res = await fetch(`${dev.url}/v1/admin/merchants`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${PAGES_ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Paytree Shop' }),
  });
  expect(res.ok).toBe(true);
  sk = ((await res.json()) as any).keys.test.secret;
});

afterAll(async () => {
  await chromium?.browser.close();
  await dev?.stop();
  await new Promise((resolve) => shop?.close(resolve));
});

describe('a Paytree payment_link', () => {
  it('pays through the page and lands on callback.return_url', async () => {
    const made = await createPaytreeIntent({ return_url: `${shopUrl}/done`, cancel_url: `${shopUrl}/cart` });
    const page = await open(made.payment_link);
    await page.getByRole('button', { name: /^Pay €19\.90$/ }).click();
    await page.waitForURL(`${shopUrl}/done`, { timeout: 20_000 });
    await page.getByRole('heading', { name: 'Thank you for your order' }).waitFor();
    expect(await paymentStatuses(made.id)).toEqual(['success']);
    // Opened again once paid, the link leads straight back to the shop.
    const again = await newWatchedPage(chromium.context, problems);
    await again.goto(made.payment_link);
    await again.waitForURL(`${shopUrl}/done`);
  });

  it('is paid by the form alone with JavaScript disabled, landing on callback.return_url', async () => {
    const made = await createPaytreeIntent({ return_url: `${shopUrl}/done` });
    const page = await open(made.payment_link, noScript);
    await page.getByRole('button', { name: /^Pay €19\.90$/ }).click();
    await page.waitForURL(`${shopUrl}/done`, { timeout: 20_000 });
    expect(await paymentStatuses(made.id)).toEqual(['success']);
  });

  it('leads back to callback.cancel_url from its cancel link, the intent left unpaid', async () => {
    const made = await createPaytreeIntent({ return_url: `${shopUrl}/done`, cancel_url: `${shopUrl}/cart` });
    const page = await open(made.payment_link);
    await page.getByRole('link', { name: 'Cancel and return to Paytree Shop' }).click();
    await page.waitForURL(`${shopUrl}/cart`);
    await page.getByRole('heading', { name: 'Your cart' }).waitFor();
    expect(await paymentStatuses(made.id)).toEqual([]);
  });

  it('has no cancel link without a cancel_url', async () => {
    const made = await createPaytreeIntent({ return_url: `${shopUrl}/done` });
    const page = await open(made.payment_link);
    await page.getByRole('button', { name: /^Pay €19\.90$/ }).waitFor();
    await expect(page.locator('#cancel-link').count()).resolves.toBe(0);
  });

  it('made no request off this machine and met no page error', () => {
    expect(chromium.blocked).toEqual([]);
    expect(problems).toEqual([]);
  });
});
