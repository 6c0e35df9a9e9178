/**
 * Mandates for the read model, as a mandate's Durable Object projects them (projectMandate): the
 * list, sort and filter tests of both families read what the object would have written.
 */
import { type Hex, keccak256, toHex } from 'viem';
import { projectMandate } from '../../src/db/mandates.js';
import type { Mandate } from '../../src/domain/mandate.js';
import { randomBase62 } from '../../src/lib/ids.js';
import { findDebitItem } from '../../src/db/debit-items.js';
import { post, shardNameOf, shardOf, type TestMerchant } from '../helpers.js';
import { newPayer, subscribeAs, until } from '../mandates/support.js';

export const PAYEE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
export const PAYER = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
/** The payment-intent tests' chain (vitest.config.ts `testnet`): its usdc and the contracts npm run dev would name. */
export const NETWORK = 'testnet';

let counter = 0;

/** A mandate id as the mandate object makes them (mdt_ and 24 base62 characters). */
export function mandateId(): string {
  return `mdt_${randomBase62(24)}`;
}

const hex32 = (seed: string): Hex => keccak256(toHex(seed));

/** A debit item of the merchant, made through the API (the mandate's item; its integer id is the read model's). */
export async function aDebitItem(m: TestMerchant, overrides: Record<string, unknown> = {}, livemode = false): Promise<any> {
  const key = livemode ? m.keys.live.secret : m.keys.test.secret;
  const { res, body } = await post(key, '/v1/debit_items', {
    name: 'Daily plan',
    network: NETWORK,
    token: 'usdc',
    payee_address: PAYEE,
    max_price: 1_000_000,
    debit_times: 12,
    debit_interval: 1,
    pricing: 'fixed',
    redirect_url: 'https://shop.example/subscribed',
    ...overrides,
  });
  if (res.status !== 200) throw new Error(`debit item: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** A mandate record of the merchant under `item` (a wire debit item), created `created` ms since the epoch. */
export async function mandateFor(m: TestMerchant, item: any, overrides: Partial<Mandate> = {}): Promise<Mandate> {
  counter += 1;
  const created = overrides.created ?? Date.now();
  const start = Math.floor(created / 1000);
  const seed = `${m.id}:${counter}:${randomBase62(8)}`;
  return {
    id: mandateId(),
    merchantId: m.id,
    livemode: item.livemode,
    shard: await shardNameOf(m.id),
    debitItemId: item.id,
    network: item.network,
    chainId: item.chain_id,
    accountType: 'connected_wallet',
    contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    token: { ...item.token },
    payer: PAYER,
    payee: item.payee_address,
    maxAmount: BigInt(item.max_price),
    debitTimes: item.debit_times,
    interval: item.debit_interval_seconds,
    start,
    validBefore: start + 3600,
    salt: hex32(`salt ${seed}`),
    signature: `0x${'ab'.repeat(65)}`,
    onchainId: hex32(`digest ${seed}`),
    commitment: hex32(`commitment ${PAYER} ${item.token.address}`),
    pricing: item.pricing,
    status: 'created',
    used: 0,
    lastPeriod: 0,
    lastPaymentAt: null,
    nextPaymentAt: start * 1000,
    estimatedGas: 61_000n,
    debitRequests: [],
    failedDynamicPaymentAmount: 0n,
    accountBalance: 5_000_000n,
    balanceReadAt: created,
    canceledAt: null,
    cancellationSource: null,
    metadata: {},
    created,
    revision: 1,
    ...overrides,
  };
}

/** Writes the mandate to the merchant's read model, as its object would. */
export async function project(m: TestMerchant, mandate: Mandate): Promise<Mandate> {
  await projectMandate(await shardOf(m.id), mandate, []);
  return mandate;
}

/** A mandate of the merchant in the read model, under a fresh test-mode debit item. */
export async function aMandate(m: TestMerchant, overrides: Partial<Mandate> = {}): Promise<Mandate> {
  return project(m, await mandateFor(m, await aDebitItem(m), overrides));
}

/**
 * A mandate registered through the service seam on the mandates anvil (test/mandates/support.ts): a
 * Dynamic one, so both its cancel and its debit requests are answered. For the route tables, whose
 * POSTs reach the mandate's object.
 */
export async function aRegisteredMandate(m: TestMerchant): Promise<Mandate> {
  const shard = await shardNameOf(m.id);
  const caller = { merchantId: m.id, livemode: false, shard, requestId: 'req_route_tables', idempotency: null };
  const wire = await aDebitItem(m, {
    network: 'mandates',
    debit_interval: undefined,
    debit_interval_seconds: 20,
    debit_times: 3,
    pricing: 'dynamic',
  });
  const item = (await findDebitItem(await shardOf(m.id), { merchantId: m.id, livemode: false }, wire.id))!;
  const shop = { merchant: m, shard, caller, item: async () => item };
  const mandate = await subscribeAs(shop, await newPayer(), item);
  return until(shop, mandate.id, (x) => x.status !== 'registering');
}
