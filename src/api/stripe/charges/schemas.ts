/**
 * The charge wire: one payment attempt of a payment intent (`object: "charge"`), on Stripe's
 * conventions — snake_case, Unix seconds, amounts as JSON integers (digit strings past 2^53: token
 * base units). Charges are made by the intent's transitions, never by a request: they are only read.
 */
import { z } from '@hono/zod-openapi';
import { CHARGE_STATUSES } from '../../../domain/charge.js';
import { INTENT_ID_PATTERN } from '../../../lib/ids.js';
import { createdParams, cursorParams, limit, oneCursor } from '../list.js';
import { pathId } from '../params.js';
import { Refund } from '../refunds/schemas.js';

/** A charge's id, as freshIds() makes it (newId('ch')). Anything else names no charge. */
export const CHARGE_ID_PATTERN = /^ch_[0-9A-Za-z]{24}$/;

const wireAmount = z
  .union([z.number().int(), z.string().regex(/^\d+$/)])
  .openapi({ description: 'An integer; a digit string when past 2^53 (only token base units get there).' });

const Outcome = z
  .object({
    network_status: z.enum(['approved_by_network', 'declined_by_network', 'not_sent_to_network']),
    reason: z.string().nullable().openapi({ description: 'The decline code, or why it was not sent; null when approved.' }),
    risk_level: z.enum(['normal', 'elevated', 'highest', 'not_assessed']),
    seller_message: z.string(),
    type: z.enum(['authorized', 'issuer_declined', 'blocked', 'invalid']),
  })
  .openapi('ChargeOutcome');

const CardDetails = z.object({
  brand: z.string().openapi({ example: 'visa' }),
  last4: z.string().openapi({ example: '4242' }),
  exp_month: z.number().int(),
  exp_year: z.number().int(),
  funding: z.enum(['credit', 'debit', 'prepaid']),
  country: z.string().openapi({ example: 'US' }),
});

const CryptoDetails = z.object({
  network: z.string(),
  chain_id: z.number().int(),
  token: z.string().openapi({ description: "The token's symbol.", example: 'usdc' }),
  token_address: z.string().nullable().openapi({ description: 'The ERC-20 contract; null for the native coin.' }),
  decimals: z.number().int(),
  from: z.string().nullable().openapi({ description: "The payer's address: the sender of the first counted transfer; null before one." }),
  transactions: z.array(z.string()).openapi({ description: 'Hashes of the transactions counted for this payment, in chain order.' }),
});

/** Every other method (bank debits, redirects, wire…) shows its reference under its own type's key. */
const OtherMethodDetails = z.object({ reference: z.string().nullable() });

const PaymentMethodDetails = z
  .union([
    z.object({ type: z.literal('card'), card: CardDetails }),
    z.object({ type: z.literal('crypto'), crypto: CryptoDetails }),
    z
      .object({ type: z.string().openapi({ description: 'The method type; its details are under the key of that name.' }) })
      .catchall(z.union([z.string(), OtherMethodDetails])),
  ])
  .openapi('ChargePaymentMethodDetails');

const nullableText = z.string().nullable();

const BillingDetails = z.object({
  address: z.object({
    city: nullableText,
    country: nullableText,
    line1: nullableText,
    line2: nullableText,
    postal_code: nullableText,
    state: nullableText,
  }),
  email: nullableText,
  name: nullableText,
  phone: nullableText,
});

export const ChargeRefundList = z
  .object({
    object: z.literal('list'),
    data: z.array(Refund),
    has_more: z.boolean(),
    url: z.string(),
  })
  .openapi('ChargeRefundList');

export const Charge = z
  .object({
    id: z.string(),
    object: z.literal('charge'),
    amount: wireAmount,
    amount_captured: wireAmount,
    amount_refunded: wireAmount.openapi({ description: 'Refunded, or on the way back (refunds that are pending count).' }),
    balance_transaction: z.null().openapi({ description: 'Always null: this service keeps no balance.' }),
    billing_details: BillingDetails,
    captured: z.boolean(),
    created: z.number().int(),
    currency: z.string(),
    customer: z.string().nullable(),
    description: z.string().nullable(),
    disputed: z.boolean(),
    dispute: z.string().nullable().openapi({ description: 'The latest dispute (dp_…) of this charge; null if none.' }),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    livemode: z.boolean(),
    metadata: z.record(z.string(), z.string()).openapi({ description: "The PaymentIntent's metadata." }),
    outcome: Outcome.nullable().openapi({ description: 'What the (test) network said; null while pending.' }),
    paid: z.boolean().openapi({ description: 'True once the charge succeeded (authorized or captured).' }),
    payment_intent: z.string(),
    payment_method: z.string().nullable(),
    payment_method_details: PaymentMethodDetails.nullable(),
    receipt_email: z.string().nullable(),
    refunded: z.boolean(),
    refunds: ChargeRefundList,
    statement_descriptor: z.string().nullable(),
    status: z.enum(CHARGE_STATUSES),
  })
  .openapi('Charge');

export const ChargeList = z
  .object({ object: z.literal('list'), url: z.string(), has_more: z.boolean(), data: z.array(Charge) })
  .openapi('ChargeList');

/** A charge's id in the path; any string not of CHARGE_ID_PATTERN names no charge (404). */
export function chargeIdParam(example: string) {
  return pathId("The charge's", CHARGE_ID_PATTERN, example);
}

export const ListChargesQuery = z
  .strictObject({
    limit,
    ...cursorParams,
    payment_intent: z
      .string()
      .max(100)
      .regex(INTENT_ID_PATTERN, 'must be a PaymentIntent id (pi_…).')
      .optional()
      .openapi({ description: 'Only the charges of this PaymentIntent.' }),
    customer: z.string().max(255).optional().openapi({ description: "Only the charges of this customer's PaymentIntents." }),
    ...createdParams,
  })
  .refine(...oneCursor);
