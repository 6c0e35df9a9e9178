/**
 * One intent, seen through every family that may see it (issue 15): an intent made on one wire is
 * the same canonical intent on the others — the same id, status, amounts and metadata — and a change
 * made on one shows on the others. What a family shows of an intent made elsewhere is the README's
 * "One intent through every family": Amplify's lookups show any intent by its client secret,
 * Finternet's routes any intent of the key's merchant and mode, DebitLlama's none (its ids are
 * mandates'). Across merchants nothing is seen: each family answers another merchant's intent with
 * its own refusal (canonical 404, Finternet 403, Amplify 401 for a key pair that does not belong
 * together), and the intent is left as it was.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomXpub } from '../chain/local-chain-client.js';
import { ADMIN_TOKEN, call, createMerchant, get, post, stripeClient, type TestMerchant, waitFor } from '../helpers.js';

let a: TestMerchant;
let b: TestMerchant;

beforeAll(async () => {
  [a, b] = await Promise.all([createMerchant('Consistency shop A'), createMerchant('Consistency shop B')]);
  for (const m of [a, b]) {
    expect((await call(`/v1/admin/merchants/${m.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: randomXpub() } })).status).toBe(200);
  }
});

async function answer(res: Response) {
  return { status: res.status, body: (await res.json()) as any };
}

// --- each family, as its clients call it ------------------------------------------------------------

const amplify = {
  create: (m: TestMerchant, body: unknown, mode: 'test' | 'live' = 'test') =>
    call('/amplify/payment_intent', { headers: { apiKey: m.keys[mode].secret, clientId: m.id }, json: body }).then(answer),
  lookup: (clientSecret: string, headers: Record<string, string> = {}) =>
    call(`/amplify/payment_intent/${clientSecret}`, { headers }).then(answer),
  status: async (clientSecret: string) =>
    (await call('/amplify/payment_intent/status', { json: { clientSecret } }).then(answer)).body.status as string,
};

const finternet = {
  create: (m: TestMerchant, body: unknown) =>
    call('/finternet/v1/payment-intents', { headers: { 'X-API-Key': m.keys.test.secret }, json: body }).then(answer),
  get: (key: string, id: string) => call(`/finternet/v1/payment-intents/${id}`, { headers: { 'X-API-Key': key } }).then(answer),
  action: (key: string, id: string, action: string, body?: unknown) =>
    call(`/finternet/v1/payment-intents/${id}/${action}`, {
      method: 'POST',
      headers: { 'X-API-Key': key },
      ...(body === undefined ? {} : { json: body }),
    }).then(answer),
};

const PAYTREE = '/paytree/v1/transaction/payment_intent/';

const paytree = {
  create: (m: TestMerchant, body: unknown) =>
    call(PAYTREE, { headers: { Authorization: `Token ${m.keys.test.secret}` }, json: body }).then(answer),
  get: (key: string, id: string) => call(`${PAYTREE}${id}/`, { headers: { Authorization: `Token ${key}` } }).then(answer),
};

const canonical = {
  get: (key: string, id: string) => get(key, `/v1/payment_intents/${id}`).then(({ res, body }) => ({ status: res.status, body })),
  cancel: (key: string, id: string) =>
    post(key, `/v1/payment_intents/${id}/cancel`).then(({ res, body }) => ({ status: res.status, body })),
};

const ORDER = {
  amount: '10.50',
  currency: 'USDC',
  type: 'DELIVERY_VS_PAYMENT',
  settlementMethod: 'OFF_RAMP_MOCK',
  settlementDestination: '9876543210',
  metadata: { orderId: 'ORD-7', customerId: 'CUST-8' },
};

async function finternetIntent(m = a) {
  const made = await finternet.create(m, ORDER);
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  return made.body;
}

async function amplifyIntent(m = a) {
  const made = await amplify.create(m, { receiverId: 'cart-42', metadata: { cart: '42', channel: 'web' } });
  expect(made.status, JSON.stringify(made.body)).toBe(200);
  return made.body as { paymentIntentId: string; clientSecret: string; walletAddress: string; receiverId: string };
}

async function cardIntent(m = a, params: Record<string, unknown> = {}) {
  const made = await post(m.keys.test.secret, '/v1/payment_intents', {
    amount: 2000,
    currency: 'usd',
    metadata: { order: 'card-1' },
    ...params,
  });
  expect(made.res.status, JSON.stringify(made.body)).toBe(200);
  return made.body;
}

/** Paytree's create of 12.345 KWD (a currency of three decimals) by card. */
async function paytreeIntent(m = a) {
  const transactionRef = `ORDER-${crypto.randomUUID()}`;
  const made = await paytree.create(m, {
    transaction_ref: transactionRef,
    client_ref: 'customer-9',
    amount: '12.345',
    amount_currency: 'KWD',
    method: 'card',
    customer: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' },
    address: { street: '1 Gulf Road', city: 'Kuwait City', country: 'KW' },
    session: { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0' },
    callback: { return_url: 'https://shop.example/done', cancel_url: 'https://shop.example/cart' },
    metadata: { channel: 'web', tags: ['a', 'b'] },
  });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  return { ...(made.body as { id: string; client_ref: string; payment_link: string }), transactionRef };
}

async function eventsOf(m: TestMerchant, id: string, type: string) {
  const { body } = await get(m.keys.test.secret, '/v1/events?limit=100');
  return body.data.filter((e: any) => e.data.object.id === id && e.type === type);
}

describe('made on Amplify', () => {
  it('is the same intent on the canonical wire (stripe SDK): id, client secret, status, amount, metadata', async () => {
    const made = await amplifyIntent();
    const pi = await stripeClient(a.keys.test.secret).paymentIntents.retrieve(made.paymentIntentId);
    const seen = (await amplify.lookup(made.clientSecret)).body;
    expect(pi).toMatchObject({
      id: made.paymentIntentId,
      client_secret: made.clientSecret,
      status: 'requires_payment_method',
      // Amplify's intent has no amount until the payer chooses one on the hosted page: the page's suggestion, $1.00.
      amount: 100,
      currency: 'usd',
      payment_method_types: ['crypto'],
      metadata: { cart: '42', channel: 'web' },
      livemode: false,
    });
    expect((pi as unknown as { payer_amount: unknown }).payer_amount).toEqual({ minimum: null, maximum: null });
    expect(seen).toMatchObject({ _id: pi.id, status: 'CREATED', metadata: pi.metadata, userId: a.id, apiKeyType: 'SANDBOX' });
    expect(Math.floor(Date.parse(seen.created_at) / 1000)).toBe(pi.created);

    // The payer's choice (here through the canonical confirm, as the hosted page makes it): the amount and the deposit address agree.
    const chosen = await post(a.keys.test.secret, `/v1/payment_intents/${made.paymentIntentId}/confirm`, {
      amount: 1250,
      payment_method_options: { crypto: { network: 'testnet', token: 'usdc' } },
    });
    expect(chosen.res.status, JSON.stringify(chosen.body)).toBe(200);
    expect(chosen.body).toMatchObject({ amount: 1250, currency: 'usd', status: 'requires_action' });
    expect(chosen.body.next_action.crypto_transfer.deposit_address).toBe(made.walletAddress);
    expect((await amplify.lookup(made.clientSecret)).body).toMatchObject({ status: 'WAITING FOR PAYMENT', walletId: made.walletAddress });
    await stripeClient(a.keys.test.secret).paymentIntents.cancel(made.paymentIntentId);
  });

  it('canceled on the canonical wire: Amplify`s status and lookup say ERROR (a cancel by the merchant)', async () => {
    const made = await amplifyIntent();
    const canceled = await stripeClient(a.keys.test.secret).paymentIntents.cancel(made.paymentIntentId);
    expect(canceled.status).toBe('canceled');
    expect(await amplify.status(made.clientSecret)).toBe('ERROR');
    expect((await amplify.lookup(made.clientSecret)).body).toMatchObject({ _id: made.paymentIntentId, status: 'ERROR' });
  });

  it('is shown by Finternet too, to the same merchant: its id, status and metadata, no settlement (it has none)', async () => {
    const made = await amplifyIntent();
    const seen = await finternet.get(a.keys.test.secret, made.paymentIntentId);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({
      id: made.paymentIntentId,
      status: 'REQUIRES_PAYMENT_METHOD',
      data: { merchantId: a.id, currency: 'USD', type: null, settlementMethod: null, metadata: { cart: '42', channel: 'web' } },
    });
    // A cancel there is the canonical cancel: Amplify sees it.
    expect((await finternet.action(a.keys.test.secret, made.paymentIntentId, 'cancel')).status).toBe(200);
    expect(await amplify.status(made.clientSecret)).toBe('ERROR');
  });
});

describe('made on Finternet', () => {
  it('is the same intent on the canonical wire: amount in base units, currency usdc, metadata, status, deposit address', async () => {
    const made = await finternetIntent();
    const pi = await stripeClient(a.keys.test.secret).paymentIntents.retrieve(made.id);
    expect(pi).toMatchObject({
      id: made.id,
      status: made.status.toLowerCase(),
      amount: 10_500_000,
      currency: 'usdc',
      metadata: ORDER.metadata,
      payment_method_types: ['crypto'],
      livemode: false,
    });
    expect(made.data.amount).toBe('10.50');
    expect(made.created).toBe(pi.created);
    await finternet.action(a.keys.test.secret, made.id, 'cancel');
  });

  it('canceled on Finternet: canonical canceled (one payment_intent.canceled event); a second cancel on either wire is refused', async () => {
    const made = await finternetIntent();
    const canceled = await finternet.action(a.keys.test.secret, made.id, 'cancel');
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('CANCELED');
    const pi = await canonical.get(a.keys.test.secret, made.id);
    expect(pi.body).toMatchObject({ status: 'canceled', cancellation_reason: 'requested_by_customer' });
    const again = await canonical.cancel(a.keys.test.secret, made.id);
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: 'payment_intent_unexpected_state' });
    expect(await eventsOf(a, made.id, 'payment_intent.canceled')).toHaveLength(1);
  });

  it('canceled canonically: Finternet says CANCELED, and refuses its own cancel naming the status', async () => {
    const made = await finternetIntent();
    expect((await stripeClient(a.keys.test.secret).paymentIntents.cancel(made.id)).status).toBe('canceled');
    const seen = await finternet.get(a.keys.test.secret, made.id);
    expect(seen.body).toMatchObject({ status: 'CANCELED', data: { status: 'CANCELED' } });
    const again = await finternet.action(a.keys.test.secret, made.id, 'cancel');
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: 'payment_intent_unexpected_state' });
    expect(again.body.error.message).toContain('CANCELED');
  });

  it('canceled on both wires at once: one cancel wins, the other is refused in its own envelope; one event', async () => {
    const made = await finternetIntent();
    const [there, here] = await Promise.all([
      canonical.cancel(a.keys.test.secret, made.id),
      finternet.action(a.keys.test.secret, made.id, 'cancel'),
    ]);
    expect([there.status, here.status].sort()).toEqual([200, 400]);
    const refused = there.status === 400 ? there.body.error : here.body.error;
    expect(refused).toMatchObject({ code: 'payment_intent_unexpected_state', type: 'invalid_request_error' });
    expect(await eventsOf(a, made.id, 'payment_intent.canceled')).toHaveLength(1);
  });

  it('is shown by Amplify`s lookup by its client secret: waiting for the payment at the same deposit address', async () => {
    const made = await finternetIntent();
    const pi = (await canonical.get(a.keys.test.secret, made.id)).body;
    const seen = await amplify.lookup(pi.client_secret);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({
      _id: made.id,
      status: 'WAITING FOR PAYMENT',
      walletId: made.data.depositAddress,
      receiverId: null,
      metadata: ORDER.metadata,
    });
    await finternet.action(a.keys.test.secret, made.id, 'cancel');
    expect(await amplify.status(pi.client_secret)).toBe('ERROR');
  });
});

describe('made on Paytree', () => {
  it('is the same intent on the canonical wire: amount in the currency`s minor units (3 decimals for KWD), status, reference', async () => {
    const made = await paytreeIntent();
    const pi = await stripeClient(a.keys.test.secret).paymentIntents.retrieve(made.id);
    expect(pi).toMatchObject({ id: made.id, amount: 12_345, currency: 'kwd', status: 'requires_payment_method', livemode: false });
    // Paytree's metadata is any JSON, the family's own: the canonical metadata (strings only) does not take it.
    expect(pi.metadata).toEqual({});
    const seen = await paytree.get(a.keys.test.secret, made.id);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ id: made.id, amount: '12.345', currency: 'KWD', client_ref: 'customer-9', payment: [] });
    await stripeClient(a.keys.test.secret).paymentIntents.cancel(made.id);
  });

  it('paid and refunded on the canonical wire: Paytree`s payment[] and refund[] show it', async () => {
    const made = await paytreeIntent();
    const sdk = stripeClient(a.keys.test.secret);
    const paid = await sdk.paymentIntents.confirm(made.id, { payment_method: 'pm_card_visa' });
    expect(paid.status).toBe('succeeded');
    expect((await paytree.get(a.keys.test.secret, made.id)).body.payment).toMatchObject([{ id: paid.latest_charge, status: 'success' }]);
    const refund = await sdk.refunds.create({ payment_intent: made.id, amount: 5_000 });
    // Listed at once, counted once it has succeeded (a card refund settles on its own timer).
    expect((await paytree.get(a.keys.test.secret, made.id)).body.payment[0].refund).toMatchObject([{ id: refund.id, amount: '5.000' }]);
    await waitFor(async () => (await sdk.refunds.retrieve(refund.id)).status === 'succeeded', 15_000);
    const refunded = (await paytree.get(a.keys.test.secret, made.id)).body;
    expect(refunded.payment).toMatchObject([{ status: 'partial_refunded', refunded: '5.000' }]);
    expect(refunded.payment[0].refund).toMatchObject([{ amount: '5.000' }]);
  });

  it('is shown by Amplify`s lookup (its payment link`s client secret) and by Finternet; canceled there, Paytree`s intent has no payment', async () => {
    const made = await paytreeIntent();
    const clientSecret = new URL(made.payment_link).searchParams.get('client_secret')!;
    // Its transaction_ref is the canonical reference, which Amplify calls receiverId.
    expect((await amplify.lookup(clientSecret)).body).toMatchObject({ _id: made.id, status: 'CREATED', receiverId: made.transactionRef });
    const seen = await finternet.get(a.keys.test.secret, made.id);
    expect(seen.body).toMatchObject({ id: made.id, status: 'REQUIRES_PAYMENT_METHOD', data: { amount: '12.345', currency: 'KWD' } });
    expect((await finternet.action(a.keys.test.secret, made.id, 'cancel')).status).toBe(200);
    expect((await canonical.get(a.keys.test.secret, made.id)).body.status).toBe('canceled');
    expect(await amplify.status(clientSecret)).toBe('ERROR');
    expect((await paytree.get(a.keys.test.secret, made.id)).body.payment).toEqual([]);
  });

  it('shows only its own intents: one made on the canonical wire is DRF`s 404', async () => {
    const pi = await cardIntent(a);
    expect(await paytree.get(a.keys.test.secret, pi.id)).toEqual({ status: 404, body: { detail: 'Not found.' } });
  });
});

describe('made on the canonical wire (a card intent)', () => {
  it('Amplify shows it by its client secret (no wallet, no receiverId), and follows its status to COMPLETED', async () => {
    const pi = await cardIntent(a, { capture_method: 'manual' });
    expect((await amplify.lookup(pi.client_secret)).body).toMatchObject({
      _id: pi.id,
      status: 'CREATED',
      walletId: null,
      receiverId: null,
      metadata: { order: 'card-1' },
    });
    const sdk = stripeClient(a.keys.test.secret);
    await sdk.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    expect(await amplify.status(pi.client_secret)).toBe('WAITING FOR PAYMENT');
    await sdk.paymentIntents.capture(pi.id);
    expect(await amplify.status(pi.client_secret)).toBe('COMPLETED');
  });

  it('Finternet shows it to its merchant in its shape (USD in its decimals, no settlement), and its cancel is the canonical one', async () => {
    const pi = await cardIntent(a);
    const seen = await finternet.get(a.keys.test.secret, pi.id);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({
      id: pi.id,
      status: 'REQUIRES_PAYMENT_METHOD',
      data: { amount: '20.00', currency: 'USD', type: null, settlementMethod: null, settlementStatus: null, metadata: { order: 'card-1' } },
    });
    expect((await finternet.action(a.keys.test.secret, pi.id, 'cancel')).body.status).toBe('CANCELED');
    expect((await canonical.get(a.keys.test.secret, pi.id)).body.status).toBe('canceled');
  });

  it('DebitLlama has no payment intent by a pi_ id: its ids are mandates` on-chain ids (404 naming payment_intent)', async () => {
    const pi = await cardIntent(a);
    const res = await call(`/api/v1/payment_intents/${pi.id}`, { key: a.keys.test.secret });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error).toMatchObject({ status: 404, parameter: 'payment_intent' });
  });
});

describe('another merchant, through every family', () => {
  it('merchant A`s intents (made on each wire) are refused to merchant B on every family, and stay as they were', async () => {
    const fromAmplify = await amplifyIntent(a);
    const fromFinternet = await finternetIntent(a);
    const fromPaytree = await paytreeIntent(a);
    const card = await cardIntent(a);
    const ids = [fromAmplify.paymentIntentId, fromFinternet.id, fromPaytree.id, card.id];
    const before = await Promise.all(ids.map(async (id) => (await canonical.get(a.keys.test.secret, id)).body));
    const bKey = b.keys.test.secret;

    for (const id of ids) {
      // Canonical: as if it did not exist.
      for (const refused of [await canonical.get(bKey, id), await canonical.cancel(bKey, id)]) {
        expect(refused.status, id).toBe(404);
        expect(refused.body.error).toMatchObject({ code: 'resource_missing', param: 'intent' });
      }
      // Finternet: its document's 403 on every route that names an intent.
      for (const refused of [
        await finternet.get(bKey, id),
        await finternet.action(bKey, id, 'cancel'),
        await finternet.action(bKey, id, 'confirm-delivery'),
        await finternet.action(bKey, id, 'signature', { signature: `0x${'1b'.repeat(65)}`, signerAddress: `0x${'11'.repeat(20)}` }),
      ]) {
        expect(refused.status, id).toBe(403);
        expect(refused.body).toEqual({
          error: { code: 'forbidden', message: 'You do not have access to this payment intent', type: 'authentication_error' },
        });
      }
      // DebitLlama: no such payment intent.
      expect((await call(`/api/v1/payment_intents/${id}`, { key: bKey })).status).toBe(404);
      // Paytree: DRF's 404, as for an id that does not exist.
      expect(await paytree.get(bKey, id)).toEqual({ status: 404, body: { detail: 'Not found.' } });
    }
    // Amplify has no keyed lookup: its key pair is only for creating, and B's key with A's account id is a 401.
    const mixed = await call('/amplify/payment_intent', { headers: { apiKey: bKey, clientId: a.id }, json: { receiverId: 'x' } }).then(
      answer,
    );
    expect(mixed).toEqual({
      status: 401,
      body: { statusCode: 401, message: 'Invalid apiKey or clientId', error: 'Unauthorized', param: 'apiKey' },
    });
    // Its lookups take the client secret alone: B's headers sent along change nothing, and B's own client secret names B's intents only.
    const withBHeaders = await amplify.lookup(fromAmplify.clientSecret, { apiKey: bKey, clientId: b.id });
    expect(withBHeaders.body).toMatchObject({ _id: fromAmplify.paymentIntentId, userId: a.id });
    const bIntent = await amplifyIntent(b);
    const swapped = `${fromAmplify.paymentIntentId}_secret_${bIntent.clientSecret.split('_secret_')[1]}`;
    expect((await amplify.lookup(swapped)).status).toBe(404);

    const after = await Promise.all(ids.map(async (id) => (await canonical.get(a.keys.test.secret, id)).body));
    expect(after).toEqual(before);
    for (const id of [...ids, bIntent.paymentIntentId]) {
      const owner = id === bIntent.paymentIntentId ? b : a;
      await canonical.cancel(owner.keys.test.secret, id);
    }
  });

  it('the same merchant`s other mode does not see them either: canonical, Finternet and Paytree 404', async () => {
    const fromFinternet = await finternetIntent(a);
    const fromPaytree = await paytreeIntent(a);
    const live = a.keys.live.secret;
    expect((await canonical.get(live, fromPaytree.id)).status).toBe(404);
    expect(await paytree.get(live, fromPaytree.id)).toEqual({ status: 404, body: { detail: 'Not found.' } });
    await canonical.cancel(a.keys.test.secret, fromPaytree.id);
    expect((await canonical.get(live, fromFinternet.id)).status).toBe(404);
    const seen = await finternet.get(live, fromFinternet.id);
    expect(seen.status).toBe(404);
    expect(seen.body.error).toMatchObject({ code: 'resource_missing', message: `Payment intent not found: ${fromFinternet.id}` });
    await finternet.action(a.keys.test.secret, fromFinternet.id, 'cancel');
  });
});
