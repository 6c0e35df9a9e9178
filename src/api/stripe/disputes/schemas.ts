/**
 * The dispute wire (`object: "dispute"`) and its requests, on Stripe's conventions: every evidence
 * field Stripe has (null when unset), evidence_details, and the card's network details.
 */
import { z } from '@hono/zod-openapi';
import { DISPUTE_STATUSES } from '../../../domain/charge.js';
import { EVIDENCE_FIELDS, type EvidenceField } from '../../../domain/disputes.js';
import { DISPUTE_ID_PATTERN } from '../../../lib/ids.js';
import { createdParams, cursorParams, limit, oneCursor } from '../list.js';
import { booleanParam, clearable, metadata, pathId } from '../params.js';

const wireAmount = z.union([z.number().int(), z.string().regex(/^\d+$/)]);

const evidenceShape = <T extends z.ZodType>(field: T) =>
  Object.fromEntries(EVIDENCE_FIELDS.map((f) => [f, field])) as Record<EvidenceField, T>;

export const DisputeEvidence = z.object(evidenceShape(z.string().nullable())).openapi('DisputeEvidence');

export const Dispute = z
  .object({
    id: z.string(),
    object: z.literal('dispute'),
    amount: wireAmount,
    balance_transactions: z.array(z.object({ id: z.string() })).openapi({ description: 'Always empty: this service keeps no balance.' }),
    charge: z.string(),
    created: z.number().int(),
    currency: z.string(),
    evidence: DisputeEvidence,
    evidence_details: z.object({
      due_by: z.number().int().openapi({ description: 'Unix seconds: evidence is taken until then.' }),
      has_evidence: z.boolean(),
      past_due: z.boolean(),
      submission_count: z.number().int(),
    }),
    is_charge_refundable: z
      .boolean()
      .openapi({ description: 'False while the dispute is open or once it is lost (a refund is refused with charge_disputed).' }),
    livemode: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    network_reason_code: z.string().nullable(),
    payment_intent: z.string(),
    payment_method_details: z.object({
      type: z.string(),
      card: z.object({ brand: z.string(), case_type: z.literal('chargeback'), network_reason_code: z.string().nullable() }).nullable(),
    }),
    reason: z.string(),
    status: z.enum(DISPUTE_STATUSES),
  })
  .openapi('Dispute');

export const DisputeList = z
  .object({ object: z.literal('list'), url: z.string(), has_more: z.boolean(), data: z.array(Dispute) })
  .openapi('DisputeList');

/** A dispute's id in the path; any string not of DISPUTE_ID_PATTERN names no dispute (404). */
export function disputeIdParam(example: string) {
  return pathId("The dispute's", DISPUTE_ID_PATTERN, example);
}

export const ListDisputesQuery = z
  .strictObject({
    limit,
    ...cursorParams,
    charge: z.string().max(100).optional().openapi({ description: 'Only the disputes of this charge (ch_…).' }),
    payment_intent: z.string().max(100).optional().openapi({ description: 'Only the disputes of this payment intent (pi_…).' }),
    ...createdParams,
  })
  .refine(...oneCursor);

const evidenceValue = z
  .string()
  .max(20_000, 'an evidence field can be at most 20000 characters.')
  .optional()
  .openapi({ description: 'Text, or a file id for the documents; "" removes the field.' });

export const UpdateDisputeParams = z
  .strictObject({
    evidence: z.strictObject(evidenceShape(evidenceValue)).optional().openapi({
      description:
        "Evidence to merge into the dispute's (Stripe's field names; an unknown one is refused). In test mode, uncategorized_text `winning_evidence` wins the dispute and `losing_evidence` loses it once submitted.",
    }),
    metadata: clearable(metadata).optional(),
    submit: booleanParam.optional().openapi({
      description:
        'Send the evidence for review (status under_review). Defaults to true when evidence is given, as Stripe does; false stages it.',
    }),
  })
  .openapi('UpdateDisputeParams');

export const CloseDisputeParams = z.strictObject({}).openapi('CloseDisputeParams');
