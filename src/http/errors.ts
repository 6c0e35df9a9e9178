/**
 * One error envelope and one status table. Every refusal the API gives has a code here; the
 * Record type makes the compiler insist that each code has a status and an error type.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import type { DomainErrorCode } from '../domain/errors.js';

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'card_error' | 'idempotency_error' | 'api_error';

export type ErrorCode =
  | DomainErrorCode
  | 'parameter_unknown'
  | 'body_invalid'
  | 'content_type_invalid'
  | 'card_declined'
  | 'api_key_missing'
  | 'api_key_invalid'
  | 'secret_key_required'
  | 'admin_token_invalid'
  | 'idempotency_key_reused'
  | 'idempotency_key_in_use'
  | 'route_not_found'
  | 'internal_error';

const STATUS: Record<ErrorCode, { status: 400 | 401 | 402 | 403 | 404 | 409 | 500 | 503; type: ErrorType }> = {
  payment_intent_unexpected_state: { status: 400, type: 'invalid_request_error' },
  parameter_missing: { status: 400, type: 'invalid_request_error' },
  parameter_invalid: { status: 400, type: 'invalid_request_error' },
  parameter_unknown: { status: 400, type: 'invalid_request_error' },
  amount_too_large: { status: 400, type: 'invalid_request_error' },
  payment_method_unexpected_state: { status: 400, type: 'invalid_request_error' },
  payment_intent_incompatible_payment_method: { status: 400, type: 'invalid_request_error' },
  processor_not_configured: { status: 400, type: 'invalid_request_error' },
  body_invalid: { status: 400, type: 'invalid_request_error' },
  content_type_invalid: { status: 400, type: 'invalid_request_error' },
  resource_missing: { status: 404, type: 'invalid_request_error' },
  route_not_found: { status: 404, type: 'invalid_request_error' },
  card_declined: { status: 402, type: 'card_error' },
  payment_intent_authentication_failure: { status: 402, type: 'card_error' },
  api_key_missing: { status: 401, type: 'authentication_error' },
  api_key_invalid: { status: 401, type: 'authentication_error' },
  admin_token_invalid: { status: 401, type: 'authentication_error' },
  secret_key_required: { status: 403, type: 'authentication_error' },
  idempotency_key_reused: { status: 400, type: 'idempotency_error' },
  idempotency_key_in_use: { status: 409, type: 'idempotency_error' },
  internal_error: { status: 500, type: 'api_error' },
  crypto_not_configured: { status: 400, type: 'invalid_request_error' },
  chain_unavailable: { status: 503, type: 'api_error' },
};

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly param: string | null = null,
    /** Extra fields of the envelope (payment_intent on a card error, decline_code, …). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status() {
    return STATUS[this.code].status;
  }

  get type() {
    return STATUS[this.code].type;
  }
}

export function errorResponse(c: Context, error: ApiError): Response {
  return c.json(
    { error: { type: error.type, code: error.code, message: error.message, param: error.param, ...error.extra } },
    error.status,
  );
}

/** Stripe-style parameter names: metadata[order_id], payment_method_types[0]. */
export function paramName(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  return (head ?? '') + rest.map((p) => `[${p}]`).join('');
}

/** Turns the first zod issue into the envelope, naming the parameter. `input` is what was validated. */
export function fromZodError(error: z.ZodError, input: unknown): ApiError {
  const issue = specific(error.issues[0]!);
  if (issue.code === 'unrecognized_keys') {
    const param = paramName([...issue.path, issue.keys[0]!]);
    return new ApiError('parameter_unknown', `Received unknown parameter: ${param}`, param);
  }
  const param = paramName(issue.path);
  if (valueAt(input, issue.path) === undefined) {
    return new ApiError('parameter_missing', `Missing required param: ${param}.`, param);
  }
  const code = issue.code === 'custom' && isErrorCode(issue.params?.code) ? issue.params.code : 'parameter_invalid';
  return new ApiError(code, `Invalid ${param}: ${describeIssue(issue)}`, param);
}

/** The most specific message: a union or record-key issue carries the real one inside. */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key' && issue.issues[0]) return `key ${describeIssue(issue.issues[0])}`;
  if (issue.code === 'invalid_union') {
    const specific = issue.errors.flat().find((i) => i.code === 'custom');
    if (specific) return specific.message;
    return `expected ${issue.errors
      .flat()
      .map((i) => (i.code === 'invalid_type' ? i.expected : i.code))
      .join(' or ')}.`;
  }
  return issue.message;
}

/**
 * A union whose value matched one branch's type but failed inside it (metadata that is an object
 * with a bad key) reports the inner issue, with its full path, rather than "Invalid input".
 */
function specific(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  const typeMismatch = (branch: z.core.$ZodIssue[]) =>
    branch.length === 1 && branch[0]!.path.length === 0 && (branch[0]!.code === 'invalid_type' || branch[0]!.code === 'invalid_value');
  const inner = issue.errors.find((branch) => branch.length > 0 && !typeMismatch(branch));
  if (!inner) return issue;
  const first = inner[0]!;
  return specific({ ...first, path: [...issue.path, ...first.path] } as z.core.$ZodIssue);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && value in STATUS;
}
