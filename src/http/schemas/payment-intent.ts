/**
 * The payment-intent wire: request parameters and the response object, snake_case as Stripe's API.
 * Parameters arrive from JSON or from form encoding (where every value is a string), so integers
 * and booleans accept both spellings and are checked exactly — no floats anywhere.
 */
import { z } from '@hono/zod-openapi';
import { CURRENCIES, isCurrency, MAX_AMOUNT, type Currency } from '../../domain/currency.js';
import {
  CANCELLATION_REASONS,
  CAPTURE_METHODS,
  CONFIRMATION_METHODS,
  METADATA_MAX_KEYS,
  STATUSES,
} from '../../domain/payment-intent.js';
import { PAYMENT_METHOD_TYPES } from '../../domain/test-payment-methods.js';
import { createdParams, cursorParams, limit, oneCursor } from './list.js';

/** A positive integer of minor units, from a JSON integer or a digit string, as a bigint. */
export function minorUnits(param: string) {
  return z
    .union([z.number(), z.string()])
    .transform((value, ctx): bigint => {
      // A JSON number past 2^53 has already lost digits; it can only be refused, and as too large.
      const text = typeof value === 'number' ? (Number.isSafeInteger(value) ? value.toString() : null) : value;
      if (text === null && typeof value === 'number' && Number.isInteger(value) && value > 0) {
        ctx.addIssue(tooLarge(param));
        return z.NEVER;
      }
      if (text === null || !/^-?\d+$/.test(text)) {
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(value)} is not an integer. Amounts are integers of the currency's smallest unit (1099 = $10.99).`,
        });
        return z.NEVER;
      }
      const amount = BigInt(text);
      if (amount <= 0n) {
        ctx.addIssue({ code: 'custom', message: `${param} must be greater than 0.` });
        return z.NEVER;
      }
      if (amount > MAX_AMOUNT) {
        ctx.addIssue(tooLarge(param));
        return z.NEVER;
      }
      return amount;
    })
    .openapi({ type: 'integer', minimum: 1, maximum: Number(MAX_AMOUNT), example: 2000 });
}

function tooLarge(param: string) {
  return {
    code: 'custom' as const,
    message: `${param} must be at most ${MAX_AMOUNT} (eight digits of the smallest currency unit).`,
    params: { code: 'amount_too_large' },
  };
}

const currency = z
  .string()
  .transform((value, ctx): Currency => {
    const code = value.toLowerCase();
    if (!isCurrency(code)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a supported ISO 4217 currency code.` });
      return z.NEVER;
    }
    return code;
  })
  .openapi({ type: 'string', enum: [...CURRENCIES], example: 'usd', description: 'Three-letter ISO code, lowercase.' });

const booleanParam = z
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
function clearable<T extends z.ZodType>(schema: T) {
  return z.union([z.literal('').transform(() => null), z.null(), schema]);
}

const paymentMethod = z
  .string()
  .refine((v) => !/^[\d\s-]{12,23}$/.test(v), 'raw card numbers are never accepted: pass a PaymentMethod id such as pm_card_visa.')
  .refine((v) => /^pm_[0-9A-Za-z_]{1,100}$/.test(v), 'expected a PaymentMethod id (pm_…).')
  .openapi({ example: 'pm_card_visa' });

const paymentMethodTypes = z
  .array(z.enum(PAYMENT_METHOD_TYPES))
  .min(1)
  .max(PAYMENT_METHOD_TYPES.length)
  .refine((types) => new Set(types).size === types.length, 'payment_method_types must not repeat a type.');

const description = z.string().max(1000);
const receiptEmail = z.email().max(800);
const statementDescriptor = z
  .string()
  .min(5)
  .max(22)
  .regex(/^[^<>\\'"*]*$/, 'statement_descriptor cannot contain <, >, \\, \', " or *.')
  .regex(/[A-Za-z]/, 'statement_descriptor must contain at least one letter.');
const customer = z.string().regex(/^cus_[0-9A-Za-z]{1,64}$/, 'expected a Customer id (cus_…).');
const returnUrl = z
  .url({ protocol: /^https?$/, error: 'return_url must be an absolute http(s) URL.' })
  .max(2048);

export const CreatePaymentIntentParams = z
  .strictObject({
    amount: minorUnits('amount'),
    currency,
    capture_method: z.enum(CAPTURE_METHODS).optional(),
    confirmation_method: z.enum(CONFIRMATION_METHODS).optional(),
    confirm: booleanParam.optional(),
    payment_method: paymentMethod.optional(),
    payment_method_types: paymentMethodTypes.optional(),
    return_url: returnUrl.optional(),
    description: description.optional(),
    metadata: metadata.optional(),
    receipt_email: receiptEmail.optional(),
    statement_descriptor: statementDescriptor.optional(),
    customer: customer.optional(),
    notification_url: z
      .string()
      .max(2048)
      .optional()
      .openapi({ description: "A URL that receives this intent's events (https; http to loopback in test mode)." }),
  })
  .openapi('CreatePaymentIntentParams');

export const UpdatePaymentIntentParams = z
  .strictObject({
    amount: minorUnits('amount').optional(),
    currency: currency.optional(),
    capture_method: z.enum(CAPTURE_METHODS).optional(),
    payment_method: paymentMethod.optional(),
    payment_method_types: paymentMethodTypes.optional(),
    description: clearable(description).optional(),
    metadata: clearable(metadata).optional(),
    receipt_email: clearable(receiptEmail).optional(),
    statement_descriptor: clearable(statementDescriptor).optional(),
    customer: clearable(customer).optional(),
  })
  .openapi('UpdatePaymentIntentParams');

export const ConfirmPaymentIntentParams = z
  .strictObject({
    payment_method: paymentMethod.optional(),
    return_url: returnUrl.optional(),
  })
  .openapi('ConfirmPaymentIntentParams');

export const CapturePaymentIntentParams = z
  .strictObject({ amount_to_capture: minorUnits('amount_to_capture').optional() })
  .openapi('CapturePaymentIntentParams');

export const CancelPaymentIntentParams = z
  .strictObject({ cancellation_reason: z.enum(CANCELLATION_REASONS).optional() })
  .openapi('CancelPaymentIntentParams');

export const IntentIdParam = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'pi_01JD4X2Q8Z3N9A7ZbC1dE2fG3h' }),
});

export const RetrieveQuery = z.strictObject({
  client_secret: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: 'Required with a publishable key: the intent is then returned with browser-safe fields only.' }),
});

export const ListQuery = z
  .strictObject({
    limit,
    ...cursorParams,
    customer: customer.optional(),
    status: z.enum(STATUSES).optional(),
    ...createdParams,
  })
  .refine(...oneCursor);

export const SearchQueryParams = z.strictObject({
  query: z.string().min(1).max(2000).openapi({ example: `status:"succeeded" AND metadata['order_id']:"A-1"` }),
  limit,
  page: z.string().max(200).optional().openapi({ description: 'The next_page token of the previous page.' }),
});

// --- responses -------------------------------------------------------------------------------

const PaymentError = z.object({
  type: z.enum(['card_error', 'invalid_request_error']),
  code: z.string(),
  decline_code: z.string().nullable(),
  message: z.string(),
  payment_method: z.object({ id: z.string(), object: z.literal('payment_method'), type: z.enum(PAYMENT_METHOD_TYPES) }),
});

const NextAction = z.object({
  type: z.literal('redirect_to_url'),
  redirect_to_url: z.object({ url: z.url(), return_url: z.string().nullable() }),
});

const browserFields = {
  id: z.string(),
  object: z.literal('payment_intent'),
  amount: z.number().int(),
  currency: z.string(),
  status: z.enum(STATUSES),
  capture_method: z.enum(CAPTURE_METHODS),
  confirmation_method: z.enum(CONFIRMATION_METHODS),
  client_secret: z.string(),
  payment_method: z.string().nullable(),
  payment_method_types: z.array(z.enum(PAYMENT_METHOD_TYPES)),
  last_payment_error: PaymentError.nullable(),
  next_action: NextAction.nullable(),
  cancellation_reason: z.enum(CANCELLATION_REASONS).nullable(),
  canceled_at: z.number().int().nullable(),
  created: z.number().int().openapi({ description: 'Unix timestamp (seconds).' }),
  livemode: z.boolean(),
};

export const BrowserPaymentIntent = z.object(browserFields).openapi('BrowserPaymentIntent', {
  description: 'What a publishable key with the client secret sees: enough to run a checkout page, nothing more.',
});

export const PaymentIntent = z
  .object({
    ...browserFields,
    amount_capturable: z.number().int(),
    amount_received: z.number().int(),
    description: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    receipt_email: z.string().nullable(),
    statement_descriptor: z.string().nullable(),
    customer: z.string().nullable(),
    notification_url: z.string().nullable().openapi({ description: "Receives this intent's events, signed with the merchant's notification secret." }),
  })
  .openapi('PaymentIntent');

export const PaymentIntentList = z
  .object({
    object: z.literal('list'),
    url: z.string(),
    has_more: z.boolean(),
    data: z.array(PaymentIntent),
  })
  .openapi('PaymentIntentList');

export const PaymentIntentSearchResult = z
  .object({
    object: z.literal('search_result'),
    url: z.string(),
    has_more: z.boolean(),
    next_page: z.string().nullable(),
    data: z.array(PaymentIntent),
  })
  .openapi('PaymentIntentSearchResult');

export const ErrorEnvelope = z
  .object({
    error: z.object({
      type: z.enum(['invalid_request_error', 'authentication_error', 'card_error', 'idempotency_error', 'api_error']),
      code: z.string(),
      message: z.string(),
      param: z.string().nullable(),
      payment_intent: PaymentIntent.optional(),
      decline_code: z.string().optional(),
      request_id: z.string().optional(),
    }),
  })
  .openapi('Error');
