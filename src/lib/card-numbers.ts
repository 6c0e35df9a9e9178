/**
 * Card numbers (PANs) in text: found, so that a request carrying one is refused, and removed, so
 * that a log line never carries one.
 *
 * What counts as a card number: 13 to 19 digits that pass the Luhn check, written in one piece or
 * in groups as cards print them — groups of four to six digits and a last one of up to six,
 * separated by single spaces or by single dashes, one kind per number (`4242 4242 4242 4242`,
 * `3782-822463-10005`, `6205 5000 0000 0000 004`) — and standing on their own in the text: not
 * glued to a letter on either side. Anything else may surround them (`pm_4242424242424242`,
 * `card: 4242…`, a URL path, an e-mail's local part, a metadata key).
 *
 * The trade-off, which the tests pin down:
 * - One number in ten passes the Luhn check, so about one long order number (or other identifier)
 *   of 13 to 19 digits in eleven is refused as a card number. Numbers longer than 19 digits, or
 *   glued to a letter (`ORD1234567890123456`), never are.
 * - Issuer numbers never begin with 0, and those beginning with 1 (UATP, the airlines' cards) have 15
 *   digits: zero-padded numbers and millisecond, microsecond and nanosecond Unix times (13, 16 and 19
 *   digits beginning with 1) are not taken for card numbers.
 * - A digit run glued to letters is part of a token (a hex hash or signature, a UUID, a base58 key,
 *   an id): not a card number. A card number written that way (`visa4242424242424242`) is missed.
 * - Groups are joined only as cards group them: runs of three or fewer digits (phone numbers,
 *   dates) or of more than six (a UUID's `3456-789012345678`) are not joined to what follows, and
 *   mixed separators never are. Four-digit codes separated by single spaces (`1234 5678 9012 3456`)
 *   look exactly like a card number, and one time in ten are taken for one.
 * - Only ASCII digits, spaces and dashes: full-width digits or other separators are not recognised,
 *   nor is a number split by doubled separators or a line break.
 */

const MIN_DIGITS = 13;
const MAX_DIGITS = 19;
/** The digits of a group followed by another: four (most cards) to six (Amex's middle group). */
const INNER_GROUP = { min: 4, max: 6 };
/** The digits of a number's last group when it has several (4-4-4-4-3, 4-6-5). */
const LAST_GROUP_MAX = 6;
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
    for (let last = first; last < groups.length; last++) {
      const [groupStart, groupEnd] = groups[last]!;
      if (last > first) {
        const [previousStart, previousEnd] = groups[last - 1]!;
        const gap = text.slice(previousEnd, groupStart);
        if (!SEPARATORS.has(gap) || (separator !== undefined && gap !== separator)) break;
        const previousLength = previousEnd - previousStart;
        if (previousLength < INNER_GROUP.min || previousLength > INNER_GROUP.max || groupEnd - groupStart > LAST_GROUP_MAX) break;
        separator = gap;
      }
      digits += text.slice(groupStart, groupEnd);
      if (digits.length > MAX_DIGITS) break;
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

/**
 * A request's path as an answer may quote it: each segment as decoded (a card number percent-encoded
 * or glued to an escape, `%2F4242…`, is still one): a segment holding a card number is shown decoded
 * with the number removed; any other as it came (with a number the decoding hid removed too).
 */
export function redactPath(path: string): string {
  return path
    .split('/')
    .map((segment) => {
      let decoded = segment;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        // A malformed escape: looked at as sent.
      }
      return containsCardNumber(decoded) ? redactCardNumbers(decoded) : redactCardNumbers(segment);
    })
    .join('/');
}
