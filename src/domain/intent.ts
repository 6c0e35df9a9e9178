/**
 * The payment intent as the domain holds it, the commands that change it and what a decision
 * returns — types and the few helpers every transition shares. The transitions themselves are in
 * payment-intent.ts (card-style and bank payments) and crypto-intent.ts (on-chain payments).
 */
import { bigintAsString } from '../lib/json.js';
import type { Charge, Dispute, EventSubject, Refund, RefundReason } from './charge.js';
import type { CryptoOptions, CryptoPayment, CryptoTransfer, PayerSignature } from './crypto.js';
import type { EscrowObservation, SignedDeposit } from './escrow.js';
import type { Settlement, SettlementParams } from './settlement.js';
import type { CancellationReason, CaptureMethod, ConfirmationMethod, EventType, Status } from './status.js';
import type { PaymentMethodType } from './test-payment-methods.js';

export interface PaymentError {
  type: 'card_error' | 'invalid_request_error';
  code: string;
  declineCode: string | null;
  message: string;
  paymentMethod: { id: string; type: PaymentMethodType };
}

/** What a mandate's object reports about a period's debit (the transitions are in debit-intent.ts). */
export type DebitReport =
  /** A debit transaction is written down and about to be sent (or was re-sent). */
  | { kind: 'processing'; attemptId: string; txHash: string | null }
  /** The Debited log is final (the network's confirmations). */
  | { kind: 'succeeded'; txHash: string; blockNumber: bigint; amount: bigint }
  /** The debit cannot be paid now (short balance, allowance or deposit) or its transaction reverted; retried in the period. */
  | {
      kind: 'failed';
      code: 'account_balance_too_low' | 'allowance_too_low' | 'deposit_too_low' | 'transaction_reverted';
      message: string;
    }
  /** The period ended without a debit, or the mandate was canceled. */
  | { kind: 'closed'; reason: 'period_forfeited' | 'mandate_canceled' };

/** The debit behind a mandate's intent: which mandate and period, where, between whom, and its transaction. */
export interface DebitDetail {
  /** `mdt_…` */
  mandate: string;
  /** The mandate's period (1, 2, …). */
  period: number;
  network: string;
  /** The network's chain id (its charge's payment_method_details); absent in a debit intent recorded before it was kept. */
  chainId?: number;
  /** The mandate's contract, which the debit is sent to. */
  contract: string;
  token: { symbol: string; decimals: number; address: string | null };
  payer: string;
  payee: string;
  /** The relayer's attempt of the latest send; null before one. */
  attemptId: string | null;
  /** The latest debit transaction; null before it is known. */
  txHash: string | null;
  /** The block of the final Debited log; null until the debit succeeded. */
  blockNumber: bigint | null;
}

/** A pending 3-D Secure challenge; each family builds the URL from the token. */
export interface ChallengeAction {
  type: 'redirect_to_url';
  challengeToken: string;
  returnUrl: string | null;
}

/** A BLIK code was accepted: the payer approves the payment in their bank app (the settle timer, in test mode). */
export interface BlikAuthorizeAction {
  type: 'blik_authorize';
}

/** Waiting for a bank transfer (customer_balance) with this reference; what is still due is amount - amountReceived. */
export interface BankTransferAction {
  type: 'display_bank_transfer_instructions';
  reference: string;
}

/** Waiting for an on-chain transfer; the details (address, amount, expiry) are in `crypto`. */
export interface CryptoTransferAction {
  type: 'crypto_transfer';
}

/**
 * Waiting for the payer's lock on the escrow contract (capture_method=manual for crypto, or a
 * settlement); the terms (contract, escrow id, amount, merchant, deadline) are in `crypto.escrow`.
 */
export interface CryptoEscrowDepositAction {
  type: 'crypto_escrow_deposit';
}

/**
 * Bounds of an amount the payer chooses (a Checkout line item's custom_unit_amount), in the intent's
 * minor units; null bounds are open. An intent without them has the amount its merchant set.
 */
export interface PayerAmount {
  minimum: bigint | null;
  maximum: bigint | null;
}

/**
 * A deposit address handed out when the intent is created, before any network is chosen: derived from
 * the merchant's xpub like every deposit address, it is the same on every EVM network (000_…'s
 * walletAddress). Confirming the intent uses it instead of taking a new one.
 */
export interface ReservedDeposit {
  address: string;
  /** The index under the merchant's xpub (xpub/0/index). */
  index: number;
}

export interface PaymentIntent {
  id: string;
  merchantId: string;
  livemode: boolean;
  /** Milliseconds since the epoch. */
  created: number;
  /** Milliseconds since the epoch: the last change (the creation until there is one). */
  updated: number;
  amount: bigint;
  amountCapturable: bigint;
  amountReceived: bigint;
  /** An ISO 4217 code, or for a crypto intent the token's own code (usdc, eth). */
  currency: string;
  status: Status;
  captureMethod: CaptureMethod;
  confirmationMethod: ConfirmationMethod;
  clientSecret: string;
  paymentMethod: string | null;
  paymentMethodTypes: PaymentMethodType[];
  lastPaymentError: PaymentError | null;
  nextAction: ChallengeAction | CryptoTransferAction | CryptoEscrowDepositAction | BlikAuthorizeAction | BankTransferAction | null;
  cancellationReason: CancellationReason | null;
  canceledAt: number | null;
  description: string | null;
  metadata: Record<string, string>;
  receiptEmail: string | null;
  statementDescriptor: string | null;
  customer: string | null;
  /** A per-intent callback (Paytree's notification_url) that receives this intent's events. */
  notificationUrl: string | null;
  /** A payment method whose 3-D Secure challenge has been passed, so a manual re-confirm may proceed. */
  authenticatedPaymentMethod: string | null;
  /** The on-chain payment of a crypto intent (payment_method_types ["crypto"]); null otherwise. */
  crypto: CryptoPayment | null;
  /** The Checkout Session (cs_…) that made this intent and is told how it ends; null for an intent made directly. */
  checkoutSession: string | null;
  /** Set when the payer chooses the amount at confirmation, within these bounds; null: the amount is the merchant's. */
  payerAmount: PayerAmount | null;
  /** The mandate (mdt_…) this intent is a debit of; null for an intent a merchant or a session made. */
  mandate: string | null;
  /** A mandate's debit: what the mandate's object reported (src/domain/debit-intent.ts); null otherwise. */
  debit: DebitDetail | null;
  /** The off-chain settlement to the merchant (Finternet's type and settlement fields); null for an intent without one. */
  settlement: Settlement | null;
  /** Every confirm attempt, oldest first (src/domain/charge.ts); the last is `latest_charge`. */
  charges: Charge[];
  /** Refunds of this intent's charges, oldest first. */
  refunds: Refund[];
  /** Test-mode disputes of this intent's charges, oldest first. */
  disputes: Dispute[];
  /** The merchant's own reference for what is paid (a receiver, a cart: 000_…'s receiverId); null when none was given. */
  reference: string | null;
  /** The deposit address taken at creation (reserveDeposit); null when it is taken at confirmation, as usual. */
  reservedDeposit: ReservedDeposit | null;
  /** Bumped by every change; the D1 read model only ever moves forward to a higher revision. */
  revision: number;
}

export interface CreateParams {
  amount: bigint;
  currency: string;
  captureMethod?: CaptureMethod;
  confirmationMethod?: ConfirmationMethod;
  paymentMethod?: string;
  paymentMethodTypes?: PaymentMethodType[];
  description?: string;
  metadata?: Record<string, string>;
  receiptEmail?: string;
  statementDescriptor?: string;
  customer?: string;
  notificationUrl?: string;
  /** The crypto options, resolved against the configured chains. */
  crypto?: CryptoOptions;
  /** The Checkout Session making this intent. */
  checkoutSession?: string;
  /** The payer chooses the amount at confirmation, within these bounds. */
  payerAmount?: PayerAmount;
  /** A crypto intent settled off chain after delivery (src/domain/settlement.ts). */
  settlement?: SettlementParams;
  /** The merchant's own reference for what is paid. */
  reference?: string;
  /** Take the deposit address now rather than at confirmation (the shell allocates it: ReservedDeposit). */
  reserveDeposit?: boolean;
}

/** Fields an update may set; `null` clears a field, metadata merges ("" deletes a key). */
export interface UpdateParams {
  amount?: bigint;
  currency?: string;
  captureMethod?: CaptureMethod;
  paymentMethod?: string;
  paymentMethodTypes?: PaymentMethodType[];
  description?: string | null;
  metadata?: Record<string, string> | null;
  receiptEmail?: string | null;
  statementDescriptor?: string | null;
  customer?: string | null;
}

export interface ConfirmCommand {
  type: 'confirm';
  paymentMethod?: string;
  returnUrl?: string;
  /** Fresh randomness for the challenge link, should this attempt need one. */
  challengeToken: string;
  /** The payer's six-digit BLIK code (payment_method_options[blik][code]), for a blik payment method. */
  blikCode?: string;
  /** The amount the payer chose (an intent with payerAmount only), in minor units. */
  amount?: bigint;
  /** The network and token a payer chose for an intent whose payment_method_types include crypto but name none yet. */
  crypto?: CryptoOptions;
  /** For a crypto intent: the deposit address the shell allocated and the chain's head then. */
  deposit?: { address: string; index: number; startBlock: bigint };
}

/** What the intent's watcher saw on chain: every transfer to the deposit address still on chain. */
export interface ChainObservation {
  type: 'chain_observed';
  transfers: CryptoTransfer[];
  head: bigint;
  /** When the head was read: every block up to it has been scanned. */
  observedAt: number;
}

export interface RefundParams {
  /** The charge to refund; absent: the intent's succeeded charge. */
  charge?: string;
  /** Minor units; absent: what is left to refund. */
  amount?: bigint;
  reason?: RefundReason;
  metadata?: Record<string, string>;
  /** Crypto only: where the refund goes, instead of the payer's `from` address. */
  destination?: string;
  /** Crypto only: what is sent back; absent: the payment itself. */
  source?: 'payment' | 'excess' | 'late_funds';
  /** Crypto only, set by the intent's object (not the wire): the chain's head when the refund is created. */
  head?: bigint;
}

/** A transfer the network's watcher saw to a crypto refund's destination (src/domain/crypto-refunds.ts). */
export interface RefundObservation {
  type: 'refund_observed';
  refundId: string;
  transfers: (CryptoTransfer & { to: string })[];
  head: bigint;
  observedAt: number;
}

export type Command =
  | { type: 'update'; params: UpdateParams }
  | ConfirmCommand
  | { type: 'capture'; amountToCapture?: bigint }
  | { type: 'cancel'; reason?: CancellationReason }
  | { type: 'complete_challenge'; outcome: 'succeeded' | 'failed' }
  | { type: 'settle' }
  | ChainObservation
  /** A payer's EIP-712 signature, already verified by the shell. */
  | { type: 'record_signature'; signature: PayerSignature }
  /** What the intent's escrow poll read from the contract (src/domain/escrow.ts). */
  | EscrowObservation
  /** A payer's EIP-712 Deposit signature, verified by the shell against the escrow's terms: the relayer is to send it. */
  | { type: 'escrow_deposit'; deposit: Omit<SignedDeposit, 'id' | 'requestedAt'> }
  /** What the mandate's object reports about this debit intent's period (src/intents/debits.ts). */
  | { type: 'debit_reported'; report: DebitReport }
  /** POST /v1/refunds (src/domain/refunds.ts): `refundId` is drawn by the shell. */
  | { type: 'refund'; refundId: string; params: RefundParams }
  | { type: 'update_refund'; refundId: string; metadata: Record<string, string> | null }
  | { type: 'cancel_refund'; refundId: string }
  /** The refund timer: a pending card-style refund settles (succeeds, or fails for pm_card_refundFail). */
  | { type: 'settle_refund'; refundId: string }
  | RefundObservation
  /** POST /v1/disputes/:id (src/domain/disputes.ts): evidence merges; `submit` sends it for review. */
  | {
      type: 'update_dispute';
      disputeId: string;
      evidence?: Record<string, string>;
      metadata?: Record<string, string> | null;
      submit: boolean;
    }
  | { type: 'close_dispute'; disputeId: string }
  /** The dispute timer: submitted evidence is decided (won or lost by Stripe's test evidence values). */
  | { type: 'decide_dispute'; disputeId: string }
  /** POST /v1/test_helpers/payment_intents/:id/fund: a wire transfer arrives (src/domain/payment-methods.ts). */
  | { type: 'fund'; amount: bigint; reference?: string }
  /** The merchant confirms delivery (or the condition) of an intent with a settlement: settlement starts. */
  | { type: 'confirm_delivery' }
  /** The settlement timer: the off-ramp simulator finishes an in-progress settlement. */
  | { type: 'advance_settlement' };

export interface DomainEvent {
  type: EventType;
  /** Wire-relevant fields whose values changed, with their values before the change. */
  previousAttributes: Partial<PaymentIntent>;
  /** The intent right after this event, when it is not the decision's final state (create + confirm in one call). */
  snapshot?: PaymentIntent;
  /** For charge.*, refund.* and charge.dispute.* events: the object the event is about (its wire renders it from the intent). */
  subject?: EventSubject;
}

/**
 * Something the shell must do later, at `at` (ms): settle an asynchronous payment, or bring the
 * chain watcher's registration in line with the intent (`watch`, see crypto-intent.ts watchRequest).
 * An escrowed intent (escrow-intent.ts) polls its contract (`escrow`) and has the relayer send its
 * transactions: `escrow_release`, `escrow_refund` (keyed by the payer's address), `escrow_deposit`.
 */
export interface Timer {
  kind: 'settle' | 'watch' | 'refund' | 'dispute' | 'settlement' | 'escrow' | 'escrow_release' | 'escrow_refund' | 'escrow_deposit';
  /** Which refund or dispute (its id); absent for the intent's own timers. */
  key?: string;
  at: number;
}

export interface Decision {
  state: PaymentIntent;
  events: DomainEvent[];
  timers: Timer[];
  /** Set when a payment attempt failed: the family answers with it (402 on Stripe's wire), the state still commits. */
  paymentError: PaymentError | null;
}

/** The durations the state machine works with; parsed from the deployment's variables (src/env.ts). */
export interface IntentSettings {
  /** How long an asynchronous (bank debit) payment stays in processing before it settles. */
  asyncSettleDelayMs: number;
  /** How long after a crypto intent stops waiting its address is still watched for late funds. */
  cryptoMonitorWindowMs: number;
  /** How long an escrowed lock is held for capture after the payment window closes, before its payer may reclaim it (seconds). */
  escrowHoldSeconds: number;
  /** How often an escrow read its contract once the lock is held (while it waits, its network's pollIntervalMs). */
  escrowHeldPollMs: number;
  /** How long a test-mode card refund stays pending before it succeeds (or fails). */
  refundSettleDelayMs: number;
  /** How long submitted dispute evidence is under review before the test outcome. */
  disputeReviewDelayMs: number;
}

/** Checked on the merged result of an update; the wire schema checks each request on its own. */
export const METADATA_MAX_KEYS = 50;

/** Statuses in which nothing is in flight yet: confirmable, and the payment fields are editable. */
export const UNSETTLED: readonly Status[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

export function unchanged(state: PaymentIntent): Decision {
  return { state, events: [], timers: [], paymentError: null };
}

export function event(type: EventType): DomainEvent {
  return { type, previousAttributes: {} };
}

/** An event about a charge, refund or dispute of the intent. */
export function subjectEvent(type: EventType, subject: EventSubject): DomainEvent {
  return { type, previousAttributes: {}, subject };
}

/** Stripe's metadata update: keys merge, "" removes a key, null (or "" for the whole field) clears all. */
export function mergeMetadata(current: Record<string, string>, patch: Record<string, string> | null): Record<string, string> {
  if (patch === null) return {};
  const merged = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** Fields that a client can see, compared by value, with their values before the change. */
const VISIBLE_FIELDS = [
  'amount',
  'amountCapturable',
  'amountReceived',
  'currency',
  'status',
  'captureMethod',
  'confirmationMethod',
  'paymentMethod',
  'paymentMethodTypes',
  'lastPaymentError',
  'nextAction',
  'cancellationReason',
  'canceledAt',
  'description',
  'metadata',
  'receiptEmail',
  'statementDescriptor',
  'customer',
  'notificationUrl',
  'crypto',
  'mandate',
  'debit',
] as const satisfies readonly (keyof PaymentIntent)[];

export function changedFields(before: PaymentIntent, after: PaymentIntent): DomainEvent['previousAttributes'] {
  const changed: DomainEvent['previousAttributes'] = {};
  for (const field of VISIBLE_FIELDS) {
    if (!sameValue(before[field], after[field])) Object.assign(changed, { [field]: before[field] });
  }
  return changed;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a, bigintAsString) === JSON.stringify(b, bigintAsString);
}
