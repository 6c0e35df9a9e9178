/**
 * Bursts of parallel requests on every webhook route that writes to D1, each followed by the
 * invariants a merchant relies on: nothing a 200 promised is lost, every secret a roll handed out
 * signs (checked by the real receiver on 127.0.0.1, with both official libraries), every attempt is
 * recorded with its own number, a loser is told with a 409 in the envelope, and never a 5xx.
 */
import { describe, expect, it } from 'vitest';
import type { MailboxConfig } from '../webhook-receiver.js';
import { expectErrorLogs } from '../expected-logs.js';
import { createIntent, createMerchant, get, post, waitFor } from '../helpers.js';
import { openMailbox, type TestMailbox } from './receiver-client.js';

type Answer = { res: Response; body: any };

/** n requests at once; their answers, none of them a 5xx, each one of the allowed statuses. */
async function burst(n: number, send: (i: number) => Promise<Answer>, allowed: number[] = [200]): Promise<Answer[]> {
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => send(i)));
  expect(answers.map((a) => a.res.status).filter((s) => !allowed.includes(s))).toEqual([]);
  return answers;
}

const withStatus = (answers: Answer[], status: number) => answers.filter((a) => a.res.status === status).map((a) => a.body);

/** A 409 as Stripe's clients read it: the envelope, its code, and no automatic retry. */
function expectConflicts(answers: Answer[]): void {
  for (const a of answers.filter((x) => x.res.status === 409)) {
    expect(a.body.error).toMatchObject({ type: 'invalid_request_error', code: 'concurrent_update', param: null });
    expect(a.res.headers.get('Stripe-Should-Retry')).toBe('false');
  }
}

async function newEndpoint(sk: string, params: Record<string, unknown> = {}) {
  const { res, body } = await post(sk, '/v1/webhook_endpoints', { url: 'https://shop.example/hooks', enabled_events: ['*'], ...params });
  expect(res.status).toBe(200);
  return body;
}

async function reconfigure(mailbox: TestMailbox, secrets: string[], answers: Omit<MailboxConfig, 'secrets'> = {}): Promise<void> {
  const res = await fetch(mailbox.url.replace('/hooks/', '/mailboxes/'), { method: 'PUT', body: JSON.stringify({ secrets, ...answers }) });
  expect(res.status).toBe(204);
}

/** A merchant of its own (no stray deliveries), an endpoint pointing at a mailbox, and one delivered event. */
async function deliveredOnce(answers: Omit<MailboxConfig, 'secrets'> = {}) {
  const m = await createMerchant('Concurrent webhooks');
  const sk = m.keys.test.secret;
  const mailbox = await openMailbox({ secrets: [] });
  const endpoint = await newEndpoint(sk, { url: mailbox.url, enabled_events: ['payment_intent.created'] });
  await reconfigure(mailbox, [endpoint.secret], answers);
  await createIntent(sk);
  let delivery: any;
  await waitFor(async () => {
    [delivery] = (await get(sk, `/v1/webhook_endpoints/${endpoint.id}/deliveries`)).body.data;
    return delivery?.attempts.length > 0;
  }, 8_000);
  return { sk, endpoint, mailbox, delivery };
}

/** Whether a receiver holding only this secret accepts a delivery sent now (a manual retry). */
async function signsWith(sk: string, mailbox: TestMailbox, deliveryId: string, secret: string): Promise<boolean> {
  await reconfigure(mailbox, [secret]);
  const retried = await post(sk, `/v1/webhook_deliveries/${deliveryId}/retry`);
  expect(retried.res.status).toBe(200);
  const [received] = await mailbox.received();
  return received!.verifiedStandard && received!.verifiedStripe;
}

describe('secret rolls in parallel', () => {
  it('10 rolls of an endpoint secret: every secret a 200 handed out signs deliveries; the others are 409s', async () => {
    const { sk, endpoint, mailbox, delivery } = await deliveredOnce();
    const answers = await burst(10, () => post(sk, `/v1/webhook_endpoints/${endpoint.id}/roll_secret`), [200, 409]);
    expectConflicts(answers);
    const secrets = withStatus(answers, 200).map((e) => e.secret as string);
    expect(secrets.length).toBeGreaterThan(0);
    expect(new Set(secrets).size).toBe(secrets.length);
    for (const secret of secrets) expect(await signsWith(sk, mailbox, delivery.id, secret)).toBe(true);
  });

  it('10 rolls of the notification secret: every secret a 200 handed out signs; the last one is the one shown', async () => {
    const m = await createMerchant('Parallel notification rolls');
    const sk = m.keys.test.secret;
    const initial = (await get(sk, '/v1/notification_secret')).body.secret;
    const mailbox = await openMailbox({ secrets: [initial] });
    await createIntent(sk, { notification_url: mailbox.url });
    const [first] = await waitForRequests(mailbox, 1);
    const eventId = JSON.parse(first!.body).id;
    const [delivery] = (await get(sk, `/v1/events/${eventId}/deliveries`)).body.data;

    const answers = await burst(10, () => post(sk, '/v1/notification_secret/roll'), [200, 409]);
    expectConflicts(answers);
    const secrets = withStatus(answers, 200).map((s) => s.secret as string);
    expect(secrets.length).toBeGreaterThan(0);
    expect(secrets).toContain((await get(sk, '/v1/notification_secret')).body.secret);
    for (const secret of secrets) expect(await signsWith(sk, mailbox, delivery.id, secret)).toBe(true);
  });
});

describe('secret rolls one after another', () => {
  // A burst's winners can form such a chain too: a roll that read the secret another had just made.
  it('each replaced secret signs until its own overlap ends; a roll with no overlap ends them all', async () => {
    const { sk, endpoint, mailbox, delivery } = await deliveredOnce();
    const secrets: string[] = [endpoint.secret];
    for (let i = 0; i < 3; i++) {
      const { res, body } = await post(sk, `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, { expires_in_seconds: 3600 });
      expect(res.status).toBe(200);
      secrets.push(body.secret);
    }
    for (const secret of secrets) expect(await signsWith(sk, mailbox, delivery.id, secret)).toBe(true);

    const { body: last } = await post(sk, `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, { expires_in_seconds: 0 });
    for (const secret of secrets) expect(await signsWith(sk, mailbox, delivery.id, secret)).toBe(false);
    expect(await signsWith(sk, mailbox, delivery.id, last.secret)).toBe(true);
  });
});

describe('delivery attempts in parallel', () => {
  it('10 manual retries at once: the receiver gets 10 more requests and each is recorded with its own number', async () => {
    const { sk, endpoint, mailbox, delivery } = await deliveredOnce();
    expect(delivery.attempts).toHaveLength(1);
    const answers = await burst(10, () => post(sk, `/v1/webhook_deliveries/${delivery.id}/retry`));
    for (const a of answers) expect(a.body).toMatchObject({ id: delivery.id, status: 'succeeded' });
    expect(await mailbox.received()).toHaveLength(11);
    const [after] = (await get(sk, `/v1/webhook_endpoints/${endpoint.id}/deliveries`)).body.data;
    expect(after.attempts.map((a: any) => a.attempt)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(after.attempts.every((a: any) => a.status_code === 200)).toBe(true);
  });

  it('manual retries while the queue retries a failing delivery: every request the receiver got is an attempt, numbered 1..n', async () => {
    // The receiver always answers 500: the queue makes its four attempts (WEBHOOK_RETRY_DELAYS 0,1,1)
    // and dead-letters the delivery, while ten manual retries run alongside.
    const logs = expectErrorLogs((log) => log.msg === 'webhook message dead-lettered');
    try {
      const { sk, endpoint, mailbox, delivery } = await deliveredOnce({ default: { status: 500 } });
      await burst(10, () => post(sk, `/v1/webhook_deliveries/${delivery.id}/retry`));
      let after: any;
      await waitFor(async () => {
        [after] = (await get(sk, `/v1/webhook_endpoints/${endpoint.id}/deliveries`)).body.data;
        return after.dead_lettered_at !== null;
      }, 15_000);
      const received = await mailbox.received();
      expect(received).toHaveLength(14);
      expect(after).toMatchObject({ status: 'failed' });
      expect(after.attempts.map((a: any) => [a.attempt, a.status_code])).toEqual(received.map((_, i) => [i + 1, 500]));
      await waitFor(async () => logs.caught.length > 0);
    } finally {
      logs.restore();
    }
  });
});

async function waitForRequests(mailbox: TestMailbox, n: number) {
  let got: Awaited<ReturnType<TestMailbox['received']>> = [];
  await waitFor(async () => {
    got = await mailbox.received();
    return got.length >= n;
  }, 8_000);
  return got;
}
