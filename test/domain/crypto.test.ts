/** On-chain payments, pure: exact token amounts, and what the transfers seen at a head mean. */
import { describe, expect, it } from 'vitest';
import { assess, displayAmount, tokenAmount, type SeenTransfer } from '../../src/domain/crypto.js';
import { DomainError } from '../../src/domain/errors.js';

const USDC = { symbol: 'usdc', decimals: 6, usdPegged: true };
const ETH = { symbol: 'eth', decimals: 18, usdPegged: false };
const TWO_DECIMAL_USD = { symbol: 'usdx', decimals: 2, usdPegged: true };
const ONE_DECIMAL_USD = { symbol: 'usdy', decimals: 1, usdPegged: true };

describe('tokenAmount', () => {
  it.each([
    [1099n, 'usd', USDC, 10_990_000n],
    [1n, 'usd', USDC, 10_000n],
    [5_000_000n, 'usdc', USDC, 5_000_000n],
    // Past 2^53, exactly: 123456.789… ETH in wei.
    [123_456_789_000_000_000_000_001n, 'eth', ETH, 123_456_789_000_000_000_000_001n],
    [99_999_999n, 'usd', USDC, 999_999_990_000n],
    [1099n, 'usd', TWO_DECIMAL_USD, 1099n],
    [1090n, 'usd', ONE_DECIMAL_USD, 109n],
  ])('%s %s in %s → %s base units', (amount, currency, token, expected) => {
    const result = tokenAmount(amount, currency, token);
    expect(result).toBe(expected);
    expect(typeof result).toBe('bigint');
  });

  it.each([
    [1099n, 'usd', ONE_DECIMAL_USD, 'amount'],
    [1000n, 'usd', ETH, 'currency'],
    [1000n, 'eur', USDC, 'currency'],
    [1000n, 'doge', USDC, 'currency'],
  ])('%s %s cannot be paid in %s exactly → refused naming %s', (amount, currency, token, param) => {
    expect(() => tokenAmount(amount, currency, token)).toThrowError(expect.objectContaining({ code: 'parameter_invalid', field: param }));
    expect(() => tokenAmount(amount, currency, token)).toThrow(DomainError);
  });
});

describe('displayAmount', () => {
  it.each([
    [10_990_000n, 6, '10.99'],
    [10_000_000n, 6, '10.00'],
    [1n, 6, '0.000001'],
    [1_500_000_000_000_000_000n, 18, '1.50'],
    [123_456_789_000_000_000_000_001n, 18, '123456.789000000000000001'],
    [42n, 0, '42'],
  ])('%s at %s decimals → %s', (units, decimals, shown) => {
    expect(displayAmount(units, decimals)).toBe(shown);
  });
});

describe('assess', () => {
  const expiresAt = 1_000_000;
  const window = { amount: 10_000_000n, confirmationsRequired: 3, expiresAt };
  const t = (txHash: string, blockNumber: bigint, value: bigint, at = expiresAt - 60_000, logIndex = 0): SeenTransfer => ({
    txHash,
    logIndex,
    blockNumber,
    at,
    value,
  });
  const before = expiresAt - 1;
  const after = expiresAt + 1;

  it.each<[string, SeenTransfer[], bigint, number, object]>([
    ['nothing seen, in time', [], 100n, before, { kind: 'waiting', confirmed: 0n, seen: 0n }],
    ['nothing seen at expiry', [], 100n, expiresAt, { kind: 'expired', confirmed: 0n, seen: 0n }],
    [
      'paid, one confirmation of three',
      [t('0xa', 100n, 10_000_000n)],
      100n,
      before,
      { kind: 'processing', seen: 10_000_000n, confirmed: 0n, txHashes: ['0xa'] },
    ],
    ['paid, two of three', [t('0xa', 99n, 10_000_000n)], 100n, before, { kind: 'processing' }],
    [
      'paid, three of three',
      [t('0xa', 98n, 10_000_000n)],
      100n,
      before,
      { kind: 'succeeded', received: 10_000_000n, excess: 0n, txHashes: ['0xa'] },
    ],
    [
      'part paid and confirmed, in time',
      [t('0xa', 90n, 4_000_000n)],
      100n,
      before,
      { kind: 'waiting', confirmed: 4_000_000n, seen: 4_000_000n },
    ],
    [
      'part then the rest, all confirmed',
      [t('0xa', 90n, 4_000_000n), t('0xb', 95n, 6_000_000n)],
      100n,
      before,
      { kind: 'succeeded', received: 10_000_000n, txHashes: ['0xa', '0xb'] },
    ],
    [
      'part confirmed, rest not yet',
      [t('0xa', 90n, 4_000_000n), t('0xb', 100n, 6_000_000n)],
      100n,
      before,
      { kind: 'processing', confirmed: 4_000_000n, seen: 10_000_000n },
    ],
    ['overpaid', [t('0xa', 90n, 12_500_000n)], 100n, before, { kind: 'succeeded', received: 12_500_000n, excess: 2_500_000n }],
    ['part paid at expiry', [t('0xa', 90n, 4_000_000n)], 100n, after, { kind: 'expired', confirmed: 4_000_000n, seen: 4_000_000n }],
    ['paid in time, confirming after expiry: still processing', [t('0xa', 100n, 10_000_000n)], 100n, after, { kind: 'processing' }],
    ['paid in time, confirmed after expiry', [t('0xa', 100n, 10_000_000n)], 102n, after, { kind: 'succeeded' }],
    [
      'the same log seen by two polls counts once',
      [t('0xa', 90n, 6_000_000n), t('0xa', 90n, 6_000_000n)],
      100n,
      before,
      { kind: 'waiting', seen: 6_000_000n },
    ],
    [
      'two logs in one transaction both count',
      [t('0xa', 90n, 6_000_000n, undefined, 0), t('0xa', 90n, 4_000_000n, undefined, 1)],
      100n,
      before,
      { kind: 'succeeded', txHashes: ['0xa'] },
    ],
  ])('%s', (_name, transfers, head, now, expected) => {
    expect(assess(window, transfers, head, now)).toMatchObject(expected);
  });

  it('a transfer gone after a reorg stops counting: back to waiting', () => {
    const seen = [t('0xa', 100n, 10_000_000n)];
    expect(assess(window, seen, 101n, before).kind).toBe('processing');
    expect(assess(window, [], 101n, before)).toMatchObject({ kind: 'waiting', seen: 0n });
  });

  it('transfers in blocks after the window closed are late: recorded, not counted', () => {
    const late = t('0xlate', 120n, 10_000_000n, expiresAt + 5_000);
    const result = assess(window, [late], 130n, after);
    expect(result).toMatchObject({ kind: 'expired', seen: 0n });
    expect(result.late).toEqual([late]);
    // In time plus late: the late one is still reported, never folded in.
    const both = assess(window, [t('0xa', 90n, 10_000_000n), late], 130n, after);
    expect(both).toMatchObject({ kind: 'succeeded', received: 10_000_000n, excess: 0n });
    expect(both.late).toEqual([late]);
  });
});
