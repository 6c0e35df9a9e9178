/**
 * The escrow (contracts/Escrow.sol) driven as the service will drive it, inside workerd: calls built by
 * src/chain/escrow.ts, sent by the relayer (src/chain/relayer.ts, a Durable Object signing with the
 * test relayer key, anvil account 7), read back through escrowOf. On the escrow's own anvil
 * (`escrowChain`, CHAINS network `escrow`, chain id 31348, 2 confirmations), which this file stops
 * mining and reverts. The payer is anvil account 2; each merchant a fresh address with no tokens.
 */
import { env } from 'cloudflare:test';
import { type Address, erc20Abi, getAddress, type Hex, verifyTypedData } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, inject, it, vi } from 'vitest';
import {
  decodeEscrowLogs,
  depositTypedData,
  depositWithSignatureCall,
  type EscrowCall,
  type EscrowDeposit,
  escrowIdOf,
  readEscrow,
  refundCall,
  releaseCall,
} from '../../src/chain/escrow.js';
import { type RelayedTransaction, relayer } from '../../src/chain/relayer.js';
import { chainsConfig } from '../../src/chain/registry.js';
import { newId } from '../../src/lib/ids.js';
import { waitFor } from '../helpers.js';
import { chainClient } from './local-chain-client.js';

const chain = chainClient(inject('escrowChain'));
const NETWORK = 'escrow';
const ESCROW = chainsConfig(env).get(NETWORK)!.escrow_contract!;
const RELAYER = privateKeyToAccount(env.RELAYER_PRIVATE_KEY as Hex).address;
const PAYER_INDEX = 2;
const payerAccount = privateKeyToAccount(chain.info.accounts[PAYER_INDEX]!.privateKey);
const payer = payerAccount.address;
const stub = () => relayer(env, NETWORK);

function randomAddress(): Address {
  return getAddress(`0x${[...crypto.getRandomValues(new Uint8Array(20))].map((b) => b.toString(16).padStart(2, '0')).join('')}`);
}

function tokenBalance(owner: Address): Promise<bigint> {
  return chain.publicClient.readContract({ address: chain.usdc.address, abi: erc20Abi, functionName: 'balanceOf', args: [owner] });
}

/** Has the relayer send `call` under a new attempt id; refusals throw. */
async function relay(call: EscrowCall): Promise<string> {
  const id = `att_${crypto.randomUUID().replaceAll('-', '')}`;
  const result = await stub().send(NETWORK, { id, ...call });
  if (!result.ok) throw new Error(`send refused: ${result.error}: ${result.message}`);
  return id;
}

async function status(id: string): Promise<RelayedTransaction> {
  const s = await stub().status(id);
  if (!s) throw new Error(`no attempt ${id}`);
  return s;
}

/** Waits for the attempt to be mined, then mines one block on top: final at the network's 2 confirmations. */
async function confirmed(id: string): Promise<RelayedTransaction> {
  await waitFor(async () => (await status(id)).status === 'mined', 10_000);
  await chain.mine(1);
  await waitFor(async () => (await status(id)).final, 10_000);
  return status(id);
}

/** The payer (anvil account 2) gets `amount` USDC from account 0 and approves the escrow for it. */
async function fundPayer(amount: bigint): Promise<void> {
  await chain.payUsdc(payer, amount);
  const hash = await chain.wallet(PAYER_INDEX).writeContract({
    address: chain.usdc.address,
    abi: erc20Abi,
    functionName: 'approve',
    args: [ESCROW, amount],
  });
  await chain.mined(hash);
}

/** The payer signs a deposit for a new intent and the relayer locks it; returns once it is final. */
async function lockThroughRelayer(amount: bigint, merchant: Address): Promise<{ intent: string; deposit: EscrowDeposit }> {
  await fundPayer(amount);
  const intent = newId('pi');
  const t = (await chain.publicClient.getBlock()).timestamp;
  const deposit: EscrowDeposit = {
    intentId: escrowIdOf(intent),
    payer,
    token: chain.usdc.address,
    amount,
    merchant,
    deadline: t + 86_400n,
    validBefore: t + 600n,
  };
  const typed = depositTypedData(chain.info.chainId, ESCROW, deposit);
  const signature = await payerAccount.signTypedData(typed);
  // What the service checks before it spends gas (SIGNATURE_VERIFICATION): the payer signed these terms.
  expect(await verifyTypedData({ ...typed, address: payer, signature })).toBe(true);
  expect(await verifyTypedData({ ...typed, message: { ...deposit, amount: amount + 1n }, address: payer, signature })).toBe(false);
  const attempt = await relay(depositWithSignatureCall(ESCROW, deposit, signature));
  expect(await confirmed(attempt)).toMatchObject({ status: 'mined', from: RELAYER, to: ESCROW });
  return { intent, deposit };
}

describe('the escrow through the relayer', () => {
  it("locks the payer's signed deposit, then a release the relayer sends pays the merchant", async () => {
    const merchant = randomAddress();
    const { intent, deposit } = await lockThroughRelayer(42_000_000n, merchant);
    expect(await readEscrow(chain.publicClient, ESCROW, escrowIdOf(intent), payer)).toEqual({
      status: 'locked',
      payer,
      merchant,
      token: chain.usdc.address,
      amount: 42_000_000n,
      deadline: deposit.deadline,
    });
    expect(await tokenBalance(merchant)).toBe(0n);

    const attempt = await relay(releaseCall(ESCROW, escrowIdOf(intent), payer));
    const mined = await confirmed(attempt);
    expect(mined.status).toBe('mined');
    expect(await tokenBalance(merchant)).toBe(42_000_000n);
    expect((await readEscrow(chain.publicClient, ESCROW, escrowIdOf(intent), payer)).status).toBe('released');
    const receipt = await chain.publicClient.getTransactionReceipt({ hash: mined.hash });
    expect(decodeEscrowLogs(receipt.logs, ESCROW)).toEqual([
      expect.objectContaining({ event: 'Released', intentId: escrowIdOf(intent), payer, merchant, amount: 42_000_000n, by: RELAYER }),
    ]);
  });

  it('a refund the relayer sends pays the payer back', async () => {
    const { intent } = await lockThroughRelayer(5_000_000n, randomAddress());
    const before = await tokenBalance(payer);
    expect(await confirmed(await relay(refundCall(ESCROW, escrowIdOf(intent), payer)))).toMatchObject({ status: 'mined' });
    expect(await tokenBalance(payer)).toBe(before + 5_000_000n);
    expect((await readEscrow(chain.publicClient, ESCROW, escrowIdOf(intent), payer)).status).toBe('refunded');
  });

  it('a release the contract would refuse (nothing locked for the intent) is refused before it costs gas', async () => {
    const result = await stub().send(NETWORK, {
      id: `att_${crypto.randomUUID().replaceAll('-', '')}`,
      ...releaseCall(ESCROW, escrowIdOf(newId('pi')), payer),
    });
    expect(result).toMatchObject({ ok: false, error: 'transaction_would_revert' });
  });

  it('a reorg that drops the release leaves the deposit locked again; the relayer sends it again and the merchant is paid once', async () => {
    const merchant = randomAddress();
    const { intent } = await lockThroughRelayer(8_000_000n, merchant);
    const snapshot = await chain.rpc<Hex>('evm_snapshot');
    const attempt = await relay(releaseCall(ESCROW, escrowIdOf(intent), payer));
    await waitFor(async () => (await status(attempt)).status === 'mined', 10_000);
    const firstBlock = (await status(attempt)).blockHash;
    expect((await readEscrow(chain.publicClient, ESCROW, escrowIdOf(intent), payer)).status).toBe('released');
    expect(await tokenBalance(merchant)).toBe(8_000_000n);

    // The release's block is gone. Mining is held so the relayer's second broadcast waits in the pool
    // while the chain is read.
    await chain.rpc('evm_setAutomine', [false]);
    try {
      await chain.rpc('evm_revert', [snapshot]);
      expect((await readEscrow(chain.publicClient, ESCROW, escrowIdOf(intent), payer)).status).toBe('locked');
      expect(await tokenBalance(merchant)).toBe(0n);
    } finally {
      await chain.rpc('evm_setAutomine', [true]);
    }
    // The relayer says so in one warning (held back here, and checked).
    const warnings: string[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
    });
    try {
      await chain.mine(1);
      await waitFor(async () => {
        const s = await status(attempt);
        return s.status === 'mined' && s.blockHash !== firstBlock;
      }, 15_000);
      await chain.mine(1);
      await waitFor(async () => (await status(attempt)).final, 10_000);
    } finally {
      warn.mockRestore();
    }
    expect(warnings.filter((line) => line.includes('relayer transaction dropped by a reorg'))).toEqual([
      expect.stringContaining(`"id":"${attempt}"`),
    ]);
    expect((await readEscrow(chain.publicClient, ESCROW, escrowIdOf(intent), payer)).status).toBe('released');
    expect(await tokenBalance(merchant)).toBe(8_000_000n);
  });
});
