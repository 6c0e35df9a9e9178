/** Query parameters every list shares: limit, a cursor, and created filters (Unix seconds). */
import { z } from '@hono/zod-openapi';
import type { CreatedRange } from '../../db/keyset.js';

export const limit = z
  .string()
  .regex(/^\d+$/, 'limit must be an integer between 1 and 100.')
  .transform(Number)
  .refine((n) => n >= 1 && n <= 100, 'limit must be an integer between 1 and 100.')
  .optional()
  .openapi({ type: 'integer', minimum: 1, maximum: 100, default: 10 });

export const cursorParams = {
  starting_after: z.string().max(100).optional().openapi({ description: 'An object id: the page after it (older).' }),
  ending_before: z.string().max(100).optional().openapi({ description: 'An object id: the page before it (newer).' }),
};

const unixSeconds = z
  .string()
  .regex(/^\d{1,12}$/, 'expected a Unix timestamp in seconds.')
  .transform(Number)
  .optional();

export const createdParams = {
  created: unixSeconds,
  'created[gt]': unixSeconds,
  'created[gte]': unixSeconds,
  'created[lt]': unixSeconds,
  'created[lte]': unixSeconds,
};

export const oneCursor: [(q: { starting_after?: string; ending_before?: string }) => boolean, { message: string; path: PropertyKey[] }] = [
  (q) => !(q.starting_after && q.ending_before),
  { message: 'pass at most one of starting_after and ending_before.', path: ['ending_before'] },
];

/** A page of a list that has no other filters. */
export const PageQuery = z.strictObject({ limit, ...cursorParams }).refine(...oneCursor);

/**
 * The filters in milliseconds. An object's `created` is its creation time rounded down to the
 * second, so `created[gt]=T` means created_at ≥ (T+1) s, `created[lte]=T` means < (T+1) s, and
 * `created=T` is the whole second T.
 */
export function createdRange(q: { [K in keyof typeof createdParams]?: number }): CreatedRange {
  const ms = (s: number | undefined) => (s === undefined ? undefined : s * 1000);
  const nextSecond = (s: number | undefined) => (s === undefined ? undefined : (s + 1) * 1000);
  return {
    gte: max(nextSecond(q['created[gt]']), ms(q['created[gte]']), ms(q.created)),
    lt: min(ms(q['created[lt]']), nextSecond(q['created[lte]']), nextSecond(q.created)),
  };
}

function max(...values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length ? Math.max(...defined) : undefined;
}

function min(...values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length ? Math.min(...defined) : undefined;
}
