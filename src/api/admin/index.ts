/**
 * /v1/admin: the operator's API, behind ADMIN_TOKEN. It speaks the canonical family's envelope.
 * Creating a merchant returns its keys, once.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { assertXpub, InvalidXpubError } from '../../chain/addresses.js';
import type { Env } from '../../env.js';
import type { AppEnv } from '../../http/context.js';
import { newRouter, route } from '../../http/router.js';
import { errorResponses, jsonBody, jsonResponse } from '../../http/schemas/common.js';
import { secretsEqual } from '../../lib/secrets.js';
import { setMerchantXpub } from '../../merchants/crypto.js';
import { createMerchant, rollKeys } from '../../merchants/keys.js';
import { presentedKey } from '../stripe/auth.js';
import { CryptoSettings } from '../stripe/crypto-settings/index.js';
import { links } from '../stripe/context.js';
import { ErrorEnvelope, noSuchObject, StripeError, stripeErrorHandler } from '../stripe/errors.js';
import * as examples from '../stripe/examples.js';
import { cryptoSettingsToWire } from '../stripe/wire/crypto-settings.js';

export const ADMIN_SECURITY_SCHEME = {
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description: "The deployment's ADMIN_TOKEN as a Bearer token, for /v1/admin/* only: `Authorization: Bearer <ADMIN_TOKEN>`.",
  },
} as const;

const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  const presented = presentedKey(c.req.header('authorization'));
  // With no ADMIN_TOKEN configured, the admin API is closed rather than open.
  if (!expected || presented === null || !(await secretsEqual(presented, expected))) {
    throw new StripeError('admin_token_invalid', 'Admin routes need Authorization: Bearer <ADMIN_TOKEN>.');
  }
  await next();
};
const admin = { middleware: requireAdmin, security: [{ adminToken: [] }] as Record<string, string[]>[] };

const tags = ['Admin'];
const KeyPair = z.object({ secret: z.string(), publishable: z.string() });
const MerchantWithKeys = z
  .object({
    id: z.string(),
    name: z.string(),
    keys: z.object({ test: KeyPair.optional(), live: KeyPair.optional() }),
  })
  .openapi('MerchantWithKeys', { description: 'API keys are shown only here, once; only their hashes are stored.' });
const CreateMerchantParams = z
  .strictObject({ name: z.string().trim().min(1).max(200).openapi({ example: 'My shop' }) })
  .openapi('CreateMerchantParams');
const RollKeysParams = z
  .strictObject({ mode: z.enum(['test', 'live']).optional().openapi({ description: 'Roll only this mode’s keys; both when omitted.' }) })
  .openapi('RollKeysParams');
const SetXpubParams = z
  .strictObject({
    xpub: z.string().min(1).max(200).openapi({ description: 'An account-level extended PUBLIC key (xpub…); a private key is refused.' }),
  })
  .openapi('SetXpubParams');
const MerchantIdParam = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: examples.merchantWithKeys.id }),
});
const errors = errorResponses(ErrorEnvelope, {
  400: 'Invalid request: the error names the parameter.',
  401: 'Missing or wrong ADMIN_TOKEN.',
  404: 'No such merchant.',
});

/**
 * DEFAULT_CRYPTO_XPUB (local development), checked. An invalid value is the deployment's fault, not
 * the caller's: it throws, which answers 500 and logs why. The value is never echoed (it may be private).
 */
export function defaultCryptoXpub(env: Pick<Env, 'DEFAULT_CRYPTO_XPUB'>): string | undefined {
  const xpub = env.DEFAULT_CRYPTO_XPUB;
  if (!xpub) return undefined;
  try {
    assertXpub(xpub);
  } catch (error) {
    if (error instanceof InvalidXpubError) throw new Error(`DEFAULT_CRYPTO_XPUB is misconfigured: ${error.message}`);
    throw error;
  }
  return xpub;
}

export const createMerchantRoute = createRoute({
  method: 'post',
  path: '/v1/admin/merchants',
  tags,
  summary: 'Create a merchant with test and live keys',
  ...admin,
  request: { body: jsonBody(CreateMerchantParams, true, examples.createMerchantRequest) },
  responses: { 201: jsonResponse(MerchantWithKeys, 'The merchant and its keys.', examples.merchantWithKeys), ...errors },
});

export const setXpubRoute = createRoute({
  method: 'post',
  path: '/v1/admin/merchants/{id}/crypto',
  tags,
  summary: "Set the merchant's watch-only xpub, from which each crypto intent gets its own deposit address",
  ...admin,
  request: { params: MerchantIdParam, body: jsonBody(SetXpubParams, true, examples.setXpubRequest) },
  responses: { 200: jsonResponse(CryptoSettings, 'The crypto settings.', examples.xpubSet), ...errors },
});

export const rollKeysRoute = createRoute({
  method: 'post',
  path: '/v1/admin/merchants/{id}/roll_keys',
  tags,
  summary: 'Replace a merchant’s keys; the old ones stop working at once',
  ...admin,
  request: { params: MerchantIdParam, body: jsonBody(RollKeysParams, false, examples.rollKeysRequest) },
  responses: {
    200: jsonResponse(MerchantWithKeys, 'The new keys.', examples.rolledKeys),
    ...errors,
    ...errorResponses(ErrorEnvelope, { 409: 'Another roll of the same keys won: this one changed nothing.' }),
  },
});

/** The admin family: its own auth (ADMIN_TOKEN), the canonical family's envelope. */
export function adminApi(): OpenAPIHono<AppEnv> {
  const app = newRouter();
  app.onError(stripeErrorHandler(links));
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', ADMIN_SECURITY_SCHEME.adminToken);
  route(app, createMerchantRoute, async (c) => {
    // Checked before the merchant exists, so a bad variable never leaves one half made.
    const xpub = defaultCryptoXpub(c.env);
    const merchant = await createMerchant(c.env, c.req.valid('json').name);
    if (xpub) await setMerchantXpub(c.env.DIRECTORY, merchant.id, xpub);
    return c.json(merchant, 201);
  });

  route(app, setXpubRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { xpub } = c.req.valid('json');
    let settings: Awaited<ReturnType<typeof setMerchantXpub>>;
    try {
      settings = await setMerchantXpub(c.env.DIRECTORY, id, xpub);
    } catch (error) {
      if (error instanceof InvalidXpubError) throw new StripeError('parameter_invalid', `Invalid xpub: ${error.message}`, 'xpub');
      throw error;
    }
    if (!settings) throw noSuchObject('merchant', id, 'id');
    return c.json(cryptoSettingsToWire(settings), 200);
  });

  route(app, rollKeysRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { mode } = c.req.valid('json');
    const rolled = await rollKeys(c.env.DIRECTORY, id, mode ? [mode] : ['test', 'live']);
    if (rolled === 'conflict') {
      // Another roll replaced the same keys first: answering 200 would hand out keys already revoked.
      throw new StripeError(
        'concurrent_update',
        "Another request rolled this merchant's keys at the same time; this roll was not applied and issued no keys.",
        null,
        {},
        false,
      );
    }
    if (!rolled) throw noSuchObject('merchant', id, 'id');
    return c.json(rolled, 200);
  });
  return app;
}
