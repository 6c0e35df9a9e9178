/**
 * Refunds, the pure part (helper B builds this): create, update, cancel and settle a refund of the
 * intent's succeeded charge. Several partial refunds up to what the charge captured, never more:
 * the intent's object runs one command at a time, so the check here is the only one needed.
 * A crypto charge's refund is handed to crypto-refunds.ts (it waits for a transfer on chain).
 */
import { succeededCharge } from './charge.js';
import { openCryptoRefund } from './crypto-refunds.js';
import type { Decision, IntentSettings, PaymentIntent, RefundParams } from './intent.js';

export function createRefund(
  _state: PaymentIntent,
  _refundId: string,
  _params: RefundParams,
  _now: number,
  _settings: IntentSettings,
): Decision {
  // Helper C's hook until helper B's createRefund lands (B's version replaces this function): a crypto intent's refund is a crypto refund.
  if (_state.crypto)
    return openCryptoRefund(_state, _refundId, succeededCharge(_state.charges) ?? _state.charges.at(-1) ?? null, _params, _now);
  throw new Error('refunds are not built yet');
}

export function updateRefund(_state: PaymentIntent, _refundId: string, _metadata: Record<string, string> | null): Decision {
  throw new Error('refunds are not built yet');
}

export function cancelRefund(_state: PaymentIntent, _refundId: string, _now: number): Decision {
  throw new Error('refunds are not built yet');
}

export function settleRefund(_state: PaymentIntent, _refundId: string, _now: number): Decision {
  throw new Error('refunds are not built yet');
}
