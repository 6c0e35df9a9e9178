/**
 * The test-mode 3-D Secure challenge page that next_action.redirect_to_url points to. The link's
 * token is the only credential: it is random, single-use (a new attempt makes a new one) and
 * compared in constant time by the intent's Durable Object. Refusals use the canonical envelope.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { html } from 'hono/html';
import { links } from '../api/stripe/context.js';
import { ErrorEnvelope, StripeError, stripeErrorHandler } from '../api/stripe/errors.js';
import { challengeLink } from '../api/stripe/examples.js';
import { challengeUrl } from '../api/stripe/wire/payment-intent.js';
import { type Currency, formatAmount } from '../domain/currency.js';
import { DomainError } from '../domain/errors.js';
import type { PaymentIntent } from '../domain/intent.js';
import { findTestPaymentMethod, type PaymentMethodType } from '../domain/test-payment-methods.js';
import type { AppEnv } from '../http/context.js';
import { newRouter, route } from '../http/router.js';
import { errorResponses, htmlResponse, jsonBody } from '../http/schemas/common.js';
import { completeChallenge, pendingChallenge } from '../intents/service.js';
import { INTENT_ID_PATTERN } from '../lib/ids.js';

const tags = ['3-D Secure (test mode)'];
const Params = z.object({
  id: z
    .string()
    .regex(INTENT_ID_PATTERN)
    .openapi({ param: { name: 'id', in: 'path' }, example: challengeLink.id }),
  token: z
    .string()
    .regex(/^[0-9A-Za-z]{32}$/)
    .openapi({ param: { name: 'token', in: 'path' }, example: challengeLink.token }),
});
const Outcome = z.strictObject({ outcome: z.enum(['succeeded', 'failed']) }).openapi('ChallengeOutcome');
/** The page as page() renders it, shortened: what a challenge for the payment of examples.ts shows. */
const examplePage = (title: string, content: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8" /><title>${title}</title></head><body><h1>${title}</h1>${content}</body></html>`;
const expiredLink = errorResponses(ErrorEnvelope, { 404: 'The link is invalid or has already been used.' });

export const show = createRoute({
  method: 'get',
  path: '/challenge/{id}/{token}',
  tags,
  summary: 'The challenge page a customer is sent to',
  security: [],
  request: { params: Params },
  responses: {
    200: htmlResponse(
      examplePage(
        'Confirm your payment',
        `<p>Test-mode 3-D Secure authentication for a payment of <strong>20.00 USD</strong>.</p><form method="post" action="${challengeLink.url}"><button name="outcome" value="succeeded">Complete authentication</button><button name="outcome" value="failed">Fail authentication</button></form>`,
      ),
    ),
    ...expiredLink,
  },
});

export const answer = createRoute({
  method: 'post',
  path: '/challenge/{id}/{token}',
  tags,
  summary: 'Complete or fail the challenge; redirects to the return_url given at confirmation',
  security: [],
  request: { params: Params, body: jsonBody(Outcome, true, { outcome: 'succeeded' }) },
  responses: {
    200: htmlResponse(
      examplePage(
        'Authentication complete',
        '<p>The payment of <strong>20.00 USD</strong> is now <code>succeeded</code>. You can close this page.</p>',
      ),
    ),
    303: { description: 'Back to the merchant’s return_url.' },
    ...expiredLink,
  },
});

export function challengePages(): OpenAPIHono<AppEnv> {
  const app = newRouter();
  app.onError(stripeErrorHandler(links));

  route(app, show, async (c) => {
    const { id, token } = c.req.valid('param');
    const intent = await pendingChallenge(c.env, id, token);
    if (!intent) throw expired();
    const method = redirectMethodOf(intent);
    if (method) {
      // A redirect method's test authorization page: what the payer's PayPal, bank or Klarna would ask.
      return page(
        c,
        `Authorize your ${method} payment`,
        html` <p>Test-mode ${method} authorization for a payment of <strong>${shownAmount(intent)}</strong>.</p>
          <form method="post" action="${challengeUrl(links(c), id, token)}">
            <button name="outcome" value="succeeded">Authorize test payment</button>
            <button name="outcome" value="failed">Fail test payment</button>
          </form>`,
      );
    }
    return page(
      c,
      'Confirm your payment',
      html` <p>Test-mode 3-D Secure authentication for a payment of <strong>${shownAmount(intent)}</strong>.</p>
        <form method="post" action="${challengeUrl(links(c), id, token)}">
          <button name="outcome" value="succeeded">Complete authentication</button>
          <button name="outcome" value="failed">Fail authentication</button>
        </form>`,
    );
  });

  route(app, answer, async (c) => {
    const { id, token } = c.req.valid('param');
    const { outcome } = c.req.valid('json');
    const before = await pendingChallenge(c.env, id, token);
    if (!before) throw expired();
    let intent: PaymentIntent;
    try {
      ({ intent } = await completeChallenge(c.env, id, token, outcome, c.get('requestId')));
    } catch (error) {
      // Used up in between (a second click, another tab): the link is spent either way.
      if (error instanceof DomainError) throw expired();
      throw error;
    }
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
      html`<p>The payment of <strong>${shownAmount(intent)}</strong> is now <code>${intent.status}</code>. You can close this page.</p>`,
    );
  });
  return app;
}

/** The name of the redirect method (PayPal, iDEAL…) the intent's pending authorization is for; null for 3-D Secure. */
function redirectMethodOf(intent: PaymentIntent): string | null {
  const method = intent.paymentMethod ? findTestPaymentMethod(intent.paymentMethod) : undefined;
  return method?.outcome.kind === 'redirect' ? METHOD_NAMES[method.type] : null;
}

const METHOD_NAMES: Record<PaymentMethodType, string> = {
  card: 'card',
  us_bank_account: 'US bank account',
  crypto: 'crypto',
  customer_balance: 'bank transfer',
  paypal: 'PayPal',
  klarna: 'Klarna',
  ideal: 'iDEAL',
  bancontact: 'Bancontact',
  trustly: 'Trustly',
  kakao_pay: 'Kakao Pay',
  p24: 'Przelewy24',
  blik: 'BLIK',
};

function expired(): StripeError {
  return new StripeError('resource_missing', 'This authentication link is invalid or has already been used.', 'token');
}

/** Challenges and redirect authorizations only exist for payments in an ISO currency (never crypto). */
function shownAmount(intent: PaymentIntent): string {
  return formatAmount(intent.amount, intent.currency as Currency);
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
