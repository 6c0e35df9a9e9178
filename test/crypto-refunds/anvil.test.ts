/**
 * Crypto refunds end to end on a real anvil (`refundsChain`, CHAINS network `refunds`, which only
 * this file uses: it reverts it). A crypto intent is paid by the payer (anvil account 1), then
 * refunded; the merchant sends the refund from its own wallet (account 0), the network's chain
 * watcher sees the transfer at the destination and the intent's object settles the refund.
 *
 * The refund is opened through the intent's object (`execute`, the seam every route goes through)
 * with the `refund` command, as POST /v1/refunds does; that route is helper B's and not on this
 * branch. What a merchant sees is read through the API: the refund's events in /v1/events.
 */
import { env } from 'cloudflare:test';
import { type Address, getAddress } from 'viem';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { chainWatcher } from '../../src/chain/watcher.js';
import type { RefundParams } from '../../src/domain/intent.js';
import type { Caller } from '../../src/intents/intent-object.js';
import { refundToWire } from '../../src/api/stripe/wire/refund.js';
import { newId } from '../../src/lib/ids.js';
import { succeededCharge } from '../../src/domain/charge.js';
import { chainClient, randomXpub } from '../chain/local-chain-client.js';
import { expectErrorLogs } from '../expected-logs.js';
import { receiverOrigin } from '../webhooks/receiver-client.js';
import { ADMIN_TOKEN, call, createMerchant, get, post, shardNameOf, waitFor } from '../helpers.js';

const chain = chainClient(inject('refundsChain'));
const PAYER = 1;
const MERCHANT_WALLET = 0;
const SOMEONE_ELSE = '0x00000000000000000000000000000000000d0e5e' as Address;

let sk: string;
let caller: Caller;

beforeAll(async () => {
  const merchant = await createMerchant('Crypto refunds');
  sk = merchant.keys.test.secret;
  const set = await call(`/v1/admin/merchants/${merchant.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: randomXpub() } });
  expect(set.status).toBe(200);
  caller = { merchantId: merchant.id, livemode: false, shard: await shardNameOf(merchant.id), requestId: 'req_refunds', idempotency: null };
  // The payer and a second sender get USDC from account 0, which holds it all.
  await chain.payUsdc(chain.info.accounts[PAYER]!.address, 1_000_000_000n);
  await chain.payUsdc(chain.info.accounts[2]!.address, 1_000_000_000n);
});

const intentObject = (id: string) => env.INTENTS.get(env.INTENTS.idFromName(id));

/** A usd 10.99 crypto intent on `refunds`, paid by the payer with `value` base units of USDC and succeeded. */
async function paidIntent(value: bigint, network = 'refunds') {
  const created = await post(sk, '/v1/payment_intents', {
    amount: 1099,
    currency: 'usd',
    payment_method_types: ['crypto'],
    payment_method_options: { crypto: { network, token: 'usdc' } },
  });
  expect(created.res.status, JSON.stringify(created.body)).toBe(200);
  const confirmed = await post(sk, `/v1/payment_intents/${created.body.id}/confirm`);
  expect(confirmed.res.status, JSON.stringify(confirmed.body)).toBe(200);
  const deposit = confirmed.body.next_action.crypto_transfer.deposit_address as Address;
  await chain.payUsdc(deposit, value, PAYER);
  await chain.mine(2);
  await waitFor(async () => (await get(sk, `/v1/payment_intents/${created.body.id}`)).body.status === 'succeeded', 15_000);
  return { id: created.body.id as string, deposit };
}

async function refund(intentId: string, params: RefundParams = {}) {
  const body: Record<string, unknown> = { payment_intent: intentId };
  if (params.amount !== undefined) body.amount = Number(params.amount);
  if (params.source || params.destination) body.crypto = { source: params.source, destination: params.destination };
  const { res, body: wire } = await post(sk, '/v1/refunds', body);
  if (res.status !== 200) throw new Error(`refund refused: ${JSON.stringify(wire)}`);
  expect(wire).toEqual(await refundWire(intentId, wire.id));
  return wire as ReturnType<typeof refundToWire>;
}

/** The refund as Stripe's wire shows it, from the intent as its object holds it now. */
async function refundWire(intentId: string, refundId: string) {
  const intent = (await intentObject(intentId).retrieve(caller))!;
  return refundToWire(intent, intent.refunds.find((r) => r.id === refundId)!);
}

/** The events about `objectId` (a refund), oldest first, as /v1/events lists them. */
async function eventsAbout(objectId: string) {
  const { body } = await get(sk, '/v1/events?limit=100');
  return (body.data as any[]).filter((e) => e.data.object.id === objectId).sort((a, b) => a.sequence - b.sequence);
}

/** The events about `objectId` once the latest is of `type` (the read model follows the object's commit). */
async function eventsEndingWith(objectId: string, type: string) {
  await waitFor(
    async () =>
      (await eventsAbout(objectId)).at(-1)?.type === type && (await eventsAbout(objectId)).at(-1)?.data.object.status === 'succeeded',
  );
  return eventsAbout(objectId);
}

/** Waits until the network's watcher has read past `block` (so what is in it was seen). */
async function watcherPast(block: bigint) {
  await waitFor(async () => ((await chainWatcher(env, 'refunds').inspect()).cursor.next_block ?? 0) > Number(block), 10_000);
}

describe('a crypto refund settled by what the chain watcher sees', () => {
  it('is pending with next_action crypto_refund, and succeeds with the transfer hash once the merchant sends it', async () => {
    const { id } = await paidIntent(10_990_000n);
    const before = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    const opened = await refund(id, { amount: 500n });
    const payer = getAddress(chain.info.accounts[PAYER]!.address);
    expect(opened).toMatchObject({ object: 'refund', amount: 500, currency: 'usd', status: 'pending', payment_intent: id });
    expect(opened.next_action).toEqual({
      type: 'crypto_refund',
      crypto_refund: {
        network: 'refunds',
        chain_id: 31_347,
        token: { symbol: 'usdc', decimals: 6, address: getAddress(chain.usdc.address) },
        destination: payer,
        amount: '5000000',
        from_block: expect.any(String),
      },
    });
    expect(BigInt(opened.next_action!.crypto_refund.from_block)).toBeGreaterThanOrEqual(before);
    // The destination is watched, for this refund.
    await waitFor(async () =>
      (await chainWatcher(env, 'refunds').inspect()).watches.some((w) => w.subscriber === `refund:${id}:${opened.id}`),
    );

    const sent = await chain.payUsdc(payer, 5_000_000n, MERCHANT_WALLET);
    await chain.mine(1);
    await waitFor(async () => (await refundWire(id, opened.id)).status === 'succeeded', 15_000);
    const done = await refundWire(id, opened.id);
    expect(done.next_action).toBeNull();
    expect(done.destination_details).toEqual({
      type: 'crypto',
      crypto: { source: 'payment', network: 'refunds', destination: payer, amount: '5000000', transaction_hash: sent.transactionHash },
    });
    // What the merchant's webhooks carry: refund.created, then refund.updated (seen, then confirmed), and the charge refunded.
    const events = await eventsEndingWith(opened.id, 'refund.updated');
    expect(events[0]).toMatchObject({ type: 'refund.created', data: { object: { status: 'pending' } } });
    expect(events.at(-1)).toMatchObject({
      type: 'refund.updated',
      data: { object: { status: 'succeeded', destination_details: { crypto: { transaction_hash: sent.transactionHash } } } },
    });
    const { body: charges } = await get(sk, '/v1/events?limit=100&type=charge.refunded');
    expect((charges.data as any[]).filter((e) => e.data.object.payment_intent === id)).toHaveLength(1);
    // Settled: no longer watched.
    await waitFor(async () =>
      (await chainWatcher(env, 'refunds').inspect()).watches.every((w) => w.subscriber !== `refund:${id}:${opened.id}`),
    );
  });

  it('does not count a transfer to another address, of another amount, or sent before the refund was created', async () => {
    const { id } = await paidIntent(10_990_000n);
    const payer = getAddress(chain.info.accounts[PAYER]!.address);
    const early = await chain.payUsdc(payer, 10_990_000n, MERCHANT_WALLET);
    const opened = await refund(id);
    expect(opened.next_action!.crypto_refund.amount).toBe('10990000');
    expect(BigInt(opened.next_action!.crypto_refund.from_block)).toBeGreaterThanOrEqual(early.blockNumber);
    await chain.payUsdc(SOMEONE_ELSE, 10_990_000n, MERCHANT_WALLET);
    const short = await chain.payUsdc(payer, 10_989_999n, MERCHANT_WALLET);
    const over = await chain.payUsdc(payer, 10_990_001n, MERCHANT_WALLET);
    await chain.mine(3);
    await watcherPast(over.blockNumber + 3n);
    // Several reads later: still waiting, nothing recorded.
    const waiting = await refundWire(id, opened.id);
    expect(waiting).toMatchObject({ status: 'pending', destination_details: { crypto: { transaction_hash: null } } });
    expect((await eventsAbout(opened.id)).map((e) => e.type)).toEqual(['refund.created']);

    const right = await chain.payUsdc(payer, 10_990_000n, MERCHANT_WALLET);
    await chain.mine(1);
    await waitFor(async () => (await refundWire(id, opened.id)).status === 'succeeded', 15_000);
    const hash = (await refundWire(id, opened.id)).destination_details!.crypto.transaction_hash;
    expect(hash).toBe(right.transactionHash);
    expect([early.transactionHash, short.transactionHash, over.transactionHash]).not.toContain(hash);
  });

  it('forgets a transfer that a reorg removed, and counts the one sent again', async () => {
    const { id } = await paidIntent(10_990_000n);
    const payer = getAddress(chain.info.accounts[PAYER]!.address);
    const opened = await refund(id, { amount: 1000n });
    const snapshot = await chain.rpc<string>('evm_snapshot');
    const vanished = await chain.payUsdc(payer, 10_000_000n, MERCHANT_WALLET);
    // Seen with one confirmation of the two needed: recorded, still pending.
    await waitFor(
      async () => (await refundWire(id, opened.id)).destination_details!.crypto.transaction_hash === vanished.transactionHash,
      15_000,
    );
    expect((await refundWire(id, opened.id)).status).toBe('pending');

    // The block is replaced: the transfer is gone from the chain, which grows past where it was.
    await chain.rpc('evm_revert', [snapshot]);
    await chain.mine(3);
    await waitFor(async () => (await refundWire(id, opened.id)).destination_details!.crypto.transaction_hash === null, 15_000);
    expect((await refundWire(id, opened.id)).status).toBe('pending');

    // Sent again (from another wallet, so another transaction): this one counts.
    const again = await chain.payUsdc(payer, 10_000_000n, 2);
    await chain.mine(1);
    await waitFor(async () => (await refundWire(id, opened.id)).status === 'succeeded', 15_000);
    expect((await refundWire(id, opened.id)).destination_details!.crypto.transaction_hash).toBe(again.transactionHash);
    // Each step told the merchant: seen, gone, then paid by the transfer sent again.
    const states = (await eventsEndingWith(opened.id, 'refund.updated')).map((e) => [
      e.type,
      e.data.object.status,
      e.data.object.destination_details.crypto.transaction_hash,
    ]);
    expect(states[0]).toEqual(['refund.created', 'pending', null]);
    const seen = states.findIndex(([, , hash]) => hash === vanished.transactionHash);
    expect(seen).toBeGreaterThan(0);
    expect(states[seen + 1]).toEqual(['refund.updated', 'pending', null]);
    expect(states.at(-1)).toEqual(['refund.updated', 'succeeded', again.transactionHash]);
  });

  it('refunds excess: the amount above what was due, to the payer, without touching the charge', async () => {
    const { id } = await paidIntent(12_000_000n);
    expect((await get(sk, `/v1/payment_intents/${id}`)).body.crypto).toMatchObject({ excess: '1010000' });
    const opened = await refund(id, { source: 'excess' });
    expect(opened).toMatchObject({ amount: 101, status: 'pending', next_action: { crypto_refund: { amount: '1010000' } } });
    const payer = getAddress(chain.info.accounts[PAYER]!.address);
    const sent = await chain.payUsdc(payer, 1_010_000n, MERCHANT_WALLET);
    await chain.mine(1);
    await waitFor(async () => (await refundWire(id, opened.id)).status === 'succeeded', 15_000);
    expect((await refundWire(id, opened.id)).destination_details).toMatchObject({
      crypto: { source: 'excess', transaction_hash: sent.transactionHash },
    });
    // The payment itself is still refundable in full.
    const intent = (await intentObject(id).retrieve(caller))!;
    expect(intent.charges.at(-1)).toMatchObject({ status: 'succeeded', amountRefunded: 0n, refunded: false });
    const more = await intentObject(id).execute(caller, { type: 'refund', refundId: newId('re'), params: { source: 'excess' } });
    expect(more).toMatchObject({ ok: false, error: { code: 'parameter_invalid', field: 'amount' } });
  });

  it('refunds late funds to their sender', async () => {
    const { id, deposit } = await paidIntent(10_990_000n);
    const lateSender = getAddress(chain.info.accounts[2]!.address);
    await chain.payUsdc(deposit, 2_500_000n, 2);
    await chain.mine(2);
    await waitFor(async () => ((await intentObject(id).retrieve(caller))!.crypto!.late.length ?? 0) > 0, 15_000);
    const opened = await refund(id, { source: 'late_funds' });
    expect(opened).toMatchObject({ amount: 250, next_action: { crypto_refund: { destination: lateSender, amount: '2500000' } } });
    const sent = await chain.payUsdc(lateSender, 2_500_000n, MERCHANT_WALLET);
    await chain.mine(1);
    await waitFor(async () => (await refundWire(id, opened.id)).status === 'succeeded', 15_000);
    expect((await refundWire(id, opened.id)).destination_details).toMatchObject({
      crypto: { source: 'late_funds', destination: lateSender, transaction_hash: sent.transactionHash },
    });
  });

  it('is refused while the chain cannot be read (its start block would be unknown), and opened once it can', async () => {
    const control = `${receiverOrigin()}/mailboxes/rpc-refunds-flaky`;
    const node = async (response: unknown) => {
      const res = await fetch(control, { method: 'PUT', body: JSON.stringify({ secrets: [], default: response }) });
      expect(res.status).toBe(204);
    };
    await node({ status: 200, proxy: chain.info.rpcUrl });
    const { id } = await paidIntent(10_990_000n, 'refunds-flaky');
    await node({ status: 503, body: 'upstream down' });
    const logs = expectErrorLogs(
      (log) =>
        (log.msg === 'chain unavailable at refund' && log.intent === id) ||
        (log.msg === 'chain poll failed; retrying' && log.network === 'refunds-flaky'),
    );
    try {
      const refused = await intentObject(id).execute(caller, { type: 'refund', refundId: newId('re'), params: { amount: 100n } });
      expect(refused).toMatchObject({ ok: false, error: { code: 'chain_unavailable' } });
      expect((await intentObject(id).retrieve(caller))!.refunds).toEqual([]);
      expect(succeededCharge((await intentObject(id).retrieve(caller))!.charges)).toMatchObject({ amountRefunded: 0n });
    } finally {
      logs.restore();
    }
    expect(logs.caught).toContainEqual(expect.objectContaining({ msg: 'chain unavailable at refund', fault: 'server-error' }));
    await node({ status: 200, proxy: chain.info.rpcUrl });
    const opened = await refund(id, { amount: 100n });
    expect(opened).toMatchObject({ status: 'pending', next_action: { crypto_refund: { network: 'refunds-flaky', amount: '1000000' } } });
  });

  it("is not opened for another merchant's intent", async () => {
    const { id } = await paidIntent(10_990_000n);
    const other = await createMerchant('Someone else');
    const stranger: Caller = { ...caller, merchantId: other.id, shard: await shardNameOf(other.id) };
    const answer = await intentObject(id).execute(stranger, { type: 'refund', refundId: newId('re'), params: {} });
    expect(answer).toMatchObject({ ok: false, error: { code: 'resource_missing' } });
    expect((await intentObject(id).retrieve(caller))!.refunds).toEqual([]);
  });
});
