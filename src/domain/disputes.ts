/**
 * Test-mode disputes, the pure part: a charge paid with a method that is disputed
 * (pm_card_createDispute) gets a dispute as soon as it is captured (`reconcileDisputes`), with the
 * funds withdrawn at once, as Stripe does. The merchant stages evidence and submits it (under
 * review until the `dispute` timer decides it by Stripe's test evidence values), or closes the
 * dispute, accepting the loss. While a dispute is open or was lost its charge cannot be refunded
 * (`assertRefundable`, which refunds.ts calls).
 */
import { type Charge, type Dispute, type DisputeStatus, type FreshIds, refundable } from './charge.js';
import { DomainError } from './errors.js';
import {
  type Decision,
  type DomainEvent,
  type IntentSettings,
  mergeMetadata,
  METADATA_MAX_KEYS,
  type PaymentIntent,
  subjectEvent,
  unchanged,
} from './intent.js';
import type { EventType } from './status.js';
import { findTestPaymentMethod } from './test-payment-methods.js';

/** Stripe's evidence fields (a dispute's `evidence` hash): every one a string, a file's id for the documents. */
export const EVIDENCE_FIELDS = [
  'access_activity_log',
  'billing_address',
  'cancellation_policy',
  'cancellation_policy_disclosure',
  'cancellation_rebuttal',
  'customer_communication',
  'customer_email_address',
  'customer_name',
  'customer_purchase_ip',
  'customer_signature',
  'duplicate_charge_documentation',
  'duplicate_charge_explanation',
  'duplicate_charge_id',
  'product_description',
  'receipt',
  'refund_policy',
  'refund_policy_disclosure',
  'refund_refusal_explanation',
  'service_date',
  'service_documentation',
  'shipping_address',
  'shipping_carrier',
  'shipping_date',
  'shipping_documentation',
  'shipping_tracking_number',
  'uncategorized_file',
  'uncategorized_text',
] as const;
export type EvidenceField = (typeof EVIDENCE_FIELDS)[number];

/**
 * Stripe's test evidence values: `uncategorized_text` set to one of these decides a submitted
 * dispute. Any other evidence leaves it under review, as Stripe's test mode does.
 */
export const WINNING_EVIDENCE = 'winning_evidence';
export const LOSING_EVIDENCE = 'losing_evidence';

/** Stripe's limit on the evidence's combined length, in characters. */
export const EVIDENCE_MAX_CHARACTERS = 150_000;

/** How long the merchant has to respond to a new dispute. */
export const EVIDENCE_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/** Statuses in which the evidence can still change, be submitted, or the dispute be accepted. */
const RESPONDABLE: readonly DisputeStatus[] = ['needs_response'];
/** Statuses in which the charge's money is held by the dispute: no refund. */
const HOLDING: readonly DisputeStatus[] = ['needs_response', 'under_review', 'lost'];

export interface DisputeUpdate {
  disputeId: string;
  /** Evidence fields to merge; "" removes a field. */
  evidence?: Record<string, string>;
  metadata?: Record<string, string> | null;
  submit: boolean;
}

/**
 * After every transition: a dispute for each charge that has just been captured with a method that
 * disputes its payments. Test mode only; one dispute a charge.
 */
export function reconcileDisputes(
  before: PaymentIntent,
  decision: Decision,
  fresh: FreshIds,
  now: number,
  _settings: IntentSettings,
): Decision {
  const after = decision.state;
  if (after.livemode) return decision;
  const charge = after.charges.find((c) => justCaptured(before, c) && disputeReasonOf(c) !== null && !hasDispute(after, c.id));
  if (!charge) return decision;
  const dispute: Dispute = {
    id: fresh.disputeId,
    charge: charge.id,
    created: now,
    amount: charge.amountCaptured,
    reason: disputeReasonOf(charge)!,
    status: 'needs_response',
    evidence: {},
    evidenceSubmittedAt: null,
    dueBy: now + EVIDENCE_WINDOW_MS,
    metadata: {},
    fundsWithdrawn: true,
  };
  const state: PaymentIntent = {
    ...after,
    charges: after.charges.map((c) => (c.id === charge.id ? { ...c, disputed: true } : c)),
    disputes: [...after.disputes, dispute],
  };
  return {
    ...decision,
    state,
    events: [...decision.events, ...disputeEvents(dispute.id, 'charge.dispute.created', 'charge.dispute.funds_withdrawn')],
  };
}

/** POST /v1/disputes/:id: evidence and metadata merge; `submit` sends the evidence for review. */
export function updateDispute(state: PaymentIntent, command: DisputeUpdate, now: number, settings: IntentSettings): Decision {
  const dispute = findDispute(state, command.disputeId);
  const touchesEvidence = command.evidence !== undefined || command.submit;
  if (touchesEvidence && !RESPONDABLE.includes(dispute.status)) {
    throw notRespondable(dispute, 'update the evidence of', command.evidence !== undefined ? 'evidence' : 'submit');
  }
  if (touchesEvidence && now > dispute.dueBy) {
    throw new DomainError({
      code: 'dispute_unexpected_state',
      field: command.evidence !== undefined ? 'evidence' : 'submit',
      detail: `The evidence for dispute ${dispute.id} was due by ${new Date(dispute.dueBy).toISOString()}; it can no longer be changed or submitted.`,
    });
  }
  const evidence = command.evidence === undefined ? dispute.evidence : mergeEvidence(dispute.evidence, command.evidence);
  const metadata = command.metadata === undefined ? dispute.metadata : mergeMetadata(dispute.metadata, command.metadata);
  if (Object.keys(metadata).length > METADATA_MAX_KEYS) {
    throw new DomainError({
      code: 'parameter_invalid',
      field: 'metadata',
      detail: `{{metadata}} can have at most ${METADATA_MAX_KEYS} keys.`,
    });
  }
  const characters = Object.values(evidence).reduce((sum, text) => sum + text.length, 0);
  if (characters > EVIDENCE_MAX_CHARACTERS) {
    throw new DomainError({
      code: 'parameter_invalid',
      field: 'evidence',
      detail: `The fields of {{evidence}} can have at most ${EVIDENCE_MAX_CHARACTERS} characters together; these would have ${characters}.`,
    });
  }
  if (command.submit && Object.keys(evidence).length === 0) {
    throw new DomainError({
      code: 'parameter_missing',
      field: 'evidence',
      detail: 'There is no evidence to submit: pass at least one field of {{evidence}}.',
    });
  }
  const submitted = command.submit
    ? { status: 'under_review' as const, evidenceSubmittedAt: now }
    : { status: dispute.status, evidenceSubmittedAt: dispute.evidenceSubmittedAt };
  const next: Dispute = { ...dispute, evidence, metadata, ...submitted };
  if (sameDispute(dispute, next)) return unchanged(state);
  return {
    state: replaceDispute(state, next),
    events: disputeEvents(next.id, 'charge.dispute.updated'),
    timers: command.submit ? [{ kind: 'dispute', key: next.id, at: now + settings.disputeReviewDelayMs }] : [],
    paymentError: null,
  };
}

/** POST /v1/disputes/:id/close: the merchant accepts the dispute, which is lost. */
export function closeDispute(state: PaymentIntent, disputeId: string, _now: number): Decision {
  const dispute = findDispute(state, disputeId);
  if (!RESPONDABLE.includes(dispute.status)) throw notRespondable(dispute, 'close', undefined);
  return closed(state, { ...dispute, status: 'lost' });
}

/**
 * The dispute timer: submitted evidence is decided by Stripe's test values. Idempotent: a dispute
 * no longer under review, or whose evidence names no outcome, is left as it is.
 */
export function decideDispute(state: PaymentIntent, disputeId: string, _now: number): Decision {
  const dispute = state.disputes.find((d) => d.id === disputeId);
  if (dispute?.status !== 'under_review') return unchanged(state);
  const text = dispute.evidence.uncategorized_text;
  if (text === WINNING_EVIDENCE) return closed(state, { ...dispute, status: 'won' });
  if (text === LOSING_EVIDENCE) return closed(state, { ...dispute, status: 'lost' });
  return unchanged(state);
}

/**
 * Refunds call this before refunding `charge`: Stripe refuses a refund of a charge whose dispute
 * is open or was lost (its money already went back through the dispute).
 */
export function assertRefundable(state: PaymentIntent, charge: Charge): void {
  const dispute = state.disputes.findLast((d) => d.charge === charge.id);
  if (dispute && HOLDING.includes(dispute.status)) {
    throw new DomainError({
      code: 'charge_disputed',
      field: 'charge',
      detail: `Charge ${charge.id} has been charged back (dispute ${dispute.id} is ${dispute.status}); it cannot be refunded.`,
    });
  }
}

/** Whether `charge` can still be refunded: something left, and no dispute holding its money (Stripe's is_charge_refundable). */
export function isChargeRefundable(state: PaymentIntent, charge: Charge): boolean {
  const dispute = state.disputes.findLast((d) => d.charge === charge.id);
  return refundable(charge) > 0n && !(dispute && HOLDING.includes(dispute.status));
}

function closed(state: PaymentIntent, dispute: Dispute): Decision {
  const won = dispute.status === 'won';
  const withCharge: PaymentIntent = {
    ...replaceDispute(state, dispute),
    // A won dispute gives the charge its money back: it is no longer disputed.
    charges: state.charges.map((c) => (c.id === dispute.charge ? { ...c, disputed: !won } : c)),
  };
  const types: EventType[] = won ? ['charge.dispute.closed', 'charge.dispute.funds_reinstated'] : ['charge.dispute.closed'];
  return { state: withCharge, events: disputeEvents(dispute.id, ...types), timers: [], paymentError: null };
}

function findDispute(state: PaymentIntent, id: string): Dispute {
  const dispute = state.disputes.find((d) => d.id === id);
  if (!dispute)
    throw new DomainError({ code: 'resource_missing', field: 'id', resource: { type: 'dispute', id }, detail: `No such dispute: '${id}'` });
  return dispute;
}

function notRespondable(dispute: Dispute, operation: string, field: 'evidence' | 'submit' | undefined): DomainError {
  return new DomainError({
    code: 'dispute_unexpected_state',
    field,
    detail:
      `You cannot ${operation} dispute ${dispute.id} because it has a status of ${dispute.status}. ` +
      `Only a dispute with one of the following statuses allows it: ${RESPONDABLE.join(', ')}.`,
  });
}

function mergeEvidence(current: Record<string, string>, patch: Record<string, string>): Record<string, string> {
  const merged = { ...current };
  for (const [field, value] of Object.entries(patch)) {
    if (!(EVIDENCE_FIELDS as readonly string[]).includes(field)) {
      throw new DomainError({ code: 'parameter_invalid', field: 'evidence', detail: `{{evidence}} has no field ${field}.` });
    }
    if (value === '') delete merged[field];
    else merged[field] = value;
  }
  return merged;
}

function replaceDispute(state: PaymentIntent, dispute: Dispute): PaymentIntent {
  return { ...state, disputes: state.disputes.map((d) => (d.id === dispute.id ? dispute : d)) };
}

function sameDispute(a: Dispute, b: Dispute): boolean {
  return JSON.stringify({ ...a, amount: null }) === JSON.stringify({ ...b, amount: null });
}

function disputeEvents(id: string, ...types: EventType[]): DomainEvent[] {
  return types.map((type) => subjectEvent(type, { kind: 'dispute', id }));
}

function justCaptured(before: PaymentIntent, charge: Charge): boolean {
  if (charge.status !== 'succeeded' || !charge.captured || charge.amountCaptured === 0n) return false;
  const was = before.charges.find((c) => c.id === charge.id);
  return !(was && was.status === 'succeeded' && was.captured);
}

function disputeReasonOf(charge: Charge): string | null {
  return (charge.paymentMethod && findTestPaymentMethod(charge.paymentMethod)?.dispute) ?? null;
}

function hasDispute(state: PaymentIntent, chargeId: string): boolean {
  return state.disputes.some((d) => d.charge === chargeId);
}
