/** /v1/test_helpers/payment_intents: Stripe's test helper shape for a bank transfer arriving. */
import { z } from '@hono/zod-openapi';
import { minorUnits } from '../payment-intents/schemas.js';

export const FundPaymentIntentParams = z
  .strictObject({
    amount: minorUnits('amount').openapi({ description: 'What the transfer brings, in the smallest unit of the currency.' }),
    currency: z
      .string()
      .regex(/^[a-zA-Z]{3}$/, 'must be a three-letter ISO currency code.')
      .transform((v) => v.toLowerCase())
      .openapi({ type: 'string', example: 'eur', description: "The transfer's currency: the PaymentIntent's own." }),
    reference: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: 'The reference the transfer carries; when given, it must be the one of the instructions.' }),
  })
  .openapi('FundPaymentIntentParams');
