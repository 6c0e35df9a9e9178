/**
 * The debit item wire (issue 13): a merchant's plan for recurring on-chain debits, on Stripe's
 * conventions — snake_case, `object: 'debit_item'`, Unix seconds, amounts in the token's base units
 * as JSON integers or, past 2^53, digit strings. The rules that span parameters (exactly one
 * interval form) are checked here, each naming its parameter; those that need the key's mode
 * (test-only seconds, loopback redirects, the network's mode) in the handlers.
 */
import { z } from '@hono/zod-openapi';
import { isAddress } from 'viem';
import {
  DEBIT_INTERVAL_DAYS_MAX,
  DEBIT_INTERVAL_DAYS_MIN,
  DEBIT_INTERVAL_SECONDS_MAX,
  DEBIT_INTERVAL_SECONDS_MIN,
  DEBIT_TIMES_MAX,
  DEBIT_TIMES_MIN,
  PRICINGS,
  SIGNED_TERMS,
} from '../../../domain/debit-item.js';
import { DEBIT_ITEM_ID_PATTERN } from '../../../lib/ids.js';
import { createdParams, cursorParams, limit, oneCursor } from '../list.js';
import { booleanParam, metadata, pathId, tokenAmount } from '../params.js';

const wholeNumber = (min: number, max: number) =>
  z
    .union([z.number(), z.string()])
    .transform((value, ctx): number => {
      const n = typeof value === 'number' ? value : /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}.` });
        return z.NEVER;
      }
      return n;
    })
    .openapi({ type: 'integer', minimum: min, maximum: max });

const maxPrice = tokenAmount(
  '10000000',
  "The most one debit may take, in the token's base units (a JSON integer, or a digit string past 2^53); at most 2^128−1.",
);

/** An EVM address: EIP-55 checksummed (or all lowercase), not the zero address; answered checksummed. */
const payeeAddress = z
  .string()
  .max(42)
  .superRefine((value, ctx) => {
    if (!isAddress(value, { strict: true })) {
      ctx.addIssue({ code: 'custom', message: 'must be an EVM address (0x and 40 hex digits) with a valid EIP-55 checksum.' });
    } else if (/^0x0{40}$/.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must not be the zero address.' });
    }
  })
  .openapi({ example: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', description: 'The address the debits are paid to.' });

const name = z.string().min(1, 'name must not be empty.').max(250).openapi({ example: 'Pro plan, monthly' });
const redirectUrl = z.string().max(2048).openapi({
  example: 'https://shop.example/subscribed',
  description: 'Where the subscribe page sends the payer once the mandate is signed: https (in test mode also http to localhost).',
});

export const CreateDebitItemParams = z
  .strictObject({
    name,
    network: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a network key such as base or polygon.')
      .openapi({ example: 'base' }),
    token: z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.string().regex(/^[a-z]{2,10}$/, 'must be a token code such as usdc or eth.'))
      .openapi({ type: 'string', example: 'usdc' }),
    payee_address: payeeAddress,
    max_price: maxPrice,
    debit_times: wholeNumber(DEBIT_TIMES_MIN, DEBIT_TIMES_MAX).openapi({
      example: 12,
      description: 'How many debits the payer signs for.',
    }),
    debit_interval: wholeNumber(DEBIT_INTERVAL_DAYS_MIN, DEBIT_INTERVAL_DAYS_MAX)
      .optional()
      .openapi({ example: 30, description: 'Days between debits. Exactly one of debit_interval and debit_interval_seconds.' }),
    debit_interval_seconds: wholeNumber(DEBIT_INTERVAL_SECONDS_MIN, DEBIT_INTERVAL_SECONDS_MAX)
      .optional()
      .openapi({ description: 'Test mode only: seconds between debits, so a schedule can be tested.' }),
    pricing: z.enum(PRICINGS).openapi({
      description: 'fixed: every debit is max_price; dynamic: each period the merchant asks for an amount up to max_price.',
    }),
    redirect_url: redirectUrl,
    metadata: metadata.optional(),
  })
  .superRefine((p, ctx) => {
    const forms = [p.debit_interval, p.debit_interval_seconds].filter((v) => v !== undefined).length;
    if (forms !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['debit_interval'],
        message:
          forms === 0 ? 'debit_interval (days) is required.' : 'Pass exactly one of debit_interval and debit_interval_seconds, not both.',
      });
    }
  })
  .openapi('CreateDebitItemParams');

/** The signed terms: declared so that a change of one is refused by name, with why. */
const signedTerms = Object.fromEntries(
  SIGNED_TERMS.map((term) => [term, z.unknown().optional().openapi({ description: 'Refused: payers sign over it; it never changes.' })]),
) as Record<(typeof SIGNED_TERMS)[number], z.ZodOptional<z.ZodUnknown>>;

export const UpdateDebitItemParams = z
  .strictObject({ name: name.optional(), redirect_url: redirectUrl.optional(), metadata: metadata.optional(), ...signedTerms })
  .superRefine((p, ctx) => {
    for (const term of SIGNED_TERMS) {
      if (p[term] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [term],
          message: `${term} cannot be changed: payers sign their mandates over it. Make a new debit item (and deactivate this one) instead.`,
        });
      }
    }
  })
  .openapi('UpdateDebitItemParams');

export const EmptyParams = z.strictObject({}).openapi('DebitItemActionParams');

/** A debit item's id in the path; any string not of DEBIT_ITEM_ID_PATTERN names no item (404). */
export function debitItemIdParam(example: string) {
  return pathId("The debit item's", DEBIT_ITEM_ID_PATTERN, example);
}

export const ListDebitItemsQuery = z
  .strictObject({
    limit,
    ...cursorParams,
    active: booleanParam.optional().openapi({ description: 'Only active (true) or deactivated (false) items.' }),
    ...createdParams,
  })
  .refine(...oneCursor);

const wireAmount = z.union([z.number().int(), z.string().regex(/^\d+$/)]);

export const DebitItem = z
  .object({
    id: z.string(),
    object: z.literal('debit_item'),
    name: z.string(),
    network: z.string(),
    chain_id: z.number().int(),
    token: z.object({
      symbol: z.string(),
      decimals: z.number().int(),
      address: z.string().nullable().openapi({ description: 'The ERC-20 contract; null for the native coin.' }),
    }),
    payee_address: z.string(),
    max_price: wireAmount,
    debit_times: z.number().int(),
    debit_interval: z.number().int().nullable().openapi({ description: 'Days; null for a test-mode item in seconds.' }),
    debit_interval_seconds: z.number().int().openapi({ description: 'The interval in seconds (the mandate signs this).' }),
    pricing: z.enum(PRICINGS),
    redirect_url: z.string(),
    button_id: z.string(),
    checkout_url: z.string().openapi({ description: 'The subscribe page: put it behind the merchant`s button.' }),
    active: z.boolean(),
    deleted: z.boolean().openapi({ description: 'Not active (the spelling of 002_`s wire).' }),
    metadata: z.record(z.string(), z.string()),
    created: z.number().int(),
    livemode: z.boolean(),
  })
  .openapi('DebitItem');

export const DebitItemList = z
  .object({ object: z.literal('list'), url: z.string(), has_more: z.boolean(), data: z.array(DebitItem) })
  .openapi('DebitItemList');
