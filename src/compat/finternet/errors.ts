/**
 * The error envelope of 004_…'s family (Finternet): `{error: {code, message, type}}`, with the two
 * refusals its document shows word for word (404 `resource_missing` "Payment intent not found: <id>",
 * 403 `forbidden` for another merchant's intent). What the document does not show follows the same
 * shape: `param` names the field at fault (camelCase, as the family's fields are spelled), and every
 * code has one status in CODES, so the compiler catches a code without one.
 */
import { z } from '@hono/zod-openapi';
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type Field } from '../../domain/errors.js';
import type { AppEnv } from '../../http/context.js';
import { RequestError, ValidationError } from '../../http/errors.js';
import { logError } from '../../lib/log.js';

type ErrorType = 'invalid_request_error' | 'authentication_error' | 'idempotency_error' | 'api_error';

export const CODES = {
  resource_missing: { status: 404, type: 'invalid_request_error' },
  forbidden: { status: 403, type: 'authentication_error' },
  authentication_required: { status: 401, type: 'authentication_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  parameter_missing: { status: 400, type: 'invalid_request_error' },
  parameter_invalid: { status: 400, type: 'invalid_request_error' },
  parameter_unknown: { status: 400, type: 'invalid_request_error' },
  body_invalid: { status: 400, type: 'invalid_request_error' },
  payment_intent_unexpected_state: { status: 400, type: 'invalid_request_error' },
  crypto_not_configured: { status: 400, type: 'invalid_request_error' },
  idempotency_key_reused: { status: 400, type: 'idempotency_error' },
  idempotency_key_in_use: { status: 409, type: 'idempotency_error' },
  route_not_found: { status: 404, type: 'invalid_request_error' },
  chain_unavailable: { status: 503, type: 'api_error' },
  internal_error: { status: 500, type: 'api_error' },
} as const satisfies Record<string, { status: ContentfulStatusCode; type: ErrorType }>;

export type FinternetErrorCode = keyof typeof CODES;

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(CODES) as [FinternetErrorCode, ...FinternetErrorCode[]]),
      message: z.string(),
      type: z.enum(['invalid_request_error', 'authentication_error', 'idempotency_error', 'api_error']),
      param: z.string().optional().openapi({ description: 'The field at fault, when one is (e.g. `amount`, `metadata.orderId`).' }),
    }),
  })
  .openapi('ErrorResponse_Finternet', {
    example: {
      error: { code: 'resource_missing', message: 'Payment intent not found: intent_2xYz9AbC123', type: 'invalid_request_error' },
    },
  });

/** A refusal of this family, ready to render. */
export class FinternetError extends Error {
  constructor(
    readonly code: FinternetErrorCode,
    message: string,
    readonly param?: string,
  ) {
    super(message);
    this.name = 'FinternetError';
  }
}

export const notFound = (id: string) => new FinternetError('resource_missing', `Payment intent not found: ${id}`);
export const forbidden = () => new FinternetError('forbidden', 'You do not have access to this payment intent');

export function renderFinternetError(c: Context, error: FinternetError): Response {
  const { status, type } = CODES[error.code];
  return c.json(
    { error: { code: error.code, message: error.message, type, ...(error.param !== undefined && { param: error.param }) } },
    status,
  );
}

export const finternetErrorHandler: ErrorHandler<AppEnv> = (error, c) => renderFinternetError(c, toFinternetError(error, c));

/** The family's spelling of the domain fields a refusal can name. */
const FIELDS: Partial<Record<Field, string>> = {
  amount: 'amount',
  currency: 'currency',
  metadata: 'metadata',
  signature: 'signature',
  crypto: 'chainId',
  'crypto.network': 'chainId',
  'crypto.token': 'currency',
  settlement: 'type',
  'settlement.method': 'settlementMethod',
};
const spell = (field: Field) => FIELDS[field] ?? field;

function toFinternetError(error: unknown, c: Context<AppEnv>): FinternetError {
  if (error instanceof FinternetError) return error;
  if (error instanceof ValidationError) {
    const param = (error.path ?? []).map(String).join('.');
    if (error.kind === 'unknown') return new FinternetError('parameter_unknown', `Unknown field: ${param}`, param);
    if (error.kind === 'missing') return new FinternetError('parameter_missing', `Missing required field: ${param}`, param);
    return new FinternetError('parameter_invalid', `Invalid ${param}: ${error.reason}`, param);
  }
  if (error instanceof RequestError) {
    const param = error.path === null ? undefined : error.path.map(String).join('.');
    if (error.code === 'route_not_found') return new FinternetError('route_not_found', error.message);
    // The canonical wire's two idempotency refusals, with its codes and statuses (src/http/idempotency.ts).
    if (error.code === 'idempotency_key_reused' || error.code === 'idempotency_key_in_use')
      return new FinternetError(error.code, error.message, param);
    return new FinternetError(
      error.code === 'body_invalid' || error.code === 'content_type_invalid' ? 'body_invalid' : 'parameter_invalid',
      error.message,
      param,
    );
  }
  if (error instanceof DomainError) return fromDomain(error);
  if (error instanceof HTTPException && error.status < 500) return new FinternetError('body_invalid', error.message);
  const requestId = c.get('requestId');
  logError('unhandled error', { requestId, method: c.req.method, path: c.req.path }, error);
  return new FinternetError('internal_error', `An internal error occurred. If it persists, contact support with request id ${requestId}.`);
}

function fromDomain(error: DomainError): FinternetError {
  const param = error.field && spell(error.field);
  switch (error.code) {
    case 'resource_missing':
      return notFound(error.resource?.id ?? '');
    case 'payment_intent_unexpected_state': {
      const allowed = (error.allowedStatuses ?? []).map((s) => s.toUpperCase()).join(', ');
      return new FinternetError(
        'payment_intent_unexpected_state',
        `Cannot ${(error.operation ?? 'change').replace('_', ' ')} this payment intent: its status is ${error.currentStatus?.toUpperCase()}; allowed only in ${allowed}.`,
        param,
      );
    }
    case 'crypto_not_configured':
      return new FinternetError('crypto_not_configured', error.describe(spell), param);
    case 'chain_unavailable':
      return new FinternetError('chain_unavailable', error.describe(spell), param);
    case 'parameter_missing':
      return new FinternetError('parameter_missing', error.describe(spell), param);
    default:
      return new FinternetError('parameter_invalid', error.describe(spell), param);
  }
}
