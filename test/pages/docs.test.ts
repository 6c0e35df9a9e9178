/**
 * /docs in a real browser, offline: Chromium loads it from `wrangler dev` with every request to
 * another host refused, and Scalar's reference must render the operations, their parameters, the
 * authentication and the examples from this worker's own assets, with no CSP violation.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, launchOfflineBrowser, type OfflineBrowser, startWranglerDev } from './support.js';

describe('/docs in Chromium, with no internet', () => {
  let server: DevServer;
  let chromium: OfflineBrowser;
  let page: Page;
  const problems: string[] = [];
  const requested: string[] = [];

  beforeAll(async () => {
    [server, chromium] = await Promise.all([startWranglerDev(), launchOfflineBrowser()]);
    page = await chromium.context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await page.goto(`${server.url}/docs`);
    // Scalar renders after fetching /openapi.json: wait for an operation once, for every test below.
    await page.getByRole('heading', { name: /^Create a payment intent/ }).waitFor({ timeout: 30_000 });
  });

  afterAll(async () => {
    await chromium?.browser.close();
    await server?.stop();
  });

  it('renders an operation with its parameters, its request example and its response example', async () => {
    const operation = page.locator('section').filter({ has: page.getByRole('heading', { name: /^Create a payment intent/ }) });
    const text = (await operation.textContent()) ?? '';
    for (const expected of ['Body', 'amount', 'required', 'currency', 'capture_method', 'automatic_async', 'metadata', 'Responses']) {
      expect(text).toContain(expected);
    }
    // The curl example sends the route's example body, form-encoded; the response example is the intent it makes.
    expect(text).toContain(`curl ${server.url}/v1/payment_intents`);
    for (const param of ['amount=2000', 'currency=usd', 'payment_method=pm_card_visa', 'confirm=true']) {
      expect(text).toContain(`--data-urlencode '${param}'`);
    }
    expect(text).toContain('"object": "payment_intent"');
    expect(text).toContain('"status": "succeeded"');
  });

  it('shows how to authenticate: the API key as a Bearer token, preselected', async () => {
    const body = (await page.locator('body').textContent()) ?? '';
    expect(body).toContain('Authentication');
    expect(body).toContain('An API key as a Bearer token');
    await expect(page.getByText('Bearer Token').first().isVisible()).resolves.toBe(true);
  });

  it('loaded everything from the worker: no request left the machine, no CSP violation, no error', () => {
    expect(chromium.blocked).toEqual([]);
    expect(problems).toEqual([]);
    expect(requested).toEqual(expect.arrayContaining(['/docs', '/vendor/scalar/api-reference.js', '/openapi.json']));
  });
});
