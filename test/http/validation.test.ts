/**
 * Bad input on POST /v1/payment_intents, in JSON and in form encoding: every refusal is a 4xx with
 * the error envelope naming the parameter, and nothing is created.
 */
import { describe, expect, it } from 'vitest';
import { call, get } from '../helpers.js';
import { expectError, expectInvalid, expectMissing, expectNoIntents, freshKey, rawJson, retrieve } from './validation-support.js';

const CREATE = '/v1/payment_intents';
const base = { amount: 2000, currency: 'usd' };

describe('create: body decoding', () => {
  it('refuses malformed JSON with body_invalid and creates nothing', async () => {
    const key = await freshKey();
    const error = await expectInvalid(await rawJson(key, CREATE, '{"amount": 2000, "currency": "usd",'), null, 'body_invalid');
    expect(error.message).toMatch(/not valid JSON/);
    await expectNoIntents(key);
  });

  it.each([
    ['an array', '[{"amount":2000,"currency":"usd"}]'],
    ['a string', '"amount=2000"'],
    ['a number', '2000'],
    ['null', 'null'],
  ])('refuses a JSON body that is %s, not an object', async (_name, text) => {
    const key = await freshKey();
    const error = await expectInvalid(await rawJson(key, CREATE, text), null, 'body_invalid');
    expect(error.message).toMatch(/must be a JSON object/);
    await expectNoIntents(key);
  });

  it('refuses text/plain with content_type_invalid naming the type', async () => {
    const key = await freshKey();
    const res = await call(CREATE, { key, method: 'POST', body: 'amount=2000&currency=usd', headers: { 'Content-Type': 'text/plain' } });
    const error = await expectInvalid(res, null, 'content_type_invalid');
    expect(error.message).toContain('text/plain');
    await expectNoIntents(key);
  });

  it('refuses multipart/form-data with content_type_invalid', async () => {
    const key = await freshKey();
    const form = new FormData();
    form.set('amount', '2000');
    form.set('currency', 'usd');
    const error = await expectInvalid(await call(CREATE, { key, method: 'POST', body: form }), null, 'content_type_invalid');
    expect(error.message).toContain('multipart/form-data');
    await expectNoIntents(key);
  });

  it('refuses a body without any Content-Type', async () => {
    const key = await freshKey();
    const body = new TextEncoder().encode(JSON.stringify(base));
    const error = await expectInvalid(await call(CREATE, { key, method: 'POST', body }), null, 'content_type_invalid');
    expect(error.message).toContain('(none)');
    await expectNoIntents(key);
  });

  it('refuses JSON sent as a form (curl -d without a Content-Type) saying which Content-Type to send, not "Missing required param"', async () => {
    const key = await freshKey();
    const res = await call(CREATE, { key, form: JSON.stringify(base) });
    const error = await expectInvalid(res, null, 'content_type_invalid');
    expect(error.message).toContain('Content-Type: application/json');
    expect(error.message).not.toMatch(/Missing required param/);
    await expectNoIntents(key);
  });

  it('says a body with no Content-Type is JSON when it is', async () => {
    const key = await freshKey();
    const body = new TextEncoder().encode(JSON.stringify(base)); // bytes: no Content-Type is added
    const error = await expectInvalid(await call(CREATE, { key, method: 'POST', body }), null, 'content_type_invalid');
    expect(error.message).toContain('(none)');
    expect(error.message).toContain('The body is JSON: send it with Content-Type: application/json.');
    await expectNoIntents(key);
  });

  it('refuses a body over 64 KiB before parsing it', async () => {
    const key = await freshKey();
    const error = await expectInvalid(
      await call(CREATE, { key, json: { ...base, description: 'x'.repeat(70_000) } }),
      null,
      'body_invalid',
    );
    expect(error.message).toMatch(/larger than 65536 bytes/);
    await expectNoIntents(key);
  });

  it('treats an empty body as no parameters: amount is missing', async () => {
    const key = await freshKey();
    await expectInvalid(await call(CREATE, { key, method: 'POST' }), 'amount', 'parameter_missing');
    await expectNoIntents(key);
  });

  it('accepts application/json with parameters and any case', async () => {
    const key = await freshKey();
    const res = await call(CREATE, {
      key,
      method: 'POST',
      body: JSON.stringify(base),
      headers: { 'Content-Type': 'Application/JSON; charset=utf-8' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: 'payment_intent', amount: 2000, currency: 'usd' });
  });
});

describe('create (JSON): missing and unknown parameters', () => {
  it.each([
    ['amount', { currency: 'usd' }],
    ['currency', { amount: 2000 }],
    ['amount', {}],
  ])('names the missing %s with parameter_missing', async (param, json) => {
    const key = await freshKey();
    const error = await expectInvalid(await call(CREATE, { key, json }), param, 'parameter_missing');
    expect(error.message).toBe(`Missing required param: ${param}.`);
    await expectNoIntents(key);
  });

  it.each([
    ['bogus', { ...base, bogus: 1 }],
    ['Amount', { ...base, Amount: 2000 }],
    ['status', { ...base, status: 'succeeded' }],
    ['amount_received', { ...base, amount_received: 2000 }],
    ['client_secret', { ...base, client_secret: 'pi_x_secret_y' }],
    ['payment_method_data', { ...base, payment_method_data: { type: 'card' } }],
  ])('refuses the unknown parameter %s with parameter_unknown', async (param, json) => {
    const key = await freshKey();
    const error = await expectInvalid(await call(CREATE, { key, json }), param, 'parameter_unknown');
    expect(error.message).toBe(`Received unknown parameter: ${param}`);
    await expectNoIntents(key);
  });

  it('refuses an own __proto__ key as an unknown parameter', async () => {
    const key = await freshKey();
    const res = await rawJson(key, CREATE, '{"amount":2000,"currency":"usd","__proto__":{"status":"succeeded"}}');
    await expectInvalid(res, '__proto__', 'parameter_unknown');
    await expectNoIntents(key);
  });
});

describe('create (JSON): amount', () => {
  it.each<[string, unknown]>([
    ['a non-numeric string', 'abc'],
    ['true', true],
    ['an object', {}],
    ['an array', [2000]],
    ['null', null],
    ['zero', 0],
    ['the string "0"', '0'],
    ['negative', -1],
    ['a negative string', '-5'],
    ['the string "-0"', '-0'],
    ['fractional', 10.5],
    ['a fractional string', '10.5'],
    ['an exponent string', '1e3'],
    ['a string with spaces', ' 2000'],
    ['a hex string', '0x10'],
    ['an empty string', ''],
    ['a huge negative number', -1e20],
  ])('refuses amount as %s with parameter_invalid', async (_name, amount) => {
    const key = await freshKey();
    const error = await expectInvalid(await call(CREATE, { key, json: { ...base, amount } }), 'amount');
    expect(error.message).toMatch(/amount/);
    await expectNoIntents(key);
  });

  it.each<[string, unknown]>([
    ['100000000 (nine digits)', 100_000_000],
    ['"100000000"', '100000000'],
    ['a 30-digit string', '123456789012345678901234567890'],
    ['1e300', 1e300],
  ])('refuses amount %s with amount_too_large', async (_name, amount) => {
    const key = await freshKey();
    const error = await expectInvalid(await call(CREATE, { key, json: { ...base, amount } }), 'amount', 'amount_too_large');
    expect(error.message).toContain('99999999');
    await expectNoIntents(key);
  });

  it('refuses 2^53+1 sent as a JSON number (it cannot be read exactly) with amount_too_large', async () => {
    const key = await freshKey();
    const res = await rawJson(key, CREATE, '{"amount":9007199254740993,"currency":"usd"}');
    await expectInvalid(res, 'amount', 'amount_too_large');
    await expectNoIntents(key);
  });

  it('accepts the largest amount, 99999999, and an amount as a digit string', async () => {
    const key = await freshKey();
    const largest = await call(CREATE, { key, json: { ...base, amount: 99_999_999 } });
    expect(largest.status).toBe(200);
    expect(((await largest.json()) as any).amount).toBe(99_999_999);
    const text = await call(CREATE, { key, json: { ...base, amount: '1099' } });
    expect(text.status).toBe(200);
    expect(((await text.json()) as any).amount).toBe(1099);
  });
});

describe('create (JSON): currency', () => {
  it.each<[string, unknown]>([
    ['an unknown code', 'xyz'],
    ['two letters', 'us'],
    ['four letters', 'usdd'],
    ['empty', ''],
    ['a symbol', '$'],
  ])('refuses currency as %s with parameter_invalid', async (_name, currency) => {
    const key = await freshKey();
    const error = await expectInvalid(await call(CREATE, { key, json: { ...base, currency } }), 'currency');
    expect(error.message).toContain(JSON.stringify(currency));
    await expectNoIntents(key);
  });

  it.each<[string, unknown]>([
    ['a number', 5],
    ['null', null],
    ['an array', ['usd']],
  ])('refuses currency as %s with parameter_invalid (it was sent, so it is not missing)', async (_name, currency) => {
    const key = await freshKey();
    await expectInvalid(await call(CREATE, { key, json: { ...base, currency } }), 'currency');
    await expectNoIntents(key);
  });

  it('accepts upper-case USD and stores it lower-cased', async () => {
    const key = await freshKey();
    const res = await call(CREATE, { key, json: { ...base, currency: 'USD' } });
    expect(res.status).toBe(200);
    const created = (await res.json()) as any;
    expect(created.currency).toBe('usd');
    expect((await retrieve(key, created.id)).currency).toBe('usd');
  });
});

describe('create (JSON): enums', () => {
  it.each<[string, Record<string, unknown>]>([
    ['capture_method', { capture_method: 'later' }],
    ['capture_method', { capture_method: 'MANUAL' }],
    ['confirmation_method', { confirmation_method: 'sometimes' }],
    ['payment_method_types[0]', { payment_method_types: ['bogus'] }],
    ['payment_method_types[1]', { payment_method_types: ['card', 'sofort'] }],
    ['payment_method_types', { payment_method_types: [] }],
    ['payment_method_types', { payment_method_types: ['card', 'card'] }],
    ['payment_method_types', { payment_method_types: 'card' }],
    ['confirm', { confirm: 'yes' }],
    ['confirm', { confirm: 1 }],
  ])('refuses a bad %s with parameter_invalid', async (param, extra) => {
    const key = await freshKey();
    await expectInvalid(await call(CREATE, { key, json: { ...base, ...extra } }), param);
    await expectNoIntents(key);
  });
});

describe('create (JSON): metadata', () => {
  const fiftyOne = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`key_${i}`, 'v']));
  it.each<[string, string, unknown, RegExp]>([
    ['51 keys', 'metadata', fiftyOne, /at most 50 keys/],
    ['a 41-character key', `metadata[${'k'.repeat(41)}]`, { ['k'.repeat(41)]: 'v' }, /.+/],
    ['a 501-character value', 'metadata[note]', { note: 'v'.repeat(501) }, /at most 500 characters/],
    ['a number value', 'metadata[count]', { count: 1 }, /.+/],
    ['a boolean value', 'metadata[vip]', { vip: true }, /.+/],
    ['a nested object value', 'metadata[address]', { address: { city: 'Paris' } }, /.+/],
    ['an array', 'metadata', ['order_id'], /.+/],
    ['a string', 'metadata', 'order_id=A-1', /.+/],
  ])('refuses metadata with %s with parameter_invalid', async (_name, param, metadata, message) => {
    const key = await freshKey();
    const error = await expectInvalid(await call(CREATE, { key, json: { ...base, metadata } }), param);
    expect(error.message).toMatch(message);
    await expectNoIntents(key);
  });

  it('accepts exactly 50 keys of 40 characters with 500-character values', async () => {
    const key = await freshKey();
    const metadata = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [String(i).padStart(40, 'k'), 'v'.repeat(500)]));
    const res = await call(CREATE, { key, json: { ...base, metadata } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).metadata).toEqual(metadata);
  });

  it('does not silently drop a metadata key named __proto__', async () => {
    const key = await freshKey();
    const res = await rawJson(key, CREATE, '{"amount":2000,"currency":"usd","metadata":{"__proto__":"x","order_id":"A-1"}}');
    if (res.status === 200) {
      // Stored: it must come back as it was sent.
      const created = (await res.json()) as any;
      expect(Object.keys(created.metadata).sort()).toEqual(['__proto__', 'order_id']);
    } else {
      // Refused: then it must be named and nothing created.
      await expectInvalid(res, 'metadata[__proto__]');
      await expectNoIntents(key);
    }
  });
});

describe('create (JSON): payment method', () => {
  it.each(['4242424242424242', '4242 4242 4242 4242', '4242-4242-4242-4242', '378282246310005'])(
    'refuses the raw card number %s, saying raw card numbers are never accepted, without echoing it',
    async (number) => {
      const key = await freshKey();
      const error = await expectInvalid(await call(CREATE, { key, json: { ...base, payment_method: number } }), 'payment_method');
      expect(error.message).toMatch(/raw card numbers are never accepted/);
      expect(error.message).not.toContain(number);
      expect(error.message).not.toContain('4242424242');
      await expectNoIntents(key);
    },
  );

  it.each<[string, unknown]>([
    ['a token id', 'tok_visa'],
    ['an id without prefix', 'card_visa'],
    ['an empty string', ''],
    ['a number', 4242],
    ['an object', { card: { brand: 'visa' } }],
  ])('refuses payment_method as %s with parameter_invalid', async (_name, payment_method) => {
    const key = await freshKey();
    await expectInvalid(await call(CREATE, { key, json: { ...base, payment_method } }), 'payment_method');
    await expectNoIntents(key);
  });

  it('refuses an unknown PaymentMethod id with resource_missing naming payment_method', async () => {
    const key = await freshKey();
    const error = await expectMissing(
      await call(CREATE, { key, json: { ...base, payment_method: 'pm_does_not_exist' } }),
      'payment_method',
    );
    expect(error.message).toContain('pm_does_not_exist');
    await expectNoIntents(key);
  });

  it('refuses a payment method whose type is not in payment_method_types', async () => {
    const key = await freshKey();
    const res = await call(CREATE, { key, json: { ...base, payment_method: 'pm_usBankAccount', payment_method_types: ['card'] } });
    await expectInvalid(res, 'payment_method', 'payment_intent_incompatible_payment_method');
    await expectNoIntents(key);
  });

  it('refuses confirm=true without payment_method with parameter_missing', async () => {
    const key = await freshKey();
    await expectInvalid(await call(CREATE, { key, json: { ...base, confirm: true } }), 'payment_method', 'parameter_missing');
    await expectNoIntents(key);
  });
});

describe('create (JSON): other fields', () => {
  it.each<[string, Record<string, unknown>]>([
    ['receipt_email', { receipt_email: 'not-an-email' }],
    ['receipt_email', { receipt_email: 'jenny@' }],
    ['receipt_email', { receipt_email: '@example.com' }],
    ['receipt_email', { receipt_email: 'jenny rosen@example.com' }],
    ['statement_descriptor', { statement_descriptor: 'A'.repeat(23) }],
    ['statement_descriptor', { statement_descriptor: 'Shop<script>' }],
    ['statement_descriptor', { statement_descriptor: "Joe's Shop" }],
    ['statement_descriptor', { statement_descriptor: 'Shop "best"' }],
    ['statement_descriptor', { statement_descriptor: 'Shop*Sale' }],
    ['statement_descriptor', { statement_descriptor: 'Shop\\Sale' }],
    ['statement_descriptor', { statement_descriptor: 'Abc' }],
    ['statement_descriptor', { statement_descriptor: '1234567' }],
    ['description', { description: 'd'.repeat(1001) }],
    ['customer', { customer: 'jenny' }],
    ['customer', { customer: 'cus_with-dash' }],
  ])('refuses a bad %s with parameter_invalid', async (param, extra) => {
    const key = await freshKey();
    await expectInvalid(await call(CREATE, { key, json: { ...base, ...extra } }), param);
    await expectNoIntents(key);
  });

  it.each(['ftp://example.com/done', 'javascript:alert(1)', 'data:text/html,hi', '/checkout/done', 'example.com/done', 'not a url'])(
    'refuses return_url %s (not an absolute http(s) URL)',
    async (return_url) => {
      const key = await freshKey();
      const res = await call(CREATE, { key, json: { ...base, confirm: true, payment_method: 'pm_card_visa', return_url } });
      const error = await expectInvalid(res, 'return_url');
      expect(error.message).toMatch(/http\(s\)/);
      await expectNoIntents(key);
    },
  );

  it('refuses return_url without confirm=true', async () => {
    const key = await freshKey();
    const res = await call(CREATE, { key, json: { ...base, return_url: 'https://shop.example/done' } });
    const error = await expectInvalid(res, 'return_url');
    expect(error.message).toMatch(/confirm=true/);
    await expectNoIntents(key);
  });

  it('accepts a valid statement_descriptor, receipt_email and customer', async () => {
    const key = await freshKey();
    const extra = { statement_descriptor: 'ACME SHOP', receipt_email: 'jenny@example.com', customer: 'cus_123' };
    const res = await call(CREATE, { key, json: { ...base, ...extra } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject(extra);
  });
});

describe('create (form encoding)', () => {
  const form = (key: string, body: string) => call(CREATE, { key, form: body });

  it('creates from a valid form body, with metadata[order_id]=A-1 round-tripping', async () => {
    const key = await freshKey();
    const res = await form(key, 'amount=2000&currency=usd&metadata[order_id]=A-1&capture_method=manual&description=Two+mugs');
    expect(res.status).toBe(200);
    const created = (await res.json()) as any;
    expect(created).toMatchObject({
      amount: 2000,
      currency: 'usd',
      capture_method: 'manual',
      description: 'Two mugs',
      metadata: { order_id: 'A-1' },
    });
    expect((await retrieve(key, created.id)).metadata).toEqual({ order_id: 'A-1' });
    const list = await get(key, '/v1/payment_intents');
    expect(list.body.data.map((i: any) => i.id)).toEqual([created.id]);
  });

  it.each([
    ['a lone surrogate', 'statement_descriptor=%22%00%5D%ED%A0%80', 'statement_descriptor'],
    ['a truncated sequence', 'description=%E2%82', 'description'],
    ['a bad escape', 'metadata[order_id]=%ZZ', 'metadata[order_id]'],
  ])(
    'refuses a value whose percent-encoding is not UTF-8 (%s), naming the parameter, instead of keeping its raw text',
    async (_name, pair, param) => {
      const key = await freshKey();
      const error = await expectInvalid(await form(key, `amount=2000&currency=usd&${pair}`), param, 'parameter_invalid');
      expect(error.message).toMatch(/not valid percent-encoded UTF-8/);
      await expectNoIntents(key);
    },
  );

  it('refuses a parameter name whose percent-encoding is not UTF-8', async () => {
    const key = await freshKey();
    const error = await expectInvalid(await form(key, 'amount=2000&currency=usd&%ED%A0%80=1'), null, 'body_invalid');
    expect(error.message).toMatch(/parameter name/);
    await expectNoIntents(key);
  });

  it.each([
    ['a lone surrogate', 'customer=%ED%A0%80', 'customer'],
    ['a bad escape', 'created[gte]=%ZZ', 'created[gte]'],
  ])('refuses a query value whose percent-encoding is not UTF-8 (%s), naming the parameter', async (_name, pair, param) => {
    const key = await freshKey();
    const error = await expectInvalid(await call(`/v1/payment_intents?${pair}`, { key }), param, 'parameter_invalid');
    expect(error.message).toMatch(/not valid percent-encoded UTF-8/);
    // A name that does not decode is an unknown parameter, named as sent; a well-formed query still lists.
    await expectInvalid(await call('/v1/payment_intents?%E2%82=1', { key }), '%E2%82', 'parameter_unknown');
    expect((await call('/v1/payment_intents?limit=3&created%5Bgte%5D=1', { key })).status).toBe(200);
  });

  it('accepts percent-encoded brackets, metadata[a]=1 as the string "1", and USD', async () => {
    const key = await freshKey();
    const res = await form(key, 'amount=2000&currency=USD&metadata%5Ba%5D=1');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ currency: 'usd', metadata: { a: '1' } });
  });

  it('accepts payment_method_types[]= repeated, and confirm=true with a payment method', async () => {
    const key = await freshKey();
    const res = await form(
      key,
      'amount=2000&currency=usd&payment_method_types[]=card&payment_method_types[]=us_bank_account&confirm=true&payment_method=pm_card_visa',
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ payment_method_types: ['card', 'us_bank_account'], status: 'succeeded' });
  });

  it.each<[string, string, string, string]>([
    ['amount=abc', 'amount=abc&currency=usd', 'amount', 'parameter_invalid'],
    ['an empty amount', 'amount=&currency=usd', 'amount', 'parameter_invalid'],
    ['amount=0', 'amount=0&currency=usd', 'amount', 'parameter_invalid'],
    ['amount=-5', 'amount=-5&currency=usd', 'amount', 'parameter_invalid'],
    ['amount=10.5', 'amount=10.5&currency=usd', 'amount', 'parameter_invalid'],
    ['amount=1e3', 'amount=1e3&currency=usd', 'amount', 'parameter_invalid'],
    ['a repeated amount', 'amount=2000&amount=3000&currency=usd', 'amount', 'parameter_invalid'],
    ['amount[]=2000', 'amount[]=2000&currency=usd', 'amount', 'parameter_invalid'],
    ['amount=100000000', 'amount=100000000&currency=usd', 'amount', 'amount_too_large'],
    ['a 30-digit amount', 'amount=123456789012345678901234567890&currency=usd', 'amount', 'amount_too_large'],
    ['no amount', 'currency=usd', 'amount', 'parameter_missing'],
    ['no currency', 'amount=2000', 'currency', 'parameter_missing'],
    ['currency=xyz', 'amount=2000&currency=xyz', 'currency', 'parameter_invalid'],
    ['currency[x]=usd', 'amount=2000&currency[x]=usd', 'currency', 'parameter_invalid'],
    ['bogus=1', 'amount=2000&currency=usd&bogus=1', 'bogus', 'parameter_unknown'],
    ['capture_method=later', 'amount=2000&currency=usd&capture_method=later', 'capture_method', 'parameter_invalid'],
    ['confirmation_method=sometimes', 'amount=2000&currency=usd&confirmation_method=sometimes', 'confirmation_method', 'parameter_invalid'],
    [
      'payment_method_types[0]=bogus',
      'amount=2000&currency=usd&payment_method_types[0]=bogus',
      'payment_method_types[0]',
      'parameter_invalid',
    ],
    [
      'payment_method_types[]=sofort',
      'amount=2000&currency=usd&payment_method_types[]=card&payment_method_types[]=sofort',
      'payment_method_types[1]',
      'parameter_invalid',
    ],
    ['confirm=yes', 'amount=2000&currency=usd&confirm=yes', 'confirm', 'parameter_invalid'],
    ['confirm=true without payment_method', 'amount=2000&currency=usd&confirm=true', 'payment_method', 'parameter_missing'],
    ['metadata[a][b]=1', 'amount=2000&currency=usd&metadata[a][b]=1', 'metadata[a]', 'parameter_invalid'],
    ['a 501-character metadata value', `amount=2000&currency=usd&metadata[note]=${'v'.repeat(501)}`, 'metadata[note]', 'parameter_invalid'],
    [
      'a 41-character metadata key',
      `amount=2000&currency=usd&metadata[${'k'.repeat(41)}]=v`,
      `metadata[${'k'.repeat(41)}]`,
      'parameter_invalid',
    ],
    [
      '51 metadata keys',
      `amount=2000&currency=usd&${Array.from({ length: 51 }, (_, i) => `metadata[k${i}]=v`).join('&')}`,
      'metadata',
      'parameter_invalid',
    ],
    ['receipt_email=nope', 'amount=2000&currency=usd&receipt_email=nope', 'receipt_email', 'parameter_invalid'],
    [
      'a 23-character statement_descriptor',
      `amount=2000&currency=usd&statement_descriptor=${'A'.repeat(23)}`,
      'statement_descriptor',
      'parameter_invalid',
    ],
    [
      'statement_descriptor with <',
      'amount=2000&currency=usd&statement_descriptor=Shop%3Cb%3E',
      'statement_descriptor',
      'parameter_invalid',
    ],
    [
      'return_url=ftp://…',
      'amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa&return_url=ftp%3A%2F%2Fexample.com',
      'return_url',
      'parameter_invalid',
    ],
  ])('refuses %s', async (_name, body, param, code) => {
    const key = await freshKey();
    await expectInvalid(await form(key, body), param, code);
    await expectNoIntents(key);
  });

  it('refuses a raw card number as payment_method in form encoding', async () => {
    const key = await freshKey();
    const error = await expectInvalid(await form(key, 'amount=2000&currency=usd&payment_method=4242424242424242'), 'payment_method');
    expect(error.message).toMatch(/raw card numbers are never accepted/);
    expect(error.message).not.toContain('4242424242424242');
    await expectNoIntents(key);
  });

  it('refuses an unknown PaymentMethod id in form encoding with resource_missing', async () => {
    const key = await freshKey();
    await expectMissing(await form(key, 'amount=2000&currency=usd&payment_method=pm_does_not_exist'), 'payment_method');
    await expectNoIntents(key);
  });

  it('refuses brackets nested deeper than any parameter (line_items[0][price_data][custom_unit_amount][minimum]) as an undecodable body', async () => {
    const key = await freshKey();
    await expectInvalid(await form(key, 'amount=2000&currency=usd&metadata[a][b][c][d][e]=1'), null, 'body_invalid');
    await expectNoIntents(key);
  });

  it('refuses a metadata value that is not a string, nested in brackets, naming the key', async () => {
    const key = await freshKey();
    await expectInvalid(await form(key, 'amount=2000&currency=usd&metadata[a][b][c]=1'), 'metadata[a]', 'parameter_invalid');
    await expectNoIntents(key);
  });

  it.each(['constructor', 'hasOwnProperty', 'toString'])(
    'refuses the unknown parameter %s (a name Object.prototype also has) instead of ignoring it',
    async (name) => {
      const key = await freshKey();
      await expectInvalid(await form(key, `amount=2000&currency=usd&${name}=1`), name, 'parameter_unknown');
      await expectNoIntents(key);
    },
  );

  it('keeps metadata keys such as constructor and toString in form encoding, as JSON does', async () => {
    const key = await freshKey();
    const json = await call(CREATE, { key, json: { ...base, metadata: { constructor: 'x', toString: 'y' } } });
    expect(json.status).toBe(200);
    expect(((await json.json()) as any).metadata).toEqual({ constructor: 'x', toString: 'y' });
    const res = await form(key, 'amount=2000&currency=usd&metadata[constructor]=x&metadata[toString]=y');
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).metadata).toEqual({ constructor: 'x', toString: 'y' });
  });
});

describe('create: the refusal carries the envelope only', () => {
  it('has no intent fields in a 400 and gives each request its own Request-Id', async () => {
    const key = await freshKey();
    const first = await call(CREATE, { key, json: { ...base, amount: 'abc' } });
    const second = await call(CREATE, { key, json: { ...base, amount: 'abc' } });
    expect(first.headers.get('request-id')).not.toBe(second.headers.get('request-id'));
    const error = await expectError(first, { status: 400, code: 'parameter_invalid', param: 'amount' });
    expect(error).not.toHaveProperty('payment_intent');
    await expectError(second, { status: 400, code: 'parameter_invalid', param: 'amount' });
  });
});
