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
