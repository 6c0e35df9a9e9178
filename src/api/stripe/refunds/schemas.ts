/**
 * The refund wire (`object: "refund"`), on Stripe's conventions: the response object and the
 * parameters of /v1/refunds. Helper B owns this file (helper C adds next_action.crypto_refund and
 * the crypto fields).
 */
import { z } from '@hono/zod-openapi';
import { MAX_TOKEN_AMOUNT } from '../../../domain/crypto.js';
import { REFUND_REASONS, REFUND_STATUSES } from '../../../domain/charge.js';
import { createdParams, cursorParams, limit, oneCursor } from '../list.js';
import { clearable, metadata, pathId } from '../params.js';
import { minorUnits } from '../payment-intents/schemas.js';

/** A refund's id as newId('re') makes it; anything else names no refund. */
export const REFUND_ID_PATTERN = /^re_[0-9A-Za-z]{24}$/;
/** A charge's id as newId('ch') makes it. */
export const CHARGE_ID_PATTERN = /^ch_[0-9A-Za-z]{24}$/;

const wireAmount = z.union([z.number().int(), z.string().regex(/^\d+$/)]);

// --- a crypto refund's fields (helper C) ---
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const baseUnits = z.string().regex(/^\d+$/).openapi({ description: 'Base units of the token, as a digit string (it may exceed 2^53).' });

const CryptoRefundAction = z
  .object({
    type: z.literal('crypto_refund'),
    crypto_refund: z.object({
      network: z.string(),
      chain_id: z.number().int(),
      token: z.object({
        symbol: z.string(),
        decimals: z.number().int(),
        address: address.nullable().openapi({ description: 'The ERC-20 contract; null for the native coin.' }),
      }),
      destination: address.openapi({ description: "Where to send the refund: the payer's address unless another was given." }),
      amount: baseUnits.openapi({ description: 'Send exactly this many base units, in one transfer.' }),
      from_block: z
        .string()
        .regex(/^\d+$/)
        .openapi({ description: 'The chain head when the refund was created: only a transfer in a later block pays it.' }),
    }),
  })
  .openapi('RefundNextAction', {
    description:
      'A crypto refund waits for the merchant to send it from any wallet (the service holds no key): it succeeds once the transfer has its confirmations.',
  });

const RefundDestinationDetails = z
  .object({
    type: z.literal('crypto'),
    crypto: z.object({
      source: z
        .enum(['payment', 'excess', 'late_funds'])
        .openapi({ description: 'What is sent back: the payment, its excess, or late funds.' }),
      network: z.string(),
      destination: address,
      amount: baseUnits,
      transaction_hash: z
        .string()
        .nullable()
        .openapi({ description: 'The transfer that pays the refund, once seen on chain (final once the refund succeeded).' }),
    }),
  })
  .openapi('RefundDestinationDetails');

export const Refund = z
  .object({
    id: z.string(),
    object: z.literal('refund'),
    amount: wireAmount,
    charge: z.string(),
    created: z.number().int(),
    currency: z.string(),
    failure_reason: z
      .string()
      .nullable()
      .openapi({ description: 'Why a failed refund failed (`declined`), or `merchant_request` for a canceled one.' }),
    metadata: z.record(z.string(), z.string()),
    payment_intent: z.string(),
    reason: z.enum(REFUND_REASONS).nullable(),
    status: z.enum(REFUND_STATUSES),
    next_action: CryptoRefundAction.nullable(),
    destination_details: RefundDestinationDetails.nullable(),
  })
  .openapi('Refund');

export const RefundList = z
  .object({ object: z.literal('list'), url: z.string(), has_more: z.boolean(), data: z.array(Refund) })
  .openapi('RefundList');

/** A refund's id in the path; any string not of REFUND_ID_PATTERN names no refund (404). */
export function refundIdParam(example: string) {
  return pathId("The refund's", REFUND_ID_PATTERN, example);
}

const objectId = (description: string, example: string) => z.string().min(1).max(255).openapi({ description, example });

export const CreateRefundParams = z
  .strictObject({
    payment_intent: objectId(
      'The PaymentIntent to refund (its succeeded charge). Pass this or `charge`.',
      'pi_01M66HXNY7pNeLV49tbYOI5i',
    ).optional(),
    charge: objectId('The charge to refund (ch_…). Pass this or `payment_intent`.', 'ch_01M66HXNY7Qm3cBzF4kTgJ2w').optional(),
    amount: minorUnits('amount', MAX_TOKEN_AMOUNT)
      .optional()
      .openapi({ description: "In the smallest unit of the intent's currency; default: all that is left to refund." }),
    reason: z.enum(REFUND_REASONS).optional(),
    metadata: metadata.optional(),
    crypto: z
      .strictObject({
        source: z
          .enum(['payment', 'excess', 'late_funds'])
          .optional()
          .openapi({ description: 'What a crypto refund sends back: the payment (default), its excess, or late funds.' }),
        destination: z
          .string()
          .regex(/^0x[0-9a-fA-F]{40}$/, 'must be an address: 0x followed by 40 hex digits.')
          .optional()
          .openapi({
            description: "Where a crypto refund goes; default: the payer's address.",
            example: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
          }),
      })
      .optional()
      .openapi({ description: 'For a refund of a crypto PaymentIntent only.' }),
  })
  .openapi('CreateRefundParams');

export const UpdateRefundParams = z.strictObject({ metadata: clearable(metadata).optional() }).openapi('UpdateRefundParams');

export const CancelRefundParams = z.strictObject({}).openapi('CancelRefundParams');

export const ListRefundsQuery = z
  .strictObject({
    limit,
    ...cursorParams,
    payment_intent: z.string().max(255).optional().openapi({ description: 'Only the refunds of this PaymentIntent (pi_…).' }),
    charge: z.string().max(255).optional().openapi({ description: 'Only the refunds of this charge (ch_…).' }),
    ...createdParams,
  })
  .refine(...oneCursor);
