/** The wire of 004_… (Finternet): request and response shapes, the single source of validation, types and its OpenAPI document. */
import { z } from '@hono/zod-openapi';
import { metadata } from '../../api/stripe/params.js';

export { ErrorResponse } from './errors.js';

/** Where the family is mounted: its clients' base URL is `${PUBLIC_BASE_URL}/finternet`. */
export const PREFIX = '/finternet';

const unix = (description: string) =>
  z
    .number()
    .int()
    .openapi({ description: `${description} (Unix seconds).` });
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address.');

export const STATUSES = [
  'REQUIRES_PAYMENT_METHOD',
  'REQUIRES_CONFIRMATION',
  'REQUIRES_ACTION',
  'PROCESSING',
  'REQUIRES_CAPTURE',
  'CANCELED',
  'SUCCEEDED',
] as const;
export const TYPES = ['DELIVERY_VS_PAYMENT', 'CONDITIONAL'] as const;
export const SETTLEMENT_METHODS = ['OFF_RAMP_MOCK'] as const;
export const SETTLEMENT_STATUSES = ['PENDING', 'IN_PROGRESS', 'COMPLETED'] as const;
export const PHASE_NAMES = ['SIGNATURE_VERIFICATION', 'BLOCKCHAIN_CONFIRMATION', 'SETTLEMENT'] as const;
export const PHASE_STATUSES = ['PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'SKIPPED'] as const;

export const IntentIdParam = z.object({
  intentId: z
    .string()
    .max(100)
    .openapi({
      param: { name: 'intentId', in: 'path' },
      description: 'The ID of the payment intent',
      example: 'pi_3QvWkT0Ab12Cd34Ef56Gh78J',
    }),
});

const Phase = z
  .object({
    phase: z.enum(PHASE_NAMES),
    status: z.enum(PHASE_STATUSES),
    startedAt: unix('When the phase began; shown while it is in progress').optional(),
    completedAt: unix('When the phase ended; shown once it has').optional(),
  })
  .openapi('Phase_Finternet');

const TypedData = z
  .object({
    domain: z.object({ name: z.string(), version: z.string(), chainId: z.number().int() }),
    types: z.record(z.string(), z.array(z.object({ name: z.string(), type: z.string() }))),
    primaryType: z.string(),
    message: z.record(z.string(), z.string()),
  })
  .openapi('TypedData_Finternet', {
    description: 'The EIP-712 typed data the payer signs (eth_signTypedData_v4), uint256 values as decimal strings.',
  });

const dataFields = {
  id: z.string(),
  merchantId: z.string(),
  status: z.enum(STATUSES),
  amount: z.string().openapi({ description: 'Payment amount as a decimal string', example: '1000.00' }),
  currency: z.string().openapi({ example: 'USDC' }),
  type: z.enum(TYPES).nullable(),
  settlementMethod: z.enum(SETTLEMENT_METHODS).nullable(),
  settlementDestination: z.string().nullable(),
  settlementStatus: z.enum(SETTLEMENT_STATUSES).nullable(),
  contractAddress: z.string().nullable().openapi({ description: 'The escrow contract: null until escrow is wired (the next step).' }),
  transactionHash: z.string().nullable().openapi({ description: 'The first transaction that paid the intent, once one is seen.' }),
  chainId: z.number().int(),
  signerAddress: z.string().nullable().openapi({ description: 'The payer whose EIP-712 signature was verified, once one was.' }),
  depositAddress: z.string().nullable().openapi({ description: 'Where the payer sends the tokens (the intent`s own address).' }),
  tokenAddress: z.string().nullable().openapi({ description: 'The token`s ERC-20 contract on chainId.' }),
  expiresAt: unix('Until when a payment counts').nullable(),
  typedData: TypedData.nullable().openapi({
    description: 'What the payer signs, while a signature can still be submitted; null otherwise.',
  }),
  deliveryConfirmedAt: unix('When the merchant confirmed delivery').nullable(),
  phases: z.array(Phase),
  created: unix('Creation'),
  updated: unix('Last change'),
};

const PaymentIntentData = z.object({ ...dataFields, metadata: z.record(z.string(), z.string()) }).openapi('PaymentIntentData_Finternet');
const PublicPaymentIntentData = z
  .object({
    ...dataFields,
    settlementDestination: z
      .string()
      .nullable()
      .openapi({ description: 'Masked: only its last four characters show.', example: '******3210' }),
  })
  .openapi('PublicPaymentIntentData_Finternet', {
    description: 'What anyone with the id sees: no metadata, the settlement destination masked.',
  });

const envelope = <T extends z.ZodType>(data: T) =>
  z.object({
    id: z.string(),
    object: z.literal('payment_intent'),
    status: z.enum(STATUSES),
    data,
    created: unix('Creation'),
    updated: unix('Last change'),
  });

export const PaymentIntentResponse = envelope(PaymentIntentData).openapi('PaymentIntent_Finternet');
export const PublicPaymentIntentResponse = envelope(PublicPaymentIntentData).openapi('PublicPaymentIntent_Finternet');

export const CreateBody = z
  .strictObject({
    amount: z
      .string()
      .regex(/^\d{1,30}(\.\d{1,18})?$/, 'must be a decimal string such as "1000.00".')
      .openapi({ description: 'Payment amount as a decimal string, at most the token`s decimals (6 for USDC).', example: '1000.00' }),
    currency: z.enum(['USDC']).openapi({ description: 'The token paid: USDC.' }),
    type: z.enum(TYPES),
    settlementMethod: z.enum(SETTLEMENT_METHODS).openapi({ description: 'OFF_RAMP_MOCK: a test-mode off-ramp simulator.' }),
    settlementDestination: z
      .string()
      .min(1)
      .max(100)
      .openapi({ description: 'Destination for settlement (a bank account number).', example: '9876543210' }),
    metadata: metadata.optional(),
    // A number in JSON; in a form (where every value is text) its digits.
    chainId: z
      .union([
        z.number().int().positive(),
        z
          .string()
          .regex(/^[1-9]\d{0,15}$/)
          .transform(Number),
      ])
      .optional()
      .openapi({
        description: 'The chain to pay on; by default the first network configured for this mode that has USDC.',
        example: 11155111,
      }),
  })
  .openapi('CreatePaymentIntent_Finternet');

export const SignatureBody = z
  .strictObject({
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 0x-prefixed 65-byte hex signature.'),
    signerAddress: address,
  })
  .openapi('SubmitSignature_Finternet');
