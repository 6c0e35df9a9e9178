/**
 * Request bodies: JSON, or form encoding with bracket notation (`metadata[order_id]=A-1`), which is
 * what the official SDKs and `curl -d` send. Decoded into a plain object here, then validated by the
 * route's zod schema like any other input.
 */
import qs from 'qs';
import { BodyNotReceived, RequestError } from './errors.js';

/** Bodies larger than this are refused before parsing (the largest valid body is ~30 KB of metadata). */
export const MAX_BODY_BYTES = 64 * 1024;

/** How a form body is decoded: bracket notation, with limits (every family's forms). */
export const FORM_PARSING = {
  // The deepest parameter: line_items[0][price_data][custom_unit_amount][minimum] (Checkout Sessions).
  depth: 4,
  arrayLimit: 100,
  parameterLimit: 1000,
  allowPrototypes: false,
  plainObjects: true,
  strictDepth: true,
  throwOnLimitExceeded: true,
} as const;

/** Decodes a JSON or form body into a plain object; an empty body is `{}`. */
export async function readBody(request: Request): Promise<unknown> {
  const length = Number(request.headers.get('content-length') ?? '0');
  if (length > MAX_BODY_BYTES) throw new RequestError('body_invalid', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  const bytes = await receive(request);
  if (bytes.byteLength > MAX_BODY_BYTES) throw new RequestError('body_invalid', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new RequestError('body_invalid', 'The request body is not valid UTF-8.');
  }
  if (text.trim() === '') return {};
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/json') return parseJsonObject(text);
  if (mediaType === 'application/x-www-form-urlencoded') {
    // `curl -d '{"amount":…}'` sends JSON labelled as a form: say so, rather than "Missing required param".
    if (/^\s*[{[]/.test(text) && looksLikeJson(text)) {
      throw new RequestError(
        'content_type_invalid',
        'The body is JSON but its Content-Type is application/x-www-form-urlencoded (what curl -d sends by default): send it with Content-Type: application/json, or form-encode the parameters.',
      );
    }
    refuseUndecodablePairs(text, 'form body');
    try {
      return qs.parse(text, FORM_PARSING);
    } catch (error) {
      throw new RequestError('body_invalid', `The form body could not be decoded: ${(error as Error).message}`);
    }
  }
  const hint = mediaType === '' && looksLikeJson(text) ? ' The body is JSON: send it with Content-Type: application/json.' : '';
  throw new RequestError(
    'content_type_invalid',
    `Unsupported Content-Type ${JSON.stringify(mediaType || '(none)')}: send application/x-www-form-urlencoded or application/json.${hint}`,
  );
}

/** The body's bytes. A stream that errors is a client that went away mid-body (workerd: "Network connection lost."). */
async function receive(request: Request): Promise<ArrayBuffer> {
  // A body read twice is our bug, not the client's: let it fail as one.
  if (request.bodyUsed) return request.arrayBuffer();
  try {
    return await request.arrayBuffer();
  } catch (error) {
    throw new BodyNotReceived(error instanceof Error ? error.message.slice(0, 200) : 'the body stream failed');
  }
}

/**
 * A query string's values, checked as a form body's are: Hono keeps an undecodable value as its raw
 * text too. `search` is the URL's, with or without its `?`.
 */
export function refuseUndecodableQuery(search: string): void {
  const text = search.startsWith('?') ? search.slice(1) : search;
  if (text !== '') refuseUndecodablePairs(text, 'query string');
}

/**
 * qs keeps a pair whose percent-encoding is not UTF-8 (`%ED%A0%80`, `%E2%82`, `%ZZ`) as its raw text,
 * which would then pass a lenient schema as something the client never meant: refuse it instead,
 * naming the parameter (as far as its name decodes).
 */
function refuseUndecodablePairs(text: string, where: 'form body' | 'query string'): void {
  for (const pair of text.split('&')) {
    if (!pair.includes('%')) continue;
    const cut = pair.indexOf('=');
    const rawKey = cut === -1 ? pair : pair.slice(0, cut);
    const key = decodeOrNull(rawKey);
    if (key === null) {
      // In a query string, such a name is an unknown parameter like any other (kept as its raw text): the route answers for it.
      if (where === 'query string') continue;
      throw new RequestError('body_invalid', 'The form body has a parameter name that is not valid percent-encoded UTF-8.');
    }
    if (cut !== -1 && decodeOrNull(pair.slice(cut + 1)) === null) {
      const path = key.split(/[[\]]+/).filter((part) => part !== '');
      throw new RequestError('parameter_invalid', `Invalid ${key}: the value is not valid percent-encoded UTF-8.`, path);
    }
  }
}

function decodeOrNull(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

function parseJsonObject(text: string): object {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RequestError('body_invalid', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RequestError('body_invalid', 'The request body must be a JSON object.');
  }
  return parsed;
}

function looksLikeJson(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null;
  } catch {
    return false;
  }
}
