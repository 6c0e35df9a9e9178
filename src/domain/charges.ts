/**
 * The charge bookkeeping: after every transition, `reconcileCharges` makes or moves the attempt's
 * charge from what the transition did to the intent (its status, its payment error, what it
 * received), and adds the `charge.*` events. Transitions never touch charges themselves, so every
 * path — card, bank debit, redirect, crypto, a mandate's debit — records its attempts the same way.
 */
import { type Charge, type ChargeOutcome, type FreshIds, type PaymentMethodDetails, pendingCharge } from './charge.js';
import { type Decision, type DomainEvent, type PaymentIntent, subjectEvent } from './intent.js';
import type { EventType } from './status.js';
import { findTestPaymentMethod } from './test-payment-methods.js';

/** The intent's charges after `decision`, with their events appended after the intent's own. */
export function reconcileCharges(before: PaymentIntent, decision: Decision, fresh: FreshIds, now: number): Decision {
  const after = decision.state;
  const change = chargeChange(before, after, decision, fresh, now);
  if (change === null) return decision;
  const charges = after.charges.some((c) => c.id === change.charge.id)
    ? after.charges.map((c) => (c.id === change.charge.id ? change.charge : c))
    : [...after.charges, change.charge];
  const events: DomainEvent[] = change.events.map((type) => subjectEvent(type, { kind: 'charge', id: change.charge.id }));
  return { ...decision, state: { ...after, charges }, events: [...decision.events, ...events] };
}

function chargeChange(
  before: PaymentIntent,
  after: PaymentIntent,
  decision: Decision,
  fresh: FreshIds,
  now: number,
): { charge: Charge; events: EventType[] } | null {
  const open = pendingCharge(after.charges);
  const attempt = (): Charge => open ?? newCharge(after, fresh.chargeId, now);

  if (decision.paymentError !== null) {
    const error = decision.paymentError;
    const charge: Charge = {
      ...attempt(),
      status: 'failed',
      failureCode: error.declineCode ?? error.code,
      failureMessage: error.message,
      outcome: declined(error.code, error.declineCode),
      paymentMethod: error.paymentMethod.id,
      paymentMethodDetails: detailsOf(after, error.paymentMethod.id),
    };
    return { charge, events: ['charge.failed'] };
  }
  if (before.status === after.status) {
    // A crypto payment's transfers can change while it is processing: the charge's details follow.
    if (open && after.crypto) {
      const details = detailsOf(after, after.paymentMethod);
      if (JSON.stringify(details) !== JSON.stringify(open.paymentMethodDetails)) {
        return { charge: { ...open, paymentMethodDetails: details }, events: ['charge.updated'] };
      }
    }
    return null;
  }
  switch (after.status) {
    case 'processing': {
      if (open) return null;
      return { charge: { ...attempt(), outcome: null }, events: ['charge.pending'] };
    }
    case 'requires_capture': {
      const charge: Charge = { ...succeeded(attempt(), after), captured: false, amountCaptured: 0n };
      return { charge, events: ['charge.succeeded'] };
    }
    case 'succeeded': {
      if (before.status === 'requires_capture') {
        const held = after.charges.findLast((c) => c.status === 'succeeded' && !c.captured);
        if (held) return { charge: { ...held, captured: true, amountCaptured: after.amountReceived }, events: ['charge.captured'] };
      }
      return { charge: succeeded(attempt(), after), events: ['charge.succeeded'] };
    }
    case 'canceled': {
      if (before.status === 'requires_capture') {
        // Canceling an uncaptured payment releases its authorization: the charge shows it refunded.
        const held = after.charges.findLast((c) => c.status === 'succeeded' && !c.captured);
        if (held) return { charge: { ...held, refunded: true, amountRefunded: held.amount }, events: ['charge.expired'] };
      }
      if (open) {
        const expired = after.crypto !== null;
        const charge: Charge = {
          ...open,
          status: 'failed',
          failureCode: expired ? 'payment_expired' : 'payment_canceled',
          failureMessage: expired
            ? 'The payment window closed before the full amount was confirmed on chain.'
            : 'The payment was canceled before it completed.',
          outcome: declined('payment_canceled', null),
        };
        return { charge, events: ['charge.failed'] };
      }
      return null;
    }
    default:
      return null;
  }
}

function newCharge(intent: PaymentIntent, id: string, now: number): Charge {
  return {
    id,
    created: now,
    amount: intent.amount,
    amountCaptured: 0n,
    amountRefunded: 0n,
    status: 'pending',
    captured: false,
    refunded: false,
    disputed: false,
    failureCode: null,
    failureMessage: null,
    outcome: null,
    paymentMethod: intent.paymentMethod,
    paymentMethodDetails: detailsOf(intent, intent.paymentMethod),
  };
}

function succeeded(charge: Charge, intent: PaymentIntent): Charge {
  return {
    ...charge,
    status: 'succeeded',
    amount: intent.amount,
    captured: true,
    amountCaptured: intent.amountReceived,
    failureCode: null,
    failureMessage: null,
    outcome: {
      networkStatus: 'approved_by_network',
      type: 'authorized',
      reason: null,
      riskLevel: 'normal',
      sellerMessage: 'Payment complete.',
    },
    paymentMethod: intent.paymentMethod ?? charge.paymentMethod,
    paymentMethodDetails: detailsOf(intent, intent.paymentMethod ?? charge.paymentMethod),
  };
}

function declined(code: string, declineCode: string | null): ChargeOutcome {
  const issuer = code === 'card_declined';
  return {
    networkStatus: issuer ? 'declined_by_network' : 'not_sent_to_network',
    type: issuer ? 'issuer_declined' : 'invalid',
    reason: declineCode ?? code,
    riskLevel: 'normal',
    sellerMessage: issuer ? 'The bank did not return any further details with this decline.' : 'The payment did not complete.',
  };
}

/** What `payment_method_details` shows for the intent's method now. */
export function detailsOf(intent: PaymentIntent, paymentMethod: string | null): PaymentMethodDetails | null {
  const c = intent.crypto;
  if (c) {
    const counted = c.transfers;
    return {
      type: 'crypto',
      crypto: {
        network: c.network,
        chainId: c.chainId,
        token: { symbol: c.token.symbol, decimals: c.token.decimals, address: c.token.address },
        from: counted[0]?.from ?? null,
        transactions: [...new Set(counted.map((t) => t.txHash))],
      },
    };
  }
  if (paymentMethod === null) return null;
  const method = findTestPaymentMethod(paymentMethod);
  if (!method) return null;
  if (method.type === 'card') {
    const card = method.card ?? { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034, funding: 'credit', country: 'US' };
    return { type: 'card', card };
  }
  if (method.type === 'crypto') return null;
  return { type: method.type, reference: null };
}
