/** Stripe's spelling of names: snake_case fields, bracketed parameter paths, the domain's fields as parameters. */
import type { Field, Spelling } from '../../domain/errors.js';

/** amountToCapture → amount_to_capture. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Bracket notation for a path into the parameters: metadata[order_id], payment_method_types[0]. */
export function paramName(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  return (head ?? '') + rest.map((p) => `[${p}]`).join('');
}

const CRYPTO = 'payment_method_options[crypto]';

/** Each domain field as this family's parameter; the Record makes the compiler insist on every field. */
const PARAMETERS: Record<Field, string> = {
  id: 'id',
  amount: 'amount',
  currency: 'currency',
  captureMethod: 'capture_method',
  paymentMethod: 'payment_method',
  paymentMethodTypes: 'payment_method_types',
  description: 'description',
  metadata: 'metadata',
  receiptEmail: 'receipt_email',
  statementDescriptor: 'statement_descriptor',
  customer: 'customer',
  clientSecret: 'client_secret',
  amountToCapture: 'amount_to_capture',
  crypto: CRYPTO,
  'crypto.network': `${CRYPTO}[network]`,
  'crypto.token': `${CRYPTO}[token]`,
  'crypto.expiresIn': `${CRYPTO}[expires_in]`,
  signature: 'signature',
  signer: 'signer',
  permit: 'permit',
  mandate: 'mandate',
  charge: 'charge',
  evidence: 'evidence',
  submit: 'submit',
  // Only the Finternet family sets a settlement: Stripe's wire has no parameter for it.
  settlement: 'settlement',
  'settlement.method': 'settlement[method]',
  returnUrl: 'return_url',
  blikCode: 'payment_method_options[blik][code]',
  reference: 'reference',
  paymentIntent: 'payment_intent',
  // A crypto refund's options (POST /v1/refunds): Stripe has none, so they sit under `crypto`.
  destination: 'crypto[destination]',
  source: 'crypto[source]',
};

export const STRIPE_SPELLING: Spelling = (field) => PARAMETERS[field];
