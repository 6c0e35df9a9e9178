/**
 * /v1/checkout_settings: how the merchant's hosted payment pages may be embedded. By default no
 * site may frame them (CSP frame-ancestors 'none'); a merchant that shows the page inside its own
 * site lists that site's origins here.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../../http/context.js';
import { route } from '../../../http/router.js';
import { errorResponses, jsonBody, jsonResponse } from '../../../http/schemas/common.js';
import {
  type CheckoutSettings as Settings,
  checkoutSettings,
  frameAncestorOrigin,
  MAX_FRAME_ANCESTORS,
  setCheckoutSettings,
} from '../../../merchants/checkout.js';
import { secretKey, secretKeyIdempotent } from '../auth.js';
import { scopeOf } from '../context.js';
import { ErrorEnvelope, StripeError } from '../errors.js';

const tags = ['Checkout'];
// Two, as a form body repeats the key for a list (a single value would read as a string).
const EXAMPLE_ORIGINS = ['https://shop.example', 'https://pay.shop.example'];

export const CheckoutSettings = z
  .object({
    object: z.literal('checkout_settings'),
    frame_ancestors: z.array(z.string()).openapi({
      description: "Origins allowed to show the hosted payment page in a frame (the page's CSP frame-ancestors). Empty: no site may.",
    }),
  })
  .openapi('CheckoutSettings');

const UpdateCheckoutSettingsParams = z
  .strictObject({
    frame_ancestors: z.union([z.array(z.string().max(200)).max(MAX_FRAME_ANCESTORS), z.literal('').transform((): string[] => [])]).openapi({
      description: `Replaces the list: up to ${MAX_FRAME_ANCESTORS} origins (https://host[:port], or http on localhost / 127.0.0.1 for development). An empty list (or "" in a form body) allows none.`,
    }),
  })
  .openapi('UpdateCheckoutSettingsParams');

const errors = errorResponses(ErrorEnvelope, { 401: 'Missing or unknown API key.', 403: 'A publishable key.' });

export const retrieve = createRoute({
  method: 'get',
  path: '/v1/checkout_settings',
  tags,
  summary: 'How your hosted payment pages may be embedded',
  ...secretKey,
  responses: {
    200: jsonResponse(CheckoutSettings, 'The checkout settings.', { object: 'checkout_settings', frame_ancestors: [] }),
    ...errors,
  },
});

export const update = createRoute({
  method: 'post',
  path: '/v1/checkout_settings',
  tags,
  summary: 'Set the origins allowed to frame your hosted payment pages',
  ...secretKeyIdempotent,
  request: { body: jsonBody(UpdateCheckoutSettingsParams, true, { frame_ancestors: EXAMPLE_ORIGINS }) },
  responses: {
    200: jsonResponse(CheckoutSettings, 'The checkout settings now.', { object: 'checkout_settings', frame_ancestors: EXAMPLE_ORIGINS }),
    ...errorResponses(ErrorEnvelope, { 400: 'An origin that is not https://host[:port] (the error names it).' }),
    ...errors,
  },
});

function toWire(settings: Settings | undefined) {
  return { object: 'checkout_settings' as const, frame_ancestors: settings?.frameAncestors ?? [] };
}

export function checkoutSettingsRoutes(app: OpenAPIHono<AppEnv>): void {
  route(app, retrieve, async (c) => c.json(toWire(await checkoutSettings(c.env.DIRECTORY, scopeOf(c).merchantId)), 200));
  route(app, update, async (c) => {
    const frameAncestors: string[] = [];
    for (const [i, value] of c.req.valid('json').frame_ancestors.entries()) {
      const origin = frameAncestorOrigin(value);
      if (origin === null) {
        throw new StripeError(
          'parameter_invalid',
          `${JSON.stringify(value)} is not an origin a page may be framed by: give https://host[:port] with no path (http only for localhost or 127.0.0.1).`,
          `frame_ancestors[${i}]`,
        );
      }
      if (!frameAncestors.includes(origin)) frameAncestors.push(origin);
    }
    return c.json(toWire(await setCheckoutSettings(c.env.DIRECTORY, scopeOf(c).merchantId, { frameAncestors })), 200);
  });
}
