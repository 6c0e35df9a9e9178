/**
 * `Idempotency-Key` on Finternet's create (POST /finternet/v1/payment-intents), with the canonical
 * wire's meaning (src/http/idempotency.ts): the key names the intent, whose Durable Object keeps the
 * answer. The same key and body again is the same intent, made once; the key with another body (or on
 * the canonical create) is a 400 `idempotency_key_reused`; concurrent creates with one key make one
 * intent, the others answered the intent or a 409 `idempotency_key_in_use`, in this family's envelope.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { keyedIntentId } from '../../../src/lib/ids.js';
import { randomXpub } from '../../chain/local-chain-client.js';
import { ADMIN_TOKEN, call, createMerchant, get, type TestMerchant } from '../../helpers.js';

let merchant: TestMerchant;
let sk: string;

beforeAll(async () => {
  merchant = await createMerchant('Finternet idempotency');
  sk = merchant.keys.test.secret;
  const set = await call(`/v1/admin/merchants/${merchant.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: randomXpub() } });
  expect(set.status).toBe(200);
});

const ORDER = {
  amount: '25.00',
  currency: 'USDC',
  type: 'DELIVERY_VS_PAYMENT',
  settlementMethod: 'OFF_RAMP_MOCK',
  settlementDestination: '9876543210',
  metadata: { orderId: 'ORD-IDEM' },
};

const unique = (name: string) => `${name}-${crypto.randomUUID()}`;

/** A create as a Finternet client sends it, with an Idempotency-Key. */
function createWithKey(idempotencyKey: string, body: unknown = ORDER, key = sk) {
  return call('/finternet/v1/payment-intents', { headers: { 'X-API-Key': key, 'Idempotency-Key': idempotencyKey }, json: body });
}

/** The merchant's test intents, on the canonical wire. */
async function intentIds(): Promise<string[]> {
  const { res, body } = await get(sk, '/v1/payment_intents?limit=100');
  expect(res.status).toBe(200);
  return body.data.map((i: any) => i.id);
}

/** Cancels what a test made: a crypto intent waiting for its payer watches the chain until then. */
async function cancel(id: string) {
  await call(`/finternet/v1/payment-intents/${id}/cancel`, { method: 'POST', headers: { 'X-API-Key': sk } });
}

describe('Idempotency-Key on POST /finternet/v1/payment-intents', () => {
  it('the same key and body again answers the same intent, replayed, and makes it once', async () => {
    const key = unique('same');
    const before = await intentIds();
    const first = await createWithKey(key);
    expect(first.status).toBe(201);
    const made = (await first.json()) as any;
    expect(made.id).toBe(await keyedIntentId(merchant.id, false, key, 0));

    // Sent again as a retrying client would; the same fields in another order are the same parameters.
    const { amount, ...rest } = ORDER;
    const again = await createWithKey(key, { ...rest, amount });
    expect(again.status).toBe(201);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(made);

    const after = await intentIds();
    expect(after.filter((id) => !before.includes(id))).toEqual([made.id]);
    await cancel(made.id);
  });

  it('the same key with another body is a 400 idempotency_key_reused naming the header, and makes nothing', async () => {
    const key = unique('reused');
    const first = await createWithKey(key);
    expect(first.status).toBe(201);
    const made = (await first.json()) as any;
    const before = await intentIds();

    const other = await createWithKey(key, { ...ORDER, amount: '26.00' });
    expect(other.status).toBe(400);
    expect(await other.json()).toEqual({
      error: {
        code: 'idempotency_key_reused',
        message: expect.stringContaining(key),
        type: 'idempotency_error',
        param: 'Idempotency-Key',
      },
    });
    expect(await intentIds()).toEqual(before);
    await cancel(made.id);
  });

  it('a key of a Finternet create used on the canonical create is refused there, as a key on another route is', async () => {
    const key = unique('across-wires');
    const first = await createWithKey(key);
    expect(first.status).toBe(201);
    const made = (await first.json()) as any;
    const canonical = await call('/v1/payment_intents', {
      key: sk,
      headers: { 'Idempotency-Key': key },
      json: { amount: 25_000_000, currency: 'usdc' },
    });
    expect(canonical.status).toBe(400);
    expect(((await canonical.json()) as any).error).toMatchObject({ code: 'idempotency_key_reused', type: 'idempotency_error' });
    await cancel(made.id);
  });

  it('10 creates at once with one key: one intent; every 201 the same, the others a 409 idempotency_key_in_use', async () => {
    const key = unique('burst');
    const before = await intentIds();
    const responses = await Promise.all(Array.from({ length: 10 }, () => createWithKey(key)));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as any[];
    expect(responses.map((r) => r.status).every((s) => s === 201 || s === 409)).toBe(true);
    const created = bodies.filter((_, i) => responses[i]!.status === 201);
    expect(created.length).toBeGreaterThan(0);
    for (const b of created) expect(b).toEqual(created[0]);
    for (const [i, b] of bodies.entries()) {
      if (responses[i]!.status === 409) {
        expect(b).toEqual({
          error: { code: 'idempotency_key_in_use', message: expect.any(String), type: 'idempotency_error', param: 'Idempotency-Key' },
        });
      }
    }
    const after = await intentIds();
    expect(after.filter((id) => !before.includes(id))).toEqual([created[0].id]);
    await cancel(created[0].id);
  });

  it('a refusal before the intent is made is kept for the key and replayed; a bad key is a 400 naming the header', async () => {
    const key = unique('refused');
    const refused = await createWithKey(key, { ...ORDER, chainId: 999_999 });
    expect(refused.status).toBe(400);
    const refusal = (await refused.json()) as any;
    expect(refusal.error).toMatchObject({ code: 'parameter_invalid', param: 'chainId' });
    const again = await createWithKey(key, { ...ORDER, chainId: 999_999 });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(refusal);

    const tooLong = await createWithKey('k'.repeat(256));
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as any).error).toMatchObject({ code: 'parameter_invalid', param: 'Idempotency-Key' });
  });

  it('keys are the merchant`s and mode`s own: another merchant`s same key makes its own intent', async () => {
    const other = await createMerchant('Finternet idempotency, another merchant');
    const set = await call(`/v1/admin/merchants/${other.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: randomXpub() } });
    expect(set.status).toBe(200);
    const key = unique('shared');
    const mine = await createWithKey(key);
    const theirs = await createWithKey(key, ORDER, other.keys.test.secret);
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    const [a, b] = (await Promise.all([mine.json(), theirs.json()])) as any[];
    expect(a.id).not.toBe(b.id);
    expect(b.data.merchantId).toBe(other.id);
    await cancel(a.id);
    await call(`/finternet/v1/payment-intents/${b.id}/cancel`, { method: 'POST', headers: { 'X-API-Key': other.keys.test.secret } });
  });
});
