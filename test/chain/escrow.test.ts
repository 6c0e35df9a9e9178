/**
 * The escrow (contracts/Escrow.sol) driven as the service will drive it, inside workerd: calls built by
 * src/chain/escrow.ts, sent by the relayer (src/chain/relayer.ts, a Durable Object signing with the
 * test relayer key, anvil account 7), read back through escrowOf. On the escrow's own anvil
 * (`escrowChain`, CHAINS network `escrow`, chain id 31348, 2 confirmations), which this file stops
 * mining and reverts. The payer is anvil account 2; each merchant a fresh address with no tokens.
 *
 * The chain port's escrow reads (ViemChainReader.readEscrow / getEscrowLogs) are tested here too, on
 * the same anvil: in one file, so no other file's transactions land while this one stops mining or
 * reverts. Careless nodes are played by the webhook receiver's scripted mailboxes.
 */
import { env } from 'cloudflare:test';
import { type Address, encodeAbiParameters, encodeEventTopics, erc20Abi, getAddress, type Hex, verifyTypedData, zeroAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, inject, it, vi } from 'vitest';
import {
  decodeEscrowLogs,
  depositTypedData,
  ESCROW_ABI,
  depositWithSignatureCall,
  type EscrowCall,
  type EscrowDeposit,
  escrowIdOf,
  readEscrow,
  refundCall,
  releaseCall,
} from '../../src/chain/escrow.js';
import { type RelayedTransaction, relayer } from '../../src/chain/relayer.js';
import { parseChains } from '../../src/chain/config.js';
import { ChainUnavailable } from '../../src/chain/port.js';
import { chainsConfig } from '../../src/chain/registry.js';
import { type ViemChainOptions, ViemChainReader } from '../../src/chain/viem-adapter.js';
import { newId } from '../../src/lib/ids.js';
import { waitFor } from '../helpers.js';
import { openMailbox } from '../webhooks/receiver-client.js';
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

describe("the chain port's escrow reads (ViemChainReader)", () => {
  const network = parseChains(env.CHAINS)[NETWORK]!;
  const reader = new ViemChainReader(NETWORK, network);
  const readerOver = (rpcUrls: string[], options: ViemChainOptions = {}) =>
    new ViemChainReader(NETWORK, { ...network, rpcUrls }, { retryDelayMs: 10, retries: 0, ...options });
  const jsonRpc = (result: unknown) => JSON.stringify({ jsonrpc: '2.0', id: 1, result });
  async function failure(promise: Promise<unknown>): Promise<ChainUnavailable> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChainUnavailable);
    return error as ChainUnavailable;
  }

  it('reads a deposit as it was at a block: none before its lock, locked from it, released after; behind past the head', async () => {
    const merchant = randomAddress();
    const { intent, deposit } = await lockThroughRelayer(3_000_000n, merchant);
    const escrowId = escrowIdOf(intent);
    const [locked] = await reader
      .getEscrowLogs({ contracts: [ESCROW], ids: [escrowId], fromBlock: 0n, toBlock: await reader.head() })
      .then((scan) => scan.logs);
    expect(locked).toMatchObject({ event: 'Locked', payer });
    const at = (blockNumber: bigint) => reader.readEscrow({ contract: ESCROW, escrowId, payer, blockNumber });
    expect((await at(locked!.blockNumber - 1n)).status).toBe('none');
    expect(await at(locked!.blockNumber)).toEqual({
      status: 'locked',
      payer,
      merchant,
      token: chain.usdc.address,
      amount: 3_000_000n,
      deadline: deposit.deadline,
    });
    // Another payer's key under the same intent id: nothing.
    expect(await reader.readEscrow({ contract: ESCROW, escrowId, payer: merchant, blockNumber: locked!.blockNumber })).toMatchObject({
      status: 'none',
      payer: zeroAddress,
    });
    const mined = await confirmed(await relay(releaseCall(ESCROW, escrowId, payer)));
    expect((await at(mined.blockNumber!)).status).toBe('released');
    expect((await at(mined.blockNumber! - 1n)).status).toBe('locked');

    const head = await reader.head();
    const behind = await failure(at(head + 5n));
    expect(behind.fault).toBe('behind');
    expect(behind.message).toContain(`block ${head + 5n} is past the node's head ${head}`);
  });

  it("scans the Locked / Released / Refunded logs of the asked ids only, in chain order, each naming its payer; a stranger's deposit under the id is seen as the stranger's", async () => {
    const fromBlock = (await reader.head()) + 1n;
    const merchant = randomAddress();
    const { intent: released } = await lockThroughRelayer(1_000_000n, merchant);
    const { intent: refunded } = await lockThroughRelayer(2_000_000n, merchant);
    const { intent: unasked } = await lockThroughRelayer(4_000_000n, merchant);
    // A stranger (account 4) locks one unit under the first intent's id, directly.
    const stranger = chain.info.accounts[4]!.address;
    await chain.payUsdc(stranger, 1n);
    await chain.mined(
      await chain.wallet(4).writeContract({ address: chain.usdc.address, abi: erc20Abi, functionName: 'approve', args: [ESCROW, 1n] }),
    );
    const t = (await chain.publicClient.getBlock()).timestamp;
    await chain.mined(
      await chain.wallet(4).writeContract({
        address: ESCROW,
        abi: ESCROW_ABI,
        functionName: 'deposit',
        args: [escrowIdOf(released), chain.usdc.address, 1n, merchant, t + 3_600n],
      }),
    );
    await confirmed(await relay(releaseCall(ESCROW, escrowIdOf(released), payer)));
    await confirmed(await relay(refundCall(ESCROW, escrowIdOf(refunded), payer)));

    const head = await reader.head();
    const ids = [escrowIdOf(released), escrowIdOf(refunded)];
    const scan = await reader.getEscrowLogs({ contracts: [ESCROW], ids, fromBlock, toBlock: head });
    expect(scan.toBlock).toBe(head);
    expect(scan.logs.map((log) => [log.event, log.intentId, 'payer' in log ? log.payer : undefined, log.amount])).toEqual([
      ['Locked', ids[0], payer, 1_000_000n],
      ['Locked', ids[1], payer, 2_000_000n],
      ['Locked', ids[0], stranger, 1n],
      ['Released', ids[0], payer, 1_000_000n],
      ['Refunded', ids[1], payer, 2_000_000n],
    ]);
    expect(scan.logs.some((log) => log.intentId === escrowIdOf(unasked))).toBe(false);
    for (const log of scan.logs) expect(log.blockHash).toBe(await reader.blockHash(log.blockNumber));

    // Capped at the adapter's largest range: the caller resumes from toBlock + 1 and sees the rest.
    const capped = new ViemChainReader(NETWORK, network, { maxLogRange: 3 });
    const first = await capped.getEscrowLogs({ contracts: [ESCROW], ids, fromBlock, toBlock: head });
    expect(first.toBlock).toBe(fromBlock + 2n);
    const rest: typeof scan.logs = [...first.logs];
    for (let from = first.toBlock + 1n; from <= head; ) {
      const next = await capped.getEscrowLogs({ contracts: [ESCROW], ids, fromBlock: from, toBlock: head });
      rest.push(...next.logs);
      from = next.toBlock + 1n;
    }
    expect(rest).toEqual(scan.logs);
    // Nothing asked: nothing read.
    expect(await reader.getEscrowLogs({ contracts: [], ids, fromBlock, toBlock: head })).toEqual({ logs: [], toBlock: head });
  });

  it('distrusts a careless node: a log outside the filter, pending, removed or undecodable, and a lagging node, are ChainUnavailable', async () => {
    const id = escrowIdOf(newId('pi'));
    const merchant = randomAddress();
    const locked = (overrides: Record<string, unknown> = {}) => ({
      address: ESCROW.toLowerCase(),
      topics: encodeEventTopics({ abi: ESCROW_ABI, eventName: 'Locked', args: { intentId: id, payer, merchant } }),
      data: encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }, { type: 'uint64' }], [chain.usdc.address, 5n, 9_999_999_999n]),
      blockNumber: '0x4',
      blockHash: `0x${'b'.repeat(64)}`,
      transactionHash: `0x${'c'.repeat(64)}`,
      transactionIndex: '0x0',
      logIndex: '0x1',
      removed: false,
      ...overrides,
    });
    const nodeAnswering = (logs: unknown[]) =>
      openMailbox({
        secrets: [],
        script: [
          { status: 200, body: jsonRpc('0x5') },
          { status: 200, body: jsonRpc(logs) },
        ],
      });
    const query = { contracts: [ESCROW], ids: [id], fromBlock: 1n, toBlock: 5n };
    // A faithful answer decodes.
    const good = await nodeAnswering([locked()]);
    expect(await readerOver([good.url]).getEscrowLogs(query)).toEqual({
      toBlock: 5n,
      logs: [
        {
          event: 'Locked',
          contract: ESCROW,
          intentId: id,
          payer,
          merchant,
          token: chain.usdc.address,
          amount: 5n,
          deadline: 9_999_999_999n,
          txHash: `0x${'c'.repeat(64)}`,
          blockNumber: 4n,
          blockHash: `0x${'b'.repeat(64)}`,
          logIndex: 1,
        },
      ],
    });
    const [, request] = await good.received();
    expect(JSON.parse(request!.body)).toMatchObject({
      method: 'eth_getLogs',
      params: [{ address: [ESCROW], topics: [expect.arrayContaining([locked().topics[0]]), [id]], fromBlock: '0x1', toBlock: '0x5' }],
    });
    expect(JSON.parse(request!.body).params[0].topics[0]).toHaveLength(4);

    for (const [what, log] of [
      [
        'another id',
        locked({
          topics: encodeEventTopics({ abi: ESCROW_ABI, eventName: 'Locked', args: { intentId: escrowIdOf(newId('pi')), payer, merchant } }),
        }),
      ],
      ['another contract', locked({ address: '0x000000000000000000000000000000000000dead' })],
      ['pending', locked({ blockNumber: null, blockHash: null })],
      ['removed by a reorg', locked({ removed: true })],
      ['outside the range', locked({ blockNumber: '0x9' })],
      ['undecodable', locked({ data: '0x01' })],
    ] as const) {
      const careless = await nodeAnswering([log]);
      const error = await failure(readerOver([careless.url]).getEscrowLogs(query));
      expect(error.fault, what).toBe('bad-response');
    }

    // A node whose head is below the block asked: behind, never a "none" from its latest state.
    const lagging = await openMailbox({ secrets: [], script: [{ status: 200, body: jsonRpc('0x1') }], default: { status: 500 } });
    const behind = await failure(readerOver([lagging.url]).readEscrow({ contract: ESCROW, escrowId: id, payer, blockNumber: 4n }));
    expect(behind.fault).toBe('behind');
    expect(await lagging.received()).toHaveLength(1);
  });
});
