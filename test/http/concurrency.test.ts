/**
 * Bursts of parallel requests on the operator's routes that write merchants and crypto settings to
 * D1, each followed by the invariants an operator and a merchant rely on: every xpub answer is the
 * xpub that request set, no two deposit indexes give one address, never a 5xx.
 */
import { env } from 'cloudflare:test';
import { HDKey } from '@scure/bip32';
import { describe, expect, it } from 'vitest';
import { depositAddress } from '../../src/chain/addresses.js';
import { allocateDepositIndex } from '../../src/merchants/crypto.js';
import { ADMIN_TOKEN, call, createMerchant, get } from '../helpers.js';

type Answer = { res: Response; body: any };

/** n requests at once; their answers, none of them a 5xx, each one of the allowed statuses. */
async function burst(n: number, send: (i: number) => Promise<Answer>, allowed: number[] = [200]): Promise<Answer[]> {
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => send(i)));
  expect(answers.map((a) => a.res.status).filter((s) => !allowed.includes(s))).toEqual([]);
  return answers;
}

async function admin(path: string, json: unknown = {}): Promise<Answer> {
  const res = await call(path, { key: ADMIN_TOKEN, json });
  return { res, body: await res.json() };
}

/** Whether a secret key is accepted: a list of the merchant's intents answers 200. */
async function works(key: string): Promise<boolean> {
  const { res } = await get(key, '/v1/payment_intents?limit=1');
  expect([200, 401]).toContain(res.status);
  return res.status === 200;
}

const randomXpub = () => HDKey.fromMasterSeed(crypto.getRandomValues(new Uint8Array(32))).derive("m/44'/60'/0'").publicExtendedKey;

describe('merchants in parallel', () => {
  it('10 creates: 10 merchants, each with its own keys, each working', async () => {
    const answers = await burst(10, (i) => admin('/v1/admin/merchants', { name: `Shop ${i}` }), [201]);
    const created = answers.map((a) => a.body);
    expect(new Set(created.map((m) => m.id)).size).toBe(10);
    expect(new Set(created.flatMap((m) => [m.keys.test.secret, m.keys.live.secret])).size).toBe(20);
    for (const m of created) expect((await works(m.keys.test.secret)) && (await works(m.keys.live.secret))).toBe(true);
  });
});

describe('crypto settings in parallel', () => {
  it('10 xpubs set at once: each answer shows the xpub it set, and the one kept is one of them', async () => {
    const m = await createMerchant('Parallel xpubs');
    const xpubs = Array.from({ length: 10 }, randomXpub);
    const answers = await burst(10, (i) => admin(`/v1/admin/merchants/${m.id}/crypto`, { xpub: xpubs[i] }));
    answers.forEach((a, i) => expect(a.body).toEqual({ object: 'crypto_settings', xpub: xpubs[i], addresses_issued: 0 }));
    expect(xpubs).toContain((await get(m.keys.test.secret, '/v1/crypto_settings')).body.xpub);
  });

  it('deposit indexes taken while the xpub changes: every intent gets its own address, and each is counted', async () => {
    // What a crypto intent's confirmation does (test/crypto/payments.test.ts confirms them over HTTP).
    const m = await createMerchant('Busy xpubs');
    const xpubs = [randomXpub(), randomXpub()];
    expect((await admin(`/v1/admin/merchants/${m.id}/crypto`, { xpub: xpubs[0] })).res.status).toBe(200);
    const taken: ({ xpub: string; index: number } | undefined)[] = [];
    await burst(20, async (i) => {
      if (i % 4 === 3) return admin(`/v1/admin/merchants/${m.id}/crypto`, { xpub: xpubs[i % 2] });
      taken.push(await allocateDepositIndex(env.DB, m.id));
      return { res: new Response(null, { status: 200 }), body: null };
    });
    const addresses = taken.map((t) => depositAddress(t!.xpub, t!.index));
    expect(new Set(addresses).size).toBe(15);
    expect((await get(m.keys.test.secret, '/v1/crypto_settings')).body.addresses_issued).toBe(15);
  });
});
