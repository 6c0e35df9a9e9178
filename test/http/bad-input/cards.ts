/** Card numbers as a careless client sends them: Luhn-valid PANs of the major schemes, in the forms people write them. */
import fc from 'fast-check';

/** Issuer prefixes and the lengths their PANs have (Visa, Mastercard, Amex, Discover, JCB, UnionPay, Diners). */
const SCHEMES: [prefix: string, lengths: number[]][] = [
  ['4', [13, 16, 19]],
  ['51', [16]],
  ['55', [16]],
  ['2221', [16]],
  ['34', [15]],
  ['37', [15]],
  ['6011', [16]],
  ['35', [16]],
  ['62', [16, 19]],
  ['36', [14]],
];

/** The digit that makes `body` + it pass the Luhn check. */
export function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export function isLuhnValid(digits: string): boolean {
  return digits.length > 1 && luhnCheckDigit(digits.slice(0, -1)) === digits.at(-1);
}

/** A Luhn-valid PAN of 13 to 19 digits. */
export const pan: fc.Arbitrary<string> = fc.constantFrom(...SCHEMES).chain(([prefix, lengths]) =>
  fc
    .constantFrom(...lengths)
    .chain((length) =>
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length - prefix.length - 1, maxLength: length - prefix.length - 1 }),
    )
    .map((digits) => {
      const body = prefix + digits.join('');
      return body + luhnCheckDigit(body);
    }),
);

/** How a PAN is written into a free-text field: as typed, grouped, inside a sentence, an address, an id. */
const FORMS: [name: string, write: (digits: string) => string][] = [
  ['plain', (d) => d],
  ['spaced', (d) => d.replace(/(\d{4})(?=\d)/g, '$1 ')],
  ['dashed', (d) => d.replace(/(\d{4})(?=\d)/g, '$1-')],
  ['in a sentence', (d) => `Card ${d.replace(/(\d{4})(?=\d)/g, '$1 ')} exp 12/30`],
  ['in an email address', (d) => `${d}@example.com`],
  ['in a URL', (d) => `https://shop.example/return/${d}`],
  ['as a customer id', (d) => `cus_${d}`],
];

export interface WrittenPan {
  /** The PAN's digits. */
  digits: string;
  form: string;
  text: string;
}

export const writtenPan: fc.Arbitrary<WrittenPan> = fc
  .tuple(pan, fc.constantFrom(...FORMS))
  .map(([digits, [form, write]]) => ({ digits, form, text: write(digits) }));
