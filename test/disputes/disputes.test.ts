/**
 * Test-mode disputes through the official `stripe` SDK: a payment with pm_card_createDispute is
 * disputed at once; evidence decides the outcome (Stripe's test values) after a real alarm; closing
 * accepts the loss; another merchant sees nothing; the charge.dispute.* events reach a real
 * webhook receiver.
 */
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../webhook-receiver.js';
import { call, createMerchant, get, post, shardOf, type TestMerchant, waitFor, stripeClient } from '../helpers.js';
import { openMailbox } from '../webhooks/receiver-client.js';

const client = stripeClient;

let m: TestMerchant;
let stripe: Stripe;
beforeAll(async () => {
  m = await createMerchant('Disputes');
  stripe = client(m.keys.test.secret);
});

/** A payment with the card whose payments are disputed; its dispute, found through the list by payment intent. */
async function disputedPayment(sdk: Stripe = stripe, amount = 4200) {
  const intent = await sdk.paymentIntents.create({ amount, currency: 'usd', payment_method: 'pm_card_createDispute', confirm: true });
  expect(intent.status).toBe('succeeded');
  const { data } = await sdk.disputes.list({ payment_intent: intent.id });
  expect(data).toHaveLength(1);
  return { intent, dispute: data[0]! };
}

/** The intent's charge as the read model holds it (in the intent's stored record). */
async function chargeOf(intentId: string, chargeId: string, merchantId = m.id) {
  const row = await (await shardOf(merchantId))
    .prepare('SELECT record FROM payment_intents WHERE id = ?')
    .bind(intentId)
    .first<{ record: string }>();
  return (JSON.parse(row!.record).charges as any[]).find((c) => c.id === chargeId);
}

async function settled(id: string, sdk: Stripe = stripe): Promise<Stripe.Dispute> {
  let dispute = await sdk.disputes.retrieve(id);
  await waitFor(async () => {
    dispute = await sdk.disputes.retrieve(id);
    return dispute.status !== 'under_review';
  });
  return dispute;
}

describe('disputes: a payment with pm_card_createDispute', () => {
  it('is disputed at once: needs_response for the captured amount, evidence due in 7 days, the charge disputed', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { intent, dispute } = await disputedPayment();
    expect(dispute).toMatchObject({
      object: 'dispute',
      amount: 4200,
      currency: 'usd',
      status: 'needs_response',
      reason: 'fraudulent',
      payment_intent: intent.id,
      livemode: false,
      is_charge_refundable: false,
      balance_transactions: [],
      network_reason_code: null,
      metadata: {},
      evidence_details: { has_evidence: false, past_due: false, submission_count: 0 },
      payment_method_details: { type: 'card', card: { brand: 'visa', case_type: 'chargeback', network_reason_code: null } },
    });
    expect(dispute.id).toMatch(/^dp_/);
    // The charge it disputes is the payment's, and shows it.
    expect(await chargeOf(intent.id, dispute.charge as string)).toMatchObject({ status: 'succeeded', disputed: true });
    expect(dispute.evidence.uncategorized_text).toBeNull();
    expect(Object.values(dispute.evidence).every((v) => v === null)).toBe(true);
    const dueIn = dispute.evidence_details!.due_by! - before;
    expect(dueIn).toBeGreaterThanOrEqual(7 * 86_400 - 5);
    expect(dueIn).toBeLessThanOrEqual(7 * 86_400 + 60);
    expect(await stripe.disputes.retrieve(dispute.id)).toMatchObject({ ...dispute });
  });

  it('a payment with pm_card_visa is not disputed', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    expect((await stripe.disputes.list({ payment_intent: intent.id })).data).toEqual([]);
  });

  it('a manual-capture payment is disputed once captured, for the amount captured', async () => {
    const held = await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'eur',
      capture_method: 'manual',
      payment_method: 'pm_card_createDispute',
      confirm: true,
    });
    expect((await stripe.disputes.list({ payment_intent: held.id })).data).toEqual([]);
    await stripe.paymentIntents.capture(held.id, { amount_to_capture: 2500 });
    const [dispute] = (await stripe.disputes.list({ payment_intent: held.id })).data;
    expect(dispute).toMatchObject({ amount: 2500, currency: 'eur', status: 'needs_response' });
  });
});

describe('disputes: evidence and outcome', () => {
  it('staged evidence merges without submitting; winning evidence, submitted, is under review, then won', async () => {
    const { dispute } = await disputedPayment();
    const staged = await stripe.disputes.update(dispute.id, {
      evidence: { customer_name: 'Jenny Rosen', product_description: 'A blue mug' },
      metadata: { case: 'C-1' },
      submit: false,
    });
    expect(staged).toMatchObject({
      status: 'needs_response',
      metadata: { case: 'C-1' },
      evidence: { customer_name: 'Jenny Rosen', product_description: 'A blue mug', uncategorized_text: null },
      evidence_details: { has_evidence: true, submission_count: 0 },
    });

    const submitted = await stripe.disputes.update(dispute.id, {
      evidence: { uncategorized_text: 'winning_evidence', product_description: '' },
    });
    expect(submitted).toMatchObject({
      status: 'under_review',
      evidence: { customer_name: 'Jenny Rosen', product_description: null, uncategorized_text: 'winning_evidence' },
      evidence_details: { has_evidence: true, submission_count: 1 },
      is_charge_refundable: false,
    });

    const won = await settled(dispute.id);
    expect(won).toMatchObject({ status: 'won', is_charge_refundable: true, metadata: { case: 'C-1' } });
    // A won dispute gives the charge back its money: no longer disputed.
    expect(await chargeOf(won.payment_intent as string, won.charge as string)).toMatchObject({ disputed: false });
  });

  it('losing evidence, submitted, loses', async () => {
    const { dispute } = await disputedPayment();
    await stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'losing_evidence' }, submit: true });
    const lost = await settled(dispute.id);
    expect(lost).toMatchObject({ status: 'lost', is_charge_refundable: false });
    expect(await chargeOf(lost.payment_intent as string, lost.charge as string)).toMatchObject({ disputed: true });
  });

  it('close accepts the dispute: lost at once; evidence after that is refused, naming the parameter; metadata still merges', async () => {
    const { dispute } = await disputedPayment();
    const closed = await stripe.disputes.close(dispute.id);
    expect(closed).toMatchObject({ id: dispute.id, status: 'lost' });

    const refused = await stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'winning_evidence' } }).catch((e) => e);
    expect(refused).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(refused).toMatchObject({ statusCode: 400, code: 'dispute_unexpected_state', param: 'evidence' });
    expect(refused.message).toMatch(/status of lost/);
    const closedAgain = await stripe.disputes.close(dispute.id).catch((e) => e);
    expect(closedAgain).toMatchObject({ statusCode: 400, code: 'dispute_unexpected_state' });

    expect(await stripe.disputes.update(dispute.id, { metadata: { note: 'accepted' } })).toMatchObject({
      status: 'lost',
      metadata: { note: 'accepted' },
      evidence: { uncategorized_text: null },
    });
  });

  it('evidence under review cannot be changed or submitted again', async () => {
    const { dispute } = await disputedPayment();
    await stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'something else' } });
    const again = await stripe.disputes.update(dispute.id, { submit: true }).catch((e) => e);
    expect(again).toMatchObject({ statusCode: 400, code: 'dispute_unexpected_state', param: 'submit' });
    // Evidence without a test value stays under review, as in Stripe's test mode.
    expect((await stripe.disputes.retrieve(dispute.id)).status).toBe('under_review');
  });

  it('submitting without any evidence is refused, naming evidence', async () => {
    const { dispute } = await disputedPayment();
    const refused = await stripe.disputes.update(dispute.id, { submit: true }).catch((e) => e);
    expect(refused).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'evidence' });
    expect((await stripe.disputes.retrieve(dispute.id)).status).toBe('needs_response');
  });
});

describe('disputes: bad input and other merchants', () => {
  it('an unknown evidence field is a 400 naming evidence[field]; nothing changes', async () => {
    const { dispute } = await disputedPayment();
    const { res, body } = await post(m.keys.test.secret, `/v1/disputes/${dispute.id}`, { evidence: { favourite_colour: 'blue' } });
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_unknown', param: 'evidence[favourite_colour]' });
    const form = await call(`/v1/disputes/${dispute.id}`, {
      key: m.keys.test.secret,
      method: 'POST',
      form: 'evidence[uncategorized_text]=winning_evidence&submit=maybe',
    });
    expect(form.status).toBe(400);
    expect(((await form.json()) as any).error.param).toBe('submit');
    // Names every object inherits are unknown fields like any other (a form decoder drops __proto__, so as JSON).
    for (const name of ['constructor', 'toString']) {
      const inherited = await call(`/v1/disputes/${dispute.id}`, {
        key: m.keys.test.secret,
        form: `evidence[${name}]=x&evidence[customer_name]=Jenny`,
      });
      expect(inherited.status, name).toBe(400);
      expect(((await inherited.json()) as any).error).toMatchObject({ code: 'parameter_unknown', param: `evidence[${name}]` });
    }
    const proto = await call(`/v1/disputes/${dispute.id}`, {
      key: m.keys.test.secret,
      body: '{"evidence":{"__proto__":"x","customer_name":"Jenny"}}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(proto.status).toBe(400);
    expect(((await proto.json()) as any).error.param).toBe('evidence[__proto__]');
    expect((await stripe.disputes.retrieve(dispute.id)).status).toBe('needs_response');
    expect((await stripe.disputes.retrieve(dispute.id)).evidence.customer_name).toBeNull();
  });

  it("another merchant's dispute, or the live mode's view of a test one, is a 404 everywhere", async () => {
    const { intent, dispute } = await disputedPayment();
    const other = await createMerchant('Other disputes');
    const theirs = client(other.keys.test.secret);
    for (const sdk of [theirs, client(m.keys.live.secret)]) {
      for (const attempt of [
        () => sdk.disputes.retrieve(dispute.id),
        () => sdk.disputes.update(dispute.id, { evidence: { uncategorized_text: 'losing_evidence' } }),
        () => sdk.disputes.close(dispute.id),
      ]) {
        expect(await attempt().catch((e) => e)).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id' });
      }
      expect((await sdk.disputes.list({ payment_intent: intent.id })).data).toEqual([]);
      expect(await sdk.disputes.list({ starting_after: dispute.id }).catch((e) => e)).toMatchObject({
        statusCode: 404,
        param: 'starting_after',
      });
    }
    expect((await stripe.disputes.retrieve(dispute.id)).status).toBe('needs_response');
    for (const id of ['dp_nope', 'pi_123', 'dp_000000000000000000000000']) {
      const { res, body } = await get(m.keys.test.secret, `/v1/disputes/${id}`);
      expect([res.status, body.error.code]).toEqual([404, 'resource_missing']);
    }
  });
});

describe('disputes: concurrent and repeated requests', () => {
  it('ten submits and closes at once: exactly one is taken, the others refused, and the dispute shows the one taken', async () => {
    const { dispute } = await disputedPayment();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? post(m.keys.test.secret, `/v1/disputes/${dispute.id}`, { evidence: { uncategorized_text: `attempt ${i}` } })
          : post(m.keys.test.secret, `/v1/disputes/${dispute.id}/close`),
      ),
    );
    const taken = answers.filter((a) => a.res.status === 200);
    expect(taken).toHaveLength(1);
    expect(answers.filter((a) => a.res.status === 400).map((a) => a.body.error.code)).toEqual(Array(9).fill('dispute_unexpected_state'));
    const now = await stripe.disputes.retrieve(dispute.id);
    expect(now.status).toBe(taken[0]!.body.status);
    expect(now.evidence.uncategorized_text).toBe(taken[0]!.body.evidence.uncategorized_text);
  });

  it('an Idempotency-Key replays its answer; the same key with other parameters is refused', async () => {
    const { dispute } = await disputedPayment();
    const send = (evidence: Record<string, string>) =>
      call(`/v1/disputes/${dispute.id}`, {
        key: m.keys.test.secret,
        json: { evidence, submit: false },
        headers: { 'Idempotency-Key': `dispute-${dispute.id}` },
      });
    const first = await send({ customer_name: 'Jenny' });
    expect(first.status).toBe(200);
    // A change in between: the replay still gives the first answer, and changes nothing.
    await stripe.disputes.update(dispute.id, { metadata: { between: '1' } });
    const again = await send({ customer_name: 'Jenny' });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    const other = await send({ customer_name: 'Someone else' });
    expect(other.status).toBe(400);
    expect(((await other.json()) as any).error.type).toBe('idempotency_error');
    expect((await stripe.disputes.retrieve(dispute.id)).evidence.customer_name).toBe('Jenny');
  });
});

describe('disputes: lists', () => {
  it('newest first, filtered by charge and payment intent, walked with cursors', async () => {
    const own = await createMerchant('Dispute lister');
    const sdk = client(own.keys.test.secret);
    const made = [];
    for (let i = 0; i < 4; i++) made.push(await disputedPayment(sdk, 100 + i));
    const seen: string[] = [];
    for await (const d of sdk.disputes.list({ limit: 3 })) seen.push(d.id);
    expect(seen).toEqual(made.map((x) => x.dispute.id).reverse());
    const byCharge = await sdk.disputes.list({ charge: made[1]!.dispute.charge as string });
    expect(byCharge.data.map((d) => d.id)).toEqual([made[1]!.dispute.id]);
    const before = await sdk.disputes.list({ ending_before: made[0]!.dispute.id, limit: 2 });
    expect(before.data.map((d) => d.id)).toEqual([made[2]!.dispute.id, made[1]!.dispute.id]);
    // The list shows each dispute as it is now.
    await sdk.disputes.close(made[3]!.dispute.id);
    expect((await sdk.disputes.list({ limit: 1 })).data[0]).toMatchObject({ id: made[3]!.dispute.id, status: 'lost' });
  });
});

const DISPUTE_EVENTS: Stripe.WebhookEndpointCreateParams.EnabledEvent[] = [
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
];

describe('disputes: webhooks', () => {
  it('charge.dispute.created, funds_withdrawn, updated, closed and funds_reinstated reach the receiver with the dispute as data.object', async () => {
    const own = await createMerchant('Dispute webhooks');
    const sdk = client(own.keys.test.secret);
    const mailbox = await openMailbox({ secrets: [] });
    const endpoint = await sdk.webhookEndpoints.create({ url: mailbox.url, enabled_events: DISPUTE_EVENTS });
    await fetch(mailbox.url.replace('/hooks/', '/mailboxes/'), { method: 'PUT', body: JSON.stringify({ secrets: [endpoint.secret] }) });

    const { dispute } = await disputedPayment(sdk);
    await sdk.disputes.update(dispute.id, { evidence: { uncategorized_text: 'winning_evidence' } });
    await settled(dispute.id, sdk);

    let received: RecordedRequest[] = [];
    await waitFor(async () => {
      received = await mailbox.received();
      return received.length >= 5;
    }, 10_000);
    expect(received.every((r) => r.verifiedStripe && r.verifiedStandard)).toBe(true);
    const events = received.map((r) => JSON.parse(r.body)).sort((a, b) => a.sequence - b.sequence);
    expect(events.map((e) => e.type)).toEqual([
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
      'charge.dispute.updated',
      'charge.dispute.closed',
      'charge.dispute.funds_reinstated',
    ]);
    expect(events.map((e) => [e.data.object.object, e.data.object.id, e.data.object.status])).toEqual([
      ['dispute', dispute.id, 'needs_response'],
      ['dispute', dispute.id, 'needs_response'],
      ['dispute', dispute.id, 'under_review'],
      ['dispute', dispute.id, 'won'],
      ['dispute', dispute.id, 'won'],
    ]);
  });
});
