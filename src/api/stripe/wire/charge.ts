/**
 * A charge on Stripe's wire (`object: "charge"`), from the intent that holds it. Pure. Helper A
 * owns this file: the response schema (src/api/stripe/charges/schemas.ts) is the contract.
 */
import type { Charge, Dispute, Refund } from '../../../domain/charge.js';
import type { PaymentIntent } from '../../../domain/intent.js';
import { amountToWire } from './payment-intent.js';

export function chargeToWire(intent: PaymentIntent, charge: Charge) {
  const dispute: Dispute | undefined = intent.disputes.findLast((d) => d.charge === charge.id);
  const refunds: Refund[] = intent.refunds.filter((r) => r.charge === charge.id);
  return {
    id: charge.id,
    object: 'charge' as const,
    amount: amountToWire(charge.amount),
    amount_captured: amountToWire(charge.amountCaptured),
    amount_refunded: amountToWire(charge.amountRefunded),
    captured: charge.captured,
    created: Math.floor(charge.created / 1000),
    currency: intent.currency,
    customer: intent.customer,
    description: intent.description,
    disputed: charge.disputed,
    dispute: dispute?.id ?? null,
    failure_code: charge.failureCode,
    failure_message: charge.failureMessage,
    livemode: intent.livemode,
    metadata: intent.metadata,
    paid: charge.status === 'succeeded',
    payment_intent: intent.id,
    payment_method: charge.paymentMethod,
    refunded: charge.refunded,
    refund_ids: refunds.map((r) => r.id),
    status: charge.status,
  };
}
