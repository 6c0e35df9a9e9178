/**
 * A dispute on Stripe's wire (`object: "dispute"`), from the intent that holds it. Pure: the same
 * intent always renders the same bytes (an event's body never changes), so nothing here reads the
 * clock. `past_due` (evidence submitted after due_by) is always false: the domain refuses late evidence.
 */
import type { Dispute } from '../../../domain/charge.js';
import { EVIDENCE_FIELDS, type EvidenceField, isChargeRefundable } from '../../../domain/disputes.js';
import type { PaymentIntent } from '../../../domain/intent.js';
import { amountToWire } from './payment-intent.js';

export function disputeToWire(intent: PaymentIntent, dispute: Dispute) {
  const charge = intent.charges.find((c) => c.id === dispute.charge);
  const details = charge?.paymentMethodDetails;
  return {
    id: dispute.id,
    object: 'dispute' as const,
    amount: amountToWire(dispute.amount),
    balance_transactions: [] as { id: string }[],
    charge: dispute.charge,
    created: Math.floor(dispute.created / 1000),
    currency: intent.currency,
    evidence: evidenceToWire(dispute.evidence),
    evidence_details: {
      due_by: Math.floor(dispute.dueBy / 1000),
      has_evidence: Object.keys(dispute.evidence).length > 0,
      past_due: false,
      submission_count: dispute.evidenceSubmittedAt === null ? 0 : 1,
    },
    is_charge_refundable: charge ? isChargeRefundable(intent, charge) : false,
    livemode: intent.livemode,
    metadata: dispute.metadata,
    network_reason_code: null,
    payment_intent: intent.id,
    payment_method_details:
      details?.type === 'card'
        ? { type: 'card' as const, card: { brand: details.card.brand, case_type: 'chargeback' as const, network_reason_code: null } }
        : { type: details?.type ?? 'card', card: null },
    reason: dispute.reason,
    status: dispute.status,
  };
}

/** Every one of Stripe's evidence fields, null where the merchant gave none. */
function evidenceToWire(evidence: Record<string, string>): Record<EvidenceField, string | null> {
  return Object.fromEntries(EVIDENCE_FIELDS.map((f) => [f, evidence[f] ?? null])) as Record<EvidenceField, string | null>;
}
