/**
 * The hosted payment page (GET/POST /pay/{id}) in the Workers runtime: its security headers, one 404
 * page for every wrong case, the form flow without JavaScript (pay, decline and pay again, 3-D
 * Secure there and back, live mode without a processor), amounts in the payer's locale and exact,
 * the crypto deposit with its QR code, and only this merchant's browser-safe data on the page.
 */
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomXpub } from '../chain/local-chain-client.js';
import { ADMIN_TOKEN, call, createIntent, createMerchant, get, post, type TestMerchant } from '../helpers.js';
import { NOT_FOUND_PAGE } from '../../src/pages/checkout/view.js';

const BASE = 'http://pay.test';
let m: TestMerchant;
let other: TestMerchant;

beforeAll(async () => {
  [m, other] = await Promise.all([createMerchant('Corner Bakery'), createMerchant('Another Shop')]);
  const set = await call(`/v1/admin/merchants/${m.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: randomXpub() } });
  expect(set.status).toBe(200);
});

const pagePath = (intent: { id: string; client_secret: string }) =>
  `/pay/${intent.id}?client_secret=${encodeURIComponent(intent.client_secret)}`;

async function open(intent: { id: string; client_secret: string }, language = 'en-US') {
  const res = await call(pagePath(intent), { headers: { 'Accept-Language': language } });
  return { res, html: await res.text() };
}

/** The form as a browser without JavaScript submits it. */
function submit(intent: { id: string; client_secret: string }, fields: Record<string, string>) {
  return call(`/pay/${intent.id}`, {
    form: new URLSearchParams({ client_secret: intent.client_secret, ...fields }).toString(),
    redirect: 'manual',
  });
}

/** Text of the page without tags, whitespace collapsed. */
function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

async function anIntent(params: Record<string, unknown> = {}, key = m.keys.test.secret) {
  const { res, body } = await createIntent(key, params);
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

describe('the page of an intent', () => {
  it('shows the merchant, the description, the amount and the test methods, with strict security headers', async () => {
    const intent = await anIntent({ amount: 2599, description: 'Two sourdough loaves' });
    const { res, html } = await open(intent);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy')!;
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self' http://pay.test ws://pay.test",
      "form-action 'self' http://pay.test",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp.split('; ')).toContain(directive);
    }
    expect(csp).not.toContain('unsafe');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
    // No inline script or style: the worker's own script and stylesheet only.
    expect([...html.matchAll(/<script\b[^>]*>/g)].map((s) => s[0])).toEqual(['<script type="module" src="/assets/checkout/pay.js">']);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const shown = text(html);
    expect(shown).toContain('Corner Bakery');
    expect(shown).toContain('Two sourdough loaves');
    expect(shown).toContain('$25.99');
    expect(shown).toContain('Awaiting payment');
    expect(html).toContain(`action="${BASE}/pay/${intent.id}"`);
    for (const method of ['pm_card_visa', 'pm_card_chargeDeclined', 'pm_card_threeDSecure2Required']) {
      expect(html).toMatch(new RegExp(`<input type="radio" name="payment_method" value="${method}"`));
    }
    // Every choice is labelled: the radio inside its <label>.
    expect(html.match(/<label class="choice"/g)?.length).toBe(html.match(/type="radio"/g)?.length);
  });

  it('may be framed only by the origins its merchant listed in /v1/checkout_settings; the 404 page by none', async () => {
    const framer = await createMerchant('Framed Bakery');
    const { body: intent } = await createIntent(framer.keys.test.secret, { amount: 500, currency: 'usd' });
    const frameAncestors = async () =>
      (await open(intent)).res.headers
        .get('content-security-policy')!
        .split('; ')
        .find((d) => d.startsWith('frame-ancestors'));
    expect(await frameAncestors()).toBe("frame-ancestors 'none'");
    await post(framer.keys.test.secret, '/v1/checkout_settings', {
      frame_ancestors: ['https://bakery.example', 'https://shop.bakery.example:8443'],
    });
    expect(await frameAncestors()).toBe('frame-ancestors https://bakery.example https://shop.bakery.example:8443');
    // Another merchant's pages stay unframeable, and so does the 404 page of a wrong secret.
    const theirs = await anIntent();
    expect((await open(theirs)).res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const wrong = await open({ id: intent.id, client_secret: `${intent.id}_secret_${'x'.repeat(24)}` });
    expect(wrong.res.status).toBe(404);
    expect(wrong.res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    await post(framer.keys.test.secret, '/v1/checkout_settings', { frame_ancestors: [] });
    expect(await frameAncestors()).toBe("frame-ancestors 'none'");
  });

  it('builds its links on PUBLIC_BASE_URL, never on the Host the request came with', async () => {
    const intent = await anIntent();
    const res = await exports.default.fetch(new Request(`http://attacker.example${pagePath(intent)}`));
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain(`action="${BASE}/pay/${intent.id}"`);
    expect(html).toContain(`data-live-url="ws://pay.test/v1/payment_intents/${intent.id}/live?`);
    expect(html).not.toContain('attacker.example');
    const paid = await exports.default.fetch(
      new Request(`http://attacker.example/pay/${intent.id}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_secret: intent.client_secret, payment_method: 'pm_card_threeDSecure2Required' }),
        redirect: 'manual',
      }),
    );
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toMatch(new RegExp(`^${BASE}/challenge/${intent.id}/`));
  });

  it('offers only the test methods of the intent’s payment_method_types', async () => {
    const intent = await anIntent({ payment_method_types: ['us_bank_account'] });
    const { html } = await open(intent);
    const offered = [...html.matchAll(/name="payment_method" value="([^"]+)"/g)].map((x) => x[1]);
    expect(offered).toEqual(['pm_usBankAccount', 'pm_usBankAccount_insufficientFunds']);
  });

  it('carries only this merchant’s browser-safe data: its publishable key, never a secret key, metadata or the other mode’s key', async () => {
    const intent = await anIntent({ metadata: { internal_ref: 'warehouse-7' }, receipt_email: 'jenny@example.com' });
    const { html } = await open(intent);
    expect(html).toContain(`data-key="${m.keys.test.publishable}"`);
    for (const hidden of [
      m.keys.test.secret,
      m.keys.live.secret,
      m.keys.live.publishable,
      other.keys.test.publishable,
      'Another Shop',
      'warehouse-7',
      'jenny@example.com',
      m.id,
    ]) {
      expect(html).not.toContain(hidden);
    }
  });
});

describe('a wrong link', () => {
  it('is one 404 page, byte for byte, whatever is wrong: unknown or malformed id, missing, wrong or another intent’s secret', async () => {
    const intent = await anIntent();
    const another = await anIntent({}, other.keys.test.secret);
    const unknownId = `pi_${'0'.repeat(intent.id.length - 3)}`;
    const wrong = [
      `/pay/${unknownId}?client_secret=${encodeURIComponent(intent.client_secret)}`,
      `/pay/not-an-id?client_secret=${encodeURIComponent(intent.client_secret)}`,
      `/pay/${intent.id}`,
      `/pay/${intent.id}?client_secret=`,
      `/pay/${intent.id}?client_secret=${encodeURIComponent(`${intent.client_secret.slice(0, -1)}x`)}`,
      `/pay/${intent.id}?client_secret=${encodeURIComponent(another.client_secret)}`,
      `/pay/${another.id}?client_secret=${encodeURIComponent(intent.client_secret)}`,
    ];
    for (const path of wrong) {
      const res = await call(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(await res.text(), path).toBe(NOT_FOUND_PAGE);
    }
    const posted = await call(`/pay/${intent.id}`, {
      form: `client_secret=${encodeURIComponent(another.client_secret)}&payment_method=pm_card_visa`,
    });
    expect(posted.status).toBe(404);
    expect(await posted.text()).toBe(NOT_FOUND_PAGE);
    // Nothing happened to the intent.
    expect((await open(intent)).html).toContain('Awaiting payment');
  });

  it('refuses a malformed form by naming the parameter', async () => {
    const intent = await anIntent();
    const res = await submit(intent, { payment_method: 'pm_card_visa', amount: '1' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: 'parameter_unknown', param: 'amount' });
    const missing = await call(`/pay/${intent.id}`, { form: 'payment_method=pm_card_visa' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error).toMatchObject({ code: 'parameter_missing', param: 'client_secret' });
  });
});

describe('paying without JavaScript', () => {
  it('pays with a test card: 303 back to the page, which says the payment was received', async () => {
    const intent = await anIntent();
    const res = await submit(intent, { payment_method: 'pm_card_visa' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${BASE}${pagePath(intent)}`);
    const { html } = await open(intent);
    expect(text(html)).toContain('Payment received');
    expect(html).not.toContain('<form');
    const seen = await call(`/v1/payment_intents/${intent.id}`, { key: m.keys.test.secret });
    expect(((await seen.json()) as any).status).toBe('succeeded');
  });

  it('shows a decline and lets the payer choose again, then pays', async () => {
    const intent = await anIntent();
    const declined = await submit(intent, { payment_method: 'pm_card_chargeDeclined' });
    expect(declined.status).toBe(303);
    const { html } = await open(intent);
    expect(text(html)).toContain('Your card was declined.');
    expect(html).toContain('id="card-form"');
    expect(html).not.toMatch(/value="[^"]+" checked/);
    expect((await submit(intent, { payment_method: 'pm_card_visa' })).status).toBe(303);
    expect(text((await open(intent)).html)).toContain('Payment received');
  });

  it('goes through 3-D Secure and comes back to the page', async () => {
    const intent = await anIntent();
    const res = await submit(intent, { payment_method: 'pm_card_threeDSecure2Required' });
    expect(res.status).toBe(303);
    const challenge = new URL(res.headers.get('location')!);
    expect(challenge.pathname).toMatch(new RegExp(`^/challenge/${intent.id}/[0-9A-Za-z]{32}$`));
    const pending = await open(intent);
    expect(text(pending.html)).toContain('Authentication required');
    expect(pending.html).toContain(`href="${challenge.href}"`);
    const back = await call(challenge.pathname, { form: 'outcome=succeeded', redirect: 'manual' });
    expect(back.status).toBe(303);
    const returned = new URL(back.headers.get('location')!);
    expect(`${returned.origin}${returned.pathname}`).toBe(`${BASE}/pay/${intent.id}`);
    expect(returned.searchParams.get('client_secret')).toBe(intent.client_secret);
    expect(returned.searchParams.get('redirect_status')).toBe('succeeded');
    const page = await call(`${returned.pathname}${returned.search}`);
    expect(text(await page.text())).toContain('Payment received');
  });

  it('says plainly that live mode has no processor, and changes nothing', async () => {
    const intent = await anIntent({}, m.keys.live.secret);
    const { html: before } = await open(intent);
    expect(before).not.toContain('Test mode');
    const res = await submit(intent, { payment_method: 'pm_card_visa' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(text(await res.text())).toContain('Live-mode payments need a payment processor');
    expect(text((await open(intent)).html)).toContain('Awaiting payment');
  });

  it('charges once when the form is sent twice at the same time (a double click): the other answer says it is paid already', async () => {
    const intent = await anIntent();
    const answers = await Promise.all([
      submit(intent, { payment_method: 'pm_card_visa' }),
      submit(intent, { payment_method: 'pm_card_mastercard' }),
    ]);
    expect(answers.map((res) => res.status).sort()).toEqual([303, 400]);
    const refused = answers.find((res) => res.status === 400)!;
    expect(text(await refused.text())).toContain('succeeded');
    const events = await call(`/v1/events?limit=100`, { key: m.keys.test.secret });
    const succeeded = ((await events.json()) as any).data.filter(
      (e: any) => e.type === 'payment_intent.succeeded' && e.data.object.id === intent.id,
    );
    expect(succeeded).toHaveLength(1);
    expect(text((await open(intent)).html)).toContain('Payment received');
  });

  it('asks for a payment method when none was chosen', async () => {
    const intent = await anIntent();
    const res = await submit(intent, {});
    expect(res.status).toBe(400);
    expect(text(await res.text())).toContain('Choose a payment method.');
  });
});

describe('amounts', () => {
  it('are formatted in the payer’s locale with the currency’s exponent', async () => {
    const usd = await anIntent({ amount: 123456 });
    expect(text((await open(usd, 'en-US')).html)).toContain('$1,234.56');
    expect(text((await open(usd, 'de-DE,de;q=0.9,en;q=0.5')).html)).toContain('1.234,56 $');
    expect(text((await open(usd, 'fr;q=0.2, de-DE;q=0.8')).html)).toContain('1.234,56 $');
    expect(text((await open(usd, '*, not a tag')).html)).toContain('$1,234.56');
    const jpy = await anIntent({ amount: 5000, currency: 'jpy' });
    expect(text((await open(jpy, 'ja-JP')).html)).toContain('￥5,000');
    expect(text((await open(jpy, 'en-US')).html)).toContain('¥5,000');
    const kwd = await anIntent({ amount: 1005, currency: 'kwd' });
    expect(text((await open(kwd, 'en-US')).html)).toContain('KWD 1.005');
  });

  it('are exact for the largest card amount and for token amounts past 2^53', async () => {
    const largest = await anIntent({ amount: 99_999_999 });
    expect(text((await open(largest)).html)).toContain('$999,999.99');
    const wei = 123_456_789_012_345_678_901n;
    const eth = await anIntent({
      amount: wei.toString(),
      currency: 'eth',
      payment_method_types: ['crypto'],
      payment_method_options: { crypto: { network: 'deep', token: 'eth' } },
    });
    expect(text((await open(eth)).html)).toContain('123.456789012345678901 ETH');
    expect(text((await open(eth, 'de-DE')).html)).toContain('123,456789012345678901 ETH');
  });
});

describe('a crypto intent', () => {
  it('offers to pay, then shows the exact amount, the deposit address and a QR code of the EIP-681 URI', async () => {
    const intent = await anIntent({
      amount: 1099,
      payment_method_types: ['crypto'],
      payment_method_options: { crypto: { network: 'deep', token: 'usdc' } },
    });
    const before = await open(intent);
    expect(text(before.html)).toContain('Pay with USDC on deep');
    expect(before.html).not.toContain('<svg');
    const res = await submit(intent, {});
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${BASE}${pagePath(intent)}`);
    const { body } = await get(m.keys.test.secret, `/v1/payment_intents/${intent.id}`);
    const c = body.crypto;
    expect(body.status).toBe('requires_action');
    const { html } = await open(intent);
    const shown = text(html);
    expect(shown).toContain('Waiting for your transfer');
    expect(shown).toContain('10.99 USDC');
    expect(shown).toContain(c.deposit_address);
    const uri = `ethereum:${c.token_address}@${c.chain_id}/transfer?address=${c.deposit_address}&uint256=10990000`;
    expect(html).toContain(`<svg role="img" aria-label="QR code: ${uri.replaceAll('&', '&amp;')}" class="qr"`);
    expect(html).toMatch(/<time id="countdown" datetime="[^"]+Z">1[45]:\d\d<\/time>/);
    expect(html).toContain('id="wallet-pay" hidden');
    const canceled = await post(m.keys.test.secret, `/v1/payment_intents/${intent.id}/cancel`, {});
    expect(canceled.body.status).toBe('canceled');
  });
});
