/**
 * The settlement of a crypto intent to the merchant off chain (Finternet's `type`,
 * `settlementMethod`, `settlementDestination`, `settlementStatus`), the pure part. Settlement waits
 * for the payment (the intent succeeded: the funds are on chain and confirmed) and for the
 * merchant's delivery confirmation; it then runs (in_progress) until the method settles it
 * (completed). The only method so far is `off_ramp_mock`, a test-mode simulator whose step is the
 * intent's `settlement` timer (the transitions: settlements.ts). Escrow (funds locked until
 * delivery, released or refunded by a relayer) is the next step and is not modelled here yet.
 */
import { invalid } from './errors.js';

/** DELIVERY_VS_PAYMENT: the merchant confirms delivery; CONDITIONAL: the merchant confirms its condition is met. */
export const SETTLEMENT_TYPES = ['delivery_vs_payment', 'conditional'] as const;
export type SettlementType = (typeof SETTLEMENT_TYPES)[number];

/** Off-ramp to a bank account, simulated: test mode only. */
export const SETTLEMENT_METHODS = ['off_ramp_mock'] as const;
export type SettlementMethod = (typeof SETTLEMENT_METHODS)[number];

export type SettlementStatus = 'pending' | 'in_progress' | 'completed';

export interface Settlement {
  type: SettlementType;
  method: SettlementMethod;
  /** Where the method pays out (a bank account number for off_ramp_mock). */
  destination: string;
  status: SettlementStatus;
  /** Milliseconds; when the merchant confirmed delivery (or the condition). */
  deliveryConfirmedAt: number | null;
  startedAt: number | null;
  completedAt: number | null;
}

export interface SettlementParams {
  type: SettlementType;
  method: SettlementMethod;
  destination: string;
}

/** A new intent's settlement: pending. `off_ramp_mock` is a simulator, refused in live mode. */
export function newSettlement(params: SettlementParams, livemode: boolean): Settlement {
  if (livemode && params.method === 'off_ramp_mock') {
    throw invalid(
      'parameter_invalid',
      'settlement.method',
      'The settlement method off_ramp_mock is a test-mode simulator: live mode cannot use it.',
    );
  }
  return { ...params, status: 'pending', deliveryConfirmedAt: null, startedAt: null, completedAt: null };
}
