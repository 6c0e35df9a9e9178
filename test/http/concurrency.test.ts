/**
 * Bursts of parallel requests on the operator's routes that write merchants, keys and crypto
 * settings to D1, each followed by the invariants an operator and a merchant rely on: every key a
 * 200 handed out works until another roll replaces it, a roll that lost is a 409 in the envelope,
 * every xpub answer is the xpub that request set, no two deposit indexes give one address, never a 5xx.
 */
import { env } from 'cloudflare:test';
import { HDKey } from '@scure/bip32';
import { describe, expect, it } from 'vitest';
import { depositAddress } from '../../src/chain/addresses.js';
import { allocateDepositIndex } from '../../src/merchants/crypto.js';
import { sha256Hex } from '../../src/lib/secrets.js';
import { rollKeys } from '../../src/merchants/keys.js';
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

describe('key rolls in parallel', () => {
  it('10 rolls of the test keys: the old key stops, the keys a 200 handed out work unless a later roll replaced them, the rest are 409s', async () => {
    const m = await createMerchant('Parallel key rolls');
    const answers = await burst(10, () => admin(`/v1/admin/merchants/${m.id}/roll_keys`, { mode: 'test' }), [200, 409]);
    for (const a of answers.filter((x) => x.res.status === 409)) {
      expect(a.body.error).toMatchObject({ type: 'invalid_request_error', code: 'concurrent_update', param: null });
      expect(a.res.headers.get('Stripe-Should-Retry')).toBe('false');
    }
    const rolled = answers.filter((a) => a.res.status === 200).map((a) => a.body.keys.test.secret as string);
    expect(rolled.length).toBeGreaterThan(0);
    expect(await works(m.keys.test.secret)).toBe(false);
    expect(await works(m.keys.live.secret)).toBe(true);
    // Rolls that answered 200 took effect one after another, each replacing the keys the one before
    // made: only the last one's keys work, and every other was revoked when a later one's were made.
    const working = [];
    for (const key of rolled) if (await works(key)) working.push(key);
    expect(working).toHaveLength(1);
    const { results: made } = await env.DIRECTORY.prepare(
      "SELECT created_at, revoked_at FROM api_keys WHERE merchant_id = ? AND livemode = 0 AND kind = 'secret' AND key_hash != ? ORDER BY created_at, revoked_at IS NULL",
    )
      .bind(m.id, await sha256Hex(m.keys.test.secret))
      .all<{ created_at: number; revoked_at: number | null }>();
    expect(made).toHaveLength(rolled.length);
    for (const [i, row] of made.entries()) expect(row.revoked_at).toBe(made[i + 1]?.created_at ?? null);
  });

  it('a roll whose keys were replaced after it read them changes nothing: the keys of the roll that won keep working', async () => {
    const m = await createMerchant('Stale key roll');
    // The first roll reads the keys, then waits at its write while a second roll completes.
    let reachWrite!: () => void;
    let release!: () => void;
    const atWrite = new Promise<void>((resolve) => {
      reachWrite = resolve;
    });
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowWrites = new Proxy(env.DIRECTORY, {
      get(target, property) {
        if (property === 'batch') {
          return async (statements: D1PreparedStatement[]) => {
            reachWrite();
            await held;
            return target.batch(statements);
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const stale = rollKeys(slowWrites, m.id, ['test']);
    await atWrite;
    const won = await rollKeys(env.DIRECTORY, m.id, ['test']);
    release();
    expect(await stale).toBe('conflict');
    expect(won).toMatchObject({ id: m.id });
    const keys = (won as Exclude<typeof won, 'conflict' | undefined>).keys.test!;
    expect(await works(keys.secret)).toBe(true);
    expect(await works(m.keys.test.secret)).toBe(false);
  });

  it('rolls of the test keys and of the live keys at once do not touch each other', async () => {
    const m = await createMerchant('Rolls of both modes');
    const answers = await burst(2, (i) => admin(`/v1/admin/merchants/${m.id}/roll_keys`, { mode: i ? 'live' : 'test' }));
    expect(await works(answers[0]!.body.keys.test.secret)).toBe(true);
    expect(await works(answers[1]!.body.keys.live.secret)).toBe(true);
    expect((await works(m.keys.test.secret)) || (await works(m.keys.live.secret))).toBe(false);
  });
});

describe('crypto settings in parallel', () => {
  it('10 xpubs set at once: each answer shows the xpub it set, and the one kept is one of them', async () => {
    const m = await createMerchant('Parallel xpubs');
    const xpubs = Array.from({ length: 10 }, randomXpub);
    const answers = await burst(10, (i) => admin(`/v1/admin/merchants/${m.id}/crypto`, { xpub: xpubs[i] }));
    for (const [i, a] of answers.entries()) expect(a.body).toEqual({ object: 'crypto_settings', xpub: xpubs[i], addresses_issued: 0 });
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
      taken.push(await allocateDepositIndex(env.DIRECTORY, m.id));
      return { res: new Response(null, { status: 200 }), body: null };
    });
    const addresses = taken.map((t) => depositAddress(t!.xpub, t!.index));
    expect(new Set(addresses).size).toBe(15);
    expect((await get(m.keys.test.secret, '/v1/crypto_settings')).body.addresses_issued).toBe(15);
  });
});
