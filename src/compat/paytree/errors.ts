/**
 * The error envelope of 001_…'s family (Paytree, a Django REST framework API), in the shape its
 * users' clients parse: a body that failed validation is field → list of messages, nested as the
 * fields are (`{"customer": {"email": ["Enter a valid email address."]}}`, a list item's errors at
 * its index); every other refusal is `{"detail": "…"}` with DRF's own words (401 "Invalid token.",
 * 404 "Not found.", 405 'Method "PUT" not allowed.'). Messages are DRF's for the checks DRF makes.
 */
import { z } from '@hono/zod-openapi';
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type Field } from '../../domain/errors.js';
import type { AppEnv } from '../../http/context.js';
import { BodyNotReceived, RequestError, valueAt } from '../../http/errors.js';
import { logError, logWarn } from '../../lib/log.js';

/** Field → messages, nested for nested fields (a list's items at their index). */
export interface FieldErrors {
  [field: string]: string[] | FieldErrors | FieldErrors[];
}

export const ErrorResponse = z
  .union([
    z.object({ detail: z.string() }),
    z.record(z.string(), z.unknown()).openapi({ description: 'Field → list of messages, nested as the fields are.' }),
  ])
  .openapi('Error_Paytree', {
    description:
      'Django REST framework`s shape: `{"detail": "…"}` for a refusal of the request as a whole, `{"field": ["message", …]}` for bad fields ' +
      '(nested: `{"customer": {"email": ["Enter a valid email address."]}}`).',
    example: { amount: ['Ensure that there are no more than 3 decimal places for KWD.'] },
  });

/** A refusal of this family, ready to render: `{"detail": …}` or field errors. */
export class PaytreeError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 405 | 413 | 415 | 500 | 503,
    readonly body: { detail: string } | FieldErrors,
  ) {
    super('detail' in body && typeof body.detail === 'string' ? body.detail : 'Invalid input.');
    this.name = 'PaytreeError';
  }
}

export const notAuthenticated = () => new PaytreeError(401, { detail: 'Authentication credentials were not provided.' });
export const invalidToken = () => new PaytreeError(401, { detail: 'Invalid token.' });
export const notFound = () => new PaytreeError(404, { detail: 'Not found.' });
export const fieldError = (path: readonly (string | number)[], message: string) => new PaytreeError(400, nest([{ path, message }]));

export function renderPaytreeError(c: Context, error: PaytreeError): Response {
  // DRF names the scheme a 401 wants (TokenAuthentication's keyword).
  if (error.status === 401) c.header('WWW-Authenticate', 'Token');
  return c.json(error.body, error.status as ContentfulStatusCode);
}

export const paytreeErrorHandler: ErrorHandler<AppEnv> = (error, c) => renderPaytreeError(c, toPaytreeError(error, c));

/** DRF's messages for zod's issues. */
export function zodToFieldErrors(error: z.ZodError, input: unknown): FieldErrors {
  return nest(
    error.issues.map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      const value = valueAt(input, issue.path);
      // DRF puts a nested object's own type error under its non_field_errors.
      const aboutObject = issue.code === 'invalid_type' && issue.expected === 'object' && value !== undefined && value !== null;
      return { path: aboutObject && path.length > 0 ? [...path, 'non_field_errors'] : path, message: message(issue, input) };
    }),
  );
}

function message(issue: z.core.$ZodIssue, input: unknown): string {
  const value = valueAt(input, issue.path);
  if (value === undefined && (issue.code === 'invalid_value' || issue.code === 'invalid_type')) return 'This field is required.';
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'This field is required.';
      if (value === null) return 'This field may not be null.';
      if (issue.expected === 'object') return `Invalid data. Expected a dictionary, but got ${pythonType(value)}.`;
      if (issue.expected === 'array') return `Expected a list of items but got type "${pythonType(value)}".`;
      if (issue.expected === 'number' || issue.expected === 'int') return 'A valid integer is required.';
      return 'Not a valid string.';
    case 'too_small':
      if (issue.origin === 'string')
        return issue.minimum === 1 ? 'This field may not be blank.' : `Ensure this field has at least ${issue.minimum} characters.`;
      if (issue.origin === 'array') return `Ensure this field has at least ${issue.minimum} elements.`;
      return `Ensure this value is greater than or equal to ${issue.minimum}.`;
    case 'too_big':
      if (issue.origin === 'string') return `Ensure this field has no more than ${issue.maximum} characters.`;
      if (issue.origin === 'array') return `Ensure this field has no more than ${issue.maximum} elements.`;
      return `Ensure this value is less than or equal to ${issue.maximum}.`;
    case 'invalid_value':
      return `"${typeof value === 'string' ? value : JSON.stringify(value)}" is not a valid choice.`;
    case 'invalid_format':
      if (issue.format === 'email') return 'Enter a valid email address.';
      if (issue.format === 'url') return 'Enter a valid URL.';
      if (issue.format === 'uuid') return 'Must be a valid UUID.';
      return issue.message;
    default:
      return issue.message;
  }
}

function pythonType(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return typeof value === 'object' ? 'dict' : typeof value;
}

/**
 * Messages at paths, nested into DRF's shape. A message about an object as a whole (it is not an
 * object) sits under its `non_field_errors`, as DRF puts it; a list's items are a list of error
 * objects, `{}` for the items without errors.
 */
function nest(errors: { path: readonly (string | number)[]; message: string }[]): FieldErrors {
  const root: FieldErrors = {};
  for (const { path, message: text } of errors) {
    if (path.length === 0) {
      push(root, 'non_field_errors', text);
      continue;
    }
    let node: FieldErrors | FieldErrors[] = root;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!;
      const nextIsIndex = typeof path[i + 1] === 'number';
      node = child(node, key, nextIsIndex);
    }
    const last = path.at(-1)!;
    if (Array.isArray(node)) {
      push(itemAt(node, last as number), 'non_field_errors', text);
    } else {
      push(node, String(last), text);
    }
  }
  // Sparse list entries are items without errors.
  return fillHoles(root) as FieldErrors;
}

function child(node: FieldErrors | FieldErrors[], key: string | number, list: boolean): FieldErrors | FieldErrors[] {
  if (Array.isArray(node)) return itemAt(node, key as number);
  const existing = node[String(key)];
  if (existing !== undefined && !isMessages(existing)) return existing;
  const made: FieldErrors | FieldErrors[] = list ? [] : {};
  // Messages about the object itself and about its fields at once: the fields' win (the object's type was wrong).
  node[String(key)] = made;
  return made;
}

function itemAt(list: FieldErrors[], index: number): FieldErrors {
  if (list[index] === undefined) list[index] = {};
  return list[index];
}

function isMessages(value: FieldErrors[string]): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function push(node: FieldErrors, key: string, text: string): void {
  const existing = node[key];
  if (existing === undefined) node[key] = [text];
  else if (isMessages(existing) && !existing.includes(text)) existing.push(text);
}

function fillHoles(value: unknown): unknown {
  if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => fillHoles(value[i] ?? {}));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillHoles(v)]));
  return value;
}

/** The family's fields for the domain's, where a refusal names one. */
const FIELDS: Partial<Record<Field, string>> = {
  amount: 'amount',
  currency: 'amount_currency',
  paymentMethodTypes: 'method',
  paymentMethod: 'method',
  captureMethod: 'method',
  crypto: 'method',
  metadata: 'metadata',
  returnUrl: 'callback',
};
const spell = (field: Field) => FIELDS[field] ?? field;

function toPaytreeError(error: unknown, c: Context<AppEnv>): PaytreeError {
  if (error instanceof PaytreeError) return error;
  if (error instanceof BodyNotReceived) {
    logWarn('request body not received', { requestId: c.get('requestId'), reason: error.reason });
    return new PaytreeError(400, { detail: error.message });
  }
  if (error instanceof RequestError) {
    if (error.code === 'route_not_found') return notFound();
    if (error.path && error.path.length > 0)
      return fieldError(
        error.path.map((p) => (typeof p === 'number' ? p : String(p))),
        error.message,
      );
    if (error.code === 'content_type_invalid' && error.message.startsWith('Unsupported Content-Type')) {
      const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
      return new PaytreeError(415, { detail: `Unsupported media type "${mediaType}" in request.` });
    }
    return new PaytreeError(400, { detail: error.message });
  }
  if (error instanceof DomainError) {
    if (error.code === 'resource_missing') return notFound();
    if (error.code === 'chain_unavailable') return new PaytreeError(503, { detail: error.describe(spell) });
    const text = error.describe(spell);
    return error.field ? fieldError(spell(error.field).split('.'), text) : new PaytreeError(400, { detail: text });
  }
  if (error instanceof HTTPException && error.status < 500) return new PaytreeError(400, { detail: error.message });
  const requestId = c.get('requestId');
  logError('unhandled error', { requestId, method: c.req.method, path: c.req.path }, error);
  return new PaytreeError(500, { detail: `A server error occurred. If it persists, contact support with request id ${requestId}.` });
}
