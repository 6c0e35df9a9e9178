/**
 * The chain watcher (src/chain/watcher.ts) reading the mandate contracts' `Debited` and
 * `MandateCancelled` logs for every watched mandate of a network at once (issue 13: "Chain reads go
 * through the per-network watcher … not a poll per mandate"). Against the watcher's real anvil
 * (`watcherChain`), where test/local-chain.ts deployed ConnectedWallets and VirtualAccounts, as CHAINS
 * network `watched-mandates` behind the receiver's mailbox `rpc-watched-mandates`, which passes
 * requests through and records them (so the watcher's RPC calls are counted by method).
 *
 * Mandates are real: account 5 deposits the native coin into VirtualAccounts and signs EIP-712
 * mandates to account 6, which registers them and debits as the payee; account 5 cancels. Deliveries
 * are observed the way test/chain/watcher.test.ts observes them: through the payment-intent object's
 * `chainObserved`, patched for this file (the watches name intent subscribers: the mandate's own
 * object is another part's, and the delivery is the same whichever object takes it).
 */
import { env } from 'cloudflare:test';
import { type Address, type Hex, hashTypedData, parseAbi, type TransactionReceipt, zeroAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chainWatcher, type MandateLog, type WatchDelivery } from '../../src/chain/watcher.js';
import { PaymentIntentObject } from '../../src/intents/intent-object.js';
import { waitFor } from '../helpers.js';
import { receiverOrigin } from '../webhooks/receiver-client.js';
import { chainClient } from './local-chain-client.js';

const NETWORK = 'watched-mandates';
const info = inject('watcherChain');
const chain = chainClient(info);
const contracts = info.mandateContracts!;
const PAYER = 5;
const PAYEE = 6;
const payer = info.accounts[PAYER]!.address;
const payee = info.accounts[PAYEE]!.address;
const AMOUNT = 10n ** 15n;

const mandatesAbi = parseAbi([
  'function deposit(address token, uint256 amount) payable',
  'function authorize((address payer, address payee, address token, uint128 maxAmount, uint32 debitTimes, uint64 interval, uint64 start, uint64 validBefore, bytes32 salt) mandate, bytes signature) returns (bytes32)',
  'function debit(bytes32 id, uint256 amount)',
  'function cancel(bytes32 id)',
]);

const mandateTypes = {
  Mandate: [
    { name: 'payer', type: 'address' },
    { name: 'payee', type: 'address' },
    { name: 'token', type: 'address' },
    { name: 'maxAmount', type: 'uint128' },
    { name: 'debitTimes', type: 'uint32' },
    { name: 'interval', type: 'uint64' },
    { name: 'start', type: 'uint64' },
    { name: 'validBefore', type: 'uint64' },
    { name: 'salt', type: 'bytes32' },
  ],
} as const;

type MandateLogs = Extract<WatchDelivery, { kind: 'mandate_logs' }>;
/** Every mandate_logs delivery made in this file, in the order taken. */
const delivered: MandateLogs[] = [];
/** Mandates whose subscriber answers that it no longer watches. */
const done = new Set<string>();
const original = PaymentIntentObject.prototype.chainObserved;

beforeAll(async () => {
  PaymentIntentObject.prototype.chainObserved = async function (this: PaymentIntentObject, delivery) {
    if (delivery.kind !== 'mandate_logs') return original.call(this, delivery);
    delivered.push(delivery);
    return { watching: !done.has(delivery.onchainId) };
  };
  await node();
  // The payer's deposit, out of which every mandate here is debited.
  await send(PAYER, 'deposit', [zeroAddress, 10n ** 18n], 10n ** 18n);
});

afterAll(() => {
  PaymentIntentObject.prototype.chainObserved = original;
});

const watcher = () => chainWatcher(env, NETWORK);

function send(
  from: number,
  functionName: 'deposit' | 'authorize' | 'debit' | 'cancel',
  args: readonly unknown[],
  value?: bigint,
): Promise<TransactionReceipt> {
  return chain
    .wallet(from)
    .writeContract({ address: contracts.virtualAccounts, abi: mandatesAbi, functionName, args, value } as never)
    .then((hash) => chain.mined(hash));
}

/** A mandate the payer signed, registered by the payee: its id and the head before it was sent. */
async function newMandate(): Promise<{ id: Hex; fromBlock: bigint }> {
  const fromBlock = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
  const now = (await chain.publicClient.getBlock()).timestamp;
  const mandate = {
    payer,
    payee,
    token: zeroAddress,
    maxAmount: AMOUNT,
    debitTimes: 3,
    interval: 3_600n,
    start: now - 1n,
    validBefore: now + 3_600n,
    salt: randomBytes32(),
  };
  const domain = { name: 'VirtualAccounts', version: '1', chainId: info.chainId, verifyingContract: contracts.virtualAccounts };
  const signature = await chain.wallet(PAYER).signTypedData({ domain, types: mandateTypes, primaryType: 'Mandate', message: mandate });
  await send(PAYEE, 'authorize', [mandate, signature]);
  return { id: hashTypedData({ domain, types: mandateTypes, primaryType: 'Mandate', message: mandate }), fromBlock };
}

function randomBytes32(): Hex {
  return `0x${[...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function subscriberFor(id: Hex) {
  return { kind: 'payment_intent' as const, id: `pi_mandate_watch_${id.slice(2, 18)}` };
}

async function watch(id: Hex, fromBlock: bigint, confirmations: number, contract: Address = contracts.virtualAccounts) {
  await watcher().watchMandate(NETWORK, { subscriber: subscriberFor(id), contract, onchainId: id, fromBlock, confirmations });
}

const deliveriesOf = (id: Hex) => delivered.filter((d) => d.onchainId === id.toLowerCase());

/** Waits for a delivery about `id` that `matches`, and returns it. */
async function deliveryOf(id: Hex, matches: (logs: MandateLog[]) => boolean, timeoutMs = 10_000): Promise<MandateLogs> {
  await waitFor(async () => deliveriesOf(id).some((d) => matches(d.logs)), timeoutMs);
  return deliveriesOf(id).find((d) => matches(d.logs))!;
}

/** Waits until the watcher has read past `block` (and made the deliveries of that read). */
async function readPast(block: bigint) {
  await waitFor(async () => {
    const { cursor, mandateDeliveries } = await watcher().inspect();
    return (cursor.next_block ?? 0) > Number(block) && mandateDeliveries === 0;
  }, 10_000);
}

/** Resets the mailbox in front of the network's node: requests through, recorded afresh from now. */
async function node() {
  const res = await fetch(`${receiverOrigin()}/mailboxes/rpc-${NETWORK}`, {
    method: 'PUT',
    body: JSON.stringify({ secrets: [], script: [], default: { status: 200, proxy: info.rpcUrl } }),
  });
  expect(res.status).toBe(204);
}

/** The watcher's JSON-RPC calls over `reads` reads since the mailbox was reset, by method. */
async function callsOverReads(reads: number) {
  let seen: { method: string; params: unknown[] }[] = [];
  await waitFor(async () => {
    const res = await fetch(`${receiverOrigin()}/mailboxes/rpc-${NETWORK}`);
    const { requests } = (await res.json()) as { requests: { body: string }[] };
    seen = requests.map((r) => JSON.parse(r.body));
    return seen.filter((c) => c.method === 'eth_getLogs').length >= reads;
  }, 15_000);
  const byMethod: Record<string, number> = {};
  for (const c of seen) byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
  return { byMethod, getLogs: seen.filter((c) => c.method === 'eth_getLogs') };
}

describe("a mandate's logs", () => {
  it('delivers a Debited log with its amount, period and use, once per new confirmation until final, then no more', async () => {
    const { id, fromBlock } = await newMandate();
    await watch(id, fromBlock, 3);
    const debit = await send(PAYEE, 'debit', [id, AMOUNT]);

    const first = await deliveryOf(id, (logs) => logs.length === 1);
    expect(first).toMatchObject({ kind: 'mandate_logs', network: NETWORK, contract: contracts.virtualAccounts });
    expect(first.logs[0]).toEqual({
      event: 'Debited',
      amount: AMOUNT,
      period: 1,
      used: 1,
      txHash: debit.transactionHash,
      logIndex: expect.any(Number),
      blockNumber: debit.blockNumber,
      blockHash: debit.blockHash,
      confirmations: Number(first.head - debit.blockNumber + 1n),
    });
    expect(first.observedAt).toBeGreaterThan(0);

    // Each new head while it is short of 3 confirmations is told; once final, nothing more.
    for (let i = 0; i < 3; i++) await chain.mine(1);
    await deliveryOf(id, (logs) => (logs[0]?.confirmations ?? 0) >= 3);
    const counts = deliveriesOf(id).map((d) => d.logs[0]!.confirmations);
    expect(counts).toEqual([...new Set(counts)].sort((a, b) => a - b));
    const told = deliveriesOf(id).length;
    await chain.mine(2);
    await readPast(await chain.publicClient.getBlockNumber({ cacheTime: 0 }));
    expect(deliveriesOf(id)).toHaveLength(told);
  });

  it("delivers the payer's MandateCancelled after the debit, in chain order, with who cancelled", async () => {
    const { id, fromBlock } = await newMandate();
    await watch(id, fromBlock, 1);
    const debit = await send(PAYEE, 'debit', [id, AMOUNT]);
    await deliveryOf(id, (logs) => logs.length === 1);
    const cancel = await send(PAYER, 'cancel', [id]);
    const told = await deliveryOf(id, (logs) => logs.length === 2);
    expect(told.logs.map((l) => [l.event, l.txHash])).toEqual([
      ['Debited', debit.transactionHash],
      ['MandateCancelled', cancel.transactionHash],
    ]);
    expect(told.logs[1]).toMatchObject({ event: 'MandateCancelled', by: payer, blockNumber: cancel.blockNumber });
  });

  it('catches up a watch registered from an old block: the logs already on chain are delivered', async () => {
    const { id, fromBlock } = await newMandate();
    const debit = await send(PAYEE, 'debit', [id, AMOUNT]);
    const cancel = await send(PAYEE, 'cancel', [id]);
    await chain.mine(5);
    // The watcher has read well past these blocks for the other watches before this one comes.
    await readPast(cancel.blockNumber + 3n);
    await watch(id, fromBlock, 1);
    const told = await deliveryOf(id, (logs) => logs.length === 2);
    expect(told.logs).toMatchObject([
      { event: 'Debited', txHash: debit.transactionHash, used: 1 },
      { event: 'MandateCancelled', txHash: cancel.transactionHash, by: payee },
    ]);
  });

  it('drops the watch when the subscriber answers that it no longer watches', async () => {
    const { id, fromBlock } = await newMandate();
    done.add(id.toLowerCase());
    await watch(id, fromBlock, 1);
    await send(PAYEE, 'debit', [id, AMOUNT]);
    await deliveryOf(id, (logs) => logs.length === 1);
    await waitFor(async () => !(await watcher().inspect()).mandateWatches.some((w) => w.onchain_id === id.toLowerCase()));
    const cancel = await send(PAYER, 'cancel', [id]);
    await chain.mine(2);
    await readPast(cancel.blockNumber + 2n);
    expect(deliveriesOf(id)).toHaveLength(1);
  });

  it('stops delivering once unwatched (twice changes nothing)', async () => {
    const { id, fromBlock } = await newMandate();
    await watch(id, fromBlock, 1);
    // Registering again is idempotent: one watch.
    await watch(id, fromBlock, 1);
    expect((await watcher().inspect()).mandateWatches.filter((w) => w.onchain_id === id.toLowerCase())).toHaveLength(1);
    await send(PAYEE, 'debit', [id, AMOUNT]);
    await deliveryOf(id, (logs) => logs.length === 1);

    await watcher().unwatchMandate(NETWORK, subscriberFor(id), id);
    await watcher().unwatchMandate(NETWORK, subscriberFor(id), id);
    expect((await watcher().inspect()).mandateWatches.map((w) => w.onchain_id)).not.toContain(id.toLowerCase());
    const told = deliveriesOf(id).length;
    const cancel = await send(PAYER, 'cancel', [id]);
    await chain.mine(2);
    await readPast(cancel.blockNumber + 2n);
    expect(deliveriesOf(id)).toHaveLength(told);
  });
});

describe('one read for every mandate of the network', () => {
  it('costs one eth_getLogs per read over both contracts for 1, 100 and 1,000 watched ids, and still delivers', async () => {
    // The watches of the tests above are gone or final; start from one live watch.
    for (const w of (await watcher().inspect()).mandateWatches) {
      await watcher().unwatchMandate(
        NETWORK,
        { kind: 'payment_intent', id: w.subscriber.slice('payment_intent:'.length) },
        w.onchain_id as Hex,
      );
    }
    const { id, fromBlock } = await newMandate();
    await watch(id, fromBlock, 2);
    const measured: Record<number, Awaited<ReturnType<typeof callsOverReads>>> = {};
    const others: Hex[] = [];
    for (const total of [1, 100, 1_000]) {
      // Ids nobody signed, half of them on the other contract: the filter grows, the calls do not.
      while (others.length < total - 1) {
        const batch = Array.from({ length: Math.min(100, total - 1 - others.length) }, () => randomBytes32());
        await Promise.all(
          batch.map((other, i) => watch(other, fromBlock, 2, i % 2 === 0 ? contracts.connectedWallets : contracts.virtualAccounts)),
        );
        others.push(...batch);
      }
      // Past any catch-up of the new watches: then reset the count and watch 5 reads.
      await readPast(await chain.publicClient.getBlockNumber({ cacheTime: 0 }));
      await node();
      measured[total] = await callsOverReads(5);
    }
    for (const [total, { byMethod, getLogs }] of Object.entries(measured)) {
      // A read: the head, and one eth_getLogs (with the head its scan re-reads); nothing per mandate.
      expect(Object.keys(byMethod).sort(), `${total} watched`).toEqual(['eth_blockNumber', 'eth_getLogs']);
      expect(Math.abs(byMethod.eth_blockNumber! - 2 * byMethod.eth_getLogs!), `${total} watched`).toBeLessThanOrEqual(2);
      const [filter] = getLogs.at(-1)!.params as [{ address: string[]; topics: (string | string[])[] }];
      expect(filter.topics[1], `${total} watched`).toHaveLength(Number(total));
      expect(filter.topics[0]).toHaveLength(2);
      if (Number(total) > 1) {
        expect([...filter.address].sort()).toEqual([contracts.connectedWallets, contracts.virtualAccounts].sort());
      }
    }
    console.log(
      `mandate watch RPC calls per read: ${Object.entries(measured)
        .map(
          ([total, { byMethod }]) =>
            `${total} ids: ${byMethod.eth_getLogs! / 5} eth_getLogs + ${(byMethod.eth_blockNumber! / byMethod.eth_getLogs!).toFixed(1)} eth_blockNumber`,
        )
        .join('; ')}`,
    );

    // Among 1,000 watched ids, a debit of the one real mandate reaches it.
    const debit = await send(PAYEE, 'debit', [id, AMOUNT]);
    const told = await deliveryOf(id, (logs) => logs.length === 1);
    expect(told.logs[0]).toMatchObject({ event: 'Debited', txHash: debit.transactionHash });
    for (const other of others.slice(0, 10)) expect(deliveriesOf(other)).toEqual([]);
    for (const other of others) await watcher().unwatchMandate(NETWORK, subscriberFor(other), other);
  }, 120_000);
});

describe('reorgs', () => {
  it('takes back a Debited log a reorg dropped, and finds the debit again where the chain re-includes it', async () => {
    const { id, fromBlock } = await newMandate();
    await watch(id, fromBlock, 5);
    const debit = await send(PAYEE, 'debit', [id, AMOUNT]);
    await deliveryOf(id, (logs) => logs.length === 1);
    const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    await chain.rpc('anvil_reorg', [Number(head - debit.blockNumber + 1n), []]);
    const dropped = await deliveryOf(id, (logs) => logs.length === 0);
    expect(dropped.head).toBeGreaterThanOrEqual(debit.blockNumber - 1n);

    // The debit is gone from the chain too: the mandate's period is open again.
    const again = await send(PAYEE, 'debit', [id, AMOUNT]);
    const back = await deliveryOf(id, (logs) => logs.length === 1 && logs[0]!.txHash === again.transactionHash);
    expect(back.logs[0]).toMatchObject({ event: 'Debited', used: 1, blockHash: again.blockHash });
  });
});
