/**
 * The hosted payment page: the routes as data (path, parameters, responses). Handlers are in
 * handlers.ts, the HTML in view.ts. The page's credential is the client secret in its URL; there is
 * no API key, so the routes are public, and every wrong, malformed or unknown case is one 404 page.
 */
import { createRoute, z } from '@hono/zod-openapi';
import * as examples from '../../api/stripe/examples.js';
import { htmlResponse, jsonBody } from '../../http/schemas/common.js';
import { NOT_FOUND_PAGE } from './view.js';

const tags = ['Hosted payment page'];
const paid = examples.challengedIntent;

const IntentParam = z.object({
  id: z
    .string()
    .max(255)
    .openapi({
      param: { name: 'id', in: 'path' },
      description: 'The payment intent. A malformed id gets the same 404 page as an unknown one.',
      example: paid.id,
    }),
});

export const PageQuery = z.strictObject({
  client_secret: z.string().max(255).optional().openapi({
    description: "The intent's client secret: the page's only credential. Missing or wrong: the 404 page.",
    example: paid.client_secret,
  }),
  // What the 3-D Secure page adds when it sends the payer back here (the return_url Stripe.js integrations read).
  payment_intent: z.string().max(255).optional().openapi({ description: 'Set on the way back from 3-D Secure: the intent.' }),
  payment_intent_client_secret: z
    .string()
    .max(255)
    .optional()
    .openapi({ description: 'Set on the way back from 3-D Secure: the client secret again.' }),
  redirect_status: z
    .enum(['succeeded', 'failed'])
    .optional()
    .openapi({ description: 'Set on the way back from 3-D Secure: how the authentication ended.' }),
});

export const PayForm = z
  .strictObject({
    client_secret: z.string().max(255).openapi({ description: "The intent's client secret, as the page's form carries it." }),
    payment_method: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .openapi({ description: 'A test payment method the intent accepts (pm_card_visa, …); none for a crypto intent.' }),
    blik_code: z
      .string()
      .max(20)
      .optional()
      .openapi({ description: 'The six-digit BLIK code the payer typed, when paying with pm_blik.', example: '777123' }),
    amount: z
      .string()
      .max(40)
      .optional()
      .openapi({
        description:
          "The amount the payer chose, in the currency's major unit as typed (12.50): only for an intent whose payer chooses " +
          'the amount (payer_amount). Read exactly with the currency’s exponent; more decimals than it has, or outside the ' +
          'bounds, is the page again with the reason.',
        example: '12.50',
      }),
    crypto: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}:[a-z0-9][a-z0-9._-]{0,31}$/, { error: 'must be network:token, as the page offers it' })
      .optional()
      .openapi({
        description:
          'The network and token the payer chose (network:token, e.g. local:usdc), for an intent that takes crypto and has ' +
          'none chosen yet: paying gives the deposit address.',
        example: 'base:usdc',
      }),
    pay_with: z
      .enum(['card', 'crypto'])
      .optional()
      .openapi({ description: 'Which of the page’s buttons was pressed (its payment_method or its crypto choice); card when absent.' }),
  })
  .openapi('PayForm');

const notFound = {
  404: {
    description: 'No such page: an unknown or malformed id, or a missing or wrong client secret (the same page for each).',
    content: { 'text/html': { schema: z.string(), example: NOT_FOUND_PAGE } },
  },
};

const examplePage =
  '<!doctype html><html lang="en-US"><head><meta charset="utf-8"><title>Pay Example shop</title>' +
  '<link rel="stylesheet" href="/assets/checkout/pay.css"><script type="module" src="/assets/checkout/pay.js"></script></head>' +
  '<body><main id="checkout"><header><p class="merchant">Example shop</p><p class="amount">$20.00</p></header>' +
  '<section id="status" role="status"><h2>Awaiting payment</h2></section><form method="post">…</form></main></body></html>';

export const show = createRoute({
  method: 'get',
  path: '/pay/{id}',
  tags,
  summary: 'The hosted payment page of an intent (hosted_url): what is owed, and how to pay it',
  description:
    'Server-rendered for the payer: the merchant, the description (a Checkout Session’s line items and total, and a link to ' +
    'its cancel_url), the amount in the payer’s locale (Accept-Language), the status; an amount field where the payer ' +
    'chooses the amount; the test payment methods the intent accepts (a form that works without JavaScript) and, for an ' +
    'intent that takes crypto with none chosen yet, the networks and tokens of this deployment; for a crypto intent the ' +
    'deposit address, the exact amount and an EIP-681 QR code. Its script follows the status live (WebSocket, polling as the ' +
    'fallback). Strict Content-Security-Policy, Referrer-Policy: no-referrer, Cache-Control: no-store.',
  security: [],
  request: { params: IntentParam, query: PageQuery },
  responses: {
    200: htmlResponse(examplePage),
    303: { description: "A Checkout Session's page once paid (succeeded or requires_capture): to its success_url." },
    ...notFound,
  },
});

export const pay = createRoute({
  method: 'post',
  path: '/pay/{id}',
  tags,
  summary: 'Pay from the hosted page: confirms the intent as its owner, then back to the page (or to 3-D Secure)',
  description:
    'The form of the page, for browsers without JavaScript. A decline comes back to the page, which shows it; a refusal ' +
    '(live mode without a processor, a payment method the intent does not take) is the page again with the reason.',
  security: [],
  request: {
    params: IntentParam,
    body: jsonBody(PayForm, true, { client_secret: paid.client_secret, payment_method: 'pm_card_visa' }),
  },
  responses: {
    303: { description: 'To the page again (paid, declined or waiting for a transfer), or to the 3-D Secure challenge.' },
    400: htmlResponse(examplePage.replace('</section>', '</section><p role="alert">Your card was declined.</p>')),
    ...notFound,
  },
});
