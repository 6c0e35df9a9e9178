/**
 * The Stripe family's errors: one table of codes (status and type), declared once — it gives the
 * code type, the status of each, and the closed enum of the envelope's schema — and the renderer
 * that turns any refusal (the domain's, the shared HTTP layer's, this family's own) into Stripe's
 * envelope, with Stripe's parameter spelling and messages.
 */
import { z } from '@hono/zod-openapi';
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DOMAIN_ERROR_CODES, DomainError, type Operation } from '../../domain/errors.js';
import type { PaymentError, PaymentIntent as DomainIntent } from '../../domain/intent.js';
import type { AppEnv } from '../../http/context.js';
import { BodyNotReceived, REQUEST_ERROR_CODES, RequestError, ValidationError } from '../../http/errors.js';
import { CommandRefused } from '../../intents/service.js';
import { logError, logWarn } from '../../lib/log.js';
import { BrowserPaymentIntent, PaymentIntent } from './payment-intents/schemas.js';
import { paramName, STRIPE_SPELLING } from './spelling.js';
import { type Links, paymentErrorToWire, toBrowserWire, toWire } from './wire/payment-intent.js';

const ERROR_TYPES = ['invalid_request_error', 'authentication_error', 'card_error', 'idempotency_error', 'api_error'] as const;
type ErrorType = (typeof ERROR_TYPES)[number];

/** Every code this family answers with. Adding a domain or request code without a row here fails to compile. */
export const STRIPE_ERRORS = {
  payment_intent_unexpected_state: { status: 400, type: 'invalid_request_error' },
  // An operation a Checkout Session's status does not allow (expire a complete one).
  checkout_session_unexpected_state: { status: 400, type: 'invalid_request_error' },
  // An operation a mandate's status does not allow (a debit request on a canceled or Fixed mandate).
  mandate_unexpected_state: { status: 400, type: 'invalid_request_error' },
  // A debit item deactivated: its button takes no new mandates.
  debit_item_inactive: { status: 400, type: 'invalid_request_error' },
  parameter_missing: { status: 400, type: 'invalid_request_error' },
  parameter_invalid: { status: 400, type: 'invalid_request_error' },
  parameter_unknown: { status: 400, type: 'invalid_request_error' },
  amount_too_large: { status: 400, type: 'invalid_request_error' },
  payment_intent_incompatible_payment_method: { status: 400, type: 'invalid_request_error' },
  processor_not_configured: { status: 400, type: 'invalid_request_error' },
  crypto_not_configured: { status: 400, type: 'invalid_request_error' },
  // Nothing of the charge is left to refund.
  charge_already_refunded: { status: 400, type: 'invalid_request_error' },
  // A refund of a charge whose dispute is open or was lost.
  charge_disputed: { status: 400, type: 'invalid_request_error' },
  // Evidence for, or the close of, a dispute that is under review or closed.
  dispute_unexpected_state: { status: 400, type: 'invalid_request_error' },
  // Cancel of a refund that is no longer pending.
  refund_unexpected_state: { status: 400, type: 'invalid_request_error' },
  body_invalid: { status: 400, type: 'invalid_request_error' },
  content_type_invalid: { status: 400, type: 'invalid_request_error' },
  resource_missing: { status: 404, type: 'invalid_request_error' },
  route_not_found: { status: 404, type: 'invalid_request_error' },
  // A WebSocket route (live status) asked without `Upgrade: websocket`.
  upgrade_required: { status: 426, type: 'invalid_request_error' },
  // A payment attempt that failed: the intent has committed the failure and comes with the error.
  card_declined: { status: 402, type: 'card_error' },
  payment_intent_authentication_failure: { status: 402, type: 'card_error' },
  insufficient_funds: { status: 402, type: 'invalid_request_error' },
  payment_intent_payment_attempt_failed: { status: 402, type: 'invalid_request_error' },
  api_key_missing: { status: 401, type: 'authentication_error' },
  api_key_invalid: { status: 401, type: 'authentication_error' },
  admin_token_invalid: { status: 401, type: 'authentication_error' },
  secret_key_required: { status: 403, type: 'authentication_error' },
  idempotency_key_reused: { status: 400, type: 'idempotency_error' },
  idempotency_key_in_use: { status: 409, type: 'idempotency_error' },
  idempotency_secret_gone: { status: 409, type: 'idempotency_error' },
  // A conditional write lost to a concurrent one (two rolls of one secret): nothing was changed.
  concurrent_update: { status: 409, type: 'invalid_request_error' },
  internal_error: { status: 500, type: 'api_error' },
  chain_unavailable: { status: 503, type: 'api_error' },
} as const satisfies Record<string, { status: ContentfulStatusCode; type: ErrorType }>;

export type StripeErrorCode = keyof typeof STRIPE_ERRORS;
const STRIPE_ERROR_CODES = Object.keys(STRIPE_ERRORS) as [StripeErrorCode, ...StripeErrorCode[]];

// Every refusal of the domain and of the shared HTTP layer has a row (a compile-time check).
export const COVERED_CODES: readonly StripeErrorCode[] = [...DOMAIN_ERROR_CODES, ...REQUEST_ERROR_CODES];

export function isStripeErrorCode(code: string): code is StripeErrorCode {
  return Object.hasOwn(STRIPE_ERRORS, code);
}

export const ErrorEnvelope = z
  .object({
    error: z.object({
      type: z.enum(ERROR_TYPES),
      code: z.enum(STRIPE_ERROR_CODES),
      message: z.string(),
      param: z.string().nullable(),
      payment_intent: z.union([PaymentIntent, BrowserPaymentIntent]).optional().openapi({
        description: 'The PaymentIntent as it is now, when the error is about one (BrowserPaymentIntent to a publishable key).',
      }),
      decline_code: z.string().optional(),
      payment_method: z.object({ id: z.string(), object: z.literal('payment_method'), type: z.string() }).optional(),
      request_id: z.string().optional(),
    }),
  })
  .openapi('Error', {
    example: {
      error: { type: 'invalid_request_error', code: 'parameter_missing', message: 'Missing required param: amount.', param: 'amount' },
    },
  });

/** An error of this family, ready to render. */
export class StripeError extends Error {
  constructor(
    readonly code: StripeErrorCode,
    message: string,
    readonly param: string | null = null,
    /** More fields of the envelope (payment_intent, decline_code, …). */
    readonly extra: Record<string, unknown> = {},
    /** Stripe-Should-Retry, when the answer is known. */
    readonly shouldRetry?: boolean,
  ) {
    super(message);
    this.name = 'StripeError';
  }

  get status() {
    return STRIPE_ERRORS[this.code].status;
  }

  get type() {
    return STRIPE_ERRORS[this.code].type;
  }
}

export function noSuchObject(kind: string, id: string, param: string): StripeError {
  return new StripeError('resource_missing', `No such ${kind}: '${id}'`, param);
}

/** A failed payment attempt: 402 with the attempt's code, and the intent (back in requires_payment_method). */
export function paymentFailed(intent: DomainIntent, paymentError: PaymentError, view: (i: DomainIntent) => unknown): StripeError {
  const error = paymentErrorToWire(paymentError);
  const code =
    isStripeErrorCode(error.code) && STRIPE_ERRORS[error.code].status === 402 ? error.code : 'payment_intent_payment_attempt_failed';
  return new StripeError(code, error.message, null, {
    ...(error.decline_code ? { decline_code: error.decline_code } : {}),
    payment_method: error.payment_method,
    payment_intent: view(intent),
  });
}

/** The family's error handler: every refusal in Stripe's envelope; anything else a 500 that leaks nothing. */
export function stripeErrorHandler(links: (c: Context<AppEnv>) => Links): ErrorHandler<AppEnv> {
  return (error, c) => renderStripeError(c, toStripeError(error, c, links(c)));
}

export function renderStripeError(c: Context, error: StripeError): Response {
  if (error.shouldRetry !== undefined) c.header('Stripe-Should-Retry', String(error.shouldRetry));
  return c.json(
    { error: { type: error.type, code: error.code, message: error.message, param: error.param, ...error.extra } },
    error.status,
  );
}

function toStripeError(error: unknown, c: Context<AppEnv>, links: Links): StripeError {
  if (error instanceof StripeError) return error;
  if (error instanceof DomainError) return fromDomainError(error, c, links);
  if (error instanceof ValidationError) return fromValidationError(error);
  if (error instanceof BodyNotReceived) {
    // The client's doing (it went away mid-body): a warning with the request id, not an error.
    const { method, path } = c.req;
    logWarn('request body not received in full', { requestId: c.get('requestId'), method, path, reason: error.reason });
  }
  if (error instanceof RequestError) {
    const param = error.path === null ? null : paramName(error.path);
    return new StripeError(error.code, error.message, param, {}, error.retryable);
  }
  if (error instanceof HTTPException && error.status < 500) return new StripeError('body_invalid', error.message);
  // A real fault: log it with the request id, tell the client nothing about internals.
  const requestId = c.get('requestId');
  logError('unhandled error', { requestId, method: c.req.method, path: c.req.path }, error);
  return new StripeError(
    'internal_error',
    `An internal error occurred. If it persists, contact support with request id ${requestId}.`,
    null,
    {
      request_id: requestId,
    },
  );
}

function fromValidationError(error: ValidationError): StripeError {
  const param = paramName(error.path!);
  if (error.kind === 'unknown') return new StripeError('parameter_unknown', `Received unknown parameter: ${param}`, param);
  if (error.kind === 'missing') return new StripeError('parameter_missing', `Missing required param: ${param}.`, param);
  return new StripeError(error.code, `Invalid ${param}: ${error.reason}`, param);
}

function fromDomainError(error: DomainError, c: Context<AppEnv>, links: Links): StripeError {
  const rendered = refusalToStripe(error);
  // The intent as it is now goes with a refusal about it, as Stripe sends it: its current status is not lost.
  if (error instanceof CommandRefused && error.intent) {
    const publishable = c.get('auth')?.kind === 'publishable';
    rendered.extra.payment_intent = publishable ? toBrowserWire(error.intent, links) : toWire(error.intent, links);
  }
  return rendered;
}

/** A domain refusal in Stripe's words: its code, its message, and the parameter in Stripe's spelling. */
export function refusalToStripe(error: DomainError): StripeError {
  if (error.code === 'resource_missing' && error.resource?.type === 'payment_intent') {
    return new StripeError('resource_missing', `No such payment_intent: '${error.resource.id}'`, 'intent');
  }
  const param = error.field ? STRIPE_SPELLING(error.field) : null;
  if (error.code === 'payment_intent_unexpected_state' && error.detail === undefined) {
    return new StripeError(error.code, unexpectedStateMessage(error, param), param, {});
  }
  return new StripeError(error.code, error.describe(STRIPE_SPELLING), param, {});
}

/** Stripe's wording of an operation the intent's status does not allow. */
function unexpectedStateMessage(error: DomainError, param: string | null): string {
  const status = error.currentStatus;
  const allowed = (error.allowedStatuses ?? []).join(', ');
  if (error.operation === 'update' && param) {
    return (
      `You cannot update ${param} on this PaymentIntent because it has a status of ${status}. ` +
      `Only description, metadata and receipt_email can be updated once a payment is in flight; ` +
      `${param} may be updated while the status is one of: ${allowed}.`
    );
  }
  const operation = error.operation ?? 'change';
  return (
    `You cannot ${operation} this PaymentIntent because it has a status of ${status}. ` +
    `Only a PaymentIntent with one of the following statuses may be ${pastTense(operation)}: ${allowed}.`
  );
}

function pastTense(operation: Operation | 'change'): string {
  return operation.endsWith('e') ? `${operation}d` : `${operation}ed`;
}
