/**
 * Refusals the shared HTTP machinery gives before a request reaches a family's handler: a body
 * that cannot be decoded, parameters that fail their schema, an idempotency key in conflict, an
 * unknown route. Like DomainError they speak no family's wire: each family renders them in its own
 * envelope and spelling (Stripe's: `metadata[order_id]`, "Missing required param: amount.").
 */
import type { z } from 'zod';

export const REQUEST_ERROR_CODES = [
  'body_invalid',
  'content_type_invalid',
  'parameter_missing',
  'parameter_invalid',
  'parameter_unknown',
  'amount_too_large',
  'idempotency_key_reused',
  'idempotency_key_in_use',
  'idempotency_secret_gone',
  'route_not_found',
] as const;
export type RequestErrorCode = (typeof REQUEST_ERROR_CODES)[number];

export class RequestError extends Error {
  constructor(
    readonly code: RequestErrorCode,
    message: string,
    /** The parameter at fault, as a path into the decoded request (['metadata', 'order_id']); a header by its name. */
    readonly path: readonly PropertyKey[] | null = null,
    /** Whether the client may retry the same request (an idempotency key still in use). */
    readonly retryable?: boolean,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/**
 * The body stopped arriving: the client went away, or its connection broke, while sending it. The
 * client's doing, not a fault of the service: a 400 (which nobody may be left to read), logged by the
 * family's error handler as a warning. Nothing ran, so the same request may be sent again.
 */
export class BodyNotReceived extends RequestError {
  constructor(
    /** What the runtime said ("Network connection lost."), for the log. */
    readonly reason: string,
  ) {
    super(
      'body_invalid',
      'The request body was not received in full: the connection was lost while it was being sent. Send the request again.',
      null,
      true,
    );
    this.name = 'BodyNotReceived';
  }
}

/**
 * A parameter that failed its schema: what kind of failure, where, and why (the schema's words).
 * The family phrases it ("Missing required param: amount.", "Received unknown parameter: x").
 */
export class ValidationError extends RequestError {
  constructor(
    readonly kind: 'missing' | 'unknown' | 'invalid',
    code: RequestErrorCode,
    path: readonly PropertyKey[],
    readonly reason: string,
  ) {
    super(code, reason, path);
    this.name = 'ValidationError';
  }
}

/** Turns the first zod issue into a ValidationError. `input` is what was validated, to tell missing from invalid. */
export function fromZodError(error: z.ZodError, input: unknown): ValidationError {
  const issue = specific(error.issues[0]!);
  if (issue.code === 'unrecognized_keys') {
    return new ValidationError('unknown', 'parameter_unknown', [...issue.path, issue.keys[0]!], 'unknown parameter');
  }
  if (valueAt(input, issue.path) === undefined) return new ValidationError('missing', 'parameter_missing', issue.path, 'required');
  const code = issue.code === 'custom' && issue.params?.code === 'amount_too_large' ? 'amount_too_large' : 'parameter_invalid';
  return new ValidationError('invalid', code, issue.path, describeIssue(issue));
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

/** The value at `path` in a request's decoded input; undefined where the path leads nowhere. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
