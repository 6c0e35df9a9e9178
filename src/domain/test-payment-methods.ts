/**
 * Test-mode payment methods: fixed ids whose behaviour is known in advance, so every branch of the
 * state machine can be driven end to end without an outside processor. Raw card numbers are never
 * accepted anywhere; a payment method is always one of these ids.
 */
export const PAYMENT_METHOD_TYPES = [
  'card',
  'us_bank_account',
  'crypto',
  /**
   * A bank transfer (001_…'s `wire`): Stripe's name for it, as a Stripe SDK user passes it
   * (payment_method_types ['customer_balance']); next_action display_bank_transfer_instructions.
   */
  'customer_balance',
  'paypal',
  'klarna',
  'ideal',
  'bancontact',
  'trustly',
  'kakao_pay',
  'p24',
  'blik',
] as const;
export type PaymentMethodType = (typeof PAYMENT_METHOD_TYPES)[number];

export type TestOutcome =
  /** Authorized at once. */
  | { kind: 'authorize' }
  /** Refused by the issuer. */
  | { kind: 'decline'; declineCode: string; message: string }
  /** Needs a 3-D Secure challenge before it can be authorized. */
  | { kind: 'challenge' }
  /** Settles later (bank debit): passes through processing, then succeeds or fails. */
  | { kind: 'async'; settles: 'succeeded' | 'failed' }
  /** Sends the payer to a test authorization page (redirect_to_url), where they authorize or fail it. */
  | { kind: 'redirect' }
  /** Takes the payer's six-digit code at confirmation; the test code (BLIK_TEST_CODE) is approved in the bank app. */
  | { kind: 'blik' }
  /** Waits for a bank transfer with the instructions' reference (funded by the test helper). */
  | { kind: 'bank_transfer' };

export interface TestCard {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  funding: 'credit' | 'debit' | 'prepaid';
  country: string;
}

export interface TestPaymentMethod {
  id: string;
  type: PaymentMethodType;
  outcome: TestOutcome;
  /** What a card's charge shows (payment_method_details.card). */
  card?: TestCard;
  /** `fails`: its refunds fail after being pending (Stripe's pm_card_refundFail). */
  refunds?: 'fail';
  /** Its successful payment is then disputed, with this reason (Stripe's pm_card_createDispute: fraudulent). */
  dispute?: string;
}

const visa = (last4: string): TestCard => ({ brand: 'visa', last4, expMonth: 12, expYear: 2034, funding: 'credit', country: 'US' });

const METHODS: readonly TestPaymentMethod[] = [
  { id: 'pm_card_visa', type: 'card', outcome: { kind: 'authorize' }, card: visa('4242') },
  {
    id: 'pm_card_mastercard',
    type: 'card',
    outcome: { kind: 'authorize' },
    card: { ...visa('4444'), brand: 'mastercard' },
  },
  {
    id: 'pm_card_chargeDeclined',
    type: 'card',
    outcome: { kind: 'decline', declineCode: 'generic_decline', message: 'Your card was declined.' },
    card: visa('0002'),
  },
  {
    id: 'pm_card_chargeDeclinedInsufficientFunds',
    type: 'card',
    outcome: { kind: 'decline', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
    card: visa('9995'),
  },
  { id: 'pm_card_threeDSecure2Required', type: 'card', outcome: { kind: 'challenge' }, card: visa('3220') },
  { id: 'pm_card_refundFail', type: 'card', outcome: { kind: 'authorize' }, card: visa('5126'), refunds: 'fail' },
  { id: 'pm_card_createDispute', type: 'card', outcome: { kind: 'authorize' }, card: visa('0259'), dispute: 'fraudulent' },
  { id: 'pm_usBankAccount', type: 'us_bank_account', outcome: { kind: 'async', settles: 'succeeded' } },
  { id: 'pm_usBankAccount_insufficientFunds', type: 'us_bank_account', outcome: { kind: 'async', settles: 'failed' } },
  { id: 'pm_paypal', type: 'paypal', outcome: { kind: 'redirect' } },
  { id: 'pm_klarna', type: 'klarna', outcome: { kind: 'redirect' } },
  { id: 'pm_ideal', type: 'ideal', outcome: { kind: 'redirect' } },
  { id: 'pm_bancontact', type: 'bancontact', outcome: { kind: 'redirect' } },
  { id: 'pm_trustly', type: 'trustly', outcome: { kind: 'redirect' } },
  { id: 'pm_kakao_pay', type: 'kakao_pay', outcome: { kind: 'redirect' } },
  { id: 'pm_p24', type: 'p24', outcome: { kind: 'redirect' } },
  { id: 'pm_blik', type: 'blik', outcome: { kind: 'blik' } },
  { id: 'pm_customer_balance', type: 'customer_balance', outcome: { kind: 'bank_transfer' } },
];

const BY_ID = new Map(METHODS.map((m) => [m.id, m]));

export function findTestPaymentMethod(id: string): TestPaymentMethod | undefined {
  return BY_ID.get(id);
}

export const TEST_PAYMENT_METHOD_IDS = METHODS.map((m) => m.id);
