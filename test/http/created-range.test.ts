/** The created filters of every list: whole seconds on the wire, milliseconds in the rows. */
import { describe, expect, it } from 'vitest';
import { createdRange } from '../../src/api/stripe/list.js';

describe('createdRange', () => {
  it.each([
    // An object created at 100.999 s shows created=100: it matches created=100, lte=100 and gte=100, not gt=100.
    [{ created: 100 }, { gte: 100_000, lt: 101_000 }],
    [{ 'created[gt]': 100 }, { gte: 101_000, lt: undefined }],
    [{ 'created[gte]': 100 }, { gte: 100_000, lt: undefined }],
    [{ 'created[lt]': 100 }, { gte: undefined, lt: 100_000 }],
    [{ 'created[lte]': 100 }, { gte: undefined, lt: 101_000 }],
    [
      { 'created[gt]': 100, 'created[lt]': 200 },
      { gte: 101_000, lt: 200_000 },
    ],
    // Several lower bounds: the tightest wins.
    [
      { 'created[gte]': 150, 'created[gt]': 100 },
      { gte: 150_000, lt: undefined },
    ],
    [{}, { gte: undefined, lt: undefined }],
  ])('%o → %o', (query, expected) => {
    expect(createdRange(query)).toEqual(expected);
  });
});
