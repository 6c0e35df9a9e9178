/**
 * Card numbers are refused in every input, not only where one would be expected. A service that
 * must never hold card data (PCI DSS) cannot rely on clients to keep it out of free text: a card
 * number in a description, a metadata key, a URL, an id or an Idempotency-Key would otherwise be
 * stored, echoed, sent in webhooks and logged. `route()` (src/http/router.ts) runs this check on
 * every route, first: path parameters, query parameters (names and values), the headers the API
 * keeps, and the decoded body (keys and values, however deep). The refusal names the parameter and
 * never repeats the value; each family renders it in its own envelope. What counts as a card
 * number, and the false positives that come with it: src/lib/card-numbers.ts.
 */
import { containsCardNumber } from '../lib/card-numbers.js';
import { RequestError, ValidationError } from './errors.js';

/** Request headers whose values the API keeps: the idempotency key, in its records and in events. */
export const STORED_HEADERS = ['Idempotency-Key'] as const;

/** Where a card number is: the path to the value holding it, or to the object one of whose keys holds it. */
export interface CardNumberAt {
  path: PropertyKey[];
  inKey: boolean;
}

/** A place in a decoded input, as a link to its parent: no path is copied unless a card number is found there. */
interface Place {
  key: PropertyKey;
  parent: Place | null;
}

/**
 * The first card number in a decoded input (strings, arrays, plain objects; numbers are not text).
 * Walked without recursion: a body may nest as deep as its size allows.
 */
export function findCardNumber(input: unknown): CardNumberAt | null {
  const pending: [value: unknown, place: Place | null][] = [[input, null]];
  while (pending.length > 0) {
    const [value, place] = pending.pop()!;
    if (typeof value === 'string') {
      if (containsCardNumber(value)) return { path: pathOf(place), inKey: false };
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push([value[i], { key: i, parent: place }]);
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      if (entries.some(([key]) => containsCardNumber(key))) return { path: pathOf(place), inKey: true };
      for (let i = entries.length - 1; i >= 0; i--) pending.push([entries[i]![1], { key: entries[i]![0], parent: place }]);
    }
  }
  return null;
}

function pathOf(place: Place | null): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let at = place; at !== null; at = at.parent) path.push(at.key);
  return path.reverse();
}

const WHAT = 'what looks like a card number (13 to 19 digits that pass the Luhn check)';

/** The refusal of a card number found in an input: the parameter named, the value never repeated. */
export function cardNumberRefused({ path, inKey }: CardNumberAt): RequestError {
  if (path.length === 0) {
    return new RequestError(
      'parameter_invalid',
      `Raw card numbers are never accepted, in any parameter: a parameter's name holds ${WHAT}.`,
    );
  }
  const where = inKey ? 'one of its keys holds' : 'the value holds';
  return new ValidationError(
    'invalid',
    'parameter_invalid',
    path,
    `raw card numbers are never accepted, in any parameter: ${where} ${WHAT}. Pass a PaymentMethod id (pm_…) instead of card data.`,
  );
}
