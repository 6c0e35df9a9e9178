import type { Status } from './payment-intent.js';

/**
 * Every refusal the domain can give. The HTTP layer maps each code to a status and an error type
 * in one table (src/http/errors.ts), so adding a code here without a mapping fails to compile.
 */
export type DomainErrorCode =
  | 'payment_intent_unexpected_state'
  | 'parameter_missing'
  | 'parameter_invalid'
  | 'amount_too_large'
  | 'payment_method_unexpected_state'
  | 'payment_intent_incompatible_payment_method'
  | 'resource_missing'
  | 'processor_not_configured'
  | 'payment_intent_authentication_failure'
  /** A crypto intent's chain cannot be read right now (retry). */
  | 'chain_unavailable'
  /** The merchant has no watch-only xpub for deposit addresses. */
  | 'crypto_not_configured';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly param?: string,
    /** For payment_intent_unexpected_state: the status the intent is in. */
    readonly status?: Status,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function unexpectedState(operation: string, status: Status, allowed: readonly Status[]): DomainError {
  return new DomainError(
    'payment_intent_unexpected_state',
    `You cannot ${operation} this PaymentIntent because it has a status of ${status}. ` +
      `Only a PaymentIntent with one of the following statuses may be ${pastTense(operation)}: ${allowed.join(', ')}.`,
    undefined,
    status,
  );
}

function pastTense(operation: string): string {
  return operation.endsWith('e') ? `${operation}d` : `${operation}ed`;
}
