/**
 * The Checkout Session wire: Stripe's request parameters and objects (checkout.session, item),
 * snake_case. Amounts are integers of the currency's smallest unit, as JSON integers or digit
 * strings (form encoding), never floats. The rules that span parameters (one currency, a custom
 * amount's bounds) are checked here too, each naming its parameter.
 */
import { z } from '@hono/zod-openapi';
import { CURRENCIES, isCurrency, MAX_AMOUNT } from '../../../domain/currency.js';
import { EXPIRES_IN_MAX_SECONDS, EXPIRES_IN_MIN_SECONDS } from '../../../domain/crypto.js';
import { CAPTURE_METHODS } from '../../../domain/status.js';
import { PAYMENT_METHOD_TYPES } from '../../../domain/test-payment-methods.js';
import { SESSION_ID_PATTERN } from '../../../lib/ids.js';
import { createdParams, cursorParams, limit, oneCursor } from '../list.js';
import { booleanParam, metadata, pathId } from '../params.js';

/** An integer ≥ 0 (or ≥ 1) of minor units, from a JSON integer or a digit string, as a bigint; at most eight digits. */
function units(minimum: 0n | 1n) {
  return z
    .union([z.number(), z.string()])
    .transform((value, ctx): bigint => {
      const text = typeof value === 'number' ? (Number.isSafeInteger(value) ? value.toString() : null) : value;
      if (text === null || !/^-?\d{1,20}$/.test(text)) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not an integer of the currency's smallest unit.` });
        return z.NEVER;
      }
      const amount = BigInt(text);
      if (amount < minimum) {
        ctx.addIssue({ code: 'custom', message: `must be at least ${minimum}.` });
        return z.NEVER;
      }
      if (amount > MAX_AMOUNT) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_AMOUNT}.`, params: { code: 'amount_too_large' } });
        return z.NEVER;
      }
      return amount;
    })
    .openapi({ type: 'integer', minimum: Number(minimum), maximum: Number(MAX_AMOUNT), example: 2000 });
}

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

const currency = z
  .string()
  .transform((value, ctx): string => {
    const code = value.toLowerCase();
    if (!isCurrency(code)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a supported ISO 4217 currency code.` });
      return z.NEVER;
    }
    return code;
  })
  .openapi({ type: 'string', example: 'usd', description: `Three-letter ISO code, lowercase (${CURRENCIES.length} supported).` });

/** success_url and cancel_url: absolute http(s) URLs, as a PaymentIntent's return_url. */
const pageUrl = (param: string) => z.url({ protocol: /^https?$/, error: `${param} must be an absolute http(s) URL.` }).max(5000);

const CustomUnitAmount = z.strictObject({
  enabled: booleanParam,
  minimum: units(1n).optional(),
  maximum: units(1n).optional(),
  preset: units(1n).optional(),
});

const LineItemParams = z.strictObject({
  price_data: z.strictObject({
    currency,
    unit_amount: units(0n).optional().openapi({ description: 'Required unless custom_unit_amount is enabled.' }),
    product_data: z.strictObject({
      name: z.string().min(1).max(250),
      description: z.string().max(1000).optional(),
    }),
    custom_unit_amount: CustomUnitAmount.optional().openapi({
      description: 'The payer chooses the amount on the page, within minimum and maximum (preset is the amount shown first).',
    }),
  }),
  quantity: wholeNumber(1, 999_999),
});

const CryptoOptionsParams = z.strictObject({
  network: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a network key such as base or polygon.')
    .openapi({ example: 'base' }),
  token: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.string().regex(/^[a-z]{2,10}$/, 'must be a token code such as usdc or eth.'))
    .openapi({ type: 'string', example: 'usdc' }),
  expires_in: wholeNumber(EXPIRES_IN_MIN_SECONDS, EXPIRES_IN_MAX_SECONDS)
    .optional()
    .openapi({ description: 'Test mode only: seconds the payer has after confirmation (default 900).' }),
});

export const CreateCheckoutSessionParams = z
  .strictObject({
    mode: z.enum(['payment'], { error: 'mode must be payment (subscription and setup are not supported).' }),
    line_items: z.array(LineItemParams).min(1).max(100),
    success_url: pageUrl('success_url').openapi({
      description: 'Where the payer goes once paid; {CHECKOUT_SESSION_ID} in it is replaced by the session id.',
      example: 'https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}',
    }),
    cancel_url: pageUrl('cancel_url').optional(),
    payment_method_types: z
      .array(z.enum(PAYMENT_METHOD_TYPES))
      .min(1)
      .max(PAYMENT_METHOD_TYPES.length)
      .refine((types) => new Set(types).size === types.length, 'payment_method_types must not repeat a type.')
      .optional(),
    payment_method_options: z
      .strictObject({
        crypto: CryptoOptionsParams.optional().openapi({
          description: 'The network and token; without them a payer of a session that allows crypto picks them on the page.',
        }),
      })
      .optional(),
    payment_intent_data: z
      .strictObject({
        description: z.string().max(1000).optional(),
        metadata: metadata.optional(),
        capture_method: z.enum(CAPTURE_METHODS).optional(),
      })
      .optional(),
    customer_email: z.email().max(800).optional(),
    client_reference_id: z.string().min(1).max(200).optional(),
    metadata: metadata.optional(),
    expires_at: wholeNumber(0, 99_999_999_999)
      .optional()
      .openapi({ description: 'Unix seconds, 30 minutes to 24 hours from now (default: 24 hours).' }),
  })
  .superRefine((p, ctx) => {
    const items = p.line_items;
    if (items.length === 0) return;
    const first = items[0]!.price_data.currency;
    for (const [i, item] of items.entries()) {
      const at = ['line_items', i, 'price_data'];
      const price = item.price_data;
      if (price.currency !== first) {
        ctx.addIssue({ code: 'custom', path: [...at, 'currency'], message: 'All line items must share one currency.' });
        return;
      }
      const custom = price.custom_unit_amount;
      if (custom?.enabled) {
        if (price.unit_amount !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [...at, 'unit_amount'],
            message: 'unit_amount cannot be set together with custom_unit_amount.',
          });
          return;
        }
        if (items.length > 1) {
          ctx.addIssue({
            code: 'custom',
            path: ['line_items'],
            message: 'A line item with custom_unit_amount must be the only line item.',
          });
          return;
        }
        if (item.quantity !== 1) {
          ctx.addIssue({
            code: 'custom',
            path: ['line_items', i, 'quantity'],
            message: 'A line item with custom_unit_amount must have quantity 1.',
          });
          return;
        }
        const { minimum, maximum, preset } = custom;
        if (minimum !== undefined && maximum !== undefined && maximum < minimum) {
          ctx.addIssue({
            code: 'custom',
            path: [...at, 'custom_unit_amount', 'maximum'],
            message: 'maximum must be greater than or equal to minimum.',
          });
          return;
        }
        if (preset !== undefined && ((minimum !== undefined && preset < minimum) || (maximum !== undefined && preset > maximum))) {
          ctx.addIssue({
            code: 'custom',
            path: [...at, 'custom_unit_amount', 'preset'],
            message: 'preset must be between minimum and maximum.',
          });
          return;
        }
      } else if (custom && !custom.enabled && (custom.minimum ?? custom.maximum ?? custom.preset) !== undefined) {
        ctx.addIssue({ code: 'custom', path: [...at, 'custom_unit_amount', 'enabled'], message: 'custom_unit_amount needs enabled=true.' });
        return;
      } else if (price.unit_amount === undefined) {
        ctx.addIssue({ code: 'custom', path: [...at, 'unit_amount'], message: 'required' });
        return;
      }
    }
    const fixed = items.reduce((sum, item) => sum + (item.price_data.unit_amount ?? 0n) * BigInt(item.quantity), 0n);
    const custom = items.some((item) => item.price_data.custom_unit_amount?.enabled);
    if (!custom && fixed > MAX_AMOUNT) {
      ctx.addIssue({
        code: 'custom',
        path: ['line_items'],
        message: `The line items' total must be at most ${MAX_AMOUNT}.`,
        params: { code: 'amount_too_large' },
      });
    } else if (!custom && fixed === 0n) {
      ctx.addIssue({ code: 'custom', path: ['line_items'], message: "The line items' total must be greater than 0." });
    }
  })
  .openapi('CreateCheckoutSessionParams');

export const ExpireCheckoutSessionParams = z.strictObject({}).openapi('ExpireCheckoutSessionParams');

/**
 * A session's id in the path. Ids have the form of SESSION_ID_PATTERN; any other string names no
 * session, and is answered as an unknown id is (404 resource_missing).
 */
export function sessionIdParam(example: string) {
  return pathId("The Checkout Session's", SESSION_ID_PATTERN, example);
}

export const ListCheckoutSessionsQuery = z
  .strictObject({
    limit,
    ...cursorParams,
    payment_intent: z.string().max(100).optional().openapi({ description: 'Only the session that made this PaymentIntent.' }),
    ...createdParams,
  })
  .refine(...oneCursor);

export const LineItemsQuery = z.strictObject({ limit, ...cursorParams }).refine(...oneCursor);

const wireAmount = z.union([z.number().int(), z.string().regex(/^\d+$/)]);

export const CheckoutSession = z
  .object({
    id: z.string(),
    object: z.literal('checkout.session'),
    url: z.string().nullable().openapi({ description: 'The hosted page; null once the session is complete or expired.' }),
    status: z.enum(['open', 'complete', 'expired']),
    payment_status: z.enum(['unpaid', 'paid', 'no_payment_required']),
    mode: z.literal('payment'),
    amount_total: wireAmount,
    amount_subtotal: wireAmount,
    currency: z.string(),
    payment_intent: z.string(),
    payment_method_types: z.array(z.string()),
    success_url: z.string(),
    cancel_url: z.string().nullable(),
    customer_email: z.string().nullable(),
    client_reference_id: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    expires_at: z.number().int(),
    created: z.number().int(),
    livemode: z.boolean(),
    ui_mode: z.literal('hosted'),
    customer: z.null(),
    customer_details: z.object({ email: z.string().nullable() }).nullable(),
    client_secret: z.null(),
    invoice: z.null(),
    payment_link: z.null(),
    setup_intent: z.null(),
    subscription: z.null(),
    locale: z.null(),
    submit_type: z.null(),
    after_expiration: z.null(),
    allow_promotion_codes: z.null(),
    billing_address_collection: z.null(),
    shipping_address_collection: z.null(),
    recovered_from: z.null(),
    total_details: z.object({ amount_discount: z.number().int(), amount_shipping: z.number().int(), amount_tax: z.number().int() }),
  })
  .openapi('CheckoutSession');

export const CheckoutSessionList = z
  .object({ object: z.literal('list'), url: z.string(), has_more: z.boolean(), data: z.array(CheckoutSession) })
  .openapi('CheckoutSessionList');

export const LineItem = z
  .object({
    id: z.string(),
    object: z.literal('item'),
    description: z.string().openapi({ description: "The product's name." }),
    quantity: z.number().int(),
    currency: z.string(),
    amount_subtotal: wireAmount,
    amount_total: wireAmount,
    amount_discount: z.number().int(),
    amount_tax: z.number().int(),
    price: z.object({
      id: z.string(),
      object: z.literal('price'),
      currency: z.string(),
      unit_amount: wireAmount.nullable(),
      custom_unit_amount: z
        .object({ minimum: wireAmount.nullable(), maximum: wireAmount.nullable(), preset: wireAmount.nullable() })
        .nullable(),
      product_data: z.object({ name: z.string(), description: z.string().nullable() }),
      type: z.literal('one_time'),
      livemode: z.boolean(),
    }),
  })
  .openapi('CheckoutSessionLineItem');

export const LineItemList = z
  .object({ object: z.literal('list'), url: z.string(), has_more: z.boolean(), data: z.array(LineItem) })
  .openapi('CheckoutSessionLineItemList');
