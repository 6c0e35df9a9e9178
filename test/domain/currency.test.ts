import { describe, expect, it } from 'vitest';
import { CURRENCIES, currencyExponent, isCurrency, MAX_AMOUNT, type Currency } from '../../src/domain/currency.js';

describe('currencies', () => {
  it.each([
    ['jpy', 0],
    ['clp', 0],
    ['krw', 0],
    ['vnd', 0],
    ['xof', 0],
    ['bhd', 3],
    ['kwd', 3],
    ['omr', 3],
    ['jod', 3],
    ['tnd', 3],
    ['usd', 2],
    ['eur', 2],
    ['gbp', 2],
    ['chf', 2],
    ['inr', 2],
  ] satisfies [Currency, number][])('%s has %i decimal places', (currency, exponent) => {
    expect(currencyExponent(currency)).toBe(exponent);
  });

  it.each(['usd', 'jpy', 'kwd'])('accepts %s as a currency', (code) => {
    expect(isCurrency(code)).toBe(true);
  });

  it.each(['USD', 'Usd', 'xyz', 'us', '', 'usdx', 'toString', '__proto__'])('rejects %j as a currency', (code) => {
    expect(isCurrency(code)).toBe(false);
  });

  it('lists each currency once, as a three-letter lowercase code with a known exponent', () => {
    expect(new Set(CURRENCIES).size).toBe(CURRENCIES.length);
    expect(CURRENCIES.length).toBeGreaterThan(130);
    for (const currency of CURRENCIES) {
      expect(currency).toMatch(/^[a-z]{3}$/);
      expect([0, 2, 3]).toContain(currencyExponent(currency));
    }
  });

  it('caps a single amount at eight digits of the minor unit, as a bigint', () => {
    expect(MAX_AMOUNT).toBe(99_999_999n);
    expect(typeof MAX_AMOUNT).toBe('bigint');
  });
});
