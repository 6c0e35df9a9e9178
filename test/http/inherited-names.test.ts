/**
 * Names a client chooses — a network, a payment method, a currency, a metadata key, a search field,
 * an event type — are looked up in tables. Each table must answer only for its own entries: the
 * names every JavaScript object inherits are unknown like any other unknown name (or, as metadata
 * keys, kept like any other key), never a property of Object.prototype.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { call, createIntent, createMerchant, get, post, type TestMerchant } from '../helpers.js';

const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];

let m: TestMerchant;
let sk: string;
beforeAll(async () => {
  m = await createMerchant('Inherited names');
  sk = m.keys.test.secret;
});

const form = (path: string, body: string) => call(path, { key: sk, form: body });

describe('names of Object.prototype are unknown names', () => {
  it.each(NAMES)('payment_method_options[crypto][network]=%s', async (name) => {
    const res = await form(
      '/v1/payment_intents',
      `amount=1099&currency=usd&payment_method_options[crypto][network]=${encodeURIComponent(name)}&payment_method_options[crypto][token]=usdc`,
    );
    const body = (await res.json()) as any;
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'payment_method_options[crypto][network]' });
    // Either its form is refused, or it is an unknown network: never "a test network" that happens to exist.
    expect(body.error.message).toMatch(/must be a network key|^Unknown network/);
  });

  it.each(NAMES)('payment_method=%s', async (name) => {
    const { body: intent } = await createIntent(sk);
    const res = await form(`/v1/payment_intents/${intent.id}/confirm`, `payment_method=${encodeURIComponent(name)}`);
    const body = (await res.json()) as any;
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ param: 'payment_method' });
  });

  it.each(NAMES)('currency=%s', async (name) => {
    const res = await form('/v1/payment_intents', `amount=1099&currency=${encodeURIComponent(name)}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: 'parameter_invalid', param: 'currency' });
  });

  it.each(NAMES)('search field %s', async (name) => {
    const { res, body } = await get(sk, `/v1/payment_intents/search?query=${encodeURIComponent(`${name}:'x'`)}`);
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'query' });
  });

  it.each(NAMES)('event type %s', async (name) => {
    const { res, body } = await get(sk, `/v1/events?type=${encodeURIComponent(name)}`);
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'type' });
  });

  it.each(NAMES)('enabled_events[]=%s', async (name) => {
    const { res, body } = await post(sk, '/v1/webhook_endpoints', { url: 'https://hooks.example.com/x', enabled_events: [name] });
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_invalid' });
    expect(body.error.param).toMatch(/^enabled_events/);
  });
});

describe('names of Object.prototype as metadata keys', () => {
  const kept = NAMES.filter((name) => name !== '__proto__');

  it.each(kept)('%s is kept, updated and removed like any key (JSON and form)', async (name) => {
    const { body: created } = await createIntent(sk, { metadata: { [name]: 'a' } });
    expect(created.metadata).toEqual({ [name]: 'a' });
    const updated = (await (await form(`/v1/payment_intents/${created.id}`, `metadata[${name}]=b&metadata[other]=c`)).json()) as any;
    expect(updated.metadata).toEqual({ [name]: 'b', other: 'c' });
    const removed = (await post(sk, `/v1/payment_intents/${created.id}`, { metadata: { [name]: '' } })).body;
    expect(removed.metadata).toEqual({ other: 'c' });
    // Removing a key the object does not have, named like an inherited property, changes nothing.
    const again = (await post(sk, `/v1/payment_intents/${created.id}`, { metadata: { [name]: '' } })).body;
    expect(again.metadata).toEqual({ other: 'c' });
    const { body: found } = await get(sk, `/v1/payment_intents/search?query=${encodeURIComponent(`metadata['other']:'c'`)}`);
    expect(found.data.map((i: any) => i.id)).toContain(created.id);
  });

  it.each(kept)('%s on a webhook endpoint is kept, updated and removed like any key', async (name) => {
    const { body: endpoint } = await post(sk, '/v1/webhook_endpoints', {
      url: 'https://hooks.example.com/meta',
      enabled_events: ['*'],
      metadata: { [name]: 'a' },
    });
    expect(endpoint.metadata).toEqual({ [name]: 'a' });
    const { body: updated } = await post(sk, `/v1/webhook_endpoints/${endpoint.id}`, { metadata: { [name]: '', other: 'c' } });
    expect(updated.metadata).toEqual({ other: 'c' });
  });

  it('__proto__ is refused by name, as JSON (a form decoder drops it)', async () => {
    const res = await call('/v1/payment_intents', {
      key: sk,
      body: '{"amount":1099,"currency":"usd","metadata":{"__proto__":"x"}}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: 'parameter_invalid', param: 'metadata[__proto__]' });
  });
});
