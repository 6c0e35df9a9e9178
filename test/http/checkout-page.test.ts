/**
 * The hosted payment page (GET/POST /pay/{id}) in the Workers runtime: its security headers, one 404
 * page for every wrong case, the form flow without JavaScript (pay, decline and pay again, 3-D
 * Secure there and back, live mode without a processor), amounts in the payer's locale and exact,
 * the crypto deposit with its QR code, and only this merchant's browser-safe data on the page.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomXpub } from '../chain/local-chain-client.js';
import { expectErrorLogs } from '../expected-logs.js';
import { ADMIN_TOKEN, call, createIntent, createMerchant, get, post, type TestMerchant, waitFor } from '../helpers.js';
import { checkoutPageView } from '../../src/checkout/service.js';
import { parseAmountInput } from '../../src/pages/checkout/format.js';
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
    const res = await submit(intent, { payment_method: 'pm_card_visa', coupon: 'FREE' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: 'parameter_unknown', param: 'coupon' });
    const crypto = await submit(intent, { pay_with: 'crypto', crypto: 'USDC on local' });
    expect(crypto.status).toBe(400);
    expect(((await crypto.json()) as any).error).toMatchObject({ param: 'crypto' });
    const button = await submit(intent, { pay_with: 'wire' });
    expect(button.status).toBe(400);
    expect(((await button.json()) as any).error).toMatchObject({ param: 'pay_with' });
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

/** A Checkout Session of the merchant (test mode), made on the API as the SDK sends it; its page's path from its url. */
async function aSession(params: Record<string, unknown> = {}, who: TestMerchant = m) {
  const { res, body } = await post(who.keys.test.secret, '/v1/checkout/sessions', {
    mode: 'payment',
    line_items: [{ price_data: { currency: 'usd', unit_amount: 2000, product_data: { name: 'Mug' } }, quantity: 1 }],
    success_url: 'https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}',
    ...params,
  });
  expect(res.status, JSON.stringify(body)).toBe(200);
  const url = new URL(body.url);
  const intent = { id: url.pathname.split('/').pop()!, client_secret: url.searchParams.get('client_secret')! };
  return { session: body, intent, path: `${url.pathname}${url.search}` };
}

const donation = (bounds: Record<string, number>, currency = 'usd') => ({
  line_items: [
    {
      price_data: { currency, product_data: { name: 'Donation' }, custom_unit_amount: { enabled: true, ...bounds } },
      quantity: 1,
    },
  ],
});

describe('the page of a Checkout Session', () => {
  it('shows the line items (name, description, quantity × unit, line total), the total and the way back to the shop', async () => {
    const { session, path } = await aSession({
      line_items: [
        { price_data: { currency: 'eur', unit_amount: 1500, product_data: { name: 'T-shirt', description: 'Size M' } }, quantity: 2 },
        { price_data: { currency: 'eur', unit_amount: 500, product_data: { name: 'Shipping' } }, quantity: 1 },
      ],
      cancel_url: 'https://shop.example/cart',
      payment_intent_data: { description: 'Order A-1' },
    });
    const res = await call(path, { headers: { 'Accept-Language': 'en-US' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    const shown = text(html);
    expect(shown).toContain('T-shirt Size M 2 × €15.00 €30.00');
    expect(shown).toContain('Shipping 1 × €5.00 €5.00');
    expect(shown).toContain('Total €35.00');
    expect(html).toContain('<a id="cancel-link" href="https://shop.example/cart">Cancel and return to Corner Bakery</a>');
    expect(html).toContain(`data-success-url="https://shop.example/thanks?session_id=${session.id}"`);
    // The form's redirects end at the success_url: form-action allows that one origin besides the page's.
    expect(res.headers.get('content-security-policy')!.split('; ')).toContain("form-action 'self' http://pay.test https://shop.example");
  });

  it('answers 303 to the success_url (the session id in it) once paid, with or without JavaScript', async () => {
    const { session, intent, path } = await aSession();
    const paid = await submit(intent, { payment_method: 'pm_card_visa', pay_with: 'card' });
    expect(paid.status).toBe(303);
    const res = await call(path, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`https://shop.example/thanks?session_id=${session.id}`);
    const { body } = await get(m.keys.test.secret, `/v1/checkout/sessions/${session.id}`);
    expect(body).toMatchObject({ status: 'complete', payment_status: 'paid' });
  });

  it('completes the session before sending the payer to the success_url, even while the intent has not told it yet', async () => {
    const { session, intent, path } = await aSession();
    // Hold the intent's own report to its session back (its `checkout` timer fails and waits its back-off), as a slow alarm would.
    const logs = expectErrorLogs(
      (log) => log.msg === 'timer failed; retrying with back-off' && log.error.message === 'held back by the test',
    );
    const stub = env.INTENTS.get(env.INTENTS.idFromName(intent.id));
    await runInDurableObject(stub, async (object) => {
      Object.assign(object, { tellCheckoutSession: () => Promise.reject(new Error('held back by the test')) });
    });
    const confirmed = await post(m.keys.test.secret, `/v1/payment_intents/${intent.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(confirmed.body.status).toBe('succeeded');
    expect((await get(m.keys.test.secret, `/v1/checkout/sessions/${session.id}`)).body.status).toBe('open');
    const res = await call(path, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`https://shop.example/thanks?session_id=${session.id}`);
    // What the merchant's success page reads.
    expect((await get(m.keys.test.secret, `/v1/checkout/sessions/${session.id}`)).body).toMatchObject({
      status: 'complete',
      payment_status: 'paid',
    });
    // The intent's own report fails, as held (its timer will find the session complete later).
    await waitFor(async () => logs.caught.length > 0);
    logs.restore();
  });

  it('shows the expiry, and no way to pay, once the session expired', async () => {
    const { session, path } = await aSession({ cancel_url: 'https://shop.example/cart' });
    const expired = await post(m.keys.test.secret, `/v1/checkout/sessions/${session.id}/expire`, {});
    expect(expired.body.status).toBe('expired');
    const html = await (await call(path)).text();
    expect(text(html)).toContain('This checkout has expired');
    expect(html).not.toContain('<form');
    expect(html).not.toContain('cancel-link');
  });

  it('never shows another merchant’s session: the view is loaded as the intent’s owner, and another secret is the 404 page', async () => {
    const mine = await aSession();
    const theirs = await aSession(
      { line_items: [{ price_data: { currency: 'usd', unit_amount: 999, product_data: { name: 'Secret gadget' } }, quantity: 1 }] },
      other,
    );
    const html = await (await call(mine.path)).text();
    expect(html).toContain('Mug');
    expect(html).not.toContain('Secret gadget');
    expect(html).not.toContain('Another Shop');
    expect(await checkoutPageView(env, theirs.session.id, { merchantId: m.id, livemode: false })).toBeNull();
    const crossed = await call(`/pay/${theirs.intent.id}?client_secret=${encodeURIComponent(mine.intent.client_secret)}`);
    expect(crossed.status).toBe(404);
    expect(await crossed.text()).toBe(NOT_FOUND_PAGE);
  });
});

describe('an amount the payer chooses', () => {
  it.each([
    ['12.5', 'usd', 1250n],
    ['12.50', 'usd', 1250n],
    ['12', 'usd', 1200n],
    [' 7.05 ', 'usd', 705n],
    ['.5', 'usd', 50n],
    ['1000', 'jpy', 1000n],
    ['0.001', 'kwd', 1n],
    ['123456789.99', 'usd', 12345678999n],
  ])('reads %j %s exactly as %s', (input, currency, expected) => {
    expect(parseAmountInput(input, currency)).toEqual({ ok: true, amount: expected });
  });

  it.each([
    ['12.345', 'usd', 'at most 2 decimal places'],
    ['1.5', 'jpy', 'whole number of JPY'],
    ['0.0001', 'kwd', 'at most 3 decimal places'],
    ['1e3', 'usd', 'as a number'],
    ['-5', 'usd', 'as a number'],
    ['12,50', 'usd', 'as a number'],
    ['', 'usd', 'as a number'],
    ['0x10', 'usd', 'as a number'],
  ])('refuses %j %s (%s)', (input, currency, reason) => {
    const parsed = parseAmountInput(input, currency);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(reason);
  });

  it('is a labelled decimal field with its bounds, prefilled with the preset; within bounds it pays that amount', async () => {
    const { intent, session } = await aSession(donation({ minimum: 500, maximum: 10000, preset: 1500 }));
    const { html } = await open(intent);
    expect(html).toContain('<label for="amount-input">Amount (USD)</label>');
    expect(html).toMatch(/<input\s+id="amount-input"\s+name="amount"\s+type="text"\s+inputmode="decimal"/);
    expect(html).toContain('value="15.00"');
    expect(text(html)).toContain('The amount must be between $5.00 and $100.00.');
    const res = await submit(intent, { amount: '12.5', payment_method: 'pm_card_visa' });
    expect(res.status).toBe(303);
    const { body } = await get(m.keys.test.secret, `/v1/payment_intents/${intent.id}`);
    expect(body).toMatchObject({ status: 'succeeded', amount: 1250 });
    expect((await get(m.keys.test.secret, `/v1/checkout/sessions/${session.id}`)).body.status).toBe('complete');
  });

  it('refuses too many decimals and amounts out of bounds on the page, keeping what the payer typed', async () => {
    const { intent } = await aSession(donation({ minimum: 500, maximum: 10000 }));
    for (const [typed, reason] of [
      ['12.345', 'at most 2 decimal places'],
      ['100.01', 'the amount must be between $5.00 and $100.00.'],
      ['4.99', 'the amount must be between $5.00 and $100.00.'],
    ] as [string, string][]) {
      const res = await submit(intent, { amount: typed, payment_method: 'pm_card_visa' });
      expect(res.status, typed).toBe(400);
      const html = await res.text();
      expect(html).toContain(`value="${typed}"`);
      expect(html).toMatch(/id="payment-error" role="alert">[^<]+/);
      expect(text(html).toLowerCase()).toContain(reason);
    }
    const { body } = await get(m.keys.test.secret, `/v1/payment_intents/${intent.id}`);
    expect(body.status).toBe('requires_payment_method');
    // The API refuses it as well, naming the amount.
    const api = await post(m.keys.test.publishable, `/v1/payment_intents/${intent.id}/confirm`, {
      client_secret: intent.client_secret,
      payment_method: 'pm_card_visa',
      amount: 10001,
    });
    expect(api.res.status).toBe(400);
    expect(api.body.error).toMatchObject({ param: 'amount' });
  });

  it('is not asked for when the seller set the amount', async () => {
    const intent = await anIntent({ amount: 2000 });
    expect((await open(intent)).html).not.toContain('amount-input');
    const res = await submit(intent, { amount: '1.00', payment_method: 'pm_card_visa' });
    expect(res.status).toBe(400);
    expect(text(await res.text())).toContain('set by the seller');
  });
});

describe('crypto chosen by the payer', () => {
  it('offers this deployment’s test networks and tokens beside the cards, and paying gives the deposit address', async () => {
    const { intent } = await aSession({ payment_method_types: ['card', 'crypto'] });
    const { html } = await open(intent);
    expect(html).toMatch(/<input type="radio" name="crypto" value="local:usdc"[^>]*\/>\s*<span>USDC on local<\/span>/);
    // A usd intent is payable only in a USD stablecoin, never in a chain's native coin.
    expect(html).not.toContain('value="local:eth"');
    expect(html).toContain('value="pm_card_visa"');
    const res = await submit(intent, { pay_with: 'crypto', crypto: 'local:usdc' });
    expect(res.status).toBe(303);
    const { body } = await get(m.keys.test.secret, `/v1/payment_intents/${intent.id}`);
    expect(body.crypto).toMatchObject({ network: 'local', token: 'usdc' });
    const after = await open(intent);
    expect(text(after.html)).toContain(body.crypto.deposit_address);
    expect(after.html).not.toContain('value="pm_card_visa"');
  });

  it('hands out one deposit address when two choices are sent at the same time (two tabs)', async () => {
    const intent = await anIntent({ amount: 2000, payment_method_types: ['card', 'crypto'] });
    const answers = await Promise.all([
      submit(intent, { pay_with: 'crypto', crypto: 'local:usdc' }),
      submit(intent, { pay_with: 'crypto', crypto: 'testnet:usdc' }),
    ]);
    const { body } = await get(m.keys.test.secret, `/v1/payment_intents/${intent.id}`);
    expect(body.status).toBe('requires_action');
    expect(['local', 'testnet']).toContain(body.crypto.network);
    // Whichever came second was refused on the page, or found the first one's choice already made: never a second address.
    for (const res of answers) expect([303, 400]).toContain(res.status);
    const { html } = await open(intent);
    expect(html.match(/id="deposit-address"/g)).toHaveLength(1);
    expect(text(html)).toContain(body.crypto.deposit_address);
  });

  it('says that late funds are still recorded when the session of a crypto payment expires', async () => {
    const { session, intent } = await aSession({ payment_method_types: ['card', 'crypto'] });
    expect((await submit(intent, { pay_with: 'crypto', crypto: 'local:usdc' })).status).toBe(303);
    const expired = await post(m.keys.test.secret, `/v1/checkout/sessions/${session.id}/expire`, {});
    expect(expired.body.status).toBe('expired');
    const shown = text((await open(intent)).html);
    expect(shown).toContain('This checkout has expired');
    expect(shown).toContain('Funds sent to this address later are still recorded');
  });

  it('refuses a network this deployment does not have, on the page', async () => {
    const intent = await anIntent({ amount: 2000, payment_method_types: ['card', 'crypto'] });
    const res = await submit(intent, { pay_with: 'crypto', crypto: 'nowhere:usdc' });
    expect(res.status).toBe(400);
    expect(text(await res.text())).toContain('Unknown network &#39;nowhere&#39;: test mode accepts local');
  });

  it('is not offered when the merchant has no xpub', async () => {
    const { res, body } = await createIntent(other.keys.test.secret, { amount: 2000, payment_method_types: ['card', 'crypto'] });
    if (res.status !== 200) {
      // The API already refuses crypto without an xpub: nothing to offer either way.
      expect(body.error.code).toBe('crypto_not_configured');
      return;
    }
    const { html } = await open(body);
    expect(html).not.toContain('name="crypto"');
    expect(html).toContain('value="pm_card_visa"');
  });
});
