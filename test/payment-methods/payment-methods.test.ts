/**
 * The payment methods of 001_… in test mode, end to end through the official stripe SDK: the
 * redirect methods' test authorization page (authorize and fail), BLIK codes, bank transfers funded
 * by the test helper in part and in full, each method's currency rules and capture method, and
 * live mode's refusal.
 */
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, createMerchant, get, post, type TestMerchant, waitFor, stripeClient } from '../helpers.js';

const client = stripeClient;

/** The SDK's error for a refused call, to look at its code and param. */
async function refusal(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) return error;
    throw error;
  }
  throw new Error('expected the call to be refused');
}

/**
 * stripe-node 23's types call the request's list allowed_payment_method_types; the API (as Stripe's
 * own, and the response) takes payment_method_types, which the SDK sends as given.
 */
type Params<T> = Omit<T, 'payment_method_types'> & { payment_method_types?: string[] };
const create = (params: Params<Stripe.PaymentIntentCreateParams>, sdk = stripe) =>
  sdk.paymentIntents.create(params as Stripe.PaymentIntentCreateParams);

const RETURN_URL = 'https://shop.example/return?order=A-7';

let m: TestMerchant;
let stripe: Stripe;
beforeAll(async () => {
  m = await createMerchant('Payment methods shop');
  stripe = client(m.keys.test.secret);
});

/** Each redirect method with a currency it takes and whether it can be captured later. */
const REDIRECTS = [
  { type: 'paypal', pm: 'pm_paypal', currency: 'usd', amount: 2500, name: 'PayPal', manual: true },
  { type: 'klarna', pm: 'pm_klarna', currency: 'sek', amount: 25000, name: 'Klarna', manual: true },
  { type: 'ideal', pm: 'pm_ideal', currency: 'eur', amount: 2500, name: 'iDEAL', manual: false },
  { type: 'bancontact', pm: 'pm_bancontact', currency: 'eur', amount: 2500, name: 'Bancontact', manual: false },
  { type: 'trustly', pm: 'pm_trustly', currency: 'gbp', amount: 2500, name: 'Trustly', manual: false },
  { type: 'kakao_pay', pm: 'pm_kakao_pay', currency: 'krw', amount: 25000, name: 'Kakao Pay', manual: false },
  { type: 'p24', pm: 'pm_p24', currency: 'pln', amount: 2500, name: 'Przelewy24', manual: false },
] as const;

async function redirected(method: (typeof REDIRECTS)[number], extra: Partial<Stripe.PaymentIntentCreateParams> = {}) {
  const intent = await create({
    amount: method.amount,
    currency: method.currency,
    payment_method_types: [method.type],
    payment_method: method.pm,
    confirm: true,
    return_url: RETURN_URL,
    ...extra,
  });
  expect(intent.status).toBe('requires_action');
  expect(intent.next_action?.type).toBe('redirect_to_url');
  expect(intent.next_action?.redirect_to_url?.return_url).toBe(RETURN_URL);
  return { intent, path: new URL(intent.next_action!.redirect_to_url!.url!).pathname };
}

/** The payer presses a button of the test authorization page; where it sends them back to. */
async function answer(path: string, outcome: 'succeeded' | 'failed'): Promise<URL> {
  const res = await call(path, { form: `outcome=${outcome}`, redirect: 'manual' });
  expect(res.status).toBe(303);
  return new URL(res.headers.get('Location')!);
}

describe.each(REDIRECTS)('$type: a redirect to the test authorization page', (method) => {
  it('authorize: back to return_url with redirect_status succeeded; the intent succeeded', async () => {
    const { intent, path } = await redirected(method);
    const page = await call(path);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`Authorize your ${method.name} payment`);
    expect(html).toContain('Authorize test payment');
    expect(html).toContain('Fail test payment');

    const back = await answer(path, 'succeeded');
    expect(back.origin + back.pathname).toBe('https://shop.example/return');
    expect(Object.fromEntries(back.searchParams)).toEqual({
      order: 'A-7',
      payment_intent: intent.id,
      payment_intent_client_secret: intent.client_secret,
      redirect_status: 'succeeded',
    });
    const paid = await stripe.paymentIntents.retrieve(intent.id);
    expect(paid).toMatchObject({ status: 'succeeded', amount_received: method.amount, payment_method: method.pm, next_action: null });
    // The link is spent.
    expect((await call(path)).status).toBe(404);
  });

  it('fail: back with redirect_status failed; requires_payment_method with the error', async () => {
    const { intent, path } = await redirected(method);
    const back = await answer(path, 'failed');
    expect(back.searchParams.get('redirect_status')).toBe('failed');
    const failed = await stripe.paymentIntents.retrieve(intent.id);
    expect(failed).toMatchObject({ status: 'requires_payment_method', amount_received: 0, payment_method: null });
    expect(failed.last_payment_error).toMatchObject({
      code: 'payment_intent_authentication_failure',
      payment_method: { id: method.pm, type: method.type },
    });
    expect(failed.last_payment_error?.message).toContain(method.type);
  });

  it(method.manual ? 'capture_method manual: authorized, then captured' : 'capture_method manual is refused', async () => {
    if (method.manual) {
      const { intent, path } = await redirected(method, { capture_method: 'manual' });
      await answer(path, 'succeeded');
      expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({
        status: 'requires_capture',
        amount_capturable: method.amount,
      });
      expect(await stripe.paymentIntents.capture(intent.id)).toMatchObject({ status: 'succeeded', amount_received: method.amount });
      return;
    }
    const error = await refusal(
      create({ amount: method.amount, currency: method.currency, payment_method_types: [method.type], capture_method: 'manual' }),
    );
    expect(error).toMatchObject({ statusCode: 400, code: 'parameter_invalid', param: 'capture_method' });
    expect(error.message).toContain('captured later');
  });

  it('return_url is required to confirm', async () => {
    const intent = await create({ amount: method.amount, currency: method.currency, payment_method_types: [method.type] });
    const error = await refusal(stripe.paymentIntents.confirm(intent.id, { payment_method: method.pm }));
    expect(error).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'return_url' });
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe('requires_payment_method');
  });
});

describe('currency rules and amount limits', () => {
  it.each([
    ['ideal', 'usd'],
    ['bancontact', 'pln'],
    ['blik', 'eur'],
    ['p24', 'usd'],
    ['kakao_pay', 'usd'],
    ['klarna', 'jpy'],
    ['paypal', 'inr'],
    ['trustly', 'usd'],
    ['customer_balance', 'jpy'],
  ])('%s does not take %s: a 400 naming payment_method_types', async (type, currency) => {
    const error = await refusal(create({ amount: 5000, currency, payment_method_types: [type] }));
    expect(error).toMatchObject({ statusCode: 400, code: 'parameter_invalid', param: 'payment_method_types' });
    expect(error.message).toContain(`${type} does not support the currency ${currency}`);
  });

  it('p24 takes eur and pln; a card-and-ideal intent in eur is fine', async () => {
    for (const currency of ['eur', 'pln']) {
      expect((await create({ amount: 5000, currency, payment_method_types: ['p24'] })).status).toBe('requires_payment_method');
    }
    const both = await create({ amount: 5000, currency: 'eur', payment_method_types: ['card', 'ideal'] });
    expect(both.payment_method_types).toEqual(['card', 'ideal']);
  });

  it('an update to a currency a method does not take is refused, naming currency; the intent keeps its own', async () => {
    const intent = await create({ amount: 5000, currency: 'eur', payment_method_types: ['ideal'] });
    const error = await refusal(stripe.paymentIntents.update(intent.id, { currency: 'usd' }));
    expect(error).toMatchObject({ statusCode: 400, param: 'currency' });
    const added = await refusal(
      stripe.paymentIntents.update(intent.id, { payment_method_types: ['ideal', 'blik'] } as Stripe.PaymentIntentUpdateParams),
    );
    expect(added).toMatchObject({ statusCode: 400, param: 'payment_method_types' });
    expect((await stripe.paymentIntents.retrieve(intent.id)).currency).toBe('eur');
  });

  it("below Stripe's minimum charge for the currency: a 400 naming amount", async () => {
    const blik = await refusal(create({ amount: 199, currency: 'pln', payment_method_types: ['blik'] }));
    expect(blik).toMatchObject({ statusCode: 400, code: 'parameter_invalid', param: 'amount' });
    expect(blik.message).toContain('at least 200');
    const ideal = await refusal(create({ amount: 49, currency: 'eur', payment_method_types: ['ideal'] }));
    expect(ideal).toMatchObject({ statusCode: 400, param: 'amount' });
    expect((await create({ amount: 200, currency: 'pln', payment_method_types: ['blik'] })).amount).toBe(200);
    // Cards keep the floor they always had.
    expect((await create({ amount: 1, currency: 'eur' })).amount).toBe(1);
  });

  it('a method that is not among payment_method_types is refused at confirm', async () => {
    const intent = await create({ amount: 5000, currency: 'eur', payment_method_types: ['card'] });
    const error = await refusal(stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_ideal', return_url: RETURN_URL }));
    expect(error).toMatchObject({ statusCode: 400, code: 'payment_intent_incompatible_payment_method', param: 'payment_method' });
  });
});

describe('blik: a six-digit code at confirmation', () => {
  const blikIntent = () => create({ amount: 5000, currency: 'pln', payment_method_types: ['blik'] });

  it('the test code 777123 is approved in the bank app: requires_action (blik_authorize), then succeeded', async () => {
    const intent = await blikIntent();
    const confirmed = await stripe.paymentIntents.confirm(intent.id, {
      payment_method: 'pm_blik',
      payment_method_options: { blik: { code: '777123' } },
    });
    expect(confirmed).toMatchObject({ status: 'requires_action', next_action: { type: 'blik_authorize' } });
    // The intent's own alarm stands for the payer's approval (ASYNC_SETTLE_DELAY_MS, 400 ms in tests).
    await waitFor(async () => (await stripe.paymentIntents.retrieve(intent.id)).status !== 'requires_action');
    expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({
      status: 'succeeded',
      amount_received: 5000,
      next_action: null,
    });
  });

  it('create with confirm=true takes the code too', async () => {
    const intent = await create({
      amount: 5000,
      currency: 'pln',
      payment_method_types: ['blik'],
      payment_method: 'pm_blik',
      payment_method_options: { blik: { code: '777000' } },
      confirm: true,
    });
    expect(intent.next_action?.type).toBe('blik_authorize');
  });

  it('another six-digit code is declined: 402 with decline_code code_invalid, back to requires_payment_method', async () => {
    const intent = await blikIntent();
    const error = await refusal(
      stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_blik', payment_method_options: { blik: { code: '123456' } } }),
    );
    expect(error).toMatchObject({ statusCode: 402, code: 'payment_intent_payment_attempt_failed', decline_code: 'code_invalid' });
    expect(error.message).toContain('BLIK code');
    const after = await stripe.paymentIntents.retrieve(intent.id);
    expect(after).toMatchObject({ status: 'requires_payment_method', last_payment_error: { decline_code: 'code_invalid' } });
    // A new code works on the same intent.
    const again = await stripe.paymentIntents.confirm(intent.id, {
      payment_method: 'pm_blik',
      payment_method_options: { blik: { code: '777999' } },
    });
    expect(again.status).toBe('requires_action');
  });

  it.each([['12345'], ['1234567'], ['77712a'], ['']])('code %j is a 400 naming payment_method_options[blik][code]', async (code) => {
    const intent = await blikIntent();
    const { res, body } = await post(m.keys.test.secret, `/v1/payment_intents/${intent.id}/confirm`, {
      payment_method: 'pm_blik',
      payment_method_options: { blik: { code } },
    });
    expect(res.status).toBe(400);
    expect(body.error.param).toBe('payment_method_options[blik][code]');
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe('requires_payment_method');
  });

  it('no code is a 400 naming payment_method_options[blik][code]; a code for a card is refused', async () => {
    const intent = await blikIntent();
    const missing = await refusal(stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_blik' }));
    expect(missing).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'payment_method_options[blik][code]' });
    const card = await create({ amount: 5000, currency: 'pln' });
    const wrong = await refusal(
      stripe.paymentIntents.confirm(card.id, { payment_method: 'pm_card_visa', payment_method_options: { blik: { code: '777123' } } }),
    );
    expect(wrong).toMatchObject({ statusCode: 400, param: 'payment_method_options[blik][code]' });
    const early = await refusal(
      create({ amount: 5000, currency: 'pln', payment_method_types: ['blik'], payment_method_options: { blik: { code: '777123' } } }),
    );
    expect(early).toMatchObject({ statusCode: 400, param: 'payment_method_options[blik]' });
  });
});

describe('customer_balance: a bank transfer funded by the test helper', () => {
  const fund = (id: string, params: Record<string, unknown>, sdk = stripe) =>
    sdk.rawRequest('POST', `/v1/test_helpers/payment_intents/${id}/fund`, params) as Promise<
      Stripe.PaymentIntent & { lastResponse: unknown }
    >;

  async function awaitingTransfer(currency = 'eur', amount = 2000) {
    const intent = await create({
      amount,
      currency,
      payment_method_types: ['customer_balance'],
      payment_method: 'pm_customer_balance',
      confirm: true,
    });
    expect(intent.status).toBe('requires_action');
    return intent;
  }

  it('confirm shows the instructions: amount_remaining, reference, the test IBAN', async () => {
    const intent = await awaitingTransfer();
    const instructions = intent.next_action?.display_bank_transfer_instructions;
    expect(intent.next_action?.type).toBe('display_bank_transfer_instructions');
    expect(instructions).toMatchObject({ amount_remaining: 2000, currency: 'eur', type: 'eu_bank_transfer' });
    expect(instructions?.reference).toMatch(/^[0-9A-Z]{12}$/);
    expect(instructions?.financial_addresses?.[0]).toMatchObject({ type: 'iban', iban: { country: 'DE' }, supported_networks: ['sepa'] });
    expect(instructions?.hosted_instructions_url).toContain(`/pay/${intent.id}`);
  });

  it.each([
    ['gbp', 'gb_bank_transfer', 'sort_code'],
    ['usd', 'us_bank_transfer', 'aba'],
  ])('%s: %s with a %s address', async (currency, type, address) => {
    const intent = await awaitingTransfer(currency);
    expect(intent.next_action?.display_bank_transfer_instructions).toMatchObject({ type, financial_addresses: [{ type: address }] });
  });

  it('funded in part (partially_funded, amount_remaining falls), then in full (succeeded); more than is due is refused', async () => {
    const intent = await awaitingTransfer();
    const reference = intent.next_action!.display_bank_transfer_instructions!.reference!;
    const part = await fund(intent.id, { amount: 500, currency: 'eur', reference });
    expect(part).toMatchObject({ status: 'requires_action', amount_received: 500 });
    expect(part.next_action?.display_bank_transfer_instructions?.amount_remaining).toBe(1500);

    const over = await refusal(fund(intent.id, { amount: 1501, currency: 'eur' }));
    expect(over).toMatchObject({ statusCode: 400, code: 'amount_too_large', param: 'amount' });

    const rest = await fund(intent.id, { amount: 1500, currency: 'eur' });
    expect(rest).toMatchObject({ status: 'succeeded', amount_received: 2000, next_action: null });

    const events = await stripe.events.list({ type: 'payment_intent.partially_funded' });
    expect(events.data.some((e) => (e.data.object as { id: string }).id === intent.id)).toBe(true);

    const again = await refusal(fund(intent.id, { amount: 1, currency: 'eur' }));
    expect(again).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
  });

  it('another currency or reference is refused, naming it; nothing is applied', async () => {
    const intent = await awaitingTransfer();
    expect(await refusal(fund(intent.id, { amount: 500, currency: 'usd' }))).toMatchObject({ statusCode: 400, param: 'currency' });
    expect(await refusal(fund(intent.id, { amount: 500, currency: 'eur', reference: 'NOT-IT' }))).toMatchObject({
      statusCode: 400,
      param: 'reference',
    });
    expect((await stripe.paymentIntents.retrieve(intent.id)).amount_received).toBe(0);
  });

  it('bad input: a 400 naming the parameter', async () => {
    const intent = await awaitingTransfer();
    const sk = m.keys.test.secret;
    for (const [params, param] of [
      [{ currency: 'eur' }, 'amount'],
      [{ amount: 0, currency: 'eur' }, 'amount'],
      [{ amount: 1.5, currency: 'eur' }, 'amount'],
      [{ amount: 100 }, 'currency'],
      [{ amount: 100, currency: 'euro' }, 'currency'],
      [{ amount: 100, currency: 'eur', extra: 1 }, 'extra'],
    ] as const) {
      const { res, body } = await post(sk, `/v1/test_helpers/payment_intents/${intent.id}/fund`, params);
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(body.error.param).toBe(param);
    }
  });

  it('an intent not waiting for a transfer cannot be funded', async () => {
    const card = await create({ amount: 2000, currency: 'eur' });
    expect(await refusal(fund(card.id, { amount: 100, currency: 'eur' }))).toMatchObject({
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    });
  });

  it("another merchant's intent is a 404; a live key is refused", async () => {
    const intent = await awaitingTransfer();
    const other = await createMerchant('Someone else');
    expect(await refusal(fund(intent.id, { amount: 100, currency: 'eur' }, client(other.keys.test.secret)))).toMatchObject({
      statusCode: 404,
    });
    // A live key sees no test intent; on a live intent the helper is refused.
    const liveSdk = client(m.keys.live.secret);
    expect((await refusal(fund(intent.id, { amount: 100, currency: 'eur' }, liveSdk))).statusCode).toBe(404);
    const liveIntent = await create({ amount: 2000, currency: 'eur', payment_method_types: ['customer_balance'] }, liveSdk);
    expect(await refusal(fund(liveIntent.id, { amount: 100, currency: 'eur' }, liveSdk))).toMatchObject({ statusCode: 400, param: 'id' });
    expect((await stripe.paymentIntents.retrieve(intent.id)).amount_received).toBe(0);
  });

  it('capture_method manual is refused for a bank transfer', async () => {
    const error = await refusal(
      create({ amount: 2000, currency: 'eur', payment_method_types: ['customer_balance'], capture_method: 'manual' }),
    );
    expect(error).toMatchObject({ statusCode: 400, param: 'capture_method' });
  });
});

describe('live mode', () => {
  it.each([
    ['ideal', 'pm_ideal', 'eur', { return_url: RETURN_URL }],
    ['blik', 'pm_blik', 'pln', { payment_method_options: { blik: { code: '777123' } } }],
    ['customer_balance', 'pm_customer_balance', 'eur', {}],
  ] as const)('%s is refused as cards are: processor_not_configured', async (type, pm, currency, extra) => {
    const live = client(m.keys.live.secret);
    const intent = await create({ amount: 5000, currency, payment_method_types: [type] }, live);
    const error = await refusal(live.paymentIntents.confirm(intent.id, { payment_method: pm, ...extra }));
    expect(error).toMatchObject({ statusCode: 400, code: 'processor_not_configured' });
    expect((await get(m.keys.live.secret, `/v1/payment_intents/${intent.id}`)).body.status).toBe('requires_payment_method');
  });
});

describe('the hosted page of each waiting state', () => {
  const pageOf = async (intent: Stripe.PaymentIntent) => {
    const res = await call(`/pay/${intent.id}?client_secret=${encodeURIComponent(intent.client_secret!)}`);
    expect(res.status).toBe(200);
    return res.text();
  };

  it('a redirect: "Authorization required" and a link to the test authorization page', async () => {
    const { intent } = await redirected(REDIRECTS[2]);
    const html = await pageOf(intent);
    expect(html).toContain('Authorization required');
    expect(html).toContain(`href="${intent.next_action!.redirect_to_url!.url}"`);
  });

  it('blik: approve in the bank app; a bank transfer: the reference and the account', async () => {
    const blik = await create({
      amount: 5000,
      currency: 'pln',
      payment_method_types: ['blik'],
      payment_method: 'pm_blik',
      payment_method_options: { blik: { code: '777123' } },
      confirm: true,
    });
    expect(await pageOf(blik)).toContain('Approve in your bank app');
    const transfer = await create({
      amount: 2000,
      currency: 'gbp',
      payment_method_types: ['customer_balance'],
      payment_method: 'pm_customer_balance',
      confirm: true,
    });
    const html = await pageOf(transfer);
    expect(html).toContain('Waiting for your bank transfer');
    expect(html).toContain(transfer.next_action!.display_bank_transfer_instructions!.reference!);
    expect(html).toContain('108800');
    expect(html).not.toContain('id="card-form"');
  });
});
