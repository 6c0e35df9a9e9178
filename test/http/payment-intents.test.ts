/**
 * The payment-intent lifecycle driven end to end over HTTP, against the real Durable Objects, D1
 * and alarms of the Workers runtime.
 */
import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, createIntent, createMerchant, get, post, waitFor, type TestMerchant } from '../helpers.js';

let m: TestMerchant;
let sk: string;
beforeAll(async () => {
  m = await createMerchant('Lifecycle');
  sk = m.keys.test.secret;
});

const intentStub = (id: string) => env.INTENTS.get(env.INTENTS.idFromName(id));

async function listStatuses(key: string): Promise<Record<string, string>> {
  const { body } = await get(key, '/v1/payment_intents?limit=100');
  return Object.fromEntries(body.data.map((i: any) => [i.id, i.status]));
}

describe('create and retrieve', () => {
  it('creates an intent with every field of the model, in snake_case', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { res, body } = await createIntent(sk, {
      amount: 1099,
      currency: 'eur',
      description: 'Order A-1',
      metadata: { order_id: 'A-1' },
      receipt_email: 'buyer@example.com',
      statement_descriptor: 'ACME SHOP',
      customer: 'cus_123',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('Request-Id')).toMatch(/^req_/);
    expect(body).toMatchObject({
      object: 'payment_intent',
      amount: 1099,
      amount_capturable: 0,
      amount_received: 0,
      currency: 'eur',
      status: 'requires_payment_method',
      capture_method: 'automatic',
      confirmation_method: 'automatic',
      payment_method: null,
      payment_method_types: ['card'],
      last_payment_error: null,
      next_action: null,
      cancellation_reason: null,
      canceled_at: null,
      description: 'Order A-1',
      metadata: { order_id: 'A-1' },
      receipt_email: 'buyer@example.com',
      statement_descriptor: 'ACME SHOP',
      customer: 'cus_123',
      livemode: false,
    });
    expect(body.id).toMatch(/^pi_[0-9A-Za-z]{24}$/);
    expect(body.client_secret).toMatch(new RegExp(`^${body.id}_secret_[0-9A-Za-z]{25}$`));
    expect(body.created).toBeGreaterThanOrEqual(before);
    expect(body.created).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));

    const retrieved = await get(sk, `/v1/payment_intents/${body.id}`);
    expect(retrieved.res.status).toBe(200);
    expect(retrieved.body).toEqual(body);
  });

  it('keeps amounts exact in zero- and three-decimal currencies', async () => {
    const jpy = await createIntent(sk, { amount: 99_999_999, currency: 'jpy' });
    expect(jpy.body).toMatchObject({ amount: 99_999_999, currency: 'jpy' });
    const kwd = await createIntent(sk, { amount: '1005', currency: 'KWD' });
    expect(kwd.body).toMatchObject({ amount: 1005, currency: 'kwd' });
  });

  it('accepts Stripe-style form bodies with bracket notation', async () => {
    const res = await call('/v1/payment_intents', {
      key: sk,
      form: 'amount=2500&currency=usd&metadata[order_id]=A-2&payment_method_types[]=card&payment_method_types[]=us_bank_account&confirm=false',
    });
    expect(res.status).toBe(200);
    expect((await res.json()) as object).toMatchObject({
      amount: 2500,
      metadata: { order_id: 'A-2' },
      payment_method_types: ['card', 'us_bank_account'],
    });
  });
});

describe('confirm', () => {
  it('pm_card_visa succeeds, and list shows it at once', async () => {
    const { body: created } = await createIntent(sk);
    const { res, body } = await post(sk, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ status: 'succeeded', amount_received: 2000, amount_capturable: 0, payment_method: 'pm_card_visa' });
    expect((await listStatuses(sk))[created.id]).toBe('succeeded');
  });

  it('create with confirm=true creates and confirms in one call', async () => {
    const { res, body } = await createIntent(sk, { payment_method: 'pm_card_visa', confirm: true });
    expect(res.status).toBe(200);
    expect(body.status).toBe('succeeded');
    expect((await get(sk, `/v1/payment_intents/${body.id}`)).body.status).toBe('succeeded');
  });

  it('a payment method given at create moves the intent to requires_confirmation; confirm needs no params', async () => {
    const { body: created } = await createIntent(sk, { payment_method: 'pm_card_mastercard' });
    expect(created.status).toBe('requires_confirmation');
    const { body } = await post(sk, `/v1/payment_intents/${created.id}/confirm`);
    expect(body.status).toBe('succeeded');
  });

  it('pm_card_chargeDeclined answers 402 card_declined with the intent, which returns to requires_payment_method', async () => {
    const { body: created } = await createIntent(sk);
    const { res, body } = await post(sk, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_card_chargeDeclined' });
    expect(res.status).toBe(402);
    expect(body.error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', param: null });
    expect(body.error.payment_intent).toMatchObject({
      id: created.id,
      status: 'requires_payment_method',
      payment_method: null,
      last_payment_error: { type: 'card_error', code: 'card_declined', payment_method: { id: 'pm_card_chargeDeclined', type: 'card' } },
    });
    const retrieved = await get(sk, `/v1/payment_intents/${created.id}`);
    expect(retrieved.body.last_payment_error.code).toBe('card_declined');

    // The customer tries another card: the error clears and the payment succeeds.
    const retry = await post(sk, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(retry.body).toMatchObject({ status: 'succeeded', last_payment_error: null });
  });

  it('create with confirm=true and a declining card still creates the intent and answers 402', async () => {
    const { res, body } = await createIntent(sk, { payment_method: 'pm_card_chargeDeclined', confirm: true });
    expect(res.status).toBe(402);
    const id = body.error.payment_intent.id;
    expect((await get(sk, `/v1/payment_intents/${id}`)).body.status).toBe('requires_payment_method');
  });

  it('a bank debit passes through processing and settles on the alarm', async () => {
    const { body: created } = await createIntent(sk, { payment_method_types: ['us_bank_account'] });
    const { body } = await post(sk, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_usBankAccount' });
    expect(body.status).toBe('processing');
    expect((await listStatuses(sk))[created.id]).toBe('processing');
    // The intent's own alarm settles it (ASYNC_SETTLE_DELAY_MS is 400 ms in the test config).
    await waitFor(async () => (await get(sk, `/v1/payment_intents/${created.id}`)).body.status !== 'processing');
    expect((await get(sk, `/v1/payment_intents/${created.id}`)).body).toMatchObject({ status: 'succeeded', amount_received: 2000 });
    expect((await listStatuses(sk))[created.id]).toBe('succeeded');
    // A late duplicate alarm (alarms are at-least-once) changes nothing.
    await runDurableObjectAlarm(intentStub(created.id));
    const events = await intentStub(created.id).events({ merchantId: m.id, livemode: false });
    // The debit's charge: pending while in flight, succeeded when it settles (once, despite the second alarm).
    expect(events.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'payment_intent.processing',
      'charge.pending',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
  });

  it('a failing bank debit returns to requires_payment_method with the error', async () => {
    const { body: created } = await createIntent(sk, { payment_method_types: ['us_bank_account'] });
    await post(sk, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_usBankAccount_insufficientFunds' });
    await waitFor(async () => (await get(sk, `/v1/payment_intents/${created.id}`)).body.status !== 'processing');
    const { body } = await get(sk, `/v1/payment_intents/${created.id}`);
    expect(body).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'insufficient_funds' } });
  });

  it('a card payment method is refused on a bank-debit-only intent', async () => {
    const { body: created } = await createIntent(sk, { payment_method_types: ['us_bank_account'] });
    const { res, body } = await post(sk, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'payment_intent_incompatible_payment_method', param: 'payment_method' });
    expect((await get(sk, `/v1/payment_intents/${created.id}`)).body.status).toBe('requires_payment_method');
  });
});

describe('3-D Secure', () => {
  async function challenged(params: Record<string, unknown> = {}) {
    const { body: created } = await createIntent(sk, params);
    const { body } = await post(sk, `/v1/payment_intents/${created.id}/confirm`, {
      payment_method: 'pm_card_threeDSecure2Required',
      return_url: 'https://shop.example/return?order=A-1',
    });
    return body;
  }

  it('requires_action points to a challenge page served here; completing it succeeds and redirects back', async () => {
    const intent = await challenged();
    expect(intent.status).toBe('requires_action');
    expect(intent.next_action.type).toBe('redirect_to_url');
    const url = new URL(intent.next_action.redirect_to_url.url);
    expect(intent.next_action.redirect_to_url.return_url).toBe('https://shop.example/return?order=A-1');
    expect(url.pathname).toMatch(new RegExp(`^/challenge/${intent.id}/[0-9A-Za-z]{32}$`));

    const page = await call(url.pathname);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('20.00 USD');
    expect(html).toContain('Complete authentication');

    const done = await call(url.pathname, { form: 'outcome=succeeded', redirect: 'manual' });
    expect(done.status).toBe(303);
    const back = new URL(done.headers.get('Location')!);
    expect(back.origin + back.pathname).toBe('https://shop.example/return');
    expect(Object.fromEntries(back.searchParams)).toEqual({
      order: 'A-1',
      payment_intent: intent.id,
      payment_intent_client_secret: intent.client_secret,
      redirect_status: 'succeeded',
    });
    expect((await get(sk, `/v1/payment_intents/${intent.id}`)).body).toMatchObject({ status: 'succeeded', next_action: null });

    // The link is single-use.
    expect((await call(url.pathname)).status).toBe(404);
    expect((await call(url.pathname, { form: 'outcome=succeeded' })).status).toBe(404);
  });

  it('failing the challenge returns the intent to requires_payment_method with an authentication error', async () => {
    const intent = await challenged();
    const path = new URL(intent.next_action.redirect_to_url.url).pathname;
    const done = await call(path, { form: 'outcome=failed', redirect: 'manual' });
    expect(new URL(done.headers.get('Location')!).searchParams.get('redirect_status')).toBe('failed');
    const { body } = await get(sk, `/v1/payment_intents/${intent.id}`);
    expect(body).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { code: 'payment_intent_authentication_failure' },
      next_action: null,
    });
  });

  it('with confirmation_method=manual, authentication leads to requires_confirmation and the server confirms', async () => {
    const intent = await challenged({ confirmation_method: 'manual', capture_method: 'manual' });
    const path = new URL(intent.next_action.redirect_to_url.url).pathname;
    await call(path, { form: 'outcome=succeeded', redirect: 'manual' });
    expect((await get(sk, `/v1/payment_intents/${intent.id}`)).body.status).toBe('requires_confirmation');
    const { body } = await post(sk, `/v1/payment_intents/${intent.id}/confirm`);
    expect(body).toMatchObject({ status: 'requires_capture', amount_capturable: 2000 });
  });

  it('a forged or stale token is a 404 and changes nothing', async () => {
    const intent = await challenged();
    const res = await call(`/challenge/${intent.id}/${'A'.repeat(32)}`, { form: 'outcome=succeeded' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe('resource_missing');
    expect((await get(sk, `/v1/payment_intents/${intent.id}`)).body.status).toBe('requires_action');
  });
});

describe('capture', () => {
  it('manual capture holds the amount, then captures part of it', async () => {
    const { body: created } = await createIntent(sk, { capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true });
    expect(created).toMatchObject({ status: 'requires_capture', amount_capturable: 2000, amount_received: 0 });
    const { res, body } = await post(sk, `/v1/payment_intents/${created.id}/capture`, { amount_to_capture: 1500 });
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ status: 'succeeded', amount_received: 1500, amount_capturable: 0 });
  });

  it('captures the whole amount when amount_to_capture is omitted', async () => {
    const { body: created } = await createIntent(sk, { capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true });
    const { body } = await post(sk, `/v1/payment_intents/${created.id}/capture`);
    expect(body).toMatchObject({ status: 'succeeded', amount_received: 2000 });
  });

  it('refuses to capture more than is capturable, and changes nothing', async () => {
    const { body: created } = await createIntent(sk, { capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true });
    const { res, body } = await post(sk, `/v1/payment_intents/${created.id}/capture`, { amount_to_capture: 2001 });
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'amount_too_large', param: 'amount_to_capture' });
    expect((await get(sk, `/v1/payment_intents/${created.id}`)).body).toMatchObject({
      status: 'requires_capture',
      amount_capturable: 2000,
    });
  });
});

describe('cancel and refused transitions', () => {
  it('cancels with a reason and records when', async () => {
    const { body: created } = await createIntent(sk);
    const { body } = await post(sk, `/v1/payment_intents/${created.id}/cancel`, { cancellation_reason: 'requested_by_customer' });
    expect(body).toMatchObject({ status: 'canceled', cancellation_reason: 'requested_by_customer' });
    expect(body.canceled_at).toBeGreaterThanOrEqual(created.created);
  });

  it('cancels an authorized payment and releases the capturable amount', async () => {
    const { body: created } = await createIntent(sk, { capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true });
    const { body } = await post(sk, `/v1/payment_intents/${created.id}/cancel`);
    expect(body).toMatchObject({ status: 'canceled', amount_capturable: 0, cancellation_reason: null });
  });

  const refused: [string, () => Promise<string>, string, Record<string, unknown>][] = [
    ['capture', async () => (await createIntent(sk)).body.id, 'requires_payment_method', {}],
    ['cancel', async () => (await createIntent(sk, { payment_method: 'pm_card_visa', confirm: true })).body.id, 'succeeded', {}],
    [
      'confirm',
      async () => (await createIntent(sk, { payment_method: 'pm_card_visa', confirm: true })).body.id,
      'succeeded',
      { payment_method: 'pm_card_visa' },
    ],
    [
      'confirm',
      async () => (await createIntent(sk, { capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true })).body.id,
      'requires_capture',
      {},
    ],
    [
      'cancel',
      async () => {
        const id = (await createIntent(sk)).body.id;
        await post(sk, `/v1/payment_intents/${id}/cancel`);
        return id;
      },
      'canceled',
      {},
    ],
  ];
  it.each(refused)(
    '%s in %s → 400 payment_intent_unexpected_state naming the status, nothing changes',
    async (op, setup, status, params) => {
      const id = await setup();
      const before = (await get(sk, `/v1/payment_intents/${id}`)).body;
      expect(before.status).toBe(status);
      const { res, body } = await post(sk, `/v1/payment_intents/${id}/${op}`, params);
      expect(res.status).toBe(400);
      expect(body.error.type).toBe('invalid_request_error');
      expect(body.error.code).toBe('payment_intent_unexpected_state');
      expect(body.error.message).toContain(`status of ${status}`);
      // The intent as it is now comes with the refusal (as Stripe sends it), so its status is not lost.
      expect(body.error.payment_intent).toEqual(before);
      expect((await get(sk, `/v1/payment_intents/${id}`)).body).toEqual(before);
    },
  );

  it('cancel on a processing intent is refused', async () => {
    const { body: created } = await createIntent(sk, { payment_method_types: ['us_bank_account'] });
    await post(sk, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_usBankAccount' });
    const { res, body } = await post(sk, `/v1/payment_intents/${created.id}/cancel`);
    expect(res.status).toBe(400);
    expect(body.error.message).toContain('status of processing');
  });
});

describe('update', () => {
  it('merges metadata, removes a key with "", and changes the amount before payment', async () => {
    const { body: created } = await createIntent(sk, { metadata: { a: '1', b: '2' } });
    const { body } = await post(sk, `/v1/payment_intents/${created.id}`, { amount: 3000, metadata: { b: '', c: '3' }, description: 'new' });
    expect(body).toMatchObject({ amount: 3000, metadata: { a: '1', c: '3' }, description: 'new', status: 'requires_payment_method' });
    const cleared = await call(`/v1/payment_intents/${created.id}`, { key: sk, form: 'description=&metadata=' });
    expect((await cleared.json()) as object).toMatchObject({ description: null, metadata: {} });
  });

  it('setting a payment method moves the intent to requires_confirmation', async () => {
    const { body: created } = await createIntent(sk);
    const { body } = await post(sk, `/v1/payment_intents/${created.id}`, { payment_method: 'pm_card_visa' });
    expect(body).toMatchObject({ status: 'requires_confirmation', payment_method: 'pm_card_visa' });
  });

  it('refuses to change the amount once the payment succeeded, but still takes metadata', async () => {
    const { body: created } = await createIntent(sk, { payment_method: 'pm_card_visa', confirm: true });
    const { res, body } = await post(sk, `/v1/payment_intents/${created.id}`, { amount: 1 });
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'payment_intent_unexpected_state', param: 'amount' });
    const ok = await post(sk, `/v1/payment_intents/${created.id}`, { metadata: { shipped: 'yes' } });
    expect(ok.body).toMatchObject({ amount: 2000, metadata: { shipped: 'yes' }, status: 'succeeded' });
  });
});

describe('live mode', () => {
  it('creates live intents but refuses confirmation: no processor is configured', async () => {
    const lk = m.keys.live.secret;
    const { body: created } = await createIntent(lk);
    expect(created.livemode).toBe(true);
    const { res, body } = await post(lk, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('processor_not_configured');
    expect((await get(lk, `/v1/payment_intents/${created.id}`)).body.status).toBe('requires_payment_method');
  });
});

describe('concurrency', () => {
  it('two simultaneous confirms: exactly one executes', async () => {
    const { body: created } = await createIntent(sk, { capture_method: 'manual' });
    const results = await Promise.all([
      post(sk, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_card_visa' }),
      post(sk, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_card_visa' }),
    ]);
    expect(results.map((r) => r.res.status).sort()).toEqual([200, 400]);
    const events = await intentStub(created.id).events({ merchantId: m.id, livemode: false });
    expect(events.filter((e) => e.type === 'payment_intent.amount_capturable_updated')).toHaveLength(1);
  });
});
