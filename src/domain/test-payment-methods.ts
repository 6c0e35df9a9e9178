/**
 * Test-mode payment methods: fixed ids whose behaviour is known in advance, so every branch of the
 * state machine can be driven end to end without an outside processor. Raw card numbers are never
 * accepted anywhere; a payment method is always one of these ids.
 */
export type PaymentMethodType = 'card' | 'us_bank_account' | 'crypto';
export const PAYMENT_METHOD_TYPES = ['card', 'us_bank_account', 'crypto'] as const satisfies readonly PaymentMethodType[];

export type TestOutcome =
  /** Authorized at once. */
  | { kind: 'authorize' }
  /** Refused by the issuer. */
  | { kind: 'decline'; declineCode: string; message: string }
  /** Needs a 3-D Secure challenge before it can be authorized. */
  | { kind: 'challenge' }
  /** Settles later (bank debit): passes through processing, then succeeds or fails. */
  | { kind: 'async'; settles: 'succeeded' | 'failed' };

export interface TestPaymentMethod {
  id: string;
  type: PaymentMethodType;
  outcome: TestOutcome;
}

const METHODS: readonly TestPaymentMethod[] = [
  { id: 'pm_card_visa', type: 'card', outcome: { kind: 'authorize' } },
  { id: 'pm_card_mastercard', type: 'card', outcome: { kind: 'authorize' } },
  {
    id: 'pm_card_chargeDeclined',
    type: 'card',
    outcome: { kind: 'decline', declineCode: 'generic_decline', message: 'Your card was declined.' },
  },
  {
    id: 'pm_card_chargeDeclinedInsufficientFunds',
    type: 'card',
    outcome: { kind: 'decline', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  },
  { id: 'pm_card_threeDSecure2Required', type: 'card', outcome: { kind: 'challenge' } },
  { id: 'pm_usBankAccount', type: 'us_bank_account', outcome: { kind: 'async', settles: 'succeeded' } },
  { id: 'pm_usBankAccount_insufficientFunds', type: 'us_bank_account', outcome: { kind: 'async', settles: 'failed' } },
];

const BY_ID = new Map(METHODS.map((m) => [m.id, m]));

export function findTestPaymentMethod(id: string): TestPaymentMethod | undefined {
  return BY_ID.get(id);
}

export const TEST_PAYMENT_METHOD_IDS = METHODS.map((m) => m.id);
