/**
 * The OpenAPI document's examples for refunds: an intent paid with pm_card_visa and refunded in
 * part, reached through the domain's own transitions and rendered by the wire function.
 */
import type { Command, IntentSettings, PaymentIntent } from '../../../domain/intent.js';
import { createPaymentIntent, decide } from '../../../domain/payment-intent.js';
import { refundToWire } from '../wire/refund.js';

const settings: IntentSettings = {
  asyncSettleDelayMs: 5_000,
  cryptoMonitorWindowMs: 86_400_000,
  refundSettleDelayMs: 5_000,
  disputeReviewDelayMs: 5_000,
  escrowHoldSeconds: 604_800,
  escrowHeldPollMs: 60_000,
};
const FRESH = {
  chargeId: 'ch_01M6DT4K9SmG2pTbXwQ7rLc5',
  refundId: 're_01M6DT4K9SAa1bC2dE3fG4hI',
  disputeId: 'dp_01M6DT4K9SzY9xW8vU7tS6rQ',
};
const REFUND_ID = 're_01M6FQ0Z3HxK7vN2cR8mT4wB';
const at = (iso: string) => Date.parse(iso);

function then(intent: PaymentIntent, command: Command, time: string): PaymentIntent {
  return decide(intent, command, at(time), settings, FRESH).state;
}

const paid = then(
  createPaymentIntent(
    {
      id: 'pi_01M6DT4K9RbpB3RzpDXWRaQM',
      clientSecret: 'pi_01M6DT4K9RbpB3RzpDXWRaQM_secret_pB3urX9Jfeaq2rjnwl6TbEGLn',
      merchantId: 'acct_01M66HXNY7pNeLV49tbYOI5i',
      livemode: false,
    },
    { amount: 2000n, currency: 'usd', paymentMethod: 'pm_card_visa' },
    at('2026-11-02T09:41:07.512Z'),
  ).state,
  { type: 'confirm', challengeToken: 'pbNjWmlkUm9qzNQHGWMZudMYiNymMVXv' },
  '2026-11-02T09:41:07.512Z',
);

export const createRefundRequest = { payment_intent: paid.id, amount: 500, reason: 'requested_by_customer' as const };
const refunding = then(
  paid,
  { type: 'refund', refundId: REFUND_ID, params: { amount: 500n, reason: 'requested_by_customer' } },
  '2026-11-03T08:15:42.301Z',
);
const refundOf = (intent: PaymentIntent) => refundToWire(intent, intent.refunds.find((r) => r.id === REFUND_ID)!);

export const pendingRefund = refundOf(refunding);
const settled = then(refunding, { type: 'settle_refund', refundId: REFUND_ID }, '2026-11-03T08:15:47.301Z');
export const succeededRefund = refundOf(settled);

export const updateRefundRequest = { metadata: { ticket: 'T-2291' } };
export const updatedRefund = refundOf(
  then(settled, { type: 'update_refund', refundId: REFUND_ID, metadata: updateRefundRequest.metadata }, '2026-11-03T09:02:11.840Z'),
);
export const canceledRefund = refundOf(then(refunding, { type: 'cancel_refund', refundId: REFUND_ID }, '2026-11-03T08:15:44.017Z'));
export const refundList = { object: 'list' as const, url: '/v1/refunds', has_more: false, data: [succeededRefund] };
