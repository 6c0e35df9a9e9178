/**
 * A refund on Stripe's wire (`object: "refund"`), from the intent that holds it. Pure. Helper B
 * owns this file (next_action `crypto_refund` is helper C's part of it).
 */
import type { CryptoRefund, Refund } from '../../../domain/charge.js';
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
    ...cryptoRefundToWire(refund),
  };
}

/**
 * A crypto refund's part (helper C): while it waits, next_action tells the merchant what to send
 * where; destination_details shows where it goes and, once a transfer is seen, its hash.
 */
function cryptoRefundToWire(refund: Refund) {
  const c = refund.crypto;
  if (!c) return { next_action: null, destination_details: null };
  return {
    next_action:
      refund.status === 'pending'
        ? {
            type: 'crypto_refund' as const,
            crypto_refund: {
              network: c.network,
              chain_id: c.chainId,
              token: c.token,
              destination: c.destination,
              amount: c.amount.toString(),
              from_block: c.fromBlock.toString(),
            },
          }
        : null,
    destination_details: {
      type: 'crypto' as const,
      crypto: {
        source: c.source,
        network: c.network,
        destination: c.destination,
        amount: c.amount.toString(),
        transaction_hash: transactionHash(c),
      },
    },
  };
}

/** The transfer that pays it, once seen (a pending refund's may still vanish in a reorg). */
function transactionHash(c: CryptoRefund): string | null {
  return c.transfer?.txHash ?? null;
}
