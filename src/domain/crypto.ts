/**
 * On-chain payments, the pure part: how much a crypto intent asks for in the token's base units,
 * and what the transfers seen on chain mean for it. Every assessment starts again from the full set
 * of transfers seen now, so a transfer that vanished in a reorg simply stops counting.
 */
import { currencyExponent, decimalString, isCurrency, type Currency } from './currency.js';
import { invalid } from './errors.js';
import type { Escrow } from './escrow.js';

export interface CryptoToken {
  /** Lowercase code: usdc, usdt, eth… */
  symbol: string;
  decimals: number;
  /** A USD stablecoin, payable for intents in `usd` at par. */
  usdPegged: boolean;
}

/**
 * The token amount, exactly, in the token's base units. An intent in the token's own code is
 * already in base units; one in `usd` is converted at par for a USD-pegged token (1099 usd cents
 * = 10.99 USDC = 10990000 base units at 6 decimals). Anything else cannot be represented.
 */
export function tokenAmount(amount: bigint, currency: string, token: CryptoToken): bigint {
  if (currency === token.symbol) return amount;
  if (currency === 'usd' && token.usdPegged) {
    const exponent = currencyExponent('usd' as Currency);
    const shift = token.decimals - exponent;
    if (shift >= 0) return amount * 10n ** BigInt(shift);
    const divisor = 10n ** BigInt(-shift);
    if (amount % divisor !== 0n) {
      throw invalid(
        'parameter_invalid',
        'amount',
        `${amount} usd cents cannot be paid exactly in ${token.symbol}, which has ${token.decimals} decimals.`,
      );
    }
    return amount / divisor;
  }
  throw invalid(
    'parameter_invalid',
    'currency',
    isCurrency(currency)
      ? `An intent in ${currency} cannot be paid in ${token.symbol}: use {{currency}} ${token.symbol}${token.usdPegged ? ' or usd' : ''}.`
      : `Unknown currency ${currency} for ${token.symbol}.`,
  );
}

/** "10.99" for 10990000 at 6 decimals: exact, trailing zeros kept to two places. */
export function displayAmount(baseUnits: bigint, decimals: number): string {
  return decimalString(baseUnits, decimals, 2);
}

export interface SeenTransfer {
  txHash: string;
  logIndex: number;
  blockNumber: bigint;
  /** The block's timestamp, in milliseconds. */
  at: number;
  value: bigint;
}

export interface CryptoWindow {
  /** Base units due. */
  amount: bigint;
  confirmationsRequired: number;
  /** Milliseconds: waiting ends here; funds already seen by then may still confirm. */
  expiresAt: number;
}

export type Assessment =
  /** Nothing counts yet, or less than due: keep waiting (until expiry). */
  (
    | { kind: 'waiting'; confirmed: bigint; seen: bigint }
    /** Enough is on chain but not all of it has its confirmations. */
    | { kind: 'processing'; confirmed: bigint; seen: bigint; txHashes: string[] }
    /** Enough is confirmed; `excess` above what was due is recorded, never lost. */
    | { kind: 'succeeded'; received: bigint; excess: bigint; txHashes: string[] }
    /** The window closed with less than due seen: the intent is abandoned. */
    | { kind: 'expired'; confirmed: bigint; seen: bigint }
  ) & {
    /** Transfers in blocks after the window closed: recorded and announced, not counted. */
    late: SeenTransfer[];
  };

/**
 * What the transfers seen at `head` mean. A transfer in block b has head - b + 1 confirmations.
 * Only transfers in blocks up to the expiry count; funds seen in time that cover the amount keep
 * the intent open past expiry until they confirm (the customer paid in time); less than due at
 * expiry is abandoned. Later transfers are returned as `late`.
 */
export function assess(window: CryptoWindow, transfers: readonly SeenTransfer[], head: bigint, now: number): Assessment {
  const unique = uniqueTransfers(transfers);
  const late = unique.filter((t) => t.at > window.expiresAt);
  const inTime = unique.filter((t) => t.at <= window.expiresAt);
  const confirmedTransfers = inTime.filter((t) => head - t.blockNumber + 1n >= BigInt(window.confirmationsRequired));
  const confirmed = sumTransfers(confirmedTransfers);
  const seen = sumTransfers(inTime);
  if (confirmed >= window.amount && confirmed > 0n) {
    return { kind: 'succeeded', received: confirmed, excess: confirmed - window.amount, txHashes: hashes(confirmedTransfers), late };
  }
  if (seen >= window.amount && seen > 0n) return { kind: 'processing', confirmed, seen, txHashes: hashes(inTime), late };
  if (now >= window.expiresAt) return { kind: 'expired', confirmed, seen, late };
  return { kind: 'waiting', confirmed, seen, late };
}

/** A transfer seen twice (overlapping polls) counts once, the latest sighting kept; in chain order. */
export function uniqueTransfers<T extends SeenTransfer>(transfers: readonly T[]): T[] {
  const byKey = new Map<string, T>();
  for (const t of transfers) byKey.set(transferKey(t), t);
  return [...byKey.values()].sort((a, b) =>
    a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
  );
}

export function sumTransfers(transfers: readonly Pick<SeenTransfer, 'value'>[]): bigint {
  return transfers.reduce((total, t) => total + t.value, 0n);
}

function hashes(transfers: readonly SeenTransfer[]): string[] {
  return [...new Set(transfers.map((t) => t.txHash))];
}

// --- a crypto intent's payment -------------------------------------------------------------------

/** The largest ERC-20 amount: a uint256. */
export const MAX_TOKEN_AMOUNT = 2n ** 256n - 1n;
/** Test mode may set the payment window from 10 seconds to 24 hours. */
export const EXPIRES_IN_MIN_SECONDS = 10;
export const EXPIRES_IN_MAX_SECONDS = 86_400;
/** The payment window of 000_…: fifteen minutes from confirmation. */
export const DEFAULT_WINDOW_MS = 15 * 60_000;

/** What the HTTP layer resolved from CHAINS for payment_method_options.crypto. */
export interface CryptoOptions {
  network: string;
  chainId: number;
  token: CryptoToken & {
    /** The ERC-20 contract; null for the chain's native coin. */
    address: string | null;
  };
  confirmationsRequired: number;
  /** Seconds, as asked for in test mode (payment_method_options.crypto.expires_in); null for the default window. */
  expiresIn: number | null;
  /** The network's escrow contract (CHAINS escrow_contract); null where none is deployed: nothing can be held there. */
  escrowContract?: string | null;
}

/** A transfer to the deposit address as the intent records it. */
export interface CryptoTransfer extends SeenTransfer {
  blockHash: string;
  from: string;
}

export const PHASES = ['signature_verification', 'blockchain_confirmation', 'settlement'] as const;
export type PhaseName = (typeof PHASES)[number];
export type PhaseStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'skipped';
export interface Phase {
  phase: PhaseName;
  status: PhaseStatus;
  startedAt: number | null;
  completedAt: number | null;
}

export interface PayerSignature {
  signer: string;
  signature: string;
  verifiedAt: number;
}

export interface CryptoPayment extends CryptoOptions {
  /** Base units due. */
  amount: bigint;
  /** Set at confirmation: the merchant's xpub/0/index. */
  depositAddress: string | null;
  depositIndex: number | null;
  /** The chain's head when the address was handed out: the scan starts there. */
  startBlock: bigint | null;
  /** Milliseconds; set at confirmation. */
  expiresAt: number | null;
  /** Late funds are watched for until then (set when the intent stops waiting). */
  monitorUntil: number | null;
  /** Transfers seen in time (blocks up to the expiry), confirmed or not. */
  transfers: CryptoTransfer[];
  /** Sum of the confirmed transfers in time, base units. */
  confirmed: bigint;
  /** Sum of every transfer seen in time, base units. */
  seen: bigint;
  /** What the payment was settled with (confirmed), and how much of it was above what was due. */
  received: bigint;
  excess: bigint;
  /** Transfers after the window closed or after the intent settled: recorded, announced, not counted. */
  late: CryptoTransfer[];
  signature: PayerSignature | null;
  phases: Phase[];
  /** The deposit on the escrow contract of an intent held for capture (src/domain/escrow.ts); null for a plain transfer. */
  escrow: Escrow | null;
}

export function newCryptoPayment(options: CryptoOptions, amount: bigint): CryptoPayment {
  return {
    ...options,
    amount,
    depositAddress: null,
    depositIndex: null,
    startBlock: null,
    expiresAt: null,
    monitorUntil: null,
    transfers: [],
    confirmed: 0n,
    seen: 0n,
    received: 0n,
    excess: 0n,
    late: [],
    signature: null,
    escrow: null,
    phases: PHASES.map((phase) => ({ phase, status: 'pending', startedAt: null, completedAt: null })),
  };
}

export function windowMs(payment: Pick<CryptoOptions, 'expiresIn'>): number {
  return payment.expiresIn === null ? DEFAULT_WINDOW_MS : payment.expiresIn * 1000;
}

/** One phase moved to `status` at `now`; started/completed stamps kept once set. */
export function setPhase(phases: readonly Phase[], name: PhaseName, status: PhaseStatus, now: number): Phase[] {
  return phases.map((p) => {
    if (p.phase !== name || p.status === status) return p;
    const done = status === 'completed' || status === 'failed' || status === 'skipped';
    return {
      phase: p.phase,
      status,
      startedAt: p.startedAt ?? (status === 'skipped' ? null : now),
      completedAt: done ? now : null,
    };
  });
}

export function transferKey(t: Pick<SeenTransfer, 'txHash' | 'logIndex'>): string {
  return `${t.txHash.toLowerCase()}:${t.logIndex}`;
}

/**
 * The EIP-712 typed data a payer signs for an intent: which intent, on which chain, what token and
 * amount to which address, until when. The domain binds it to this service and chain.
 */
export function paymentTypedData(intentId: string, payment: CryptoPayment) {
  if (payment.depositAddress === null || payment.expiresAt === null) {
    throw new Error('typed data exists only once the intent has a deposit address');
  }
  return {
    domain: { name: 'edge-payment-intents', version: '1', chainId: payment.chainId },
    types: {
      CryptoPayment: [
        { name: 'intent', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'token', type: 'address' },
        { name: 'amount', type: 'uint256' },
        { name: 'depositAddress', type: 'address' },
        { name: 'expiresAt', type: 'uint256' },
      ],
    },
    primaryType: 'CryptoPayment' as const,
    message: {
      intent: intentId,
      chainId: BigInt(payment.chainId),
      token: payment.token.address ?? '0x0000000000000000000000000000000000000000',
      amount: payment.amount,
      depositAddress: payment.depositAddress,
      expiresAt: BigInt(Math.floor(payment.expiresAt / 1000)),
    },
  };
}
