/**
 * The escrow contract for delivery versus payment (contracts/Escrow.sol), as the service uses it: the
 * ABI, an intent's on-chain id, the deposit the payer signs (EIP-712), the calls the relayer sends
 * (`relayer(env, network).send(network, { id, ...releaseCall(contract, escrowId, payer) })`), the reader of
 * `escrowOf`, and the decoder of its events for the chain watcher. Pure apart from `readEscrow`,
 * which is handed its client (viem's must not be shared between Durable Objects).
 *
 * The intent's on-chain id is keccak256 of its `pi_…` id (UTF-8): one way, so going back is a lookup
 * (the intent knows its id). The contract keys each deposit by that id AND its payer, so a stranger's
 * deposit under an intent's id cannot spend the id for the real payer; one (id, payer) pair locks once,
 * ever: the contract keeps every spent pair. Whoever reads a deposit names the payer it expects.
 */
import {
  type AbiEvent,
  type Address,
  type BlockTag,
  decodeEventLog,
  encodeFunctionData,
  getAbiItem,
  getAddress,
  type Hash,
  type Hex,
  keccak256,
  type Log,
  parseAbi,
  type PublicClient,
  stringToBytes,
  toEventSelector,
} from 'viem';
import { INTENT_ID_PATTERN } from '../lib/ids.js';

export const ESCROW_ABI = parseAbi([
  'struct Deposit { bytes32 intentId; address payer; address token; uint256 amount; address merchant; uint64 deadline; uint64 validBefore; }',
  'struct Held { address payer; uint64 deadline; uint8 status; address merchant; uint96 amount; address token; }',
  'function deposit(bytes32 intentId, address token, uint256 amount, address merchant, uint64 deadline)',
  'function depositWithSignature(Deposit d, bytes signature)',
  'function depositWithPermit(Deposit d, bytes signature, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)',
  'function release(bytes32 intentId, address payer)',
  'function refund(bytes32 intentId, address payer)',
  'function reclaim(bytes32 intentId)',
  'function escrowOf(bytes32 intentId, address payer) view returns (Held)',
  'function depositDigest(Deposit d) view returns (bytes32)',
  'function domainSeparator() view returns (bytes32)',
  'function DEPOSIT_TYPEHASH() view returns (bytes32)',
  'function isRelayer(address relayer) view returns (bool)',
  'function setRelayer(address relayer, bool allowed)',
  'function owner() view returns (address)',
  'function renounceOwnership()',
  'function transferOwnership(address newOwner)',
  'function eip712Domain() view returns (bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)',
  'event Locked(bytes32 indexed intentId, address indexed payer, address indexed merchant, address token, uint256 amount, uint64 deadline)',
  'event Released(bytes32 indexed intentId, address indexed payer, address indexed merchant, address token, uint256 amount, address by)',
  'event Refunded(bytes32 indexed intentId, address indexed payer, address token, uint256 amount, address by)',
  'event Reclaimed(bytes32 indexed intentId, address indexed payer, address token, uint256 amount)',
  'event RelayerSet(address indexed relayer, bool allowed)',
  'event OwnershipTransferred(address indexed previousOwner, address indexed newOwner)',
  'event EIP712DomainChanged()',
  'error ZeroAddress(string field)',
  'error ZeroAmount()',
  'error AmountTooLarge(uint256 amount)',
  'error MerchantIsPayer()',
  'error TokenNotContract(address token)',
  'error DeadlineNotInFuture(uint64 deadline)',
  'error SignatureExpired(uint64 validBefore)',
  'error InvalidSignature()',
  'error DepositExists(bytes32 intentId, address payer, uint8 status)',
  'error AmountNotReceived(uint256 amount, uint256 received)',
  'error UnknownDeposit(bytes32 intentId, address payer)',
  'error NotLocked(bytes32 intentId, address payer, uint8 status)',
  'error NotRelayerOrPayer(address caller)',
  'error NotRelayerOrMerchant(address caller)',
  'error DeadlinePassed(uint64 deadline)',
  'error DeadlineNotReached(uint64 deadline)',
  'error InvalidShortString()',
  'error StringTooLong(string str)',
]);

/** The contract's Status enum, in its order: `none` for an (id, payer) pair never used. Every status but `locked` is final. */
export const ESCROW_STATUSES = ['none', 'locked', 'released', 'refunded', 'reclaimed'] as const;
export type EscrowStatus = (typeof ESCROW_STATUSES)[number];

/** What the payer signs (contracts/Escrow.sol `Deposit`). Amount in the token's smallest unit; times in unix seconds. */
export interface EscrowDeposit {
  intentId: Hex;
  payer: Address;
  token: Address;
  amount: bigint;
  merchant: Address;
  /** From this second on, the payer may reclaim and nobody may release. */
  deadline: bigint;
  /** The signature may be used only before this second. */
  validBefore: bigint;
}

export const DEPOSIT_TYPES = {
  Deposit: [
    { name: 'intentId', type: 'bytes32' },
    { name: 'payer', type: 'address' },
    { name: 'token', type: 'address' },
    { name: 'amount', type: 'uint256' },
    { name: 'merchant', type: 'address' },
    { name: 'deadline', type: 'uint64' },
    { name: 'validBefore', type: 'uint64' },
  ],
} as const;

/**
 * Gas of each call measured on anvil (test/contracts/escrow.test.ts: USDC, a recipient already holding
 * some; a first-ever receipt of the token costs about 17,000 more): for budgeting the relayer's gas money.
 */
export const MEASURED_ESCROW_GAS = { depositWithSignature: 126_022n, release: 56_559n, refund: 56_174n } as const;

/** An intent's id on the contract: keccak256 of its `pi_…` id. */
export function escrowIdOf(intentId: string): Hex {
  if (!INTENT_ID_PATTERN.test(intentId)) throw new Error(`not a payment intent id: ${JSON.stringify(intentId)}`);
  return keccak256(stringToBytes(intentId));
}

/** The typed data the payer signs (eth_signTypedData_v4) so that the relayer may lock the deposit for them. */
export function depositTypedData(chainId: number, contract: Address, deposit: EscrowDeposit) {
  return {
    domain: { name: 'Escrow', version: '1', chainId, verifyingContract: contract },
    types: DEPOSIT_TYPES,
    primaryType: 'Deposit' as const,
    message: deposit,
  };
}

/** A call for the relayer: `relayer.send(network, { id: attemptId, ...call })`. */
export interface EscrowCall {
  to: Address;
  data: Hex;
}

export function depositWithSignatureCall(contract: Address, deposit: EscrowDeposit, signature: Hex): EscrowCall {
  return { to: contract, data: encodeFunctionData({ abi: ESCROW_ABI, functionName: 'depositWithSignature', args: [deposit, signature] }) };
}

/** With the payer's EIP-2612 permit for exactly `deposit.amount` to the contract, split into v, r, s. */
export function depositWithPermitCall(
  contract: Address,
  deposit: EscrowDeposit,
  signature: Hex,
  permit: { deadline: bigint; v: number; r: Hex; s: Hex },
): EscrowCall {
  return {
    to: contract,
    data: encodeFunctionData({
      abi: ESCROW_ABI,
      functionName: 'depositWithPermit',
      args: [deposit, signature, permit.deadline, permit.v, permit.r, permit.s],
    }),
  };
}

/** Pays the payer's deposit for the intent (`escrowIdOf(pi_…)`) to its merchant (delivery confirmed). */
export function releaseCall(contract: Address, escrowId: Hex, payer: Address): EscrowCall {
  return { to: contract, data: encodeFunctionData({ abi: ESCROW_ABI, functionName: 'release', args: [escrowId, payer] }) };
}

/** Pays the payer's deposit for the intent (`escrowIdOf(pi_…)`) back to them (cancelled). */
export function refundCall(contract: Address, escrowId: Hex, payer: Address): EscrowCall {
  return { to: contract, data: encodeFunctionData({ abi: ESCROW_ABI, functionName: 'refund', args: [escrowId, payer] }) };
}

/** A payer's deposit for an intent on chain; `status` none (and the rest zero) when that payer never locked one for it. */
export interface EscrowState {
  status: EscrowStatus;
  payer: Address;
  merchant: Address;
  token: Address;
  amount: bigint;
  /** Unix seconds. */
  deadline: bigint;
}

/** Reads `escrowOf(escrowId, payer)` (escrowId: `escrowIdOf(pi_…)`), at `blockTag` (default latest). */
export async function readEscrow(
  client: PublicClient,
  contract: Address,
  escrowId: Hex,
  payer: Address,
  blockTag?: BlockTag,
): Promise<EscrowState> {
  const held = await client.readContract({
    address: contract,
    abi: ESCROW_ABI,
    functionName: 'escrowOf',
    args: [escrowId, payer],
    ...(blockTag ? { blockTag } : {}),
  });
  return escrowStateOf(held);
}

/** escrowOf's answer (viem-decoded `Held`) as an EscrowState; an unknown status throws. */
export function escrowStateOf(held: {
  payer: Address;
  deadline: bigint;
  status: number;
  merchant: Address;
  amount: bigint;
  token: Address;
}): EscrowState {
  const status = ESCROW_STATUSES[held.status];
  if (!status) throw new Error(`escrowOf answered an unknown status ${held.status}`);
  return {
    status,
    payer: getAddress(held.payer),
    merchant: getAddress(held.merchant),
    token: getAddress(held.token),
    amount: held.amount,
    deadline: held.deadline,
  };
}

// --- events --------------------------------------------------------------------------------------

const ESCROW_EVENT_NAMES = ['Locked', 'Released', 'Refunded', 'Reclaimed'] as const;

/** topic0 of the four deposit events: an eth_getLogs filter (`topics: [ESCROW_EVENT_TOPICS]`). */
export const ESCROW_EVENT_TOPICS: readonly Hex[] = ESCROW_EVENT_NAMES.map((name) =>
  toEventSelector(getAbiItem({ abi: ESCROW_ABI, name }) as AbiEvent),
);

interface EscrowEventBase {
  contract: Address;
  /** The on-chain id (keccak256 of the `pi_…` id). */
  intentId: Hex;
  token: Address;
  amount: bigint;
  txHash: Hash;
  blockNumber: bigint;
  blockHash: Hash;
  logIndex: number;
}

export type EscrowEvent =
  | (EscrowEventBase & { event: 'Locked'; payer: Address; merchant: Address; deadline: bigint })
  | (EscrowEventBase & { event: 'Released'; payer: Address; merchant: Address; by: Address })
  | (EscrowEventBase & { event: 'Refunded'; payer: Address; by: Address })
  | (EscrowEventBase & { event: 'Reclaimed'; payer: Address });

/**
 * The deposit events among `logs` (from eth_getLogs or a receipt), in chain order. Logs of other
 * events or contracts are skipped; a log with an escrow event's topic that does not decode, or one
 * not yet in a block (pending), throws: a node answering that is not to be trusted.
 */
export function decodeEscrowLogs(logs: readonly Log[], contract?: Address): EscrowEvent[] {
  const found: EscrowEvent[] = [];
  for (const log of logs) {
    if (contract && getAddress(log.address) !== getAddress(contract)) continue;
    if (!ESCROW_EVENT_TOPICS.includes(log.topics[0] as Hex)) continue;
    const { blockNumber, blockHash, transactionHash, logIndex } = log;
    if (blockNumber === null || blockHash === null || transactionHash === null || logIndex === null) {
      throw new Error(`an escrow log not in a block (tx ${transactionHash})`);
    }
    let decoded: ReturnType<typeof decodeEventLog<typeof ESCROW_ABI>>;
    try {
      decoded = decodeEventLog({ abi: ESCROW_ABI, data: log.data, topics: log.topics as [Hex, ...Hex[]], strict: true });
    } catch {
      throw new Error(`an escrow log that does not decode (tx ${transactionHash})`);
    }
    const at = { contract: getAddress(log.address), txHash: transactionHash, blockNumber, blockHash, logIndex };
    switch (decoded.eventName) {
      case 'Locked': {
        const { intentId, payer, merchant, token, amount, deadline } = decoded.args;
        found.push({ ...at, event: 'Locked', intentId, payer, merchant, token, amount, deadline });
        break;
      }
      case 'Released': {
        const { intentId, payer, merchant, token, amount, by } = decoded.args;
        found.push({ ...at, event: 'Released', intentId, payer, merchant, token, amount, by });
        break;
      }
      case 'Refunded': {
        const { intentId, payer, token, amount, by } = decoded.args;
        found.push({ ...at, event: 'Refunded', intentId, payer, token, amount, by });
        break;
      }
      case 'Reclaimed': {
        const { intentId, payer, token, amount } = decoded.args;
        found.push({ ...at, event: 'Reclaimed', intentId, payer, token, amount });
        break;
      }
      default:
        break;
    }
  }
  return found.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
}
