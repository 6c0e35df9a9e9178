/**
 * The OpenAPI document's examples for disputes: an intent paid with pm_card_createDispute goes
 * through the domain's transitions at fixed times (so its dispute is the one the code makes), and
 * is rendered by the wire function.
 */
import type { Command, IntentSettings, PaymentIntent } from '../../../domain/intent.js';
import { createPaymentIntent, decide } from '../../../domain/payment-intent.js';
import { disputeToWire } from '../wire/dispute.js';

const settings: IntentSettings = {
  asyncSettleDelayMs: 5_000,
  cryptoMonitorWindowMs: 86_400_000,
  refundSettleDelayMs: 5_000,
  disputeReviewDelayMs: 5_000,
  escrowHoldSeconds: 604_800,
  escrowHeldPollMs: 60_000,
};
const FRESH = {
  chargeId: 'ch_01M6DT4K9Rq2vLx8NcWbTe5h',
  refundId: 're_01M6DT4K9RuN3kPz7YdGsA4j',
  disputeId: 'dp_01M6DT4K9RxF6tHm2QwJpV8c',
};
const PAID_AT = '2026-11-02T09:41:07.512Z';

function then(intent: PaymentIntent, command: Command, time: string): PaymentIntent {
  return decide(intent, command, Date.parse(time), settings, FRESH).state;
}

const created = createPaymentIntent(
  {
    merchantId: 'acct_01M66HXNY7pNeLV49tbYOI5i',
    livemode: false,
    id: 'pi_01M6DT4K9Rk7wQe3ZsHnXb2D',
    clientSecret: 'pi_01M6DT4K9Rk7wQe3ZsHnXb2D_secret_Qm8rT2vXk9Lp4Wz7NcYb3Hd6J',
  },
  { amount: 2000n, currency: 'usd', paymentMethod: 'pm_card_createDispute' },
  Date.parse(PAID_AT),
).state;
const disputed = then(created, { type: 'confirm', challengeToken: 'pbNjWmlkUm9qzNQHGWMZudMYiNymMVXv' }, PAID_AT);
const dispute = (intent: PaymentIntent) => disputeToWire(intent, intent.disputes[0]!);

export const disputeExample = dispute(disputed);

/** POST /v1/disputes/:id: evidence that wins in test mode, submitted. */
export const updateDisputeRequest = {
  evidence: { uncategorized_text: 'winning_evidence', customer_email_address: 'jenny.rosen@example.com' },
  metadata: { case: 'C-2210' },
  submit: true,
};
const submitted = then(
  disputed,
  { type: 'update_dispute', disputeId: FRESH.disputeId, ...updateDisputeRequest },
  '2026-11-03T10:12:44.201Z',
);
export const submittedDispute = dispute(submitted);

export const closedDispute = dispute(then(disputed, { type: 'close_dispute', disputeId: FRESH.disputeId }, '2026-11-03T10:12:44.201Z'));

export const disputeList = { object: 'list' as const, url: '/v1/disputes', has_more: false, data: [disputeExample] };
