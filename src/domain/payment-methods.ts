/**
 * The payment methods of 001_… in test mode, the pure part: which currencies each method takes,
 * its smallest amount, whether it can be captured later, and the bank transfer's funding (`fund`,
 * the test helper's wire transfer arriving, partially or in full). Stripe's rules, as its docs state
 * them (docs.stripe.com/payments/<method>, docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
 */
import { DomainError, type Field, invalid, unexpectedState } from './errors.js';
import { type Decision, event, type PaymentIntent } from './intent.js';
import type { CaptureMethod } from './status.js';
import type { PaymentMethodType, TestPaymentMethod } from './test-payment-methods.js';

interface MethodRule {
  /** The currencies it takes; null: any (cards, and the methods whose rules live elsewhere). */
  currencies: readonly string[] | null;
  /** capture_method manual: the payment is authorized now and captured later. */
  manualCapture: boolean;
}

const ANY: MethodRule = { currencies: null, manualCapture: true };

/** Stripe's per-method rules; the methods of 001_… get theirs, the older ones keep what they had. */
export const METHOD_RULES: Record<PaymentMethodType, MethodRule> = {
  card: ANY,
  us_bank_account: ANY,
  crypto: ANY,
  // Bank transfers whose instructions this service can show: an IBAN, a UK sort code, a US ABA number.
  customer_balance: { currencies: ['eur', 'gbp', 'usd'], manualCapture: false },
  // biome-ignore format: a list of codes
  paypal: { currencies: ['aud', 'cad', 'chf', 'czk', 'dkk', 'eur', 'gbp', 'hkd', 'nok', 'nzd', 'pln', 'sek', 'sgd', 'usd'], manualCapture: true },
  // biome-ignore format: a list of codes
  klarna: { currencies: ['aud', 'cad', 'chf', 'czk', 'dkk', 'eur', 'gbp', 'nok', 'nzd', 'pln', 'ron', 'sek', 'usd'], manualCapture: true },
  ideal: { currencies: ['eur'], manualCapture: false },
  bancontact: { currencies: ['eur'], manualCapture: false },
  trustly: { currencies: ['dkk', 'eur', 'gbp', 'nok', 'sek'], manualCapture: false },
  kakao_pay: { currencies: ['krw'], manualCapture: false },
  p24: { currencies: ['eur', 'pln'], manualCapture: false },
  blik: { currencies: ['pln'], manualCapture: false },
};

/**
 * Stripe's minimum charge amount per currency, in minor units, enforced for the methods of 001_…
 * (the card-style methods that were here before keep their old floor of 1, which tests rely on).
 */
// biome-ignore format: a table of codes
const MINIMUM_AMOUNTS: Readonly<Record<string, bigint>> = {
  aud: 50n, cad: 50n, chf: 50n, czk: 1500n, dkk: 250n, eur: 50n, gbp: 30n, hkd: 400n, krw: 100n,
  nok: 300n, nzd: 50n, pln: 200n, ron: 200n, sek: 300n, sgd: 50n, usd: 50n,
};

const OLDER_METHODS: readonly PaymentMethodType[] = ['card', 'us_bank_account', 'crypto'];

/** The six-digit BLIK codes a test bank approves: 777 followed by any three digits (as BLIK's own sandboxes). */
export function blikCodeApproved(code: string): boolean {
  return /^777\d{3}$/.test(code);
}

/**
 * Checks that every one of `types` takes the intent's currency, amount and capture method, naming
 * `field` (payment_method_types at create, or whatever an update changed) when one does not.
 */
export function assertMethodsAccept(
  types: readonly PaymentMethodType[],
  intent: { currency: string; amount: bigint; captureMethod: CaptureMethod },
  field: Field,
  captureField: Field = 'captureMethod',
): void {
  for (const type of types) assertMethodAccepts(type, intent, field, captureField);
}

/**
 * One method against the intent: currency (naming `field`), minimum amount (naming amount) and
 * capture method (naming `captureField`: capture_method, unless the request changed only the types).
 */
export function assertMethodAccepts(
  type: PaymentMethodType,
  intent: { currency: string; amount: bigint; captureMethod: CaptureMethod },
  field: Field,
  captureField: Field = 'captureMethod',
): void {
  const rule = METHOD_RULES[type];
  if (rule.currencies && !rule.currencies.includes(intent.currency)) {
    throw invalid(
      'parameter_invalid',
      field,
      `The payment method type ${type} does not support the currency ${intent.currency}: it takes ${rule.currencies.join(', ')}. Change {{${field}}}.`,
    );
  }
  const minimum = OLDER_METHODS.includes(type) ? undefined : MINIMUM_AMOUNTS[intent.currency];
  if (minimum !== undefined && intent.amount < minimum) {
    throw invalid(
      'parameter_invalid',
      'amount',
      `The payment method type ${type} needs an amount of at least ${minimum} (in the smallest unit of ${intent.currency}); {{amount}} is ${intent.amount}.`,
    );
  }
  if (intent.captureMethod === 'manual' && !rule.manualCapture) {
    throw invalid(
      'parameter_invalid',
      captureField,
      `The payment method type ${type} cannot be captured later: {{captureMethod}} manual is for card, paypal and klarna. Use automatic.`,
    );
  }
}

/** A redirect method's payer must come back somewhere: return_url is required for it. */
export function assertReturnUrl(method: TestPaymentMethod, returnUrl: string | undefined): void {
  if (returnUrl === undefined) {
    throw invalid(
      'parameter_missing',
      'returnUrl',
      `A ${method.type} payment sends the customer to authorize it and back: pass {{returnUrl}}, where they land afterwards.`,
    );
  }
}

/** The reference a bank transfer must carry: fixed per intent, from the random part of its id. */
export function transferReference(intentId: string): string {
  return intentId.slice(-12).toUpperCase();
}

/** What a bank transfer intent still waits for. */
export function amountRemaining(state: PaymentIntent): bigint {
  return state.amount - state.amountReceived;
}

/**
 * A wire transfer arrives for an intent waiting for one (the test helper, Stripe's
 * /v1/test_helpers/…/fund shape). Part of what is due: amount_received grows and
 * payment_intent.partially_funded; the rest: succeeded. More than is due is refused (the test bank
 * sends no more than the instructions ask), and so is a reference other than the instructions'.
 */
export function fund(state: PaymentIntent, amount: bigint, reference: string | undefined, _now: number): Decision {
  if (state.status !== 'requires_action' || state.nextAction?.type !== 'display_bank_transfer_instructions') {
    if (state.status !== 'requires_action') throw unexpectedState('fund', state.status, ['requires_action']);
    throw new DomainError({
      code: 'payment_intent_unexpected_state',
      operation: 'fund',
      currentStatus: state.status,
      detail:
        'This PaymentIntent is not waiting for a bank transfer: only one confirmed with customer_balance (its next_action is display_bank_transfer_instructions) can be funded.',
    });
  }
  if (reference !== undefined && reference !== state.nextAction.reference) {
    throw invalid(
      'parameter_invalid',
      'reference',
      `{{reference}} ${JSON.stringify(reference)} is not this PaymentIntent's transfer reference (${state.nextAction.reference}).`,
    );
  }
  const remaining = amountRemaining(state);
  if (amount > remaining) {
    throw new DomainError({
      code: 'amount_too_large',
      field: 'amount',
      detail: `{{amount}} (${amount}) is more than the ${remaining} still due: a transfer may pay at most the amount_remaining.`,
    });
  }
  const received = state.amountReceived + amount;
  if (received < state.amount) {
    return {
      state: { ...state, amountReceived: received },
      events: [event('payment_intent.partially_funded')],
      timers: [],
      paymentError: null,
    };
  }
  return {
    state: { ...state, status: 'succeeded', amountReceived: state.amount, amountCapturable: 0n, nextAction: null, lastPaymentError: null },
    events: [event('payment_intent.succeeded')],
    timers: [],
    paymentError: null,
  };
}

/** The test bank account a transfer in `currency` goes to, as Stripe's financial_addresses describe one. */
export type TestBankAccount =
  | { kind: 'iban'; transferType: 'eu_bank_transfer'; holder: string; iban: string; bic: string; country: string; networks: string[] }
  | { kind: 'sort_code'; transferType: 'gb_bank_transfer'; holder: string; accountNumber: string; sortCode: string; networks: string[] }
  | { kind: 'aba'; transferType: 'us_bank_transfer'; bankName: string; accountNumber: string; routingNumber: string; networks: string[] };

const HOLDER = 'Edge Payment Intents test account';

/** Fixed, obviously-test account details per currency METHOD_RULES.customer_balance allows. */
export function testBankAccount(currency: string): TestBankAccount {
  switch (currency) {
    case 'gbp':
      return {
        kind: 'sort_code',
        transferType: 'gb_bank_transfer',
        holder: HOLDER,
        accountNumber: '00012345',
        sortCode: '108800',
        networks: ['bacs', 'fps'],
      };
    case 'usd':
      return {
        kind: 'aba',
        transferType: 'us_bank_transfer',
        bankName: 'Test Bank',
        accountNumber: '000123456789',
        routingNumber: '110000000',
        networks: ['ach', 'domestic_wire_us'],
      };
    default:
      return {
        kind: 'iban',
        transferType: 'eu_bank_transfer',
        holder: HOLDER,
        iban: 'DE89370400440532013000',
        bic: 'TESTDEFFXXX',
        country: 'DE',
        networks: ['sepa'],
      };
  }
}
