/**
 * The error envelope of 002_…'s family (DebitLlama's /api/v1): the hypermedia frame every answer of
 * that API has (`_self`, `_version`, `_description`, `_links`) and `error: {message, status,
 * timestamp}`, the timestamp a UTC string. `error.parameter` names the parameter at fault (null when
 * none is): DebitLlama only says it in the message, which this family does too.
 */
import { z } from '@hono/zod-openapi';
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../../http/context.js';
import { RequestError, ValidationError } from '../../http/errors.js';
import { redactPath } from '../../lib/card-numbers.js';
import { logError } from '../../lib/log.js';

export const Link = z.object({ href: z.string(), methods: z.array(z.enum(['GET', 'POST', 'PUT', 'DELETE'])) }).openapi('Link_ApiV1');

/** What every answer of this family carries. */
export const frame = {
  _self: Link,
  _version: z.literal('v1'),
  _description: z.string(),
  _links: z.array(Link),
};

export const ErrorResponse = z
  .object({
    ...frame,
    error: z.object({
      message: z.string(),
      status: z.number().int(),
      timestamp: z.string().openapi({ description: 'When, as a UTC string (Date.prototype.toUTCString).' }),
      parameter: z.string().nullable().openapi({ description: 'The query parameter at fault (filter fields as filter.<field>), or null.' }),
    }),
  })
  .openapi('ErrorResponse_ApiV1', {
    example: {
      _self: { href: '/api/v1/payment_intents', methods: ['GET'] },
      _version: 'v1',
      _description: 'GET: All payment intents of access token owner paginated',
      _links: [{ href: '/api/v1', methods: ['GET'] }],
      error: {
        message: 'Invalid SortBy parameter! Column not found: amount',
        status: 400,
        timestamp: 'Mon, 30 Nov 2026 12:00:00 GMT',
        parameter: 'sort_by',
      },
    },
  });

/** A refusal of this family, ready to render. */
export class ApiV1Error extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly parameter: string | null = null,
  ) {
    super(message);
    this.name = 'ApiV1Error';
  }
}

/** The frame of the path a request was for: itself, described, and the API's root. */
export function frameOf(path: string, description: string) {
  return {
    _self: { href: path, methods: ['GET' as const] },
    _version: 'v1' as const,
    _description: description,
    _links: [{ href: '/api/v1', methods: ['GET' as const] }],
  };
}

export function renderApiV1Error(c: Context, error: ApiV1Error, description = 'DebitLlama Api v1'): Response {
  return c.json(
    {
      // A refused path may hold a card number (refused for it): the frame never echoes one.
      ...frameOf(redactPath(c.req.path), description),
      error: { message: error.message, status: error.status, timestamp: new Date().toUTCString(), parameter: error.parameter },
    },
    error.status,
  );
}

/** Every refusal in this family's envelope; anything else a 500 that leaks nothing but the request id. */
export const apiV1ErrorHandler: ErrorHandler<AppEnv> = (error, c) => renderApiV1Error(c, toApiV1Error(error, c));

function toApiV1Error(error: unknown, c: Context<AppEnv>): ApiV1Error {
  if (error instanceof ApiV1Error) return error;
  if (error instanceof ValidationError) {
    const param = (error.path ?? []).map(String).join('.');
    if (error.kind === 'unknown') return new ApiV1Error(400, `Unknown parameter: ${param}`, param);
    if (error.kind === 'missing') return new ApiV1Error(400, `Missing parameter: ${param}`, param);
    return new ApiV1Error(400, `Invalid ${param} parameter: ${error.reason}`, param);
  }
  if (error instanceof RequestError) {
    const param = error.path === null ? null : error.path.map(String).join('.');
    return new ApiV1Error(error.code === 'route_not_found' ? 404 : 400, error.message, param);
  }
  if (error instanceof HTTPException && error.status < 500) return new ApiV1Error(400, error.message);
  const requestId = c.get('requestId');
  logError('unhandled error', { requestId, method: c.req.method, path: c.req.path }, error);
  return new ApiV1Error(500, `An internal error occurred. If it persists, contact support with request id ${requestId}.`);
}
