/** A merchant's watch-only xpub (set by the operator, read by the merchant) and atomic deposit indexes. */
import { env } from 'cloudflare:test';
import { HDKey } from '@scure/bip32';
import { describe, expect, it } from 'vitest';
import { depositAddress } from '../../src/chain/addresses.js';
import { createApp } from '../../src/http/app.js';
import { defaultCryptoXpub } from '../../src/api/admin/index.js';
import { allocateDepositIndex } from '../../src/merchants/crypto.js';
import { ADMIN_TOKEN, call, createMerchant, get } from '../helpers.js';
import { expectErrorLogs } from '../expected-logs.js';

/** m/44'/60'/0' of anvil's public test mnemonic ("test test … junk"), both halves. */
const XPUB = 'xpub6Ce9NcJvTk36xtLSrJLZqE7wtgA5deCeYs7rSQtreh4cj6ByPtrg9sD7V2FNFLPnf8heNP3FGkeV9qwfzvZNSd54JoNXVsXFYSYwHsnJxqP';
const XPRV = 'xprv9yeny6n2dNUokQFykGoZU6BDLeKbEBUoBeCFe2VF6MXdrHrprMYRc4tddncDRxrJCy7GtPDk68zRcgWtGFveqdCV5NyhZwVgMoZVbTm78vx';

describe('crypto settings', () => {
  it('the operator sets the xpub; the merchant reads it; nothing private is accepted', async () => {
    const m = await createMerchant('Crypto shop');
    expect((await get(m.keys.test.secret, '/v1/crypto_settings')).body).toEqual({
      object: 'crypto_settings',
      xpub: null,
      addresses_issued: 0,
    });

    const set = await call(`/v1/admin/merchants/${m.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: XPUB } });
    expect(set.status).toBe(200);
    // Index 0 of that xpub is anvil's first default account.
    expect(depositAddress(XPUB, 0)).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect((await get(m.keys.test.secret, '/v1/crypto_settings')).body).toEqual({
      object: 'crypto_settings',
      xpub: XPUB,
      addresses_issued: 0,
    });

    const xprv = XPRV;
    const refused = await call(`/v1/admin/merchants/${m.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: xprv } });
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as any;
    expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'xpub' });
    expect(JSON.stringify(body)).not.toContain(xprv.slice(4, 40));
    expect((await get(m.keys.test.secret, '/v1/crypto_settings')).body.xpub).toBe(XPUB);

    for (const bad of ['xpub-nonsense', 'x'.repeat(111)]) {
      const res = await call(`/v1/admin/merchants/${m.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: bad } });
      expect(res.status).toBe(400);
    }
    expect((await call('/v1/admin/merchants/acct_nope/crypto', { key: ADMIN_TOKEN, json: { xpub: XPUB } })).status).toBe(404);
    expect((await call(`/v1/admin/merchants/${m.id}/crypto`, { key: m.keys.test.secret, json: { xpub: XPUB } })).status).toBe(401);
  });

  it('concurrent intents never share a deposit index, so never an address', async () => {
    const m = await createMerchant('Busy crypto shop');
    expect(await allocateDepositIndex(env.DIRECTORY, m.id)).toBeUndefined(); // no xpub yet
    await call(`/v1/admin/merchants/${m.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: XPUB } });
    const taken = await Promise.all(Array.from({ length: 25 }, () => allocateDepositIndex(env.DIRECTORY, m.id)));
    // Other tests use the same xpub, so the run of indexes starts wherever its counter stood.
    const indexes = taken.map((t) => t!.index).sort((a, b) => a - b);
    expect(new Set(indexes).size).toBe(25);
    expect(new Set(taken.map((t) => depositAddress(t!.xpub, t!.index))).size).toBe(25);
    expect((await get(m.keys.test.secret, '/v1/crypto_settings')).body.addresses_issued).toBe(25);
  });

  it('two merchants given the same xpub still never share an index: the counter is per xpub', async () => {
    const xpub = HDKey.fromMasterSeed(crypto.getRandomValues(new Uint8Array(32))).derive("m/44'/60'/0'").publicExtendedKey;
    const [a, b] = [await createMerchant('Shop A'), await createMerchant('Shop B')];
    for (const m of [a, b]) await call(`/v1/admin/merchants/${m.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub } });
    const taken = await Promise.all(Array.from({ length: 20 }, (_, i) => allocateDepositIndex(env.DIRECTORY, (i % 2 ? a : b).id)));
    expect(taken.map((t) => t!.index).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect((await get(a.keys.test.secret, '/v1/crypto_settings')).body.addresses_issued).toBe(10);
    expect((await get(b.keys.test.secret, '/v1/crypto_settings')).body.addresses_issued).toBe(10);
  });
});

describe('DEFAULT_CRYPTO_XPUB (local development)', () => {
  // The test runtime's bindings are fixed, so these requests go to the app with a changed copy of them.
  const app = createApp();
  const createWith = (vars: Record<string, string>) =>
    app.request(
      'http://pay.test/v1/admin/merchants',
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'Dev shop' }),
      },
      { ...env, ...vars },
    );
  const merchantCount = async () => (await env.DIRECTORY.prepare('SELECT count(*) AS n FROM merchants').first<{ n: number }>())!.n;

  it('gives every merchant created through the admin route the xpub', async () => {
    const res = await createWith({ DEFAULT_CRYPTO_XPUB: XPUB });
    expect(res.status).toBe(201);
    const m = (await res.json()) as any;
    expect((await get(m.keys.test.secret, '/v1/crypto_settings')).body).toEqual({
      object: 'crypto_settings',
      xpub: XPUB,
      addresses_issued: 0,
    });
    // Without the variable, as in a deployment, a merchant starts with none.
    const plain = await createMerchant('Deployed shop');
    expect((await get(plain.keys.test.secret, '/v1/crypto_settings')).body.xpub).toBeNull();
  });

  it('an invalid value fails loudly, without echoing it, and creates no merchant', async () => {
    expect(defaultCryptoXpub({})).toBeUndefined();
    expect(defaultCryptoXpub({ DEFAULT_CRYPTO_XPUB: XPUB })).toBe(XPUB);
    expect(() => defaultCryptoXpub({ DEFAULT_CRYPTO_XPUB: XPRV })).toThrow(
      /^DEFAULT_CRYPTO_XPUB is misconfigured: this is an extended private key/,
    );

    const before = await merchantCount();
    for (const bad of [XPRV, 'xpub-nonsense']) {
      const logs = expectErrorLogs((log) => log.msg === 'unhandled error');
      try {
        const res = await createWith({ DEFAULT_CRYPTO_XPUB: bad });
        expect(res.status).toBe(500);
        const text = await res.text();
        expect(JSON.parse(text).error.code).toBe('internal_error');
        expect(text).not.toContain(bad.slice(4, 40));
        // The operator learns what is wrong from the log, which does not echo the value either.
        expect(logs.caught).toEqual([
          expect.objectContaining({
            method: 'POST',
            path: '/v1/admin/merchants',
            error: expect.objectContaining({ message: expect.stringMatching(/^DEFAULT_CRYPTO_XPUB is misconfigured: /) }),
          }),
        ]);
        expect(JSON.stringify(logs.caught)).not.toContain(bad.slice(4, 40));
      } finally {
        logs.restore();
      }
    }
    expect(await merchantCount()).toBe(before);
  });
});
