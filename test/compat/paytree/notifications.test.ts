/**
 * 001_…'s notification_url callbacks end to end: a Paytree intent made with callback.notification_url
 * pointing at a real receiver on 127.0.0.1 (test/webhook-receiver.ts, which verifies each request
 * with the official `standardwebhooks` package and with `stripe.webhooks.constructEvent`), moved
 * through its statuses with the canonical API (a declined card, a payment, refunds, a dispute, a
 * cancel): each status change arrives once, in Paytree's body; events that change no Paytree status
 * send nothing; a failing receiver gets the retry; a canonical intent's notification_url keeps
 * Stripe's events; a create still writing its row holds the fan-out back instead of guessing.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import Stripe from 'stripe';
import { Webhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { NOTIFICATION_EXAMPLE, PaytreeNotification, statusChangeOf } from '../../../src/compat/paytree/notifications.js';
import type { Decision, PaymentIntent } from '../../../src/domain/intent.js';
import { createPaymentIntent } from '../../../src/domain/payment-intent.js';
import type { IntentEvent } from '../../../src/intents/events.js';
import { confirmWith, created, IDS, NOW, reach, step } from '../../domain/fixtures.js';
import { reserveTransactionRef, releaseReservation } from '../../../src/db/paytree.js';
import { handleWebhookBatch } from '../../../src/webhooks/consumer.js';
import type { WebhookMessage } from '../../../src/webhooks/messages.js';
import type { MailboxConfig, RecordedRequest } from '../../webhook-receiver.js';
import { createIntent, createMerchant, get, post, shardNameOf, shardOf, stripeClient, type TestMerchant, waitFor } from '../../helpers.js';
import { documentProblems } from '../../http/openapi-document.js';
import { openMailbox, type TestMailbox } from '../../webhooks/receiver-client.js';

const BASE = 'http://pay.test/paytree';

let m: TestMerchant;
let sk: string;
let stripe: Stripe;
let notificationSecret: string;
/** The merchant's webhook endpoint for every event: it sees each fan-out, and shows Stripe's wire beside the callback. */
let endpointBox: TestMailbox;
beforeAll(async () => {
  m = await createMerchant('Paytree notified');
  sk = m.keys.test.secret;
  stripe = stripeClient(sk);
  notificationSecret = (await get(sk, '/v1/notification_secret')).body.secret;
  endpointBox = await openMailbox({ secrets: [] });
  const { res, body: endpoint } = await post(sk, '/v1/webhook_endpoints', { url: endpointBox.url, enabled_events: ['*'] });
  expect(res.status).toBe(200);
  const configured = await fetch(endpointBox.url.replace('/hooks/', '/mailboxes/'), {
    method: 'PUT',
    body: JSON.stringify({ secrets: [endpoint.secret] }),
  });
  expect(configured.status).toBe(204);
});

/** A create as a Paytree client sends it: `Authorization: Token …`, JSON. */
async function createPaytreeIntent(notificationUrl: string, overrides: Record<string, unknown> = {}, key = sk) {
  const res = await paytreeCreate(notificationUrl, overrides, key);
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; client_ref: string; payment_link: string };
}

function paytreeCreate(notificationUrl: string, overrides: Record<string, unknown> = {}, key = sk): Promise<Response> {
  return exports.default.fetch(
    new Request(`${BASE}/v1/transaction/payment_intent/`, {
      method: 'POST',
      headers: { authorization: `Token ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        transaction_ref: `order-${crypto.randomUUID()}`,
        client_ref: 'customer-42',
        amount: '20.00',
        amount_currency: 'USD',
        method: 'card',
        customer: { email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' },
        address: { country: 'GB', city: 'London' },
        session: { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0' },
        callback: { return_url: 'https://shop.example/return', notification_url: notificationUrl },
        ...overrides,
      }),
    }),
  );
}

async function paytreeRetrieve(id: string) {
  const res = await exports.default.fetch(
    new Request(`${BASE}/v1/transaction/payment_intent/${id}/`, { headers: { authorization: `Token ${sk}` } }),
  );
  expect(res.status).toBe(200);
  return res.json() as Promise<any>;
}

/** A mailbox that holds the merchant's notification secret, as a Paytree merchant's receiver would. */
function notificationMailbox(config: Omit<MailboxConfig, 'secrets'> = {}): Promise<TestMailbox> {
  return openMailbox({ secrets: [notificationSecret], ...config });
}

/** What the mailbox got, once it got at least `atLeast` requests. */
async function receivedAtLeast(mailbox: TestMailbox, atLeast: number): Promise<RecordedRequest[]> {
  let got: RecordedRequest[] = [];
  await waitFor(async () => {
    got = await mailbox.received();
    return got.length >= atLeast;
  }, 15_000);
  return got;
}

/**
 * Every event of the intent fanned out and every delivery of them done: each event's fan-out made
 * its delivery to the merchant's endpoint (which wants them all) with its callback, if any.
 */
async function fannedOut(intentId: string): Promise<void> {
  const d1 = await shardOf(m.id);
  await waitFor(async () => {
    const row = await d1
      .prepare(
        `SELECT count(*) AS events,
                sum(NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.endpoint_id IS NOT NULL)) AS unfanned,
                (SELECT count(*) FROM webhook_deliveries d JOIN events x ON x.id = d.event_id
                  WHERE x.intent_id = ?1 AND d.status = 'pending') AS pending
           FROM events e WHERE e.intent_id = ?1`,
      )
      .bind(intentId)
      .first<{ events: number; unfanned: number; pending: number }>();
    return row!.events > 0 && row!.unfanned === 0 && row!.pending === 0;
  }, 15_000);
}

const bodies = (received: RecordedRequest[]) => received.map((r) => JSON.parse(r.body) as any);

describe('Paytree notification_url', () => {
  it('each status change arrives once, in Paytree`s body, signed as every webhook (both official verifiers)', async () => {
    const mailbox = await notificationMailbox();
    const created = await createPaytreeIntent(mailbox.url);

    // A declined card, then a paid one, then a partial refund and the rest: four status changes.
    const declined = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_chargeDeclined' }).catch((e) => e);
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    const paid = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
    expect(paid.status).toBe('succeeded');
    const firstRefund = await stripe.refunds.create({ payment_intent: created.id, amount: 500 });
    await waitFor(async () => (await stripe.refunds.retrieve(firstRefund.id)).status === 'succeeded', 10_000);
    const secondRefund = await stripe.refunds.create({ payment_intent: created.id });
    await waitFor(async () => (await stripe.refunds.retrieve(secondRefund.id)).status === 'succeeded', 10_000);

    const received = await receivedAtLeast(mailbox, 4);
    await fannedOut(created.id);
    const all = await mailbox.received();
    // Nothing else: not the creation, the charge.* echoes, refund.created/updated or payment_intent.updated.
    expect(all).toHaveLength(4);
    expect(all.every((r) => r.verifiedStandard && r.verifiedStripe)).toBe(true);

    const notes = bodies(received).sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
    const charges = paid.latest_charge as string;
    expect(notes.map((n) => [n.status, n.payment === charges])).toEqual([
      ['failed', false],
      ['success', true],
      ['partial_refunded', true],
      ['refunded', true],
    ]);
    for (const note of notes) {
      // Exactly the documented shape, the intent as Paytree's retrieve renders it.
      expect(PaytreeNotification.strict().safeParse(note).success).toBe(true);
      expect(note).toMatchObject({
        event: 'payment_intent.status_changed',
        id: expect.stringMatching(/^evt_/),
        transaction_ref: expect.stringMatching(/^order-/),
        client_ref: 'customer-42',
        payment_intent: { id: created.id, amount: '20.00', currency: 'USD', client_ref: 'customer-42', payment_link: created.payment_link },
      });
      const request = received.find((r) => JSON.parse(r.body).id === note.id)!;
      expect(request.headers['webhook-id']).toBe(note.id);
      expect(request.headers['content-type']).toBe('application/json');
    }
    // Each shows the intent as it was right after its change; the last is what the retrieve shows now.
    expect(notes[0].payment_intent.payment.map((p: any) => p.status)).toEqual(['failed']);
    expect(notes[1].payment_intent.payment.map((p: any) => p.status)).toEqual(['failed', 'success']);
    expect(notes[3].payment_intent).toEqual(await paytreeRetrieve(created.id));

    // How a Paytree merchant verifies one, with the standardwebhooks package and with Stripe's SDK.
    const last = received.find((r) => JSON.parse(r.body).status === 'refunded')!;
    const verified = new Webhook(notificationSecret).verify(last.body, {
      'webhook-id': last.headers['webhook-id']!,
      'webhook-timestamp': last.headers['webhook-timestamp']!,
      'webhook-signature': last.headers['webhook-signature']!,
    });
    expect(verified).toMatchObject({ status: 'refunded', payment_intent: { id: created.id } });
    const viaStripe = await stripe.webhooks.constructEventAsync(last.body, last.headers['stripe-signature']!, notificationSecret);
    expect(viaStripe).toMatchObject({ status: 'refunded' });
    // Another merchant's secret verifies nothing.
    const other = await createMerchant('Paytree other');
    const otherSecret = (await get(other.keys.test.secret, '/v1/notification_secret')).body.secret as string;
    expect(() =>
      new Webhook(otherSecret).verify(last.body, {
        'webhook-id': last.headers['webhook-id']!,
        'webhook-timestamp': last.headers['webhook-timestamp']!,
        'webhook-signature': last.headers['webhook-signature']!,
      }),
    ).toThrow();
  });

  it('a cancel is `canceled`; one as abandoned is `expired`; an earlier failed attempt is not the payment named', async () => {
    const mailbox = await notificationMailbox();
    const a = await createPaytreeIntent(mailbox.url);
    const b = await createPaytreeIntent(mailbox.url);
    const declined = await stripe.paymentIntents.confirm(a.id, { payment_method: 'pm_card_chargeDeclined' }).catch((e) => e);
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    await stripe.paymentIntents.cancel(a.id, { cancellation_reason: 'requested_by_customer' });
    await stripe.paymentIntents.cancel(b.id, { cancellation_reason: 'abandoned' });
    const received = await receivedAtLeast(mailbox, 3);
    await fannedOut(a.id);
    await fannedOut(b.id);
    expect(await mailbox.received()).toHaveLength(3);
    const notes = bodies(received);
    const ofA = notes.filter((n) => n.payment_intent.id === a.id);
    expect(ofA.map((n) => n.status).sort()).toEqual(['canceled', 'failed']);
    const failed = ofA.find((n) => n.status === 'failed');
    const canceled = ofA.find((n) => n.status === 'canceled');
    expect(failed.payment).toBe(canceled.payment_intent.payment[0].id);
    expect(canceled).toMatchObject({ payment: null, payment_intent: { payment: [{ status: 'failed' }] } });
    expect(notes.find((n) => n.payment_intent.id === b.id)).toMatchObject({
      status: 'expired',
      payment: null,
      payment_intent: { payment: [] },
    });
  });

  it('a disputed payment: success, disputed, then the dispute`s outcome when it is closed', async () => {
    const mailbox = await notificationMailbox();
    const created = await createPaytreeIntent(mailbox.url);
    await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_createDispute' });
    const [dispute] = (await stripe.disputes.list({ payment_intent: created.id })).data;
    await stripe.disputes.close(dispute!.id);
    const received = await receivedAtLeast(mailbox, 3);
    await fannedOut(created.id);
    expect(await mailbox.received()).toHaveLength(3);
    const statuses = bodies(received).map((n) => n.status);
    expect(statuses.sort()).toEqual(['disputed', 'disputed_close', 'success']);
    expect(bodies(received).every((n) => n.payment === dispute!.charge)).toBe(true);
  });

  it('a receiver failing then recovering gets the retry: same id, same bytes', async () => {
    const mailbox = await notificationMailbox({ script: [{ status: 503, body: 'down' }] });
    const created = await createPaytreeIntent(mailbox.url);
    await stripe.paymentIntents.cancel(created.id);
    const received = await receivedAtLeast(mailbox, 2);
    expect(received.map((r) => r.response.status)).toEqual([503, 200]);
    expect(received[1]!.headers['webhook-id']).toBe(received[0]!.headers['webhook-id']);
    expect(received[1]!.body).toBe(received[0]!.body);
    expect(received.every((r) => r.verifiedStandard && r.verifiedStripe)).toBe(true);
    // The delivery (no endpoint's: the intent's callback) records both attempts, as the receiver answered them.
    const d1 = await shardOf(m.id);
    const eventId = JSON.parse(received[0]!.body).id;
    const deliveryOf = () =>
      d1
        .prepare('SELECT id, endpoint_id, status, url FROM webhook_deliveries WHERE event_id = ? AND endpoint_id IS NULL')
        .bind(eventId)
        .first<{ id: string; endpoint_id: null; status: string; url: string }>();
    await waitFor(async () => (await deliveryOf())?.status === 'succeeded');
    const delivery = (await deliveryOf())!;
    expect(delivery.url).toBe(mailbox.url);
    const attempts = await d1
      .prepare('SELECT attempt, status_code, response_body FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt')
      .bind(delivery.id)
      .all();
    expect(attempts.results).toEqual([
      { attempt: 1, status_code: 503, response_body: 'down' },
      { attempt: 2, status_code: 200, response_body: '' },
    ]);
  });

  it('concurrent refunds: each one`s status change arrives once (partial_refunded, then refunded)', async () => {
    const mailbox = await notificationMailbox();
    const created = await createPaytreeIntent(mailbox.url);
    await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
    const refunds = await Promise.all([1000, 1000].map((amount) => stripe.refunds.create({ payment_intent: created.id, amount })));
    for (const refund of refunds) await waitFor(async () => (await stripe.refunds.retrieve(refund.id)).status === 'succeeded', 10_000);
    await receivedAtLeast(mailbox, 3);
    await fannedOut(created.id);
    const notes = bodies(await mailbox.received());
    expect(notes).toHaveLength(3);
    expect(new Set(notes.map((n) => n.id)).size).toBe(3);
    expect(notes.map((n) => n.status).sort()).toEqual(['partial_refunded', 'refunded', 'success']);
    // The second to succeed is the one that refunds the payment in full; both refunds show in each body.
    const refunded = notes.find((n) => n.status === 'refunded');
    const partial = notes.find((n) => n.status === 'partial_refunded');
    expect(refunded.created >= partial.created).toBe(true);
    expect(refunded.payment_intent.payment[0]).toMatchObject({ refunded: '20.00' });
    expect(refunded.payment_intent.payment[0].refund).toHaveLength(2);
  });

  it('the URL policy of every webhook holds for notification_url: loopback only in test mode, named in DRF`s shape', async () => {
    const live = await paytreeCreate('http://127.0.0.1:8080/hook', {}, m.keys.live.secret);
    expect(live.status).toBe(400);
    const body = (await live.json()) as any;
    expect(body.callback.notification_url[0]).toMatch(/loopback/);
    const metadata = await paytreeCreate('http://169.254.169.254/latest/meta-data');
    expect(metadata.status).toBe(400);
    expect(Object.keys((await metadata.json()) as object)).toEqual(['callback']);
  });

  it("a canonical intent's notification_url keeps Stripe's events, every one of them", async () => {
    const mailbox = await notificationMailbox();
    const { body: intent } = await createIntent(sk, { notification_url: mailbox.url, payment_method: 'pm_card_visa', confirm: true });
    const received = await receivedAtLeast(mailbox, 3);
    expect(received.every((r) => r.verifiedStandard && r.verifiedStripe)).toBe(true);
    const events = bodies(received);
    expect(events.every((e) => e.object === 'event')).toBe(true);
    expect(events.map((e) => e.type).sort()).toEqual(['charge.succeeded', 'payment_intent.created', 'payment_intent.succeeded']);
    expect(events.find((e) => e.type === 'payment_intent.succeeded').data.object).toMatchObject({ id: intent.id, status: 'succeeded' });
  });

  it('a webhook endpoint sees a Paytree intent`s every event on Stripe`s wire, beside the callback', async () => {
    const callbackBox = await notificationMailbox();
    const created = await createPaytreeIntent(callbackBox.url);
    await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
    const callbacks = await receivedAtLeast(callbackBox, 1);
    await fannedOut(created.id);
    const toEndpoint = bodies(await endpointBox.received()).filter(
      (e) => e.data.object.id === created.id || e.data.object.payment_intent === created.id,
    );
    expect(toEndpoint.map((e) => e.type).sort()).toEqual(['charge.succeeded', 'payment_intent.created', 'payment_intent.succeeded']);
    expect(bodies(await callbackBox.received()).map((n) => n.status)).toEqual(['success']);
    expect(callbacks[0]!.verifiedStandard).toBe(true);
    // Stripe's pending_webhooks counts the callback only where there is one: the status change.
    expect(toEndpoint.find((e) => e.type === 'payment_intent.succeeded').pending_webhooks).toBe(2);
    expect(toEndpoint.find((e) => e.type === 'payment_intent.created').pending_webhooks).toBe(1);
    expect(toEndpoint.find((e) => e.type === 'charge.succeeded').pending_webhooks).toBe(1);
  });
});

describe('fan-out while a Paytree create is still writing its row', () => {
  it('holds the event back (retried shortly) rather than guess the wire; renders it once the create is settled', async () => {
    const own = await createMerchant('Paytree racing');
    const d1 = await shardOf(own.id);
    const mailbox = await openMailbox({ secrets: [] });
    const transactionRef = `order-${crypto.randomUUID()}`;
    const token = await reserveTransactionRef(
      d1,
      {
        merchantId: own.id,
        livemode: false,
        transactionRef,
        clientRef: 'c',
        method: 'card',
        customer: { email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' },
        address: { country: 'GB' },
        session: { ip_address: '203.0.113.7', user_agent: 'UA' },
        callback: { return_url: 'https://shop.example/return', notification_url: mailbox.url },
        order_items: null,
        metadata: null,
        force_route: null,
      },
      Date.now(),
    );
    expect(token).not.toBeNull();
    // The intent's first event as its object queues it, the moment before the create turns the
    // reservation into the intent's row: a real intent's record, given the reserved transaction_ref.
    const { body: intent } = await createIntent(own.keys.test.secret, { notification_url: mailbox.url });
    const stored = await d1.prepare('SELECT record FROM payment_intents WHERE id = ?').bind(intent.id).first<{ record: string }>();
    const eventId = `evt_race${crypto.randomUUID().replaceAll('-', '')}`;
    const message: WebhookMessage = {
      kind: 'event',
      shard: await shardNameOf(own.id),
      eventId,
      merchantId: own.id,
      livemode: false,
      notificationUrl: mailbox.url,
      canonical: JSON.stringify({
        v: 2,
        kind: 'payment_intent',
        id: eventId,
        sequence: 1,
        type: 'payment_intent.created',
        created: intent.created * 1000,
        request: { id: null, idempotency_key: null },
        object: { ...JSON.parse(stored!.record), reference: transactionRef },
        previous_attributes: {},
      }),
    };
    const fanOut = async () => {
      const batch = createMessageBatch<WebhookMessage>('edge-payment-intents-webhooks', [
        { id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body: message },
      ]);
      const ctx = createExecutionContext();
      await handleWebhookBatch(batch, env);
      return getQueueResult(batch, ctx);
    };
    const deliveriesOfEvent = () =>
      d1.prepare('SELECT body FROM webhook_deliveries WHERE event_id = ?').bind(eventId).all<{ body: string }>();

    const held = await fanOut();
    expect(held.retryMessages).toHaveLength(1);
    expect(held.explicitAcks).toEqual([]);
    expect((await deliveriesOfEvent()).results).toEqual([]);

    // The create gave up: no Paytree intent, so the canonical wire (Stripe's event) it is.
    await releaseReservation(d1, token!);
    const done = await fanOut();
    expect(done.retryMessages).toEqual([]);
    expect(done.explicitAcks).toHaveLength(1);
    const [delivery] = (await deliveriesOfEvent()).results;
    expect(JSON.parse(delivery!.body)).toMatchObject({ object: 'event', id: eventId, type: 'payment_intent.created' });
  });
});

describe('the callback in the family`s API description', () => {
  it('/paytree/openapi.json documents it as a webhook, with its signature headers and a valid example', async () => {
    const res = await exports.default.fetch(new Request(`${BASE}/openapi.json`));
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(await documentProblems(doc)).toEqual([]);
    const hook = doc.webhooks.notification.post;
    expect(hook.parameters.map((p: any) => [p.in, p.name]).sort()).toEqual([
      ['header', 'stripe-signature'],
      ['header', 'webhook-id'],
      ['header', 'webhook-signature'],
      ['header', 'webhook-timestamp'],
    ]);
    expect(hook.requestBody.content['application/json'].example).toEqual(NOTIFICATION_EXAMPLE);
    expect(PaytreeNotification.strict().safeParse(NOTIFICATION_EXAMPLE).success).toBe(true);
  });
});

describe('which canonical events are a status change (pure): one per commit, whatever the command', () => {
  /** What notification_url would be told of one decision: the status of each event that is a change. */
  const told = (decision: Decision) =>
    decision.events
      .map((e, i) =>
        statusChangeOf({
          kind: 'payment_intent',
          id: `evt_${i}`,
          sequence: i + 1,
          created: NOW,
          request: { id: null, idempotencyKey: null },
          type: e.type,
          object: e.snapshot ?? decision.state,
          previousAttributes: e.previousAttributes,
          subject: e.subject ?? null,
        } satisfies IntentEvent),
      )
      .filter((change) => change !== null);
  const held = (): PaymentIntent => reach('requires_capture');
  const latest = (state: PaymentIntent) => state.charges.at(-1)!.id;

  const table: [string, () => Decision, string[]][] = [
    ['creation', () => createPaymentIntent(IDS, { amount: 2000n, currency: 'usd', paymentMethodTypes: ['card'] }, NOW), []],
    ['a metadata update', () => step(created(), { type: 'update', params: { metadata: { a: 'b' } } }), []],
    ['a 3-D Secure step', () => step(created({ paymentMethod: 'pm_card_threeDSecure2Required' }), confirmWith()), []],
    ['a decline', () => step(created(), confirmWith('pm_card_chargeDeclined')), ['failed']],
    ['a bank debit sent', () => step(created({ paymentMethod: 'pm_usBankAccount' }), confirmWith()), ['pending']],
    ['a card paid', () => step(created(), confirmWith('pm_card_visa')), ['success']],
    ['a manual-capture card authorized', () => step(created({ captureMethod: 'manual' }), confirmWith('pm_card_visa')), ['authorized']],
    ['its capture', () => step(held(), { type: 'capture' }), ['success']],
    ['its release (a cancel)', () => step(held(), { type: 'cancel' }), ['canceled']],
    ['a cancel before paying', () => step(created(), { type: 'cancel', reason: 'abandoned' }), ['expired']],
  ];
  it.each(table)('%s', (_name, decide, statuses) => {
    expect(told(decide()).map((c) => c.status)).toEqual(statuses);
  });

  it('the change names its payment: the attempt made, captured or released', () => {
    const paid = step(created(), confirmWith('pm_card_visa'));
    expect(told(paid)).toEqual([{ status: 'success', payment: latest(paid.state) }]);
    const released = step(held(), { type: 'cancel' });
    expect(told(released)).toEqual([{ status: 'canceled', payment: latest(released.state) }]);
  });
});
