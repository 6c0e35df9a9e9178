/**
 * The chain port over JSON-RPC with viem. One public client per RPC URL; each call of the port runs
 * whole on one node (its head, its logs, its blocks), and goes to the next URL only if that node
 * fails. Mixing nodes within a call — which viem's `fallback` transport does request by request —
 * could clamp a range to one node's head and read logs from another that is behind, which some
 * nodes answer with a silently short list: a missed payment.
 *
 * Retries are ours, not viem's: viem sleeps for whatever Retry-After a node sends, which inside a
 * Durable Object alarm could be minutes. Here a round over every URL is repeated after a short
 * backoff for transient faults only; a longer Retry-After ends the call with ChainUnavailable
 * carrying it, and the caller's next alarm honours it.
 */
import {
  BaseError,
  BlockNotFoundError,
  createPublicClient,
  decodeEventLog,
  defineChain,
  encodeEventTopics,
  formatLog,
  getAddress,
  HttpRequestError,
  http,
  parseAbi,
  parseAbiItem,
  RpcError,
  RpcRequestError,
  TimeoutError,
  type Address,
  type Hash,
  type Hex,
  type PublicClient,
  toHex,
} from 'viem';
import { retryAfterMs as retryAfterMsOf } from '../lib/retry-after.js';
import type { ChainConfig } from './config.js';
import { decodeEscrowLogs, ESCROW_ABI, ESCROW_EVENT_TOPICS, type EscrowEvent, type EscrowState, escrowStateOf } from './escrow.js';
import {
  ChainUnavailable,
  type BlockRange,
  type ChainFault,
  type ChainReader,
  type MandateContractLog,
  type MandateLogScan,
  type EscrowLogScan,
  type Transfer,
  type TransferScan,
} from './port.js';

const TRANSFER_EVENT = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');
/** The two events of contracts/Mandates.sol a mandate's watch needs; both index the mandate's id first. */
const MANDATE_EVENTS = parseAbi([
  'event Debited(bytes32 indexed id, address indexed payer, address indexed payee, address token, uint256 amount, uint64 period, uint32 used)',
  'event MandateCancelled(bytes32 indexed id, address indexed by)',
]);
const MANDATE_TOPICS = MANDATE_EVENTS.map((event) => encodeEventTopics({ abi: [event] })[0]!);

export interface ViemChainOptions {
  /** Per request. Default 5000. */
  timeoutMs?: number;
  /** Further rounds over every URL after transient faults. Default 2. */
  retries?: number;
  /** Backoff before the first further round, doubled for each next. Default 200. */
  retryDelayMs?: number;
  /** A node's Retry-After up to this long is waited out; a longer one ends the call. Default 2000. */
  maxRetryAfterMs?: number;
  /** Blocks per eth_getLogs call (providers cap the range, often at 1000–10000). Default 1000. */
  maxLogRange?: number;
  /** Blocks fetched whole per nativeTransfers call. Default 20. */
  maxBlockScan?: number;
  /**
   * Recipient addresses (or mandate ids) per eth_getLogs (the `to` or `id` topic's list). Default
   * 1000: a thousand watched addresses cost one call per range; providers that cap the request size
   * need a smaller chunk.
   */
  maxRecipientsPerQuery?: number;
}

/** Faults worth another round soon; the others would only repeat (or, a timeout, take as long again). */
const TRANSIENT: ReadonlySet<ChainFault> = new Set(['unreachable', 'rate-limited', 'server-error']);
/** Full blocks fetched at once by nativeTransfers. */
const BLOCK_FETCH_CONCURRENCY = 5;

export class ViemChainReader implements ChainReader {
  private readonly clients: PublicClient[];
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly maxLogRange: bigint;
  private readonly maxBlockScan: bigint;
  private readonly maxRecipientsPerQuery: number;

  constructor(
    /** The network key in CHAINS, for messages. */
    readonly key: string,
    config: Pick<ChainConfig, 'chainId' | 'rpcUrls' | 'nativeCurrency'>,
    options: ViemChainOptions = {},
  ) {
    const timeout = options.timeoutMs ?? 5_000;
    this.retries = options.retries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 2_000;
    this.maxLogRange = BigInt(options.maxLogRange ?? 1_000);
    this.maxBlockScan = BigInt(options.maxBlockScan ?? 20);
    this.maxRecipientsPerQuery = options.maxRecipientsPerQuery ?? 1_000;
    // defineChain, not viem/chains: importing that catalogue costs seconds at start.
    const chain = defineChain({
      id: config.chainId,
      name: key,
      nativeCurrency: {
        name: config.nativeCurrency.symbol,
        symbol: config.nativeCurrency.symbol.toUpperCase(),
        decimals: config.nativeCurrency.decimals,
      },
      rpcUrls: { default: { http: config.rpcUrls } },
    });
    this.clients = config.rpcUrls.map((url) =>
      createPublicClient({ chain, transport: http(url, { timeout, retryCount: 0 }), cacheTime: 0 }),
    );
  }

  head(): Promise<bigint> {
    return this.run('head', (client) => client.getBlockNumber({ cacheTime: 0 }));
  }

  blockHash(blockNumber: bigint): Promise<Hash> {
    return this.run(`blockHash(${blockNumber})`, async (client) => {
      const block = await client.getBlock({ blockNumber }).catch((error: unknown) => {
        if (error instanceof BlockNotFoundError) return null;
        throw error;
      });
      if (block?.hash) return block.hash;
      const head = await client.getBlockNumber({ cacheTime: 0 });
      if (head < blockNumber) throw new ChainUnavailable('behind', `block ${blockNumber} is past the node's head ${head}`);
      throw new ChainUnavailable('bad-response', `the node has no block ${blockNumber} though its head is ${head}`);
    });
  }

  erc20Transfers({
    tokens,
    to,
    fromBlock,
    toBlock,
  }: BlockRange & { tokens: readonly Address[]; to: readonly Address[] }): Promise<TransferScan> {
    const watchedTokens = new Set(tokens.map((t) => t.toLowerCase()));
    const recipients = new Set(to.map((t) => t.toLowerCase()));
    return this.scan('erc20Transfers', { fromBlock, toBlock }, this.maxLogRange, async (client, range) => {
      const timestamps = new Map<Hash, number>();
      const transfers: Transfer[] = [];
      for (let i = 0; i < to.length; i += this.maxRecipientsPerQuery) {
        const logs = await client.getLogs({
          address: [...tokens],
          event: TRANSFER_EVENT,
          args: { to: to.slice(i, i + this.maxRecipientsPerQuery) as Address[] },
          ...range,
          strict: true,
        });
        for (const log of logs) {
          if (log.removed) continue;
          const { blockNumber, blockHash, transactionHash, logIndex } = log;
          // viem drops logs whose arguments miss the filter (another recipient), not logs of another
          // contract or block. A node that ignored those, or answered with pending logs, is not trusted.
          if (
            blockNumber === null ||
            blockHash === null ||
            transactionHash === null ||
            logIndex === null ||
            blockNumber < range.fromBlock ||
            blockNumber > range.toBlock ||
            !watchedTokens.has(log.address.toLowerCase()) ||
            !recipients.has(log.args.to.toLowerCase())
          ) {
            throw new ChainUnavailable('bad-response', `eth_getLogs returned a log outside the filter (tx ${transactionHash})`);
          }
          let at = timestamps.get(blockHash) ?? (log.blockTimestamp ? Number(log.blockTimestamp) * 1000 : undefined);
          if (at === undefined) at = Number((await client.getBlock({ blockHash })).timestamp) * 1000;
          timestamps.set(blockHash, at);
          transfers.push({
            txHash: transactionHash,
            logIndex,
            blockNumber,
            blockHash,
            at,
            from: getAddress(log.args.from),
            value: log.args.value,
            to: getAddress(log.args.to),
            token: getAddress(log.address),
          });
        }
      }
      return transfers.sort(chainOrder);
    });
  }

  nativeTransfers({ to, fromBlock, toBlock }: BlockRange & { to: readonly Address[] }): Promise<TransferScan> {
    const recipients = new Set(to.map((t) => t.toLowerCase()));
    // eth_getBalance at two blocks would also see coin sent by contracts, but not who paid or in
    // which transaction, and needs historical state that pruned nodes drop. Scanning the blocks'
    // transactions gives the hash, the payer and the block to watch for reorgs.
    return this.scan('nativeTransfers', { fromBlock, toBlock }, this.maxBlockScan, async (client, range) => {
      if (recipients.size === 0) return [];
      const numbers: bigint[] = [];
      for (let n = range.fromBlock; n <= range.toBlock; n++) numbers.push(n);
      const transfers: Transfer[] = [];
      for (let i = 0; i < numbers.length; i += BLOCK_FETCH_CONCURRENCY) {
        const blocks = await Promise.all(
          numbers.slice(i, i + BLOCK_FETCH_CONCURRENCY).map((blockNumber) => client.getBlock({ blockNumber, includeTransactions: true })),
        );
        for (const block of blocks) {
          if (block.hash === null || block.number === null) throw new ChainUnavailable('bad-response', 'the node returned a pending block');
          for (const tx of block.transactions) {
            if (tx.to === null || !recipients.has(tx.to.toLowerCase()) || tx.value === 0n) continue;
            // A transaction in a block can still have failed (and moved nothing).
            const receipt = await client.getTransactionReceipt({ hash: tx.hash });
            if (receipt.status !== 'success') continue;
            if (receipt.blockHash !== block.hash) {
              throw new ChainUnavailable(
                'bad-response',
                `the receipt of ${tx.hash} is from another block than the transaction: the chain is reorganising`,
              );
            }
            transfers.push({
              txHash: tx.hash,
              logIndex: -1,
              blockNumber: block.number,
              blockHash: block.hash,
              at: Number(block.timestamp) * 1000,
              from: getAddress(tx.from),
              value: tx.value,
              to: getAddress(tx.to),
              token: null,
            });
          }
        }
      }
      return transfers;
    });
  }

  readEscrow({
    contract,
    escrowId,
    payer,
    blockNumber,
  }: {
    contract: Address;
    escrowId: Hex;
    payer: Address;
    blockNumber: bigint;
  }): Promise<EscrowState> {
    return this.run(`readEscrow(${escrowId}, ${payer} at ${blockNumber})`, async (client) => {
      // The head first: some nodes answer eth_call for a block they do not have yet with their latest
      // state, which would let a lagging node's "none" pass for the deposit's absence at that block.
      const head = await client.getBlockNumber({ cacheTime: 0 });
      if (head < blockNumber) throw new ChainUnavailable('behind', `block ${blockNumber} is past the node's head ${head}`);
      const held = await client.readContract({
        address: contract,
        abi: ESCROW_ABI,
        functionName: 'escrowOf',
        args: [escrowId, payer],
        blockNumber,
      });
      return escrowStateOf(held);
    });
  }

  getEscrowLogs({
    contracts,
    ids,
    fromBlock,
    toBlock,
  }: BlockRange & { contracts: readonly Address[]; ids: readonly Hex[] }): Promise<EscrowLogScan> {
    const watchedContracts = new Set(contracts.map((c) => c.toLowerCase()));
    const watchedIds = new Set(ids.map((id) => id.toLowerCase()));
    return this.scanRange('getEscrowLogs', { fromBlock, toBlock }, this.maxLogRange, async (client, range) => {
      const found: EscrowEvent[] = [];
      if (contracts.length === 0) return found;
      for (let i = 0; i < ids.length; i += this.maxRecipientsPerQuery) {
        // Four events with the id as topic1, as getMandateLogs: topics spelled out, each log decoded.
        const logs = await client.request({
          method: 'eth_getLogs',
          params: [
            {
              address: [...contracts],
              topics: [[...ESCROW_EVENT_TOPICS], ids.slice(i, i + this.maxRecipientsPerQuery) as Hex[]],
              fromBlock: toHex(range.fromBlock),
              toBlock: toHex(range.toBlock),
            },
          ],
        });
        if (!Array.isArray(logs)) throw new ChainUnavailable('bad-response', 'eth_getLogs did not answer a list');
        for (const raw of logs) {
          const log = formatLog(raw);
          const [topic0, topic1] = log.topics;
          // A node that ignored the filter, answered with pending logs, or with logs a reorg removed
          // (a node in the middle of one) is not trusted: the caller asks again.
          if (
            log.removed ||
            log.blockNumber === null ||
            log.blockHash === null ||
            log.transactionHash === null ||
            log.logIndex === null ||
            log.blockNumber < range.fromBlock ||
            log.blockNumber > range.toBlock ||
            !watchedContracts.has(log.address.toLowerCase()) ||
            !ESCROW_EVENT_TOPICS.includes(topic0 as Hex) ||
            !watchedIds.has((topic1 ?? '').toLowerCase())
          ) {
            throw new ChainUnavailable('bad-response', `eth_getLogs returned a log outside the filter (tx ${log.transactionHash})`);
          }
          try {
            found.push(...decodeEscrowLogs([log]));
          } catch {
            throw new ChainUnavailable('bad-response', `an escrow log that does not decode (tx ${log.transactionHash})`);
          }
        }
      }
      return found.sort(chainOrder);
    }).then(({ found, toBlock }) => ({ logs: found, toBlock }));
  }

  getMandateLogs({
    contracts,
    ids,
    fromBlock,
    toBlock,
  }: BlockRange & { contracts: readonly Address[]; ids: readonly Hex[] }): Promise<MandateLogScan> {
    const watchedContracts = new Set(contracts.map((c) => c.toLowerCase()));
    const watchedIds = new Set(ids.map((id) => id.toLowerCase()));
    return this.scanRange('getMandateLogs', { fromBlock, toBlock }, this.maxLogRange, async (client, range) => {
      const found: MandateContractLog[] = [];
      if (contracts.length === 0) return found;
      for (let i = 0; i < ids.length; i += this.maxRecipientsPerQuery) {
        // Two events with one id topic: viem's getLogs filters arguments of a single event only, so
        // the topics are spelled out and each log decoded against both.
        const logs = await client.request({
          method: 'eth_getLogs',
          params: [
            {
              address: [...contracts],
              topics: [MANDATE_TOPICS, ids.slice(i, i + this.maxRecipientsPerQuery) as Hex[]],
              fromBlock: toHex(range.fromBlock),
              toBlock: toHex(range.toBlock),
            },
          ],
        });
        if (!Array.isArray(logs)) throw new ChainUnavailable('bad-response', 'eth_getLogs did not answer a list');
        for (const log of logs) {
          if (log.removed) continue;
          const blockNumber = log.blockNumber === null ? null : BigInt(log.blockNumber);
          const { blockHash, transactionHash } = log;
          const logIndex = log.logIndex === null ? null : Number(log.logIndex);
          const [topic0, topic1] = log.topics;
          // A node that ignored the filter, or answered with pending logs, is not trusted.
          if (
            blockNumber === null ||
            blockHash === null ||
            transactionHash === null ||
            logIndex === null ||
            blockNumber < range.fromBlock ||
            blockNumber > range.toBlock ||
            !watchedContracts.has(log.address.toLowerCase()) ||
            !MANDATE_TOPICS.includes(topic0 as Hex) ||
            !watchedIds.has((topic1 ?? '').toLowerCase())
          ) {
            throw new ChainUnavailable('bad-response', `eth_getLogs returned a log outside the filter (tx ${transactionHash})`);
          }
          let decoded: ReturnType<typeof decodeEventLog<typeof MANDATE_EVENTS>>;
          try {
            decoded = decodeEventLog({ abi: MANDATE_EVENTS, data: log.data, topics: log.topics as [Hex, ...Hex[]], strict: true });
          } catch {
            throw new ChainUnavailable('bad-response', `a mandate log that does not decode (tx ${transactionHash})`);
          }
          const at = {
            contract: getAddress(log.address),
            onchainId: decoded.args.id,
            txHash: transactionHash,
            logIndex,
            blockNumber,
            blockHash,
          };
          if (decoded.eventName === 'Debited') {
            const { amount, period, used } = decoded.args;
            found.push({ ...at, event: 'Debited', amount, period: Number(period), used });
          } else {
            found.push({ ...at, event: 'MandateCancelled', by: getAddress(decoded.args.by) });
          }
        }
      }
      return found.sort(chainOrder);
    }).then(({ found, toBlock }) => ({ logs: found, toBlock }));
  }

  /** fromBlock…toBlock capped at the node's head and at `maxRange` blocks, read on one node. */
  private scan(
    operation: string,
    range: BlockRange,
    maxRange: bigint,
    read: (client: PublicClient, range: BlockRange) => Promise<Transfer[]>,
  ): Promise<TransferScan> {
    return this.scanRange(operation, range, maxRange, read).then(({ found, toBlock }) => ({ transfers: found, toBlock }));
  }

  private scanRange<T>(
    operation: string,
    { fromBlock, toBlock }: BlockRange,
    maxRange: bigint,
    read: (client: PublicClient, range: BlockRange) => Promise<T[]>,
  ): Promise<{ found: T[]; toBlock: bigint }> {
    if (fromBlock < 0n) throw new RangeError(`${operation}: fromBlock must not be negative, got ${fromBlock}`);
    if (toBlock < fromBlock) return Promise.resolve({ found: [], toBlock });
    return this.run(`${operation}(${fromBlock}…${toBlock})`, async (client) => {
      // Nodes refuse (anvil) or answer short (some others) for blocks past their head.
      const head = await client.getBlockNumber({ cacheTime: 0 });
      const last = min(toBlock, head, fromBlock + maxRange - 1n);
      if (last < fromBlock) return { found: [], toBlock: last };
      return { found: await read(client, { fromBlock, toBlock: last }), toBlock: last };
    });
  }

  /** Runs `call` on the first node that answers; rounds over all of them with backoff. */
  private async run<T>(operation: string, call: (client: PublicClient) => Promise<T>): Promise<T> {
    const failures = new Map<string, number>();
    let last: ChainUnavailable | undefined;
    for (let round = 0; ; round++) {
      for (const [i, client] of this.clients.entries()) {
        try {
          return await call(client);
        } catch (error) {
          last = classify(error);
          const failure = `rpcUrls[${i}] ${last.fault}: ${last.message}`;
          failures.set(failure, (failures.get(failure) ?? 0) + 1);
        }
      }
      const fault = last!;
      const delay = fault.retryAfterMs ?? this.retryDelayMs * 2 ** round;
      if (round >= this.retries || !TRANSIENT.has(fault.fault) || delay > this.maxRetryAfterMs) {
        const summary = [...failures].map(([failure, times]) => (times > 1 ? `${failure} (${times} times)` : failure)).join('; ');
        throw new ChainUnavailable(fault.fault, `${this.key}: ${operation} failed: ${summary}`, fault.retryAfterMs);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * What went wrong, in words that never include the URL: it may carry an API key, and so do viem's
 * errors (their messages name it), which is why none is kept as the cause.
 */
function classify(error: unknown): ChainUnavailable {
  if (error instanceof ChainUnavailable) return error;
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof TimeoutError)) return new ChainUnavailable('timeout', 'no answer in time');
    const http = error.walk((e) => e instanceof HttpRequestError || e instanceof RpcRequestError) as
      | HttpRequestError
      | RpcRequestError
      | null;
    const status = http?.status;
    const retryAfterMs = retryAfterMsOf(http?.headers?.get('retry-after'), Date.now()) ?? undefined;
    const rpc = error.walk((e) => e instanceof RpcError) as RpcError | null;
    const rpcCode = rpc?.code ?? (error.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null)?.code;
    if (status === 429 || rpcCode === -32005 || rpcCode === 429 || rpcCode === -32007) {
      return new ChainUnavailable('rate-limited', `rate limited${status ? ` (HTTP ${status})` : ` (JSON-RPC ${rpcCode})`}`, retryAfterMs);
    }
    if (status !== undefined && status >= 500) return new ChainUnavailable('server-error', `HTTP ${status}`, retryAfterMs);
    if (status !== undefined && status !== 200) return new ChainUnavailable('http-error', `HTTP ${status}`);
    if (rpcCode !== undefined) {
      return new ChainUnavailable('rpc-error', `JSON-RPC error ${rpcCode}: ${rpc?.details || error.details || error.shortMessage}`);
    }
    if (http?.cause instanceof SyntaxError) return new ChainUnavailable('bad-response', 'the answer is not JSON');
    if (http) return new ChainUnavailable('unreachable', `no connection (${error.details || 'fetch failed'})`);
    return new ChainUnavailable('bad-response', error.shortMessage);
  }
  return new ChainUnavailable('bad-response', error instanceof Error ? error.message : String(error));
}

function min(...values: bigint[]): bigint {
  // biome-ignore lint/complexity/useMathMinMax: Math.min does not take bigints
  return values.reduce((a, b) => (b < a ? b : a));
}

function chainOrder(a: { blockNumber: bigint; logIndex: number }, b: { blockNumber: bigint; logIndex: number }): number {
  return a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1;
}
