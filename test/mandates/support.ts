/**
 * The mandates' tests' handles: their own anvil (`mandatesChain`, CHAINS network `mandates`, chain id
 * 31345, 2 confirmations, both debit contracts deployed and the test relayer allowed), fresh payers
 * with their own keys (so balances are nobody else's), debit items made through the API, signatures
 * made as a payer's wallet makes them, and ways to drive a mandate's object: wake its schedule now,
 * move the chain's clock, mine at about the wall clock's pace while waiting.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { type Address, createWalletClient, type Hex, http, parseAbi } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { inject } from 'vitest';
import { findDebitItem } from '../../src/db/debit-items.js';
import type { DebitItem } from '../../src/domain/debit-item.js';
import type { AccountType, Mandate } from '../../src/domain/mandate.js';
import { relayer } from '../../src/chain/relayer.js';
import { MANDATES_ABI, typedData } from '../../src/mandates/chain.js';
import { type Caller, mandateTerms, retrieveMandate, subscribe } from '../../src/mandates/service.js';
import { chainClient } from '../chain/local-chain-client.js';
import { createMerchant, post, SHARDS, shardNameOf, type TestMerchant } from '../helpers.js';

export const chain = chainClient(inject('mandatesChain'));
export const NETWORK = 'mandates';
const config = (JSON.parse(env.CHAINS!) as Record<string, { connected_wallets_contract: Address; virtual_accounts_contract: Address }>)[
  NETWORK
]!;
export const CW = config.connected_wallets_contract;
export const VA = config.virtual_accounts_contract;
export const USDC = chain.usdc.address;
export const INTERVAL = 20;

const TOKEN_ABI = parseAbi([
  'function mint(address to, uint256 amount)',
  'function approve(address spender, uint256 amount) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
]);
const DEPOSIT_ABI = parseAbi(['function deposit(address token, uint256 amount) payable']);

export interface Payer {
  address: Address;
  sign(accountType: AccountType, item: DebitItem, sub: SubscriptionTerms): Promise<Hex>;
  mint(amount: bigint): Promise<void>;
  approve(spender: Address, amount: bigint): Promise<void>;
  deposit(amount: bigint): Promise<void>;
  cancel(contract: Address, onchainId: Hex): Promise<void>;
  /** As a payee may: debit the mandate directly, without the service. */
  debit(contract: Address, onchainId: Hex, amount: bigint): Promise<void>;
}

interface SubscriptionTerms {
  accountType: AccountType;
  payer: string;
  start: number;
  validBefore: number;
  salt: string;
}

/** anvil's account 1 pays the payers' gas money (one sender, one at a time: no nonce races). */
const FUNDER = 1;
let funding: Promise<unknown> = Promise.resolve();

/**
 * A payer of its own (a new key, with 1 ETH for gas unless `gas` is false: a payer that only signs),
 * nobody else's balances.
 */
export async function newPayer({ gas = true } = {}): Promise<Payer> {
  const account = privateKeyToAccount(generatePrivateKey());
  if (gas) {
    const funded = funding.then(() => chain.payEth(account.address, 10n ** 18n, { fromIndex: FUNDER }));
    funding = funded.catch(() => undefined);
    await funded;
  }
  const wallet = createWalletClient({ chain: chain.publicClient.chain, account, transport: http(chain.info.rpcUrl) });
  const write = async (
    address: Address,
    abi: typeof TOKEN_ABI | typeof DEPOSIT_ABI | typeof MANDATES_ABI,
    functionName: string,
    args: unknown[],
  ) => {
    const hash = await wallet.writeContract({ address, abi, functionName, args } as never);
    const receipt = await chain.mined(hash);
    if (receipt.status !== 'success') throw new Error(`${functionName} reverted`);
  };
  return {
    address: account.address,
    sign: async (accountType, item, sub) => {
      const { contract, chainId, terms } = mandateTerms(env, item, sub);
      return account.signTypedData(typedData(accountType, chainId, contract, terms));
    },
    mint: (amount) => write(USDC, TOKEN_ABI, 'mint', [account.address, amount]),
    approve: (spender, amount) => write(USDC, TOKEN_ABI, 'approve', [spender, amount]),
    deposit: async (amount) => {
      await write(USDC, TOKEN_ABI, 'approve', [VA, amount]);
      await write(VA, DEPOSIT_ABI, 'deposit', [USDC, amount]);
    },
    cancel: (contract, onchainId) => write(contract, MANDATES_ABI, 'cancel', [onchainId]),
    debit: (contract, onchainId, amount) => write(contract, MANDATES_ABI, 'debit', [onchainId, amount]),
  };
}

export interface Shop {
  merchant: TestMerchant;
  shard: string;
  caller: Caller;
  /** A debit item of this shop on the mandates network (usdc, 1 USDC max, 3 debits, 20 s apart, Fixed unless told). */
  item(overrides?: Record<string, unknown>): Promise<DebitItem>;
}

export async function newShop(name = 'Mandates shop'): Promise<Shop> {
  const merchant = await createMerchant(name);
  const shard = await shardNameOf(merchant.id);
  const caller: Caller = { merchantId: merchant.id, livemode: false, shard, requestId: 'req_mandates_test', idempotency: null };
  return {
    merchant,
    shard,
    caller,
    item: async (overrides = {}) => {
      const { res, body } = await post(merchant.keys.test.secret, '/v1/debit_items', {
        name: 'Plan',
        network: NETWORK,
        token: 'usdc',
        payee_address: randomAddress(),
        max_price: 1_000_000,
        debit_times: 3,
        debit_interval_seconds: INTERVAL,
        pricing: 'fixed',
        redirect_url: 'https://shop.example/subscribed',
        ...overrides,
      });
      if (res.status !== 200) throw new Error(`debit item refused: ${JSON.stringify(body)}`);
      return (await findDebitItem(SHARDS[shard]!, { merchantId: merchant.id, livemode: false }, body.id))!;
    },
  };
}

export function randomAddress(): Address {
  return `0x${[...crypto.getRandomValues(new Uint8Array(20))].map((b) => b.toString(16).padStart(2, '0')).join('')}` as Address;
}

export function randomSalt(): Hex {
  return `0x${[...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('')}` as Hex;
}

export async function chainNow(): Promise<number> {
  return Number((await chain.publicClient.getBlock({ blockTag: 'latest' })).timestamp);
}

/** The payer signs a mandate for the item starting now (chain time) and the service registers it. */
export async function subscribeAs(
  shop: Shop,
  payer: Payer,
  item: DebitItem,
  accountType: AccountType = 'connected_wallet',
  overrides: Partial<SubscriptionTerms> = {},
): Promise<Mandate> {
  const now = await chainNow();
  const sub = { accountType, payer: payer.address, start: now, validBefore: now + 3600, salt: randomSalt(), ...overrides };
  return subscribe(env, item, shop.shard, { ...sub, signature: await payer.sign(accountType, item, sub) }, 'req_mandates_test');
}

export const stubOf = (id: string) => env.MANDATES.get(env.MANDATES.idFromName(id));

export function state(shop: Shop, id: string): Promise<Mandate> {
  return retrieveMandate(env, shop.caller, id);
}

/**
 * Waits for the mandate to reach `condition`, mining a block about every second meanwhile (the
 * relayer counts 2 confirmations), so the chain's clock keeps close to the wall's.
 */
export async function until(shop: Shop, id: string, condition: (m: Mandate) => boolean, timeoutMs = 25_000): Promise<Mandate> {
  const deadline = Date.now() + timeoutMs;
  let mined = Date.now();
  for (;;) {
    const m = await state(shop, id);
    if (condition(m)) return m;
    if (Date.now() > deadline)
      throw new Error(`mandate ${id} did not get there within ${timeoutMs} ms: ${JSON.stringify({ status: m.status, used: m.used })}`);
    if (Date.now() - mined >= 1_000) {
      await chain.mine(1);
      mined = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs the mandate's schedule now, as its alarm would at the due time (a duplicate alarm, when nothing is due). */
export async function wake(id: string): Promise<void> {
  const stub = stubOf(id);
  await runInDurableObject(stub, async (instance) => {
    const o = instance as unknown as { setTimer(kind: string, key: string, at: number): void; armAlarm(): Promise<void> };
    o.setTimer('schedule', '', Date.now());
    await o.armAlarm();
  });
  await runDurableObjectAlarm(stub);
}

/** Moves the chain's clock `seconds` ahead (one block at the new time). */
export async function advance(seconds: number): Promise<void> {
  await chain.rpc('evm_increaseTime', [seconds]);
  await chain.mine(1);
}

/** The Debited logs of the mandate on chain, in order. */
export async function debitedLogs(m: Mandate) {
  const logs = await chain.publicClient.getLogs({
    address: m.contract as Address,
    event: MANDATES_ABI.find((x) => x.type === 'event' && x.name === 'Debited') as Extract<
      (typeof MANDATES_ABI)[number],
      { type: 'event'; name: 'Debited' }
    >,
    args: { id: m.onchainId as Hex },
    fromBlock: 0n,
  });
  return logs.map((l) => ({ period: Number(l.args.period), used: l.args.used, amount: l.args.amount, tx: l.transactionHash }));
}

export async function usdcBalance(owner: string): Promise<bigint> {
  return chain.publicClient.readContract({ address: USDC, abi: TOKEN_ABI, functionName: 'balanceOf', args: [owner as Address] });
}

/** A registered mandate: subscribed, its authorize final, created. */
export async function registeredMandate(
  shop: Shop,
  payer: Payer,
  item: DebitItem,
  accountType: AccountType = 'connected_wallet',
): Promise<Mandate> {
  const m = await subscribeAs(shop, payer, item, accountType);
  return until(shop, m.id, (s) => s.status !== 'registering');
}

/** The object's record of a period: its retries and last shortfall code (what its intent was told). */
export async function periodRow(
  id: string,
  period: number,
): Promise<{ retries: number; last_code: string | null; closed: number } | undefined> {
  return runInDurableObject(stubOf(id), (instance) => {
    const o = instance as unknown as { sql: SqlStorage };
    return o.sql
      .exec<{ retries: number; last_code: string | null; closed: number }>(
        'SELECT retries, last_code, closed FROM periods WHERE period = ?',
        period,
      )
      .toArray()[0];
  });
}

/** What the relayer did with an attempt id (null: never sent). */
export function relayerStatus(attemptId: string) {
  return relayer(env, NETWORK).status(attemptId);
}
