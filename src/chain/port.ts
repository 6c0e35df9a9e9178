/**
 * What the payment-intent engine needs from an EVM chain, and nothing more: the head, payments to
 * a set of addresses in a block range, the mandate contracts' debits and cancels of a set of
 * mandates, and block hashes to notice reorgs. src/chain/viem-adapter.ts
 * implements it over JSON-RPC; src/chain/watcher.ts is its one reader for payments.
 *
 * How a caller stays correct with it: scan from a cursor (`fromBlock`) and resume from the scan's
 * `toBlock + 1`; count a transfer's confirmations as head - blockNumber + 1; before trusting a
 * transfer seen earlier, compare `blockHash(t.blockNumber)` with `t.blockHash` — a different hash
 * means a reorg dropped it. Any fault of the chain or its RPC nodes is a `ChainUnavailable`, never a
 * partial or guessed answer: back off and ask again.
 */
import type { Address, Hash, Hex } from 'viem';
import type { EscrowEvent, EscrowState } from './escrow.js';

/** A payment seen on chain: an ERC-20 Transfer log, or a transaction carrying the native coin. */
export interface Transfer {
  txHash: Hash;
  /** The log's index in its block; -1 for a native-coin transfer, which has no log. */
  logIndex: number;
  blockNumber: bigint;
  /** The block it was seen in. If blockHash(blockNumber) later differs, a reorg dropped it. */
  blockHash: Hash;
  /** The block's timestamp, in milliseconds since the epoch. */
  at: number;
  from: Address;
  /** Base units of the token or coin. */
  value: bigint;
  /** The recipient: one of the watched addresses. */
  to: Address;
  /** The ERC-20 contract whose Transfer log it is; null for the native coin. */
  token: Address | null;
}

export interface TransferScan {
  /** The transfers in blocks fromBlock…toBlock, in chain order. */
  transfers: Transfer[];
  /**
   * The last block covered; resume from toBlock + 1. It is the requested toBlock or lower: capped
   * at the node's head (which may be behind, or lower after a reorg) and at the adapter's largest
   * range. Below fromBlock when the head is: nothing was scanned.
   */
  toBlock: bigint;
}

/**
 * A log of a mandate contract (contracts/Mandates.sol) about one mandate: a debit, or its cancel.
 * Its `onchainId` is the mandate's bytes32 id, the first indexed argument of both events.
 */
export type MandateContractLog = {
  contract: Address;
  onchainId: Hex;
  txHash: Hash;
  logIndex: number;
  blockNumber: bigint;
  /** The block it was seen in. If blockHash(blockNumber) later differs, a reorg dropped it. */
  blockHash: Hash;
} & ({ event: 'Debited'; amount: bigint; period: number; used: number } | { event: 'MandateCancelled'; by: Address });

export interface MandateLogScan {
  /** The logs in blocks fromBlock…toBlock, in chain order. */
  logs: MandateContractLog[];
  /** The last block covered, as in TransferScan. */
  toBlock: bigint;
}

export interface EscrowLogScan {
  /** Locked / Released / Refunded / Reclaimed logs of the asked ids, in blocks fromBlock…toBlock, in chain order. */
  logs: EscrowEvent[];
  /** The last block covered, as in TransferScan. */
  toBlock: bigint;
}

export interface BlockRange {
  fromBlock: bigint;
  toBlock: bigint;
}

export interface ChainReader {
  /** The latest block number, never cached. */
  head(): Promise<bigint>;
  /**
   * The hash of block `blockNumber` on the chain as it is now. A block past the node's head is a
   * ChainUnavailable (`behind`), not an absent block: a lagging node must not look like a reorg.
   */
  blockHash(blockNumber: bigint): Promise<Hash>;
  /**
   * ERC-20 Transfer logs of any of `tokens` to any of `to`: one eth_getLogs per block range and
   * chunk of recipients, however many addresses are watched (up to the adapter's chunk size).
   */
  erc20Transfers(query: BlockRange & { tokens: readonly Address[]; to: readonly Address[] }): Promise<TransferScan>;
  /**
   * Successful transactions sending the native coin straight to any of `to`: each block's
   * transactions are read once, whatever the number of addresses. Coin moved by a contract (an
   * internal transfer, such as a smart-contract wallet's) is not seen.
   */
  nativeTransfers(query: BlockRange & { to: readonly Address[] }): Promise<TransferScan>;
  /**
   * `Debited` and `MandateCancelled` logs of any of `contracts` about any of `ids`: one eth_getLogs
   * per block range and chunk of ids (topic0 either event, topic1 the ids), however many are watched.
   */
  getMandateLogs(query: BlockRange & { contracts: readonly Address[]; ids: readonly Hex[] }): Promise<MandateLogScan>;
  /**
   * The escrow contract's `escrowOf(escrowId, payer)` as it is at block `blockNumber` (contracts/Escrow.sol
   * keys each deposit by intent id and payer, so a stranger's deposit under an intent's id is the
   * stranger's alone): status none (the rest zero) for a pair never used. A block past the node's
   * head is a ChainUnavailable (`behind`).
   */
  readEscrow(query: { contract: Address; escrowId: Hex; payer: Address; blockNumber: bigint }): Promise<EscrowState>;
  /**
   * The escrow contracts' Locked / Released / Refunded / Reclaimed logs about any of `ids` (topic1):
   * one eth_getLogs per block range and chunk of ids, as getMandateLogs. Every event names its payer
   * (indexed): anyone may lock under an intent's id, so a caller counts only the payer it expects.
   * A log outside the filter, pending, removed or undecodable is a ChainUnavailable (`bad-response`).
   */
  getEscrowLogs(query: BlockRange & { contracts: readonly Address[]; ids: readonly Hex[] }): Promise<EscrowLogScan>;
}

export type ChainFault =
  /** No connection: refused, reset, DNS. */
  | 'unreachable'
  /** No answer in time. */
  | 'timeout'
  /** HTTP 429 or a JSON-RPC rate-limit error; see retryAfterMs. */
  | 'rate-limited'
  /** HTTP 5xx. */
  | 'server-error'
  /** Any other HTTP status (401, 403, 404): probably the URL or its API key. */
  | 'http-error'
  /** The node answered with a JSON-RPC error. */
  | 'rpc-error'
  /** An answer that is not what the method returns. */
  | 'bad-response'
  /** The node's head is below a block asked for. */
  | 'behind';

/** The chain could not be read right now. Nothing about payments follows from it: retry later. */
export class ChainUnavailable extends Error {
  override readonly name = 'ChainUnavailable';

  constructor(
    readonly fault: ChainFault,
    message: string,
    /** How long the node asked us to wait (Retry-After), when it did. */
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
