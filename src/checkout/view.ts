/**
 * What the hosted checkout page (src/pages/checkout/) shows of a Checkout Session: the session's
 * items, total and links, in the domain's terms (money as bigint, time in milliseconds). Made by
 * checkoutPageView (src/checkout/service.ts) for the session's merchant and mode only.
 */
export interface CheckoutPageView {
  id: string;
  status: 'open' | 'complete' | 'expired';
  currency: string;
  amountTotal: bigint;
  lineItems: {
    name: string;
    description: string | null;
    quantity: number;
    unitAmount: bigint;
    amountTotal: bigint;
  }[];
  /** Set when the payer chooses the amount (a custom_unit_amount line item); null bounds are open. */
  customAmount: { minimum: bigint | null; maximum: bigint | null; preset: bigint | null } | null;
  /** Where the payer goes once paid, with {CHECKOUT_SESSION_ID} replaced by the session's id. */
  successUrl: string;
  cancelUrl: string | null;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}
