/** /v1/test_helpers/payment_intents: the routes as data. Handlers are in handlers.ts. */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonBody, jsonResponse } from '../../../http/schemas/common.js';
import { secretKeyIdempotentOnObject } from '../auth.js';
import { ErrorEnvelope } from '../errors.js';
import * as examples from '../examples.js';
import { intentIdParam, PaymentIntent } from '../payment-intents/schemas.js';
import { FundPaymentIntentParams } from './schemas.js';

export const fund = createRoute({
  method: 'post',
  path: '/v1/test_helpers/payment_intents/{id}/fund',
  tags: ['Test helpers'],
  summary: 'Test mode: a bank transfer arrives for a customer_balance PaymentIntent, in part or in full',
  description:
    'Part of what is due: amount_received grows, next_action.display_bank_transfer_instructions.amount_remaining falls and ' +
    'payment_intent.partially_funded is sent. The rest of it: the PaymentIntent succeeds. More than amount_remaining is ' +
    'refused (amount_too_large, naming amount), as is another currency or another reference. Live keys are refused.',
  ...secretKeyIdempotentOnObject,
  request: {
    params: intentIdParam(examples.partiallyFundedIntent.id),
    body: jsonBody(FundPaymentIntentParams, true, examples.fundPaymentIntentRequest),
  },
  responses: {
    200: jsonResponse(PaymentIntent, 'The payment intent after the transfer.', examples.partiallyFundedIntent),
    ...errorResponses(ErrorEnvelope, {
      400: 'Invalid request (a live key, another currency, more than is due, an intent not waiting for a transfer): the error names the parameter.',
      401: 'Missing or unknown API key.',
      403: 'A publishable key.',
      404: 'No such payment intent (for this merchant and mode).',
    }),
  },
});
