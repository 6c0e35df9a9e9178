/**
 * Bursts of parallel requests on every webhook route that writes to D1, each followed by the
 * invariants a merchant relies on: nothing a 200 promised is lost, every secret a roll handed out
 * signs (checked by the real receiver on 127.0.0.1, with both official libraries), every attempt is
 * recorded with its own number, a loser is told with a 409 in the envelope, and never a 5xx.
 */
import { describe, expect, it } from 'vitest';
import type { MailboxConfig } from '../webhook-receiver.js';
import { expectErrorLogs } from '../expected-logs.js';
import { call, createIntent, createMerchant, get, post, waitFor } from '../helpers.js';
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

const keys = (prefix: string, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, `v${i}`]));

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

describe('endpoint updates in parallel', () => {
  it('20 updates each adding one metadata key: all answer 200 and all 20 keys are kept', async () => {
    const { keys: k } = await createMerchant('Parallel metadata');
    const endpoint = await newEndpoint(k.test.secret);
    const answers = await burst(20, (i) =>
      post(k.test.secret, `/v1/webhook_endpoints/${endpoint.id}`, { metadata: { [`k${i}`]: `v${i}` } }),
    );
    for (const [i, a] of answers.entries()) expect(a.body.metadata[`k${i}`]).toBe(`v${i}`);
    expect((await get(k.test.secret, `/v1/webhook_endpoints/${endpoint.id}`)).body.metadata).toEqual(keys('k', 20));
  });

  it('a description and two metadata keys sent at once are all kept', async () => {
    const { keys: k } = await createMerchant('Parallel fields');
    const sk = k.test.secret;
    const endpoint = await newEndpoint(sk, { metadata: { keep: 'me' } });
    await burst(3, (i) =>
      post(sk, `/v1/webhook_endpoints/${endpoint.id}`, [{ description: 'Orders' }, { metadata: { a: '1' } }, { metadata: { b: '2' } }][i]!),
    );
    expect((await get(sk, `/v1/webhook_endpoints/${endpoint.id}`)).body).toMatchObject({
      description: 'Orders',
      metadata: { keep: 'me', a: '1', b: '2' },
    });
  });

  it('keys added and removed at once: exactly the additions are there, exactly the removals are gone', async () => {
    const { keys: k } = await createMerchant('Parallel add and remove');
    const sk = k.test.secret;
    const endpoint = await newEndpoint(sk, { metadata: keys('old', 10) });
    await burst(20, (i) =>
      post(sk, `/v1/webhook_endpoints/${endpoint.id}`, { metadata: i < 10 ? { [`new${i}`]: `v${i}` } : { [`old${i - 10}`]: '' } }),
    );
    expect((await get(sk, `/v1/webhook_endpoints/${endpoint.id}`)).body.metadata).toEqual(keys('new', 10));
  });

  it('the 50-key limit holds: with 45 keys, 10 parallel additions give exactly five 200s and five 400s', async () => {
    const { keys: k } = await createMerchant('Parallel limit');
    const sk = k.test.secret;
    const endpoint = await newEndpoint(sk, { metadata: keys('a', 45) });
    const answers = await burst(10, (i) => post(sk, `/v1/webhook_endpoints/${endpoint.id}`, { metadata: { [`b${i}`]: 'x' } }), [200, 400]);
    const accepted = answers.flatMap((a, i) => (a.res.status === 200 ? [`b${i}`] : []));
    expect(accepted).toHaveLength(5);
    for (const refused of withStatus(answers, 400)) expect(refused.error).toMatchObject({ code: 'parameter_invalid', param: 'metadata' });
    const metadata = (await get(sk, `/v1/webhook_endpoints/${endpoint.id}`)).body.metadata;
    expect(Object.keys(metadata).sort()).toEqual([...Object.keys(keys('a', 45)), ...accepted].sort());
  });
});

describe('endpoint create and delete in parallel', () => {
  it('20 creates: 20 endpoints, each listed, each with its own secret', async () => {
    const { keys: k } = await createMerchant('Parallel creates');
    const sk = k.test.secret;
    const answers = await burst(20, (i) => post(sk, '/v1/webhook_endpoints', { url: `https://shop.example/h${i}`, enabled_events: ['*'] }));
    const created = withStatus(answers, 200);
    expect(new Set(created.map((e) => e.id)).size).toBe(20);
    expect(new Set(created.map((e) => e.secret)).size).toBe(20);
    const listed = (await get(sk, '/v1/webhook_endpoints?limit=100')).body.data.map((e: any) => e.id);
    expect(listed.sort()).toEqual(created.map((e) => e.id).sort());
  });

  it('10 deletes of one endpoint: one 200, nine 404s, and the endpoint is gone', async () => {
    const { keys: k } = await createMerchant('Parallel deletes');
    const sk = k.test.secret;
    const endpoint = await newEndpoint(sk);
    const answers = await burst(
      10,
      () => call(`/v1/webhook_endpoints/${endpoint.id}`, { key: sk, method: 'DELETE' }).then(answer),
      [200, 404],
    );
    expect(withStatus(answers, 200)).toEqual([{ id: endpoint.id, object: 'webhook_endpoint', deleted: true }]);
    for (const missing of withStatus(answers, 404)) expect(missing.error).toMatchObject({ code: 'resource_missing', param: 'id' });
    expect((await get(sk, `/v1/webhook_endpoints/${endpoint.id}`)).res.status).toBe(404);
  });

  it('updates racing a delete: each is a 200 or a 404, never a 5xx, and the endpoint stays deleted', async () => {
    const { keys: k } = await createMerchant('Update versus delete');
    const sk = k.test.secret;
    const endpoint = await newEndpoint(sk);
    const answers = await burst(
      11,
      (i) =>
        i === 5
          ? call(`/v1/webhook_endpoints/${endpoint.id}`, { key: sk, method: 'DELETE' }).then(answer)
          : post(sk, `/v1/webhook_endpoints/${endpoint.id}`, { metadata: { [`k${i}`]: 'v' } }),
      [200, 404],
    );
    expect(answers[5]!.res.status).toBe(200);
    expect((await get(sk, `/v1/webhook_endpoints/${endpoint.id}`)).res.status).toBe(404);
    expect((await get(sk, '/v1/webhook_endpoints')).body.data).toEqual([]);
  });
});

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

  it('10 first reads of the notification secret at once (each may create it): all show the one secret', async () => {
    const { keys: k } = await createMerchant('Parallel first reads');
    const answers = await burst(10, () => get(k.test.secret, '/v1/notification_secret'));
    expect(new Set(answers.map((a) => a.body.secret)).size).toBe(1);
    expect((await get(k.test.secret, '/v1/notification_secret')).body.secret).toBe(answers[0]!.body.secret);
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

  it('rolls and metadata updates at once do not undo each other', async () => {
    const { sk, endpoint, mailbox, delivery } = await deliveredOnce();
    const answers = await burst(
      20,
      (i) =>
        i % 2
          ? post(sk, `/v1/webhook_endpoints/${endpoint.id}/roll_secret`)
          : post(sk, `/v1/webhook_endpoints/${endpoint.id}`, { metadata: { [`k${i}`]: 'v' } }),
      [200, 409],
    );
    expectConflicts(answers);
    // Only rolls may conflict; every update is kept.
    expect(answers.filter((a, i) => i % 2 === 0 && a.res.status !== 200)).toEqual([]);
    const updated = Object.fromEntries(answers.flatMap((_, i) => (i % 2 ? [] : [[`k${i}`, 'v']])));
    expect((await get(sk, `/v1/webhook_endpoints/${endpoint.id}`)).body.metadata).toEqual(updated);
    const secrets = answers.filter((a, i) => i % 2 && a.res.status === 200).map((a) => a.body.secret as string);
    expect(secrets.length).toBeGreaterThan(0);
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

async function answer(res: Response): Promise<Answer> {
  return { res, body: await res.json() };
}

async function waitForRequests(mailbox: TestMailbox, n: number) {
  let got: Awaited<ReturnType<TestMailbox['received']>> = [];
  await waitFor(async () => {
    got = await mailbox.received();
    return got.length >= n;
  }, 8_000);
  return got;
}
