/**
 * API-key authentication: `Authorization: Bearer <key>` or HTTP Basic with the key as user name
 * (what `curl -u sk_test_…:` sends). Routes say which kinds of key they take.
 */
import type { MiddlewareHandler } from 'hono';
import { secretsEqual } from '../lib/secrets.js';
import { findKeyOwner, type ApiKeyOwner } from '../merchants/keys.js';
import { ApiError } from './errors.js';
import type { AppEnv } from './openapi.js';

export type Authenticated = ApiKeyOwner;

export function requireKey(allowed: 'secret' | 'secret_or_publishable'): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = presentedKey(c.req.header('authorization'));
    if (key === null) {
      throw new ApiError(
        'api_key_missing',
        'You did not provide an API key. Provide it in the Authorization header as a Bearer token (Authorization: Bearer sk_test_…), or as the user name of HTTP Basic auth.',
      );
    }
    const owner = await findKeyOwner(c.env.DB, key);
    if (!owner) throw new ApiError('api_key_invalid', `Invalid API Key provided: ${redact(key)}`);
    if (allowed === 'secret' && owner.kind !== 'secret') {
      throw new ApiError('secret_key_required', 'This API call cannot be made with a publishable API key. Use a secret key (sk_…).');
    }
    c.set('auth', owner);
    await next();
  };
}

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  const presented = presentedKey(c.req.header('authorization'));
  // With no ADMIN_TOKEN configured, the admin API is closed rather than open.
  if (!expected || presented === null || !(await secretsEqual(presented, expected))) {
    throw new ApiError('admin_token_invalid', 'Admin routes need Authorization: Bearer <ADMIN_TOKEN>.');
  }
  await next();
};

function presentedKey(header: string | undefined): string | null {
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

/** Enough of a key to recognise it in a support conversation, never enough to use it. */
function redact(key: string): string {
  return key.length > 12 ? `${key.slice(0, 8)}${'*'.repeat(Math.min(key.length - 12, 24))}${key.slice(-4)}` : '****';
}
