/**
 * The chain port against a real node: anvil (test/local-chain.ts), paid with signed transactions
 * from viem, blocks mined on demand, history rewritten with anvil_reorg and evm_snapshot/evm_revert.
 * Faulty nodes are played by the webhook receiver's scripted mailboxes, which answer whatever
 * status, headers, body and delay a test asks for.
 *
 * The tests here run one after another and are the only ones sending transactions to the shared
 * chain: the history rewrites would otherwise drop other files' transactions.
 */
import { env } from 'cloudflare:test';
import { encodeAbiParameters, encodeEventTopics, erc20Abi, type Hex, parseAbi, parseEther, type Address } from 'viem';
import { describe, expect, it } from 'vitest';
import { parseChains } from '../../src/chain/config.js';
import { ChainUnavailable, type ChainReader } from '../../src/chain/port.js';
import { ViemChainReader, type ViemChainOptions } from '../../src/chain/viem-adapter.js';
import { openMailbox } from '../webhooks/receiver-client.js';
import { freshDepositAddress, localChain, mine, mined, payEth, payUsdc, publicClient, rpc, usdc, wallet } from './local-chain-client.js';

const chains = parseChains(env.CHAINS);
const local = chains.local!;
const chain = new ViemChainReader('local', local);

/** Nothing listens on port 1: connections are refused at once. */
const REFUSING_URL = 'http://127.0.0.1:1/rpc/secret-api-key';

function readerOver(rpcUrls: string[], options: ViemChainOptions = {}): ChainReader {
  return new ViemChainReader('local', { ...local, rpcUrls }, { retryDelayMs: 10, ...options });
}

async function failure(promise: Promise<unknown>): Promise<ChainUnavailable> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChainUnavailable);
  return error as ChainUnavailable;
}

const MINT_ABI = parseAbi(['function mint(address to, uint256 amount)']);
const jsonRpc = (result: unknown) => JSON.stringify({ jsonrpc: '2.0', id: 1, result });

describe('the local chain', () => {
  it('reaches the worker as CHAINS network `local`, with the demo USDC', () => {
    expect(local).toEqual({
      chainId: 31337,
      rpcUrls: [localChain.rpcUrl],
      confirmations: 2,
      // test/local-chain.ts polls faster than the dev chain's 1000 ms, so crypto tests wait less.
      pollIntervalMs: 500,
      rpcTimeoutMs: 5000,
      livemode: false,
      nativeCurrency: { symbol: 'eth', decimals: 18 },
      tokens: [{ symbol: 'usdc', address: usdc.address, decimals: 6, usdPegged: true }],
    });
  });

  it('has a 6-decimal "USD Coin" that anyone may mint, and account 0 holds USDC', async () => {
    const read = (functionName: 'name' | 'symbol' | 'decimals') =>
      publicClient.readContract({ address: usdc.address, abi: erc20Abi, functionName });
    expect([await read('name'), await read('symbol'), await read('decimals')]).toEqual(['USD Coin', 'USDC', 6]);
    const balanceOf = (index: number) =>
      publicClient.readContract({
        address: usdc.address,
        abi: erc20Abi,
        functionName: 'balanceOf',
        args: [localChain.accounts[index]!.address],
      });
    expect(await balanceOf(0)).toBeGreaterThan(900_000n * 10n ** 6n);

    const before = await balanceOf(2);
    const minter = wallet(2);
    await mined(
      await minter.writeContract({
        address: usdc.address,
        abi: MINT_ABI,
        functionName: 'mint',
        args: [minter.account.address, 5_000_000n],
      }),
    );
    expect(await balanceOf(2)).toBe(before + 5_000_000n);
  });
});

describe('ViemChainReader', () => {
  it('reads the head fresh each time', async () => {
    const before = await chain.head();
    expect(before).toBe(await publicClient.getBlockNumber());
    await mine(3);
    expect(await chain.head()).toBe(before + 3n);
  });

  it('sees a USDC payment to a deposit address, with its value, payer and block; confirmations grow as blocks are mined', async () => {
    const to = freshDepositAddress();
    const fromBlock = (await chain.head()) + 1n;
    const receipt = await payUsdc(to, 12_340_000n);
    await payUsdc(freshDepositAddress(), 1_000_000n); // to someone else: not ours

    const head = await chain.head();
    const scan = await chain.erc20Transfers({ tokens: [usdc.address], to: [to], fromBlock, toBlock: head });
    const block = await publicClient.getBlock({ blockHash: receipt.blockHash });
    expect(scan).toEqual({
      toBlock: head,
      transfers: [
        {
          txHash: receipt.transactionHash,
          logIndex: receipt.logs[0]!.logIndex,
          blockNumber: receipt.blockNumber,
          blockHash: receipt.blockHash,
          at: Number(block.timestamp) * 1000,
          from: localChain.accounts[0]!.address,
          value: 12_340_000n,
          to,
          token: usdc.address,
        },
      ],
    });
    const [transfer] = scan.transfers;
    const confirmations = async () => (await chain.head()) - transfer!.blockNumber + 1n;
    expect(await confirmations()).toBe(2n); // its block, and the other payment's
    await mine(5);
    expect(await confirmations()).toBe(7n);
    expect(await chain.blockHash(transfer!.blockNumber)).toBe(transfer!.blockHash);
  });

  it('sees several payments to one address in chain order, and none of another token', async () => {
    const to = freshDepositAddress();
    const fromBlock = (await chain.head()) + 1n;
    const first = await payUsdc(to, 1n);
    const second = await payUsdc(to, 2n);
    const toBlock = await chain.head();
    const { transfers } = await chain.erc20Transfers({ tokens: [usdc.address], to: [to], fromBlock, toBlock });
    expect(transfers.map((t) => [t.txHash, t.value])).toEqual([
      [first.transactionHash, 1n],
      [second.transactionHash, 2n],
    ]);
    const otherToken: Address = '0x000000000000000000000000000000000000dEaD';
    expect((await chain.erc20Transfers({ tokens: [otherToken], to: [to], fromBlock, toBlock })).transfers).toEqual([]);
  });

  it('reads payments to many addresses in one scan, each with its recipient, and none to an address not asked for', async () => {
    const watched = Array.from({ length: 30 }, () => freshDepositAddress());
    const fromBlock = (await chain.head()) + 1n;
    const paid = [watched[0]!, watched[17]!, watched[29]!];
    for (const [i, to] of paid.entries()) await payUsdc(to, BigInt(i + 1));
    await payUsdc(freshDepositAddress(), 9n);
    const coin = await payEth(watched[3]!, 5n);
    const toBlock = await chain.head();
    const logs = await chain.erc20Transfers({ tokens: [usdc.address], to: watched, fromBlock, toBlock });
    expect(logs.transfers.map((t) => [t.to, t.token, t.value])).toEqual(paid.map((to, i) => [to, usdc.address, BigInt(i + 1)]));
    const coins = await chain.nativeTransfers({ to: watched, fromBlock, toBlock });
    expect(coins.transfers).toEqual([expect.objectContaining({ txHash: coin.transactionHash, to: watched[3], token: null, value: 5n })]);
  });

  it('sees a native ETH payment, without a log index; a failed one and one to someone else are not seen', async () => {
    const to = freshDepositAddress();
    const fromBlock = (await chain.head()) + 1n;
    const receipt = await payEth(to, parseEther('0.25'));
    await payEth(freshDepositAddress(), parseEther('1'));
    // The USDC contract has no receive function: sending it ETH reverts, in a block all the same.
    const reverted = await payEth(usdc.address, parseEther('1'), { gas: 100_000n });
    expect(reverted.status).toBe('reverted');

    const head = await chain.head();
    const scan = await chain.nativeTransfers({ to: [to], fromBlock, toBlock: head });
    const block = await publicClient.getBlock({ blockHash: receipt.blockHash });
    expect(scan).toEqual({
      toBlock: head,
      transfers: [
        {
          txHash: receipt.transactionHash,
          logIndex: -1,
          blockNumber: receipt.blockNumber,
          blockHash: receipt.blockHash,
          at: Number(block.timestamp) * 1000,
          from: localChain.accounts[0]!.address,
          value: parseEther('0.25'),
          to,
          token: null,
        },
      ],
    });
    expect((await chain.nativeTransfers({ to: [usdc.address], fromBlock, toBlock: head })).transfers).toEqual([]);
  });

  it('clamps a range past the head to the head, and answers an empty scan for a range wholly past it', async () => {
    const to = freshDepositAddress();
    const fromBlock = (await chain.head()) + 1n;
    const receipt = await payUsdc(to, 5n);
    await payEth(to, 5n);
    const head = await chain.head();

    const logs = await chain.erc20Transfers({ tokens: [usdc.address], to: [to], fromBlock, toBlock: head + 1000n });
    expect(logs.toBlock).toBe(head);
    expect(logs.transfers.map((t) => t.txHash)).toEqual([receipt.transactionHash]);
    const coins = await chain.nativeTransfers({ to: [to], fromBlock, toBlock: head + 1000n });
    expect(coins.toBlock).toBe(head);
    expect(coins.transfers.map((t) => t.value)).toEqual([5n]);

    // anvil's eth_getLogs fails for a fromBlock past its head; the port must not.
    expect(await chain.erc20Transfers({ tokens: [usdc.address], to: [to], fromBlock: head + 5n, toBlock: head + 10n })).toEqual({
      transfers: [],
      toBlock: head,
    });
    expect(await chain.nativeTransfers({ to: [to], fromBlock: head + 5n, toBlock: head + 10n })).toEqual({ transfers: [], toBlock: head });
    expect(await chain.erc20Transfers({ tokens: [usdc.address], to: [to], fromBlock: head, toBlock: head - 1n })).toEqual({
      transfers: [],
      toBlock: head - 1n,
    });
  });

  it('caps a scan at its largest range, so a far-behind cursor catches up over several calls', async () => {
    const to = freshDepositAddress();
    const fromBlock = (await chain.head()) + 1n;
    await payUsdc(to, 1n);
    await payUsdc(to, 2n);
    await payEth(to, 3n);
    await payEth(to, 4n);
    const small = readerOver([localChain.rpcUrl], { maxLogRange: 1, maxBlockScan: 3 });
    const head = await chain.head();

    const seen: bigint[] = [];
    for (let cursor = fromBlock; cursor <= head; ) {
      const scan = await small.erc20Transfers({ tokens: [usdc.address], to: [to], fromBlock: cursor, toBlock: head });
      expect(scan.toBlock).toBe(cursor);
      seen.push(...scan.transfers.map((t) => t.value));
      cursor = scan.toBlock + 1n;
    }
    expect(seen).toEqual([1n, 2n]);
    const coins = await small.nativeTransfers({ to: [to], fromBlock, toBlock: head });
    expect(coins.toBlock).toBe(fromBlock + 2n);
    expect(coins.transfers.map((t) => t.value)).toEqual([3n]);
  });

  it('notices a reorg (anvil_reorg): the block hash changes and the payment is gone', async () => {
    const to = freshDepositAddress();
    const fromBlock = (await chain.head()) + 1n;
    const receipt = await payUsdc(to, 7_000_000n);
    await mine(1);
    const head = await chain.head();
    const [seen] = (await chain.erc20Transfers({ tokens: [usdc.address], to: [to], fromBlock, toBlock: head })).transfers;
    expect(seen?.txHash).toBe(receipt.transactionHash);

    // Replace the last two blocks (the payment's and the one on top) with empty ones.
    await rpc('anvil_reorg', [2, []]);
    expect(await chain.head()).toBe(head);
    expect(await chain.blockHash(seen!.blockNumber)).not.toBe(seen!.blockHash);
    expect(await chain.erc20Transfers({ tokens: [usdc.address], to: [to], fromBlock, toBlock: head })).toEqual({
      transfers: [],
      toBlock: head,
    });
    expect(await publicClient.getTransactionReceipt({ hash: receipt.transactionHash }).catch(() => null)).toBeNull();
  });

  it('notices a reorg to a shorter chain (evm_revert): behind until the chain grows past the block, then a new hash', async () => {
    const snapshot = await rpc<string>('evm_snapshot');
    const to = freshDepositAddress();
    const fromBlock = (await chain.head()) + 1n;
    const receipt = await payEth(to, parseEther('2'));
    const [seen] = (await chain.nativeTransfers({ to: [to], fromBlock, toBlock: receipt.blockNumber })).transfers;
    expect(seen?.txHash).toBe(receipt.transactionHash);

    expect(await rpc('evm_revert', [snapshot])).toBe(true);
    const head = await chain.head();
    expect(head).toBe(fromBlock - 1n);
    // The block is not there: the node cannot tell a reorg from lagging, so it is no answer yet.
    const behind = await failure(chain.blockHash(seen!.blockNumber));
    expect(behind.fault).toBe('behind');
    expect(behind.message).toContain(`block ${seen!.blockNumber} is past the node's head ${head}`);
    // A scan from the old cursor covers nothing and says so: resume from head + 1.
    expect(await chain.nativeTransfers({ to: [to], fromBlock, toBlock: fromBlock + 5n })).toEqual({ transfers: [], toBlock: head });

    await mine(2);
    expect(await chain.blockHash(seen!.blockNumber)).not.toBe(seen!.blockHash);
    expect((await chain.nativeTransfers({ to: [to], fromBlock, toBlock: await chain.head() })).transfers).toEqual([]);
  });
});

describe('ViemChainReader when nodes fail', () => {
  it('answers ChainUnavailable (unreachable) for every call when the node refuses connections, never naming the URL', async () => {
    const reader = readerOver([REFUSING_URL], { retries: 1 });
    const to = freshDepositAddress();
    const calls = [
      () => reader.head(),
      () => reader.blockHash(1n),
      () => reader.erc20Transfers({ tokens: [usdc.address], to: [to], fromBlock: 1n, toBlock: 2n }),
      () => reader.nativeTransfers({ to: [to], fromBlock: 1n, toBlock: 2n }),
    ];
    for (const call of calls) {
      const error = await failure(call());
      expect(error.fault).toBe('unreachable');
      expect(error.message).toMatch(/^local: \w+.* failed: rpcUrls\[0\] unreachable: no connection/);
      expect(error.message).not.toContain('secret-api-key');
    }
  });

  it('goes on to the next URL when one fails, and answers from there', async () => {
    const reader = readerOver([REFUSING_URL, localChain.rpcUrl]);
    expect(await reader.head()).toBe(await chain.head());
  });

  it('retries a server error over a few rounds with backoff, then gives up with server-error', async () => {
    const node = await openMailbox({ secrets: [], default: { status: 503, body: 'upstream down' } });
    const error = await failure(readerOver([node.url], { retries: 2 }).head());
    expect(error.fault).toBe('server-error');
    expect(error.message).toContain('HTTP 503');
    expect(await node.received()).toHaveLength(3);
  });

  it('recovers when a retry succeeds', async () => {
    const node = await openMailbox({ secrets: [], script: [{ status: 502 }], default: { status: 200, body: jsonRpc('0x2a') } });
    expect(await readerOver([node.url]).head()).toBe(42n);
    expect(await node.received()).toHaveLength(2);
  });

  it('waits out a short Retry-After, and hands a long one to the caller instead of sleeping on it', async () => {
    const short = await openMailbox({
      secrets: [],
      script: [{ status: 429, retryAfter: '1' }],
      default: { status: 200, body: jsonRpc('0x7') },
    });
    const started = Date.now();
    expect(await readerOver([short.url]).head()).toBe(7n);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const long = await openMailbox({ secrets: [], default: { status: 429, retryAfter: '120' } });
    const error = await failure(readerOver([long.url]).head());
    expect(error).toMatchObject({ fault: 'rate-limited', retryAfterMs: 120_000 });
    expect(await long.received()).toHaveLength(1);
  });

  it('classifies a JSON-RPC rate-limit error (-32005) in a 200 answer as rate-limited', async () => {
    const node = await openMailbox({
      secrets: [],
      default: { status: 200, body: JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32005, message: 'limit exceeded' } }) },
    });
    expect((await failure(readerOver([node.url], { retries: 0 }).head())).fault).toBe('rate-limited');
  });

  it('gives up on a node that does not answer in time (timeout), without further rounds', async () => {
    const node = await openMailbox({ secrets: [], default: { status: 200, delayMs: 2_000, body: jsonRpc('0x1') } });
    const error = await failure(readerOver([node.url], { timeoutMs: 200 }).head());
    expect(error.fault).toBe('timeout');
    expect(await node.received()).toHaveLength(1);
  });

  it.each([
    ['a JSON-RPC error', JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'header not found' } }), 'rpc-error'],
    ['an answer that is not JSON', '<html>gateway</html>', 'bad-response'],
    ['a result of the wrong shape', jsonRpc({ number: 1 }), 'bad-response'],
  ])('classifies %s as %s, not as an answer', async (_, body, fault) => {
    const node = await openMailbox({ secrets: [], default: { status: 200, body } });
    expect((await failure(readerOver([node.url], { retries: 0 }).head())).fault).toBe(fault);
  });

  it('classifies an HTTP 401 (a wrong API key) as http-error', async () => {
    const node = await openMailbox({ secrets: [], default: { status: 401, body: 'invalid api key' } });
    const error = await failure(readerOver([node.url]).head());
    expect(error.fault).toBe('http-error');
    expect(await node.received()).toHaveLength(1);
  });

  it('reads a lagging node as behind for a block past its head, and then asks the next URL', async () => {
    const head = await chain.head();
    const lagging = () =>
      openMailbox({
        secrets: [],
        script: [
          { status: 200, body: jsonRpc(null) },
          { status: 200, body: jsonRpc('0x1') },
        ],
        default: { status: 500 },
      });
    const alone = await failure(readerOver([(await lagging()).url], { retries: 0 }).blockHash(head));
    expect(alone.fault).toBe('behind');
    expect(alone.message).toContain(`block ${head} is past the node's head 1`);
    expect(await readerOver([(await lagging()).url, localChain.rpcUrl]).blockHash(head)).toBe(await chain.blockHash(head));
  });

  it("reads the block's timestamp when a node's logs lack it, and does not count logs that miss the filter", async () => {
    const to = freshDepositAddress();
    const word = (hex: string) => `0x${hex.slice(2).toLowerCase().padStart(64, '0')}`;
    const log = (recipient: Address, token: Address = usdc.address) => ({
      address: token.toLowerCase(),
      topics: [
        '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
        word(localChain.accounts[1]!.address),
        word(recipient),
      ],
      data: word('0x2a'),
      blockNumber: '0x4',
      blockHash: `0x${'b'.repeat(64)}`,
      transactionHash: `0x${'c'.repeat(64)}`,
      transactionIndex: '0x0',
      logIndex: '0x3',
      removed: false,
    });
    const block = { number: '0x4', hash: `0x${'b'.repeat(64)}`, timestamp: '0x6553f100', transactions: [] };
    const node = await openMailbox({
      secrets: [],
      script: [
        { status: 200, body: jsonRpc('0x5') },
        { status: 200, body: jsonRpc([log(to)]) },
        { status: 200, body: jsonRpc(block) },
      ],
    });
    expect(await readerOver([node.url]).erc20Transfers({ tokens: [usdc.address], to: [to], fromBlock: 1n, toBlock: 5n })).toEqual({
      toBlock: 5n,
      transfers: [
        {
          txHash: `0x${'c'.repeat(64)}`,
          logIndex: 3,
          blockNumber: 4n,
          blockHash: `0x${'b'.repeat(64)}`,
          at: 0x6553f100 * 1000,
          from: localChain.accounts[1]!.address,
          value: 42n,
          to,
          token: usdc.address,
        },
      ],
    });
    expect(JSON.parse((await node.received())[2]!.body)).toMatchObject({
      method: 'eth_getBlockByHash',
      params: [`0x${'b'.repeat(64)}`, false],
    });

    // A node that ignores the filter: another recipient's log is dropped, another token's is a fault.
    const careless = (logs: unknown[]) =>
      openMailbox({
        secrets: [],
        script: [
          { status: 200, body: jsonRpc('0x5') },
          { status: 200, body: jsonRpc(logs) },
        ],
      });
    const query = { tokens: [usdc.address], to: [to], fromBlock: 1n, toBlock: 5n };
    expect(await readerOver([(await careless([log(freshDepositAddress())])).url]).erc20Transfers(query)).toEqual({
      transfers: [],
      toBlock: 5n,
    });
    const otherToken = await careless([log(to, '0x000000000000000000000000000000000000dEaD')]);
    const error = await failure(readerOver([otherToken.url], { retries: 0 }).erc20Transfers(query));
    expect(error.fault).toBe('bad-response');
    expect(error.message).toContain('outside the filter');
  });

  it("reads mandates' Debited and MandateCancelled logs in one call per chunk of ids, and distrusts a log outside the filter", async () => {
    const events = parseAbi([
      'event Debited(bytes32 indexed id, address indexed payer, address indexed payee, address token, uint256 amount, uint64 period, uint32 used)',
      'event MandateCancelled(bytes32 indexed id, address indexed by)',
    ]);
    const contract = '0x00000000000000000000000000000000000000C1' as Address;
    const other = '0x00000000000000000000000000000000000000c2' as Address;
    const ids = ['0x01', '0x02', '0x03'].map((n) => `0x${n.slice(2).padStart(64, '0')}` as Hex);
    const [payer, payee] = [localChain.accounts[1]!.address, localChain.accounts[2]!.address];
    const at = (logIndex: number, block = 4) => ({
      blockNumber: `0x${block.toString(16)}`,
      blockHash: `0x${'b'.repeat(64)}`,
      transactionHash: `0x${'c'.repeat(64)}`,
      transactionIndex: '0x0',
      logIndex: `0x${logIndex.toString(16)}`,
      removed: false,
    });
    const debited = (id: Hex, logIndex: number, address: Address = contract) => ({
      address: address.toLowerCase(),
      topics: encodeEventTopics({ abi: events, eventName: 'Debited', args: { id, payer, payee } }),
      data: encodeAbiParameters(
        [{ type: 'address' }, { type: 'uint256' }, { type: 'uint64' }, { type: 'uint32' }],
        [usdc.address, 10n ** 20n, 3n, 2],
      ),
      ...at(logIndex),
    });
    const cancelled = (id: Hex, logIndex: number) => ({
      address: contract.toLowerCase(),
      topics: encodeEventTopics({ abi: events, eventName: 'MandateCancelled', args: { id, by: payer } }),
      data: '0x',
      ...at(logIndex),
    });
    const node = await openMailbox({
      secrets: [],
      script: [
        { status: 200, body: jsonRpc('0x5') },
        { status: 200, body: jsonRpc([cancelled(ids[0]!, 7)]) },
        { status: 200, body: jsonRpc([debited(ids[2]!, 2)]) },
      ],
    });
    const query = { contracts: [contract, other], ids, fromBlock: 1n, toBlock: 5n };
    // Two ids per call: three ids are two calls, the logs of both in chain order.
    expect(await readerOver([node.url], { maxRecipientsPerQuery: 2 }).getMandateLogs(query)).toEqual({
      toBlock: 5n,
      logs: [
        {
          contract,
          onchainId: ids[2],
          event: 'Debited',
          amount: 10n ** 20n,
          period: 3,
          used: 2,
          txHash: `0x${'c'.repeat(64)}`,
          logIndex: 2,
          blockNumber: 4n,
          blockHash: `0x${'b'.repeat(64)}`,
        },
        {
          contract,
          onchainId: ids[0],
          event: 'MandateCancelled',
          by: payer,
          txHash: `0x${'c'.repeat(64)}`,
          logIndex: 7,
          blockNumber: 4n,
          blockHash: `0x${'b'.repeat(64)}`,
        },
      ],
    });
    const requests = (await node.received()).slice(1).map((r) => JSON.parse(r.body));
    expect(requests.map((r) => r.method)).toEqual(['eth_getLogs', 'eth_getLogs']);
    expect(requests[0].params[0]).toMatchObject({ address: [contract, other], topics: [expect.any(Array), ids.slice(0, 2)] });
    expect(requests[0].params[0].topics[0]).toHaveLength(2);
    expect(requests[1].params[0].topics[1]).toEqual([ids[2]]);

    // A node that ignores the filter (another id, another contract) or answers what does not decode: a fault.
    const unknownId = `0x${'9'.repeat(64)}` as Hex;
    for (const log of [
      debited(unknownId, 1),
      debited(ids[0]!, 1, '0x000000000000000000000000000000000000dEaD'),
      { ...debited(ids[0]!, 1), data: '0x01' },
    ]) {
      const careless = await openMailbox({
        secrets: [],
        script: [
          { status: 200, body: jsonRpc('0x5') },
          { status: 200, body: jsonRpc([log]) },
        ],
      });
      const error = await failure(readerOver([careless.url], { retries: 0 }).getMandateLogs(query));
      expect(error.fault).toBe('bad-response');
    }
  });

  it('scans no further than a lagging node has, so the caller resumes where it has data', async () => {
    const to = freshDepositAddress();
    const lagging = await openMailbox({
      secrets: [],
      script: [
        { status: 200, body: jsonRpc('0x3') },
        { status: 200, body: jsonRpc([]) },
      ],
    });
    const scan = await readerOver([lagging.url]).erc20Transfers({ tokens: [usdc.address], to: [to], fromBlock: 2n, toBlock: 100n });
    expect(scan).toEqual({ transfers: [], toBlock: 3n });
    const [, logsRequest] = await lagging.received();
    expect(JSON.parse(logsRequest!.body)).toMatchObject({ method: 'eth_getLogs', params: [{ fromBlock: '0x2', toBlock: '0x3' }] });
  });
});
