/**
 * The official `stripe` SDK, pointed at this service (host/port/protocol and a sk_test_ key),
 * drives the whole PaymentIntent API unmodified. Inside the test runtime its fetch goes straight
 * to the worker.
 */
import { exports } from 'cloudflare:workers';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, type TestMerchant } from '../helpers.js';

type Fetch = (url: string, init: RequestInit) => Promise<Response>;
const toWorker: Fetch = (url, init) => exports.default.fetch(new Request(url, init));

function client(key: string, fetchFn: Fetch = toWorker, maxNetworkRetries = 0): Stripe {
  return new Stripe(key, {
    host: 'pay.test',
    port: 443,
    protocol: 'https',
    maxNetworkRetries,
    httpClient: Stripe.createFetchHttpClient(fetchFn as typeof fetch),
  });
}

let m: TestMerchant;
let stripe: Stripe;
beforeAll(async () => {
  m = await createMerchant('SDK user');
  stripe = client(m.keys.test.secret);
});

describe('stripe SDK: operations', () => {
  it('create, retrieve, update, confirm', async () => {
    const created = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', metadata: { order_id: 'A-1' } });
    expect(created).toMatchObject({ object: 'payment_intent', status: 'requires_payment_method', amount: 2000, livemode: false });
    const retrieved = await stripe.paymentIntents.retrieve(created.id);
    expect(retrieved.metadata).toEqual({ order_id: 'A-1' });
    expect(retrieved.lastResponse.requestId).toMatch(/^req_/);
    const updated = await stripe.paymentIntents.update(created.id, { description: 'hello', metadata: { extra: '1' } });
    expect(updated).toMatchObject({ description: 'hello', metadata: { order_id: 'A-1', extra: '1' } });
    const confirmed = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 2000 });
  });

  it('create with confirm, manual capture of part, cancel', async () => {
    const held = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'eur',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    expect(held).toMatchObject({ status: 'requires_capture', amount_capturable: 5000 });
    const captured = await stripe.paymentIntents.capture(held.id, { amount_to_capture: 4500 });
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 4500 });

    const open = await stripe.paymentIntents.create({ amount: 100, currency: 'jpy' });
    const canceled = await stripe.paymentIntents.cancel(open.id, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
  });

  it('3-D Secure: next_action.redirect_to_url through the SDK', async () => {
    const intent = await stripe.paymentIntents.create({
      amount: 1200,
      currency: 'gbp',
      payment_method: 'pm_card_threeDSecure2Required',
      confirm: true,
      return_url: 'https://shop.example/done',
    });
    expect(intent.status).toBe('requires_action');
    expect(intent.next_action?.redirect_to_url?.url).toMatch(new RegExp(`/challenge/${intent.id}/`));
  });

  it('list auto-pagination walks more than one page, newest first, without repeats', async () => {
    const own = await createMerchant('SDK lister');
    const sdk = client(own.keys.test.secret);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await sdk.paymentIntents.create({ amount: 100 + i, currency: 'usd' })).id);
    const seen: string[] = [];
    for await (const intent of sdk.paymentIntents.list({ limit: 3 })) seen.push(intent.id);
    expect(seen).toEqual([...made].reverse());
    const firstPage = await sdk.paymentIntents.list({ limit: 3 });
    expect(firstPage.has_more).toBe(true);
  });

  it('search, with auto-pagination over next_page', async () => {
    const own = await createMerchant('SDK searcher');
    const sdk = client(own.keys.test.secret);
    const tagged: string[] = [];
    for (let i = 0; i < 5; i++) {
      tagged.push((await sdk.paymentIntents.create({ amount: 700 + i, currency: 'usd', metadata: { batch: 'b1' } })).id);
    }
    await sdk.paymentIntents.create({ amount: 999, currency: 'usd', metadata: { batch: 'other' } });
    const page = await sdk.paymentIntents.search({ query: `metadata['batch']:'b1' AND amount>=700`, limit: 2 });
    expect(page).toMatchObject({ object: 'search_result', has_more: true });
    expect(page.next_page).toEqual(expect.any(String));
    const all = await sdk.paymentIntents.search({ query: `metadata['batch']:'b1'`, limit: 2 }).autoPagingToArray({ limit: 100 });
    expect(all.map((i) => i.id)).toEqual([...tagged].reverse());
  });
});

describe('stripe SDK: typed errors', () => {
  it('a decline is a StripeCardError carrying the intent', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
    const error = await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_chargeDeclined' }).catch((e) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });
    expect(error.payment_intent).toMatchObject({ id: intent.id, status: 'requires_payment_method' });
  });

  it('bad parameters and illegal transitions are StripeInvalidRequestError naming the param', async () => {
    const bad = await stripe.paymentIntents.create({ amount: -1, currency: 'usd' }).catch((e) => e);
    expect(bad).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(bad).toMatchObject({ statusCode: 400, param: 'amount' });
    const intent = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
    const state = await stripe.paymentIntents.capture(intent.id).catch((e) => e);
    expect(state).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(state.code).toBe('payment_intent_unexpected_state');
    const missing = await stripe.paymentIntents.retrieve('pi_0000000000ZZZZZZZZZZZZZZ').catch((e) => e);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('reusing an idempotency key with other parameters is a StripeIdempotencyError', async () => {
    await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' }, { idempotencyKey: 'sdk-key-1' });
    const error = await stripe.paymentIntents.create({ amount: 2001, currency: 'usd' }, { idempotencyKey: 'sdk-key-1' }).catch((e) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('an unknown key is a StripeAuthenticationError; a publishable key a StripePermissionError', async () => {
    const unknown = await client(`sk_test_${'0'.repeat(32)}`)
      .paymentIntents.list()
      .catch((e) => e);
    expect(unknown).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    const publishable = await client(m.keys.test.publishable)
      .paymentIntents.list()
      .catch((e) => e);
    expect(publishable).toBeInstanceOf(Stripe.errors.StripePermissionError);
  });
});

describe('stripe SDK: automatic retries are safe', () => {
  it('a response lost on the way back is retried with the same idempotency key and replayed, not executed twice', async () => {
    const own = await createMerchant('SDK retrier');
    let dropped = 0;
    // The worker executes the request, then the "network" loses the first response of each call.
    const lossy: Fetch = async (url, init) => {
      const response = await toWorker(url, init);
      if (init.method === 'POST' && dropped++ % 2 === 0) throw new TypeError('fetch failed: connection reset');
      return response;
    };
    const sdk = client(own.keys.test.secret, lossy, 2);
    const created = await sdk.paymentIntents.create({ amount: 3100, currency: 'usd', capture_method: 'manual' });
    const confirmed = await sdk.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
    expect(confirmed.status).toBe('requires_capture');
    expect(dropped).toBe(4);

    const all = await client(own.keys.test.secret).paymentIntents.list({ limit: 100 });
    expect(all.data.map((i) => i.id)).toEqual([created.id]);
  });
});
