/**
 * The OpenAPI document's examples for charges: intents taken through the domain's transitions at
 * fixed times with fixed ids (as freshIds() would draw them then), each charge rendered by the wire
 * function from the intent that holds it.
 */
import type { FreshIds } from '../../../domain/charge.js';
import type { Command, IntentSettings, PaymentIntent } from '../../../domain/intent.js';
import { createPaymentIntent, decide } from '../../../domain/payment-intent.js';
import { chargeToWire } from '../wire/charge.js';

const owner = { merchantId: 'acct_01M66HXNY7pNeLV49tbYOI5i', livemode: false };
const settings: IntentSettings = {
  asyncSettleDelayMs: 5_000,
  cryptoMonitorWindowMs: 86_400_000,
  refundSettleDelayMs: 5_000,
  disputeReviewDelayMs: 5_000,
  escrowHoldSeconds: 604_800,
  escrowHeldPollMs: 60_000,
};

function paidWith(id: string, secret: string, time: string, paymentMethod: string, fresh: FreshIds, extra: Command[] = []): PaymentIntent {
  const created = createPaymentIntent(
    { ...owner, id, clientSecret: `${id}_secret_${secret}` },
    {
      amount: 2000n,
      currency: 'usd',
      description: 'Order A-1042',
      metadata: { order_id: 'A-1042' },
      receiptEmail: 'jenny.rosen@example.com',
    },
    Date.parse(time),
  ).state;
  return [{ type: 'confirm', paymentMethod, challengeToken: 'pbNjWmlkUm9qzNQHGWMZudMYiNymMVXv' } as Command, ...extra].reduce(
    (state, command) => decide(state, command, Date.parse(time), settings, fresh).state,
    created,
  );
}

const ids = (charge: string): FreshIds => ({
  chargeId: charge,
  refundId: 're_01M6DT4K9RZr8wXvN1pLsQ6e',
  disputeId: 'dp_01M6DT4K9RHn5yKd2cWfRt9u',
});

const declined = paidWith(
  'pi_01M6DT04DQbpB3RzpDXWRaQM',
  'Vd2KqLr8Tn4YwXs6Zp0Ma3Bc7',
  '2026-11-02T09:38:41.207Z',
  'pm_card_chargeDeclined',
  ids('ch_01M6DT04DQKw7rN2bVx5LqPe'),
);
const paid = paidWith(
  'pi_01M6DT4K9RbpB3RzpDXWRaQM',
  'pB3urX9Jfeaq2rjnwl6TbEGLn',
  '2026-11-02T09:41:07.512Z',
  'pm_card_visa',
  ids('ch_01M6DT4K9RQm3cBzF4kTgJ2w'),
);

/** A card payment that succeeded: captured at once. */
export const succeededCharge = chargeToWire(paid, paid.charges[0]!);
/** A declined attempt: failed, with the decline code and the network's outcome. */
export const declinedCharge = chargeToWire(declined, declined.charges[0]!);

export const chargeList = {
  object: 'list' as const,
  url: '/v1/charges',
  has_more: false,
  data: [succeededCharge, declinedCharge],
};
