/** A merchant's watch-only xpub (set by the operator, read by the merchant) and atomic deposit indexes. */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { depositAddress } from '../../src/chain/addresses.js';
import { allocateDepositIndex } from '../../src/merchants/crypto.js';
import { ADMIN_TOKEN, call, createMerchant, get } from '../helpers.js';

/** m/44'/60'/0' of anvil's public test mnemonic ("test test … junk"), both halves. */
const XPUB = 'xpub6Ce9NcJvTk36xtLSrJLZqE7wtgA5deCeYs7rSQtreh4cj6ByPtrg9sD7V2FNFLPnf8heNP3FGkeV9qwfzvZNSd54JoNXVsXFYSYwHsnJxqP';
const XPRV = 'xprv9yeny6n2dNUokQFykGoZU6BDLeKbEBUoBeCFe2VF6MXdrHrprMYRc4tddncDRxrJCy7GtPDk68zRcgWtGFveqdCV5NyhZwVgMoZVbTm78vx';

describe('crypto settings', () => {
  it('the operator sets the xpub; the merchant reads it; nothing private is accepted', async () => {
    const m = await createMerchant('Crypto shop');
    expect((await get(m.keys.test.secret, '/v1/crypto_settings')).body).toEqual({ object: 'crypto_settings', xpub: null, addresses_issued: 0 });

    const set = await call(`/v1/admin/merchants/${m.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: XPUB } });
    expect(set.status).toBe(200);
    // Index 0 of that xpub is anvil's first default account.
    expect(depositAddress(XPUB, 0)).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect((await get(m.keys.test.secret, '/v1/crypto_settings')).body).toEqual({ object: 'crypto_settings', xpub: XPUB, addresses_issued: 0 });

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
    expect(await allocateDepositIndex(env.DB, m.id)).toBeUndefined(); // no xpub yet
    await call(`/v1/admin/merchants/${m.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: XPUB } });
    const taken = await Promise.all(Array.from({ length: 25 }, () => allocateDepositIndex(env.DB, m.id)));
    const indexes = taken.map((t) => t!.index).sort((a, b) => a - b);
    expect(indexes).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(new Set(taken.map((t) => depositAddress(t!.xpub, t!.index))).size).toBe(25);
    expect((await get(m.keys.test.secret, '/v1/crypto_settings')).body.addresses_issued).toBe(25);
  });
});
