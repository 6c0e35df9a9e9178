/**
 * What the hosted payment page shows of amounts and crypto payments, computed on the server: the
 * payer's locale from Accept-Language, amounts formatted exactly (the decimal string from the
 * currency's exponent goes to Intl.NumberFormat as a string, never through a float), the EIP-681
 * payment URI and its QR code (uqr, an inline SVG: no image request, nothing from another origin).
 */
import { renderSVG } from 'uqr';
import { currencyExponent, decimalString, isCurrency } from '../../domain/currency.js';
import type { CryptoPayment } from '../../domain/crypto.js';

export const DEFAULT_LOCALE = 'en-US';

/**
 * The payer's preferred locale that Intl supports, from an Accept-Language header (q-values
 * honoured, `*` and malformed tags skipped); en-US when none is usable.
 */
export function payerLocale(acceptLanguage: string | undefined): string {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranked = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)).find(Boolean);
      return { tag: tag.trim(), q: q ? Number(q[1]) : 1, index };
    })
    .filter((l) => l.q > 0 && /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(l.tag))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    try {
      const [supported] = Intl.NumberFormat.supportedLocalesOf(tag);
      if (supported) return supported;
    } catch {
      // A tag Intl refuses (structurally valid, semantically not): the next one.
    }
  }
  return DEFAULT_LOCALE;
}

/**
 * An amount of the intent's currency in the payer's locale: 123456 usd → "$1,234.56" (en-US),
 * "1.234,56 $" (de-DE); 5000 jpy → "￥5,000" (ja-JP). A currency that is not ISO 4217 (a token's
 * own code: usdc, eth) is the token's decimal amount with its symbol.
 */
export function formatMoney(amount: bigint, currency: string, locale: string, tokenDecimals?: number): string {
  if (isCurrency(currency)) {
    const exponent = currencyExponent(currency);
    return new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: currency.toUpperCase(),
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    }).format(decimalString(amount, exponent) as Intl.StringNumericLiteral);
  }
  return formatTokenAmount(amount, tokenDecimals ?? 0, currency, locale);
}

/** Base units of a token in the payer's locale, every significant digit kept: 10990000 at 6 → "10.99 USDC". */
export function formatTokenAmount(baseUnits: bigint, decimals: number, symbol: string, locale: string): string {
  const number = new Intl.NumberFormat(locale, {
    minimumFractionDigits: Math.min(2, decimals),
    maximumFractionDigits: decimals,
  }).format(decimalString(baseUnits, decimals) as Intl.StringNumericLiteral);
  return `${number} ${symbol.toUpperCase()}`;
}

/** What is still due on a crypto payment, in base units (never below zero). */
export function amountRemaining(c: CryptoPayment): bigint {
  return c.amount > c.seen ? c.amount - c.seen : 0n;
}

/**
 * The EIP-681 URI a wallet pays from: an ERC-20 `transfer` of `amount` to the deposit address, or
 * for the native coin a plain value transfer. Addresses as the intent holds them (checksummed).
 */
export function paymentUri(c: CryptoPayment, amount: bigint): string {
  if (c.depositAddress === null) throw new Error('a payment URI needs the deposit address');
  if (c.token.address === null) return `ethereum:${c.depositAddress}@${c.chainId}?value=${amount}`;
  return `ethereum:${c.token.address}@${c.chainId}/transfer?address=${c.depositAddress}&uint256=${amount}`;
}

/** The URI as a QR code: an SVG element to put inline, labelled for assistive technology. */
export function qrSvg(uri: string, label: string): string {
  const svg = renderSVG(uri, { ecc: 'M', border: 2, pixelSize: 8 });
  const escaped = label.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return svg.replace('<svg ', `<svg role="img" aria-label="${escaped}" class="qr" `);
}

/** A payer's typed amount, read exactly: the minor units, or why it cannot be read (a sentence naming the amount). */
export type AmountInput = { ok: true; amount: bigint } | { ok: false; message: string };

/**
 * What a payer types into the amount field, in the currency's major unit, to minor units by string
 * arithmetic with the currency's exponent (never a float): "12.5" usd → 1250, "1000" jpy → 1000,
 * "0.001" kwd → 1. More decimals than the currency has ("12.345" usd, "1.5" jpy) are refused, not rounded.
 */
export function parseAmountInput(input: string, currency: string): AmountInput {
  const exponent = isCurrency(currency) ? currencyExponent(currency) : 0;
  const found = /^(\d{1,12})(?:\.(\d*))?$/.exec(input.trim()) ?? /^()\.(\d+)$/.exec(input.trim());
  if (!found) return { ok: false, message: 'Enter the amount as a number, such as 12.50.' };
  const [, whole = '', fraction = ''] = found;
  if (fraction.length > exponent) {
    return {
      ok: false,
      message:
        exponent === 0
          ? `The amount must be a whole number of ${currency.toUpperCase()}.`
          : `The amount can have at most ${exponent} decimal places in ${currency.toUpperCase()}.`,
    };
  }
  return { ok: true, amount: BigInt(`${whole || '0'}${fraction.padEnd(exponent, '0')}`) };
}

/** Minor units as the amount field shows them (major unit, no grouping, no symbol): 1250 usd → "12.50". */
export function amountInputValue(amount: bigint, currency: string): string {
  const exponent = isCurrency(currency) ? currencyExponent(currency) : 0;
  return decimalString(amount, exponent);
}
