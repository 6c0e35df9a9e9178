/**
 * The hosted payment page in a real browser: headless Chromium (offline: any request off this
 * machine is refused and recorded) against `wrangler dev` with a local anvil chain. Cards: paid,
 * declined then paid, 3-D Secure completed and failed. Crypto: the QR code decodes to the exact
 * EIP-681 URI; a real transfer turns the open page to processing, then succeeded, without a reload;
 * a partial payment shows what remains; an injected EIP-1193 wallet (anvil's unlocked account)
 * pays in one click. Each state's screenshot is kept in test/pages/artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HDKey } from '@scure/bip32';
import {
  type DevServerWithChain,
  decodeQr,
  injectAnvilWallet,
  launchOfflineBrowser,
  mine as mineBlocks,
  type OfflineBrowser,
  sendUsdc as sendUsdcOn,
  startWranglerDevWithChain,
  newWatchedPage,
  PHONE,
} from './support.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');

let dev: DevServerWithChain;
let chromium: OfflineBrowser;
let sk: string;
let pk: string;
const problems: string[] = [];

async function api(path: string, init: { key?: string; json?: unknown; method?: string } = {}) {
  const res = await fetch(`${dev.server.url}${path}`, {
    method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.key ? { Authorization: `Bearer ${init.key}` } : {}),
      ...(init.json === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const body = (await res.json()) as any;
  if (!res.ok) {
    await new Promise((r) => setTimeout(r, 1000));
    throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}\n${dev.server.output().slice(-1500)}`);
  }
  return body;
}

const createIntent = (params: Record<string, unknown>) => api('/v1/payment_intents', { key: sk, json: { currency: 'usd', ...params } });
const cryptoIntent = (amount: number, options: Record<string, unknown> = {}) =>
  createIntent({
    amount,
    payment_method_types: ['crypto'],
    payment_method_options: { crypto: { network: 'local', token: 'usdc', ...options } },
  });

/** A phone-sized page of the offline context whose problems are collected. */
function newPage(): Promise<Page> {
  return newWatchedPage(chromium.context, problems);
}

async function openPage(intent: { id: string; client_secret: string }, page?: Page): Promise<Page> {
  const p = page ?? (await newPage());
  const res = await p.goto(`${dev.server.url}/pay/${intent.id}?client_secret=${encodeURIComponent(intent.client_secret)}`);
  expect(res?.status()).toBe(200);
  return p;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const statusTitle = (page: Page) => page.locator('#status-title');

const mine = (blocks = 1) => mineBlocks(dev.chain, blocks);
const sendUsdc = (to: string, amount: bigint) => sendUsdcOn(dev.chain, to, amount);

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [dev, chromium] = await Promise.all([startWranglerDevWithChain(), launchOfflineBrowser()]);
  const merchant = await api('/v1/admin/merchants', { key: dev.adminToken, json: { name: 'Corner Bakery' } });
  sk = merchant.keys.test.secret;
  pk = merchant.keys.test.publishable;
  await api(`/v1/admin/merchants/${merchant.id}/crypto`, {
    key: dev.adminToken,
    json: { xpub: HDKey.fromMasterSeed(crypto.getRandomValues(new Uint8Array(32))).derive("m/44'/60'/0'").publicExtendedKey },
  });
});

afterAll(async () => {
  await chromium?.browser.close();
  await dev?.stop();
});

describe('paying by test card', () => {
  it('pays with the first choice, with strict security headers', async () => {
    const intent = await createIntent({ amount: 2599, description: 'Two sourdough loaves' });
    const page = await newPage();
    const res = await page.goto(`${dev.server.url}/pay/${intent.id}?client_secret=${encodeURIComponent(intent.client_secret)}`);
    const headers = res!.headers();
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['cache-control']).toBe('no-store');
    await expect(page.getByText('Corner Bakery').isVisible()).resolves.toBe(true);
    await expect(page.locator('#amount').textContent()).resolves.toBe('$25.99');
    await expect(page.getByLabel('Visa •••• 4242 — succeeds').isChecked()).resolves.toBe(true);
    // Fits a phone: nothing wider than the viewport.
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await shot(page, 'card-choice');
    await page.getByRole('button', { name: 'Pay $25.99' }).click();
    await statusTitle(page).filter({ hasText: 'Payment received' }).waitFor();
    await shot(page, 'card-succeeded');
    expect((await api(`/v1/payment_intents/${intent.id}`, { key: sk })).status).toBe('succeeded');
  });

  it('shows a decline, and the second choice pays (by keyboard)', async () => {
    const intent = await createIntent({ amount: 1200 });
    const page = await openPage(intent);
    await page.getByLabel('Visa •••• 0002 — declined').check();
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.getByRole('alert').filter({ hasText: 'Your card was declined.' }).waitFor();
    await shot(page, 'card-declined');
    await page.getByLabel('Mastercard •••• 4444 — succeeds').focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => (globalThis as any).document.activeElement?.id)).resolves.toBe('pay');
    await page.keyboard.press('Enter');
    await statusTitle(page).filter({ hasText: 'Payment received' }).waitFor();
    expect((await api(`/v1/payment_intents/${intent.id}`, { key: sk })).payment_method).toBe('pm_card_mastercard');
  });

  it('goes through 3-D Secure and back: completed pays, failed lets the payer choose again', async () => {
    const intent = await createIntent({ amount: 4000 });
    const page = await openPage(intent);
    await page.getByLabel('Visa •••• 3155 — asks for 3-D Secure').check();
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.getByRole('button', { name: 'Fail authentication' }).click();
    await page.waitForURL((url) => url.pathname === `/pay/${intent.id}`);
    await page.getByRole('alert').first().waitFor();
    await expect(page.locator('#card-form').isVisible()).resolves.toBe(true);
    await page.getByLabel('Visa •••• 3155 — asks for 3-D Secure').check();
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await page.waitForURL((url) => url.pathname === `/pay/${intent.id}`);
    await statusTitle(page).filter({ hasText: 'Payment received' }).waitFor();
  });

  it('answers a wrong secret with the 404 page', async () => {
    const intent = await createIntent({ amount: 500 });
    const page = await newPage();
    const res = await page.goto(`${dev.server.url}/pay/${intent.id}?client_secret=${intent.id}_secret_${'x'.repeat(25)}`);
    expect(res?.status()).toBe(404);
    expect(res?.headers()['referrer-policy']).toBe('no-referrer');
    await page.getByRole('heading', { name: 'Payment page not found' }).waitFor();
    expect(await page.content()).not.toContain('Corner Bakery');
  });
});

describe('paying by crypto on the local chain', () => {
  it('shows the address, the amount and a QR code of the exact EIP-681 URI; a transfer turns the open page to processing, then succeeded', async () => {
    const intent = await cryptoIntent(1099);
    const page = await openPage(intent);
    await page.getByRole('button', { name: 'Pay with USDC on local' }).click();
    await statusTitle(page).filter({ hasText: 'Waiting for your transfer' }).waitFor();
    const c = (await api(`/v1/payment_intents/${intent.id}`, { key: sk })).crypto;
    await expect(page.locator('#deposit-address').textContent()).resolves.toBe(c.deposit_address);
    await expect(page.locator('#crypto-amount').textContent()).resolves.toBe('10.99 USDC');
    expect(await decodeQr(page)).toBe(
      `ethereum:${dev.chain.usdc.address}@${dev.chain.chainId}/transfer?address=${c.deposit_address}&uint256=10990000`,
    );
    await expect(page.locator('#countdown').textContent()).resolves.toMatch(/^1[45]:\d\d$/);
    // No wallet in this browser: no wallet button; the clipboard is there: copy buttons.
    await expect(page.getByRole('button', { name: 'Pay with browser wallet' }).isVisible()).resolves.toBe(false);
    await expect(page.getByRole('button', { name: 'Copy address' }).isVisible()).resolves.toBe(true);
    await shot(page, 'crypto-waiting');

    // A marker a reload would wipe out: the page must change by itself, told by its live socket.
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(new URL(ws.url()).pathname));
    await sendUsdc(c.deposit_address, 10_990_000n);
    await statusTitle(page).filter({ hasText: 'Payment seen on the network' }).waitFor({ timeout: 20_000 });
    // anvil mined the transfer in its own block: one confirmation of the local network's two.
    await expect(page.locator('#status-detail').textContent()).resolves.toBe('1 of 2 confirmations on local.');
    await shot(page, 'crypto-processing');
    await mine(1);
    await statusTitle(page).filter({ hasText: 'Payment received' }).waitFor({ timeout: 20_000 });
    await shot(page, 'crypto-succeeded');
    await expect(page.evaluate(() => (globalThis as any).notReloaded)).resolves.toBe(true);
    expect(sockets).toEqual([]); // opened before the marker: no second socket, no reload
  });

  it('after a partial payment shows what remains, without a reload; at expiry, that the window closed', async () => {
    // Test mode's shortest window (expires_in: 10 s), so the expiry comes within the test.
    const intent = await cryptoIntent(1099, { expires_in: 10 });
    const page = await openPage(intent);
    await page.getByRole('button', { name: 'Pay with USDC on local' }).click();
    await statusTitle(page).filter({ hasText: 'Waiting for your transfer' }).waitFor();
    const deposit = (await page.locator('#deposit-address').textContent())!;
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    await sendUsdc(deposit, 5_000_000n);
    await statusTitle(page).filter({ hasText: 'Partially paid' }).waitFor({ timeout: 20_000 });
    await expect(page.locator('#status-detail').textContent()).resolves.toBe(
      'Received 5.00 USDC of 10.99 USDC. Send the remaining 5.99 USDC to the same address.',
    );
    await expect(page.locator('#crypto-amount').textContent()).resolves.toBe('5.99 USDC');
    expect(await decodeQr(page)).toBe(
      `ethereum:${dev.chain.usdc.address}@${dev.chain.chainId}/transfer?address=${deposit}&uint256=5990000`,
    );
    await expect(page.evaluate(() => (globalThis as any).notReloaded)).resolves.toBe(true);
    await shot(page, 'crypto-partial');
    await statusTitle(page).filter({ hasText: 'Payment window closed' }).waitFor({ timeout: 30_000 });
    await expect(page.locator('#status-detail').textContent()).resolves.toContain('Funds sent to this address later are still recorded');
    await shot(page, 'crypto-expired');
  });

  it('pays in one click with a browser wallet (EIP-1193, anvil’s unlocked account)', async () => {
    const intent = await cryptoIntent(2500);
    const page = await newPage();
    const calls = await injectAnvilWallet(page, dev.chain);
    await openPage(intent, page);
    await page.getByRole('button', { name: 'Pay with USDC on local' }).click();
    await statusTitle(page).filter({ hasText: 'Waiting for your transfer' }).waitFor();
    await shot(page, 'crypto-wallet');
    await page.getByRole('button', { name: 'Pay with browser wallet' }).click();
    await statusTitle(page).filter({ hasText: 'Payment seen on the network' }).waitFor({ timeout: 20_000 });
    await mine(1);
    await statusTitle(page).filter({ hasText: 'Payment received' }).waitFor({ timeout: 20_000 });
    expect(calls).toEqual(['eth_requestAccounts', 'wallet_switchEthereumChain', 'eth_sendTransaction']);
    const paid = await api(`/v1/payment_intents/${intent.id}`, { key: sk });
    expect(paid.status).toBe('succeeded');
    expect(paid.crypto.transactions[0].from.toLowerCase()).toBe(dev.chain.accounts[0]!.address.toLowerCase());
  });
});

describe('following the status', () => {
  it('opens the live socket with the publishable key, and falls back to polling when the socket is cut', async () => {
    const intent = await createIntent({ amount: 700 });
    const page = await newPage();
    const opened: string[] = [];
    // The socket is refused on its way (a proxy that does not pass WebSockets): the page must poll.
    await page.routeWebSocket(/\/live\?/, (ws) => {
      opened.push(ws.url());
      ws.close({ code: 1011, reason: 'no sockets here' });
    });
    await openPage(intent, page);
    await expect.poll(() => opened.length).toBe(1);
    const live = new URL(opened[0]!);
    expect(live.pathname).toBe(`/v1/payment_intents/${intent.id}/live`);
    expect(live.searchParams.get('key')).toBe(pk);
    expect(live.searchParams.get('client_secret')).toBe(intent.client_secret);
    const lookups: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === `/v1/payment_intents/${intent.id}`) lookups.push(request.headers().authorization ?? '');
    });
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    await api(`/v1/payment_intents/${intent.id}/confirm`, { key: sk, json: { payment_method: 'pm_card_visa' } });
    await statusTitle(page).filter({ hasText: 'Payment received' }).waitFor({ timeout: 10_000 });
    expect(lookups[0]).toBe(`Bearer ${pk}`);
    await expect(page.evaluate(() => (globalThis as any).notReloaded)).resolves.toBe(true);
  });
});

describe('the whole run', () => {
  it('loaded everything from the worker: no request left the machine, no CSP violation, no page error', () => {
    expect(chromium.blocked).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('logged no client secret and no secret key: not the worker, not wrangler dev’s request lines', () => {
    const output = dev.server.output();
    expect(output).toContain('GET /pay/pi_');
    expect(output).not.toMatch(/_secret_|sk_test_/);
  });
});
