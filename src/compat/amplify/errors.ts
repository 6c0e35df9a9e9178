/**
 * The error envelope of 000_…'s family (Amplify). Its document shows no error body, so this family
 * answers in the shape of the framework its answers come from (`_id`, `created_at`: a NestJS service
 * over MongoDB): `{statusCode, message, error}`, `error` the status's reason phrase. `param` names the
 * parameter at fault (null when none is), as every family here does.
 */
import { z } from '@hono/zod-openapi';
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { BodyNotReceived, RequestError, ValidationError } from '../../http/errors.js';
import type { AppEnv } from '../../http/context.js';
import { DomainError, type Field } from '../../domain/errors.js';
import { logError, logWarn } from '../../lib/log.js';

/** Every status this family answers with, and its reason phrase (NestJS's `error`). */
export const REASONS = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
} as const;
export type AmplifyStatusCode = keyof typeof REASONS;

export const ErrorResponse = z
  .object({
    statusCode: z.number().int().openapi({ description: 'The HTTP status, again.' }),
    message: z.string(),
    error: z.string().openapi({ description: 'The status`s reason phrase.' }),
    param: z.string().nullable().openapi({ description: 'The parameter (or header) at fault, or null.' }),
  })
  .openapi('ErrorResponse_Amplify', {
    example: { statusCode: 400, message: 'receiverId is required', error: 'Bad Request', param: 'receiverId' },
  });

/** A refusal of this family, ready to render. */
export class AmplifyError extends Error {
  constructor(
    readonly status: AmplifyStatusCode,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'AmplifyError';
  }
}

export function renderAmplifyError(c: Context, error: AmplifyError): Response {
  return c.json({ statusCode: error.status, message: error.message, error: REASONS[error.status], param: error.param }, error.status);
}

export const notFoundError = () => new AmplifyError(404, 'Payment intent not found');

/** Every refusal in this family's envelope; anything else a 500 that leaks nothing but the request id. */
export const amplifyErrorHandler: ErrorHandler<AppEnv> = (error, c) => renderAmplifyError(c, toAmplifyError(error, c));

/** This family's spelling of the domain's fields it can meet (the payer's choices are the hosted page's). */
const SPELLING: Partial<Record<Field, string>> = { metadata: 'metadata', amount: 'amount', crypto: 'token' };

function toAmplifyError(error: unknown, c: Context<AppEnv>): AmplifyError {
  if (error instanceof AmplifyError) return error;
  if (error instanceof ValidationError) {
    const param = (error.path ?? []).map(String).join('.');
    if (error.kind === 'unknown') return new AmplifyError(400, `property ${param} should not exist`, param);
    if (error.kind === 'missing') return new AmplifyError(400, `${param} is required`, param);
    return new AmplifyError(400, `${param}: ${error.reason}`, param);
  }
  if (error instanceof BodyNotReceived) {
    logWarn('request body not received', { requestId: c.get('requestId'), reason: error.reason });
    return new AmplifyError(400, error.message);
  }
  if (error instanceof RequestError) {
    const param = error.path === null ? null : error.path.map(String).join('.');
    return new AmplifyError(error.code === 'route_not_found' ? 404 : 400, error.message, param);
  }
  if (error instanceof DomainError) {
    if (error.code === 'resource_missing') return notFoundError();
    if (error.code === 'chain_unavailable')
      return new AmplifyError(
        503,
        error.describe((f) => f),
      );
    if (error.code === 'crypto_not_configured') {
      return new AmplifyError(
        400,
        "This account cannot take payments yet: its watch-only xpub (from which each payment intent's walletAddress is derived) is not set.",
      );
    }
    const spelled = (field: Field) => SPELLING[field] ?? field;
    return new AmplifyError(400, error.describe(spelled), error.field ? spelled(error.field) : null);
  }
  if (error instanceof HTTPException && error.status < 500) return new AmplifyError(400, error.message);
  const requestId = c.get('requestId');
  logError('unhandled error', { requestId, method: c.req.method, path: c.req.path }, error);
  return new AmplifyError(500, `An internal error occurred. If it persists, contact support with request id ${requestId}.`);
}
