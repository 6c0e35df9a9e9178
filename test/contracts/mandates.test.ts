/// <reference types="node" />
/**
 * The recurring-debit contracts (contracts/, issue 13 "On chain") on a real anvil, in Node
 * (vitest.pages.config.ts runs this file): ConnectedWallets pulls an ERC-20 through the payer's
 * allowance, VirtualAccounts debits the payer's deposit (native coin or ERC-20). Every refusal is
 * asserted by its custom error's name, decoded by viem from the ABI; exact period boundaries are hit
 * with evm_setNextBlockTimestamp. Failures the service must tell apart (short balance, short
 * allowance) are decided from reads, as the service will, not from revert strings.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Abi,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  hashTypedData,
  http,
  keccak256,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  parseEventLogs,
  type TransactionReceipt,
  zeroAddress,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileContracts, deployContracts } from '../../scripts/contracts.mjs';
import { compileSolidity, type LocalChain, startLocalChain } from '../../scripts/local-chain.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DAY = 86_400n;

let chain: LocalChain;
let publicClient: ReturnType<typeof createPublicClient>;
let wallets: ReturnType<typeof createWalletClient>;
let cw: Address;
let va: Address;
let cwAbi: Abi;
let vaAbi: Abi;
let fixtures: Record<string, { abi: Abi; bytecode: Hex }>;
let usdc: Address;
let deployer: Address;
let relayer: Address;
let payerKey: Hex;
let payer: Address;
let payee: Address;
let stranger: Address;
let otherPayer: Address;
let otherPayerKey: Hex;

const erc20Abi = [
  { type: 'function', name: 'mint', stateMutability: 'nonpayable', inputs: [{ type: 'address' }, { type: 'uint256' }], outputs: [] },
  { type: 'function', name: 'approve', stateMutability: 'nonpayable', inputs: [{ type: 'address' }, { type: 'uint256' }], outputs: [] },
  { type: 'function', name: 'balanceOf', stateMutability: 'view', inputs: [{ type: 'address' }], outputs: [{ type: 'uint256' }] },
  {
    type: 'function',
    name: 'allowance',
    stateMutability: 'view',
    inputs: [{ type: 'address' }, { type: 'address' }],
    outputs: [{ type: 'uint256' }],
  },
] as const;

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

interface Mandate {
  payer: Address;
  payee: Address;
  token: Address;
  maxAmount: bigint;
  debitTimes: number;
  interval: bigint;
  start: bigint;
  validBefore: bigint;
  salt: Hex;
}

type Kind = 'ConnectedWallets' | 'VirtualAccounts';
const contractOf = (kind: Kind) => (kind === 'ConnectedWallets' ? { address: cw, abi: cwAbi } : { address: va, abi: vaAbi });

beforeAll(async () => {
  chain = await startLocalChain();
  const localChain = defineChain({
    id: chain.chainId,
    name: 'anvil',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [chain.rpcUrl] } },
  });
  publicClient = createPublicClient({ chain: localChain, transport: http(chain.rpcUrl), cacheTime: 0 });
  wallets = createWalletClient({ chain: localChain, transport: http(chain.rpcUrl) });
  const accounts = chain.accounts;
  [deployer, relayer, payer, payee, stranger, otherPayer] = accounts.slice(0, 6).map((a) => a.address) as Address[] as [
    Address,
    Address,
    Address,
    Address,
    Address,
    Address,
  ];
  payerKey = accounts[2]!.privateKey;
  otherPayerKey = accounts[5]!.privateKey;
  usdc = chain.usdc.address;

  const deployed = await deployContracts({ rpcUrl: chain.rpcUrl, deployer, relayers: [relayer], chain: localChain });
  cw = deployed.connectedWallets.address;
  va = deployed.virtualAccounts.address;
  cwAbi = deployed.connectedWallets.abi;
  vaAbi = deployed.virtualAccounts.abi;

  const files = ['TestTokens.sol', 'TestWallets.sol'];
  const { contracts } = compileSolidity({
    name: 'mandate-test-fixtures',
    sources: Object.fromEntries(
      files.map((f) => [`test/contracts/fixtures/${f}`, readFileSync(join(ROOT, 'test/contracts/fixtures', f), 'utf8')]),
    ),
    outputs: {
      'test/contracts/fixtures/TestTokens.sol': { '*': ['abi', 'evm.bytecode.object'] },
      'test/contracts/fixtures/TestWallets.sol': { '*': ['abi', 'evm.bytecode.object'] },
    },
  });
  fixtures = {};
  for (const file of Object.values(contracts)) {
    for (const [name, c] of Object.entries(file)) fixtures[name] = { abi: c.abi!, bytecode: `0x${c.evm!.bytecode!.object}` };
  }
}, 120_000);

afterAll(async () => {
  await chain?.stop();
});

// --- helpers -------------------------------------------------------------------------------------

async function rpc(method: string, params: unknown[] = []) {
  return publicClient.request({ method: method as any, params: params as any });
}

async function now(): Promise<bigint> {
  return (await publicClient.getBlock({ blockTag: 'latest' })).timestamp;
}

/** The next transaction is mined at exactly `timestamp` (seconds). */
async function at(timestamp: bigint) {
  await rpc('evm_setNextBlockTimestamp', [`0x${timestamp.toString(16)}`]);
}

/**
 * Simulates the call on the pending block first (which has the timestamp `at` set), so that a refusal
 * throws with its decoded custom error instead of being mined as a reverted transaction.
 */
async function send(
  from: Address,
  to: Address,
  abi: Abi,
  functionName: string,
  args: unknown[],
  value?: bigint,
): Promise<TransactionReceipt> {
  const call = { account: from, address: to, abi, functionName, args, value } as any;
  await publicClient.simulateContract({ ...call, blockTag: 'pending' });
  const hash = await wallets.writeContract({ ...call, chain: undefined });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe('success');
  return receipt;
}

/** The custom error a call reverts with (viem decodes it from the ABI while estimating gas). */
async function revertOf(promise: Promise<unknown>): Promise<{ name: string; args: readonly unknown[] } | 'reverted'> {
  try {
    await promise;
  } catch (error) {
    const reverted = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
    if (reverted instanceof ContractFunctionRevertedError) {
      return reverted.data ? { name: reverted.data.errorName, args: reverted.data.args ?? [] } : 'reverted';
    }
    throw error;
  }
  throw new Error('expected a revert, but the transaction succeeded');
}

/** The custom error's name; a revert string as `Error(message)` (OpenZeppelin 4.x's Ownable, SafeERC20, ERC20). */
async function refusal(from: Address, to: Address, abi: Abi, functionName: string, args: unknown[], value?: bigint) {
  const outcome = await revertOf(send(from, to, abi, functionName, args, value));
  if (outcome === 'reverted') return outcome;
  return outcome.name === 'Error' ? `Error(${outcome.args[0]})` : outcome.name;
}

async function deployFixture(name: string, args: unknown[] = []): Promise<Address> {
  const { abi, bytecode } = fixtures[name]!;
  const hash = await wallets.deployContract({ account: deployer, chain: undefined, abi, bytecode, args } as any);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  return getAddress(receipt.contractAddress!);
}

let salts = 0;
async function mandate(overrides: Partial<Mandate> = {}): Promise<Mandate> {
  const t = await now();
  salts += 1;
  return {
    payer,
    payee,
    token: usdc,
    maxAmount: 10_000_000n,
    debitTimes: 3,
    interval: 30n * DAY,
    start: t + 100n,
    validBefore: t + DAY,
    salt: `0x${salts.toString(16).padStart(64, '0')}`,
    ...overrides,
  };
}

function domainOf(kind: Kind, chainId = chain.chainId, verifyingContract = contractOf(kind).address) {
  return { name: kind, version: '1', chainId, verifyingContract };
}

async function sign(kind: Kind, m: Mandate, key = payerKey, domain = domainOf(kind)): Promise<Hex> {
  return privateKeyToAccount(key).signTypedData({ domain, types: mandateTypes, primaryType: 'Mandate', message: m });
}

function idOf(kind: Kind, m: Mandate): Hex {
  return hashTypedData({ domain: domainOf(kind), types: mandateTypes, primaryType: 'Mandate', message: m });
}

/** Registers the mandate; its MandateAuthorized event carries viem's id and the terms. */
async function authorize(kind: Kind, m: Mandate, signature?: Hex, from: Address = relayer): Promise<Hex> {
  return (await authorizeReceipt(kind, m, signature, from)).id;
}

async function authorizeReceipt(kind: Kind, m: Mandate, signature?: Hex, from: Address = relayer) {
  const { address, abi } = contractOf(kind);
  const receipt = await send(from, address, abi, 'authorize', [m, signature ?? (await sign(kind, m))]);
  const id = idOf(kind, m);
  const [event] = parseEventLogs({ abi, logs: receipt.logs, eventName: 'MandateAuthorized' }) as any[];
  expect(event.args).toEqual({
    id,
    payer: m.payer,
    payee: m.payee,
    token: m.token,
    maxAmount: m.maxAmount,
    debitTimes: m.debitTimes,
    interval: m.interval,
    start: m.start,
  });
  return { id, receipt };
}

async function debit(kind: Kind, id: Hex, amount: bigint, from: Address = relayer) {
  const { address, abi } = contractOf(kind);
  const receipt = await send(from, address, abi, 'debit', [id, amount]);
  const [event] = parseEventLogs({ abi, logs: receipt.logs, eventName: 'Debited' }) as any[];
  return { receipt, event: event.args as { amount: bigint; period: bigint; used: number; payer: Address; payee: Address } };
}

async function debitRefusal(kind: Kind, id: Hex, amount: bigint, from: Address = relayer) {
  const { address, abi } = contractOf(kind);
  return refusal(from, address, abi, 'debit', [id, amount]);
}

async function tokenBalance(token: Address, owner: Address): Promise<bigint> {
  return (await publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [owner] })) as bigint;
}

async function deposited(owner: Address, token: Address): Promise<bigint> {
  return (await publicClient.readContract({ address: va, abi: vaAbi, functionName: 'balanceOf', args: [owner, token] })) as bigint;
}

async function stateOf(kind: Kind, id: Hex): Promise<any> {
  const { address, abi } = contractOf(kind);
  return publicClient.readContract({ address, abi, functionName: 'mandateOf', args: [id] });
}

/** Gives `owner` `amount` of `token` and makes it debitable: an allowance (ConnectedWallets) or a deposit (VirtualAccounts). */
async function fund(kind: Kind, owner: Address, amount: bigint, token: Address = usdc) {
  await send(owner, token, erc20Abi as unknown as Abi, 'mint', [owner, amount]);
  await send(owner, token, erc20Abi as unknown as Abi, 'approve', [contractOf(kind).address, amount]);
  if (kind === 'VirtualAccounts') await send(owner, va, vaAbi, 'deposit', [token, amount]);
}

// --- tests ---------------------------------------------------------------------------------------

describe('the mandate id', () => {
  it("is viem's EIP-712 hash in each contract's own domain", async () => {
    const m = await mandate();
    for (const kind of ['ConnectedWallets', 'VirtualAccounts'] as const) {
      const { address, abi } = contractOf(kind);
      expect(await publicClient.readContract({ address, abi, functionName: 'mandateId', args: [m] })).toBe(idOf(kind, m));
    }
    expect(idOf('ConnectedWallets', m)).not.toBe(idOf('VirtualAccounts', m));
    // The commitment is the payer's bucket per token.
    expect(await publicClient.readContract({ address: va, abi: vaAbi, functionName: 'commitmentOf', args: [payer, usdc] })).toBe(
      keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'address' }], [payer, usdc])),
    );
  });
});

describe.each(['ConnectedWallets', 'VirtualAccounts'] as const)('%s: the schedule', (kind) => {
  it('debits once per fixed period from start, at the exact boundaries; a missed period is forfeited; never more than debitTimes', async () => {
    const m = await mandate({ interval: 100n, debitTimes: 3, maxAmount: 5_000_000n });
    await fund(kind, payer, 20_000_000n);
    const id = await authorize(kind, m);
    const payeeBefore = await tokenBalance(usdc, payee);

    await at(m.start - 1n);
    expect(await debitRefusal(kind, id, 5_000_000n)).toBe('NotStarted');

    await at(m.start);
    const first = await debit(kind, id, 5_000_000n);
    expect(first.event).toMatchObject({ amount: 5_000_000n, period: 1n, used: 1, payer, payee });

    await at(m.start + 99n); // the last second of period 1
    expect(await debitRefusal(kind, id, 1n)).toBe('AlreadyDebitedThisPeriod');

    await at(m.start + 100n); // the first second of period 2
    const second = await debit(kind, id, 4_000_000n);
    expect(second.event).toMatchObject({ period: 2n, used: 2 });

    // Period 3 passes without a debit: in period 4 there is one debit, not two.
    await at(m.start + 350n);
    const third = await debit(kind, id, 1_000_000n);
    expect(third.event).toMatchObject({ period: 4n, used: 3 });
    const state = await stateOf(kind, id);
    expect(state).toMatchObject({ used: 3, lastPeriod: 4n, cancelled: false, nextDueAt: 0n });

    await at(m.start + 400n);
    expect(await debitRefusal(kind, id, 1n)).toBe('NoDebitsLeft');
    expect((await tokenBalance(usdc, payee)) - payeeBefore).toBe(10_000_000n);
  });

  it('reports the period of a time and the next due time (start of the period after the last debited one)', async () => {
    const m = await mandate({ interval: 1000n });
    await fund(kind, payer, 30_000_000n);
    const id = await authorize(kind, m);
    const { address, abi } = contractOf(kind);
    const periodAt = (t: bigint) => publicClient.readContract({ address, abi, functionName: 'periodAt', args: [id, t] });
    expect([
      await periodAt(m.start - 1n),
      await periodAt(m.start),
      await periodAt(m.start + 999n),
      await periodAt(m.start + 1000n),
    ]).toEqual([0n, 1n, 1n, 2n]);
    expect((await stateOf(kind, id)).nextDueAt).toBe(m.start);
    await at(m.start + 10n);
    await debit(kind, id, 1n);
    expect((await stateOf(kind, id)).nextDueAt).toBe(m.start + 1000n);
  });
});

describe.each(['ConnectedWallets', 'VirtualAccounts'] as const)('%s: authorize refuses', (kind) => {
  it('zero and out-of-range terms, each with its own error', async () => {
    const { address, abi } = contractOf(kind);
    const tryTerms = async (overrides: Partial<Mandate>) => {
      const m = await mandate(overrides);
      return refusal(relayer, address, abi, 'authorize', [m, await sign(kind, m)]);
    };
    expect(await tryTerms({ maxAmount: 0n })).toBe('ZeroMaxAmount');
    expect(await tryTerms({ debitTimes: 0 })).toBe('ZeroDebitTimes');
    expect(await tryTerms({ interval: 0n })).toBe('ZeroInterval');
    expect(await tryTerms({ payee: zeroAddress })).toBe('ZeroAddress');
    expect(await tryTerms({ payee: payer })).toBe('PayeeIsPayer');
    expect(await tryTerms({ token: stranger })).toBe('TokenNotContract');
    if (kind === 'ConnectedWallets') expect(await tryTerms({ token: zeroAddress })).toBe('NativeNotSupported');
  });

  it('an expired signature (validBefore reached, to the second)', async () => {
    const { address, abi } = contractOf(kind);
    const m = await mandate();
    const signature = await sign(kind, m);
    await at(m.validBefore);
    expect(await refusal(relayer, address, abi, 'authorize', [m, signature])).toBe('SignatureExpired');
    const fresh = await mandate({ validBefore: (await now()) + 10n });
    await at(fresh.validBefore - 1n);
    await authorize(kind, fresh);
  });

  it('a duplicate, a signature for another chain or contract, altered terms, and someone else signing', async () => {
    const { address, abi } = contractOf(kind);
    const m = await mandate();
    await authorize(kind, m);
    expect(await refusal(stranger, address, abi, 'authorize', [m, await sign(kind, m)])).toBe('MandateExists');

    const n = await mandate();
    const otherKind = kind === 'ConnectedWallets' ? 'VirtualAccounts' : 'ConnectedWallets';
    expect(await refusal(relayer, address, abi, 'authorize', [n, await sign(kind, n, payerKey, domainOf(kind, 1))])).toBe(
      'InvalidSignature',
    );
    expect(
      await refusal(relayer, address, abi, 'authorize', [
        n,
        await sign(kind, n, payerKey, domainOf(otherKind, chain.chainId, contractOf(otherKind).address)),
      ]),
    ).toBe('InvalidSignature');
    expect(await refusal(relayer, address, abi, 'authorize', [{ ...n, maxAmount: n.maxAmount + 1n }, await sign(kind, n)])).toBe(
      'InvalidSignature',
    );
    expect(await refusal(relayer, address, abi, 'authorize', [n, await sign(kind, n, otherPayerKey)])).toBe('InvalidSignature');
    await authorize(kind, n); // the right signature still works
  });
});

describe.each(['ConnectedWallets', 'VirtualAccounts'] as const)('%s: debit and cancel refuse', (kind) => {
  it('a stranger, zero, over the maximum, an unknown id; the payee may debit', async () => {
    const m = await mandate({ start: (await now()) - 10n, interval: 1000n });
    await fund(kind, payer, 30_000_000n);
    const id = await authorize(kind, m);
    expect(await debitRefusal(kind, id, 1n, stranger)).toBe('NotRelayerOrPayee');
    expect(await debitRefusal(kind, id, 1n, payer)).toBe('NotRelayerOrPayee');
    expect(await debitRefusal(kind, id, 0n)).toBe('ZeroAmount');
    expect(await debitRefusal(kind, id, m.maxAmount + 1n)).toBe('AmountOverMax');
    expect(await debitRefusal(kind, `0x${'ab'.repeat(32)}`, 1n)).toBe('UnknownMandate');
    const { event } = await debit(kind, id, m.maxAmount, payee);
    expect(event).toMatchObject({ amount: m.maxAmount, period: 1n, used: 1 });
  });

  it('after a cancel by the payer, the payee or a relayer; a stranger may not cancel; a cancel is final', async () => {
    const { address, abi } = contractOf(kind);
    await fund(kind, payer, 30_000_000n);
    // The relayer cancels for the merchant (the service never holds the payee's key).
    for (const by of [payer, payee, relayer]) {
      const m = await mandate({ start: (await now()) - 10n });
      const id = await authorize(kind, m);
      expect(await refusal(stranger, address, abi, 'cancel', [id])).toBe('NotPayerPayeeOrRelayer');
      const receipt = await send(by, address, abi, 'cancel', [id]);
      const [event] = parseEventLogs({ abi, logs: receipt.logs, eventName: 'MandateCancelled' }) as any[];
      expect(event.args).toMatchObject({ id, by });
      expect(await debitRefusal(kind, id, 1n)).toBe('MandateIsCancelled');
      expect(await debitRefusal(kind, id, 1n, payee)).toBe('MandateIsCancelled');
      expect(await refusal(by, address, abi, 'cancel', [id])).toBe('MandateIsCancelled');
      expect(await refusal(relayer, address, abi, 'authorize', [m, await sign(kind, m)])).toBe('MandateExists');
      expect((await stateOf(kind, id)).nextDueAt).toBe(0n);
    }
  });

  it('a removed relayer; only the owner sets relayers', async () => {
    const { address, abi } = contractOf(kind);
    const m = await mandate({ start: (await now()) - 10n });
    await fund(kind, payer, 30_000_000n);
    const id = await authorize(kind, m);
    const receipt = await send(deployer, address, abi, 'setRelayer', [relayer, false]);
    expect((parseEventLogs({ abi, logs: receipt.logs, eventName: 'RelayerSet' }) as any[])[0].args).toMatchObject({
      relayer,
      allowed: false,
    });
    try {
      expect(await debitRefusal(kind, id, 1n)).toBe('NotRelayerOrPayee');
      // A removed relayer cannot cancel either.
      expect(await refusal(relayer, address, abi, 'cancel', [id])).toBe('NotPayerPayeeOrRelayer');
      // Ownable 4.x reverts with a string, not a custom error.
      expect(await refusal(relayer, address, abi, 'setRelayer', [relayer, true])).toBe('Error(Ownable: caller is not the owner)');
    } finally {
      await send(deployer, address, abi, 'setRelayer', [relayer, true]);
    }
    await debit(kind, id, 1n);
  });
});

describe('tokens that do not follow ERC-20 to the letter', () => {
  it.each(['ConnectedWallets', 'VirtualAccounts'] as const)('%s: a token returning nothing (USDT-like) is debited', async (kind) => {
    const token = await deployFixture('NoReturnToken');
    await fund(kind, payer, 5_000n, token);
    const m = await mandate({ token, start: (await now()) - 10n, maxAmount: 5_000n });
    const id = await authorize(kind, m);
    await debit(kind, id, 3_000n);
    expect(await tokenBalance(token, payee)).toBe(3_000n);
    if (kind === 'VirtualAccounts') {
      await send(payer, va, vaAbi, 'withdraw', [token, 2_000n]);
      expect([await deposited(payer, token), await tokenBalance(token, payer)]).toEqual([0n, 2_000n]);
    }
  });

  it('ConnectedWallets: a token answering false when short makes the debit revert, and nothing moves', async () => {
    const token = await deployFixture('FalseToken');
    await send(payer, token, fixtures.FalseToken!.abi, 'mint', [payer, 1_000n]);
    await send(payer, token, fixtures.FalseToken!.abi, 'approve', [cw, 10_000n]);
    const m = await mandate({ token, start: (await now()) - 10n, maxAmount: 5_000n, interval: 1000n });
    const id = await authorize('ConnectedWallets', m);
    expect(await debitRefusal('ConnectedWallets', id, 2_000n)).toBe('Error(SafeERC20: ERC20 operation did not succeed)');
    expect([await tokenBalance(token, payer), await tokenBalance(token, payee), (await stateOf('ConnectedWallets', id)).used]).toEqual([
      1_000n,
      0n,
      0,
    ]);
    // Within the balance the same period's debit still goes through: the refusal used nothing up.
    await debit('ConnectedWallets', id, 1_000n);
    expect(await tokenBalance(token, payee)).toBe(1_000n);
  });
  it('VirtualAccounts: a token answering false when short credits no deposit; within the balance it deposits, debits and withdraws', async () => {
    const token = await deployFixture('FalseToken');
    const abi = fixtures.FalseToken!.abi;
    await send(payer, token, abi, 'mint', [payer, 1_000n]);
    await send(payer, token, abi, 'approve', [va, 10_000n]);
    expect(await refusal(payer, va, vaAbi, 'deposit', [token, 2_000n])).toBe('Error(SafeERC20: ERC20 operation did not succeed)');
    expect(await deposited(payer, token)).toBe(0n);
    await send(payer, va, vaAbi, 'deposit', [token, 1_000n]);
    const id = await authorize('VirtualAccounts', await mandate({ token, start: (await now()) - 10n, maxAmount: 600n }));
    await debit('VirtualAccounts', id, 600n);
    await send(payer, va, vaAbi, 'withdraw', [token, 400n]);
    expect([await tokenBalance(token, payee), await tokenBalance(token, payer), await deposited(payer, token)]).toEqual([600n, 400n, 0n]);
  });
});

describe('short funds, told apart by reads', () => {
  it('ConnectedWallets: a short allowance and a short balance both revert; allowance and balanceOf say which', async () => {
    const m = await mandate({ payer: otherPayer, start: (await now()) - 10n, interval: 1000n });
    const id = await authorize('ConnectedWallets', m, await sign('ConnectedWallets', m, otherPayerKey));
    const amount = 2_000_000n;
    const reads = async () => ({
      balance: await tokenBalance(usdc, otherPayer),
      allowance: (await publicClient.readContract({
        address: usdc,
        abi: erc20Abi,
        functionName: 'allowance',
        args: [otherPayer, cw],
      })) as bigint,
    });
    const start = await reads();
    // Short allowance: plenty of balance, too small an allowance.
    await send(otherPayer, usdc, erc20Abi as unknown as Abi, 'mint', [otherPayer, 10n * amount]);
    await send(otherPayer, usdc, erc20Abi as unknown as Abi, 'approve', [cw, amount - 1n]);
    let r = await reads();
    expect(r.balance >= amount && r.allowance < amount).toBe(true);
    // The token's reason (a string here, a custom error in OpenZeppelin 5) is not what tells them apart.
    expect(await debitRefusal('ConnectedWallets', id, amount)).toMatch(/^Error\(ERC20: /);
    // Short balance: plenty of allowance, too small a balance.
    await send(otherPayer, usdc, erc20Abi as unknown as Abi, 'approve', [cw, 10n * amount]);
    await send(
      otherPayer,
      usdc,
      [
        {
          type: 'function',
          name: 'transfer',
          stateMutability: 'nonpayable',
          inputs: [{ type: 'address' }, { type: 'uint256' }],
          outputs: [{ type: 'bool' }],
        },
      ] as Abi,
      'transfer',
      [stranger, r.balance - amount + 1n],
    );
    r = await reads();
    expect(r.balance < amount && r.allowance >= amount).toBe(true);
    // The token's reason (a string here, a custom error in OpenZeppelin 5) is not what tells them apart.
    expect(await debitRefusal('ConnectedWallets', id, amount)).toMatch(/^Error\(ERC20: /);
    // Topped up: the same period's debit goes through.
    await send(otherPayer, usdc, erc20Abi as unknown as Abi, 'mint', [otherPayer, amount]);
    await debit('ConnectedWallets', id, amount);
    expect(start.allowance).toBe(0n);
  });

  it('VirtualAccounts: a short deposit is InsufficientDeposit(available, amount); a top-up lets the period be debited', async () => {
    const m = await mandate({ payer: otherPayer, start: (await now()) - 10n, interval: 1000n });
    const id = await authorize('VirtualAccounts', m, await sign('VirtualAccounts', m, otherPayerKey));
    const available = await deposited(otherPayer, usdc);
    const outcome = await revertOf(send(relayer, va, vaAbi, 'debit', [id, available + 1n]));
    expect(outcome).toEqual({ name: 'InsufficientDeposit', args: [available, available + 1n] });
    await fund('VirtualAccounts', otherPayer, 1n);
    await debit('VirtualAccounts', id, available + 1n);
    expect(await deposited(otherPayer, usdc)).toBe(0n);
  });
});

describe('VirtualAccounts: the native coin', () => {
  it('deposits, debits to the payee and withdraws exact amounts; refuses a value that does not match and a withdrawal over the balance', async () => {
    const ether = 10n ** 18n;
    expect(await refusal(payer, va, vaAbi, 'deposit', [zeroAddress, ether], ether - 1n)).toBe('NativeValueMismatch');
    expect(await refusal(payer, va, vaAbi, 'deposit', [usdc, 1n], 1n)).toBe('NativeValueMismatch');
    expect(await refusal(payer, va, vaAbi, 'deposit', [zeroAddress, 0n], 0n)).toBe('ZeroAmount');
    const before = await deposited(payer, zeroAddress);
    const receipt = await send(payer, va, vaAbi, 'deposit', [zeroAddress, 2n * ether], 2n * ether);
    expect((parseEventLogs({ abi: vaAbi, logs: receipt.logs, eventName: 'Deposited' }) as any[])[0].args).toEqual({
      payer,
      token: zeroAddress,
      amount: 2n * ether,
      balance: before + 2n * ether,
    });
    expect(await deposited(payer, zeroAddress)).toBe(before + 2n * ether);

    const m = await mandate({ token: zeroAddress, maxAmount: ether, start: (await now()) - 10n });
    const id = await authorize('VirtualAccounts', m);
    const payeeBefore = await publicClient.getBalance({ address: payee });
    await debit('VirtualAccounts', id, ether);
    expect((await publicClient.getBalance({ address: payee })) - payeeBefore).toBe(ether);
    expect(await deposited(payer, zeroAddress)).toBe(before + ether);

    expect(await revertOf(send(payer, va, vaAbi, 'withdraw', [zeroAddress, before + ether + 1n]))).toMatchObject({
      name: 'InsufficientDeposit',
    });
    const withdrawn = await send(payer, va, vaAbi, 'withdraw', [zeroAddress, before + ether]);
    expect((parseEventLogs({ abi: vaAbi, logs: withdrawn.logs, eventName: 'Withdrawn' }) as any[])[0].args).toEqual({
      payer,
      token: zeroAddress,
      amount: before + ether,
      balance: 0n,
    });
    expect(await deposited(payer, zeroAddress)).toBe(0n);
    expect(await publicClient.getBalance({ address: va })).toBe(0n);
  });

  it('a payer or payee calling back when paid cannot take twice: the whole transfer reverts and balances stay', async () => {
    const ether = 10n ** 18n;
    const attacker = await deployFixture('Reentrant', [va]);
    // With the contract's errors, so that the one bubbling up through the attacker is decoded.
    const abi = [...fixtures.Reentrant!.abi, ...vaAbi.filter((item) => item.type === 'error')];
    await send(stranger, attacker, abi, 'depositNative', [], ether);
    expect(await refusal(stranger, attacker, abi, 'withdrawTwice', [ether])).toBe('NativeTransferFailed');
    expect(await deposited(attacker, zeroAddress)).toBe(ether);

    // As a payee: the payer's deposit pays one debit at most.
    await send(payer, va, vaAbi, 'deposit', [zeroAddress, 2n * ether], 2n * ether);
    const m = await mandate({ token: zeroAddress, payee: attacker, maxAmount: ether, start: (await now()) - 10n });
    const id = await authorize('VirtualAccounts', m);
    expect(await refusal(stranger, attacker, abi, 'debitTwice', [id, ether])).toBe('NativeTransferFailed');
    expect(await deposited(payer, zeroAddress)).toBe(2n * ether);
    expect((await stateOf('VirtualAccounts', id)).used).toBe(0);
    await send(payer, va, vaAbi, 'withdraw', [zeroAddress, 2n * ether]);
  });
});

describe('a smart-contract wallet (ERC-1271) as the payer', () => {
  it.each(['ConnectedWallets', 'VirtualAccounts'] as const)('%s: its owner signs, the mandate is debited from the wallet', async (kind) => {
    const wallet = await deployFixture('OwnedWallet', [payer]);
    const walletAbi = fixtures.OwnedWallet!.abi;
    await send(payer, usdc, erc20Abi as unknown as Abi, 'mint', [wallet, 5_000n]);
    const { address } = contractOf(kind);
    const exec = (to: Address, abi: Abi, functionName: string, args: unknown[]) =>
      send(payer, wallet, walletAbi, 'execute', [to, 0n, encodeFunctionData({ abi, functionName, args } as any)]);
    await exec(usdc, erc20Abi as unknown as Abi, 'approve', [address, 5_000n]);
    if (kind === 'VirtualAccounts') await exec(va, vaAbi, 'deposit', [usdc, 5_000n]);
    const m = await mandate({ payer: wallet, maxAmount: 5_000n, start: (await now()) - 10n });
    expect(await refusal(relayer, address, contractOf(kind).abi, 'authorize', [m, await sign(kind, m, otherPayerKey)])).toBe(
      'InvalidSignature',
    );
    const id = await authorize(kind, m, await sign(kind, m, payerKey));
    const payeeBefore = await tokenBalance(usdc, payee);
    await debit(kind, id, 5_000n);
    expect((await tokenBalance(usdc, payee)) - payeeBefore).toBe(5_000n);
  });
});

describe('a compromised relayer key cannot move more than the payer signed', () => {
  it('every way out of the signed limits reverts, and the balances show nothing moved', async () => {
    await fund('ConnectedWallets', payer, 50_000_000n);
    await fund('VirtualAccounts', payer, 50_000_000n);
    const m = await mandate({ maxAmount: 1_000_000n, debitTimes: 2, interval: 1000n, start: (await now()) - 10n });
    const signature = await sign('ConnectedWallets', m);
    const id = await authorize('ConnectedWallets', m, signature);
    const { event } = await debit('ConnectedWallets', id, 1_000_000n);
    expect(event.used).toBe(1);

    const snapshot = async () => ({
      payerWallet: await tokenBalance(usdc, payer),
      payerDeposit: await deposited(payer, usdc),
      relayer: await tokenBalance(usdc, relayer),
      cw: await tokenBalance(usdc, cw),
      va: await tokenBalance(usdc, va),
    });
    const before = await snapshot();

    // Itself (or anyone else) as the payee: the signature no longer matches.
    for (const to of [relayer, stranger]) {
      expect(await refusal(relayer, cw, cwAbi, 'authorize', [{ ...m, payee: to }, signature])).toBe('InvalidSignature');
    }
    // Bigger limits, more debits, a shorter interval, an earlier start, the native coin.
    for (const altered of [
      { maxAmount: 50_000_000n },
      { debitTimes: 100 },
      { interval: 1n },
      { start: 0n },
      { salt: `0x${'11'.repeat(32)}` as Hex },
    ]) {
      expect(await refusal(relayer, cw, cwAbi, 'authorize', [{ ...m, ...altered }, signature])).toBe('InvalidSignature');
    }
    // A bigger amount, a second debit in the same period.
    expect(await debitRefusal('ConnectedWallets', id, 1_000_001n)).toBe('AmountOverMax');
    expect(await debitRefusal('ConnectedWallets', id, 1n)).toBe('AlreadyDebitedThisPeriod');
    // The same signature replayed on the other contract (its own EIP-712 domain).
    expect(await refusal(relayer, va, vaAbi, 'authorize', [m, signature])).toBe('InvalidSignature');
    // Someone's deposit: withdraw takes only from the sender's own balance.
    expect(await revertOf(send(relayer, va, vaAbi, 'withdraw', [usdc, 1n]))).toMatchObject({ name: 'InsufficientDeposit', args: [0n, 1n] });
    // Make itself owner's equal: only the owner sets relayers.
    expect(await refusal(relayer, cw, cwAbi, 'setRelayer', [stranger, true])).toBe('Error(Ownable: caller is not the owner)');
    // The payer cancels: no further debit, even in a new period.
    await send(payer, cw, cwAbi, 'cancel', [id]);
    await at(m.start + 5000n);
    expect(await debitRefusal('ConnectedWallets', id, 1n)).toBe('MandateIsCancelled');
    // Un-cancel by registering again: refused.
    expect(await refusal(relayer, cw, cwAbi, 'authorize', [m, signature])).toBe('MandateExists');

    expect(await snapshot()).toEqual(before);
  });
});

describe('gas', () => {
  it('authorize and debit stay cheap enough for a relayer to pay every period (receipts logged for the README)', async () => {
    const used: Record<string, number> = {};
    for (const kind of ['ConnectedWallets', 'VirtualAccounts'] as const) {
      await fund(kind, payer, 10_000_000n);
      const m = await mandate({ interval: 100n, start: (await now()) + 10n });
      const { id, receipt } = await authorizeReceipt(kind, m);
      used[`${kind}.authorize`] = Number(receipt.gasUsed);
      await at(m.start);
      used[`${kind}.debit (period 1)`] = Number((await debit(kind, id, 1_000_000n)).receipt.gasUsed);
      await at(m.start + 100n);
      used[`${kind}.debit (period 2)`] = Number((await debit(kind, id, 1_000_000n)).receipt.gasUsed);
    }
    const ether = 10n ** 18n;
    used['VirtualAccounts.deposit (native)'] = Number(
      (await send(payer, va, vaAbi, 'deposit', [zeroAddress, 2n * ether], 2n * ether)).gasUsed,
    );
    const native = await mandate({ token: zeroAddress, maxAmount: ether, start: (await now()) - 10n });
    const nativeId = await authorize('VirtualAccounts', native);
    used['VirtualAccounts.debit (native)'] = Number((await debit('VirtualAccounts', nativeId, ether)).receipt.gasUsed);
    used['VirtualAccounts.withdraw (native)'] = Number(
      (await send(payer, va, vaAbi, 'withdraw', [zeroAddress, await deposited(payer, zeroAddress)])).gasUsed,
    );
    console.log('gas used (anvil receipts):', used);
    for (const [what, amount] of Object.entries(used)) expect(amount, what).toBeLessThan(what.endsWith('authorize') ? 150_000 : 100_000);
  });
});

describe('scripts/contracts.mjs deploy', () => {
  it('deploys all three from a key in an environment variable and prints the CHAINS fields; refuses a key on the command line', async () => {
    const script = join(ROOT, 'scripts/contracts.mjs');
    const refused = spawnSync(
      process.execPath,
      [script, 'deploy', '--rpc-url', chain.rpcUrl, '--private-key', chain.accounts[7]!.privateKey],
      {
        encoding: 'utf8',
      },
    );
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--private-key-env');

    const ok = spawnSync(
      process.execPath,
      [script, 'deploy', '--rpc-url', chain.rpcUrl, '--private-key-env', 'TEST_DEPLOYER_KEY', '--relayer', relayer],
      {
        encoding: 'utf8',
        env: { ...process.env, TEST_DEPLOYER_KEY: chain.accounts[7]!.privateKey },
      },
    );
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const printed = JSON.parse(ok.stdout.slice(ok.stdout.indexOf('{')));
    // The escrow (contracts/Escrow.sol, test/contracts/escrow.test.ts) is deployed alongside.
    expect(Object.keys(printed).sort()).toEqual(['connected_wallets_contract', 'escrow_contract', 'virtual_accounts_contract']);
    const abis: Record<string, Abi> = {
      connected_wallets_contract: cwAbi,
      virtual_accounts_contract: vaAbi,
      escrow_contract: compileContracts().Escrow.abi,
    };
    for (const [field, address] of Object.entries(printed) as [string, Address][]) {
      const abi = abis[field]!;
      const reads = [
        publicClient.readContract({ address, abi, functionName: 'owner' }),
        publicClient.readContract({ address, abi, functionName: 'isRelayer', args: [relayer] }),
      ];
      await expect(Promise.all(reads)).resolves.toEqual([chain.accounts[7]!.address, true]);
    }
    expect(ok.stdout).not.toContain(chain.accounts[7]!.privateKey.slice(2));
  });

  it('compiles once: the second call reads the cache and gives the same bytecode', () => {
    expect(compileContracts().VirtualAccounts.bytecode).toBe(compileContracts().VirtualAccounts.bytecode);
  });
});
