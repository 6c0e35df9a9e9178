/**
 * The payment methods of 001_… in test mode, the pure part (helper E builds this): currency rules
 * and amount limits per method, redirect authorization, blik codes, and wire transfers funded by
 * the test helper (`fund`), partially or in full.
 */
import type { Decision, PaymentIntent } from './intent.js';

export function fund(_state: PaymentIntent, _amount: bigint, _reference: string | undefined, _now: number): Decision {
  throw new Error('wire transfers are not built yet');
}
