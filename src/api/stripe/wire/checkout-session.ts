/** Checkout Session domain → Stripe's wire: the checkout.session object and its line items (item). */
import type { z } from '@hono/zod-openapi';
import type { CheckoutSession, LineItem } from '../../../domain/checkout-session.js';
import type { CheckoutSession as WireSession, LineItem as WireLineItem } from '../checkout-sessions/schemas.js';
import { amountToWire, hostedPageUrl, type Links } from './payment-intent.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

export function sessionToWire(session: CheckoutSession, links: Links): z.input<typeof WireSession> {
  return {
    id: session.id,
    object: 'checkout.session',
    // The page's link is the intent's: its client secret is the page's credential, handed out while the session is open.
    url: session.status === 'open' ? hostedPageUrl(links, session.paymentIntent, session.intentClientSecret) : null,
    status: session.status,
    payment_status: session.paymentStatus,
    mode: 'payment',
    amount_total: amountToWire(session.amountTotal),
    amount_subtotal: amountToWire(session.amountSubtotal),
    currency: session.currency,
    payment_intent: session.paymentIntent,
    payment_method_types: session.paymentMethodTypes,
    success_url: session.successUrl,
    cancel_url: session.cancelUrl,
    customer_email: session.customerEmail,
    client_reference_id: session.clientReferenceId,
    metadata: session.metadata,
    expires_at: seconds(session.expiresAt),
    created: seconds(session.created),
    livemode: session.livemode,
    ui_mode: 'hosted',
    customer: null,
    customer_details: session.status === 'complete' ? { email: session.customerEmail } : null,
    client_secret: null,
    invoice: null,
    payment_link: null,
    setup_intent: null,
    subscription: null,
    locale: null,
    submit_type: null,
    after_expiration: null,
    allow_promotion_codes: null,
    billing_address_collection: null,
    shipping_address_collection: null,
    recovered_from: null,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
  };
}

export function lineItemToWire(session: CheckoutSession, item: LineItem): z.input<typeof WireLineItem> {
  const c = session.customAmount;
  const amount = (n: bigint | null) => (n === null ? null : amountToWire(n));
  // A custom amount's item shows what the payer paid once the session is complete.
  const total = c && session.status === 'complete' ? session.amountTotal : item.amountTotal;
  return {
    id: item.id,
    object: 'item',
    description: item.name,
    quantity: item.quantity,
    currency: session.currency,
    amount_subtotal: amountToWire(total),
    amount_total: amountToWire(total),
    amount_discount: 0,
    amount_tax: 0,
    price: {
      id: `price_${item.id.slice('li_'.length)}`,
      object: 'price',
      currency: session.currency,
      unit_amount: c ? null : amountToWire(item.unitAmount),
      custom_unit_amount: c && { minimum: amount(c.minimum), maximum: amount(c.maximum), preset: amount(c.preset) },
      product_data: { name: item.name, description: item.description },
      type: 'one_time',
      livemode: session.livemode,
    },
  };
}
