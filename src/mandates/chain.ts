/**
 * What a mandate's object reads from its chain and what it asks the relayer to send: the contracts'
 * calls (authorize, debit, cancel), `mandateOf`, the payer's funds at one block, the Debited and
 * MandateCancelled logs, and EIP-712 (the mandate's typed data, its id, its signature). One client
 * per object (viem's must not be shared between Durable Objects), counting its RPC calls so a run's
 * cost can be measured.
 */
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  fallback,
  http,
  decodeEventLog,
  defineChain,
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  hashTypedData,
  keccak256,
  parseAbi,
  type PublicClient,
  zeroAddress,
} from 'viem';
import type { ChainConfig } from '../chain/config.js';
import type { AccountType } from '../domain/mandate.js';

export const MANDATES_ABI = parseAbi([
  'struct Mandate { address payer; address payee; address token; uint128 maxAmount; uint32 debitTimes; uint64 interval; uint64 start; uint64 validBefore; bytes32 salt; }',
  'struct MandateState { address payer; address payee; address token; uint128 maxAmount; uint32 debitTimes; uint64 interval; uint64 start; uint32 used; uint64 lastPeriod; bool cancelled; uint256 nextDueAt; }',
  'function authorize(Mandate mandate, bytes signature) returns (bytes32)',
  'function debit(bytes32 id, uint256 amount)',
  'function cancel(bytes32 id)',
  'function mandateOf(bytes32 id) view returns (MandateState)',
  'function balanceOf(address payer, address token) view returns (uint256)',
  'event Debited(bytes32 indexed id, address indexed payer, address indexed payee, address token, uint256 amount, uint64 period, uint32 used)',
  'event MandateCancelled(bytes32 indexed id, address indexed by)',
  'error UnknownMandate(bytes32 id)',
  'error MandateExists(bytes32 id)',
]);

const ERC20_ABI = parseAbi([
  'function balanceOf(address owner) view returns (uint256)',
  'function allowance(address owner, address spender) view returns (uint256)',
]);

export const MANDATE_TYPES = {
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

/** The mandate as the payer signs it (contracts/Mandates.sol `Mandate`). */
export type SignedTerms = {
  payer: Address;
  payee: Address;
  /** address(0) for the native coin. */
  token: Address;
  maxAmount: bigint;
  debitTimes: number;
  interval: bigint;
  start: bigint;
  validBefore: bigint;
  salt: Hex;
};

/** Gas of one ConnectedWallets debit measured on anvil (test/contracts): the estimate when the node cannot give one. */
export const MEASURED_DEBIT_GAS = 70_470n;

export function contractName(accountType: AccountType): 'ConnectedWallets' | 'VirtualAccounts' {
  return accountType === 'connected_wallet' ? 'ConnectedWallets' : 'VirtualAccounts';
}

export function typedData(accountType: AccountType, chainId: number, contract: Address, terms: SignedTerms) {
  return {
    domain: { name: contractName(accountType), version: '1', chainId, verifyingContract: contract },
    types: MANDATE_TYPES,
    primaryType: 'Mandate' as const,
    message: terms,
  };
}

/** The on-chain id: the EIP-712 digest in the contract's domain. */
export function onchainIdOf(accountType: AccountType, chainId: number, contract: Address, terms: SignedTerms): Hex {
  return hashTypedData(typedData(accountType, chainId, contract, terms));
}

/** 002_…'s commitment: the payer's account bucket, keccak256(abi.encode(payer, token)). */
export function commitmentOf(payer: Address, token: Address): Hex {
  return keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'address' }], [payer, token]));
}

export const authorizeData = (terms: SignedTerms, signature: Hex): Hex =>
  encodeFunctionData({ abi: MANDATES_ABI, functionName: 'authorize', args: [terms, signature] });
export const debitData = (onchainId: Hex, amount: bigint): Hex =>
  encodeFunctionData({ abi: MANDATES_ABI, functionName: 'debit', args: [onchainId, amount] });
export const cancelData = (onchainId: Hex): Hex => encodeFunctionData({ abi: MANDATES_ABI, functionName: 'cancel', args: [onchainId] });

export interface OnchainMandate {
  used: number;
  lastPeriod: number;
  cancelled: boolean;
  payer: Address;
  payee: Address;
  token: Address;
  maxAmount: bigint;
  debitTimes: number;
  interval: number;
  start: number;
}

export interface DebitedLog {
  period: number;
  used: number;
  amount: bigint;
  txHash: Hex;
  blockNumber: bigint;
}

/** The chain of one network, as one mandate object asks it. */
export class MandateChain {
  /** JSON-RPC requests made through this client (measured per run). */
  calls = 0;
  readonly client: PublicClient;

  constructor(config: ChainConfig, network: string) {
    const urls = config.rpcUrls;
    const timeout = config.rpcTimeoutMs;
    const chain = defineChain({
      id: config.chainId,
      name: network,
      nativeCurrency: { name: config.nativeCurrency.symbol, symbol: config.nativeCurrency.symbol.toUpperCase(), decimals: 18 },
      rpcUrls: { default: { http: urls } },
    });
    // Each request to a node is counted (a batch is off: one call, one request).
    const transports = urls.map((url) =>
      http(url, {
        timeout,
        retryCount: 0,
        onFetchRequest: () => {
          this.calls += 1;
        },
      }),
    );
    const transport = fallback(transports, { retryCount: 0 });
    this.client = createPublicClient({ chain, transport, cacheTime: 0 }) as PublicClient;
  }

  /** The latest block: its number and time (unix seconds), the clock periods are counted in. */
  async head(): Promise<{ number: bigint; timestamp: number }> {
    const block = await this.client.getBlock({ blockTag: 'latest' });
    return { number: block.number, timestamp: Number(block.timestamp) };
  }

  /** The registered mandate, or null when the contract does not know the id. */
  async mandateOf(contract: Address, onchainId: Hex, blockNumber?: bigint): Promise<OnchainMandate | null> {
    try {
      const s = await this.client.readContract({
        address: contract,
        abi: MANDATES_ABI,
        functionName: 'mandateOf',
        args: [onchainId],
        blockNumber,
      });
      return {
        used: s.used,
        lastPeriod: Number(s.lastPeriod),
        cancelled: s.cancelled,
        payer: s.payer,
        payee: s.payee,
        token: s.token,
        maxAmount: s.maxAmount,
        debitTimes: s.debitTimes,
        interval: Number(s.interval),
        start: Number(s.start),
      };
    } catch (error) {
      if (revertName(error) === 'UnknownMandate') return null;
      throw error;
    }
  }

  /**
   * What the payer's account can pay, read at one block: a connected wallet's balance and allowance
   * to the contract (the lower counts), or a virtual account's deposit.
   */
  async funds(
    accountType: AccountType,
    contract: Address,
    token: Address,
    payer: Address,
    blockNumber: bigint,
  ): Promise<{ balance: bigint; allowance: bigint | null }> {
    if (accountType === 'virtual_account') {
      const balance = await this.client.readContract({
        address: contract,
        abi: MANDATES_ABI,
        functionName: 'balanceOf',
        args: [payer, token],
        blockNumber,
      });
      return { balance, allowance: null };
    }
    const [balance, allowance] = await Promise.all([
      this.client.readContract({ address: token, abi: ERC20_ABI, functionName: 'balanceOf', args: [payer], blockNumber }),
      this.client.readContract({ address: token, abi: ERC20_ABI, functionName: 'allowance', args: [payer, contract], blockNumber }),
    ]);
    return { balance, allowance };
  }

  /** The mandate's Debited logs from `fromBlock`, in chain order. */
  async debitedLogs(contract: Address, onchainId: Hex, fromBlock: bigint): Promise<DebitedLog[]> {
    const logs = await this.client.getLogs({
      address: contract,
      event: MANDATES_ABI.find((x) => x.type === 'event' && x.name === 'Debited') as Extract<
        (typeof MANDATES_ABI)[number],
        { type: 'event'; name: 'Debited' }
      >,
      args: { id: onchainId },
      fromBlock,
      toBlock: 'latest',
    });
    return logs.map((l) => ({
      period: Number(l.args.period!),
      used: l.args.used!,
      amount: l.args.amount!,
      txHash: l.transactionHash!,
      blockNumber: l.blockNumber!,
    }));
  }

  /** Who cancelled the mandate on chain (the MandateCancelled log's `by`), or null. */
  async cancelledBy(contract: Address, onchainId: Hex, fromBlock: bigint): Promise<Address | null> {
    const logs = await this.client.getLogs({
      address: contract,
      event: MANDATES_ABI.find((x) => x.type === 'event' && x.name === 'MandateCancelled') as Extract<
        (typeof MANDATES_ABI)[number],
        { type: 'event'; name: 'MandateCancelled' }
      >,
      args: { id: onchainId },
      fromBlock,
      toBlock: 'latest',
    });
    return logs[0]?.args.by ?? null;
  }

  /** The Debited log of the mandate in a mined transaction's receipt, or null. */
  async debitedIn(txHash: Hex, contract: Address, onchainId: Hex): Promise<(DebitedLog & { timestamp: number }) | null> {
    const receipt = await this.client.getTransactionReceipt({ hash: txHash });
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== contract.toLowerCase()) continue;
      try {
        const e = decodeEventLog({ abi: MANDATES_ABI, data: log.data, topics: log.topics });
        if (e.eventName === 'Debited' && e.args.id.toLowerCase() === onchainId.toLowerCase()) {
          const block = await this.client.getBlock({ blockNumber: receipt.blockNumber });
          return {
            period: Number(e.args.period),
            used: e.args.used,
            amount: e.args.amount,
            txHash,
            blockNumber: receipt.blockNumber,
            timestamp: Number(block.timestamp),
          };
        }
      } catch {
        // Another event of the contract.
      }
    }
    return null;
  }

  /** Gas of one debit of `amount`, as the node estimates it from the relayer; the measured figure when it cannot. */
  async estimateDebitGas(contract: Address, onchainId: Hex, amount: bigint, from: Address): Promise<bigint> {
    try {
      return await this.client.estimateGas({ account: from, to: contract, data: debitData(onchainId, amount) });
    } catch {
      // Not due yet (NotStarted), or the payer is short: the measured figure is the estimate.
      return MEASURED_DEBIT_GAS;
    }
  }
}

/** The custom error a call reverted with, decoded from the ABI; null for anything else. */
export function revertName(error: unknown): string | null {
  if (!(error instanceof BaseError)) return null;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  return reverted instanceof ContractFunctionRevertedError ? (reverted.data?.errorName ?? null) : null;
}

export const NATIVE_TOKEN: Address = zeroAddress;
