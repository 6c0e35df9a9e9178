/**
 * A refund on Stripe's wire (`object: "refund"`), from the intent that holds it. Pure. Helper B
 * owns this file (next_action `crypto_refund` is helper C's part of it).
 */
import type { Refund } from '../../../domain/charge.js';
import type { PaymentIntent } from '../../../domain/intent.js';
import { amountToWire } from './payment-intent.js';

export function refundToWire(intent: PaymentIntent, refund: Refund) {
  return {
    id: refund.id,
    object: 'refund' as const,
    amount: amountToWire(refund.amount),
    charge: refund.charge,
    created: Math.floor(refund.created / 1000),
    currency: intent.currency,
    failure_reason: refund.failureReason,
    metadata: refund.metadata,
    payment_intent: intent.id,
    reason: refund.reason,
    status: refund.status,
  };
}
