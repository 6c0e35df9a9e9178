/** Domain → wire. Times become Unix seconds; amounts stay exact (they are capped far below 2^53). */
import type { z } from '@hono/zod-openapi';
import type { PaymentError, PaymentIntent } from '../domain/payment-intent.js';
import type { BrowserPaymentIntent, PaymentIntent as WirePaymentIntent } from '../http/schemas/payment-intent.js';

type Wire = z.input<typeof WirePaymentIntent>;
type BrowserWire = z.input<typeof BrowserPaymentIntent>;

/** Amounts are bigint in the domain; on the wire a JSON integer, which is exact below 2^53. */
export function amountToWire(amount: bigint): number {
  if (amount > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('amount beyond 2^53 cannot be a JSON integer');
  return Number(amount);
}

export function paymentErrorToWire(error: PaymentError) {
  return {
    type: error.type,
    code: error.code,
    decline_code: error.declineCode,
    message: error.message,
    payment_method: { id: error.paymentMethod.id, object: 'payment_method' as const, type: error.paymentMethod.type },
  };
}

export function challengeUrl(baseUrl: string, intentId: string, token: string): string {
  return `${baseUrl}/challenge/${intentId}/${token}`;
}

export function toBrowserWire(intent: PaymentIntent, baseUrl: string): BrowserWire {
  return {
    id: intent.id,
    object: 'payment_intent',
    amount: amountToWire(intent.amount),
    currency: intent.currency,
    status: intent.status,
    capture_method: intent.captureMethod,
    confirmation_method: intent.confirmationMethod,
    client_secret: intent.clientSecret,
    payment_method: intent.paymentMethod,
    payment_method_types: intent.paymentMethodTypes,
    last_payment_error: intent.lastPaymentError && paymentErrorToWire(intent.lastPaymentError),
    next_action: intent.nextAction && {
      type: 'redirect_to_url',
      redirect_to_url: {
        url: challengeUrl(baseUrl, intent.id, intent.nextAction.challengeToken),
        return_url: intent.nextAction.returnUrl,
      },
    },
    cancellation_reason: intent.cancellationReason,
    canceled_at: intent.canceledAt === null ? null : Math.floor(intent.canceledAt / 1000),
    created: Math.floor(intent.created / 1000),
    livemode: intent.livemode,
  };
}

export function toWire(intent: PaymentIntent, baseUrl: string): Wire {
  return {
    ...toBrowserWire(intent, baseUrl),
    amount_capturable: amountToWire(intent.amountCapturable),
    amount_received: amountToWire(intent.amountReceived),
    description: intent.description,
    metadata: intent.metadata,
    receipt_email: intent.receiptEmail,
    statement_descriptor: intent.statementDescriptor,
    customer: intent.customer,
    notification_url: intent.notificationUrl,
  };
}
