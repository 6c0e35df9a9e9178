/**
 * The mandates' service seam (src/mandates/service.ts) refusing what it must: each subscribe refusal
 * names its parameter (or says the item is inactive), another merchant's mandate is resource_missing
 * for every command, and a Fixed mandate takes no debit requests. Nothing here moves the chain's clock
 * or rewrites its history (test/mandates/schedule.test.ts does, on the same anvil).
 */
import { env } from 'cloudflare:test';
import { privateKeyToAccount } from 'viem/accounts';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { typedData } from '../../src/mandates/chain.js';
import { cancelMandate, MandateRefused, mandateTerms, requestDebit, retrieveMandate, subscribe } from '../../src/mandates/service.js';
import { findDebitItem } from '../../src/db/debit-items.js';
import { post, SHARDS } from '../helpers.js';
import { chain, chainNow, newPayer, newShop, randomSalt, type Shop, subscribeAs } from './support.js';

let shop: Shop;
let other: Shop;
beforeAll(async () => {
  [shop, other] = await Promise.all([newShop('Mandates service'), newShop('Another shop')]);
});

async function refusalOf(promise: Promise<unknown>): Promise<MandateRefused> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MandateRefused) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('subscribe refuses', () => {
  it('a deactivated item (debit_item_inactive)', async () => {
    const item = await shop.item();
    await post(shop.merchant.keys.test.secret, `/v1/debit_items/${item.id}/deactivate`);
    const payer = await newPayer({ gas: false });
    const deactivated = (await findDebitItem(SHARDS[shop.shard]!, shop.caller, item.id))!;
    expect(deactivated.active).toBe(false);
    const refused = await refusalOf(subscribeAs(shop, payer, deactivated));
    expect(refused.code).toBe('debit_item_inactive');
  });

  it.each([
    ['valid_before', { validBefore: 1_000 }],
    ['start', { start: 1_000 }],
    ['salt', { salt: '0x1234' }],
    ['payer', { payer: '0xnot-an-address' }],
  ] as const)('a bad %s, named', async (param, overrides) => {
    const item = await shop.item();
    const payer = await newPayer({ gas: false });
    const refused = await refusalOf(subscribeAs(shop, payer, item, 'connected_wallet', overrides));
    expect(refused).toMatchObject({ code: 'parameter_invalid', param });
  });

  it("someone else's signature, or one over other terms (parameter_invalid signature)", async () => {
    const item = await shop.item();
    const [payer, impostor] = await Promise.all([newPayer({ gas: false }), newPayer({ gas: false })]);
    const now = await chainNow();
    const sub = { accountType: 'connected_wallet' as const, payer: payer.address, start: now, validBefore: now + 3600, salt: randomSalt() };
    const byImpostor = await impostor.sign('connected_wallet', item, sub);
    expect(await refusalOf(subscribe(env, item, shop.shard, { ...sub, signature: byImpostor }, 'req_x'))).toMatchObject({
      code: 'parameter_invalid',
      param: 'signature',
    });
    const overOtherTerms = await payer.sign('connected_wallet', item, { ...sub, start: now + 1 });
    expect(await refusalOf(subscribe(env, item, shop.shard, { ...sub, signature: overOtherTerms }, 'req_x'))).toMatchObject({
      code: 'parameter_invalid',
      param: 'signature',
    });
  });

  it('the native coin from a connected wallet (account_type): it has no allowance', async () => {
    const item = await shop.item({ token: 'eth', max_price: 10 ** 15 });
    const payer = await newPayer({ gas: false });
    expect(await refusalOf(subscribeAs(shop, payer, item, 'connected_wallet'))).toMatchObject({
      code: 'parameter_invalid',
      param: 'account_type',
    });
  });
});

describe('tenants', () => {
  it("another merchant's mandate, and an id that names none, are resource_missing for every command", async () => {
    const item = await shop.item({ pricing: 'dynamic' });
    const m = await subscribeAs(shop, await newPayer({ gas: false }), item);
    expect((await retrieveMandate(env, shop.caller, m.id)).id).toBe(m.id);
    for (const id of [m.id, 'mdt_doesnotexist0000000000', 'pi_123']) {
      const caller = id === m.id ? other.caller : shop.caller;
      expect(await refusalOf(retrieveMandate(env, caller, id))).toMatchObject({ code: 'resource_missing' });
      expect(await refusalOf(cancelMandate(env, caller, id))).toMatchObject({ code: 'resource_missing' });
      expect(await refusalOf(requestDebit(env, caller, id, 1n))).toMatchObject({ code: 'resource_missing' });
    }
    // Still the owner's, untouched.
    expect((await retrieveMandate(env, shop.caller, m.id)).debitRequests).toEqual([]);
  });

  it('a Fixed mandate takes no debit requests (mandate_unexpected_state, param amount)', async () => {
    const item = await shop.item({ pricing: 'fixed' });
    const m = await subscribeAs(shop, await newPayer({ gas: false }), item);
    expect(await refusalOf(requestDebit(env, shop.caller, m.id, 5n))).toMatchObject({ code: 'mandate_unexpected_state', param: 'amount' });
  });
});

describe('a smart-contract wallet (ERC-1271) as the payer', () => {
  it("is accepted with its owner's signature, checked through the chain; refused with anyone else's", async () => {
    const { address: wallet, ownerIndex } = inject('mandatesWallet');
    const item = await shop.item();
    const now = await chainNow();
    const sub = { accountType: 'connected_wallet' as const, payer: wallet, start: now, validBefore: now + 3600, salt: randomSalt() };
    const { contract, chainId, terms } = mandateTerms(env, item, sub);
    const data = typedData('connected_wallet', chainId, contract, terms);
    const owner = privateKeyToAccount(chain.info.accounts[ownerIndex]!.privateKey);
    const stranger = privateKeyToAccount(chain.info.accounts[ownerIndex + 1]!.privateKey);
    const refused = await refusalOf(subscribe(env, item, shop.shard, { ...sub, signature: await stranger.signTypedData(data) }, 'req_x'));
    expect(refused).toMatchObject({ code: 'parameter_invalid', param: 'signature' });
    const m = await subscribe(env, item, shop.shard, { ...sub, signature: await owner.signTypedData(data) }, 'req_x');
    expect(m).toMatchObject({ status: 'registering', payer: wallet });
  });
});
