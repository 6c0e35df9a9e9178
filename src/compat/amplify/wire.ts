/**
 * The canonical intent in 000_…'s spelling. Its statuses are a view of the canonical ones:
 *
 *   CREATED              nothing chosen or tried yet (requires_payment_method, requires_confirmation)
 *   WAITING FOR PAYMENT  token, network and amount chosen: a confirmed intent waiting for its transfer or
 *                        its confirmations (requires_action, processing; requires_capture for a card intent)
 *   COMPLETED            succeeded
 *   TIMEOUT              canceled as abandoned when its crypto window (15 minutes) closed with the funds short
 *   ERROR                any other failure: canceled otherwise (by the merchant on another wire), or a failed
 *                        attempt waiting for another (a declined card of an intent made on another wire)
 */
import type { PaymentIntent } from '../../domain/intent.js';
import type { AmplifyStatus } from './schemas.js';

export function amplifyStatus(intent: PaymentIntent): AmplifyStatus {
  switch (intent.status) {
    case 'requires_payment_method':
    case 'requires_confirmation':
      return intent.lastPaymentError ? 'ERROR' : 'CREATED';
    case 'requires_action':
    case 'processing':
    case 'requires_capture':
      return 'WAITING FOR PAYMENT';
    case 'succeeded':
      return 'COMPLETED';
    case 'canceled':
      return timedOut(intent) ? 'TIMEOUT' : 'ERROR';
  }
}

/** Abandoned by the chain's verdict at the window's end, not canceled earlier (by a merchant or an expiring session). */
function timedOut(intent: PaymentIntent): boolean {
  const expiresAt = intent.crypto?.expiresAt ?? null;
  return intent.cancellationReason === 'abandoned' && expiresAt !== null && intent.canceledAt !== null && intent.canceledAt >= expiresAt;
}

/** The intent's deposit address: taken at creation (this family's), or at confirmation (another wire's); null before. */
export function walletAddressOf(intent: PaymentIntent): string | null {
  return intent.reservedDeposit?.address ?? intent.crypto?.depositAddress ?? null;
}

export function paymentIntentToWire(intent: PaymentIntent) {
  return {
    _id: intent.id,
    userId: intent.merchantId,
    walletId: walletAddressOf(intent),
    clientSecret: intent.clientSecret,
    status: amplifyStatus(intent),
    apiKeyType: intent.livemode ? ('PRODUCTION' as const) : ('SANDBOX' as const),
    receiverId: intent.reference,
    metadata: Object.keys(intent.metadata).length === 0 ? null : intent.metadata,
    created_at: new Date(intent.created).toISOString(),
    updated_at: new Date(intent.updated).toISOString(),
  };
}
