/**
 * The charge wire: one confirm attempt of a payment intent (`object: "charge"`), on Stripe's
 * conventions. Helper A owns this file and extends it (outcome, payment_method_details, refunds…).
 */
import { z } from '@hono/zod-openapi';
import { CHARGE_STATUSES } from '../../../domain/charge.js';

const wireAmount = z.union([z.number().int(), z.string().regex(/^\d+$/)]);

export const Charge = z
  .object({
    id: z.string(),
    object: z.literal('charge'),
    amount: wireAmount,
    amount_captured: wireAmount,
    amount_refunded: wireAmount,
    captured: z.boolean(),
    created: z.number().int(),
    currency: z.string(),
    customer: z.string().nullable(),
    description: z.string().nullable(),
    disputed: z.boolean(),
    dispute: z.string().nullable(),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    livemode: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    paid: z.boolean(),
    payment_intent: z.string(),
    payment_method: z.string().nullable(),
    refunded: z.boolean(),
    refund_ids: z.array(z.string()),
    status: z.enum(CHARGE_STATUSES),
  })
  .openapi('Charge');
