/**
 * Refusals of the domain, as structured data in the domain's own terms (after hyperswitch's
 * `PaymentUnexpectedState`): a code, the operation, the domain field at fault, the current status
 * and the statuses that would have allowed it. No API family's spelling lives here: each family
 * renders its own message and parameter names from these fields. The explanation refers to fields
 * as `{{field}}` placeholders, which a family fills in with its own spelling (`describe`).
 *
 * A DomainError crosses the Durable Object RPC boundary as plain data (`toData` / `fromData`).
 */
import type { Status } from './status.js';

export const DOMAIN_ERROR_CODES = [
  /** The operation is not allowed in the intent's current status. */
  'payment_intent_unexpected_state',
  'parameter_missing',
  'parameter_invalid',
  'amount_too_large',
  /** The payment method's type is not one of the intent's payment_method_types. */
  'payment_intent_incompatible_payment_method',
  /** The intent, or an object a command names (a payment method), does not exist for this caller. */
  'resource_missing',
  /** Live mode has no payment processor on this deployment. */
  'processor_not_configured',
  /** A crypto intent's chain cannot be read right now (retry). */
  'chain_unavailable',
  /** The merchant has no watch-only xpub for deposit addresses. */
  'crypto_not_configured',
  /** Nothing of the charge is left to refund (Stripe's code). */
  'charge_already_refunded',
  /** A refund of a charge whose dispute is open or was lost (Stripe's charge_disputed). */
  'charge_disputed',
  /** The operation is not allowed in the dispute's current status (evidence on a closed dispute). */
  'dispute_unexpected_state',
  /** An operation a refund's status does not allow (cancel one that is no longer pending). */
  'refund_unexpected_state',
] as const;
export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

/** What was attempted. */
export type Operation = 'create' | 'update' | 'confirm' | 'capture' | 'cancel' | 'authenticate' | 'sign' | 'confirm_delivery' | 'fund';

/** Domain fields a refusal can name: the intent's own, and the options of its commands. */
export type Field =
  | 'id'
  | 'amount'
  | 'currency'
  | 'captureMethod'
  | 'paymentMethod'
  | 'paymentMethodTypes'
  | 'description'
  | 'metadata'
  | 'receiptEmail'
  | 'statementDescriptor'
  | 'customer'
  | 'clientSecret'
  | 'amountToCapture'
  | 'crypto'
  | 'crypto.network'
  | 'crypto.token'
  | 'crypto.expiresIn'
  | 'signature'
  /** The payer signing an escrow Deposit, and the EIP-2612 permit sent with it. */
  | 'signer'
  | 'permit'
  /** A crypto refund's address and what it sends back (src/domain/crypto-refunds.ts). */
  | 'destination'
  | 'source'
  /** The mandate a debit intent belongs to. */
  | 'mandate'
  /** The charge a refund names. */
  | 'charge'
  /** A dispute's evidence, and whether to submit it (POST /v1/disputes/:id). */
  | 'evidence'
  | 'submit'
  /** The off-chain settlement of a crypto intent (src/domain/settlement.ts), and its method. */
  | 'settlement'
  | 'settlement.method'
  /** Where a redirect payment sends the payer back (confirm). */
  | 'returnUrl'
  /** The payer's six-digit BLIK code (confirm). */
  | 'blikCode'
  /** A bank transfer's reference (the fund test helper). */
  | 'reference'
  /** The intent a refund names (POST /v1/refunds). */
  | 'paymentIntent';

/** A family's spelling of a domain field (Stripe's: `amountToCapture` → `amount_to_capture`). */
export type Spelling = (field: Field) => string;

/** The domain's own spelling, used in logs and as the neutral message. */
export const DOMAIN_SPELLING: Spelling = (field) => field;

export interface DomainErrorData {
  code: DomainErrorCode;
  operation?: Operation;
  field?: Field;
  currentStatus?: Status;
  allowedStatuses?: readonly Status[];
  /** The object a resource_missing is about. */
  resource?: { type: 'payment_intent' | 'payment_method' | 'dispute' | 'refund'; id: string };
  /**
   * The specific reason, in English, with fields as `{{field}}`. Absent for a plain
   * unexpected-state refusal, which each family phrases from operation and statuses.
   */
  detail?: string;
}

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly operation?: Operation;
  readonly field?: Field;
  readonly currentStatus?: Status;
  readonly allowedStatuses?: readonly Status[];
  readonly resource?: DomainErrorData['resource'];
  readonly detail?: string;

  constructor(data: DomainErrorData) {
    super(neutralMessage(data));
    this.name = 'DomainError';
    this.code = data.code;
    this.operation = data.operation;
    this.field = data.field;
    this.currentStatus = data.currentStatus;
    this.allowedStatuses = data.allowedStatuses;
    this.resource = data.resource;
    this.detail = data.detail;
  }

  /** The explanation with fields spelled the caller's way. */
  describe(spelling: Spelling): string {
    return fill(this.detail ?? neutralMessage(this), spelling);
  }

  toData(): DomainErrorData {
    const { code, operation, field, currentStatus, allowedStatuses, resource, detail } = this;
    return { code, operation, field, currentStatus, allowedStatuses, resource, detail };
  }

  static fromData(data: DomainErrorData): DomainError {
    return new DomainError(data);
  }
}

/** A parameter-level refusal: code, the field, and why. */
export function invalid(code: DomainErrorCode, field: Field | undefined, detail: string): DomainError {
  return new DomainError({ code, field, detail });
}

/** The operation is not allowed in `status`; `field` when an update touched a field that is frozen now. */
export function unexpectedState(operation: Operation, status: Status, allowed: readonly Status[], field?: Field): DomainError {
  return new DomainError({ code: 'payment_intent_unexpected_state', operation, currentStatus: status, allowedStatuses: allowed, field });
}

export function noSuchIntent(id: string): DomainError {
  return new DomainError({ code: 'resource_missing', resource: { type: 'payment_intent', id } });
}

function neutralMessage(data: DomainErrorData): string {
  if (data.detail !== undefined) return fill(data.detail, DOMAIN_SPELLING);
  if (data.code === 'payment_intent_unexpected_state') {
    const what = data.field ? `${data.operation} of ${data.field}` : data.operation;
    return `${what} is not allowed because the PaymentIntent has a status of ${data.currentStatus}; it is allowed in: ${data.allowedStatuses?.join(', ')}.`;
  }
  if (data.resource) return `No such ${data.resource.type}: '${data.resource.id}'`;
  return data.code;
}

function fill(template: string, spelling: Spelling): string {
  return template.replace(/\{\{([a-zA-Z.]+)\}\}/g, (_, field: Field) => spelling(field));
}
