import { describe, expect, it } from 'vitest';
import type { Currency } from '../../src/domain/currency.js';
import { formatAmount } from '../../src/domain/currency.js';

describe('formatAmount (shown to the customer on the 3-D Secure page)', () => {
  it.each([
    [1099n, 'usd', '10.99 USD'],
    [500n, 'jpy', '500 JPY'],
    [1000n, 'kwd', '1.000 KWD'],
    [5n, 'usd', '0.05 USD'],
    [50n, 'eur', '0.50 EUR'],
    [100n, 'gbp', '1.00 GBP'],
    [1n, 'kwd', '0.001 KWD'],
    [12345n, 'bhd', '12.345 BHD'],
    [1n, 'clp', '1 CLP'],
    [99_999_999n, 'usd', '999999.99 USD'],
    [99_999_999n, 'jpy', '99999999 JPY'],
    [99_999_999n, 'omr', '99999.999 OMR'],
    [2n ** 64n, 'usd', '184467440737095516.16 USD'],
  ] satisfies [bigint, Currency, string][])('%s %s → %s', (amount, currency, expected) => {
    expect(formatAmount(amount, currency)).toBe(expected);
  });
});
