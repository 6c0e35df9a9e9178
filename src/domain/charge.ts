/**
 * Charges, refunds and disputes: what happened to a payment intent's money, attempt by attempt.
 * They live inside the intent (its Durable Object is their only writer, so a refund can never race
 * another refund of the same intent) and are projected to the read model for lists and lookups.
 *
 * - A Charge (`ch_…`) is one confirm attempt: pending while it is in flight, then succeeded or
 *   failed. `reconcileCharges` derives it from what each transition did to the intent, so no
 *   transition has to remember to make one.
 * - A Refund (`re_…`) sends back part or all of a succeeded charge; the sum of a charge's refunds
 *   that are not failed or canceled never exceeds what it captured.
 * - A Dispute (`dp_…`) is a test-mode chargeback on a succeeded charge.
 *
 * Amounts are in the intent's currency's minor units (a crypto intent in a token's own code: base
 * units), as bigints. The transitions are in refunds.ts and disputes.ts; this file holds the shapes
 * and the charge bookkeeping every transition shares.
 */
import type { PaymentMethodType } from './test-payment-methods.js';

export const CHARGE_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type ChargeStatus = (typeof CHARGE_STATUSES)[number];

/** Stripe's `outcome`: what the (test) network said. */
export interface ChargeOutcome {
  networkStatus: 'approved_by_network' | 'declined_by_network' | 'not_sent_to_network';
  type: 'authorized' | 'issuer_declined' | 'blocked' | 'invalid';
  reason: string | null;
  riskLevel: 'normal' | 'elevated' | 'highest' | 'not_assessed';
  sellerMessage: string;
}

/** The method behind a charge, as `payment_method_details` shows it. */
export type PaymentMethodDetails =
  | {
      type: 'card';
      card: { brand: string; last4: string; expMonth: number; expYear: number; funding: 'credit' | 'debit' | 'prepaid'; country: string };
    }
  | {
      type: 'crypto';
      crypto: {
        network: string;
        chainId: number;
        token: { symbol: string; decimals: number; address: string | null };
        /** The payer's address: the sender of the first counted transfer; null before one is seen. */
        from: string | null;
        /** Hashes of the transfers counted for this payment, in chain order. */
        transactions: string[];
      };
    }
  /** Every other method (bank debits, redirects, blik, wire): its type, and a reference where it has one. */
  | { type: Exclude<PaymentMethodType, 'card' | 'crypto'>; reference: string | null };

export interface Charge {
  id: string;
  /** Milliseconds since the epoch. */
  created: number;
  amount: bigint;
  amountCaptured: bigint;
  /** Sum of this charge's refunds that succeeded or are still pending (what is no longer refundable). */
  amountRefunded: bigint;
  status: ChargeStatus;
  captured: boolean;
  /** True once amountRefunded reaches amountCaptured (or an uncaptured authorization was released). */
  refunded: boolean;
  /** True while a dispute on it is open or was lost. */
  disputed: boolean;
  failureCode: string | null;
  failureMessage: string | null;
  outcome: ChargeOutcome | null;
  paymentMethod: string | null;
  paymentMethodDetails: PaymentMethodDetails | null;
}

export const REFUND_STATUSES = ['pending', 'requires_action', 'succeeded', 'failed', 'canceled'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];
export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

/** Where the money a crypto refund sends back came from. */
export type CryptoRefundSource = 'payment' | 'excess' | 'late_funds';

/**
 * A crypto refund: the service holds no key, so the merchant sends it from any wallet; the
 * network's watcher sees a transfer of exactly `amount` base units of the token to `destination`
 * in a block after `fromBlock`, and the refund succeeds once it has its confirmations.
 */
export interface CryptoRefund {
  source: CryptoRefundSource;
  network: string;
  chainId: number;
  token: { symbol: string; decimals: number; address: string | null };
  /** The payer's address unless the merchant gave another. */
  destination: string;
  /** Exactly this many base units, in one transfer. */
  amount: bigint;
  /** The chain's head when the refund was created: only transfers after it count. */
  fromBlock: bigint;
  confirmationsRequired: number;
  /** The transfer that pays it, once seen (it may still need confirmations, or vanish in a reorg). */
  transfer: { txHash: string; logIndex: number; blockNumber: bigint; blockHash: string; from: string } | null;
}

export interface Refund {
  id: string;
  /** The charge refunded (`ch_…`). */
  charge: string;
  created: number;
  /** In the intent's currency's minor units. */
  amount: bigint;
  reason: RefundReason | null;
  metadata: Record<string, string>;
  status: RefundStatus;
  /** Stripe's failure_reason when status is failed (e.g. `declined`, `expired_or_canceled_card`). */
  failureReason: string | null;
  /** Set for a crypto refund, whose next_action is `crypto_refund`. */
  crypto: CryptoRefund | null;
}

export const DISPUTE_STATUSES = ['needs_response', 'under_review', 'won', 'lost'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

export interface Dispute {
  id: string;
  charge: string;
  created: number;
  amount: bigint;
  /** Stripe's dispute reasons: the test card gives `fraudulent`. */
  reason: string;
  status: DisputeStatus;
  /** Evidence fields as Stripe names them (uncategorized_text, product_description…); kept as given. */
  evidence: Record<string, string>;
  /** Milliseconds; set when the evidence was submitted. */
  evidenceSubmittedAt: number | null;
  /** Milliseconds: the evidence is due by then. */
  dueBy: number;
  metadata: Record<string, string>;
  /** True once the funds were withdrawn from the merchant (at creation, as Stripe does). */
  fundsWithdrawn: boolean;
}

/** What `charge.*`, `refund.*` and `charge.dispute.*` events are about: the object their wire renders. */
export interface EventSubject {
  kind: 'charge' | 'refund' | 'dispute';
  id: string;
}

/** Fresh ids for whatever a command may make (the shell draws them; the domain stays free of randomness). */
export interface FreshIds {
  chargeId: string;
  refundId: string;
  disputeId: string;
}

/** The attempt in flight: the latest charge, while pending. */
export function pendingCharge(charges: readonly Charge[]): Charge | null {
  const last = charges.at(-1);
  return last?.status === 'pending' ? last : null;
}

/** The charge that holds the intent's money: the succeeded one (an intent has at most one). */
export function succeededCharge(charges: readonly Charge[]): Charge | null {
  return charges.find((c) => c.status === 'succeeded') ?? null;
}

/** What a charge still has to give back: captured, less its refunds that succeeded or are in flight. */
export function refundable(charge: Charge): bigint {
  return charge.amountCaptured - charge.amountRefunded;
}

/** A refund that counts against its charge: every one but failed and canceled. */
export function countsAgainstCharge(refund: Refund): boolean {
  return refund.status !== 'failed' && refund.status !== 'canceled';
}
