/**
 * On-chain payments, the pure part: how much a crypto intent asks for in the token's base units,
 * and what the transfers seen on chain mean for it. Every assessment starts again from the full set
 * of transfers seen now, so a transfer that vanished in a reorg simply stops counting.
 */
import { currencyExponent, isCurrency, type Currency } from './currency.js';
import { DomainError } from './errors.js';

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
      throw new DomainError(
        'parameter_invalid',
        `${amount} usd cents cannot be paid exactly in ${token.symbol}, which has ${token.decimals} decimals.`,
        'amount',
      );
    }
    return amount / divisor;
  }
  throw new DomainError(
    'parameter_invalid',
    isCurrency(currency)
      ? `An intent in ${currency} cannot be paid in ${token.symbol}: use currency ${token.symbol}${token.usdPegged ? ' or usd' : ''}.`
      : `Unknown currency ${currency} for ${token.symbol}.`,
    'currency',
  );
}

/** "10.99" for 10990000 at 6 decimals: exact, trailing zeros kept to two places. */
export function displayAmount(baseUnits: bigint, decimals: number): string {
  const digits = baseUnits.toString().padStart(decimals + 1, '0');
  if (decimals === 0) return digits;
  const whole = digits.slice(0, -decimals);
  const fraction = digits.slice(-decimals).replace(/0+$/, '').padEnd(Math.min(2, decimals), '0');
  return fraction ? `${whole}.${fraction}` : whole;
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

export type Assessment = (
  /** Nothing counts yet, or less than due: keep waiting (until expiry). */
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
  const unique = dedupe(transfers);
  const late = unique.filter((t) => t.at > window.expiresAt);
  const inTime = unique.filter((t) => t.at <= window.expiresAt);
  const confirmedTransfers = inTime.filter((t) => head - t.blockNumber + 1n >= BigInt(window.confirmationsRequired));
  const confirmed = sum(confirmedTransfers);
  const seen = sum(inTime);
  if (confirmed >= window.amount && confirmed > 0n) {
    return { kind: 'succeeded', received: confirmed, excess: confirmed - window.amount, txHashes: hashes(confirmedTransfers), late };
  }
  if (seen >= window.amount && seen > 0n) return { kind: 'processing', confirmed, seen, txHashes: hashes(inTime), late };
  if (now >= window.expiresAt) return { kind: 'expired', confirmed, seen, late };
  return { kind: 'waiting', confirmed, seen, late };
}

/** A log seen twice (overlapping polls) counts once. */
function dedupe(transfers: readonly SeenTransfer[]): SeenTransfer[] {
  const byKey = new Map<string, SeenTransfer>();
  for (const t of transfers) byKey.set(`${t.txHash}:${t.logIndex}`, t);
  return [...byKey.values()];
}

function sum(transfers: readonly SeenTransfer[]): bigint {
  return transfers.reduce((total, t) => total + t.value, 0n);
}

function hashes(transfers: readonly SeenTransfer[]): string[] {
  return [...new Set(transfers.map((t) => t.txHash))];
}
