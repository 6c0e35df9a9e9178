/**
 * The wire of 001_… (Paytree's Secured Checkout API): request and response shapes as its OpenAPI
 * document has them, the single source of validation, types and this family's API description.
 * Validation messages are Django REST framework's (errors.ts renders the issues); what DRF would
 * check beyond the types (the amount against its currency, `card`) is refined here.
 */
import { z } from '@hono/zod-openapi';
import { currencyExponent, isCurrency } from '../../domain/currency.js';

export { ErrorResponse } from './errors.js';

/** Where the family is mounted: its clients' base URL is `${PUBLIC_BASE_URL}/paytree`. */
export const PREFIX = '/paytree';

// biome-ignore format: a list of codes
export const CURRENCIES = [
  'AED', 'AUD', 'BHD', 'CAD', 'CLP', 'CZK', 'DKK', 'EUR', 'GBP', 'HKD', 'KWD', 'NOK', 'NZD', 'OMR',
  'PHP', 'PLN', 'QAR', 'SAR', 'SEK', 'USD', 'ZAR',
] as const;
export type PaytreeCurrency = (typeof CURRENCIES)[number];

export const METHODS = ['card', 'crypto', 'wire', 'paypal', 'klarna', 'ideal', 'bancontact', 'trustly', 'kakaopay', 'p24', 'blik'] as const;
export type PaytreeMethod = (typeof METHODS)[number];

export const PAYMENT_STATUSES = [
  'pending',
  'partial',
  'success',
  'failed',
  'canceled',
  'expired',
  'authorized',
  'refunded',
  'partial_refunded',
  'disputed',
  'disputed_won',
  'disputed_lost',
  'disputed_close',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

// biome-ignore format: a list of codes
export const COUNTRIES = [
  'AF','AX','AL','DZ','AS','AD','AO','AI','AQ','AG','AR','AM','AW','AU','AT','AZ','BS','BH','BD','BB','BY','BE','BZ','BJ','BM',
  'BT','BO','BQ','BA','BW','BV','BR','IO','BN','BG','BF','BI','CV','KH','CM','CA','KY','CF','TD','CL','CN','CX','CC','CO','KM',
  'CG','CK','CR','CI','HR','CU','CW','CY','CZ','CD','DK','DJ','DM','DO','EC','EG','SV','GQ','ER','EE','SZ','ET','FK','FO','FJ',
  'FI','FR','GF','PF','TF','GA','GM','GE','DE','GH','GI','GR','GL','GD','GP','GU','GT','GG','GN','GW','GY','HT','HM','HN','HK',
  'HU','IS','IN','ID','IR','IQ','IE','IM','IL','IT','JM','JP','JE','JO','KZ','KE','KI','KW','KG','LA','LV','LB','LS','LR','LY',
  'LI','LT','LU','MO','MG','MW','MY','MV','ML','MT','MH','MQ','MR','MU','YT','MX','FM','MD','MC','MN','ME','MS','MA','MZ','MM',
  'NA','NR','NP','NL','NC','NZ','NI','NE','NG','NU','NF','KP','MK','MP','NO','OM','PK','PW','PS','PA','PG','PY','PE','PH','PN',
  'PL','PT','PR','QA','RE','RO','RU','RW','BL','SH','KN','LC','MF','PM','VC','WS','SM','ST','SA','SN','RS','SC','SL','SG','SX',
  'SK','SI','SB','SO','ZA','GS','KR','SS','ES','LK','SD','SR','SJ','SE','CH','SY','TW','TJ','TZ','TH','TL','TG','TK','TO','TT',
  'TN','TR','TM','TC','TV','UG','UA','AE','GB','UM','US','UY','UZ','VU','VA','VE','VN','VG','VI','WF','EH','YE','ZM','ZW',
] as const;

/** The decimal strings of 001_… (`^-?\d{0,8}(?:\.\d{0,2})?$`), read here as a positive amount of up to 8 integer digits. */
const DECIMAL = /^\d{0,8}(?:\.\d*)?$/;
export const decimal = z.string().openapi({
  format: 'decimal',
  pattern: '^\\d{0,8}(?:\\.\\d{0,3})?$',
  description: 'A decimal string with up to the currency`s own decimals: 3 for BHD, KWD, OMR, none for CLP, 2 for the others.',
  example: '10.00',
});

const text = (max?: number) => (max === undefined ? z.string().min(1) : z.string().min(1).max(max));

const Customer = z
  .object({
    first_name: text(64),
    last_name: text(64),
    email: z.email(),
    phone: text(32).optional(),
  })
  .openapi('CustomerRequest_Paytree');

const Address = z
  .object({
    street: text(128).optional(),
    city: text(64).optional(),
    state: text(64).optional(),
    zip: text(32).optional(),
    country: z.enum(COUNTRIES),
  })
  .openapi('AddressRequest_Paytree');

const Session = z.object({ ip_address: text(), user_agent: text(512) }).openapi('SessionRequest_Paytree');

/** Absolute http(s) URLs: where a payer's browser goes, or where a notification is sent. */
const url = z.url({ protocol: /^https?$/ }).max(2048);

const Callback = z
  .object({ notification_url: url.optional(), return_url: url, cancel_url: url.optional() })
  .openapi('CallbackRequest_Paytree');

const OrderItem = z
  .object({
    name: text(255),
    description: z.string().max(512).optional(),
    quantity: z.coerce.number().int().min(1).max(1_000_000),
    unit_price: decimal.regex(/^\d{0,8}(?:\.\d{0,3})?$/, { error: 'A valid number is required.' }),
    sku: text(128),
  })
  .openapi('OrderItemRequest_Paytree');

/** Metadata: any JSON, kept as given (the family's own; the canonical intent's metadata is not set from it). */
const Metadata = z.unknown().refine((v) => JSON.stringify(v ?? null).length <= 8192, {
  error: 'Ensure this field has no more than 8192 characters (as JSON).',
});

export const CreateBody = z
  .object({
    transaction_ref: text(128),
    client_ref: text(128),
    amount: decimal,
    amount_currency: z.enum(CURRENCIES),
    method: z.enum(METHODS).default('card'),
    customer: Customer,
    address: Address,
    session: Session,
    callback: Callback,
    metadata: Metadata.optional(),
    force_route: z.uuid().optional(),
    order_items: z.array(OrderItem).max(100).optional(),
    card: z.unknown().optional().openapi({
      description: 'Refused: card data is never accepted here. The payer enters it on the hosted page (payment_link).',
    }),
  })
  .superRefine((body, ctx) => {
    if (body.card !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['card'],
        message: 'Card data is not accepted: the payer enters it on the payment page (payment_link).',
      });
    }
    const problem = amountProblem(body.amount, body.amount_currency);
    if (problem) ctx.addIssue({ code: 'custom', path: ['amount'], message: problem });
  })
  .openapi('PaymentIntentCreateRequest_Paytree');

export type CreateInput = z.output<typeof CreateBody>;

/** What is wrong with an amount in its currency, in DRF's words; null when nothing is. */
export function amountProblem(amount: string, currency: PaytreeCurrency): string | null {
  if (!DECIMAL.test(amount) || amount === '' || amount === '.') {
    if (/^-?\d*(\.\d*)?$/.test(amount) && amount.replace(/^-/, '').split('.')[0]!.length > 8) {
      return 'Ensure that there are no more than 8 digits before the decimal point.';
    }
    if (amount.startsWith('-') && /^-\d*(\.\d*)?$/.test(amount)) return minimumMessage(currency);
    return 'A valid number is required.';
  }
  const code = currency.toLowerCase();
  const exponent = isCurrency(code) ? currencyExponent(code) : 2;
  const fraction = amount.split('.')[1] ?? '';
  if (fraction.replace(/0+$/, '').length > exponent) {
    return exponent === 0
      ? `Ensure that there are no decimal places: ${currency} has no minor unit.`
      : `Ensure that there are no more than ${exponent} decimal places for ${currency}.`;
  }
  if (/^[0.]*$/.test(amount)) return minimumMessage(currency);
  return null;
}

function minimumMessage(currency: PaytreeCurrency): string {
  const code = currency.toLowerCase();
  const exponent = isCurrency(code) ? currencyExponent(code) : 2;
  return `Ensure this value is greater than or equal to ${exponent === 0 ? '1' : `0.${'0'.repeat(exponent - 1)}1`}.`;
}

/** An amount string (already checked by amountProblem) in the currency's minor units, exactly. */
export function minorUnits(amount: string, currency: PaytreeCurrency): bigint {
  const code = currency.toLowerCase();
  const exponent = isCurrency(code) ? currencyExponent(code) : 2;
  const [whole = '', fraction = ''] = amount.split('.');
  const digits = `${whole}${fraction.replace(/0+$/, '').padEnd(exponent, '0')}`;
  return BigInt(digits === '' ? '0' : digits);
}

export const CreateResponse = z
  .object({
    id: z.string().openapi({ description: 'The payment intent`s id (`pi_…`): a string here, where 001_… shows an integer.' }),
    client_ref: z.string(),
    payment_link: z.string().openapi({ format: 'uri', description: 'The hosted payment page of the intent.' }),
  })
  .openapi('PaymentIntentPostResponseSchema_Paytree');

const Refund = z
  .object({
    id: z.string().openapi({ description: 'The refund (`re_…`).' }),
    amount: decimal,
    currency: z.string(),
    payment: z.string().openapi({ description: 'The payment (charge, `ch_…`) refunded.' }),
    gateway_id: z.string().openapi({ description: 'The refund`s id at the processor (this service): its `re_…` id.' }),
    created: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Refund_Paytree');

const Payment = z
  .object({
    id: z.string().openapi({ description: 'The payment attempt (charge, `ch_…`).' }),
    amount: decimal,
    currency: z.string(),
    base_amount: decimal,
    base_currency: z.string(),
    fee: z.string(),
    refunded: decimal,
    status: z.enum(PAYMENT_STATUSES),
    refund: z.array(Refund),
    created: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Payment_Paytree');

export const PaymentIntentResponse = z
  .object({
    id: z.string(),
    username: z.string().openapi({ description: 'The merchant`s account id (`acct_…`).' }),
    transaction_ref: z.string(),
    client_ref: z.string(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    address: z.string().openapi({ description: 'The address on one line: street, city, state, zip, country.' }),
    amount: decimal,
    currency: z.string(),
    base_amount: decimal,
    base_currency: z.string(),
    method: z.enum(METHODS),
    payment_link: z.string(),
    payment: z.array(Payment),
    actions: z.unknown().openapi({ description: 'What the payer still has to do (`{"type": "redirect", "url": payment_link}`), or null.' }),
    metadata: z.unknown(),
    order_items: z.unknown(),
    route_id: z.string(),
    route_name: z.string(),
    created: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('PaymentIntent_Paytree');

export type PaymentIntentWire = z.input<typeof PaymentIntentResponse>;

export const PaginatedList = z
  .object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(PaymentIntentResponse),
  })
  .openapi('PaginatedPaymentIntentList_Paytree');

export const IdParam = z.object({
  id: z
    .string()
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' }, description: 'The payment intent`s id.', example: 'pi_01JD3R0F5Q7X8Z9aBcDeFgHiJk' }),
});

const filter = (description: string) => z.string().max(255).optional().openapi({ description });

/** Page sizes: 20 unless `page_size` says otherwise (1 to 100). */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export const ListQuery = z.object({
  client_email: filter('Only intents of the customer with this email (case-insensitive).'),
  client_ref: filter('Only intents with this client_ref.'),
  transaction_ref: filter('Only the intent with this transaction_ref.'),
  gateway_id: filter('Only the intent with a payment (`ch_…`) or refund (`re_…`) of this id.'),
  route_id: filter('Only intents routed by this route (this service has one: see route_id).'),
  domain: filter('Only intents whose callback.return_url is on this host.'),
  search: filter('A search term: a part of transaction_ref, client_ref, email, first or last name.'),
  page: z.string().optional().openapi({ description: 'A page number within the paginated result set (from 1).', example: '1' }),
  page_size: z
    .string()
    .optional()
    .openapi({ description: `Results per page, 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).`, example: '20' }),
});
