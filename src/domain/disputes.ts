/**
 * Test-mode disputes, the pure part (helper D builds this): a charge paid with a method that is
 * disputed (pm_card_createDispute) gets a dispute right after it succeeds (`reconcileDisputes`);
 * evidence is updated and submitted, decided by Stripe's test evidence values, or the dispute is
 * closed (accepted, lost).
 */
import type { FreshIds } from './charge.js';
import type { Decision, IntentSettings, PaymentIntent } from './intent.js';

/** After every transition: a dispute for a charge whose method disputes its payments. */
export function reconcileDisputes(
  _before: PaymentIntent,
  decision: Decision,
  _fresh: FreshIds,
  _now: number,
  _settings: IntentSettings,
): Decision {
  return decision;
}

export function updateDispute(
  _state: PaymentIntent,
  _command: { disputeId: string; evidence?: Record<string, string>; metadata?: Record<string, string> | null; submit: boolean },
  _now: number,
  _settings: IntentSettings,
): Decision {
  throw new Error('disputes are not built yet');
}

export function closeDispute(_state: PaymentIntent, _disputeId: string, _now: number): Decision {
  throw new Error('disputes are not built yet');
}

export function decideDispute(_state: PaymentIntent, _disputeId: string, _now: number): Decision {
  throw new Error('disputes are not built yet');
}
