/** 000_…'s wire (Amplify): request and response bodies, as its document shows them. */
import { z } from '@hono/zod-openapi';
import { metadata as stripeMetadata } from '../../api/stripe/params.js';
export { ErrorResponse } from './errors.js';

/** The statuses of the document, in its spelling (one has a space). */
export const AMPLIFY_STATUSES = ['CREATED', 'WAITING FOR PAYMENT', 'COMPLETED', 'ERROR', 'TIMEOUT'] as const;
export type AmplifyStatus = (typeof AMPLIFY_STATUSES)[number];

const EXAMPLE_ID = 'pi_01KBF2Q7M3Xw8ZrT5nV9cL2hYd';
const EXAMPLE_SECRET = `${EXAMPLE_ID}_secret_Dx2mA7pQ9sK4wL1vH5zR8tYbN`;
const EXAMPLE_WALLET = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';

const Metadata = stripeMetadata.nullable().openapi({
  // Documented as taken: an object, or null (no metadata).
  type: ['object', 'null'],
  additionalProperties: { type: 'string', maxLength: 500 },
  description:
    'Business information kept across the payment process: up to 50 keys of ≤40 characters with string values of ≤500 characters. ' +
    'The same metadata as the intent has on every other wire.',
  example: { key: 'Value', anotherKey: 'another value' },
});

export const CreateBody = z
  .strictObject({
    receiverId: z.string().trim().min(1, 'must not be empty').max(255).openapi({
      description: 'Unique receiver or cart identification.',
      example: 'receiver-identification',
    }),
    metadata: Metadata.optional(),
  })
  .openapi('CreatePaymentIntentBody_Amplify');

export const CreateResponse = z
  .object({
    paymentIntentId: z.string().openapi({ description: 'The payment intent (pi_…): the same one on every wire of this service.' }),
    clientSecret: z
      .string()
      .openapi({ description: 'The credential of GET /payment_intent/{clientSecret}, POST /payment_intent/status and the hosted page.' }),
    walletAddress: z.string().openapi({
      description: 'The deposit address, taken when the intent is created: the same address on every EVM network the payer may choose.',
    }),
    receiverId: z.string(),
  })
  .openapi('CreatePaymentIntentResponse_Amplify', {
    example: {
      paymentIntentId: EXAMPLE_ID,
      clientSecret: EXAMPLE_SECRET,
      walletAddress: EXAMPLE_WALLET,
      receiverId: 'receiver-identification',
    },
  });

export const ClientSecretParam = z.object({
  clientSecret: z
    .string()
    .max(255)
    .openapi({
      param: { name: 'clientSecret', in: 'path' },
      description:
        'The client secret from the create. A malformed one is as unknown as a wrong one: 404 (longer than 255 characters: 400).',
      example: EXAMPLE_SECRET,
    }),
});

export const PaymentIntentResponse = z
  .object({
    _id: z.string().openapi({ description: 'The payment intent (pi_…).' }),
    userId: z.string().openapi({ description: 'The merchant`s account (acct_…): the clientId.' }),
    walletId: z
      .string()
      .nullable()
      .openapi({ description: 'The intent`s deposit address; null for an intent whose payer has no address yet.' }),
    clientSecret: z.string(),
    status: z.enum(AMPLIFY_STATUSES),
    apiKeyType: z
      .enum(['PRODUCTION', 'SANDBOX'])
      .openapi({ description: 'PRODUCTION for a live-mode intent, SANDBOX for a test-mode one.' }),
    receiverId: z.string().nullable().openapi({
      description:
        'As created; for an intent made on another wire, the reference it was made with there (Paytree`s transaction_ref), or null.',
    }),
    metadata: z
      .record(z.string(), z.string())
      .nullable()
      .openapi({ description: 'As created (or updated on another wire); null when empty.' }),
    created_at: z.string().openapi({ description: 'ISO 8601, UTC.' }),
    updated_at: z.string().openapi({ description: 'ISO 8601, UTC: the last change.' }),
  })
  .openapi('PaymentIntent_Amplify', {
    example: {
      _id: EXAMPLE_ID,
      userId: 'acct_01KBF2NZ4T3G6WQX0YV5RJ8M2C',
      walletId: EXAMPLE_WALLET,
      clientSecret: EXAMPLE_SECRET,
      status: 'COMPLETED',
      apiKeyType: 'PRODUCTION',
      receiverId: 'receiver-identification',
      metadata: null,
      created_at: '2024-01-01T23:19:54.258Z',
      updated_at: '2024-01-01T23:20:58.934Z',
    },
  });

export const StatusBody = z
  .strictObject({
    clientSecret: z.string().max(255).openapi({ description: 'The client secret from the create.', example: EXAMPLE_SECRET }),
  })
  .openapi('PaymentIntentStatusBody_Amplify');

export const StatusResponse = z
  .object({ status: z.enum(AMPLIFY_STATUSES) })
  .openapi('PaymentIntentStatus_Amplify', { example: { status: 'COMPLETED' } });
