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
    // A failed 3-D Secure challenge never reached the card network: Stripe makes no charge for it. A
    // redirect method's payer who refused on the provider's page is a failed attempt of that method.
    if (error.code === AUTHENTICATION_FAILURE && error.paymentMethod.type === 'card' && !open) return null;
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
  const escrowed = escrowChargeChange(before, after);
  if (escrowed !== undefined) return escrowed;
  switch (after.status) {
    case 'requires_action':
    case 'processing': {
      // In flight: a bank debit or a mandate's debit once sent, a crypto payment once funds are seen
      // (a 3-D Secure challenge, or a deposit address nothing was sent to yet, is not an attempt yet).
      if (open) return withDetails(open, after);
      const inFlight = after.status === 'processing' || (after.crypto?.transfers.length ?? 0) > 0;
      if (!inFlight) return null;
      return { charge: attempt(), events: ['charge.pending'] };
    }
    case 'requires_capture': {
      if (before.status === 'requires_capture') return null;
      const charge: Charge = { ...succeeded(attempt(), after), captured: false, amountCaptured: 0n };
      return { charge, events: ['charge.succeeded'] };
    }
    case 'succeeded': {
      if (before.status === 'succeeded') return null;
      if (before.status === 'requires_capture') {
        const held = heldCharge(after);
        if (held) {
          // An escrow's release is one more transaction of the payment: the details show it.
          const charge = {
            ...held,
            captured: true,
            amountCaptured: after.amountReceived,
            paymentMethodDetails: detailsOf(after, held.paymentMethod),
          };
          return { charge, events: ['charge.captured'] };
        }
      }
      return { charge: succeeded(attempt(), after), events: ['charge.succeeded'] };
    }
    case 'canceled': {
      if (before.status === 'canceled') return null;
      if (before.status === 'requires_capture') {
        // Canceling an uncaptured payment releases its authorization: Stripe refunds the charge
        // in full (refunded, amount_refunded) and sends charge.refunded.
        const held = heldCharge(after);
        if (held) return { charge: { ...held, refunded: true, amountRefunded: held.amount }, events: ['charge.refunded'] };
      }
      // The attempt in flight fails: also a crypto payment whose window closed with less than due
      // seen in the very observation that found its first funds.
      const unfinished = open ?? ((after.crypto?.transfers.length ?? 0) > 0 ? attempt() : null);
      if (unfinished) {
        const expired = after.crypto !== null || after.cancellationReason === 'abandoned';
        const charge: Charge = {
          ...(withDetails(unfinished, after)?.charge ?? unfinished),
          status: 'failed',
          failureCode: expired ? 'payment_expired' : 'payment_canceled',
          failureMessage: expired
            ? 'The payment window closed before the full amount was confirmed.'
            : 'The payment was canceled before it completed.',
          outcome: declined(expired ? 'payment_expired' : 'payment_canceled', null),
        };
        return { charge, events: ['charge.failed'] };
      }
      return null;
    }
    default:
      return null;
  }
}

const AUTHENTICATION_FAILURE = 'payment_intent_authentication_failure';

/**
 * A held escrow canceled (src/domain/escrow-intent.ts): its charge is refunded when the lock is back
 * with its payer on chain (the Refunded or Reclaimed log confirmed), not when the cancel is asked for.
 * Undefined: not such a case, the usual bookkeeping applies.
 */
function escrowChargeChange(before: PaymentIntent, after: PaymentIntent): { charge: Charge; events: EventType[] } | null | undefined {
  const escrow = after.crypto?.escrow;
  if (!escrow || after.status !== 'canceled') return undefined;
  const held = heldCharge(after);
  if (!held) return undefined;
  if (before.status !== 'canceled' && before.status !== 'requires_capture') return undefined;
  const returned = escrow.outcome?.status === 'refunded' || escrow.outcome?.status === 'reclaimed';
  if (!returned || held.refunded) return before.status === 'canceled' ? null : withDetails(held, after);
  return {
    charge: { ...(withDetails(held, after)?.charge ?? held), refunded: true, amountRefunded: held.amount },
    events: ['charge.refunded'],
  };
}

/** The authorized, uncaptured charge of an intent in requires_capture. */
function heldCharge(intent: PaymentIntent): Charge | undefined {
  return intent.charges.findLast((c) => c.status === 'succeeded' && !c.captured);
}

/** The open charge with the intent's current details (a crypto payment's transfers, a debit's transaction), if they changed. */
function withDetails(open: Charge, intent: PaymentIntent): { charge: Charge; events: EventType[] } | null {
  const details = detailsOf(intent, open.paymentMethod);
  if (JSON.stringify(details) === JSON.stringify(open.paymentMethodDetails)) return null;
  return { charge: { ...open, paymentMethodDetails: details }, events: ['charge.updated'] };
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
    paymentMethod: paymentMethodOf(intent),
    paymentMethodDetails: detailsOf(intent, paymentMethodOf(intent)),
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
    paymentMethod: paymentMethodOf(intent) ?? charge.paymentMethod,
    paymentMethodDetails: detailsOf(intent, paymentMethodOf(intent) ?? charge.paymentMethod),
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

/** What pays the attempt: the payment method, or for a mandate's debit the mandate (as its last_payment_error names it). */
function paymentMethodOf(intent: PaymentIntent): string | null {
  return intent.paymentMethod ?? intent.debit?.mandate ?? null;
}

/** What `payment_method_details` shows for the intent's method now. */
export function detailsOf(intent: PaymentIntent, paymentMethod: string | null): PaymentMethodDetails | null {
  const c = intent.crypto;
  if (c) {
    const counted = c.transfers;
    // An escrowed payment: the payer's lock, then the release or refund that ended it.
    const e = c.escrow;
    const transactions = e ? [e.lock?.txHash, e.outcome?.txHash].filter((h): h is string => !!h) : counted.map((t) => t.txHash);
    return {
      type: 'crypto',
      crypto: {
        network: c.network,
        chainId: c.chainId,
        token: { symbol: c.token.symbol, decimals: c.token.decimals, address: c.token.address },
        from: e ? (e.lock?.payer ?? null) : (counted[0]?.from ?? null),
        transactions: [...new Set(transactions)],
      },
    };
  }
  const d = intent.debit;
  // A debit sent under a mandate: the payer's account, and the latest transaction (a retry replaces it).
  // A debit intent recorded before its chain id was kept shows none.
  if (d) {
    if (d.chainId === undefined) return null;
    return {
      type: 'crypto',
      crypto: {
        network: d.network,
        chainId: d.chainId,
        token: { symbol: d.token.symbol, decimals: d.token.decimals, address: d.token.address },
        from: d.payer,
        transactions: d.txHash === null ? [] : [d.txHash],
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
