/**
 * The list parameters of 002_… as DebitLlama's server reads them: `current_page` (from 0, default 0),
 * `page_size` (default 10; here at most 100), `sort_by` (default created_at) from the endpoint's own
 * list, `sort_direction` ASC or DESC (default DESC), and `filter`, a JSON object of the endpoint's
 * filter fields. DebitLlama ignores what it does not know; here an unknown sort key, an unknown
 * filter field, a filter that is not JSON or a field of the wrong type is a 400 naming it
 * (`filter.<field>`). Each filter field is translated to the read model's terms here.
 */
import { z } from '@hono/zod-openapi';
import type { AccountFilter, ItemFilter, MandateFilter } from '../../db/debitllama.js';
import { ACCOUNT_SORTS, ITEM_SORTS, MANDATE_SORTS } from '../../db/debitllama.js';
import { PAYMENT_INTENT_STATUSES, PRICINGS_V1 } from './schemas.js';

const DAY = 86_400;

const pageNumber = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, `${name} must be an integer from ${min} to ${max}.`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be an integer from ${min} to ${max}.`)
    .optional()
    .transform((n) => n ?? fallback)
    .openapi({ type: 'integer', minimum: min, maximum: max, default: fallback });

const sortBy = <K extends string>(keys: readonly K[]) =>
  z
    .string()
    .optional()
    .transform((value, ctx): K => {
      const key = value ?? 'created_at';
      if (!(keys as readonly string[]).includes(key)) {
        ctx.addIssue({ code: 'custom', message: `Column not found: ${key}. Sort by one of ${keys.join(', ')}.` });
        return z.NEVER;
      }
      return key as K;
    })
    .openapi({ type: 'string', enum: [...keys], default: 'created_at' });

const sortDirection = z
  .enum(['ASC', 'DESC'], { error: 'must be ASC or DESC.' })
  .optional()
  .transform((d) => d ?? 'DESC')
  .openapi({ default: 'DESC' });

// --- filter fields ---------------------------------------------------------------------------------

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be an address (0x and 40 hex digits)')
  .transform((a) => a.toLowerCase());

const wholeNumber = z.union([z.number(), z.string()]).transform((value, ctx): number => {
  const n = typeof value === 'number' ? value : /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a whole number' });
    return z.NEVER;
  }
  return n;
});

/** An amount of base units: a digit string (or an integer below 2^53), compared exactly. */
const amount = z.union([z.number(), z.string()]).transform((value, ctx): string => {
  const text = typeof value === 'number' ? (Number.isSafeInteger(value) && value >= 0 ? String(value) : '') : value;
  if (!/^\d{1,78}$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: "must be a digit string of the token's base units" });
    return z.NEVER;
  }
  return BigInt(text).toString();
});

/** DebitLlama's Currency_ApiV1 as a JSON string (or the object itself): the native coin by name, a token by contract. */
const currency = z.union([z.string(), z.record(z.string(), z.unknown())]).transform((value, ctx): MandateFilter['currency'] => {
  let decoded: unknown = value;
  if (typeof value === 'string') {
    try {
      decoded = JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON string of {name, native, contractAddress}' });
      return z.NEVER;
    }
  }
  const parsed = z.strictObject({ name: z.string().min(1), native: z.boolean(), contractAddress: z.string() }).safeParse(decoded);
  if (!parsed.success) {
    ctx.addIssue({ code: 'custom', message: 'must be a currency {name: string, native: boolean, contractAddress: string}' });
    return z.NEVER;
  }
  const c = parsed.data;
  if (c.native) return { nativeSymbol: c.name };
  if (!/^0x[0-9a-fA-F]{40}$/.test(c.contractAddress)) {
    ctx.addIssue({ code: 'custom', message: 'contractAddress must be an address when native is false' });
    return z.NEVER;
  }
  return { address: c.contractAddress.toLowerCase() };
});

const pricing = z.enum(PRICINGS_V1, { error: 'must be Fixed or Dynamic' }).transform((p) => (p === 'Fixed' ? 'fixed' : 'dynamic'));

/**
 * A `filter` parameter: a JSON object whose fields each have a schema and a translation. Every
 * field is optional; the answer's `filter` lists the fields applied, with their values as sent.
 */
// biome-ignore lint/suspicious/noExplicitAny: each field's schema gives its own value type, which its apply takes
function jsonFilter<T>(fields: Record<string, { schema: z.ZodType; apply: (into: T, value: any) => void }>) {
  const names = Object.keys(fields);
  return z
    .string()
    .max(4096)
    .optional()
    .transform((text, ctx): { applied: { parameter: string; value: unknown }[]; filter: T } => {
      const result = { applied: [] as { parameter: string; value: unknown }[], filter: {} as T };
      if (text === undefined || text === '') return result;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'Malformed Filter Parameter. Must be valid json.' });
        return z.NEVER;
      }
      if (json === null || typeof json !== 'object' || Array.isArray(json)) {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of filter fields.' });
        return z.NEVER;
      }
      for (const [name, value] of Object.entries(json)) {
        const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
        if (!field) {
          ctx.addIssue({ code: 'custom', path: [name], message: `is not a filter field: filter by ${names.join(', ')}.` });
          return z.NEVER;
        }
        const parsed = field.schema.safeParse(value);
        if (!parsed.success) {
          ctx.addIssue({ code: 'custom', path: [name], message: parsed.error.issues[0]?.message ?? 'is invalid' });
          return z.NEVER;
        }
        field.apply(result.filter, parsed.data);
        result.applied.push({ parameter: name, value });
      }
      return result;
    })
    .openapi({
      type: 'string',
      description: `A JSON object of filter fields, all optional: ${names.join(', ')}.`,
    });
}

export const MANDATE_FILTER_FIELDS = [
  'payee_address',
  'max_debit_amount',
  'debit_times',
  'debit_interval',
  'status_text',
  'pricing',
  'currency',
  'debit_item_id',
] as const;

const mandateFilter = jsonFilter<MandateFilter>({
  payee_address: { schema: address, apply: (f, v) => (f.payeeAddress = v) },
  max_debit_amount: { schema: amount, apply: (f, v) => (f.maxDebitAmount = v) },
  debit_times: { schema: wholeNumber, apply: (f, v) => (f.debitTimes = v) },
  debit_interval: { schema: wholeNumber, apply: (f, v) => (f.intervalSeconds = v * DAY) },
  status_text: {
    schema: z.enum(PAYMENT_INTENT_STATUSES, { error: `must be one of ${PAYMENT_INTENT_STATUSES.join(', ')}` }),
    apply: (f, v) => (f.statusText = v),
  },
  pricing: { schema: pricing, apply: (f, v) => (f.pricing = v) },
  currency: { schema: currency, apply: (f, v) => (f.currency = v) },
  debit_item_id: { schema: wholeNumber, apply: (f, v) => (f.debitItemNumber = v) },
});

export const ITEM_FILTER_FIELDS = [
  'payee_address',
  'currency',
  'max_price',
  'debit_times',
  'debit_interval',
  'button_id',
  'pricing',
  'network',
  'name',
  'deleted',
] as const;

const itemFilter = jsonFilter<ItemFilter>({
  payee_address: { schema: address, apply: (f, v) => (f.payeeAddress = v) },
  currency: { schema: currency, apply: (f, v) => (f.currency = v) },
  max_price: { schema: amount, apply: (f, v) => (f.maxPrice = v) },
  debit_times: { schema: wholeNumber, apply: (f, v) => (f.debitTimes = v) },
  debit_interval: { schema: wholeNumber, apply: (f, v) => (f.intervalSeconds = v * DAY) },
  button_id: { schema: z.string().max(100), apply: (f, v) => (f.buttonId = v) },
  pricing: { schema: pricing, apply: (f, v) => (f.pricing = v) },
  network: { schema: z.string().max(32), apply: (f, v) => (f.network = v) },
  name: { schema: z.string().max(250), apply: (f, v) => (f.name = v) },
  deleted: { schema: z.boolean({ error: 'must be true or false' }), apply: (f, v) => (f.deleted = v) },
});

const paging = {
  current_page: pageNumber('current_page', 0, 100_000, 0),
  page_size: pageNumber('page_size', 1, 100, 10),
  sort_direction: sortDirection,
};

export const MANDATE_SORT_KEYS = Object.keys(MANDATE_SORTS) as (keyof typeof MANDATE_SORTS)[];
export const ITEM_SORT_KEYS = Object.keys(ITEM_SORTS) as (keyof typeof ITEM_SORTS)[];

export const PaymentIntentsQuery = z.strictObject({ ...paging, sort_by: sortBy(MANDATE_SORT_KEYS), filter: mandateFilter });
export const ItemsQuery = z.strictObject({ ...paging, sort_by: sortBy(ITEM_SORT_KEYS), filter: itemFilter });

export const ACCOUNT_SORT_KEYS = Object.keys(ACCOUNT_SORTS) as (keyof typeof ACCOUNT_SORTS)[];
export const ACCOUNT_FILTER_FIELDS = ['network_id', 'account_type', 'creator_address', 'currency'] as const;

const accountFilter = jsonFilter<AccountFilter>({
  network_id: { schema: z.string().max(32), apply: (f, v) => (f.network = v) },
  account_type: {
    schema: z.enum(['VIRTUALACCOUNT', 'CONNECTEDWALLET'], { error: 'must be VIRTUALACCOUNT or CONNECTEDWALLET' }),
    apply: (f, v) => (f.accountType = v === 'VIRTUALACCOUNT' ? 'virtual_account' : 'connected_wallet'),
  },
  creator_address: { schema: address, apply: (f, v) => (f.creatorAddress = v) },
  currency: { schema: currency, apply: (f, v) => (f.currency = v) },
});

export const AccountsQuery = z.strictObject({ ...paging, sort_by: sortBy(ACCOUNT_SORT_KEYS), filter: accountFilter });

export const SinglePaymentIntentQuery = z.strictObject({
  role: z
    .enum(['merchant', 'customer'], { error: 'must be merchant or customer.' })
    .optional()
    .openapi({ description: 'Whose view: an access token here is a merchant`s, so merchant (the default); customer is refused.' }),
});
