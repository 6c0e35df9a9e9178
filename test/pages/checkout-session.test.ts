/**
 * Checkout Sessions on the hosted page, in a real browser: headless Chromium (offline: any request
 * off this machine is refused and recorded) against `wrangler dev` with a local anvil chain. Sessions
 * are made with the official `stripe` SDK pointed at the dev server; their success_url and cancel_url
 * are a tiny shop on 127.0.0.1 run by this test, so landing there is a real navigation. With
 * JavaScript the page confirms through the API (POST /v1/payment_intents/:id/confirm with the
 * publishable key); without it, its form alone pays. Screenshots go to test/pages/artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HDKey } from '@scure/bip32';
import type { BrowserContext, Page } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DevServerWithChain,
  decodeQr,
  injectAnvilWallet,
  launchOfflineBrowser,
  mine,
  newOfflineContext,
  type OfflineBrowser,
  sendUsdc,
  startWranglerDevWithChain,
  newWatchedPage,
  PHONE,
} from './support.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');

let dev: DevServerWithChain;
let chromium: OfflineBrowser;
let noScript: BrowserContext;
let stripe: Stripe;
let pk: string;
let shop: Server;
let shopUrl: string;
const problems: string[] = [];

/** The merchant's site: where success_url and cancel_url lead. */
function startShop(): Promise<Server> {
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Shop</title><h1>${pathname === '/success' ? 'Thank you for your order' : 'Your cart'}</h1>`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

type SessionParams = Stripe.Checkout.SessionCreateParams;

/** A session of two items (one with a description), with success and cancel URLs on the test's shop. */
function createSession(overrides: Record<string, unknown> = {}): Promise<Stripe.Checkout.Session> {
  return stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [
      {
        price_data: { currency: 'usd', unit_amount: 1250, product_data: { name: 'Sourdough loaf', description: 'Whole wheat, 800 g' } },
        quantity: 2,
      },
      { price_data: { currency: 'usd', unit_amount: 450, product_data: { name: 'Butter croissant' } }, quantity: 1 },
    ],
    success_url: `${shopUrl}/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${shopUrl}/cart`,
    ...overrides,
  } as SessionParams);
}

/** A phone-sized page of `context` (the offline one by default) whose problems are collected. */
function newPage(context: BrowserContext = chromium.context): Promise<Page> {
  return newWatchedPage(context, problems);
}

/** The session's page (its `url`), and the confirm calls the page's script makes to the API. */
async function openSession(session: Stripe.Checkout.Session, page?: Page): Promise<{ page: Page; confirms: string[] }> {
  const p = page ?? (await newPage());
  const confirms: string[] = [];
  p.on('request', (request) => {
    if (request.method() === 'POST' && /^\/v1\/payment_intents\/pi_[^/]+\/confirm$/.test(new URL(request.url()).pathname)) {
      confirms.push(request.postData() ?? '');
    }
  });
  const res = await p.goto(session.url!);
  expect(res?.status()).toBe(200);
  return { page: p, confirms };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const statusTitle = (page: Page) => page.locator('#status-title');
const successUrl = (session: Stripe.Checkout.Session) => `${shopUrl}/success?session_id=${session.id}`;

async function landsOnSuccess(page: Page, session: Stripe.Checkout.Session): Promise<void> {
  await page.waitForURL(successUrl(session), { timeout: 20_000 });
  await page.getByRole('heading', { name: 'Thank you for your order' }).waitFor();
  const after = await stripe.checkout.sessions.retrieve(session.id);
  expect(after.status).toBe('complete');
  expect(after.payment_status).toBe('paid');
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [dev, chromium, shop] = await Promise.all([startWranglerDevWithChain(), launchOfflineBrowser(), startShop()]);
  shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
  noScript = await newOfflineContext(chromium.browser, chromium.blocked, { javaScriptEnabled: false });
  const admin = async (path: string, json: unknown) => {
    const res = await fetch(`${dev.server.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${dev.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(json),
    });
    expect(res.ok, `${path}: ${res.status}`).toBe(true);
    return (await res.json()) as any;
  };
  const merchant = await admin('/v1/admin/merchants', { name: 'Corner Bakery' });
  pk = merchant.keys.test.publishable;
  await admin(`/v1/admin/merchants/${merchant.id}/crypto`, {
    xpub: HDKey.fromMasterSeed(crypto.getRandomValues(new Uint8Array(32))).derive("m/44'/60'/0'").publicExtendedKey,
  });
  const { hostname, port } = new URL(dev.server.url);
  stripe = new Stripe(merchant.keys.test.secret, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 0 });
});

afterAll(async () => {
  await chromium?.browser.close();
  await dev?.stop();
  await new Promise((resolve) => shop?.close(resolve));
});

describe('a card session', () => {
  it('shows the line items and the total, pays through the API and lands on the success_url', async () => {
    const session = await createSession();
    const { page, confirms } = await openSession(session);
    await expect(page.locator('#line-items tbody tr').allInnerTexts()).resolves.toEqual([
      expect.stringMatching(/^Sourdough loaf\s+Whole wheat, 800 g\s+2 × \$12\.50\s+\$25\.00$/),
      expect.stringMatching(/^Butter croissant\s+1 × \$4\.50\s+\$4\.50$/),
    ]);
    await expect(page.locator('#total').textContent()).resolves.toBe('$29.50');
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await shot(page, 'session-card');
    await page.getByRole('button', { name: 'Pay $29.50' }).click();
    await landsOnSuccess(page, session);
    // The script's path: one confirm through the API, with the client secret, not the form.
    expect(confirms).toHaveLength(1);
    expect(new URLSearchParams(confirms[0]).get('payment_method')).toBe('pm_card_visa');
  });

  it('shows a decline, and the second try pays', async () => {
    const session = await createSession();
    const { page, confirms } = await openSession(session);
    await page.getByLabel('Visa •••• 0002 — declined').check();
    await page.getByRole('button', { name: /^Pay \$/ }).click();
    await page.getByRole('alert').filter({ hasText: 'Your card was declined.' }).waitFor();
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    await page.getByLabel('Mastercard •••• 4444 — succeeds').check();
    await page.getByRole('button', { name: /^Pay \$/ }).click();
    await landsOnSuccess(page, session);
    expect(confirms).toHaveLength(2);
  });

  it('goes through 3-D Secure: a failed challenge leaves the session open, a completed one lands on the success_url', async () => {
    const session = await createSession();
    const { page } = await openSession(session);
    await page.getByLabel('Visa •••• 3155 — asks for 3-D Secure').check();
    await page.getByRole('button', { name: /^Pay \$/ }).click();
    await page.getByRole('button', { name: 'Fail authentication' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/pay/'));
    await page.getByRole('alert').first().waitFor();
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    await page.getByLabel('Visa •••• 3155 — asks for 3-D Secure').check();
    await page.getByRole('button', { name: /^Pay \$/ }).click();
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await landsOnSuccess(page, session);
  });

  it('leads back to the cancel_url from its cancel link, leaving the session open', async () => {
    const session = await createSession();
    const { page } = await openSession(session);
    await page.getByRole('link', { name: 'Cancel and return to Corner Bakery' }).click();
    await page.waitForURL(`${shopUrl}/cart`);
    await page.getByRole('heading', { name: 'Your cart' }).waitFor();
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
  });

  it('shows the expiry live when the session is expired while the page is open', async () => {
    const session = await createSession();
    const { page } = await openSession(session);
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    await stripe.checkout.sessions.expire(session.id);
    await statusTitle(page).filter({ hasText: 'This checkout has expired' }).waitFor({ timeout: 15_000 });
    await expect(page.locator('#card-form').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (globalThis as any).notReloaded)).resolves.toBe(true);
    await shot(page, 'session-expired');
  });

  it('is paid by the form alone with JavaScript disabled, landing on the success_url', async () => {
    const session = await createSession();
    const { page, confirms } = await openSession(session, await newPage(noScript));
    await page.getByLabel('Mastercard •••• 4444 — succeeds').check();
    await page.getByRole('button', { name: 'Pay $29.50' }).click();
    await landsOnSuccess(page, session);
    expect(confirms).toEqual([]);
  });
});

describe('an amount the payer chooses', () => {
  const donation = (currency = 'usd') => ({
    line_items: [
      {
        price_data: {
          currency,
          product_data: { name: 'Donation to the bakery school' },
          custom_unit_amount: { enabled: true, minimum: 500, maximum: 10000, preset: 1500 },
        },
        quantity: 1,
      },
    ],
  });

  it('pays the amount typed within the bounds', async () => {
    const session = await createSession(donation());
    const { page, confirms } = await openSession(session);
    const field = page.getByLabel('Amount (USD)');
    await expect(field.inputValue()).resolves.toBe('15.00');
    await expect(page.locator('#amount-bounds').textContent()).resolves.toBe('The amount must be between $5.00 and $100.00.');
    await field.fill('12.5');
    await shot(page, 'session-amount');
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await landsOnSuccess(page, session);
    expect(new URLSearchParams(confirms[0]).get('amount')).toBe('1250');
    const intent = await stripe.paymentIntents.retrieve(session.payment_intent as string);
    expect(intent.amount).toBe(1250);
  });

  it('refuses an amount out of bounds on the page, keeping the input, and the API refuses it too', async () => {
    const session = await createSession(donation());
    const { page } = await openSession(session);
    const field = page.getByLabel('Amount (USD)');
    await field.fill('100.01');
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.locator('#payment-error').filter({ hasText: 'The amount must be between $5.00 and $100.00.' }).waitFor();
    await expect(field.inputValue()).resolves.toBe('100.01');
    // Too many decimals: refused before anything is sent.
    await field.fill('12.345');
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.locator('#payment-error').filter({ hasText: 'at most 2 decimal places' }).waitFor();
    await expect(field.inputValue()).resolves.toBe('12.345');
    await shot(page, 'session-amount-refused');
    const url = new URL(session.url!);
    const res = await fetch(`${dev.server.url}/v1/payment_intents/${session.payment_intent}/confirm`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${pk}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_secret: url.searchParams.get('client_secret')!, payment_method: 'pm_card_visa', amount: '10001' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.param).toBe('amount');
    expect((await stripe.paymentIntents.retrieve(session.payment_intent as string)).status).toBe('requires_payment_method');
  });
});

describe('crypto chosen on the page', () => {
  it('pays USDC on local by transfer: QR, processing, succeeded without a reload, and the success_url', async () => {
    const session = await createSession({ payment_method_types: ['card', 'crypto'] });
    const { page, confirms } = await openSession(session);
    // Cards stay beside crypto until a deposit address is handed out.
    await expect(page.getByLabel('Visa •••• 4242 — succeeds').isVisible()).resolves.toBe(true);
    await page.getByLabel('USDC on local').check();
    await shot(page, 'session-crypto-choice');
    await page.getByRole('button', { name: 'Pay $29.50 with crypto' }).click();
    await statusTitle(page).filter({ hasText: 'Waiting for your transfer' }).waitFor();
    const body = new URLSearchParams(confirms[0]);
    expect([body.get('payment_method_options[crypto][network]'), body.get('payment_method_options[crypto][token]')]).toEqual([
      'local',
      'usdc',
    ]);
    await expect(page.getByLabel('Visa •••• 4242 — succeeds').count()).resolves.toBe(0);
    const intent = (await stripe.paymentIntents.retrieve(session.payment_intent as string)) as any;
    const deposit = intent.crypto.deposit_address;
    await expect(page.locator('#deposit-address').textContent()).resolves.toBe(deposit);
    await expect(page.locator('#crypto-amount').textContent()).resolves.toBe('29.50 USDC');
    expect(await decodeQr(page)).toBe(
      `ethereum:${dev.chain.usdc.address}@${dev.chain.chainId}/transfer?address=${deposit}&uint256=29500000`,
    );
    await shot(page, 'session-crypto');
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    await sendUsdc(dev.chain, deposit, 29_500_000n);
    await statusTitle(page).filter({ hasText: 'Payment seen on the network' }).waitFor({ timeout: 20_000 });
    await expect(page.evaluate(() => (globalThis as any).notReloaded)).resolves.toBe(true);
    await mine(dev.chain, 1);
    await landsOnSuccess(page, session);
  });

  it('pays in one click with a browser wallet on a session page', async () => {
    const session = await createSession({ payment_method_types: ['card', 'crypto'] });
    const page = await newPage();
    const calls = await injectAnvilWallet(page, dev.chain);
    await openSession(session, page);
    await page.getByLabel('USDC on local').check();
    await page.getByRole('button', { name: 'Pay $29.50 with crypto' }).click();
    await page.getByRole('button', { name: 'Pay with browser wallet' }).waitFor();
    await shot(page, 'session-crypto-wallet');
    await page.getByRole('button', { name: 'Pay with browser wallet' }).click();
    await statusTitle(page).filter({ hasText: 'Payment seen on the network' }).waitFor({ timeout: 20_000 });
    await mine(dev.chain, 1);
    await landsOnSuccess(page, session);
    expect(calls).toEqual(['eth_requestAccounts', 'wallet_switchEthereumChain', 'eth_sendTransaction']);
  });
});

describe('the whole run', () => {
  it('loaded everything from this machine: no request left it, no CSP violation, no page error', () => {
    expect(chromium.blocked).toEqual([]);
    expect(problems).toEqual([]);
  });
});
