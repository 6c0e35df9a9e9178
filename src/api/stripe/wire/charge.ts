/**
 * A charge on Stripe's wire (`object: "charge"`), from the intent that holds it. Pure: the same
 * intent always renders the same charge, whether for GET /v1/charges or an event's data.object.
 */
import type { z } from '@hono/zod-openapi';
import type { Charge, PaymentMethodDetails } from '../../../domain/charge.js';
import type { PaymentIntent } from '../../../domain/intent.js';
import type { Charge as WireCharge } from '../charges/schemas.js';
import { amountToWire } from './payment-intent.js';
import { refundToWire } from './refund.js';

type Wire = z.input<typeof WireCharge>;

export function chargeToWire(intent: PaymentIntent, charge: Charge): Wire {
  const dispute = intent.disputes.findLast((d) => d.charge === charge.id);
  // Newest first, as Stripe lists a charge's refunds.
  const refunds = intent.refunds.filter((r) => r.charge === charge.id).reverse();
  return {
    id: charge.id,
    object: 'charge',
    amount: amountToWire(charge.amount),
    amount_captured: amountToWire(charge.amountCaptured),
    amount_refunded: amountToWire(charge.amountRefunded),
    balance_transaction: null,
    billing_details: NO_BILLING_DETAILS,
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
    outcome: charge.outcome && {
      network_status: charge.outcome.networkStatus,
      reason: charge.outcome.reason,
      risk_level: charge.outcome.riskLevel,
      seller_message: charge.outcome.sellerMessage,
      type: charge.outcome.type,
    },
    paid: charge.status === 'succeeded',
    payment_intent: intent.id,
    payment_method: charge.paymentMethod,
    payment_method_details: charge.paymentMethodDetails && detailsToWire(charge.paymentMethodDetails),
    receipt_email: intent.receiptEmail,
    refunded: charge.refunded,
    refunds: {
      object: 'list',
      data: refunds.map((r) => refundToWire(intent, r)),
      has_more: false,
      url: `/v1/charges/${charge.id}/refunds`,
    },
    statement_descriptor: intent.statementDescriptor,
    status: charge.status,
  };
}

/** The test methods carry no billing details: Stripe's shape, every field null. */
const NO_BILLING_DETAILS = {
  address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
  email: null,
  name: null,
  phone: null,
};

function detailsToWire(details: PaymentMethodDetails): NonNullable<Wire['payment_method_details']> {
  switch (details.type) {
    case 'card': {
      const c = details.card;
      return {
        type: 'card',
        card: { brand: c.brand, last4: c.last4, exp_month: c.expMonth, exp_year: c.expYear, funding: c.funding, country: c.country },
      };
    }
    case 'crypto': {
      const c = details.crypto;
      return {
        type: 'crypto',
        crypto: {
          network: c.network,
          chain_id: c.chainId,
          token: c.token.symbol,
          token_address: c.token.address,
          decimals: c.token.decimals,
          from: c.from,
          transactions: c.transactions,
        },
      };
    }
    default:
      return { type: details.type, [details.type]: { reference: details.reference } };
  }
}
