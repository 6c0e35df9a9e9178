/**
 * The refund wire (`object: "refund"`), on Stripe's conventions. Helper B owns this file (helper C
 * adds next_action.crypto_refund and the crypto fields).
 */
import { z } from '@hono/zod-openapi';
import { REFUND_REASONS, REFUND_STATUSES } from '../../../domain/charge.js';

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
    failure_reason: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    payment_intent: z.string(),
    reason: z.enum(REFUND_REASONS).nullable(),
    status: z.enum(REFUND_STATUSES),
    next_action: CryptoRefundAction.nullable(),
    destination_details: RefundDestinationDetails.nullable(),
  })
  .openapi('Refund');
