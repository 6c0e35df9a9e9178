/**
 * Self-check of the webhook receiver that delivery tests rely on: it runs in Node (globalSetup),
 * these requests come from workerd over real HTTP.
 */
import { describe, expect, it } from 'vitest';
import { newSigningSecret, signWebhook } from '../../src/webhooks/signing.js';
import { openMailbox, receiverOrigin } from './receiver-client.js';

const body = JSON.stringify({
  id: 'evt_1',
  object: 'event',
  type: 'payment_intent.succeeded',
  data: { object: { description: 'café €5' } },
});

async function signedPost(url: string, secrets: string[], init: RequestInit = {}): Promise<Response> {
  const headers = await signWebhook({ id: 'msg_1', timestampSeconds: Math.floor(Date.now() / 1000), body, secrets });
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, ...init });
}

describe('webhook receiver', () => {
  it('records a delivery signed by us as verified by both libraries, with the raw body and headers', async () => {
    const secret = newSigningSecret();
    const mailbox = await openMailbox({ secrets: [secret] });
    const res = await signedPost(`${mailbox.url}?attempt=1`, [secret]);
    expect(res.status).toBe(200);
    const [request, ...more] = await mailbox.received();
    expect(more).toEqual([]);
    expect(request).toMatchObject({ body, verifiedStandard: true, verifiedStripe: true, response: { status: 200 } });
    expect(request!.url).toMatch(/^\/hooks\/mbx-[0-9a-f-]+\?attempt=1$/);
    expect(request!.headers).toMatchObject({ 'webhook-id': 'msg_1', 'content-type': 'application/json' });
    expect(request!.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(request!.receivedAt).toBeGreaterThan(Date.now() - 60_000);
  });

  it('verifies with whichever secret the mailbox holds during a roll', async () => {
    const [old, next] = [newSigningSecret(), newSigningSecret()];
    const mailbox = await openMailbox({ secrets: [next] });
    await signedPost(mailbox.url, [old, next]);
    expect(await mailbox.received()).toMatchObject([{ verifiedStandard: true, verifiedStripe: true }]);
  });

  it('records unsigned and wrongly signed deliveries as not verified', async () => {
    const mailbox = await openMailbox({ secrets: [newSigningSecret()] });
    await fetch(mailbox.url, { method: 'POST', body });
    await signedPost(mailbox.url, [newSigningSecret()]);
    expect(await mailbox.received()).toMatchObject([
      { body, verifiedStandard: false, verifiedStripe: false },
      { body, verifiedStandard: false, verifiedStripe: false },
    ]);
  });

  it('answers from the script in order, then with the default', async () => {
    const secret = newSigningSecret();
    const mailbox = await openMailbox({
      secrets: [secret],
      script: [{ status: 500, body: 'boom' }, { status: 503, retryAfter: '7' }, { status: 200 }],
      default: { status: 410, body: 'gone' },
    });
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const res = await signedPost(mailbox.url, [secret]);
      answers.push([res.status, res.headers.get('retry-after'), await res.text()]);
    }
    expect(answers).toEqual([
      [500, null, 'boom'],
      [503, '7', ''],
      [200, null, ''],
      [410, null, 'gone'],
      [410, null, 'gone'],
    ]);
    expect((await mailbox.received()).map((r) => r.response.status)).toEqual([500, 503, 200, 410, 410]);
  });

  it('can sleep past the sender’s timeout, and still records the delivery', async () => {
    const secret = newSigningSecret();
    const mailbox = await openMailbox({ secrets: [secret], script: [{ status: 200, delayMs: 2_000 }] });
    const started = Date.now();
    await expect(signedPost(mailbox.url, [secret], { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await mailbox.received()).toMatchObject([{ verifiedStandard: true, verifiedStripe: true, response: { delayMs: 2_000 } }]);
  });

  it('refuses a malformed mailbox configuration and deliveries to unknown mailboxes', async () => {
    const origin = receiverOrigin();
    const bad = await fetch(`${origin}/mailboxes/bad-config`, { method: 'PUT', body: JSON.stringify({ secrets: 'whsec_x' }) });
    expect(bad.status).toBe(400);
    const badSecret = await fetch(`${origin}/mailboxes/bad-secret`, { method: 'PUT', body: JSON.stringify({ secrets: ['whsec_'] }) });
    expect(badSecret.status).toBe(400);
    expect((await fetch(`${origin}/hooks/${crypto.randomUUID()}`, { method: 'POST', body })).status).toBe(404);
  });
});
