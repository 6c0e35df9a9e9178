/** The transitions of an intent's off-chain settlement (src/domain/settlement.ts): delivery confirmed, then the simulator's step. */
import { invalid, unexpectedState } from './errors.js';
import { type Decision, event, type PaymentIntent, type Timer, unchanged } from './intent.js';

/**
 * The merchant confirms delivery (or the condition): the intent must be paid (succeeded) and have a
 * settlement. Settlement starts now, and the simulator's timer finishes it `delayMs` later. A
 * second confirmation changes nothing.
 */
export function confirmDelivery(state: PaymentIntent, now: number, delayMs: number): Decision {
  const s = state.settlement;
  if (!s) {
    throw invalid('parameter_invalid', 'settlement', 'This PaymentIntent has no settlement: it was not created with a settlement type.');
  }
  if (s.deliveryConfirmedAt !== null) return unchanged(state);
  if (state.status !== 'succeeded') throw unexpectedState('confirm_delivery', state.status, ['succeeded']);
  const timers: Timer[] = [{ kind: 'settlement', at: now + delayMs }];
  return {
    state: { ...state, settlement: { ...s, deliveryConfirmedAt: now, status: 'in_progress', startedAt: now } },
    events: [],
    timers,
    paymentError: null,
  };
}

/**
 * The simulator's step (the `settlement` timer, at least once): an in-progress settlement completes.
 * Its `payment_intent.updated` tells the merchant's webhook endpoints to read the settlement (the
 * Stripe object has no field for it, so the event's previous_attributes are empty).
 */
export function advanceSettlement(state: PaymentIntent, now: number): Decision {
  const s = state.settlement;
  if (s?.status !== 'in_progress') return unchanged(state);
  return {
    state: { ...state, settlement: { ...s!, status: 'completed', completedAt: now } },
    events: [event('payment_intent.updated')],
    timers: [],
    paymentError: null,
  };
}
