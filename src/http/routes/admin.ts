/** /v1/admin: operator routes, behind ADMIN_TOKEN. Creating a merchant returns its keys, once. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { assertXpub, InvalidXpubError } from '../../chain/addresses.js';
import type { Env } from '../../env.js';
import { cryptoSettings, setMerchantXpub } from '../../merchants/crypto.js';
import { createMerchant, rollKeys } from '../../merchants/keys.js';
import { requireAdmin, requireKey } from '../auth.js';
import { ApiError } from '../errors.js';
import { route, type AppEnv } from '../openapi.js';
import { ErrorEnvelope } from '../schemas/payment-intent.js';

const TAG = ['Admin'];
const KeyPair = z.object({ secret: z.string(), publishable: z.string() });
const MerchantWithKeys = z
  .object({
    id: z.string().openapi({ example: 'acct_01JD4X2Q8Z3N9A7ZbC1dE2fG3h' }),
    name: z.string(),
    keys: z.object({ test: KeyPair.optional(), live: KeyPair.optional() }),
  })
  .openapi('MerchantWithKeys', { description: 'API keys are shown only here, once; only their hashes are stored.' });
const CreateMerchantParams = z.strictObject({ name: z.string().trim().min(1).max(200) }).openapi('CreateMerchantParams');
const RollKeysParams = z
  .strictObject({ mode: z.enum(['test', 'live']).optional().openapi({ description: 'Roll only this mode’s keys; both when omitted.' }) })
  .openapi('RollKeysParams');
const SetXpubParams = z
  .strictObject({
    xpub: z.string().min(1).max(200).openapi({ description: 'An account-level extended PUBLIC key (xpub…); a private key is refused.' }),
  })
  .openapi('SetXpubParams');
export const CryptoSettings = z
  .object({ object: z.literal('crypto_settings'), xpub: z.string().nullable(), addresses_issued: z.number().int() })
  .openapi('CryptoSettings');
const unauthorized = { 401: { description: 'Missing or wrong ADMIN_TOKEN.', content: { 'application/json': { schema: ErrorEnvelope } } } };

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

export function registerAdminRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/admin/merchants',
      tags: TAG,
      summary: 'Create a merchant with test and live keys',
      middleware: requireAdmin,
      request: { body: { required: true, content: { 'application/json': { schema: CreateMerchantParams } } } },
      responses: {
        201: { description: 'The merchant and its keys.', content: { 'application/json': { schema: MerchantWithKeys } } },
        ...unauthorized,
      },
    }),
    async (c) => {
      // Checked before the merchant exists, so a bad variable never leaves one half made.
      const xpub = defaultCryptoXpub(c.env);
      const merchant = await createMerchant(c.env.DB, c.req.valid('json').name);
      if (xpub) await setMerchantXpub(c.env.DB, merchant.id, xpub);
      return c.json(merchant, 201);
    },
  );

  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/admin/merchants/{id}/crypto',
      tags: TAG,
      summary: "Set the merchant's watch-only xpub, from which each crypto intent gets its own deposit address",
      middleware: requireAdmin,
      request: {
        params: z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) }),
        body: { required: true, content: { 'application/json': { schema: SetXpubParams } } },
      },
      responses: {
        200: { description: 'The crypto settings.', content: { 'application/json': { schema: CryptoSettings } } },
        ...unauthorized,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { xpub } = c.req.valid('json');
      try {
        if (!(await setMerchantXpub(c.env.DB, id, xpub))) throw new ApiError('resource_missing', `No such merchant: '${id}'`, 'id');
      } catch (error) {
        if (error instanceof InvalidXpubError) throw new ApiError('parameter_invalid', `Invalid xpub: ${error.message}`, 'xpub');
        throw error;
      }
      const settings = (await cryptoSettings(c.env.DB, id))!;
      return c.json({ object: 'crypto_settings' as const, xpub: settings.xpub, addresses_issued: settings.addressesIssued }, 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/admin/merchants/{id}/roll_keys',
      tags: TAG,
      summary: 'Replace a merchant’s keys; the old ones stop working at once',
      middleware: requireAdmin,
      request: {
        params: z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) }),
        body: { required: false, content: { 'application/json': { schema: RollKeysParams } } },
      },
      responses: { 200: { description: 'The new keys.', content: { 'application/json': { schema: MerchantWithKeys } } }, ...unauthorized },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { mode } = c.req.valid('json');
      const rolled = await rollKeys(c.env.DB, id, mode ? [mode] : ['test', 'live']);
      if (!rolled) throw new ApiError('resource_missing', `No such merchant: '${id}'`, 'id');
      return c.json(rolled, 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: '/v1/crypto_settings',
      tags: ['Crypto'],
      summary: 'The xpub your deposit addresses are derived from (set by the operator), and how many were issued',
      middleware: requireKey('secret'),
      responses: { 200: { description: 'The crypto settings.', content: { 'application/json': { schema: CryptoSettings } } } },
    }),
    async (c) => {
      const settings = await cryptoSettings(c.env.DB, c.get('auth').merchantId);
      return c.json(
        { object: 'crypto_settings' as const, xpub: settings?.xpub ?? null, addresses_issued: settings?.addressesIssued ?? 0 },
        200,
      );
    },
  );
}
