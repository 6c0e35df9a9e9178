/**
 * Crypto refunds without keys, the pure part (helper C builds this): a refund of a crypto charge,
 * or of excess or late funds, is pending with next_action `crypto_refund` until the network's
 * watcher sees a transfer of exactly its amount to its destination, after it was created, with its
 * confirmations; a transfer that vanishes in a reorg stops counting.
 */
import type { Charge } from './charge.js';
import type { Decision, PaymentIntent, RefundObservation, RefundParams } from './intent.js';

/**
 * A refund of a crypto charge, or (`params.source` excess | late_funds) of funds outside one:
 * called by createRefund (refunds.ts) with the charge it found (the one named, else the intent's
 * succeeded one; null when there is none), after the checks every refund shares.
 */
export function openCryptoRefund(
  _state: PaymentIntent,
  _refundId: string,
  _charge: Charge | null,
  _params: RefundParams,
  _now: number,
): Decision {
  throw new Error('crypto refunds are not built yet');
}

export function observeRefund(_state: PaymentIntent, _seen: RefundObservation): Decision {
  throw new Error('crypto refunds are not built yet');
}
