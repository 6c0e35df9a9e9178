/**
 * A canonical payment intent in 001_…'s shape (Paytree's PaymentIntent): amounts as decimal strings
 * in the currency's own exponent (3 places for BHD, KWD, OMR; none for CLP), times in RFC 3339, the
 * intent's charges as `payment[]` with Paytree's 13 statuses and each charge's refunds as its
 * `refund[]`, and the family's own fields from its row (src/db/paytree.ts).
 */
import { hostedPageUrl } from '../../api/stripe/wire/payment-intent.js';
import type { Charge, Dispute, Refund } from '../../domain/charge.js';
import { currencyExponent, decimalString, isCurrency } from '../../domain/currency.js';
import type { PaymentIntent } from '../../domain/intent.js';
import type { PaytreeRow } from '../../db/paytree.js';
import type { PaymentIntentWire, PaymentStatus, PaytreeMethod } from './schemas.js';

/**
 * The one route of this service: it is the processor of every payment, in each mode. force_route
 * accepts the mode's id; route_id and route_name name it.
 */
export const ROUTES = {
  test: { id: '5f0c2c1e-8d3a-4b6e-9a4f-0e1d2c3b4a50', name: 'edge-payment-intents (test mode)' },
  live: { id: '5f0c2c1e-8d3a-4b6e-9a4f-0e1d2c3b4a51', name: 'edge-payment-intents' },
} as const;

export const routeOf = (livemode: boolean) => (livemode ? ROUTES.live : ROUTES.test);

/** Statuses in which the payer still has to pay on the hosted page. */
const AWAITING_PAYER: readonly PaymentIntent['status'][] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

/** The retrieve body of an intent made through this family: what GET …/payment_intent/{id}/ answers. */
export function paytreeIntentToWire(intent: PaymentIntent, row: PaytreeRow, baseUrl: string): PaymentIntentWire {
  const paymentLink = hostedPageUrl({ baseUrl }, intent.id, intent.clientSecret);
  const currency = intent.currency.toUpperCase();
  const amount = amountString(intent.amount, intent.currency);
  const route = routeOf(intent.livemode);
  return {
    id: intent.id,
    username: intent.merchantId,
    transaction_ref: row.transactionRef,
    client_ref: row.clientRef,
    first_name: row.customer.first_name,
    last_name: row.customer.last_name,
    email: row.customer.email,
    phone: row.customer.phone ?? null,
    address: addressLine(row.address),
    amount,
    currency,
    // No conversion happens here: the base (settlement) currency is the intent's own.
    base_amount: amount,
    base_currency: currency,
    method: row.method as PaytreeMethod,
    payment_link: paymentLink,
    payment: intent.charges.map((charge) => paymentToWire(intent, charge)),
    actions: AWAITING_PAYER.includes(intent.status) ? { type: 'redirect', url: paymentLink } : null,
    metadata: row.metadata ?? null,
    order_items: row.order_items ?? [],
    route_id: route.id,
    route_name: route.name,
    created: rfc3339(intent.created),
  };
}

function paymentToWire(intent: PaymentIntent, charge: Charge): PaymentIntentWire['payment'][number] {
  const { code, decimals } = chargeCurrency(intent);
  const amount = decimalString(charge.amount, decimals);
  return {
    id: charge.id,
    amount,
    currency: code,
    base_amount: amount,
    base_currency: code,
    fee: decimalString(0n, decimals),
    refunded: decimalString(charge.amountRefunded, decimals),
    status: paymentStatus(intent, charge),
    refund: intent.refunds.filter((r) => r.charge === charge.id).map((r) => refundToWire(r, code, decimals)),
    created: rfc3339(charge.created),
  };
}

function refundToWire(refund: Refund, currency: string, decimals: number): PaymentIntentWire['payment'][number]['refund'][number] {
  return {
    id: refund.id,
    amount: decimalString(refund.amount, decimals),
    currency,
    payment: refund.charge,
    gateway_id: refund.id,
    created: rfc3339(refund.created),
  };
}

/**
 * A charge's status in Paytree's words (the README's table): a dispute decides first, then refunds,
 * then the charge's own state, with the intent's for what a charge alone does not say (partly
 * funded, expired, released).
 */
export function paymentStatus(intent: PaymentIntent, charge: Charge): PaymentStatus {
  const dispute = latestDispute(intent.disputes, charge.id);
  if (charge.status === 'pending') {
    if (intent.status === 'canceled') return 'canceled';
    return intent.amountReceived > 0n && intent.amountReceived < intent.amount ? 'partial' : 'pending';
  }
  if (charge.status === 'failed') {
    // The attempt in flight when the intent was canceled: by the merchant, or as its window closed.
    if (charge.failureCode === 'payment_canceled') return 'canceled';
    return charge.failureCode === 'payment_expired' ? 'expired' : 'failed';
  }
  if (!charge.captured) return charge.refunded || intent.status === 'canceled' ? 'canceled' : 'authorized';
  if (dispute) {
    if (dispute.status === 'won') return 'disputed_won';
    // Accepted by the merchant (closed without evidence) or decided against them after evidence.
    if (dispute.status === 'lost') return dispute.evidenceSubmittedAt === null ? 'disputed_close' : 'disputed_lost';
    return 'disputed';
  }
  if (charge.amountRefunded > 0n) return charge.amountRefunded >= charge.amountCaptured ? 'refunded' : 'partial_refunded';
  return 'success';
}

function latestDispute(disputes: readonly Dispute[], chargeId: string): Dispute | undefined {
  return disputes.filter((d) => d.charge === chargeId).at(-1);
}

/** The code and decimals a charge's amounts are in: the intent's currency, or a crypto intent's token. */
function chargeCurrency(intent: PaymentIntent): { code: string; decimals: number } {
  if (intent.crypto && !isCurrency(intent.currency))
    return { code: intent.crypto.token.symbol.toUpperCase(), decimals: intent.crypto.token.decimals };
  return { code: intent.currency.toUpperCase(), decimals: exponentOf(intent) };
}

function exponentOf(intent: PaymentIntent): number {
  const code = intent.currency.toLowerCase();
  if (isCurrency(code)) return currencyExponent(code);
  return intent.crypto?.token.decimals ?? 2;
}

/** Minor units as the currency writes them: 1000 USD → "10.00", 1000 CLP → "1000", 1234 KWD → "1.234". */
export function amountString(units: bigint, currency: string): string {
  const code = currency.toLowerCase();
  return decimalString(units, isCurrency(code) ? currencyExponent(code) : 2);
}

function addressLine(address: PaytreeRow['address']): string {
  return [address.street, address.city, address.state, address.zip, address.country].filter((part) => part !== undefined).join(', ');
}

const rfc3339 = (ms: number) => new Date(ms).toISOString();
