/**
 * /v1/mandates' changes end to end, through the mandate's object (src/mandates/service.ts) on the
 * mandates anvil: a cancel and a Dynamic debit request through the official `stripe` SDK (keyed),
 * a Fixed mandate's refusal, another merchant's mandate a 404, and the same mandate on 002_…'s wire.
 */
import { exports } from 'cloudflare:workers';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { get, post } from '../helpers.js';
import { newPayer, newShop, type Payer, type Shop, subscribeAs, until } from '../mandates/support.js';

function sdk(key: string): Stripe {
  return new Stripe(key, {
    host: 'pay.test',
    port: 443,
    protocol: 'https',
    maxNetworkRetries: 0,
    httpClient: Stripe.createFetchHttpClient(((url: string, init: RequestInit) =>
      exports.default.fetch(new Request(url, init))) as typeof fetch),
  });
}

let shop: Shop;
let other: Shop;
let payer: Payer;
beforeAll(async () => {
  shop = await newShop('Mandates API through the seam');
  other = await newShop('Not the payee');
  payer = await newPayer();
});

describe('POST /v1/mandates/{id}/cancel and /debit_requests through the mandate object', () => {
  it('cancels once (a keyed retry answers the same), and the cancel shows on both wires', async () => {
    const item = await shop.item();
    const mandate = await subscribeAs(shop, payer, item);
    await until(shop, mandate.id, (m) => m.status !== 'registering');
    const sk = shop.merchant.keys.test.secret;
    const foreign = await post(other.merchant.keys.test.secret, `/v1/mandates/${mandate.id}/cancel`, {});
    expect(foreign.res.status, JSON.stringify(foreign.body)).toBe(404);
    expect(foreign.body.error).toMatchObject({ code: 'resource_missing', param: 'id' });
    const stripe = sdk(sk);
    const key = `cancel-${crypto.randomUUID()}`;
    const canceled = JSON.parse(
      JSON.stringify(await stripe.rawRequest('POST', `/v1/mandates/${mandate.id}/cancel`, {}, { idempotencyKey: key })),
    );
    expect(canceled).toMatchObject({ id: mandate.id, status: 'canceled', cancellation_source: 'merchant' });
    const again = JSON.parse(
      JSON.stringify(await stripe.rawRequest('POST', `/v1/mandates/${mandate.id}/cancel`, {}, { idempotencyKey: key })),
    );
    expect(again).toEqual(canceled);
    const read = await get(sk, `/v1/mandates/${mandate.id}`);
    expect(read.body.status).toBe('canceled');
    const v1 = await get(sk, `/api/v1/payment_intents?filter=${encodeURIComponent(JSON.stringify({ status_text: 'CANCELLED' }))}`);
    expect(v1.body.paymentIntents.map((pi: any) => pi.payment_intent)).toContain(mandate.onchainId);
  });

  it('takes a Dynamic debit request and refuses one on a Fixed mandate, naming amount', async () => {
    const sk = shop.merchant.keys.test.secret;
    const dynamic = await subscribeAs(shop, payer, await shop.item({ pricing: 'dynamic' }));
    await until(shop, dynamic.id, (m) => m.status !== 'registering');
    const made = await post(sk, `/v1/mandates/${dynamic.id}/debit_requests`, { amount: '250000' });
    expect(made.res.status, JSON.stringify(made.body)).toBe(200);
    expect(made.body).toMatchObject({ object: 'mandate', id: dynamic.id });
    expect(made.body.pending_debit_requests.at(-1)).toMatchObject({
      object: 'debit_request',
      mandate: dynamic.id,
      amount: 250000,
      status: 'pending',
    });
    const over = await post(sk, `/v1/mandates/${dynamic.id}/debit_requests`, { amount: '1000001' });
    expect(over.res.status, JSON.stringify(over.body)).toBe(400);
    expect(over.body.error.param).toBe('amount');
    const fixed = await subscribeAs(shop, payer, await shop.item());
    const refused = await post(sk, `/v1/mandates/${fixed.id}/debit_requests`, { amount: 5 });
    expect(refused.res.status, JSON.stringify(refused.body)).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'mandate_unexpected_state', param: 'amount' });
  });
});
