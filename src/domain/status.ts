/** The payment intent's closed vocabularies: statuses, methods, reasons and event types. */

export const STATUSES = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'succeeded',
  'canceled',
] as const;
export type Status = (typeof STATUSES)[number];

export const CAPTURE_METHODS = ['automatic', 'automatic_async', 'manual'] as const;
export type CaptureMethod = (typeof CAPTURE_METHODS)[number];

export const CONFIRMATION_METHODS = ['automatic', 'manual'] as const;
export type ConfirmationMethod = (typeof CONFIRMATION_METHODS)[number];

/** The reasons a merchant may give for a cancel (Stripe's request parameter). */
export const CANCELLATION_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'] as const;
export type RequestedCancellationReason = (typeof CANCELLATION_REASONS)[number];
/**
 * Every reason an intent can show, those the service sets included: `automatic` (Stripe's own value)
 * when a mandate's debit intent is canceled because its mandate ended.
 */
export const ALL_CANCELLATION_REASONS = [...CANCELLATION_REASONS, 'automatic'] as const;
export type CancellationReason = (typeof ALL_CANCELLATION_REASONS)[number];

export const EVENT_TYPES = [
  'payment_intent.created',
  'payment_intent.updated',
  'payment_intent.amount_capturable_updated',
  'payment_intent.canceled',
  'payment_intent.late_funds_received',
  'payment_intent.partially_funded',
  'payment_intent.payment_failed',
  'payment_intent.processing',
  'payment_intent.requires_action',
  'payment_intent.succeeded',
  // About the intent's charges, refunds and disputes (src/domain/charge.ts): the event's object is that one.
  'charge.pending',
  'charge.succeeded',
  'charge.failed',
  'charge.captured',
  'charge.expired',
  'charge.refunded',
  'charge.updated',
  'refund.created',
  'refund.updated',
  'refund.failed',
  'charge.refund.updated',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
