/** Parameter shapes every resource of this family shares: booleans and metadata, as JSON or form values. */
import { z } from '@hono/zod-openapi';
import { MAX_PRICE } from '../../domain/debit-item.js';
import { METADATA_MAX_KEYS } from '../../domain/intent.js';

export const booleanParam = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((v) => v === true || v === 'true')
  .openapi({ type: 'boolean' });

/** JSON.parse makes "__proto__" an own key, which a plain object cannot hold: refuse it by name. */
const noProtoKey = z.unknown().superRefine((value, ctx) => {
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, '__proto__')) {
    ctx.addIssue({ code: 'custom', path: ['__proto__'], message: 'metadata keys cannot be "__proto__".' });
  }
});

export const metadata = noProtoKey
  .pipe(
    z
      .record(
        z.string().min(1, 'metadata keys must not be empty.').max(40, 'metadata keys can be at most 40 characters.'),
        z.string().max(500, 'metadata values can be at most 500 characters.'),
      )
      .refine((m) => Object.keys(m).length <= METADATA_MAX_KEYS, `metadata can have at most ${METADATA_MAX_KEYS} keys.`),
  )
  .openapi({
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 500 },
    description: 'Up to 50 keys of ≤40 characters with string values of ≤500 characters. On update, keys merge and "" removes a key.',
    example: { order_id: 'A-1001' },
  });

/** An empty string clears the field (as Stripe's form encoding does it); otherwise the value. */
export function clearable<T extends z.ZodType>(schema: T) {
  return z.union([z.literal('').transform(() => null), z.null(), schema]);
}

/**
 * An object's id in the path, documented with `example` (the id the route's example answers with).
 * Any string not of the object's id pattern names no object, and is answered as an unknown id is
 * (404 resource_missing), not as a malformed one.
 */
export function pathId(what: string, pattern: RegExp, example: string) {
  return z.object({
    id: z
      .string()
      .max(255)
      .openapi({ param: { name: 'id', in: 'path' }, description: `${what} id (${pattern.source}).`, example }),
  });
}

/**
 * A positive amount of a token's base units, at most uint128 (what the mandate contracts take), from a
 * JSON integer or a digit string (past 2^53 a JSON number is not exact, so only a digit string will do).
 */
export function tokenAmount(example: string, description: string) {
  return z
    .union([z.number(), z.string()])
    .transform((value, ctx): bigint => {
      const text = typeof value === 'number' ? (Number.isSafeInteger(value) ? value.toString() : null) : value;
      if (text === null || !/^\d{1,39}$/.test(text)) {
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(value)} is not an integer of the token's base units (past 2^53, send a digit string).`,
        });
        return z.NEVER;
      }
      const amount = BigInt(text);
      if (amount < 1n) {
        ctx.addIssue({ code: 'custom', message: 'must be at least 1.' });
        return z.NEVER;
      }
      if (amount > MAX_PRICE) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_PRICE} (uint128).`, params: { code: 'amount_too_large' } });
        return z.NEVER;
      }
      return amount;
    })
    .openapi({
      oneOf: [
        { type: 'integer', minimum: 1 },
        { type: 'string', pattern: '^[0-9]{1,39}$' },
      ],
      example,
      description,
    });
}
