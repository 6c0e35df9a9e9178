/**
 * Charges on Stripe's wire (issue 14): every payment attempt of an intent is a charge, read with the
 * official `stripe` SDK (retrieve, list, filters, pagination) from the real D1 read model, and its
 * charge.* events delivered to a real webhook receiver. Another merchant's or mode's charge is a 404.
 */
import type Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, createMerchant, get, post, waitFor, type TestMerchant, stripeClient } from '../helpers.js';
import { openMailbox, type TestMailbox } from '../webhooks/receiver-client.js';

const sdk = stripeClient;

let m: TestMerchant;
let other: TestMerchant;
let stripe: Stripe;
beforeAll(async () => {
  m = await createMerchant('Charges');
  other = await createMerchant('Another merchant');
  stripe = sdk(m.keys.test.secret);
});

const VISA_CARD = { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034, funding: 'credit', country: 'US' };

async function paid(params: Stripe.PaymentIntentCreateParams = { amount: 2000, currency: 'usd' }, client = stripe) {
  return client.paymentIntents.create({ payment_method: 'pm_card_visa', confirm: true, ...params });
}

describe('a card payment', () => {
  it('is one succeeded, captured charge: the intent names it as latest_charge, the SDK retrieves it', async () => {
    const intent = await paid({
      amount: 2000,
      currency: 'usd',
      description: 'Order A-1042',
      metadata: { order_id: 'A-1042' },
      receipt_email: 'jenny.rosen@example.com',
      statement_descriptor: 'MY SHOP',
    });
    expect(intent.latest_charge).toMatch(/^ch_[0-9A-Za-z]{24}$/);
    const charge = await stripe.charges.retrieve(intent.latest_charge as string);
    expect(charge).toMatchObject({
      id: intent.latest_charge,
      object: 'charge',
      amount: 2000,
      amount_captured: 2000,
      amount_refunded: 0,
      balance_transaction: null,
      captured: true,
      currency: 'usd',
      description: 'Order A-1042',
      disputed: false,
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata: { order_id: 'A-1042' },
      outcome: { network_status: 'approved_by_network', type: 'authorized', risk_level: 'normal', reason: null },
      paid: true,
      payment_intent: intent.id,
      payment_method: 'pm_card_visa',
      payment_method_details: { type: 'card', card: VISA_CARD },
      receipt_email: 'jenny.rosen@example.com',
      refunded: false,
      refunds: { object: 'list', data: [], has_more: false, url: `/v1/charges/${intent.latest_charge}/refunds` },
      statement_descriptor: 'MY SHOP',
      status: 'succeeded',
    });
    expect(charge.billing_details).toEqual({
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: null,
      name: null,
      phone: null,
    });
    expect(charge.created).toBe(intent.created);
  });

  it('a manual capture: the held charge is succeeded but uncaptured, then captured for what was captured', async () => {
    const held = await paid({ amount: 5000, currency: 'eur', capture_method: 'manual', payment_method: 'pm_card_mastercard' });
    const before = await stripe.charges.retrieve(held.latest_charge as string);
    expect(before).toMatchObject({ status: 'succeeded', paid: true, captured: false, amount: 5000, amount_captured: 0 });
    expect(before.payment_method_details?.card).toMatchObject({ brand: 'mastercard', last4: '4444' });
    const captured = await stripe.paymentIntents.capture(held.id, { amount_to_capture: 4500 });
    expect(captured.latest_charge).toBe(held.latest_charge);
    expect(await stripe.charges.retrieve(held.latest_charge as string)).toMatchObject({
      captured: true,
      amount: 5000,
      amount_captured: 4500,
    });
  });

  it('canceling a hold refunds its charge in full', async () => {
    const held = await paid({ amount: 700, currency: 'usd', capture_method: 'manual' });
    await stripe.paymentIntents.cancel(held.id);
    expect(await stripe.charges.retrieve(held.latest_charge as string)).toMatchObject({
      status: 'succeeded',
      captured: false,
      refunded: true,
      amount_refunded: 700,
    });
  });

  it('a decline is a failed charge with the decline code and the network`s outcome; the retry is a second charge', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1500, currency: 'usd' });
    await expect(stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_chargeDeclined' })).rejects.toMatchObject({
      type: 'StripeCardError',
    });
    const declined = await stripe.paymentIntents.retrieve(intent.id);
    const failed = await stripe.charges.retrieve(declined.latest_charge as string);
    expect(failed).toMatchObject({
      status: 'failed',
      paid: false,
      captured: false,
      amount_captured: 0,
      failure_code: 'generic_decline',
      failure_message: 'Your card was declined.',
      outcome: { network_status: 'declined_by_network', type: 'issuer_declined', reason: 'generic_decline' },
      payment_method: 'pm_card_chargeDeclined',
      payment_method_details: { type: 'card', card: { last4: '0002' } },
    });
    const retried = await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
    expect(retried.latest_charge).not.toBe(failed.id);
    const attempts = await stripe.charges.list({ payment_intent: intent.id });
    expect(attempts.data.map((c) => [c.id, c.status])).toEqual([
      [retried.latest_charge, 'succeeded'],
      [failed.id, 'failed'],
    ]);
  });

  it('3-D Secure: no charge while the challenge is open; passing it makes the succeeded charge', async () => {
    const intent = await paid({
      amount: 1200,
      currency: 'gbp',
      payment_method: 'pm_card_threeDSecure2Required',
      return_url: 'https://shop.example/done',
    });
    expect(intent.status).toBe('requires_action');
    expect(intent.latest_charge).toBeNull();
    expect((await stripe.charges.list({ payment_intent: intent.id })).data).toEqual([]);
    const link = new URL(intent.next_action?.redirect_to_url?.url as string);
    const answered = await call(link.pathname, { form: 'outcome=succeeded', redirect: 'manual' });
    expect(answered.status).toBe(303);
    const after = await stripe.paymentIntents.retrieve(intent.id);
    expect(after.status).toBe('succeeded');
    expect(await stripe.charges.retrieve(after.latest_charge as string)).toMatchObject({
      status: 'succeeded',
      payment_method_details: { type: 'card', card: { last4: '3220' } },
    });
  });

  it('a bank debit: pending while processing, succeeded when it settles, the same charge', async () => {
    const intent = await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      payment_method_types: ['us_bank_account'],
      payment_method: 'pm_usBankAccount',
      confirm: true,
    } as Stripe.PaymentIntentCreateParams);
    expect(intent.status).toBe('processing');
    const pending = await stripe.charges.retrieve(intent.latest_charge as string);
    expect(pending).toMatchObject({ status: 'pending', paid: false, outcome: null, payment_method_details: { type: 'us_bank_account' } });
    await waitFor(async () => (await stripe.paymentIntents.retrieve(intent.id)).status === 'succeeded');
    expect(await stripe.charges.retrieve(pending.id)).toMatchObject({ status: 'succeeded', paid: true, amount_captured: 3000 });
  });

  it('a publishable key does not see latest_charge', async () => {
    const intent = await paid();
    const { body } = await get(m.keys.test.publishable, `/v1/payment_intents/${intent.id}?client_secret=${intent.client_secret}`);
    expect(body.id).toBe(intent.id);
    expect(body).not.toHaveProperty('latest_charge');
  });
});

describe('GET /v1/charges', () => {
  it('newest first, auto-pagination walks every page; created and customer filter', async () => {
    const own = await createMerchant('Charge lister');
    const client = sdk(own.keys.test.secret);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const intent = await paid({ amount: 100 + i, currency: 'usd', customer: i % 2 === 0 ? 'cus_even' : 'cus_odd' }, client);
      made.push(intent.latest_charge as string);
    }
    const seen: string[] = [];
    for await (const charge of client.charges.list({ limit: 2 })) seen.push(charge.id);
    expect(seen).toEqual([...made].reverse());

    const first = await client.charges.list({ limit: 2 });
    expect(first.has_more).toBe(true);
    const back = await client.charges.list({ limit: 2, ending_before: seen[2] });
    expect(back.data.map((c) => c.id)).toEqual(seen.slice(0, 2));

    const even = await client.charges.list({ customer: 'cus_even' });
    expect(even.data.map((c) => c.amount)).toEqual([104, 102, 100]);
    expect(even.data.every((c) => c.customer === 'cus_even')).toBe(true);

    const created = (await client.charges.retrieve(made[0]!)).created;
    expect((await client.charges.list({ created: { gt: created + 3600 } })).data).toEqual([]);
    expect((await client.charges.list({ created: { gte: created }, limit: 100 })).data).toHaveLength(5);
  });

  it('an unknown or another merchant`s cursor is a 404 naming it; a malformed filter a 400 naming it', async () => {
    const foreign = await paid(undefined, sdk(other.keys.test.secret));
    const cursor = await get(m.keys.test.secret, `/v1/charges?starting_after=${foreign.latest_charge}`);
    expect(cursor.res.status).toBe(404);
    expect(cursor.body.error).toMatchObject({ code: 'resource_missing', param: 'starting_after' });
    const junk = await get(m.keys.test.secret, '/v1/charges?payment_intent=ch_nope');
    expect(junk.res.status).toBe(400);
    expect(junk.body.error).toMatchObject({ type: 'invalid_request_error', param: 'payment_intent' });
    const limit = await get(m.keys.test.secret, '/v1/charges?limit=0');
    expect(limit.res.status).toBe(400);
    expect(limit.body.error.param).toBe('limit');
  });
});

describe('tenants and modes', () => {
  it('another merchant`s charge, or a live-mode key, is a 404 resource_missing naming id; its lists show none of it', async () => {
    const intent = await paid();
    const id = intent.latest_charge as string;
    for (const key of [other.keys.test.secret, m.keys.live.secret]) {
      const { res, body } = await get(key, `/v1/charges/${id}`);
      expect(res.status).toBe(404);
      expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing', param: 'id' });
      expect((await get(key, `/v1/charges?payment_intent=${intent.id}`)).body.data).toEqual([]);
    }
    await expect(sdk(other.keys.test.secret).charges.retrieve(id)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('junk ids are a 404 naming id, never a 500; a publishable key is refused', async () => {
    for (const junk of ['ch_123', 'pi_01M6DT4K9RbpB3RzpDXWRaQM', 'ch_%27%3B--', 'x'.repeat(255)]) {
      const { res, body } = await get(m.keys.test.secret, `/v1/charges/${junk}`);
      expect(res.status, junk).toBe(404);
      expect(body.error).toMatchObject({ code: 'resource_missing', param: 'id' });
    }
    expect((await get(m.keys.test.secret, `/v1/charges/${'x'.repeat(256)}`)).res.status).toBe(400);
    expect((await get(m.keys.test.publishable, '/v1/charges')).res.status).toBe(403);
  });
});

describe('charge.* webhooks', () => {
  async function endpointWithMailbox(key: string): Promise<TestMailbox> {
    const mailbox = await openMailbox({ secrets: [] });
    const { res, body: endpoint } = await post(key, '/v1/webhook_endpoints', {
      url: mailbox.url,
      enabled_events: ['charge.succeeded', 'charge.failed', 'charge.captured', 'charge.refunded', 'charge.pending'],
    });
    expect(res.status).toBe(200);
    const reset = await fetch(mailbox.url.replace('/hooks/', '/mailboxes/'), {
      method: 'PUT',
      body: JSON.stringify({ secrets: [endpoint.secret] }),
    });
    expect(reset.status).toBe(204);
    return mailbox;
  }

  it('reach a real receiver, signed, each showing the charge as it was then', async () => {
    const own = await createMerchant('Charge webhooks');
    const client = sdk(own.keys.test.secret);
    const mailbox = await endpointWithMailbox(own.keys.test.secret);

    const declinedIntent = await client.paymentIntents.create({ amount: 900, currency: 'usd' });
    await client.paymentIntents.confirm(declinedIntent.id, { payment_method: 'pm_card_chargeDeclined' }).catch(() => undefined);
    const held = await paid({ amount: 800, currency: 'usd', capture_method: 'manual' }, client);
    await client.paymentIntents.capture(held.id, { amount_to_capture: 600 });

    let bodies: any[] = [];
    await waitFor(async () => {
      bodies = (await mailbox.received()).filter((r) => r.verifiedStripe).map((r) => JSON.parse(r.body));
      return bodies.length >= 3;
    }, 10_000);
    // Only the enabled charge events: none of the intents' own.
    const byType = Object.fromEntries(bodies.map((b) => [b.type, b.data.object]));
    expect(Object.keys(byType).sort()).toEqual(['charge.captured', 'charge.failed', 'charge.succeeded']);
    expect(byType['charge.failed']).toMatchObject({ object: 'charge', payment_intent: declinedIntent.id, status: 'failed', amount: 900 });
    expect(byType['charge.succeeded']).toMatchObject({ id: held.latest_charge, captured: false, amount_captured: 0 });
    expect(byType['charge.captured']).toMatchObject({ id: held.latest_charge, captured: true, amount_captured: 600 });
    // /v1/events filters them by type too.
    const listed = (await get(own.keys.test.secret, '/v1/events?type=charge.captured')).body.data;
    expect(listed.map((e: any) => e.data.object.id)).toEqual([held.latest_charge]);
  });
});
