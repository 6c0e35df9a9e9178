/**
 * Card numbers (PANs) in text: found, so that a request carrying one is refused, and removed, so
 * that a log line never carries one.
 *
 * What counts as a card number: 13 to 19 digits that pass the Luhn check, written in one piece or
 * in groups of at most six digits, separated by single spaces or by single dashes (one kind per
 * number, as cards are printed and typed: `4242 4242 4242 4242`, `3782-822463-10005`), and standing
 * on their own in the text: not glued to a letter on either side. Anything else may surround them
 * (`pm_4242424242424242`, `card: 4242…`, a URL path, an e-mail's local part, a metadata key).
 *
 * The trade-off, which the tests pin down:
 * - One number in ten passes the Luhn check, so one long order number (or other identifier) of 13
 *   to 19 digits in ten is refused as a card number. Numbers longer than 19 digits, or glued to a
 *   letter (`ORD1234567890123456`), never are.
 * - Issuer numbers never begin with 0, and those beginning with 1 (UATP, the airlines' cards) have 15
 *   digits: zero-padded numbers and millisecond, microsecond and nanosecond Unix times (13, 16 and 19
 *   digits beginning with 1) are not taken for card numbers.
 * - A digit run glued to letters is part of a token (a hex hash or signature, a UUID, a base58 key,
 *   an id): not a card number. A card number written that way (`visa4242424242424242`) is missed.
 * - Groups longer than six digits are not joined (a UUID's `3456-789012345678` is not one number),
 *   nor are groups joined by mixed separators (two phone numbers `415-555-0100 415-555-0199`).
 *   A list of phone numbers or dates separated by single spaces only can still add up to 13 to 19
 *   Luhn-valid digits, one time in ten when it does.
 * - Only ASCII digits, spaces and dashes: full-width digits or other separators are not recognised.
 */

const MIN_DIGITS = 13;
const MAX_DIGITS = 19;
/** The longest group that is joined to its neighbours (Amex's middle group has six digits). */
const MAX_GROUP = 6;
const SEPARATORS = new Set([' ', '-']);
const LETTER = /\p{L}/u;

/** Where a card number is in a text: [start, end) in UTF-16 units. */
type Span = readonly [start: number, end: number];

/** Whether the text contains a card number. */
export function containsCardNumber(text: string): boolean {
  return !cardNumberSpans(text).next().done;
}

/** The text with every card number replaced by a placeholder that keeps no digit of it. */
export function redactCardNumbers(text: string, placeholder = '[card number removed]'): string {
  const spans = [...cardNumberSpans(text)].sort((a, b) => a[0] - b[0]);
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const [start, end] of spans) {
    if (end <= at) continue;
    // A span overlapping the previous one extends what its placeholder stands for.
    if (start >= at) out += text.slice(at, start) + placeholder;
    at = end;
  }
  return out + text.slice(at);
}

/** Whether a string of digits is a card number's: its length, its first digit, its Luhn check digit. */
export function isCardNumber(digits: string): boolean {
  if (!/^\d+$/.test(digits) || digits.length < MIN_DIGITS || digits.length > MAX_DIGITS) return false;
  if (digits[0] === '0' || (digits[0] === '1' && digits.length !== 15)) return false;
  return luhnValid(digits);
}

/** The Luhn (mod 10) check: from the right, every second digit doubled (less 9 past 9); the sum ends in 0. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Every card number in the text, as spans (they may overlap). */
function* cardNumberSpans(text: string): Generator<Span> {
  const groups = [...text.matchAll(/\d+/g)].map((m): Span => [m.index, m.index + m[0].length]);
  for (let first = 0; first < groups.length; first++) {
    const start = groups[first]![0];
    if (isLetter(text, start - 1)) continue;
    let digits = '';
    let separator: string | undefined;
    let longestGroup = 0;
    for (let last = first; last < groups.length; last++) {
      const [groupStart, groupEnd] = groups[last]!;
      if (last > first) {
        const gap = text.slice(groups[last - 1]![1], groupStart);
        if (!SEPARATORS.has(gap) || (separator !== undefined && gap !== separator)) break;
        separator = gap;
      }
      digits += text.slice(groupStart, groupEnd);
      longestGroup = Math.max(longestGroup, groupEnd - groupStart);
      if (digits.length > MAX_DIGITS || (last > first && longestGroup > MAX_GROUP)) break;
      if (isCardNumber(digits) && !isLetter(text, groupEnd)) yield [start, groupEnd];
    }
  }
}

function isLetter(text: string, index: number): boolean {
  if (index < 0 || index >= text.length) return false;
  // The second half of a surrogate pair is looked at as the whole code point.
  const unit = text.charCodeAt(index);
  const at = unit >= 0xdc00 && unit <= 0xdfff && index > 0 ? index - 1 : index;
  return LETTER.test(String.fromCodePoint(text.codePointAt(at)!));
}
