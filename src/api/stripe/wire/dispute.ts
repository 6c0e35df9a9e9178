/**
 * A dispute on Stripe's wire (`object: "dispute"`), from the intent that holds it. Pure. Helper D
 * owns this file.
 */
import type { Dispute } from '../../../domain/charge.js';
import type { PaymentIntent } from '../../../domain/intent.js';
import { amountToWire } from './payment-intent.js';

export function disputeToWire(intent: PaymentIntent, dispute: Dispute) {
  return {
    id: dispute.id,
    object: 'dispute' as const,
    amount: amountToWire(dispute.amount),
    charge: dispute.charge,
    created: Math.floor(dispute.created / 1000),
    currency: intent.currency,
    evidence: dispute.evidence,
    livemode: intent.livemode,
    metadata: dispute.metadata,
    payment_intent: intent.id,
    reason: dispute.reason,
    status: dispute.status,
  };
}
