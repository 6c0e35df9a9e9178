/**
 * The test-mode 3-D Secure challenge page that next_action.redirect_to_url points to. The link's
 * token is the only credential: it is random, single-use (a new attempt makes a new one) and
 * compared in constant time by the intent's Durable Object.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { PaymentIntent } from '../../domain/payment-intent.js';
import { currencyExponent, type Currency } from '../../domain/currency.js';
import { ApiError } from '../errors.js';
import { route, type AppEnv } from '../openapi.js';
import { challengeUrl } from '../../wire/payment-intent.js';
import { baseUrl } from './payment-intents.js';

const TAG = ['3-D Secure (test mode)'];
const Params = z.object({
  id: z
    .string()
    .regex(/^pi_[0-9A-Za-z]{24}$/)
    .openapi({ param: { name: 'id', in: 'path' } }),
  token: z
    .string()
    .regex(/^[0-9A-Za-z]{32}$/)
    .openapi({ param: { name: 'token', in: 'path' } }),
});
const Outcome = z.strictObject({ outcome: z.enum(['succeeded', 'failed']) }).openapi('ChallengeOutcome');
const htmlResponse = { description: 'An HTML page.', content: { 'text/html': { schema: z.string() } } };

export function registerChallengeRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    createRoute({
      method: 'get',
      path: '/challenge/{id}/{token}',
      tags: TAG,
      summary: 'The challenge page a customer is sent to',
      request: { params: Params },
      responses: { 200: htmlResponse },
    }),
    async (c) => {
      const { id, token } = c.req.valid('param');
      const intent = await stub(c, id).challenge(token);
      if (!intent) throw expired();
      return page(
        c,
        'Confirm your payment',
        html`
        <p>Test-mode 3-D Secure authentication for a payment of <strong>${formatAmount(intent)}</strong>.</p>
        <form method="post" action="${challengeUrl(baseUrl(c), id, token)}">
          <button name="outcome" value="succeeded">Complete authentication</button>
          <button name="outcome" value="failed">Fail authentication</button>
        </form>`,
      );
    },
  );

  route(
    app,
    createRoute({
      method: 'post',
      path: '/challenge/{id}/{token}',
      tags: TAG,
      summary: 'Complete or fail the challenge; redirects to the return_url given at confirmation',
      request: { params: Params, body: { required: true, content: { 'application/json': { schema: Outcome } } } },
      responses: { 200: htmlResponse, 303: { description: 'Back to the merchant’s return_url.' } },
    }),
    async (c) => {
      const { id, token } = c.req.valid('param');
      const { outcome } = c.req.valid('json');
      const before = await stub(c, id).challenge(token);
      if (!before) throw expired();
      const result = await stub(c, id).completeChallenge(token, outcome, c.get('requestId'), baseUrl(c));
      if (!result.ok) throw expired();
      const intent = result.intent;
      const redirectStatus = intent.status === 'requires_payment_method' ? 'failed' : 'succeeded';
      const returnUrl = before.nextAction?.type === 'redirect_to_url' ? before.nextAction.returnUrl : null;
      if (returnUrl) {
        const target = new URL(returnUrl);
        target.searchParams.set('payment_intent', intent.id);
        target.searchParams.set('payment_intent_client_secret', intent.clientSecret);
        target.searchParams.set('redirect_status', redirectStatus);
        return c.redirect(target.toString(), 303);
      }
      return page(
        c,
        redirectStatus === 'succeeded' ? 'Authentication complete' : 'Authentication failed',
        html`<p>The payment of <strong>${formatAmount(intent)}</strong> is now <code>${intent.status}</code>. You can close this page.</p>`,
      );
    },
  );
}

function stub(c: Context<AppEnv>, id: string) {
  return c.env.INTENTS.get(c.env.INTENTS.idFromName(id));
}

function expired(): ApiError {
  return new ApiError('resource_missing', 'This authentication link is invalid or has already been used.', 'token');
}

/** 1099 usd → "10.99 USD", 500 jpy → "500 JPY", 1000 kwd → "1.000 KWD": exact, from the exponent. */
export function formatAmount(intent: Pick<PaymentIntent, 'amount' | 'currency'>): string {
  // Challenges only exist for card payments, whose currency is an ISO code.
  const exponent = currencyExponent(intent.currency as Currency);
  const digits = intent.amount.toString().padStart(exponent + 1, '0');
  const major = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return `${major} ${intent.currency.toUpperCase()}`;
}

function page(c: Context<AppEnv>, title: string, content: ReturnType<typeof html>) {
  c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  return c.html(
    html`<!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>${title}</title>
          <style>
            body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; }
            button { font: inherit; padding: .5rem 1rem; margin: .25rem .5rem 0 0; cursor: pointer; }
          </style>
        </head>
        <body>
          <h1>${title}</h1>
          ${content}
        </body>
      </html>`,
    200,
  );
}
