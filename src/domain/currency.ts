/**
 * ISO 4217 currencies with the exponent of their minor unit. Amounts on the wire and in the
 * domain are integers of that minor unit: 1000 USD = $10.00, 1000 JPY = ¥1000, 1000 KWD = 1.000 KWD.
 */
// biome-ignore format: a table of codes
const ZERO_DECIMAL = [
  'bif', 'clp', 'djf', 'gnf', 'isk', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd',
  'vuv', 'xaf', 'xof', 'xpf',
] as const;
// biome-ignore format: a table of codes
const THREE_DECIMAL = ['bhd', 'iqd', 'jod', 'kwd', 'lyd', 'omr', 'tnd'] as const;
// biome-ignore format: a table of codes
const TWO_DECIMAL = [
  'aed', 'afn', 'all', 'amd', 'ang', 'aoa', 'ars', 'aud', 'awg', 'azn', 'bam', 'bbd', 'bdt', 'bgn',
  'bmd', 'bnd', 'bob', 'brl', 'bsd', 'btn', 'bwp', 'byn', 'bzd', 'cad', 'cdf', 'chf', 'cny', 'cop',
  'crc', 'cup', 'cve', 'czk', 'dkk', 'dop', 'dzd', 'egp', 'ern', 'etb', 'eur', 'fjd', 'fkp', 'gbp',
  'gel', 'ghs', 'gip', 'gmd', 'gtq', 'gyd', 'hkd', 'hnl', 'htg', 'huf', 'idr', 'ils', 'inr', 'irr',
  'jmd', 'kes', 'kgs', 'khr', 'kpw', 'kyd', 'kzt', 'lak', 'lbp', 'lkr', 'lrd', 'lsl', 'mad', 'mdl',
  'mkd', 'mmk', 'mnt', 'mop', 'mru', 'mur', 'mvr', 'mwk', 'mxn', 'myr', 'mzn', 'nad', 'ngn', 'nio',
  'nok', 'npr', 'nzd', 'pab', 'pen', 'pgk', 'php', 'pkr', 'pln', 'qar', 'ron', 'rsd', 'rub', 'sar',
  'sbd', 'scr', 'sdg', 'sek', 'sgd', 'shp', 'sle', 'sos', 'srd', 'ssp', 'stn', 'syp', 'szl', 'thb',
  'tjs', 'tmt', 'top', 'try', 'ttd', 'twd', 'tzs', 'uah', 'usd', 'uyu', 'uzs', 'ves', 'wst', 'xcd',
  'yer', 'zar', 'zmw',
] as const;

export type Currency = (typeof ZERO_DECIMAL)[number] | (typeof THREE_DECIMAL)[number] | (typeof TWO_DECIMAL)[number];

const EXPONENTS: ReadonlyMap<string, number> = new Map<string, number>([
  ...ZERO_DECIMAL.map((c) => [c, 0] as const),
  ...THREE_DECIMAL.map((c) => [c, 3] as const),
  ...TWO_DECIMAL.map((c) => [c, 2] as const),
]);

export const CURRENCIES: readonly Currency[] = [...EXPONENTS.keys()] as Currency[];

export function isCurrency(code: string): code is Currency {
  return EXPONENTS.has(code);
}

/** Digits after the decimal point in the currency's major unit (0, 2 or 3). */
export function currencyExponent(currency: Currency): number {
  return EXPONENTS.get(currency)!;
}

/**
 * The largest amount a single intent may carry: eight digits of the minor unit, as card networks
 * and Stripe allow ($999,999.99; ¥99,999,999; 99,999.999 KWD).
 */
export const MAX_AMOUNT = 99_999_999n;

/**
 * An exact decimal string of `units` at `decimals` places, trailing zeros trimmed down to
 * `minFractionDigits`: (1099, 2) → "10.99", (1000, 3) → "1.000", (10990000, 6, 2) → "10.99".
 */
export function decimalString(units: bigint, decimals: number, minFractionDigits = decimals): string {
  const digits = units.toString().padStart(decimals + 1, '0');
  if (decimals === 0) return digits;
  const whole = digits.slice(0, -decimals);
  const fraction = digits.slice(-decimals).replace(/0+$/, '').padEnd(Math.min(minFractionDigits, decimals), '0');
  return fraction ? `${whole}.${fraction}` : whole;
}

/** 1099 usd → "10.99 USD", 500 jpy → "500 JPY", 1000 kwd → "1.000 KWD": exact, from the exponent. */
export function formatAmount(amount: bigint, currency: Currency): string {
  return `${decimalString(amount, currencyExponent(currency))} ${currency.toUpperCase()}`;
}
