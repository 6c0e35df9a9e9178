/**
 * Request bodies of 001_…'s create, in the three media types its document lists: JSON, form
 * encoding and multipart/form-data. Nested fields in the two form types are written with brackets
 * (`customer[email]`, `order_items[0][name]`, as the SDKs here send them) or with dots
 * (`customer.email`, as DRF's nested-form parsers read them). Files are not accepted.
 */
import qs from 'qs';
import { FORM_PARSING, MAX_BODY_BYTES, readBody } from '../../http/body.js';
import { PaytreeError } from './errors.js';

export async function readPaytreeBody(request: Request): Promise<unknown> {
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') return expandDots(await readBody(request));
  if (mediaType !== 'multipart/form-data') return readBody(request);
  const length = Number(request.headers.get('content-length') ?? '0');
  if (length > MAX_BODY_BYTES) throw new PaytreeError(413, { detail: `The request body is larger than ${MAX_BODY_BYTES} bytes.` });
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw new PaytreeError(400, { detail: 'Multipart form parse error - Invalid boundary in multipart: None' });
  }
  const pairs: string[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value !== 'string') throw new PaytreeError(400, { [name]: ['Files are not accepted: send this field as text.'] });
    pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  }
  const text = pairs.join('&');
  if (text.length > MAX_BODY_BYTES) throw new PaytreeError(413, { detail: `The request body is larger than ${MAX_BODY_BYTES} bytes.` });
  try {
    return expandDots(qs.parse(text, FORM_PARSING));
  } catch (error) {
    throw new PaytreeError(400, { detail: `The form body could not be decoded: ${(error as Error).message}` });
  }
}

/** `{"customer.email": "a@b"}` → `{"customer": {"email": "a@b"}}`, for the top-level keys of a form. */
function expandDots(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(body)) {
    const parts = key.split('.');
    if (parts.length === 1 || parts.some((p) => p === '')) {
      out[key] = mergeInto(out[key], value);
      continue;
    }
    let node = out;
    for (const part of parts.slice(0, -1)) {
      if (node[part] === null || typeof node[part] !== 'object') node[part] = Object.create(null);
      node = node[part] as Record<string, unknown>;
    }
    node[parts.at(-1)!] = mergeInto(node[parts.at(-1)!], value);
  }
  return listsFromIndexes(out);
}

function mergeInto(existing: unknown, value: unknown): unknown {
  if (existing && typeof existing === 'object' && value && typeof value === 'object') return Object.assign(existing, value);
  return value;
}

/** An object whose keys are 0, 1, … (from `order_items.0.name`) is the list it spells. */
function listsFromIndexes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(listsFromIndexes);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).map(([k, v]) => [k, listsFromIndexes(v)] as const);
  const keys = entries.map(([k]) => k);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return entries.map(([, v]) => v);
  return Object.fromEntries(entries);
}
