/**
 * The payment methods of 001_… on the hosted payment page, in headless Chromium against `wrangler
 * dev`: the page offers the methods the intent allows; iDEAL goes to its test authorization page and
 * back (authorized: paid; failed: the payer chooses again); BLIK takes a code (a wrong one is
 * declined, 777xxx is approved in the "bank app" and the open page turns to paid by itself); a bank
 * transfer shows its instructions, and the open page follows a partial and then the full transfer.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DevServer,
  launchOfflineBrowser,
  newWatchedPage,
  type OfflineBrowser,
  PAGES_ADMIN_TOKEN,
  startWranglerDev,
} from './support.js';

let dev: DevServer;
let chromium: OfflineBrowser;
let sk: string;
const problems: string[] = [];

async function api(path: string, init: { key?: string; json?: unknown } = {}) {
  const res = await fetch(`${dev.url}${path}`, {
    method: init.json === undefined ? 'GET' : 'POST',
    headers: {
      ...(init.key ? { Authorization: `Bearer ${init.key}` } : {}),
      ...(init.json === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const body = (await res.json()) as any;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}\n${dev.output().slice(-1500)}`);
  return body;
}

const createIntent = (params: Record<string, unknown>) => api('/v1/payment_intents', { key: sk, json: params });

async function openPage(intent: { id: string; client_secret: string }): Promise<Page> {
  const page = await newWatchedPage(chromium.context, problems);
  const res = await page.goto(`${dev.url}/pay/${intent.id}?client_secret=${encodeURIComponent(intent.client_secret)}`);
  expect(res?.status()).toBe(200);
  return page;
}

const statusTitle = (page: Page) => page.locator('#status-title');

beforeAll(async () => {
  [dev, chromium] = await Promise.all([
    // BLIK's approval is the intent's settle timer: half a second here.
    startWranglerDev({ migrate: true, vars: { ADMIN_TOKEN: PAGES_ADMIN_TOKEN, ASYNC_SETTLE_DELAY_MS: '500' } }),
    launchOfflineBrowser(),
  ]);
  const merchant = await api('/v1/admin/merchants', { key: PAGES_ADMIN_TOKEN, json: { name: 'Canal Books' } });
  sk = merchant.keys.test.secret;
});

afterAll(async () => {
  await chromium?.browser.close();
  await dev?.stop();
});

describe('a redirect method: iDEAL', () => {
  it('offers what the intent allows; authorizing on the test page pays', async () => {
    const intent = await createIntent({ amount: 2500, currency: 'eur', payment_method_types: ['card', 'ideal'] });
    const page = await openPage(intent);
    await expect(page.getByLabel('iDEAL — authorize or fail on its test page').isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Visa •••• 4242 — succeeds').isVisible()).resolves.toBe(true);
    // Not among the intent's methods: not offered.
    await expect(page.getByText('PayPal').count()).resolves.toBe(0);
    await expect(page.locator('#blik-code').count()).resolves.toBe(0);
    await page.getByLabel('iDEAL — authorize or fail on its test page').check();
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.getByRole('heading', { name: 'Authorize your iDEAL payment' }).waitFor();
    await page.getByRole('button', { name: 'Authorize test payment' }).click();
    await page.waitForURL((url) => url.pathname === `/pay/${intent.id}` && url.searchParams.get('redirect_status') === 'succeeded');
    await statusTitle(page).filter({ hasText: 'Payment received' }).waitFor();
    expect(await api(`/v1/payment_intents/${intent.id}`, { key: sk })).toMatchObject({ status: 'succeeded', payment_method: 'pm_ideal' });
  });

  it('failing on the test page brings the payer back to choose again', async () => {
    const intent = await createIntent({ amount: 2500, currency: 'eur', payment_method_types: ['ideal'] });
    const page = await openPage(intent);
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.getByRole('button', { name: 'Fail test payment' }).click();
    await page.waitForURL((url) => url.pathname === `/pay/${intent.id}` && url.searchParams.get('redirect_status') === 'failed');
    await page.locator('#decline').filter({ hasText: 'did not authorize the ideal payment' }).waitFor();
    await expect(page.locator('#card-form').isVisible()).resolves.toBe(true);
    expect((await api(`/v1/payment_intents/${intent.id}`, { key: sk })).status).toBe('requires_payment_method');
  });
});

describe('BLIK', () => {
  it('a wrong code is declined; the test code is approved and the open page turns to paid', async () => {
    const intent = await createIntent({ amount: 5000, currency: 'pln', payment_method_types: ['blik'] });
    const page = await openPage(intent);
    await page.getByLabel('BLIK code').fill('12345');
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.locator('#payment-error').filter({ hasText: 'six-digit BLIK code' }).waitFor();
    await page.getByLabel('BLIK code').fill('123456');
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.locator('#decline').filter({ hasText: 'BLIK code is invalid' }).waitFor();
    // After a decline the page asks for a choice again.
    await page.getByLabel('BLIK — enter a code: 777xxx approves, any other is declined').check();
    await page.getByLabel('BLIK code').fill('777123');
    await page.getByRole('button', { name: /^Pay / }).click();
    // Approved "in the bank app" by the intent's timer: the page follows by itself.
    await statusTitle(page)
      .filter({ hasText: /Approve in your bank app|Payment received/ })
      .waitFor();
    await statusTitle(page).filter({ hasText: 'Payment received' }).waitFor({ timeout: 20_000 });
    expect(await api(`/v1/payment_intents/${intent.id}`, { key: sk })).toMatchObject({ status: 'succeeded', payment_method: 'pm_blik' });
  });
});

describe('a bank transfer', () => {
  it('shows the instructions; the open page follows a partial and then the full transfer', async () => {
    const intent = await createIntent({ amount: 2000, currency: 'eur', payment_method_types: ['customer_balance'] });
    const page = await openPage(intent);
    await page.getByRole('button', { name: /^Pay / }).click();
    await statusTitle(page).filter({ hasText: 'Waiting for your bank transfer' }).waitFor();
    const instructions = (await api(`/v1/payment_intents/${intent.id}`, { key: sk })).next_action.display_bank_transfer_instructions;
    await expect(page.locator('#transfer-reference').textContent()).resolves.toBe(instructions.reference);
    await expect(page.locator('#transfer-amount').textContent()).resolves.toBe('€20.00');
    await expect(page.locator('#bank-transfer').textContent()).resolves.toContain(instructions.financial_addresses[0].iban.iban);

    await api(`/v1/test_helpers/payment_intents/${intent.id}/fund`, { key: sk, json: { amount: 500, currency: 'eur' } });
    await statusTitle(page).filter({ hasText: 'Partially paid' }).waitFor({ timeout: 20_000 });
    await expect(page.locator('#transfer-amount').textContent()).resolves.toBe('€15.00');
    await api(`/v1/test_helpers/payment_intents/${intent.id}/fund`, { key: sk, json: { amount: 1500, currency: 'eur' } });
    await statusTitle(page).filter({ hasText: 'Payment received' }).waitFor({ timeout: 20_000 });
  });

  it('no page had a problem (console errors, failed requests, requests off this machine)', () => {
    expect(problems).toEqual([]);
  });
});
