/**
 * Webhooks end to end: a state change in an intent's Durable Object → its outbox → the real queue →
 * fan-out → a signed POST to a real receiver on 127.0.0.1, which verifies every request with the
 * `standardwebhooks` and `stripe` packages.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MailboxConfig, RecordedRequest } from '../webhook-receiver.js';
import { call, createIntent, createMerchant, get, post, waitFor, type TestMerchant } from '../helpers.js';
import { expectErrorLogs } from '../expected-logs.js';
import { openMailbox, type TestMailbox } from './receiver-client.js';

let m: TestMerchant;
let sk: string;
beforeAll(async () => {
  m = await createMerchant('Webhooks');
  sk = m.keys.test.secret;
});

const stub = (id: string) => env.INTENTS.get(env.INTENTS.idFromName(id));

/**
 * Replaces how this one intent's object sends to the queue, for a fault-injection test; returns
 * the undo. Everything else (other objects, the consumer) keeps the real queue.
 */
async function replaceQueue(intentId: string, fake: (messages: unknown[]) => Promise<void>): Promise<() => Promise<void>> {
  await runInDurableObject(stub(intentId), async (instance) => {
    (instance as unknown as { sendToQueue: unknown }).sendToQueue = fake;
  });
  return async () => {
    await runInDurableObject(stub(intentId), async (instance) => {
      delete (instance as unknown as { sendToQueue?: unknown }).sendToQueue; // back to the prototype's
    });
  };
}

const events = (r: RecordedRequest[]) => r.map((x) => JSON.parse(x.body) as any);

/** A mailbox whose secrets are those of a new endpoint pointing at it. */
async function endpointWithMailbox(
  key: string,
  config: Omit<MailboxConfig, 'secrets'> = {},
  enabled_events: string[] = ['*'],
): Promise<{ endpoint: any; mailbox: TestMailbox }> {
  const mailbox = await openMailbox({ secrets: [], ...config });
  const { res, body: endpoint } = await post(key, '/v1/webhook_endpoints', { url: mailbox.url, enabled_events });
  expect(res.status).toBe(200);
  await reconfigure(mailbox, { secrets: [endpoint.secret], ...config });
  return { endpoint, mailbox };
}

async function reconfigure(mailbox: TestMailbox, config: MailboxConfig): Promise<void> {
  const res = await fetch(mailbox.url.replace('/hooks/', '/mailboxes/'), { method: 'PUT', body: JSON.stringify(config) });
  expect(res.status).toBe(204);
}

async function receivedAtLeast(mailbox: TestMailbox, n: number, timeoutMs = 8_000): Promise<RecordedRequest[]> {
  let got: RecordedRequest[] = [];
  await waitFor(async () => {
    got = await mailbox.received();
    return got.length >= n;
  }, timeoutMs);
  return got;
}

async function deliveriesOf(key: string, endpointId: string) {
  return (await get(key, `/v1/webhook_endpoints/${endpointId}/deliveries?limit=100`)).body.data as any[];
}

describe('delivery', () => {
  it('delivers each event, signed twice, verified by both libraries, with the event object the API serves', async () => {
    const { endpoint, mailbox } = await endpointWithMailbox(sk);
    const { body: intent } = await createIntent(sk, { payment_method: 'pm_card_visa', confirm: true });
    const received = await receivedAtLeast(mailbox, 3);
    expect(received.every((r) => r.verifiedStandard && r.verifiedStripe)).toBe(true);

    const delivered = events(received).sort((a, b) => a.sequence - b.sequence);
    expect(delivered.map((e) => [e.type, e.sequence])).toEqual([
      ['payment_intent.created', 1],
      ['payment_intent.succeeded', 2],
      ['charge.succeeded', 3],
    ]);
    // The charge event shows the attempt's charge, as the API serves it.
    expect(delivered[2].data.object).toMatchObject({ object: 'charge', id: intent.latest_charge, payment_intent: intent.id, paid: true });
    // Created and confirmed in one call: each event shows the intent as it was right after it.
    expect(delivered[0].data.object).toMatchObject({ id: intent.id, status: 'requires_confirmation', amount_received: 0 });
    const succeeded = delivered[1];
    expect(succeeded).toMatchObject({
      object: 'event',
      livemode: false,
      api_version: expect.any(String),
      pending_webhooks: 1,
      data: {
        object: { id: intent.id, status: 'succeeded', amount_received: 2000 },
        previous_attributes: { status: 'requires_confirmation', amount_received: 0 },
      },
      request: { id: expect.stringMatching(/^req_/), idempotency_key: null },
    });
    // webhook-id is the event id, and what the API serves is the same event.
    const request = received.find((r) => JSON.parse(r.body).id === succeeded.id)!;
    expect(request.headers['webhook-id']).toBe(succeeded.id);
    const served = (await get(sk, `/v1/events/${succeeded.id}`)).body;
    expect({ ...served, pending_webhooks: 1 }).toEqual(succeeded);
    expect(served.pending_webhooks).toBe(0);

    await waitFor(async () => (await deliveriesOf(sk, endpoint.id)).every((d) => d.status === 'succeeded'));
    const deliveries = await deliveriesOf(sk, endpoint.id);
    expect(deliveries).toHaveLength(3);
    expect(deliveries[0].attempts).toEqual([expect.objectContaining({ attempt: 1, status_code: 200, error: null })]);
  });

  it('a 500 is retried with the same id and body, and the attempts are recorded', async () => {
    const { endpoint, mailbox } = await endpointWithMailbox(sk, { script: [{ status: 500, body: 'boom' }] }, ['payment_intent.created']);
    await createIntent(sk);
    const received = await receivedAtLeast(mailbox, 2);
    expect(received[0]!.response.status).toBe(500);
    expect(received[1]!.response.status).toBe(200);
    expect(received[1]!.headers['webhook-id']).toBe(received[0]!.headers['webhook-id']);
    expect(received[1]!.body).toBe(received[0]!.body);
    await waitFor(async () => (await deliveriesOf(sk, endpoint.id))[0]?.status === 'succeeded');
    const [delivery] = await deliveriesOf(sk, endpoint.id);
    expect(delivery.attempts.map((a: any) => [a.attempt, a.status_code, a.response_body])).toEqual([
      [1, 500, 'boom'],
      [2, 200, ''],
    ]);
  });

  it('a receiver slower than the timeout counts as a failed attempt and is retried', async () => {
    // WEBHOOK_TIMEOUT_MS is 1000 in the test config.
    const { endpoint, mailbox } = await endpointWithMailbox(sk, { script: [{ status: 200, delayMs: 2500 }] }, ['payment_intent.created']);
    await createIntent(sk);
    await receivedAtLeast(mailbox, 2);
    await waitFor(async () => (await deliveriesOf(sk, endpoint.id))[0]?.status === 'succeeded');
    const [delivery] = await deliveriesOf(sk, endpoint.id);
    expect(delivery.attempts[0]).toMatchObject({ attempt: 1, status_code: null, error: 'timeout' });
    expect(delivery.attempts[0].duration_ms).toBeGreaterThanOrEqual(900);
    expect(delivery.attempts[1]).toMatchObject({ attempt: 2, status_code: 200 });
  });

  it('honours Retry-After', async () => {
    const { mailbox } = await endpointWithMailbox(sk, { script: [{ status: 503, retryAfter: '2' }] }, ['payment_intent.created']);
    await createIntent(sk);
    const [first, second] = await receivedAtLeast(mailbox, 2, 10_000);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1_900);
  });

  it('410 Gone disables the endpoint and stops deliveries to it', async () => {
    const { endpoint, mailbox } = await endpointWithMailbox(sk, { default: { status: 410 } }, ['payment_intent.created']);
    await createIntent(sk);
    await receivedAtLeast(mailbox, 1);
    await waitFor(async () => (await get(sk, `/v1/webhook_endpoints/${endpoint.id}`)).body.status === 'disabled');
    const [delivery] = await deliveriesOf(sk, endpoint.id);
    expect(delivery).toMatchObject({ status: 'failed', attempts: [expect.objectContaining({ status_code: 410 })] });
    await createIntent(sk);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await mailbox.received()).toHaveLength(1);
  });

  it('after the last scheduled attempt the delivery fails and goes to the dead-letter queue; a manual retry can still deliver it', async () => {
    // WEBHOOK_RETRY_DELAYS is 0,1,1 in the test config: four attempts in all.
    const { endpoint, mailbox } = await endpointWithMailbox(sk, { default: { status: 500 } }, ['payment_intent.created']);
    const logs = expectErrorLogs((log) => log.msg === 'webhook message dead-lettered');
    try {
      await createIntent(sk);
      await waitFor(async () => (await deliveriesOf(sk, endpoint.id))[0]?.dead_lettered_at != null, 15_000);
      await waitFor(async () => logs.caught.length > 0);
    } finally {
      logs.restore();
    }
    const [delivery] = await deliveriesOf(sk, endpoint.id);
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts.map((a: any) => a.status_code)).toEqual([500, 500, 500, 500]);
    expect(await mailbox.received()).toHaveLength(4);
    // The dead-letter consumer says so in the log, naming the delivery.
    expect(logs.caught).toEqual([
      expect.objectContaining({ kind: 'delivery', error: expect.objectContaining({ message: expect.stringContaining(delivery.id) }) }),
    ]);

    await reconfigure(mailbox, { secrets: [endpoint.secret] });
    const retried = await post(sk, `/v1/webhook_deliveries/${delivery.id}/retry`);
    expect(retried.res.status).toBe(200);
    expect(retried.body).toMatchObject({
      status: 'succeeded',
      attempts: expect.arrayContaining([expect.objectContaining({ attempt: 5, status_code: 200 })]),
    });
  });
});

describe('nothing lost', () => {
  it('a queue send that fails leaves the events in the outbox; the alarm sends them', async () => {
    const { mailbox } = await endpointWithMailbox(sk, {}, ['payment_intent.created']);
    const { body: intent } = await createIntent(sk, { capture_method: 'manual' });
    await receivedAtLeast(mailbox, 1);

    // Break the queue binding of this object, change the intent, and see the event wait.
    const restore = await replaceQueue(intent.id, async () => {
      throw new Error('queue unavailable');
    });
    const { endpoint: all, mailbox: allBox } = await endpointWithMailbox(sk);
    let stuck: { type: string; queued: boolean }[] = [];
    const logs = expectErrorLogs((log) => log.msg.startsWith('queue send failed') && log.intent === intent.id);
    try {
      await post(sk, `/v1/payment_intents/${intent.id}/confirm`, { payment_method: 'pm_card_visa' });
      stuck = await stub(intent.id).events({ merchantId: m.id, livemode: false });
      await waitFor(async () => logs.caught.length > 0);
    } finally {
      logs.restore();
      await restore();
    }
    // The confirmation's events (the intent's and its charge's) wait in the outbox together.
    expect(stuck.slice(-2)).toEqual([
      expect.objectContaining({ type: 'payment_intent.amount_capturable_updated', queued: false }),
      expect.objectContaining({ type: 'charge.succeeded', queued: false }),
    ]);
    expect(logs.caught[0]).toMatchObject({
      msg: 'queue send failed; the events stay in the outbox and the alarm retries',
      attempt: 0,
      error: { message: 'queue unavailable' },
    });
    await runDurableObjectAlarm(stub(intent.id));
    const received = await receivedAtLeast(allBox, 1);
    expect(events(received).map((e) => e.type)).toContain('payment_intent.amount_capturable_updated');
    expect(all.id).toMatch(/^we_/);
  });

  it('an object evicted after its commit and before its send still delivers the event, from its outbox', async () => {
    const { mailbox } = await endpointWithMailbox(sk, {}, ['payment_intent.canceled']);
    const { body: intent } = await createIntent(sk);
    // Hangs: the object goes away before the send returns.
    const restore = await replaceQueue(intent.id, () => new Promise<void>(() => {}));
    const canceling = post(sk, `/v1/payment_intents/${intent.id}/cancel`).catch((e: unknown) => e);
    try {
      await waitFor(async () => {
        const evts = await stub(intent.id).events({ merchantId: m.id, livemode: false });
        return evts.some((e) => e.type === 'payment_intent.canceled');
      });
    } finally {
      await restore();
    }
    // Evict: the in-memory object (and its hanging send) is gone; storage stays. The cancel request
    // it was serving fails as any request does when its object breaks: a 500, logged.
    const logs = expectErrorLogs((log) => log.msg === 'unhandled error' && log.path === `/v1/payment_intents/${intent.id}/cancel`);
    try {
      await runInDurableObject(stub(intent.id), async (_instance, state) => {
        state.abort('evicted by the test');
      }).catch(() => undefined);
      await canceling;
    } finally {
      logs.restore();
    }
    expect(logs.caught).toEqual([
      expect.objectContaining({ method: 'POST', error: expect.objectContaining({ message: 'evicted by the test' }) }),
    ]);
    const after = await stub(intent.id).events({ merchantId: m.id, livemode: false });
    expect(after.find((e) => e.type === 'payment_intent.canceled')?.queued).toBe(false);
    await runDurableObjectAlarm(stub(intent.id));
    const received = await receivedAtLeast(mailbox, 1);
    expect(events(received)[0]).toMatchObject({ type: 'payment_intent.canceled', data: { object: { id: intent.id, status: 'canceled' } } });
  });

  it('events of one intent carry a gap-free sequence, so receivers can order them', async () => {
    const { mailbox } = await endpointWithMailbox(sk);
    const { body: intent } = await createIntent(sk, { capture_method: 'manual' });
    await post(sk, `/v1/payment_intents/${intent.id}`, { metadata: { step: '1' } });
    await post(sk, `/v1/payment_intents/${intent.id}/confirm`, { payment_method: 'pm_card_visa' });
    await post(sk, `/v1/payment_intents/${intent.id}/capture`);
    // The charge's events are in the intent's sequence: one stream per intent.
    const ofIntent = (object: any) => object.id === intent.id || object.payment_intent === intent.id;
    const received = events(await receivedAtLeast(mailbox, 6)).filter((e) => ofIntent(e.data.object));
    const ordered = received.sort((a, b) => a.sequence - b.sequence);
    expect(ordered.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ordered.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'payment_intent.updated',
      'payment_intent.amount_capturable_updated',
      'charge.succeeded',
      'payment_intent.succeeded',
      'charge.captured',
    ]);
  });
});

describe('secrets', () => {
  it('after a roll both secrets sign until the overlap ends: receivers with either verify', async () => {
    const { endpoint, mailbox } = await endpointWithMailbox(sk, {}, ['payment_intent.created']);
    const { body: rolled } = await post(sk, `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, { expires_in_seconds: 3600 });
    expect(rolled.secret).toMatch(/^whsec_/);
    expect(rolled.secret).not.toBe(endpoint.secret);
    expect((await get(sk, `/v1/webhook_endpoints/${endpoint.id}`)).body.secret).toBeUndefined();

    await reconfigure(mailbox, { secrets: [endpoint.secret] });
    await createIntent(sk);
    const [withOld] = await receivedAtLeast(mailbox, 1);
    expect(withOld).toMatchObject({ verifiedStandard: true, verifiedStripe: true });
    expect(withOld!.headers['webhook-signature']!.split(' ')).toHaveLength(2);

    await reconfigure(mailbox, { secrets: [rolled.secret] });
    await createIntent(sk);
    const [withNew] = await receivedAtLeast(mailbox, 1);
    expect(withNew).toMatchObject({ verifiedStandard: true, verifiedStripe: true });

    // With no overlap the old secret stops at once.
    const { body: again } = await post(sk, `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, { expires_in_seconds: 0 });
    await reconfigure(mailbox, { secrets: [rolled.secret] });
    await createIntent(sk);
    const [afterExpiry] = await receivedAtLeast(mailbox, 1);
    expect(afterExpiry).toMatchObject({ verifiedStandard: false, verifiedStripe: false });
    expect(again.secret).not.toBe(rolled.secret);
  });

  it("an intent's notification_url receives its events, signed with the merchant's notification secret", async () => {
    const own = await createMerchant('Notified');
    const { body: secret } = await get(own.keys.test.secret, '/v1/notification_secret');
    expect(secret).toMatchObject({ object: 'notification_secret', secret: expect.stringMatching(/^whsec_/), livemode: false });
    const mailbox = await openMailbox({ secrets: [secret.secret] });
    const { body: intent } = await createIntent(own.keys.test.secret, {
      notification_url: mailbox.url,
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    expect(intent.notification_url).toBe(mailbox.url);
    const received = await receivedAtLeast(mailbox, 3);
    expect(received.every((r) => r.verifiedStandard && r.verifiedStripe)).toBe(true);
    expect(
      events(received)
        .map((e) => e.type)
        .sort(),
    ).toEqual(['charge.succeeded', 'payment_intent.created', 'payment_intent.succeeded']);

    const { body: rolled } = await post(own.keys.test.secret, '/v1/notification_secret/roll', { expires_in_seconds: 0 });
    expect(rolled.secret).not.toBe(secret.secret);
    expect((await get(own.keys.test.secret, '/v1/notification_secret')).body.secret).toBe(rolled.secret);
  });
});

describe('endpoints API', () => {
  it('works through the official stripe SDK: create, retrieve, update, list, delete', async () => {
    const own = await createMerchant('SDK webhooks');
    const stripe = new Stripe(own.keys.test.secret, {
      host: 'pay.test',
      protocol: 'https',
      httpClient: Stripe.createFetchHttpClient(((url: string, init: RequestInit) =>
        exports.default.fetch(new Request(url, init))) as typeof fetch),
    });
    const created = await stripe.webhookEndpoints.create({
      url: 'https://shop.example/hooks',
      enabled_events: ['payment_intent.succeeded'],
      description: 'main',
    });
    expect(created).toMatchObject({ object: 'webhook_endpoint', status: 'enabled', secret: expect.stringMatching(/^whsec_/) });
    const retrieved = await stripe.webhookEndpoints.retrieve(created.id);
    expect(retrieved.secret).toBeUndefined();
    const disabled = await stripe.webhookEndpoints.update(created.id, { disabled: true, enabled_events: ['*'] });
    expect(disabled).toMatchObject({ status: 'disabled', enabled_events: ['*'] });
    const listed = await stripe.webhookEndpoints.list();
    expect(listed.data.map((e) => e.id)).toEqual([created.id]);
    const deleted = await stripe.webhookEndpoints.del(created.id);
    expect(deleted).toMatchObject({ id: created.id, deleted: true });
    expect((await stripe.webhookEndpoints.list()).data).toEqual([]);
    const gone = await stripe.webhookEndpoints.retrieve(created.id).catch((e) => e);
    expect(gone).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });

  it.each([
    ['live', 'http://127.0.0.1:9/hooks', 'loopback'],
    ['live', 'http://shop.example/hooks', 'https'],
    ['live', 'https://10.0.0.1/hooks', '10.0.0.1'],
    ['live', 'https://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['test', 'https://user:pass@shop.example/hooks', 'username or password'],
    ['test', 'ftp://shop.example/hooks', 'https'],
    ['test', 'not-a-url', 'absolute'],
  ])('%s mode refuses %s (400 naming url)', async (mode, url, says) => {
    const key = mode === 'live' ? m.keys.live.secret : sk;
    const { res, body } = await post(key, '/v1/webhook_endpoints', { url, enabled_events: ['*'] });
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'url' });
    expect(body.error.message).toContain(says);
  });

  it('refuses unknown event types, a bad notification_url, and hides other merchants’ objects', async () => {
    const bad = await post(sk, '/v1/webhook_endpoints', { url: 'https://shop.example/h', enabled_events: ['charge.teleported'] });
    expect(bad.res.status).toBe(400);
    expect(bad.body.error.param).toBe('enabled_events[0]');
    const badNotify = await createIntent(m.keys.live.secret, { notification_url: 'http://127.0.0.1/h' });
    expect(badNotify.res.status).toBe(400);
    expect(badNotify.body.error.param).toBe('notification_url');

    // A mailbox, not an outside URL: every later event of this merchant is delivered to this endpoint
    // too, and https://shop.example would mean real DNS lookups (failing, offline) from the test run.
    const { endpoint } = await endpointWithMailbox(sk);
    const other = await createMerchant('Other');
    expect((await get(other.keys.test.secret, `/v1/webhook_endpoints/${endpoint.id}`)).res.status).toBe(404);
    expect((await call(`/v1/webhook_endpoints/${endpoint.id}`, { key: other.keys.test.secret, method: 'DELETE' })).status).toBe(404);
    const { body: intent } = await createIntent(sk);
    const evt = (await stub(intent.id).events({ merchantId: m.id, livemode: false }))[0]!;
    expect((await get(other.keys.test.secret, `/v1/events/${evt.id}`)).res.status).toBe(404);
    expect((await get(m.keys.live.secret, `/v1/events/${evt.id}`)).res.status).toBe(404);
  });
});

describe('events API', () => {
  it('lists events newest first, filters by type, and pages', async () => {
    const own = await createMerchant('Event lister');
    const key = own.keys.test.secret;
    const { body: a } = await createIntent(key, { payment_method: 'pm_card_visa', confirm: true });
    const { body: b } = await createIntent(key);
    await waitFor(async () => (await get(key, '/v1/events?limit=100')).body.data.length === 4);
    const all = (await get(key, '/v1/events')).body;
    expect(all).toMatchObject({ object: 'list', url: '/v1/events', has_more: false });
    expect(all.data.map((e: any) => [e.type, e.data.object.id])).toEqual([
      ['payment_intent.created', b.id],
      ['charge.succeeded', a.latest_charge],
      ['payment_intent.succeeded', a.id],
      ['payment_intent.created', a.id],
    ]);
    const succeeded = (await get(key, '/v1/events?type=payment_intent.succeeded')).body.data;
    expect(succeeded.map((e: any) => e.data.object.id)).toEqual([a.id]);
    const charged = (await get(key, '/v1/events?type=charge.succeeded')).body.data;
    expect(charged.map((e: any) => e.data.object.payment_intent)).toEqual([a.id]);
    const first = (await get(key, '/v1/events?limit=2')).body;
    expect(first.has_more).toBe(true);
    const rest = (await get(key, `/v1/events?limit=2&starting_after=${first.data[1].id}`)).body;
    expect(rest.data.map((e: any) => e.id)).toEqual([all.data[2].id, all.data[3].id]);
    expect((await get(key, '/v1/events?type=charge.teleported')).res.status).toBe(400);
  });
});
