/** GET /v1/crypto_settings: the xpub a merchant's deposit addresses are derived from (set by the operator). */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../../http/context.js';
import { route } from '../../../http/router.js';
import { errorResponses, jsonResponse } from '../../../http/schemas/common.js';
import { cryptoSettings } from '../../../merchants/crypto.js';
import { secretKey } from '../auth.js';
import { scopeOf } from '../context.js';
import { ErrorEnvelope } from '../errors.js';
import * as examples from '../examples.js';
import { cryptoSettingsToWire } from '../wire/crypto-settings.js';

export const CryptoSettings = z
  .object({ object: z.literal('crypto_settings'), xpub: z.string().nullable(), addresses_issued: z.number().int() })
  .openapi('CryptoSettings');

export const retrieve = createRoute({
  method: 'get',
  path: '/v1/crypto_settings',
  tags: ['Crypto'],
  summary: 'The xpub your deposit addresses are derived from (set by the operator), and how many were issued',
  ...secretKey,
  responses: {
    200: jsonResponse(CryptoSettings, 'The crypto settings.', examples.cryptoSettings),
    ...errorResponses(ErrorEnvelope, { 401: 'Missing or unknown API key.', 403: 'A publishable key.' }),
  },
});

export function cryptoSettingsRoutes(app: OpenAPIHono<AppEnv>): void {
  route(app, retrieve, async (c) => c.json(cryptoSettingsToWire(await cryptoSettings(c.env.DIRECTORY, scopeOf(c).merchantId)), 200));
}
