/**
 * The refund wire (`object: "refund"`), on Stripe's conventions. Helper B owns this file (helper C
 * adds next_action.crypto_refund and the crypto fields).
 */
import { z } from '@hono/zod-openapi';
import { REFUND_REASONS, REFUND_STATUSES } from '../../../domain/charge.js';

const wireAmount = z.union([z.number().int(), z.string().regex(/^\d+$/)]);

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
  })
  .openapi('Refund');
