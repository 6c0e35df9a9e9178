/**
 * /v1/refunds through the official `stripe` SDK (and plain HTTP where the SDK cannot say it): partial
 * and multiple refunds, over-refund refused, 20 concurrent refunds of one intent never exceeding what
 * it received, a refund that fails (pm_card_refundFail), cancel while pending and after, webhooks to
 * a real receiver, idempotent replay, and another merchant's refund being an unknown one.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Charge } from '../../src/domain/charge.js';
import type { PaymentIntentObject } from '../../src/intents/intent-object.js';
import { call, createMerchant, get, post, type TestMerchant, waitFor, stripeClient } from '../helpers.js';
import { openMailbox } from '../webhooks/receiver-client.js';

const client = stripeClient;

let m: TestMerchant;
let stripe: Stripe;
beforeAll(async () => {
  m = await createMerchant('Refunding shop');
  stripe = client(m.keys.test.secret);
});

async function paid(sdk = stripe, paymentMethod = 'pm_card_visa', amount = 2000) {
  const intent = await sdk.paymentIntents.create({ amount, currency: 'usd', payment_method: paymentMethod, confirm: true });
  expect(intent.status).toBe('succeeded');
  return intent;
}

/** The refund once its settle timer has run (400 ms in the tests). */
async function settled(id: string, sdk = stripe): Promise<Stripe.Refund> {
  let refund!: Stripe.Refund;
  await waitFor(async () => {
    refund = await sdk.refunds.retrieve(id);
    return refund.status !== 'pending';
  }, 10_000);
  return refund;
}

/** The intent's succeeded charge as its object holds it (GET /v1/charges is the charges work's). */
async function chargeOf(intentId: string): Promise<Charge | undefined> {
  const stub = env.INTENTS.get(env.INTENTS.idFromName(intentId));
  const intent = await runInDurableObject(stub, (instance) =>
    (instance as unknown as PaymentIntentObject).retrieve({ merchantId: m.id, livemode: false }),
  );
  return intent?.charges.find((c) => c.status === 'succeeded');
}

describe('stripe SDK: refunds', () => {
  it('partial and multiple refunds up to the amount received; retrieve, list by payment_intent and charge', async () => {
    const intent = await paid();
    const first = await stripe.refunds.create({ payment_intent: intent.id, amount: 500, reason: 'requested_by_customer' });
    expect(first).toMatchObject({
      object: 'refund',
      amount: 500,
      currency: 'usd',
      payment_intent: intent.id,
      reason: 'requested_by_customer',
      status: 'pending',
      failure_reason: null,
      metadata: {},
    });
    expect(first.id).toMatch(/^re_[0-9A-Za-z]{24}$/);
    expect(first.charge).toMatch(/^ch_/);
    const second = await stripe.refunds.create({ charge: first.charge as string, amount: 700, metadata: { ticket: 'T-7' } });
    expect(second).toMatchObject({ amount: 700, charge: first.charge, payment_intent: intent.id, metadata: { ticket: 'T-7' } });
    // The rest, by default.
    const rest = await stripe.refunds.create({ payment_intent: intent.id });
    expect(rest.amount).toBe(800);

    expect((await settled(first.id)).status).toBe('succeeded');
    expect(await stripe.refunds.retrieve(second.id)).toMatchObject({ id: second.id, amount: 700 });
    const charge = await chargeOf(intent.id);
    expect(charge).toMatchObject({ amountRefunded: 2000n, refunded: true });

    const listed = await stripe.refunds.list({ payment_intent: intent.id });
    expect(listed.data.map((r) => r.id)).toEqual([rest.id, second.id, first.id]);
    const byCharge = await stripe.refunds.list({ charge: first.charge as string, limit: 2 });
    expect(byCharge.data.map((r) => r.id)).toEqual([rest.id, second.id]);
    expect(byCharge.has_more).toBe(true);
    const all: string[] = [];
    for await (const r of stripe.refunds.list({ payment_intent: intent.id, limit: 1 })) all.push(r.id);
    expect(all).toEqual([rest.id, second.id, first.id]);
  });

  it('over-refund refused naming amount; nothing left is charge_already_refunded', async () => {
    const intent = await paid();
    const tooMuch = await stripe.refunds.create({ payment_intent: intent.id, amount: 2001 }).catch((e) => e);
    expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(tooMuch).toMatchObject({ statusCode: 400, code: 'amount_too_large', param: 'amount' });
    await stripe.refunds.create({ payment_intent: intent.id, amount: 1500 });
    const over = await stripe.refunds.create({ payment_intent: intent.id, amount: 501 }).catch((e) => e);
    expect(over).toMatchObject({ statusCode: 400, code: 'amount_too_large', param: 'amount' });
    expect(over.message).toContain('(500,');
    await stripe.refunds.create({ payment_intent: intent.id, amount: 500 });
    const done = await stripe.refunds.create({ payment_intent: intent.id }).catch((e) => e);
    expect(done).toMatchObject({ statusCode: 400, code: 'charge_already_refunded', param: 'payment_intent' });
    expect(done.raw).not.toHaveProperty('payment_intent');
  });

  it('an intent that has not been paid cannot be refunded; an unknown intent or charge is a 404 naming it', async () => {
    const open = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
    const unpaid = await stripe.refunds.create({ payment_intent: open.id }).catch((e) => e);
    expect(unpaid).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state', param: 'payment_intent' });
    const held = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
      confirm: true,
    });
    const uncaptured = await stripe.refunds.create({ payment_intent: held.id }).catch((e) => e);
    expect(uncaptured).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state', param: 'payment_intent' });
    expect(uncaptured.message).toContain('cancel the PaymentIntent');

    const noIntent = await stripe.refunds.create({ payment_intent: 'pi_000000000000000000000000' }).catch((e) => e);
    expect(noIntent).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'payment_intent' });
    const noCharge = await stripe.refunds.create({ charge: 'ch_000000000000000000000000' }).catch((e) => e);
    expect(noCharge).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'charge' });
    const neither = await stripe.refunds.create({ amount: 100 }).catch((e) => e);
    expect(neither).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'payment_intent' });
  });

  it('a charge of another intent than the one named is refused naming charge, and refunds nothing', async () => {
    const a = await paid();
    const b = await paid();
    const chargeOfB = (await stripe.refunds.create({ payment_intent: b.id, amount: 1 })).charge as string;
    const mixed = await stripe.refunds.create({ payment_intent: a.id, charge: chargeOfB }).catch((e) => e);
    expect(mixed).toMatchObject({ statusCode: 400, code: 'parameter_invalid', param: 'charge' });
    expect((await stripe.refunds.list({ payment_intent: a.id })).data).toEqual([]);
  });

  it('update merges metadata; cancel while pending gives the amount back, after it is refused', async () => {
    const intent = await paid();
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 2000, metadata: { a: '1' } });
    // Canceled at once, well inside its 400 ms: the timer that fires later changes nothing.
    const canceled = await stripe.refunds.cancel(refund.id);
    expect(canceled).toMatchObject({ id: refund.id, status: 'canceled', failure_reason: 'merchant_request' });
    const again = await stripe.refunds.cancel(refund.id).catch((e) => e);
    expect(again).toMatchObject({ statusCode: 400, code: 'refund_unexpected_state', param: 'id' });
    expect((await chargeOf(intent.id))?.amountRefunded).toBe(0n);

    const updated = await stripe.refunds.update(refund.id, { metadata: { a: '', b: '2' } });
    expect(updated.metadata).toEqual({ b: '2' });

    // All of it can be refunded again; once succeeded it cannot be canceled.
    const whole = await stripe.refunds.create({ payment_intent: intent.id });
    expect(whole.amount).toBe(2000);
    expect((await settled(whole.id)).status).toBe('succeeded');
    const late = await stripe.refunds.cancel(whole.id).catch((e) => e);
    expect(late).toMatchObject({ statusCode: 400, code: 'refund_unexpected_state' });
    expect(late.message).toContain('succeeded');
    expect((await stripe.refunds.retrieve(refund.id)).status).toBe('canceled');
  });

  it('pm_card_refundFail: the refund fails (declined) and its amount is refundable again', async () => {
    const intent = await paid(stripe, 'pm_card_refundFail');
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 1200 });
    expect(refund.status).toBe('pending');
    expect((await chargeOf(intent.id))?.amountRefunded).toBe(1200n);
    const failed = await settled(refund.id);
    expect(failed).toMatchObject({ status: 'failed', failure_reason: 'declined' });
    expect((await chargeOf(intent.id))?.amountRefunded).toBe(0n);
    expect((await stripe.refunds.create({ payment_intent: intent.id })).amount).toBe(2000);
  });

  it('an Idempotency-Key replays the same refund; another body under it is refused', async () => {
    const intent = await paid();
    const key = `refund-${crypto.randomUUID()}`;
    const first = await stripe.refunds.create({ payment_intent: intent.id, amount: 300 }, { idempotencyKey: key });
    const replay = await stripe.refunds.create({ payment_intent: intent.id, amount: 300 }, { idempotencyKey: key });
    expect(replay.id).toBe(first.id);
    const raw = await call('/v1/refunds', {
      key: m.keys.test.secret,
      json: { payment_intent: intent.id, amount: 300 },
      headers: { 'Idempotency-Key': key },
    });
    expect(raw.headers.get('Idempotent-Replayed')).toBe('true');
    expect(((await raw.json()) as { id: string }).id).toBe(first.id);
    // The replay refunded nothing more: the only refund is the first.
    expect((await stripe.refunds.list({ payment_intent: intent.id })).data.map((r) => r.id)).toEqual([first.id]);
    // Even once another refund was made after it, the replay names the first one.
    const later = await stripe.refunds.create({ payment_intent: intent.id, amount: 100 });
    const replayAfter = await stripe.refunds.create({ payment_intent: intent.id, amount: 300 }, { idempotencyKey: key });
    expect(replayAfter.id).toBe(first.id);
    expect(later.id).not.toBe(first.id);
    const reused = await stripe.refunds.create({ payment_intent: intent.id, amount: 301 }, { idempotencyKey: key }).catch((e) => e);
    expect(reused).toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError' });
    expect((await stripe.refunds.list({ payment_intent: intent.id })).data).toHaveLength(2);
  });
});

describe('concurrent refunds of one intent', () => {
  it('20 at once never exceed the amount received: exactly as many succeed as fit', async () => {
    const intent = await paid(stripe, 'pm_card_visa', 2000);
    // 20 requests of 150: 13 fit in 2000 (1950), the other 7 are refused.
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post(m.keys.test.secret, '/v1/refunds', { payment_intent: intent.id, amount: 150 })),
    );
    const accepted = answers.filter((a) => a.res.status === 200);
    const refused = answers.filter((a) => a.res.status !== 200);
    expect(accepted).toHaveLength(13);
    expect(new Set(accepted.map((a) => a.body.id)).size).toBe(13);
    for (const r of refused) expect(r.body.error).toMatchObject({ code: 'amount_too_large', param: 'amount' });
    const listed = await stripe.refunds.list({ payment_intent: intent.id, limit: 100 });
    const counted = listed.data.filter((r) => r.status !== 'failed' && r.status !== 'canceled');
    expect(counted.reduce((sum, r) => sum + r.amount, 0)).toBe(1950);
    expect((await chargeOf(intent.id))?.amountRefunded).toBe(1950n);
    // What is left is exactly 50.
    expect((await stripe.refunds.create({ payment_intent: intent.id })).amount).toBe(50);
  });
});

describe('refunds and tenants', () => {
  it("another merchant's refund, intent or charge is an unknown one (404), and its list is empty", async () => {
    const intent = await paid();
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 100 });
    const other = client((await createMerchant('Someone else')).keys.test.secret);
    for (const attempt of [
      () => other.refunds.retrieve(refund.id),
      () => other.refunds.update(refund.id, { metadata: { x: '1' } }),
      () => other.refunds.cancel(refund.id),
      () => other.refunds.create({ payment_intent: intent.id }),
      () => other.refunds.create({ charge: refund.charge as string }),
    ]) {
      expect(await attempt().catch((e) => e)).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    }
    expect((await other.refunds.list({ payment_intent: intent.id })).data).toEqual([]);
    // The live key of the same merchant sees none of its test refunds either.
    const live = await get(m.keys.live.secret, `/v1/refunds/${refund.id}`);
    expect(live.res.status).toBe(404);
    expect((await stripe.refunds.retrieve(refund.id)).metadata).toEqual({});
  });
});

describe('refund webhooks', () => {
  it('refund.created, refund.updated and charge.refunded reach a real receiver, signed, each with its object', async () => {
    const own = await createMerchant('Refund webhooks');
    const sk = own.keys.test.secret;
    const sdk = client(sk);
    const mailbox = await openMailbox({ secrets: [] });
    const { body: endpoint } = await post(sk, '/v1/webhook_endpoints', {
      url: mailbox.url,
      enabled_events: ['refund.created', 'refund.updated', 'refund.failed', 'charge.refunded'],
    });
    const control = mailbox.url.replace('/hooks/', '/mailboxes/');
    expect((await fetch(control, { method: 'PUT', body: JSON.stringify({ secrets: [endpoint.secret] }) })).status).toBe(204);

    const intent = await paid(sdk);
    const refund = await sdk.refunds.create({ payment_intent: intent.id, amount: 600 });
    await settled(refund.id, sdk);
    await waitFor(async () => (await mailbox.received()).length >= 3, 10_000);
    const received = await mailbox.received();
    expect(received.every((r) => r.verifiedStripe)).toBe(true);
    const events = received.map((r) => JSON.parse(r.body));
    expect(events.map((e) => e.type).sort()).toEqual(['charge.refunded', 'refund.created', 'refund.updated']);
    const byType = Object.fromEntries(events.map((e) => [e.type, e.data.object]));
    expect(byType['refund.created']).toMatchObject({ object: 'refund', id: refund.id, amount: 600, status: 'pending' });
    expect(byType['refund.updated']).toMatchObject({ object: 'refund', id: refund.id, status: 'succeeded' });
    expect(byType['charge.refunded']).toMatchObject({ object: 'charge', id: refund.charge, amount_refunded: 600, refunded: false });
    expect(byType['charge.refunded'].refunds.data.map((r: { id: string }) => r.id)).toEqual([refund.id]);
  });

  it('refund.failed for pm_card_refundFail', async () => {
    const own = await createMerchant('Refund failure webhooks');
    const sk = own.keys.test.secret;
    const sdk = client(sk);
    const mailbox = await openMailbox({ secrets: [] });
    await post(sk, '/v1/webhook_endpoints', { url: mailbox.url, enabled_events: ['refund.failed'] });
    const intent = await paid(sdk, 'pm_card_refundFail');
    const refund = await sdk.refunds.create({ payment_intent: intent.id });
    await waitFor(async () => (await mailbox.received()).length === 1, 10_000);
    const [delivered] = await mailbox.received();
    expect(JSON.parse(delivered!.body)).toMatchObject({
      type: 'refund.failed',
      data: { object: { id: refund.id, status: 'failed', failure_reason: 'declined', amount: 2000 } },
    });
  });
});

describe('/v1/refunds over plain HTTP', () => {
  it('form-encoded, as curl sends it; unknown parameters and bad reasons refused naming them', async () => {
    const intent = await paid();
    const res = await call('/v1/refunds', {
      key: m.keys.test.secret,
      form: `payment_intent=${intent.id}&amount=250&reason=duplicate&metadata[order]=A-9`,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ amount: 250, reason: 'duplicate', metadata: { order: 'A-9' } });
    for (const [body, param] of [
      [{ payment_intent: intent.id, instructions_email: 'a@b.c' }, 'instructions_email'],
      [{ payment_intent: intent.id, reason: 'changed_mind' }, 'reason'],
      [{ payment_intent: intent.id, amount: 0 }, 'amount'],
      [{ payment_intent: intent.id, amount: 1.5 }, 'amount'],
    ] as const) {
      const { res: refused, body: error } = await post(m.keys.test.secret, '/v1/refunds', body);
      expect(refused.status).toBe(400);
      expect(error.error.param).toBe(param);
    }
    const list = await get(m.keys.test.secret, '/v1/refunds?payment_intent=nope');
    expect(list.res.status).toBe(400);
    expect(list.body.error.param).toBe('payment_intent');
    const badCursor = await get(m.keys.test.secret, '/v1/refunds?starting_after=re_000000000000000000000000');
    expect(badCursor.res.status).toBe(404);
    expect(badCursor.body.error.param).toBe('starting_after');
  });
});
