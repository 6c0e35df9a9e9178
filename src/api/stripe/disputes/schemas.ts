/** The dispute wire (`object: "dispute"`), on Stripe's conventions. Helper D owns this file. */
import { z } from '@hono/zod-openapi';
import { DISPUTE_STATUSES } from '../../../domain/charge.js';

const wireAmount = z.union([z.number().int(), z.string().regex(/^\d+$/)]);

export const Dispute = z
  .object({
    id: z.string(),
    object: z.literal('dispute'),
    amount: wireAmount,
    charge: z.string(),
    created: z.number().int(),
    currency: z.string(),
    evidence: z.record(z.string(), z.string()),
    livemode: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    payment_intent: z.string(),
    reason: z.string(),
    status: z.enum(DISPUTE_STATUSES),
  })
  .openapi('Dispute');
