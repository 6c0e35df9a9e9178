/** The card-number detector (src/lib/card-numbers.ts): what it finds, what it lets pass, and the documented trade-off. */
import { describe, expect, it } from 'vitest';
import { containsCardNumber, isCardNumber, luhnValid, redactCardNumbers, redactPath } from '../../src/lib/card-numbers.js';

/** Test numbers of the networks, 13 to 19 digits. */
const CARD_NUMBERS: [network: string, number: string][] = [
  ['Visa', '4242424242424242'],
  ['Visa, 13 digits', '4222222222222'],
  ['Mastercard', '5555555555554444'],
  ['Mastercard 2-series', '2223003122003222'],
  ['American Express', '378282246310005'],
  ['Discover', '6011111111111117'],
  ['Diners, 14 digits', '36227206271667'],
  ['JCB', '3566002020360505'],
  ['UnionPay, 19 digits', '6205500000000000004'],
  ['UATP, 15 digits beginning with 1', '135410014004955'],
];

describe('luhnValid', () => {
  it.each([
    ['4242424242424242', true],
    ['4242424242424241', false],
    ['79927398713', true],
    ['79927398710', false],
    ['0', true],
  ])('%s → %s', (digits, valid) => {
    expect(luhnValid(digits)).toBe(valid);
  });
});

describe('isCardNumber', () => {
  it.each(CARD_NUMBERS)('%s %s', (_network, number) => {
    expect(isCardNumber(number)).toBe(true);
  });

  it.each([
    ['a Luhn-invalid 16-digit number', '4242424242424241'],
    ['12 digits', '424242424242'],
    ['20 digits, Luhn-valid', '42424242424242424242'],
    ['zeros (Luhn-valid, but no issuer number begins with 0)', '0000000000000000'],
    ['a millisecond Unix time (13 digits beginning with 1, Luhn-valid)', '1712345678907'],
    ['a microsecond Unix time (16 digits beginning with 1, Luhn-valid)', '1712345678901238'],
    ['16 digits beginning with 1, Luhn-valid', '1234567890123452'],
    ['not digits', '4242-4242-4242-4242'],
  ])('not %s', (_name, digits) => {
    expect(isCardNumber(digits)).toBe(false);
  });
});

describe('containsCardNumber', () => {
  it.each(
    CARD_NUMBERS.flatMap(([network, number]) => [
      [`${network}, plain`, number],
      [`${network}, in groups of four with spaces`, number.replace(/(\d{4})(?=\d)/g, '$1 ')],
      [`${network}, in groups of four with dashes`, number.replace(/(\d{4})(?=\d)/g, '$1-')],
    ]),
  )('finds %s', (_name, text) => {
    expect(containsCardNumber(text)).toBe(true);
  });

  it.each([
    ['Amex printed 4-6-5', '3782 822463 10005'],
    ['19 digits printed 4-4-4-4-3', '6205 5000 0000 0000 004'],
    ['Diners printed 4-6-4', '3622-720627-1667'],
    ['in a sentence', 'Please charge my card 4242 4242 4242 4242, thanks!'],
    ['after other digits and a space', 'order 12345 4242424242424242'],
    ['as a PaymentMethod id', 'pm_4242424242424242'],
    ['as a Customer id', 'cus_4242424242424242'],
    ['in an e-mail address', '4242424242424242@example.com'],
    ['in a URL path', 'https://shop.example/hooks/4242-4242-4242-4242'],
    ['in a URL query', 'https://shop.example/return?card=4242424242424242&x=1'],
    ['after a prefix and a dash', 'ORD-4242424242424242'],
    ['in brackets', '[4242424242424242]'],
    ['on its own line', 'line one\n4242424242424242\nline three'],
    ['after a non-Latin word and a space', 'карта 4242424242424242'],
    ['a UATP number', 'UATP 135410014004955'],
    ['the last of several', 'a 1 b 22 c 4242424242424242'],
  ])('finds a card number %s', (_name, text) => {
    expect(containsCardNumber(text)).toBe(true);
  });

  it.each([
    ['a 16-digit order number that fails the Luhn check', 'Order 4242424242424241'],
    ['short digit runs', 'Invoice 2024-117, 3 mugs at 12.50, table 42'],
    ['a phone number', '+1 (415) 555-0100'],
    ['an international phone number', '+44 20 7946 0958'],
    ['two phone numbers with mixed separators (14 Luhn-valid digits across them)', '415-555-0109 415-555-0199'],
    ['two phone numbers with spaces (14 Luhn-valid digits across them)', '415 555 0109 415 555 0199'],
    ['a date range (Luhn-valid across it)', '2024-01-17 2024-02-20'],
    ['dates with spaces (Luhn-valid across them)', '2024 01 17 2024 02 20'],
    ['a 13-digit Visa number in the obsolete 4-3-3-3 grouping (a documented miss)', '4222 222 222 222'],
    ['a millisecond timestamp', 'order-1712345678907'],
    ['a number of 20 digits', '42424242424242424242'],
    ['a card number glued to letters', 'ORD4242424242424242'],
    ['digits glued to a trailing letter', '4242424242424242x'],
    ['a hex string with a Luhn-valid run of digits', '0xab42424242424242cd'],
    ['a UUID whose last two groups are Luhn-valid together', 'a1b2c3d4-5f6e-4a1b-3456-789012345675'],
    ['a 65-byte signature', `0x${'1234567890abcdef'.repeat(8)}12`],
    ['an id', 'pi_01J9Z8Q4K7ABCDEFGHJKMNPQRS'],
    ['separators doubled', '4242  4242  4242  4242'],
    ['an empty string', ''],
  ])('lets pass %s', (_name, text) => {
    expect(containsCardNumber(text)).toBe(false);
  });

  it('finds four-digit codes separated by single spaces when they add up to a Luhn-valid number (the documented false positive)', () => {
    expect(containsCardNumber('codes 4321 5678 9012 3450')).toBe(true);
  });
});

describe('redactCardNumbers', () => {
  it.each([
    ['card 4242424242424242 and 5555-5555-5555-4444.', 'card [card number removed] and [card number removed].'],
    ['pm_4242424242424242', 'pm_[card number removed]'],
    ['4242 4242 4242 4242', '[card number removed]'],
    ['order 12345 4242424242424242', 'order 12345 [card number removed]'],
    ['no card here: 4242424242424241', 'no card here: 4242424242424241'],
  ])('%j → %j', (text, redacted) => {
    expect(redactCardNumbers(text)).toBe(redacted);
  });

  it('keeps no digit of overlapping numbers', () => {
    const text = '4242 4242 4242 4242 4242 4242 4242 4242';
    const redacted = redactCardNumbers(text);
    expect(containsCardNumber(redacted)).toBe(false);
    expect(redacted).not.toMatch(/4242/);
  });
});

describe('redactPath', () => {
  it.each([
    ['/api/v1/items/btn_abc', '/api/v1/items/btn_abc'],
    ['/api/v1/items/4242424242424242', '/api/v1/items/[card number removed]'],
    // Percent-encoded, or glued to an escape that decodes to a separator: still a card number.
    [
      '/api/v1/items/https%3A%2F%2Fshop.example%2Freturn%2F4000000000006',
      '/api/v1/items/https://shop.example/return/[card number removed]',
    ],
    ['/x/4242%204242%204242%204242', '/x/[card number removed]'],
    // Hidden by what it decodes to (a letter glued on), or after a malformed escape: removed as sent.
    ['/x/4242424242424242%41', '/x/[card number removed]%41'],
    ['/x/4242424242424242%ZZ', '/x/[card number removed]%ZZ'],
    ['/x/id%20with%20space', '/x/id%20with%20space'],
  ])('%j → %j', (path, shown) => {
    expect(redactPath(path)).toBe(shown);
  });
});
