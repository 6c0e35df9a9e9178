/**
 * Bad input on the operations of an existing intent (retrieve, update, confirm, capture, cancel) and
 * on the list: every refusal names the parameter and leaves the intent exactly as it was.
 */
import { describe, expect, it } from 'vitest';
import { call, createIntent, createMerchant, get, post } from '../helpers.js';
import { expectError, expectInvalid, expectMissing, expectNoIntents, freshKey, retrieve, UNKNOWN_INTENT_ID } from './validation-support.js';

/** A fresh merchant's key and one intent of it, as created. */
async function freshIntent(params: Record<string, unknown> = {}) {
  const key = await freshKey();
  const { res, body } = await createIntent(key, params);
  expect(res.status, JSON.stringify(body)).toBe(200);
  return { key, intent: body };
}

/** An intent authorized for a manual capture of 2000: requires_capture, amount_capturable 2000. */
async function authorizedIntent() {
  const { key, intent } = await freshIntent({ capture_method: 'manual' });
  const confirmed = await post(key, `/v1/payment_intents/${intent.id}/confirm`, { payment_method: 'pm_card_visa' });
  expect(confirmed.res.status).toBe(200);
  expect(confirmed.body).toMatchObject({ status: 'requires_capture', amount_capturable: 2000, amount_received: 0 });
  return { key, intent: confirmed.body };
}

async function expectUnchanged(key: string, before: any) {
  expect(await retrieve(key, before.id)).toEqual(before);
}

describe('update: bad parameters leave the intent unchanged', () => {
  it.each<[string, string, Record<string, unknown>]>([
    ['an unknown parameter', 'bogus', { bogus: 1 }],
    ['confirm (not an update parameter)', 'confirm', { confirm: true }],
    ['status (read-only)', 'status', { status: 'succeeded' }],
    ['confirmation_method (create only)', 'confirmation_method', { confirmation_method: 'manual' }],
    ['amount_received (read-only)', 'amount_received', { amount_received: 2000 }],
  ])('refuses %s with parameter_unknown', async (_name, param, json) => {
    const { key, intent } = await freshIntent();
    const error = await expectInvalid(await call(`/v1/payment_intents/${intent.id}`, { key, json }), param, 'parameter_unknown');
    expect(error.message).toBe(`Received unknown parameter: ${param}`);
    await expectUnchanged(key, intent);
  });

  it.each<[string, string, Record<string, unknown>, string?]>([
    ['amount "abc"', 'amount', { amount: 'abc' }],
    ['amount 0', 'amount', { amount: 0 }],
    ['amount -5', 'amount', { amount: -5 }],
    ['amount 10.5', 'amount', { amount: 10.5 }],
    ['amount 100000000', 'amount', { amount: 100_000_000 }, 'amount_too_large'],
    ['currency "xyz"', 'currency', { currency: 'xyz' }],
    ['currency 5', 'currency', { currency: 5 }],
    ['capture_method "later"', 'capture_method', { capture_method: 'later' }],
    ['payment_method_types ["bogus"]', 'payment_method_types[0]', { payment_method_types: ['bogus'] }],
    ['a 501-character metadata value', 'metadata[note]', { metadata: { note: 'v'.repeat(501) } }],
    ['a 41-character metadata key', `metadata[${'k'.repeat(41)}]`, { metadata: { ['k'.repeat(41)]: 'v' } }],
    ['a number metadata value', 'metadata[count]', { metadata: { count: 3 } }],
    ['a 1001-character description', 'description', { description: 'd'.repeat(1001) }],
    ['receipt_email "nope"', 'receipt_email', { receipt_email: 'nope' }],
    ['statement_descriptor with <', 'statement_descriptor', { statement_descriptor: 'Shop<b>' }],
    ['customer "jenny"', 'customer', { customer: 'jenny' }],
    ['a raw card number', 'payment_method', { payment_method: '4242424242424242' }],
  ])('refuses %s', async (_name, param, json, code = 'parameter_invalid') => {
    const { key, intent } = await freshIntent({ metadata: { order_id: 'A-1' }, description: 'Two mugs' });
    await expectInvalid(await call(`/v1/payment_intents/${intent.id}`, { key, json }), param, code);
    await expectUnchanged(key, intent);
  });

  it('refuses bad form-encoded updates the same way', async () => {
    const { key, intent } = await freshIntent();
    const path = `/v1/payment_intents/${intent.id}`;
    await expectInvalid(await call(path, { key, form: 'amount=abc' }), 'amount');
    await expectInvalid(await call(path, { key, form: 'metadata[a][b]=1' }), 'metadata[a]');
    await expectInvalid(await call(path, { key, form: 'bogus=1' }), 'bogus', 'parameter_unknown');
    await expectInvalid(await call(path, { key, form: 'amount=2000&currency=usd&x' }), 'x', 'parameter_unknown');
    await expectUnchanged(key, intent);
  });

  it('refuses an unknown PaymentMethod id with resource_missing', async () => {
    const { key, intent } = await freshIntent();
    await expectMissing(
      await call(`/v1/payment_intents/${intent.id}`, { key, json: { payment_method: 'pm_does_not_exist' } }),
      'payment_method',
    );
    await expectUnchanged(key, intent);
  });

  it('refuses a malformed JSON body and a wrong content type', async () => {
    const { key, intent } = await freshIntent();
    const path = `/v1/payment_intents/${intent.id}`;
    const malformed = await call(path, { key, method: 'POST', body: '{"description":', headers: { 'Content-Type': 'application/json' } });
    await expectInvalid(malformed, null, 'body_invalid');
    const text = await call(path, { key, method: 'POST', body: 'description=x', headers: { 'Content-Type': 'text/plain' } });
    await expectInvalid(text, null, 'content_type_invalid');
    await expectUnchanged(key, intent);
  });

  it('refuses changing the amount of a succeeded intent, naming amount', async () => {
    const { key, intent } = await freshIntent({ confirm: true, payment_method: 'pm_card_visa' });
    expect(intent.status).toBe('succeeded');
    const error = await expectInvalid(
      await call(`/v1/payment_intents/${intent.id}`, { key, json: { amount: 3000 } }),
      'amount',
      'payment_intent_unexpected_state',
    );
    expect(error.message).toContain('succeeded');
    await expectUnchanged(key, intent);
  });

  it('refuses any update of a canceled intent', async () => {
    const { key, intent } = await freshIntent();
    const canceled = await post(key, `/v1/payment_intents/${intent.id}/cancel`);
    expect(canceled.body.status).toBe('canceled');
    await expectInvalid(
      await call(`/v1/payment_intents/${intent.id}`, { key, json: { description: 'too late' } }),
      null,
      'payment_intent_unexpected_state',
    );
    await expectUnchanged(key, canceled.body);
  });
});

describe('confirm: bad parameters leave the intent unchanged', () => {
  it.each<[string, string, Record<string, unknown>, string]>([
    ['an unknown parameter', 'metadata', { payment_method: 'pm_card_visa', metadata: { a: 'b' } }, 'parameter_unknown'],
    ['an amount on an intent whose merchant set it', 'amount', { payment_method: 'pm_card_visa', amount: 1 }, 'parameter_invalid'],
    ['capture_method (not a confirm parameter)', 'capture_method', { capture_method: 'manual' }, 'parameter_unknown'],
    ['a raw card number', 'payment_method', { payment_method: '4242424242424242' }, 'parameter_invalid'],
    ['payment_method as a number', 'payment_method', { payment_method: 4242 }, 'parameter_invalid'],
    ['an ftp return_url', 'return_url', { payment_method: 'pm_card_visa', return_url: 'ftp://shop.example/done' }, 'parameter_invalid'],
    ['no payment method at all', 'payment_method', {}, 'parameter_missing'],
    [
      'a payment method of a type not allowed',
      'payment_method',
      { payment_method: 'pm_usBankAccount' },
      'payment_intent_incompatible_payment_method',
    ],
  ])('refuses %s', async (_name, param, json, code) => {
    const { key, intent } = await freshIntent();
    await expectInvalid(await call(`/v1/payment_intents/${intent.id}/confirm`, { key, json }), param, code);
    const after = await retrieve(key, intent.id);
    expect(after).toEqual(intent);
    expect(after.status).toBe('requires_payment_method');
  });

  it('refuses an unknown PaymentMethod id with resource_missing and does not attempt a payment', async () => {
    const { key, intent } = await freshIntent();
    const error = await expectMissing(
      await call(`/v1/payment_intents/${intent.id}/confirm`, { key, json: { payment_method: 'pm_does_not_exist' } }),
      'payment_method',
    );
    expect(error.message).toContain('pm_does_not_exist');
    await expectUnchanged(key, intent);
  });

  it('refuses a raw card number in form encoding without echoing it', async () => {
    const { key, intent } = await freshIntent();
    const error = await expectInvalid(
      await call(`/v1/payment_intents/${intent.id}/confirm`, { key, form: 'payment_method=4242424242424242' }),
      'payment_method',
    );
    expect(error.message).toMatch(/raw card numbers are never accepted/);
    expect(error.message).not.toContain('4242424242424242');
    await expectUnchanged(key, intent);
  });

  it('refuses to confirm a succeeded intent again', async () => {
    const { key, intent } = await freshIntent({ confirm: true, payment_method: 'pm_card_visa' });
    await expectInvalid(
      await call(`/v1/payment_intents/${intent.id}/confirm`, { key, json: { payment_method: 'pm_card_visa' } }),
      null,
      'payment_intent_unexpected_state',
    );
    await expectUnchanged(key, intent);
  });
});

describe('capture: bad amounts leave the authorization untouched', () => {
  it.each<[string, unknown, string]>([
    ['"0"', '0', 'parameter_invalid'],
    ['0', 0, 'parameter_invalid'],
    ['"-5"', '-5', 'parameter_invalid'],
    ['-5', -5, 'parameter_invalid'],
    ['"abc"', 'abc', 'parameter_invalid'],
    ['10.5', 10.5, 'parameter_invalid'],
    ['true', true, 'parameter_invalid'],
    ['2001 (over amount_capturable)', 2001, 'amount_too_large'],
    ['"2001" (over amount_capturable)', '2001', 'amount_too_large'],
    ['100000000 (over the cap)', 100_000_000, 'amount_too_large'],
  ])('refuses amount_to_capture %s', async (_name, amount_to_capture, code) => {
    const { key, intent } = await authorizedIntent();
    await expectInvalid(
      await call(`/v1/payment_intents/${intent.id}/capture`, { key, json: { amount_to_capture } }),
      'amount_to_capture',
      code,
    );
    await expectUnchanged(key, intent);
  });

  it('says how much is capturable when amount_to_capture is over it', async () => {
    const { key, intent } = await authorizedIntent();
    const error = await expectInvalid(
      await call(`/v1/payment_intents/${intent.id}/capture`, { key, json: { amount_to_capture: 5000 } }),
      'amount_to_capture',
      'amount_too_large',
    );
    expect(error.message).toContain('2000');
    await expectUnchanged(key, intent);
  });

  it('refuses form-encoded amount_to_capture=0 and an unknown parameter, then still captures a valid amount', async () => {
    const { key, intent } = await authorizedIntent();
    const path = `/v1/payment_intents/${intent.id}/capture`;
    await expectInvalid(await call(path, { key, form: 'amount_to_capture=0' }), 'amount_to_capture');
    await expectInvalid(await call(path, { key, form: 'amount_to_capture=-5' }), 'amount_to_capture');
    await expectInvalid(await call(path, { key, json: { amount: 1500 } }), 'amount', 'parameter_unknown');
    await expectUnchanged(key, intent);
    const captured = await post(key, path, { amount_to_capture: 1500 });
    expect(captured.res.status).toBe(200);
    expect(captured.body).toMatchObject({ status: 'succeeded', amount_received: 1500, amount_capturable: 0 });
  });

  it('refuses to capture an intent that is not authorized', async () => {
    const { key, intent } = await freshIntent();
    const error = await expectInvalid(
      await call(`/v1/payment_intents/${intent.id}/capture`, { key, method: 'POST' }),
      null,
      'payment_intent_unexpected_state',
    );
    expect(error.message).toContain('requires_payment_method');
    await expectUnchanged(key, intent);
  });
});

describe('cancel: bad parameters leave the intent unchanged', () => {
  it.each<[string, string, Record<string, unknown>, string]>([
    ['an unknown reason', 'cancellation_reason', { cancellation_reason: 'because' }, 'parameter_invalid'],
    ['an upper-case reason', 'cancellation_reason', { cancellation_reason: 'DUPLICATE' }, 'parameter_invalid'],
    ['a number as reason', 'cancellation_reason', { cancellation_reason: 1 }, 'parameter_invalid'],
    ['an unknown parameter', 'reason', { reason: 'duplicate' }, 'parameter_unknown'],
  ])('refuses %s', async (_name, param, json, code) => {
    const { key, intent } = await freshIntent();
    await expectInvalid(await call(`/v1/payment_intents/${intent.id}/cancel`, { key, json }), param, code);
    await expectUnchanged(key, intent);
  });

  it('refuses a bad form-encoded reason, then cancels with a valid one', async () => {
    const { key, intent } = await freshIntent();
    const path = `/v1/payment_intents/${intent.id}/cancel`;
    await expectInvalid(await call(path, { key, form: 'cancellation_reason=nope' }), 'cancellation_reason');
    await expectUnchanged(key, intent);
    const canceled = await call(path, { key, form: 'cancellation_reason=requested_by_customer' });
    expect(canceled.status).toBe(200);
    expect(await canceled.json()).toMatchObject({ status: 'canceled', cancellation_reason: 'requested_by_customer' });
  });

  it('refuses to cancel a succeeded intent', async () => {
    const { key, intent } = await freshIntent({ confirm: true, payment_method: 'pm_card_visa' });
    await expectInvalid(
      await call(`/v1/payment_intents/${intent.id}/cancel`, { key, method: 'POST' }),
      null,
      'payment_intent_unexpected_state',
    );
    await expectUnchanged(key, intent);
  });
});

describe('unknown and malformed intent ids', () => {
  const operations: [string, (key: string, id: string) => Promise<Response>][] = [
    ['retrieve', (key, id) => call(`/v1/payment_intents/${id}`, { key })],
    ['update', (key, id) => call(`/v1/payment_intents/${id}`, { key, json: { description: 'x' } })],
    ['confirm', (key, id) => call(`/v1/payment_intents/${id}/confirm`, { key, json: { payment_method: 'pm_card_visa' } })],
    ['capture', (key, id) => call(`/v1/payment_intents/${id}/capture`, { key, method: 'POST' })],
    ['cancel', (key, id) => call(`/v1/payment_intents/${id}/cancel`, { key, method: 'POST' })],
  ];
  const ids = [UNKNOWN_INTENT_ID, 'pi_123', 'foo', `pi_${'A'.repeat(23)}-`, `pi_${'A'.repeat(25)}`, 'pi_%20', `${UNKNOWN_INTENT_ID}%00`];

  it.each(operations)('%s answers 404 resource_missing for unknown and malformed ids, creating nothing', async (_name, send) => {
    const key = await freshKey();
    for (const id of ids) {
      const error = await expectMissing(await send(key, id), 'intent');
      expect(error.message).toMatch(/^No such payment_intent: /);
    }
    await expectNoIntents(key);
  });

  it.each(operations)("%s answers 404 for another merchant's intent and leaves it alone", async (_name, send) => {
    const { key: owner, intent } = await freshIntent();
    const other = await freshKey();
    await expectMissing(await send(other, intent.id), 'intent');
    await expectUnchanged(owner, intent);
  });

  it("answers 404 for a test intent looked up with the same merchant's live key", async () => {
    const merchant = await createMerchant();
    const { body: intent } = await createIntent(merchant.keys.test.secret);
    await expectMissing(await call(`/v1/payment_intents/${intent.id}`, { key: merchant.keys.live.secret }), 'intent');
    await expectMissing(
      await call(`/v1/payment_intents/${intent.id}/cancel`, { key: merchant.keys.live.secret, method: 'POST' }),
      'intent',
    );
    await expectUnchanged(merchant.keys.test.secret, intent);
  });
});

describe('retrieve: query parameters', () => {
  it('refuses an unknown query parameter', async () => {
    const { key, intent } = await freshIntent();
    await expectInvalid(await call(`/v1/payment_intents/${intent.id}?expand=customer`, { key }), 'expand', 'parameter_unknown');
  });

  it('needs client_secret with a publishable key, and refuses a wrong one as if the intent did not exist', async () => {
    const merchant = await createMerchant();
    const { body: intent } = await createIntent(merchant.keys.test.secret);
    const pk = merchant.keys.test.publishable;
    await expectInvalid(await call(`/v1/payment_intents/${intent.id}`, { key: pk }), 'client_secret', 'parameter_missing');
    await expectMissing(await call(`/v1/payment_intents/${intent.id}?client_secret=${intent.id}_secret_wrong`, { key: pk }), 'intent');
    await expectMissing(
      await call(`/v1/payment_intents/${intent.id}?client_secret=${intent.id}_secret_wrong`, { key: merchant.keys.test.secret }),
      'intent',
    );
    const ok = await call(`/v1/payment_intents/${intent.id}?client_secret=${encodeURIComponent(intent.client_secret)}`, { key: pk });
    expect(ok.status).toBe(200);
    const browser = (await ok.json()) as any;
    expect(browser.id).toBe(intent.id);
    expect(browser).not.toHaveProperty('metadata');
  });
});

describe('list: bad query parameters', () => {
  const LIST = '/v1/payment_intents';

  it.each<[string, string, string, string?]>([
    ['limit=0', 'limit=0', 'limit'],
    ['limit=101', 'limit=101', 'limit'],
    ['limit=abc', 'limit=abc', 'limit'],
    ['limit=-1', 'limit=-1', 'limit'],
    ['limit=1.5', 'limit=1.5', 'limit'],
    ['an empty limit', 'limit=', 'limit'],
    ['limit=1e2', 'limit=1e2', 'limit'],
    ['a repeated limit', 'limit=5&limit=6', 'limit'],
    ['both starting_after and ending_before', `starting_after=${UNKNOWN_INTENT_ID}&ending_before=${UNKNOWN_INTENT_ID}`, 'ending_before'],
    ['status=bogus', 'status=bogus', 'status'],
    ['status=Succeeded', 'status=Succeeded', 'status'],
    ['created[gt]=abc', 'created[gt]=abc', 'created[gt]'],
    ['created[lte]=-1', 'created[lte]=-1', 'created[lte]'],
    ['created[gte]=1.5', 'created[gte]=1.5', 'created[gte]'],
    ['created=yesterday', 'created=yesterday', 'created'],
    ['customer=jenny', 'customer=jenny', 'customer'],
    ['an unknown parameter', 'foo=1', 'foo', 'parameter_unknown'],
    ['an unknown created operator', 'created[ne]=5', 'created[ne]', 'parameter_unknown'],
    ['expand[]', 'expand[]=data.customer', 'expand[]', 'parameter_unknown'],
  ])('refuses %s', async (_name, query, param, code = 'parameter_invalid') => {
    const { key } = await freshIntent();
    await expectInvalid(await call(`${LIST}?${query}`, { key }), param, code);
  });

  it('says the valid range of limit', async () => {
    const key = await freshKey();
    const error = await expectInvalid(await call(`${LIST}?limit=101`, { key }), 'limit');
    expect(error.message).toMatch(/between 1 and 100/);
  });

  it.each(['starting_after', 'ending_before'])('answers 404 resource_missing naming %s for an unknown cursor', async (param) => {
    const { key } = await freshIntent();
    for (const cursor of [UNKNOWN_INTENT_ID, 'foo', 'pi_123']) {
      const error = await expectMissing(await call(`${LIST}?${param}=${cursor}`, { key }), param);
      expect(error.message).toContain(cursor);
    }
  });

  it("refuses another merchant's intent as a cursor", async () => {
    const { intent } = await freshIntent();
    const { key } = await freshIntent();
    await expectMissing(await call(`${LIST}?starting_after=${intent.id}`, { key }), 'starting_after');
  });

  it('accepts the limits 1 and 100 and a known cursor', async () => {
    const { key, intent } = await freshIntent();
    const second = await createIntent(key);
    const one = await get(key, `${LIST}?limit=1`);
    expect(one.res.status).toBe(200);
    expect(one.body).toMatchObject({ object: 'list', has_more: true });
    expect(one.body.data.map((i: any) => i.id)).toEqual([second.body.id]);
    const rest = await get(key, `${LIST}?limit=100&starting_after=${second.body.id}`);
    expect(rest.res.status).toBe(200);
    expect(rest.body.data.map((i: any) => i.id)).toEqual([intent.id]);
    expect(rest.body.has_more).toBe(false);
  });
});

describe('error responses on operations carry the envelope headers', () => {
  it('sets Request-Id and a JSON content type on a refusal decided inside the Durable Object', async () => {
    const { key, intent } = await freshIntent();
    const res = await call(`/v1/payment_intents/${intent.id}/capture`, { key, json: { amount_to_capture: 1 } });
    const error = await expectError(res, { status: 400, code: 'payment_intent_unexpected_state', param: null });
    expect(error.message).toMatch(/capture/);
  });
});
