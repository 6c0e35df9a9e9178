/**
 * The Stripe family's authentication: an API key as `Authorization: Bearer <key>` or as the user
 * name of HTTP Basic auth (what `curl -u sk_test_…:` sends). Each route says which kinds of key it
 * takes, and documents it: the middleware and the OpenAPI security requirement come together.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../http/context.js';
import { idempotent, idempotentOnObject, type ShownSecret } from '../../http/idempotency.js';
import { containsCardNumber } from '../../lib/card-numbers.js';
import { findKeyOwner } from '../../merchants/keys.js';
import { noSuchIntent } from '../../domain/errors.js';
import { StripeError } from './errors.js';

/** The OpenAPI security schemes of this family, registered on its router (src/api/stripe/index.ts). */
export const SECURITY_SCHEMES = {
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key as a Bearer token: `Authorization: Bearer sk_test_…`. A secret key (sk_test_…, sk_live_…), or where a route says so a publishable key (pk_…).',
  },
  apiKeyBasic: {
    type: 'http',
    scheme: 'basic',
    description: 'The API key as the user name of HTTP Basic auth, with an empty password (`curl -u sk_test_…:`).',
  },
} as const;

const API_KEY_SECURITY: Record<string, string[]>[] = [{ apiKey: [] }, { apiKeyBasic: [] }];

/**
 * `keyInQuery`: the route also takes a publishable key as the query parameter `key`, for a browser
 * that cannot set a header (a WebSocket). The Authorization header still comes first. A secret key
 * there is refused as if the intent did not exist: a secret key never goes in a URL.
 */
export function requireKey(allowed: 'secret' | 'secret_or_publishable', options: { keyInQuery?: true } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const fromHeader = presentedKey(c.req.header('authorization'));
    const fromQuery = options.keyInQuery && fromHeader === null ? (c.req.query('key') ?? null) : null;
    const key = fromHeader ?? fromQuery;
    if (key === null) {
      throw new StripeError(
        'api_key_missing',
        'You did not provide an API key. Provide it in the Authorization header as a Bearer token (Authorization: Bearer sk_test_…), or as the user name of HTTP Basic auth.',
      );
    }
    const owner = await findKeyOwner(c.env.DIRECTORY, key);
    if (!owner) throw new StripeError('api_key_invalid', `Invalid API Key provided: ${redact(key)}`);
    if (fromQuery !== null && owner.kind !== 'publishable') throw noSuchIntent(c.req.param('id') ?? '');
    if (allowed === 'secret' && owner.kind !== 'secret') {
      throw new StripeError('secret_key_required', 'This API call cannot be made with a publishable API key. Use a secret key (sk_…).');
    }
    c.set('auth', owner);
    await next();
  };
}

/** Route settings: a secret key, documented. */
export const secretKey = { middleware: requireKey('secret'), security: API_KEY_SECURITY };
/** A secret key, and an Idempotency-Key honoured (every POST that changes something). */
export const secretKeyIdempotent = { middleware: [requireKey('secret'), idempotent()], security: API_KEY_SECURITY };
/** A secret key, and an Idempotency-Key kept by the intent the route changes (its Durable Object). */
export const secretKeyIdempotentOnObject = { middleware: [requireKey('secret'), idempotentOnObject()], security: API_KEY_SECURITY };
/** The same, for a route whose answer shows a secret: the idempotency record holds only a reference to it. */
export const secretKeyIdempotentShowing = (secret: ShownSecret) => ({
  middleware: [requireKey('secret'), idempotent(secret)],
  security: API_KEY_SECURITY,
});
/** A secret key, or a publishable key for a browser (the route checks what else that needs). */
export const secretOrPublishableKey = { middleware: requireKey('secret_or_publishable'), security: API_KEY_SECURITY };

/** A secret key, or a publishable key for a browser; an Idempotency-Key kept by the intent the route changes. */
export const secretOrPublishableKeyIdempotentOnObject = {
  middleware: [requireKey('secret_or_publishable'), idempotentOnObject()],
  security: API_KEY_SECURITY,
};

/** A secret key, or (a browser's WebSocket) a publishable key in the header or as the query parameter `key`. */
export const keyInHeaderOrPublishableInQuery = {
  middleware: requireKey('secret_or_publishable', { keyInQuery: true }),
  security: API_KEY_SECURITY,
};

/** The key of `Authorization: Bearer <key>` or of Basic auth's user name; null when there is none. */
export function presentedKey(header: string | undefined): string | null {
  if (!header) return null;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!value) return null;
  if (scheme!.toLowerCase() === 'bearer') return value;
  if (scheme!.toLowerCase() === 'basic') {
    let decoded: string;
    try {
      decoded = atob(value);
    } catch {
      return null;
    }
    const user = decoded.split(':', 1)[0]!;
    return user === '' ? null : user;
  }
  return null;
}

/** Enough of a key to recognise it in a support conversation, never enough to use it; nothing of a card number sent as one. */
function redact(key: string): string {
  if (containsCardNumber(key)) return '****';
  return key.length > 12 ? `${key.slice(0, 8)}${'*'.repeat(Math.min(key.length - 12, 24))}${key.slice(-4)}` : '****';
}
