/** /v1/admin: operator routes, behind ADMIN_TOKEN. Creating a merchant returns its keys, once. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { createMerchant, rollKeys } from '../../merchants/keys.js';
import { requireAdmin } from '../auth.js';
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
const unauthorized = { 401: { description: 'Missing or wrong ADMIN_TOKEN.', content: { 'application/json': { schema: ErrorEnvelope } } } };

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
      responses: { 201: { description: 'The merchant and its keys.', content: { 'application/json': { schema: MerchantWithKeys } } }, ...unauthorized },
    }),
    async (c) => c.json(await createMerchant(c.env.DB, c.req.valid('json').name), 201),
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
}
