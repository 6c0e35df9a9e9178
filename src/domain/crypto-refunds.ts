/**
 * Crypto refunds without keys, the pure part (helper C builds this): a refund of a crypto charge,
 * or of excess or late funds, is pending with next_action `crypto_refund` until the network's
 * watcher sees a transfer of exactly its amount to its destination, after it was created, with its
 * confirmations; a transfer that vanishes in a reorg stops counting.
 */
import type { Decision, PaymentIntent, RefundObservation } from './intent.js';

export function observeRefund(_state: PaymentIntent, _seen: RefundObservation): Decision {
  throw new Error('crypto refunds are not built yet');
}
