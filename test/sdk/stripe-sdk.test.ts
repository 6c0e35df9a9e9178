/** The official `stripe` SDK, pointed at this service, drives the whole PaymentIntent API unmodified. */
import { exports } from 'cloudflare:workers';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, type TestMerchant } from '../helpers.js';

let m: TestMerchant;
let stripe: Stripe;
beforeAll(async () => {
  m = await createMerchant('SDK user');
  stripe = new Stripe(m.keys.test.secret, {
    host: 'pay.test',
    port: 443,
    protocol: 'https',
    httpClient: Stripe.createFetchHttpClient((url, init) => exports.default.fetch(new Request(url as string, init as RequestInit))),
  });
});

describe('stripe SDK', () => {
  it('create, retrieve, update, confirm', async () => {
    const created = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd', metadata: { order_id: 'A-1' } });
    expect(created.status).toBe('requires_payment_method');
    const retrieved = await stripe.paymentIntents.retrieve(created.id);
    expect(retrieved.metadata).toEqual({ order_id: 'A-1' });
    const updated = await stripe.paymentIntents.update(created.id, { description: 'hello', metadata: { extra: '1' } });
    expect(updated.metadata).toEqual({ order_id: 'A-1', extra: '1' });
    const confirmed = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
    expect(confirmed.status).toBe('succeeded');
  });
});
