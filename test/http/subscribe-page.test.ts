/**
 * The subscribe page (GET /subscribe/{button_id}) and its JSON endpoints in the Workers runtime: the
 * directory row a new debit item writes, the page of a real item (terms exact, security headers),
 * one 404 for every unknown or malformed button, a deactivated item's message, and the signed
 * mandate's validation — every malformed field a 400 naming it — before anything reaches the seam.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, createMerchant, post, type TestMerchant } from '../helpers.js';
import { NOT_FOUND_PAGE } from '../../src/pages/subscribe/view.js';

const BASE = 'http://pay.test';
const PAYEE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const PAYER = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

const ITEM = {
  name: 'Daily plan',
  network: 'testnet',
  token: 'usdc',
  payee_address: PAYEE,
  max_price: '1234567',
  debit_times: 12,
  debit_interval: 30,
  pricing: 'fixed',
  redirect_url: 'https://shop.example/subscribed',
};

let m: TestMerchant;
let other: TestMerchant;
beforeAll(async () => {
  [m, other] = await Promise.all([createMerchant('Corner Gym'), createMerchant('Another Shop')]);
});

async function anItem(overrides: Record<string, unknown> = {}, key = m.keys.test.secret) {
  const { res, body } = await post(key, '/v1/debit_items', { ...ITEM, ...overrides });
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A signed mandate's fields, valid in form (the signature is not checked before the seam). */
function subscription(overrides: Record<string, unknown> = {}) {
  const start = Math.floor(Date.now() / 1000);
  return {
    account_type: 'connected_wallet',
    payer: PAYER,
    start,
    valid_before: start + 3600,
    salt: `0x${'5a'.repeat(32)}`,
    signature: `0x${'ab'.repeat(65)}`,
    ...overrides,
  };
}

function postMandate(buttonId: string, body: unknown) {
  return call(`/subscribe/${buttonId}/mandates`, { json: body });
}

describe('the directory row of a button', () => {
  it('is written when a debit item is created: the merchant, the mode, the shard and the item', async () => {
    const item = await anItem();
    const row = await env.DIRECTORY.prepare('SELECT * FROM subscribe_buttons WHERE button_id = ?').bind(item.button_id).first<any>();
    expect(row).toMatchObject({ merchant_id: m.id, livemode: 0, debit_item_id: item.id });
    expect(row.shard).toMatch(/^SHARD_\d+$/);
    expect(item.checkout_url).toBe(`${BASE}/subscribe/${item.button_id}`);
  });
});

describe('GET /subscribe/{button_id}', () => {
  it('shows the item: name, exact price, debits, interval, pricing, network and payee, with strict headers', async () => {
    const item = await anItem();
    const res = await call(`/subscribe/${item.button_id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Security-Policy')).toContain("script-src 'self'");
    expect(res.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
    expect(res.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const html = await res.text();
    const words = text(html);
    expect(words).toContain('Corner Gym');
    expect(words).toContain('Daily plan');
    expect(words).toContain('1.234567 USDC');
    expect(words).toContain('Fixed: 1.234567 USDC each time');
    expect(words).toContain('12 debits, at most 14.814804 USDC in all');
    expect(words).toContain('every 30 days');
    expect(words).toContain('testnet (chain 31340)');
    expect(words).toContain(PAYEE);
    expect(html).toContain(`data-mandates-url="${BASE}/subscribe/${item.button_id}/mandates"`);
    expect(html).not.toMatch(/<script>|<style>|style="/);
    // Nothing of the merchant beyond what the page shows: no key, no redirect URL, no item id.
    expect(html).not.toContain(m.keys.test.secret);
    expect(html).not.toContain(m.keys.test.publishable);
    expect(html).not.toContain('shop.example');
    expect(html).not.toContain(item.id);
  });

  it('says when the network has no mandate contracts: no flow', async () => {
    const item = await anItem();
    const words = text(await (await call(`/subscribe/${item.button_id}`)).text());
    expect(words).toContain('Subscriptions on testnet are not available right now.');
  });

  it('shows a Dynamic item as at most its price, and a seconds interval in seconds', async () => {
    const item = await anItem({ pricing: 'dynamic', debit_interval: undefined, debit_interval_seconds: 10, max_price: 5_000_000 });
    const words = text(await (await call(`/subscribe/${item.button_id}`)).text());
    expect(words).toContain('Dynamic: the seller asks each time, never more than 5.00 USDC');
    expect(words).toContain('every 10 seconds');
  });

  it('answers one 404 page for an unknown, a malformed and another item’s id', async () => {
    const item = await anItem();
    for (const path of [
      `/subscribe/btn_${'Q'.repeat(32)}`,
      '/subscribe/not-a-button',
      `/subscribe/${item.button_id}x`,
      `/subscribe/${item.id}`,
      `/subscribe/${encodeURIComponent(`${item.button_id}' OR 1=1`)}`,
    ]) {
      const res = await call(path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toBe(NOT_FOUND_PAGE);
    }
  });

  it('says a deactivated item takes no subscriptions, and shows no flow', async () => {
    const item = await anItem();
    expect((await post(m.keys.test.secret, `/v1/debit_items/${item.id}/deactivate`)).res.status).toBe(200);
    const html = await (await call(`/subscribe/${item.button_id}`)).text();
    expect(text(html)).toContain('This subscription is no longer offered');
    expect(html).not.toContain('id="flow"');
    expect(html).toContain('data-active="false"');
  });
});

describe('POST /subscribe/{button_id}/mandates', () => {
  let buttonId: string;
  beforeAll(async () => {
    buttonId = (await anItem()).button_id;
  });

  const MALFORMED: [string, unknown][] = [
    ['account_type', 'savings'],
    ['account_type', 1],
    ['payer', '0x1234'],
    ['payer', `${PAYER}00`],
    ['payer', 'f39Fd6e51aad88F6F4ce6aB8827279cffFb92266'],
    ['start', -1],
    ['start', 1.5],
    ['start', '17672256.5'],
    ['start', 2 ** 60],
    ['valid_before', 0],
    ['valid_before', 'soon'],
    ['valid_before', '-1'],
    ['salt', '0x1234'],
    ['salt', `0x${'zz'.repeat(32)}`],
    ['signature', '0x'],
    ['signature', '0xabc'],
    ['signature', `0x${'ab'.repeat(2050)}`],
    ['signature', 42],
  ];

  it.each(MALFORMED)('refuses a malformed %s: 400 naming it', async (field, value) => {
    const res = await postMandate(buttonId, subscription({ [field]: value }));
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error.param).toBe(field);
  });

  it.each(['account_type', 'payer', 'start', 'valid_before', 'salt', 'signature'])('refuses a missing %s: 400 naming it', async (field) => {
    const body = subscription();
    delete (body as Record<string, unknown>)[field];
    const res = await postMandate(buttonId, body);
    const answer = (await res.json()) as any;
    expect(res.status).toBe(400);
    expect(answer.error).toMatchObject({ code: 'parameter_missing', param: field });
  });

  it('refuses an unknown field, naming it', async () => {
    const res = await postMandate(buttonId, subscription({ max_amount: '1' }));
    const body = (await res.json()) as any;
    expect(res.status).toBe(400);
    expect(body.error.param).toBe('max_amount');
  });

  it('refuses a deadline that has passed, or one not after the start', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const times of [
      { start: now - 7200, valid_before: now - 3600 },
      { start: now, valid_before: now },
    ]) {
      const res = await postMandate(buttonId, subscription(times));
      const body = (await res.json()) as any;
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body.error.param).toBe('valid_before');
    }
  });

  it('refuses an account type the item’s network has no contract for, naming account_type', async () => {
    const res = await postMandate(buttonId, subscription());
    const body = (await res.json()) as any;
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'account_type' });
  });

  it('answers 404 naming button_id for an unknown or malformed button', async () => {
    for (const id of [`btn_${'Q'.repeat(32)}`, 'nope']) {
      const res = await postMandate(id, subscription());
      const body = (await res.json()) as any;
      expect(res.status).toBe(404);
      expect(body.error).toMatchObject({ code: 'resource_missing', param: 'button_id' });
    }
  });

  it('refuses a deactivated item’s button, naming button_id', async () => {
    const item = await anItem();
    await post(m.keys.test.secret, `/v1/debit_items/${item.id}/deactivate`);
    const res = await postMandate(item.button_id, subscription());
    const body = (await res.json()) as any;
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'debit_item_inactive', param: 'button_id' });
  });

  it('takes no API key: another merchant’s key neither helps nor hurts (the button decides)', async () => {
    const res = await call(`/subscribe/${buttonId}/mandates`, { key: other.keys.test.secret, json: subscription({ salt: '0x12' }) });
    const body = (await res.json()) as any;
    expect(res.status).toBe(400);
    expect(body.error.param).toBe('salt');
  });
});

describe('GET /subscribe/{button_id}?mandate=', () => {
  it('says “not found” for a malformed mandate id, with the terms and no flow', async () => {
    const item = await anItem();
    const res = await call(`/subscribe/${item.button_id}?mandate=pi_123`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(text(html)).toContain('Subscription not found');
    expect(text(html)).toContain('Daily plan');
    expect(html).not.toContain('id="flow"');
  });
});
