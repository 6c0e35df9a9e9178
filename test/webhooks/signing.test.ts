/**
 * Signatures checked the way receivers check them: with the official `standardwebhooks` package
 * and with `stripe.webhooks.constructEventAsync`, inside workerd.
 */
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { newSigningSecret, signWebhook } from '../../src/webhooks/signing.js';

const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'payment_intent.succeeded', data: { object: { amount: 2000 } } });
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function signed(secrets: string[], overrides: { body?: string; timestampSeconds?: number } = {}) {
  return signWebhook({ id: 'msg_1', timestampSeconds: overrides.timestampSeconds ?? nowSeconds(), body: overrides.body ?? body, secrets });
}

function verifyStandard(secret: string, payload: string, headers: Record<string, string>): unknown {
  return new Webhook(secret).verify(payload, headers);
}

function verifyStripe(secret: string, payload: string, headers: Record<string, string>): Promise<Stripe.Event> {
  return Stripe.webhooks.constructEventAsync(payload, headers['Stripe-Signature']!, secret);
}

describe('newSigningSecret', () => {
  it('is whsec_ and 44 characters of padded base64 (32 bytes)', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(secret.slice('whsec_'.length))).toHaveLength(32);
  });

  it('is random', () => {
    expect(newSigningSecret()).not.toBe(newSigningSecret());
  });
});

describe('signWebhook', () => {
  it('sends the Standard Webhooks headers and a Stripe-Signature', async () => {
    const secret = newSigningSecret();
    const headers = await signed([secret], { timestampSeconds: 1_700_000_000 });
    expect(Object.keys(headers).sort()).toEqual(['Stripe-Signature', 'webhook-id', 'webhook-signature', 'webhook-timestamp']);
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-timestamp']).toBe('1700000000');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(headers['Stripe-Signature']).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
  });

  it('produces exactly what each library would sign', async () => {
    const secret = newSigningSecret();
    const timestampSeconds = 1_700_000_000;
    const headers = await signed([secret], { timestampSeconds });
    expect(headers['webhook-signature']).toBe(new Webhook(secret).sign('msg_1', new Date(timestampSeconds * 1000), body));
    expect(headers['Stripe-Signature']).toBe(
      await Stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret, timestamp: timestampSeconds }),
    );
  });

  it('verifies with standardwebhooks and with stripe', async () => {
    const secret = newSigningSecret();
    const headers = await signed([secret]);
    expect(verifyStandard(secret, body, headers)).toEqual(JSON.parse(body));
    expect(await verifyStripe(secret, body, headers)).toEqual(JSON.parse(body));
  });

  it('signs with every secret during a roll, so either one verifies', async () => {
    const [old, next] = [newSigningSecret(), newSigningSecret()];
    const headers = await signed([old, next]);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(headers['Stripe-Signature']!.match(/v1=/g)).toHaveLength(2);
    for (const secret of [old, next]) {
      expect(verifyStandard(secret, body, headers)).toEqual(JSON.parse(body));
      expect(await verifyStripe(secret, body, headers)).toEqual(JSON.parse(body));
    }
  });

  it('is rejected by both libraries when the body was tampered with', async () => {
    const secret = newSigningSecret();
    const headers = await signed([secret]);
    const tampered = body.replace('2000', '2001');
    expect(() => verifyStandard(secret, tampered, headers)).toThrow('No matching signature found');
    await expect(verifyStripe(secret, tampered, headers)).rejects.toThrow('No signatures found matching the expected signature');
  });

  it('is rejected by both libraries under a secret that did not sign', async () => {
    const headers = await signed([newSigningSecret(), newSigningSecret()]);
    const other = newSigningSecret();
    expect(() => verifyStandard(other, body, headers)).toThrow('No matching signature found');
    await expect(verifyStripe(other, body, headers)).rejects.toThrow('No signatures found matching the expected signature');
  });

  it('is rejected by both libraries once the timestamp is older than their 5-minute tolerance', async () => {
    const secret = newSigningSecret();
    const headers = await signed([secret], { timestampSeconds: nowSeconds() - 301 });
    expect(() => verifyStandard(secret, body, headers)).toThrow('Message timestamp too old');
    await expect(verifyStripe(secret, body, headers)).rejects.toThrow('Timestamp outside the tolerance zone');
  });

  it('refuses a secret without the whsec_ prefix and an empty list of secrets', async () => {
    await expect(signed(['not-a-secret'])).rejects.toThrow('whsec_');
    await expect(signed([])).rejects.toThrow('at least one secret');
  });
});
