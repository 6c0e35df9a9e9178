/**
 * Crypto payment intents end to end, against a real anvil chain: deposit addresses from the
 * merchant's xpub, transfers signed with viem, blocks mined on demand, reorgs, a scripted flaky RPC
 * node, the 15-minute window shortened with expires_in, late funds, EIP-712 payer signatures.
 *
 * Every test here runs on the payment-intent tests' own chain (`cryptoChain`), one after another
 * (a file's tests are sequential), so rewriting its history cannot touch another file's payments.
 */
import { exports } from 'cloudflare:workers';
import Stripe from 'stripe';
import type { Address, Hex } from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { depositAddress } from '../../src/chain/addresses.js';
import { chainClient, randomXpub } from '../chain/local-chain-client.js';
import { receiverOrigin } from '../webhooks/receiver-client.js';
import { ADMIN_TOKEN, call, createMerchant, get, post, waitFor, type TestMerchant } from '../helpers.js';
import { openLive } from '../live-socket.js';
import { expectErrorLogs } from '../expected-logs.js';

const chain = chainClient(inject('cryptoChain'));
const USDC = 10n ** 6n;
const ETH = 10n ** 18n;

let merchant: TestMerchant;
let sk: string;
let xpub: string;

beforeAll(async () => {
  merchant = await createMerchant('Crypto payments');
  sk = merchant.keys.test.secret;
  xpub = randomXpub();
  const set = await call(`/v1/admin/merchants/${merchant.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub } });
  expect(set.status).toBe(200);
});

function create(params: Record<string, unknown>, key = sk) {
  return post(key, '/v1/payment_intents', { payment_method_types: ['crypto'], ...params });
}

async function confirmed(options: Record<string, unknown>, params: Record<string, unknown> = { amount: 1099, currency: 'usd' }) {
  const created = await create({ ...params, payment_method_options: { crypto: options } });
  expect(created.res.status, JSON.stringify(created.body)).toBe(200);
  const { res, body } = await post(sk, `/v1/payment_intents/${created.body.id}/confirm`);
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function intent(id: string) {
  return (await get(sk, `/v1/payment_intents/${id}`)).body;
}

async function untilStatus(id: string, status: string, timeoutMs = 10_000) {
  let last: any;
  await waitFor(async () => {
    last = await intent(id);
    return last.status === status;
  }, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message}: ${id} is ${last?.status}`);
  });
  return last;
}

async function eventTypes(id: string): Promise<string[]> {
  const { body } = await get(sk, '/v1/events?limit=100');
  return (body.data as any[])
    .filter((e) => e.data.object.id === id)
    .sort((a, b) => a.data.object.id.localeCompare(b.data.object.id) || a.sequence - b.sequence)
    .map((e) => e.type);
}

async function head(): Promise<bigint> {
  return chain.publicClient.getBlockNumber({ cacheTime: 0 });
}

describe('an ERC-20 payment', () => {
  it('asks for the exact token amount at a fresh address, goes processing when seen, succeeds at 12 confirmations', async () => {
    const created = await create({ amount: 1099, currency: 'usd', payment_method_options: { crypto: { network: 'deep', token: 'usdc' } } });
    expect(created.res.status).toBe(200);
    expect(created.body).toMatchObject({
      status: 'requires_confirmation',
      amount: 1099,
      currency: 'usd',
      payment_method: null,
      payment_method_types: ['crypto'],
      payment_method_options: { crypto: { network: 'deep', token: 'usdc', expires_in: null } },
      next_action: null,
      crypto: {
        network: 'deep',
        token: 'usdc',
        token_address: chain.usdc.address,
        amount: '10990000',
        amount_display: '10.99',
        deposit_address: null,
      },
    });

    const before = Date.now();
    const { body } = await post(sk, `/v1/payment_intents/${created.body.id}/confirm`);
    expect(body.status).toBe('requires_action');
    const transfer = body.next_action.crypto_transfer;
    expect(body.next_action.type).toBe('crypto_transfer');
    expect(transfer).toMatchObject({
      network: 'deep',
      chain_id: 31_339,
      token: 'usdc',
      token_address: chain.usdc.address,
      amount: '10990000',
      amount_display: '10.99',
    });
    // The merchant's first address: xpub/0/0 — and the settings count it.
    expect(transfer.deposit_address).toBe(depositAddress(xpub, 0));
    expect((await get(sk, '/v1/crypto_settings')).body.addresses_issued).toBe(1);
    // The 15-minute window of 000_…, from confirmation.
    expect(transfer.expires_at).toBeGreaterThanOrEqual(Math.floor(before / 1000) + 900);
    expect(transfer.expires_at).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 900);

    const receipt = await chain.payUsdc(transfer.deposit_address, 10_990_000n);
    const processing = await untilStatus(body.id, 'processing');
    expect(processing.next_action).toBeNull();
    expect(processing.crypto).toMatchObject({ amount_seen: '10990000', amount_confirmed: '0', amount_received: '0' });
    expect(processing.crypto.transactions).toEqual([
      expect.objectContaining({
        hash: receipt.transactionHash,
        block_number: Number(receipt.blockNumber),
        value: '10990000',
        from: chain.info.accounts[0]!.address,
      }),
    ]);
    expect(processing.crypto.phases.find((p: any) => p.phase === 'blockchain_confirmation').status).toBe('in_progress');

    // 11 more blocks: 12 confirmations counting the transfer's own block.
    await chain.mine(10);
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await intent(body.id)).status).toBe('processing');
    await chain.mine(1);
    const succeeded = await untilStatus(body.id, 'succeeded');
    expect(succeeded).toMatchObject({ amount_received: 1099, next_action: null });
    expect(succeeded.crypto).toMatchObject({
      amount_received: '10990000',
      amount_confirmed: '10990000',
      excess: '0',
      late_transactions: [],
    });
    expect(Object.fromEntries(succeeded.crypto.phases.map((p: any) => [p.phase, p.status]))).toEqual({
      signature_verification: 'skipped',
      blockchain_confirmation: 'completed',
      settlement: 'completed',
    });
    expect(await eventTypes(body.id)).toEqual([
      'payment_intent.created',
      'payment_intent.requires_action',
      'payment_intent.processing',
      'payment_intent.succeeded',
    ]);
  });
});

describe('live status', () => {
  it("pushes the payer's socket processing when the transfer is seen, then succeeded at 12 confirmations, with no request", async () => {
    const body = await confirmed({ network: 'deep', token: 'usdc' });
    const live = await openLive(body, merchant.keys.test.publishable);
    expect((await live.next()).status).toBe('requires_action');
    await chain.payUsdc(body.next_action.crypto_transfer.deposit_address, 10_990_000n);
    const processing = await live.next('processing');
    expect(processing).toMatchObject({ status: 'processing', crypto: { amount_seen: '10990000', amount_received: '0' } });
    expect(processing).not.toHaveProperty('metadata');
    await chain.mine(11);
    // Confirmations counted on the way are changes too: each is pushed, still processing.
    let last = await live.next('succeeded');
    for (let more = 0; last.status === 'processing' && more < 20; more++) last = await live.next('succeeded');
    expect(last).toMatchObject({ status: 'succeeded', crypto: { amount_received: '10990000' } });
    expect(last).toEqual(
      (await get(merchant.keys.test.publishable, `/v1/payment_intents/${body.id}?client_secret=${body.client_secret}`)).body,
    );
    expect((await live.closed).code).toBe(1000);
  });
});

describe('a native-coin payment', () => {
  it('takes an amount past 2^53 as a digit string, watches plain transfers, and keeps it exact in lists and search', async () => {
    const wei = 25n * ETH; // 25 ETH: 25000000000000000000 wei, far past 2^53
    const body = await confirmed({ network: 'testnet', token: 'eth' }, { amount: wei.toString(), currency: 'eth' });
    expect(body.amount).toBe('25000000000000000000');
    expect(body.next_action.crypto_transfer).toMatchObject({
      token: 'eth',
      token_address: null,
      amount: '25000000000000000000',
      amount_display: '25.00',
    });

    const receipt = await chain.payEth(body.next_action.crypto_transfer.deposit_address, wei, { fromIndex: 1 });
    await chain.mine(1);
    const succeeded = await untilStatus(body.id, 'succeeded');
    expect(succeeded.amount_received).toBe('25000000000000000000');
    expect(succeeded.crypto.transactions).toEqual([
      expect.objectContaining({ hash: receipt.transactionHash, log_index: -1, value: wei.toString() }),
    ]);

    const found = await get(sk, `/v1/payment_intents/search?query=${encodeURIComponent('amount>9007199254740993 AND currency:"eth"')}`);
    expect(found.body.data.map((i: any) => i.id)).toContain(body.id);
    const below = await get(sk, `/v1/payment_intents/search?query=${encodeURIComponent('amount<25000000000000000000 AND currency:"eth"')}`);
    expect(below.body.data.map((i: any) => i.id)).not.toContain(body.id);
    const listed = await get(sk, '/v1/payment_intents?limit=100');
    expect(listed.body.data.find((i: any) => i.id === body.id).amount).toBe('25000000000000000000');
  });
});

describe('partial and excess payments', () => {
  it('announces a partial payment and keeps waiting for the rest', async () => {
    const body = await confirmed({ network: 'testnet', token: 'usdc' }, { amount: 5 * 1_000_000, currency: 'usdc' });
    const to = body.next_action.crypto_transfer.deposit_address;
    await chain.payUsdc(to, 2n * USDC);
    await waitFor(async () => (await intent(body.id)).crypto.amount_seen === '2000000');
    await waitFor(async () => (await eventTypes(body.id)).includes('payment_intent.partially_funded'));
    await chain.mine(3);
    await new Promise((r) => setTimeout(r, 1_200));
    const partial = await intent(body.id);
    expect(partial.status).toBe('requires_action');
    // What a wallet should send now: the rest, not the whole amount again.
    expect(partial.next_action.crypto_transfer).toMatchObject({
      amount: '5000000',
      amount_remaining: '3000000',
      amount_remaining_display: '3.00',
    });
    expect(partial.crypto).toMatchObject({ amount_seen: '2000000', amount_confirmed: '2000000', amount_received: '0' });

    await chain.payUsdc(to, 3n * USDC);
    await chain.mine(1);
    const done = await untilStatus(body.id, 'succeeded');
    expect(done.crypto).toMatchObject({ amount_received: '5000000', excess: '0' });
    expect(done.crypto.transactions).toHaveLength(2);
    expect(done.amount_received).toBe(5_000_000);
  });

  it('succeeds on an overpayment and records the excess', async () => {
    const body = await confirmed({ network: 'testnet', token: 'usdc' }, { amount: 500, currency: 'usd' });
    await chain.payUsdc(body.next_action.crypto_transfer.deposit_address, 7n * USDC);
    await chain.mine(1);
    const done = await untilStatus(body.id, 'succeeded');
    expect(done.amount_received).toBe(500);
    expect(done.crypto).toMatchObject({ amount: '5000000', amount_received: '7000000', excess: '2000000' });
  });
});

describe('the payment window', () => {
  it('cancels as abandoned at expiry, then records late funds with an event instead of losing them', async () => {
    const body = await confirmed({ network: 'testnet', token: 'usdc', expires_in: 10 });
    const expiresAt = body.next_action.crypto_transfer.expires_at as number;
    expect(expiresAt - Math.floor(Date.now() / 1000)).toBeGreaterThanOrEqual(8);
    const canceled = await untilStatus(body.id, 'canceled', 20_000);
    expect(canceled.cancellation_reason).toBe('abandoned');
    // Fired by the alarm at that moment: within the poll interval and a little scheduling slack.
    expect(canceled.canceled_at).toBeGreaterThanOrEqual(expiresAt);
    expect(canceled.canceled_at).toBeLessThanOrEqual(expiresAt + 2);
    expect(canceled.crypto.phases.find((p: any) => p.phase === 'blockchain_confirmation').status).toBe('failed');
    expect(canceled.crypto.monitor_until).toBe(expiresAt + 86_400);

    const late = await chain.payUsdc(body.crypto.deposit_address ?? canceled.crypto.deposit_address, 10_990_000n);
    await waitFor(async () => (await intent(body.id)).crypto.late_transactions.length === 1);
    const after = await intent(body.id);
    expect(after.status).toBe('canceled');
    expect(after.amount_received).toBe(0);
    expect(after.crypto.late_transactions[0]).toMatchObject({ hash: late.transactionHash, value: '10990000' });
    expect(after.crypto.late_amount).toBe('10990000');
    await waitFor(async () => (await eventTypes(body.id)).includes('payment_intent.late_funds_received'));
    expect(await eventTypes(body.id)).toEqual([
      'payment_intent.created',
      'payment_intent.requires_action',
      'payment_intent.canceled',
      'payment_intent.late_funds_received',
    ]);
  });
});

describe('reorgs', () => {
  it('goes back to waiting when the seen transfer is dropped before its confirmations, then pays again', async () => {
    const body = await confirmed({ network: 'deep', token: 'usdc' });
    const to = body.next_action.crypto_transfer.deposit_address;
    const receipt = await chain.payUsdc(to, 10_990_000n);
    await untilStatus(body.id, 'processing');

    // Replace the transfer's block (and any after it) with empty ones: the payment is gone.
    const depth = Number((await head()) - receipt.blockNumber + 1n);
    await chain.rpc('anvil_reorg', [depth, []]);
    expect(await chain.publicClient.getTransactionReceipt({ hash: receipt.transactionHash }).catch(() => null)).toBeNull();
    const waiting = await untilStatus(body.id, 'requires_action');
    expect(waiting.crypto).toMatchObject({ amount_seen: '0', transactions: [] });
    expect(waiting.next_action.crypto_transfer.deposit_address).toBe(to);
    expect(await eventTypes(body.id)).toEqual([
      'payment_intent.created',
      'payment_intent.requires_action',
      'payment_intent.processing',
      'payment_intent.requires_action',
    ]);

    const again = await chain.payUsdc(to, 10_990_000n);
    const processing = await untilStatus(body.id, 'processing');
    expect(processing.crypto.transactions.map((t: any) => t.hash)).toEqual([again.transactionHash]);
    await chain.mine(11);
    await untilStatus(body.id, 'succeeded');
  });
});

describe('a failing RPC node', () => {
  const control = () => `${receiverOrigin()}/mailboxes/rpc-flaky`;
  async function node(config: { script?: unknown[]; default: unknown }) {
    const res = await fetch(control(), { method: 'PUT', body: JSON.stringify({ secrets: [], ...config }) });
    expect(res.status).toBe(204);
  }
  const passThrough = () => ({ status: 200, proxy: chain.info.rpcUrl });

  it('refuses to hand out an address it cannot watch, and never cancels on a fault: funds paid in time still count', async () => {
    await node({ default: { status: 503, body: 'upstream down' } });
    const created = await create({
      amount: 1099,
      currency: 'usd',
      payment_method_options: { crypto: { network: 'flaky', token: 'usdc', expires_in: 10 } },
    });
    // Each fault is logged for the operator: at confirmation (naming the intent), and at every
    // failed read of the network's watcher (naming the network: it reads for every intent at once).
    const logs = expectErrorLogs(
      (log) =>
        ((log.msg === 'chain unavailable at confirmation' && log.intent === created.body.id) ||
          log.msg === 'chain poll failed; retrying') &&
        log.network === 'flaky',
    );
    try {
      const refused = await post(sk, `/v1/payment_intents/${created.body.id}/confirm`);
      expect(refused.res.status).toBe(503);
      expect(refused.body.error).toMatchObject({ type: 'api_error', code: 'chain_unavailable' });
      expect(JSON.stringify(refused.body)).not.toContain('127.0.0.1');
      expect((await intent(created.body.id)).status).toBe('requires_confirmation');

      await node({ default: passThrough() });
      const { body } = await post(sk, `/v1/payment_intents/${created.body.id}/confirm`);
      expect(body.status).toBe('requires_action');

      // The node fails every way it can: 503s, answers slower than the 300 ms timeout, 429s.
      await node({
        script: [
          { status: 429, retryAfter: '1' },
          { status: 200, delayMs: 1_000, proxy: chain.info.rpcUrl },
        ],
        default: { status: 503, body: 'upstream down' },
      });
      await chain.payUsdc(body.next_action.crypto_transfer.deposit_address, 10_990_000n);
      // Past the window, with the payment on chain but unreadable: still waiting, not abandoned.
      await new Promise((r) => setTimeout(r, body.next_action.crypto_transfer.expires_at * 1000 - Date.now() + 2_000));
      expect((await intent(body.id)).status).toBe('requires_action');

      await node({ default: passThrough() });
      const done = await untilStatus(body.id, 'succeeded', 15_000);
      expect(done.crypto.amount_received).toBe('10990000');
      expect(done.canceled_at).toBeNull();
    } finally {
      logs.restore();
    }
    expect(logs.caught).toContainEqual(expect.objectContaining({ msg: 'chain unavailable at confirmation', fault: 'server-error' }));
    expect(logs.caught).toContainEqual(expect.objectContaining({ msg: 'chain poll failed; retrying', attempt: 0 }));
    expect(JSON.stringify(logs.caught)).not.toContain('127.0.0.1');
  });
});

describe('deposit addresses', () => {
  it('never gives two intents the same address, even when confirmed at once', async () => {
    const intents = await Promise.all(
      Array.from({ length: 8 }, () =>
        create({ amount: 100, currency: 'usd', payment_method_options: { crypto: { network: 'testnet', token: 'usdc' } } }),
      ),
    );
    const confirmedIntents = await Promise.all(intents.map(({ body }) => post(sk, `/v1/payment_intents/${body.id}/confirm`)));
    const addresses = confirmedIntents.map(({ body }) => body.next_action.crypto_transfer.deposit_address as string);
    expect(new Set(addresses).size).toBe(8);
    const issued = (await get(sk, '/v1/crypto_settings')).body.addresses_issued as number;
    const all = new Set(Array.from({ length: issued }, (_, i) => depositAddress(xpub, i)));
    for (const address of addresses) expect(all.has(address as Address)).toBe(true);
    // Confirming again keeps the address and the window.
    const again = await post(sk, `/v1/payment_intents/${confirmedIntents[0]!.body.id}/confirm`);
    expect(again.body.next_action.crypto_transfer).toEqual(confirmedIntents[0]!.body.next_action.crypto_transfer);
    await Promise.all(confirmedIntents.map(({ body }) => post(sk, `/v1/payment_intents/${body.id}/cancel`)));
  });
});

describe('crypto chosen by the payer in the browser', () => {
  /** The browser's confirm (src/pages/checkout, or a merchant's own page): publishable key, client secret, cross-origin. */
  async function browserConfirm(intent: { id: string; client_secret: string }, params: Record<string, unknown>) {
    const res = await call(`/v1/payment_intents/${intent.id}/confirm`, {
      key: merchant.keys.test.publishable,
      json: { client_secret: intent.client_secret, ...params },
      headers: { Origin: 'https://shop.example' },
    });
    return { res, body: (await res.json()) as any };
  }
  const usdcOnTestnet = { payment_method_options: { crypto: { network: 'testnet', token: 'usdc' } } };

  it('an intent for card or crypto gets its deposit address when the payer chooses USDC, and a real transfer pays it', async () => {
    const created = await post(sk, '/v1/payment_intents', { amount: 1099, currency: 'usd', payment_method_types: ['card', 'crypto'] });
    expect(created.res.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({ status: 'requires_payment_method', crypto: null, payment_method_options: {} });
    const issued = (await get(sk, '/v1/crypto_settings')).body.addresses_issued as number;

    const { res, body } = await browserConfirm(created.body, usdcOnTestnet);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(body).not.toHaveProperty('metadata');
    expect(body).toMatchObject({ status: 'requires_action', payment_method_types: ['card', 'crypto'], amount: 1099, currency: 'usd' });
    const transfer = body.next_action.crypto_transfer;
    expect(transfer).toMatchObject({ network: 'testnet', token: 'usdc', amount: '10990000', hosted_instructions_url: body.hosted_url });
    expect(body.hosted_url).toBe(`http://pay.test/pay/${body.id}?client_secret=${encodeURIComponent(body.client_secret)}`);
    expect(transfer.deposit_address).toBe(depositAddress(xpub, issued));
    expect((await get(sk, '/v1/crypto_settings')).body.addresses_issued).toBe(issued + 1);
    // The merchant sees the payer's choice as the intent's crypto options.
    expect((await intent(body.id)).payment_method_options).toEqual({ crypto: { network: 'testnet', token: 'usdc', expires_in: null } });

    // Once the payer has an address it stays a crypto payment.
    const card = await browserConfirm(created.body, { payment_method: 'pm_card_visa' });
    expect(card.res.status).toBe(400);
    expect(card.body.error).toMatchObject({ code: 'parameter_invalid', param: 'payment_method' });

    await chain.payUsdc(transfer.deposit_address, 10_990_000n);
    await chain.mine(1);
    const succeeded = await untilStatus(body.id, 'succeeded');
    expect(succeeded).toMatchObject({ amount_received: 1099, hosted_url: null, crypto: { amount_received: '10990000' } });
    const types = await eventTypes(body.id);
    expect(types.slice(0, 2)).toEqual(['payment_intent.created', 'payment_intent.requires_action']);
    expect(types.at(-1)).toBe('payment_intent.succeeded');
  });

  it('concurrent browser confirms with the same choice hand out one deposit address', async () => {
    const created = await post(sk, '/v1/payment_intents', { amount: 500, currency: 'usd', payment_method_types: ['crypto'] });
    expect(created.body).toMatchObject({ status: 'requires_payment_method', crypto: null });
    const issued = (await get(sk, '/v1/crypto_settings')).body.addresses_issued as number;
    const answers = await Promise.all(Array.from({ length: 6 }, () => browserConfirm(created.body, usdcOnTestnet)));
    for (const { res, body } of answers) expect(res.status, JSON.stringify(body)).toBe(200);
    const addresses = new Set(answers.map(({ body }) => body.next_action.crypto_transfer.deposit_address));
    expect(addresses.size).toBe(1);
    expect((await get(sk, '/v1/crypto_settings')).body.addresses_issued).toBe(issued + 1);
    // Another network or token afterwards is refused by name; the address stays.
    const other = await browserConfirm(created.body, { payment_method_options: { crypto: { network: 'deep', token: 'usdc' } } });
    expect(other.body.error).toMatchObject({ code: 'parameter_invalid', param: 'payment_method_options[crypto][network]' });
    await post(sk, `/v1/payment_intents/${created.body.id}/cancel`);
  });

  it('a card still pays an intent for card or crypto, and a secret key may set a test window at confirmation', async () => {
    const byCard = await post(sk, '/v1/payment_intents', { amount: 700, currency: 'usd', payment_method_types: ['card', 'crypto'] });
    const paid = await browserConfirm(byCard.body, { payment_method: 'pm_card_visa' });
    expect(paid.body).toMatchObject({ status: 'succeeded', crypto: null });

    const windowed = await post(sk, '/v1/payment_intents', { amount: 700, currency: 'usd', payment_method_types: ['card', 'crypto'] });
    const before = Math.floor(Date.now() / 1000);
    const confirmed = await post(sk, `/v1/payment_intents/${windowed.body.id}/confirm`, {
      payment_method_options: { crypto: { network: 'testnet', token: 'usdc', expires_in: 60 } },
    });
    expect(confirmed.res.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(confirmed.body.next_action.crypto_transfer.expires_at).toBeLessThanOrEqual(before + 61);
    expect(confirmed.body.payment_method_options).toEqual({ crypto: { network: 'testnet', token: 'usdc', expires_in: 60 } });
    await post(sk, `/v1/payment_intents/${windowed.body.id}/cancel`);
  });
});

describe('payer signatures (EIP-712)', () => {
  async function sign(body: any, accountIndex: number, tamper: (m: any) => any = (m) => m): Promise<Hex> {
    const typed = body.next_action.crypto_transfer.typed_data;
    const message = tamper({
      ...typed.message,
      chainId: BigInt(typed.message.chainId),
      amount: BigInt(typed.message.amount),
      expiresAt: BigInt(typed.message.expiresAt),
    });
    return chain.wallet(accountIndex).signTypedData({ domain: typed.domain, types: typed.types, primaryType: typed.primaryType, message });
  }

  it('records a valid signature with its signer and refuses forged ones', async () => {
    const body = await confirmed({ network: 'testnet', token: 'usdc' });
    const payer = chain.info.accounts[2]!.address;
    const path = `/v1/payment_intents/${body.id}/crypto_signature`;

    const byOther = await sign(body, 3);
    const forged = await post(sk, path, { signature: byOther, signer: payer });
    expect(forged.res.status).toBe(400);
    expect(forged.body.error).toMatchObject({ code: 'parameter_invalid', param: 'signature' });

    const otherAmount = await sign(body, 2, (m) => ({ ...m, amount: m.amount - 1n }));
    expect((await post(sk, path, { signature: otherAmount, signer: payer })).body.error).toMatchObject({ param: 'signature' });
    expect((await intent(body.id)).crypto.signature).toBeNull();

    const good = await sign(body, 2);
    const recorded = await post(sk, path, { signature: good, signer: payer.toLowerCase() });
    expect(recorded.res.status).toBe(200);
    expect(recorded.body.crypto.signature).toMatchObject({ signer: payer, signature: good.toLowerCase() });
    const phase = recorded.body.crypto.phases.find((p: any) => p.phase === 'signature_verification');
    expect(phase).toMatchObject({ status: 'completed' });
    expect(phase.completed_at).toBeGreaterThan(0);
    // The same signature again is a no-op; another one is refused.
    expect((await post(sk, path, { signature: good, signer: payer })).res.status).toBe(200);
    const second = await post(sk, path, { signature: await sign(body, 3), signer: chain.info.accounts[3]!.address });
    expect(second.body.error).toMatchObject({ code: 'parameter_invalid', param: 'signature' });
    expect(await eventTypes(body.id)).toContain('payment_intent.updated');
    await post(sk, `/v1/payment_intents/${body.id}/cancel`);
  });

  it('takes a signature from a browser with the publishable key and client secret, and nothing less', async () => {
    const body = await confirmed({ network: 'testnet', token: 'usdc' });
    const pk = merchant.keys.test.publishable;
    const path = `/v1/payment_intents/${body.id}/crypto_signature`;
    const signature = await sign(body, 4);
    const signer = chain.info.accounts[4]!.address;
    expect((await post(pk, path, { signature, signer })).body.error).toMatchObject({ code: 'parameter_missing', param: 'client_secret' });
    expect((await post(pk, path, { signature, signer, client_secret: `${body.id}_secret_wrong` })).res.status).toBe(404);
    const ok = await post(pk, path, { signature, signer, client_secret: body.client_secret });
    expect(ok.res.status).toBe(200);
    expect(ok.body.crypto.signature.signer).toBe(signer);
    expect(ok.body).not.toHaveProperty('metadata');
    await post(sk, `/v1/payment_intents/${body.id}/cancel`);
  });

  it('refuses malformed signatures and signers, naming the parameter', async () => {
    const body = await confirmed({ network: 'testnet', token: 'usdc' });
    const path = `/v1/payment_intents/${body.id}/crypto_signature`;
    const signer = chain.info.accounts[2]!.address;
    for (const [params, param] of [
      [{ signature: '0x1234', signer }, 'signature'],
      [{ signature: `0x${'zz'.repeat(65)}`, signer }, 'signature'],
      [{ signer }, 'signature'],
      [{ signature: `0x${'11'.repeat(65)}`, signer: '0x1234' }, 'signer'],
      [{ signature: `0x${'11'.repeat(65)}`, signer }, 'signature'],
      [{ signature: `0x${'11'.repeat(65)}`, signer, extra: 1 }, 'extra'],
    ] as const) {
      const res = await post(sk, path, params);
      expect(res.res.status, JSON.stringify(params)).toBe(400);
      expect(res.body.error.param).toBe(param);
    }
    // Before confirmation there is nothing to sign.
    const unconfirmed = await create({
      amount: 100,
      currency: 'usd',
      payment_method_options: { crypto: { network: 'testnet', token: 'usdc' } },
    });
    const early = await post(sk, `/v1/payment_intents/${unconfirmed.body.id}/crypto_signature`, {
      signature: `0x${'11'.repeat(65)}`,
      signer,
    });
    expect(early.body.error.code).toBe('payment_intent_unexpected_state');
    await post(sk, `/v1/payment_intents/${body.id}/cancel`);
  });
});

describe('bad input', () => {
  const options = (crypto: Record<string, unknown>) => ({
    payment_method_options: { crypto: { network: 'testnet', token: 'usdc', ...crypto } },
  });

  it.each([
    [
      'an unknown network',
      { amount: 1099, currency: 'usd', ...options({ network: 'dogechain' }) },
      'parameter_invalid',
      'payment_method_options[crypto][network]',
    ],
    [
      'a malformed network',
      { amount: 1099, currency: 'usd', ...options({ network: 'Base Mainnet' }) },
      'parameter_invalid',
      'payment_method_options[crypto][network]',
    ],
    [
      'an unknown token',
      { amount: 1099, currency: 'usd', ...options({ token: 'dai' }) },
      'parameter_invalid',
      'payment_method_options[crypto][token]',
    ],
    ['a currency the token cannot pay', { amount: 1099, currency: 'eur', ...options({}) }, 'parameter_invalid', 'currency'],
    [
      'usd in a coin that is not a stablecoin',
      { amount: 1099, currency: 'usd', ...options({ token: 'eth' }) },
      'parameter_invalid',
      'currency',
    ],
    ['another token code as currency', { amount: 1099, currency: 'eth', ...options({}) }, 'parameter_invalid', 'currency'],
    ['a usd amount past eight digits', { amount: 100_000_000, currency: 'usd', ...options({}) }, 'amount_too_large', 'amount'],
    ['a token amount past a uint256', { amount: (2n ** 256n).toString(), currency: 'usdc', ...options({}) }, 'amount_too_large', 'amount'],
    ['a token amount as a float', { amount: '1.5', currency: 'usdc', ...options({}) }, 'parameter_invalid', 'amount'],
    ['a token amount past 2^53 as a JSON number', { amount: 2 ** 60, currency: 'usdc', ...options({}) }, 'amount_too_large', 'amount'],
    [
      'expires_in below 10 s',
      { amount: 1099, currency: 'usd', ...options({ expires_in: 9 }) },
      'parameter_invalid',
      'payment_method_options[crypto][expires_in]',
    ],
    [
      'expires_in past 24 h',
      { amount: 1099, currency: 'usd', ...options({ expires_in: 86_401 }) },
      'parameter_invalid',
      'payment_method_options[crypto][expires_in]',
    ],
    [
      'expires_in as words',
      { amount: 1099, currency: 'usd', ...options({ expires_in: 'soon' }) },
      'parameter_invalid',
      'payment_method_options[crypto][expires_in]',
    ],
    [
      'an unknown option',
      { amount: 1099, currency: 'usd', ...options({ memo: 'x' }) },
      'parameter_unknown',
      'payment_method_options[crypto][memo]',
    ],
    [
      'crypto with card',
      { amount: 1099, currency: 'usd', payment_method_types: ['crypto', 'card'], ...options({}) },
      'parameter_invalid',
      'payment_method_types',
    ],
    [
      'a payment_method',
      { amount: 1099, currency: 'usd', payment_method: 'pm_card_visa', ...options({}) },
      'parameter_invalid',
      'payment_method',
    ],
    ['manual capture', { amount: 1099, currency: 'usd', capture_method: 'manual', ...options({}) }, 'parameter_invalid', 'capture_method'],
    [
      'crypto options on a card intent',
      { amount: 1099, currency: 'usd', payment_method_types: ['card'], ...options({}) },
      'parameter_invalid',
      'payment_method_options[crypto]',
    ],
  ])('refuses %s', async (_name, params, code, param) => {
    const { res, body } = await create(params as Record<string, unknown>);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toMatchObject({ code, param });
  });

  it('refuses a token code as the currency of a card intent', async () => {
    const { res, body } = await post(sk, '/v1/payment_intents', { amount: 1099, currency: 'usdc' });
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'currency' });
  });

  it('keeps test keys off live networks (and live keys off test ones), and refuses crypto for a merchant without an xpub', async () => {
    // Every network of the test configuration is a test network: a live key sees none of them.
    const live = await create({ amount: 1099, currency: 'usd', ...options({}) }, merchant.keys.live.secret);
    expect(live.res.status).toBe(400);
    expect(live.body.error).toMatchObject({ code: 'parameter_invalid', param: 'payment_method_options[crypto][network]' });
    expect(live.body.error.message).toContain("'testnet' is a test network and cannot be used in live mode");
    const other = await createMerchant('No xpub');
    const refused = await create({ amount: 1099, currency: 'usd', ...options({}) }, other.keys.test.secret);
    expect(refused.res.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'crypto_not_configured', param: 'payment_method_types' });
  });

  it('lets amount change before confirmation (recomputing the token amount) but not once an address is out', async () => {
    const created = await create({ amount: 1099, currency: 'usd', ...options({}) });
    const updated = await post(sk, `/v1/payment_intents/${created.body.id}`, { amount: 2000 });
    expect(updated.body.crypto.amount).toBe('20000000');
    await post(sk, `/v1/payment_intents/${created.body.id}/confirm`);
    const refused = await post(sk, `/v1/payment_intents/${created.body.id}`, { amount: 3000 });
    expect(refused.body.error).toMatchObject({ code: 'payment_intent_unexpected_state', param: 'amount' });
    expect((await post(sk, `/v1/payment_intents/${created.body.id}`, { description: 'fine' })).body.description).toBe('fine');
    expect((await post(sk, `/v1/payment_intents/${created.body.id}/confirm`, { payment_method: 'pm_card_visa' })).body.error).toMatchObject(
      { param: 'payment_method' },
    );
    await post(sk, `/v1/payment_intents/${created.body.id}/cancel`);
  });
});

describe('with the official stripe SDK', () => {
  it('creates (form-encoded), confirms and watches a crypto intent, amounts past 2^53 included', async () => {
    const stripe = new Stripe(sk, {
      host: 'pay.test',
      port: 443,
      protocol: 'https',
      maxNetworkRetries: 0,
      httpClient: Stripe.createFetchHttpClient(((url: string, init: RequestInit) =>
        exports.default.fetch(new Request(url, init))) as typeof fetch),
    });
    // Stripe's types know neither crypto options nor string amounts; the wire takes both.
    const created = await stripe.paymentIntents.create({
      amount: '3000000000000000000',
      currency: 'eth',
      payment_method_types: ['crypto'],
      payment_method_options: { crypto: { network: 'testnet', token: 'eth' } },
    } as unknown as Stripe.PaymentIntentCreateParams);
    expect(created).toMatchObject({ status: 'requires_confirmation', amount: '3000000000000000000' });
    const waiting = await stripe.paymentIntents.confirm(created.id);
    expect(waiting.status).toBe('requires_action');
    const transfer = (waiting.next_action as unknown as { crypto_transfer: { deposit_address: Address; amount: string } }).crypto_transfer;
    expect(transfer.amount).toBe('3000000000000000000');
    await chain.payEth(transfer.deposit_address, 3n * ETH, { fromIndex: 5 });
    await chain.mine(1);
    await waitFor(async () => (await stripe.paymentIntents.retrieve(created.id)).status === 'succeeded');
    const done = await stripe.paymentIntents.retrieve(created.id);
    expect(done.amount_received).toBe('3000000000000000000');
  });
});
