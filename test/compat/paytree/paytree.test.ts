/**
 * The family of 001_… (Paytree's Secured Checkout API) under /paytree: its documented requests
 * replayed unchanged (JSON, form and multipart bodies, with and without the trailing slash), its
 * Token auth and DRF error shape, transaction_ref uniqueness (concurrent creates included), exact
 * amounts in 3- and 0-decimal currencies, `card` refused, tenant and mode isolation, the list's
 * filters and pages, and the same intent through the official stripe SDK with a refund made there
 * showing in `payment[].refund[]`.
 */
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { isCurrency } from '../../../src/domain/currency.js';
import { METHOD_RULES } from '../../../src/domain/payment-methods.js';
import { METHOD_TYPES } from '../../../src/compat/paytree/handlers.js';
import { CURRENCIES, METHODS } from '../../../src/compat/paytree/schemas.js';
import { ROUTES } from '../../../src/compat/paytree/wire.js';
import { reserveTransactionRef, STALE_RESERVATION_MS } from '../../../src/db/paytree.js';
import { call, createMerchant, shardOf, type TestMerchant, stripeClient } from '../../helpers.js';
import { documentProblems, operationsLacking } from '../../http/openapi-document.js';
import { openMailbox } from '../../webhooks/receiver-client.js';

const BASE = 'http://pay.test/paytree';
const COLLECTION = '/v1/transaction/payment_intent/';

let merchant: TestMerchant;
let other: TestMerchant;
let sk: string;

beforeAll(async () => {
  [merchant, other] = await Promise.all([createMerchant('Paytree merchant'), createMerchant('Another Paytree merchant')]);
  sk = merchant.keys.test.secret;
});

type Body = { json: unknown } | { form: string } | { multipart: FormData } | { raw: string; contentType?: string };

/** A request as a Paytree client sends it: `Authorization: Token <key>` (unless told otherwise). */
async function paytree(path: string, init: { key?: string; auth?: string; method?: string; host?: string } & Partial<Body> = {}) {
  const headers = new Headers();
  if (init.auth !== undefined) headers.set('Authorization', init.auth);
  else if (init.key !== undefined) headers.set('Authorization', `Token ${init.key}`);
  let body: BodyInit | undefined;
  if ('json' in init && init.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(init.json);
  } else if ('form' in init && init.form !== undefined) {
    headers.set('Content-Type', 'application/x-www-form-urlencoded');
    body = init.form;
  } else if ('multipart' in init && init.multipart !== undefined) {
    body = init.multipart; // fetch sets multipart/form-data with its boundary
  } else if ('raw' in init && init.raw !== undefined) {
    if (init.contentType) headers.set('Content-Type', init.contentType);
    body = init.raw;
  }
  const url = init.host ? `http://${init.host}/paytree${path}` : `${BASE}${path}`;
  const res = await exports.default.fetch(
    new Request(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body }),
  );
  const text = await res.text();
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { res, body: parsed };
}

let refCounter = 0;
const uniqueRef = (label = 'ORDER') => `${label}-${Date.now().toString(36)}-${++refCounter}-${crypto.randomUUID().slice(0, 8)}`;

/** The document's create request: every required field, the optional ones as a shop sends them. */
function order(overrides: Record<string, unknown> = {}) {
  return {
    transaction_ref: uniqueRef(),
    client_ref: 'customer-4471',
    amount: '25.50',
    amount_currency: 'EUR',
    method: 'card',
    customer: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com', phone: '+442071234567' },
    address: { street: '12 St James Square', city: 'London', zip: 'SW1Y 4JH', country: 'GB' },
    session: { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)' },
    callback: { return_url: 'https://shop.example.com/orders/10025/done', cancel_url: 'https://shop.example.com/orders/10025/cart' },
    order_items: [{ name: 'Notebook', description: 'A5, dotted', quantity: 2, unit_price: '12.75', sku: 'NB-A5-DOT' }],
    metadata: { channel: 'web', tags: ['a', 'b'] },
    ...overrides,
  };
}

async function createOrder(overrides: Record<string, unknown> = {}, key = sk) {
  const created = await paytree(COLLECTION, { key, json: order(overrides) });
  expect(created.res.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; client_ref: string; payment_link: string };
}

describe('create, as the document has it', () => {
  it('POST /v1/transaction/payment_intent/ with JSON: 201 {id, client_ref, payment_link}, and the link opens the hosted page', async () => {
    const body = order();
    const created = await paytree(COLLECTION, { key: sk, json: body });
    expect(created.res.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['client_ref', 'id', 'payment_link']);
    expect(created.body.client_ref).toBe('customer-4471');
    expect(created.body.payment_link).toMatch(new RegExp(`^http://pay\\.test/pay/${created.body.id}\\?client_secret=`));
    const page = await exports.default.fetch(new Request(created.body.payment_link));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('25.50');
  });

  it('answers without the trailing slash too', async () => {
    const created = await paytree(COLLECTION.slice(0, -1), { key: sk, json: order() });
    expect(created.res.status).toBe(201);
    const got = await paytree(`${COLLECTION}${created.body.id}`, { key: sk });
    expect(got.res.status).toBe(200);
    expect(got.body.id).toBe(created.body.id);
  });

  it('takes a form-encoded body with nested fields in brackets (and dots), and keeps them', async () => {
    const ref = uniqueRef('FORM');
    const form = new URLSearchParams({
      transaction_ref: ref,
      client_ref: 'form-client',
      amount: '12.00',
      amount_currency: 'GBP',
      'customer[first_name]': 'Grace',
      'customer[last_name]': 'Hopper',
      'customer[email]': 'grace@example.com',
      'address[country]': 'US',
      'address.city': 'Arlington',
      'session[ip_address]': '198.51.100.4',
      'session[user_agent]': 'curl/8.5.0',
      'callback[return_url]': 'https://shop.example.com/done',
      'order_items[0][name]': 'Pen',
      'order_items[0][quantity]': '3',
      'order_items[0][unit_price]': '4.00',
      'order_items[0][sku]': 'PEN-1',
    }).toString();
    const created = await paytree(COLLECTION, { key: sk, form });
    expect(created.res.status, JSON.stringify(created.body)).toBe(201);
    const got = await paytree(`${COLLECTION}${created.body.id}/`, { key: sk });
    expect(got.body).toMatchObject({
      transaction_ref: ref,
      client_ref: 'form-client',
      first_name: 'Grace',
      last_name: 'Hopper',
      email: 'grace@example.com',
      address: 'Arlington, US',
      amount: '12.00',
      currency: 'GBP',
      method: 'card',
      order_items: [{ name: 'Pen', quantity: 3, unit_price: '4.00', sku: 'PEN-1' }],
    });
  });

  it('takes a multipart/form-data body', async () => {
    const ref = uniqueRef('MULTI');
    const form = new FormData();
    const fields: Record<string, string> = {
      transaction_ref: ref,
      client_ref: 'multi-client',
      amount: '99.99',
      amount_currency: 'PLN',
      method: 'blik',
      'customer[first_name]': 'Maria',
      'customer[last_name]': 'Skłodowska',
      'customer[email]': 'maria@example.com',
      'address[country]': 'PL',
      'session[ip_address]': '192.0.2.1',
      'session[user_agent]': 'Mozilla/5.0',
      'callback[return_url]': 'https://shop.example.com/done',
    };
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    const created = await paytree(COLLECTION, { key: sk, multipart: form });
    expect(created.res.status, JSON.stringify(created.body)).toBe(201);
    const got = await paytree(`${COLLECTION}${created.body.id}/`, { key: sk });
    expect(got.body).toMatchObject({ transaction_ref: ref, last_name: 'Skłodowska', amount: '99.99', currency: 'PLN', method: 'blik' });
    const pi = await stripeClient(sk).paymentIntents.retrieve(created.body.id);
    expect(pi.payment_method_types).toEqual(['blik']);
  });

  it('maps each of its 11 methods to a canonical payment method type the domain knows', () => {
    expect(Object.keys(METHOD_TYPES).sort()).toEqual([...METHODS].sort());
    for (const type of Object.values(METHOD_TYPES)) expect(METHOD_RULES[type]).toBeDefined();
    expect(METHOD_TYPES.wire).toBe('customer_balance');
    expect(METHOD_TYPES.kakaopay).toBe('kakao_pay');
  });

  it('knows the exponent of each of its 21 currencies', () => {
    expect(CURRENCIES).toHaveLength(21);
    for (const code of CURRENCIES) expect(isCurrency(code.toLowerCase()), code).toBe(true);
  });

  it('method wire is a bank transfer (customer_balance); a method that does not take the currency is a 400 on method, and leaves the ref free', async () => {
    const wire = await createOrder({ method: 'wire', amount_currency: 'USD', amount: '100.00' });
    expect((await stripeClient(sk).paymentIntents.retrieve(wire.id)).payment_method_types).toEqual(['customer_balance']);
    const ref = uniqueRef('IDEAL');
    const refused = await paytree(COLLECTION, { key: sk, json: order({ transaction_ref: ref, method: 'ideal', amount_currency: 'USD' }) });
    expect(refused.res.status).toBe(400);
    expect(Object.keys(refused.body)).toEqual(['method']);
    expect(refused.body.method[0]).toContain('ideal');
    // The failed create gave its transaction_ref back.
    const again = await paytree(COLLECTION, { key: sk, json: order({ transaction_ref: ref, method: 'ideal', amount_currency: 'EUR' }) });
    expect(again.res.status).toBe(201);
  });
});

describe('amounts, exact in the currency`s exponent', () => {
  const cases: [currency: string, amount: string, minor: number, shown: string][] = [
    ['KWD', '1.234', 1234, '1.234'],
    ['BHD', '10.5', 10500, '10.500'],
    ['OMR', '0.001', 1, '0.001'],
    ['CLP', '1500', 1500, '1500'],
    ['CLP', '1500.00', 1500, '1500'],
    ['USD', '10.5', 1050, '10.50'],
    ['EUR', '.99', 99, '0.99'],
  ];
  for (const [currency, amount, minor, shown] of cases) {
    it(`${amount} ${currency} is ${minor} minor units, shown back as "${shown}"`, async () => {
      const made = await createOrder({ amount, amount_currency: currency });
      const pi = await stripeClient(sk).paymentIntents.retrieve(made.id);
      expect(pi.amount).toBe(minor);
      expect(pi.currency).toBe(currency.toLowerCase());
      const got = await paytree(`${COLLECTION}${made.id}/`, { key: sk });
      expect(got.body).toMatchObject({ amount: shown, currency, base_amount: shown, base_currency: currency });
    });
  }

  const refused: [currency: string, amount: unknown, message: string][] = [
    ['KWD', '1.2345', 'Ensure that there are no more than 3 decimal places for KWD.'],
    ['CLP', '1500.5', 'Ensure that there are no decimal places: CLP has no minor unit.'],
    ['USD', '10.505', 'Ensure that there are no more than 2 decimal places for USD.'],
    ['USD', '123456789', 'Ensure that there are no more than 8 digits before the decimal point.'],
    ['USD', '-5.00', 'Ensure this value is greater than or equal to 0.01.'],
    ['USD', '0.00', 'Ensure this value is greater than or equal to 0.01.'],
    ['USD', '1e3', 'A valid number is required.'],
    ['USD', '', 'A valid number is required.'],
    ['USD', 10.5, 'Not a valid string.'],
  ];
  for (const [currency, amount, message] of refused) {
    it(`${JSON.stringify(amount)} ${currency} is a 400 on amount: ${message}`, async () => {
      const res = await paytree(COLLECTION, { key: sk, json: order({ amount, amount_currency: currency }) });
      expect(res.res.status).toBe(400);
      expect(res.body).toEqual({ amount: [message] });
    });
  }
});

describe('transaction_ref, unique per account and mode', () => {
  it('refuses a reused transaction_ref with a 400 on it', async () => {
    const ref = uniqueRef('REUSE');
    await createOrder({ transaction_ref: ref });
    const again = await paytree(COLLECTION, { key: sk, json: order({ transaction_ref: ref }) });
    expect(again.res.status).toBe(400);
    expect(again.body).toEqual({ transaction_ref: ['payment intent with this transaction ref already exists.'] });
  });

  it('of concurrent creates with one transaction_ref exactly one is a 201, and one intent exists', async () => {
    const ref = uniqueRef('RACE');
    const results = await Promise.all(
      Array.from({ length: 6 }, () => paytree(COLLECTION, { key: sk, json: order({ transaction_ref: ref }) })),
    );
    const statuses = results.map((r) => r.res.status).sort();
    expect(statuses).toEqual([201, 400, 400, 400, 400, 400]);
    const listed = await paytree(`${COLLECTION}?transaction_ref=${ref}`, { key: sk });
    expect(listed.body.count).toBe(1);
    expect(listed.body.results[0].id).toBe(results.find((r) => r.res.status === 201)!.body.id);
  });

  it('a reservation left by a create that never finished holds the ref for a while, then gives way', async () => {
    const d1 = await shardOf(merchant.id);
    const reserve = (ref: string, at: number) =>
      reserveTransactionRef(
        d1,
        {
          merchantId: merchant.id,
          livemode: false,
          transactionRef: ref,
          clientRef: 'c',
          method: 'card',
          customer: { email: 'a@example.com', first_name: 'A', last_name: 'B' },
          address: { country: 'GB' },
          session: { ip_address: '203.0.113.7', user_agent: 'x' },
          callback: { return_url: 'https://shop.example.com/done' },
          order_items: null,
          metadata: null,
          force_route: null,
        },
        at,
      );
    const fresh = uniqueRef('FRESH');
    expect(await reserve(fresh, Date.now())).not.toBeNull();
    const held = await paytree(COLLECTION, { key: sk, json: order({ transaction_ref: fresh }) });
    expect(held.res.status).toBe(400);
    expect(Object.keys(held.body)).toEqual(['transaction_ref']);
    const stale = uniqueRef('STALE');
    expect(await reserve(stale, Date.now() - STALE_RESERVATION_MS - 1000)).not.toBeNull();
    const made = await createOrder({ transaction_ref: stale });
    expect((await paytree(`${COLLECTION}${made.id}/`, { key: sk })).body.transaction_ref).toBe(stale);
  });

  it('is per account and per mode: another merchant, or the live key, may use the same ref', async () => {
    const ref = uniqueRef('SHARED');
    await createOrder({ transaction_ref: ref });
    await createOrder({ transaction_ref: ref }, other.keys.test.secret);
    await createOrder({ transaction_ref: ref }, merchant.keys.live.secret);
  });
});

describe('card data', () => {
  it('refuses a `card` object: a 400 on card that never echoes it, and nothing is made or kept', async () => {
    const ref = uniqueRef('CARD');
    const card = { number: '4242424242424242', exp_month: '12', exp_year: '2030', cvc: '123' };
    const res = await paytree(COLLECTION, { key: sk, json: order({ transaction_ref: ref, card }) });
    expect(res.res.status).toBe(400);
    expect(Object.keys(res.body)).toEqual(['card']);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('4242');
    expect(text).not.toContain('2030');
    const listed = await paytree(`${COLLECTION}?transaction_ref=${ref}`, { key: sk });
    expect(listed.body.count).toBe(0);
    // The ref was never taken.
    await createOrder({ transaction_ref: ref });
  });

  it('refuses `card` in a form body too, and a card number in any other field', async () => {
    const form = 'card[number]=4242424242424242&card[cvc]=123&amount=1.00';
    const res = await paytree(COLLECTION, { key: sk, form });
    expect(res.res.status).toBe(400);
    expect(Object.keys(res.body)).toEqual(['card']);
    const searched = await paytree(`${COLLECTION}?search=4242424242424242`, { key: sk });
    expect(searched.res.status).toBe(400);
    expect(Object.keys(searched.body)).toEqual(['search']);
    expect(JSON.stringify(searched.body)).not.toContain('4242');
    const inName = await paytree(COLLECTION, { key: sk, json: order({ client_ref: '4242 4242 4242 4242' }) });
    expect(inName.res.status).toBe(400);
    expect(Object.keys(inName.body)).toEqual(['client_ref']);
    expect(JSON.stringify(inName.body)).not.toContain('4242');
  });
});

describe('authentication', () => {
  it('no Authorization header: 401 "Authentication credentials were not provided."', async () => {
    for (const [method, path] of [
      ['GET', COLLECTION],
      ['POST', COLLECTION],
      ['GET', `${COLLECTION}pi_000000000000000000000000/`],
    ] as const) {
      const res = await paytree(path, { method });
      expect(res.res.status).toBe(401);
      expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' });
      expect(res.res.headers.get('WWW-Authenticate')).toBe('Token');
    }
  });

  it('a wrong, publishable or malformed token: 401 "Invalid token." (or DRF`s header messages)', async () => {
    for (const auth of ['Token sk_test_nope', `Token ${merchant.keys.test.publishable}`, 'Bearer sk_test_nope']) {
      const res = await paytree(COLLECTION, { auth });
      expect(res.res.status).toBe(401);
      expect(res.body).toEqual({ detail: 'Invalid token.' });
    }
    expect((await paytree(COLLECTION, { auth: 'Token' })).body).toEqual({ detail: 'Invalid token header. No credentials provided.' });
    expect((await paytree(COLLECTION, { auth: `Token ${sk} extra` })).body).toEqual({
      detail: 'Invalid token header. Token string should not contain spaces.',
    });
    expect((await paytree(COLLECTION, { auth: `Basic ${btoa(`${sk}:`)}` })).body).toEqual({
      detail: 'Authentication credentials were not provided.',
    });
  });

  it('takes the key as a Bearer token too', async () => {
    const created = await paytree(COLLECTION, { auth: `Bearer ${sk}`, json: order() });
    expect(created.res.status).toBe(201);
  });
});

describe('isolation', () => {
  it('another merchant`s intent, or this merchant`s other mode`s, is a 404 "Not found." and is never listed', async () => {
    const ref = uniqueRef('MINE');
    const mine = await createOrder({ transaction_ref: ref });
    for (const key of [other.keys.test.secret, merchant.keys.live.secret]) {
      const got = await paytree(`${COLLECTION}${mine.id}/`, { key });
      expect(got.res.status).toBe(404);
      expect(got.body).toEqual({ detail: 'Not found.' });
      const listed = await paytree(`${COLLECTION}?transaction_ref=${ref}`, { key });
      expect(listed.body).toEqual({ count: 0, next: null, previous: null, results: [] });
    }
  });

  it('an intent made on the canonical wire is no Paytree intent: 404', async () => {
    const pi = await stripeClient(sk).paymentIntents.create({ amount: 1000, currency: 'eur' });
    const got = await paytree(`${COLLECTION}${pi.id}/`, { key: sk });
    expect(got.res.status).toBe(404);
    expect((await paytree(`${COLLECTION}not-an-id/`, { key: sk })).res.status).toBe(404);
  });
});

describe('retrieve', () => {
  it('is the PaymentIntent of the document: every required field, route and base amount named', async () => {
    const made = await createOrder({ amount: '25.50', amount_currency: 'EUR' });
    const got = await paytree(`${COLLECTION}${made.id}/`, { key: sk });
    expect(got.res.status).toBe(200);
    for (const field of [
      'address',
      'amount',
      'base_currency',
      'client_ref',
      'created',
      'currency',
      'id',
      'payment',
      'payment_link',
      'route_id',
      'route_name',
      'transaction_ref',
      'username',
    ]) {
      expect(got.body, field).toHaveProperty(field);
    }
    expect(got.body).toMatchObject({
      id: made.id,
      username: merchant.id,
      client_ref: 'customer-4471',
      first_name: 'Ada',
      last_name: 'Lovelace',
      email: 'ada@example.com',
      phone: '+442071234567',
      address: '12 St James Square, London, SW1Y 4JH, GB',
      amount: '25.50',
      currency: 'EUR',
      method: 'card',
      payment_link: made.payment_link,
      payment: [],
      actions: { type: 'redirect', url: made.payment_link },
      metadata: { channel: 'web', tags: ['a', 'b'] },
      order_items: [{ name: 'Notebook', description: 'A5, dotted', quantity: 2, unit_price: '12.75', sku: 'NB-A5-DOT' }],
      route_id: ROUTES.test.id,
      route_name: ROUTES.test.name,
    });
    expect(new Date(got.body.created).toISOString()).toBe(got.body.created);
  });

  it('a Paytree intent seen through /v1/payment_intents with the stripe SDK: same amount, currency, status, notification_url; a refund made there shows in payment[].refund[]', async () => {
    // A real receiver: the notifications themselves are notifications.test.ts's.
    const { url: notificationUrl } = await openMailbox({ secrets: [] });
    const callback = { return_url: 'https://shop.example.com/done', notification_url: notificationUrl };
    const made = await createOrder({ amount: '40.00', amount_currency: 'EUR', callback });
    const stripe = stripeClient(sk);
    const pi = await stripe.paymentIntents.retrieve(made.id);
    expect(pi).toMatchObject({ amount: 4000, currency: 'eur', status: 'requires_payment_method', payment_method_types: ['card'] });
    expect((pi as any).notification_url).toBe(notificationUrl);
    const paid = await stripe.paymentIntents.confirm(made.id, { payment_method: 'pm_card_visa' });
    expect(paid.status).toBe('succeeded');
    let got = await paytree(`${COLLECTION}${made.id}/`, { key: sk });
    expect(got.body.payment).toHaveLength(1);
    expect(got.body.payment[0]).toMatchObject({
      id: paid.latest_charge,
      amount: '40.00',
      currency: 'EUR',
      status: 'success',
      refunded: '0.00',
      refund: [],
    });
    expect(got.body.actions).toBeNull();
    const refund = await stripe.refunds.create({ payment_intent: made.id, amount: 1250 });
    got = await paytree(`${COLLECTION}${made.id}/`, { key: sk });
    expect(got.body.payment[0]).toMatchObject({
      status: 'partial_refunded',
      refunded: '12.50',
      refund: [{ id: refund.id, amount: '12.50', currency: 'EUR', payment: paid.latest_charge, gateway_id: refund.id }],
    });
    await stripe.refunds.create({ payment_intent: made.id });
    got = await paytree(`${COLLECTION}${made.id}/`, { key: sk });
    expect(got.body.payment[0]).toMatchObject({ status: 'refunded', refunded: '40.00' });
    expect(got.body.payment[0].refund).toHaveLength(2);
    // The list finds it by the gateway id of its payment or of a refund.
    for (const gatewayId of [paid.latest_charge as string, refund.id]) {
      const listed = await paytree(`${COLLECTION}?gateway_id=${gatewayId}`, { key: sk });
      expect(listed.body.results.map((r: any) => r.id)).toEqual([made.id]);
    }
  });

  it('a declined card is a failed payment, a canceled intent`s authorization canceled', async () => {
    const stripe = stripeClient(sk);
    const declined = await createOrder();
    await expect(stripe.paymentIntents.confirm(declined.id, { payment_method: 'pm_card_chargeDeclined' })).rejects.toThrow();
    const got = await paytree(`${COLLECTION}${declined.id}/`, { key: sk });
    expect(got.body.payment.map((p: any) => p.status)).toEqual(['failed']);
    const held = await createOrder();
    await stripe.paymentIntents.update(held.id, { capture_method: 'manual' });
    await stripe.paymentIntents.confirm(held.id, { payment_method: 'pm_card_visa' });
    expect((await paytree(`${COLLECTION}${held.id}/`, { key: sk })).body.payment[0].status).toBe('authorized');
    await stripe.paymentIntents.cancel(held.id);
    expect((await paytree(`${COLLECTION}${held.id}/`, { key: sk })).body.payment[0].status).toBe('canceled');
  });
  it('a bank transfer (wire) shows no payment until it is funded in full (the canonical charge is made then), then a success', async () => {
    const stripe = stripeClient(sk);
    const made = await createOrder({ method: 'wire', amount: '100.00', amount_currency: 'EUR' });
    await stripe.paymentIntents.confirm(made.id, { payment_method: 'pm_customer_balance' });
    const payments = async () => (await paytree(`${COLLECTION}${made.id}/`, { key: sk })).body.payment;
    const fund = (amount: number) =>
      call(`/v1/test_helpers/payment_intents/${made.id}/fund`, { key: sk, form: `amount=${amount}&currency=eur` });
    expect((await fund(4000)).status).toBe(200);
    expect(await payments()).toEqual([]);
    expect((await fund(6000)).status).toBe(200);
    expect(await payments()).toMatchObject([{ amount: '100.00', currency: 'EUR', status: 'success' }]);
  });
});

describe('list', () => {
  it('filters by client_email, client_ref, transaction_ref, domain, route_id and search', async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const email = `list-${tag}@example.com`;
    const a = await createOrder({
      client_ref: `client-${tag}`,
      customer: { first_name: 'Listy', last_name: `Zed${tag}`, email },
      callback: { return_url: `https://${tag}.shop.example/done` },
    });
    const b = await createOrder({
      client_ref: `client-${tag}`,
      customer: { first_name: 'Other', last_name: 'Person', email: `b-${email}` },
    });
    const ids = async (query: string) => (await paytree(`${COLLECTION}?${query}`, { key: sk })).body.results.map((r: any) => r.id);
    expect(await ids(`client_ref=client-${tag}`)).toEqual([b.id, a.id]);
    expect(await ids(`client_email=${encodeURIComponent(email.toUpperCase())}`)).toEqual([a.id]);
    expect(await ids(`domain=${tag}.shop.example`)).toEqual([a.id]);
    expect(await ids(`search=zed${tag}`)).toEqual([a.id]);
    expect(await ids(`search=client-${tag}`)).toEqual([b.id, a.id]);
    expect(await ids(`client_ref=client-${tag}&route_id=${ROUTES.test.id}`)).toEqual([b.id, a.id]);
    expect(await ids(`client_ref=client-${tag}&route_id=00000000-0000-4000-8000-000000000000`)).toEqual([]);
    expect(await ids(`search=${encodeURIComponent('%')}${tag}`)).toEqual([]);
  });

  it('pages by number with absolute next/previous links on PUBLIC_BASE_URL, whatever the Host', async () => {
    const tag = `page-${crypto.randomUUID().slice(0, 8)}`;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await createOrder({ client_ref: tag })).id);
    const first = await paytree(`${COLLECTION}?client_ref=${tag}&page_size=2`, { key: sk, host: 'evil.example' });
    expect(first.body.count).toBe(5);
    expect(first.body.previous).toBeNull();
    expect(first.body.next).toBe(`http://pay.test/paytree${COLLECTION}?client_ref=${tag}&page_size=2&page=2`);
    expect(first.body.results.map((r: any) => r.id)).toEqual([made[4], made[3]]);
    const second = await paytree(new URL(first.body.next).pathname.replace('/paytree', '') + new URL(first.body.next).search, { key: sk });
    expect(second.body.results.map((r: any) => r.id)).toEqual([made[2], made[1]]);
    expect(second.body.previous).toBe(`http://pay.test/paytree${COLLECTION}?client_ref=${tag}&page_size=2`);
    const last = await paytree(`${COLLECTION}?client_ref=${tag}&page_size=2&page=3`, { key: sk });
    expect(last.body.results.map((r: any) => r.id)).toEqual([made[0]]);
    expect(last.body.next).toBeNull();
    for (const page of ['4', '0', 'abc', '-1']) {
      const bad = await paytree(`${COLLECTION}?client_ref=${tag}&page_size=2&page=${page}`, { key: sk });
      expect(bad.res.status).toBe(404);
      expect(bad.body).toEqual({ detail: 'Invalid page.' });
    }
  });
});

describe('errors in Django REST framework`s shape, never a 500', () => {
  it('an empty body names every required field', async () => {
    const res = await paytree(COLLECTION, { key: sk, json: {} });
    expect(res.res.status).toBe(400);
    const required = ['address', 'amount', 'amount_currency', 'callback', 'client_ref', 'customer', 'session', 'transaction_ref'];
    expect(Object.keys(res.body).sort()).toEqual(required);
    for (const field of required) expect(res.body[field]).toEqual(['This field is required.']);
  });

  it('nested fields nest their messages; a list item`s errors sit at its index', async () => {
    const res = await paytree(COLLECTION, {
      key: sk,
      json: order({
        customer: { first_name: '', last_name: 'x'.repeat(65), email: 'not-an-email' },
        address: { country: 'XX' },
        callback: { return_url: 'not a url' },
        amount_currency: 'JPY',
        method: 'cash',
        force_route: 'nope',
        order_items: [
          { name: 'ok', quantity: 1, unit_price: '1.00', sku: 'a' },
          { name: 'bad', quantity: 0, unit_price: '1.00' },
        ],
      }),
    });
    expect(res.res.status).toBe(400);
    expect(res.body).toEqual({
      customer: {
        first_name: ['This field may not be blank.'],
        last_name: ['Ensure this field has no more than 64 characters.'],
        email: ['Enter a valid email address.'],
      },
      address: { country: ['"XX" is not a valid choice.'] },
      callback: { return_url: ['Enter a valid URL.'] },
      amount_currency: ['"JPY" is not a valid choice.'],
      method: ['"cash" is not a valid choice.'],
      force_route: ['Must be a valid UUID.'],
      order_items: [{}, { quantity: ['Ensure this value is greater than or equal to 1.'], sku: ['This field is required.'] }],
    });
  });

  it('names a bad amount together with the other bad fields', async () => {
    const res = await paytree(COLLECTION, { key: sk, form: 'transaction_ref=X-1&amount=1.2345&amount_currency=KWD' });
    expect(res.res.status).toBe(400);
    expect(res.body.amount).toEqual(['Ensure that there are no more than 3 decimal places for KWD.']);
    expect(res.body.customer).toEqual(['This field is required.']);
  });

  it('a field of the wrong type: DRF`s words', async () => {
    const res = await paytree(COLLECTION, { key: sk, json: order({ customer: 'Ada', order_items: 'none', transaction_ref: null }) });
    expect(res.res.status).toBe(400);
    expect(res.body).toEqual({
      customer: { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] },
      order_items: ['Expected a list of items but got type "str".'],
      transaction_ref: ['This field may not be null.'],
    });
  });

  it('an unknown force_route is a 400 on it; the mode`s route is taken', async () => {
    const bad = await paytree(COLLECTION, { key: sk, json: order({ force_route: crypto.randomUUID() }) });
    expect(bad.res.status).toBe(400);
    expect(Object.keys(bad.body)).toEqual(['force_route']);
    await createOrder({ force_route: ROUTES.test.id });
  });

  it('a body that is not JSON, not an object, or of another media type: {"detail": …}', async () => {
    const broken = await paytree(COLLECTION, { key: sk, raw: '{"amount": ', contentType: 'application/json' });
    expect(broken.res.status).toBe(400);
    expect(Object.keys(broken.body)).toEqual(['detail']);
    const list = await paytree(COLLECTION, { key: sk, raw: '[1,2]', contentType: 'application/json' });
    expect(list.res.status).toBe(400);
    expect(Object.keys(list.body)).toEqual(['detail']);
    const xml = await paytree(COLLECTION, { key: sk, raw: '<order/>', contentType: 'application/xml' });
    expect(xml.res.status).toBe(415);
    expect(xml.body).toEqual({ detail: 'Unsupported media type "application/xml" in request.' });
    const badMultipart = await paytree(COLLECTION, { key: sk, raw: 'garbage', contentType: 'multipart/form-data; boundary=x' });
    expect(badMultipart.res.status).toBe(400);
    expect(Object.keys(badMultipart.body)).toEqual(['detail']);
  });

  it('another method is a 405 naming it, an unknown path a 404', async () => {
    const put = await paytree(COLLECTION, { key: sk, method: 'PUT' });
    expect(put.res.status).toBe(405);
    expect(put.body).toEqual({ detail: 'Method "PUT" not allowed.' });
    const del = await paytree(`${COLLECTION}pi_000000000000000000000000/`, { key: sk, method: 'DELETE' });
    expect(del.res.status).toBe(405);
    expect(del.body).toEqual({ detail: 'Method "DELETE" not allowed.' });
    const unknown = await paytree('/v1/transaction/refund/', { key: sk });
    expect(unknown.res.status).toBe(404);
    expect(unknown.body).toEqual({ detail: 'Not found.' });
  });

  it('junk on every route is a 4xx in the family`s shape', async () => {
    const junk = [
      paytree(COLLECTION, {
        key: sk,
        json: { amount: { $gt: 1 }, customer: [1, 2], address: 7, session: true, callback: [], metadata: 'x'.repeat(9000) },
      }),
      paytree(COLLECTION, { key: sk, form: 'a[b][c][d][e][f]=1&%ZZ=1' }),
      paytree(COLLECTION, { key: sk, form: 'amount=%ED%A0%80' }),
      paytree(`${COLLECTION}?page_size=-5&search=${'x'.repeat(300)}`, { key: sk }),
      paytree(`${COLLECTION}${'%00'.repeat(10)}/`, { key: sk }),
      paytree(`${COLLECTION}${'x'.repeat(500)}/`, { key: sk }),
    ];
    for (const res of await Promise.all(junk)) {
      expect(res.res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
      expect(res.res.status, JSON.stringify(res.body)).toBeLessThan(500);
      expect(typeof res.body).toBe('object');
    }
  });
});

describe('every route of its description', () => {
  it('refuses no key, a wrong key and a publishable key with DRF`s 401, and hides another merchant`s intent', async () => {
    const doc = (await (await call('/paytree/openapi.json')).json()) as any;
    const mine = await createOrder();
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path: path.replace('/paytree', '').replace('{id}', mine.id) })),
    );
    expect(operations).toHaveLength(3);
    for (const { method, path } of operations) {
      const json = method === 'POST' ? order() : undefined;
      for (const auth of [undefined, 'Token sk_test_wrong', `Token ${merchant.keys.test.publishable}`]) {
        const res = await paytree(path, { method, auth, json });
        expect(res.res.status, `${method} ${path} with ${auth}`).toBe(401);
        expect(Object.keys(res.body)).toEqual(['detail']);
      }
      if (path.includes(mine.id)) {
        const res = await paytree(path, { method, key: other.keys.test.secret });
        expect(res.res.status).toBe(404);
        expect(res.body).toEqual({ detail: 'Not found.' });
      }
    }
  });
});

describe('its API description', () => {
  it('is served at /paytree/openapi.json, valid, every operation with examples and security, and apart from the canonical one', async () => {
    const doc = (await (await call('/paytree/openapi.json')).json()) as any;
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/paytree/v1/transaction/payment_intent/',
      '/paytree/v1/transaction/payment_intent/{id}/',
    ]);
    expect(Object.keys(doc.paths['/paytree/v1/transaction/payment_intent/']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/paytree/v1/transaction/payment_intent/'].post.requestBody.content).sort()).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
    ]);
    expect(doc.components.securitySchemes.tokenAuth).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    expect(doc.servers).toEqual([{ url: 'http://pay.test' }]);
    expect(await documentProblems(doc)).toEqual([]);
    expect(operationsLacking(doc)).toEqual({ example: [], security: [] });
    const main = (await (await call('/openapi.json')).json()) as any;
    expect(Object.keys(main.paths).filter((p) => p.startsWith('/paytree'))).toEqual([]);
  });
});
