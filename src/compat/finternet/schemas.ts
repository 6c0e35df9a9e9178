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
/** The document's four phases, in its order: the payer's signature, the lock's confirmations, the lock, the payout. */
export const PHASE_NAMES = ['SIGNATURE_VERIFICATION', 'BLOCKCHAIN_CONFIRMATION', 'ESCROW_LOCKED', 'SETTLEMENT'] as const;
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
    domain: z.object({ name: z.string(), version: z.string(), chainId: z.number().int(), verifyingContract: address }),
    types: z.record(z.string(), z.array(z.object({ name: z.string(), type: z.string() }))),
    primaryType: z.literal('Deposit'),
    message: z.record(z.string(), z.string()),
  })
  .openapi('TypedData_Finternet', {
    description:
      'The escrow contract`s EIP-712 `Deposit` the payer signs (eth_signTypedData_v4): intentId, payer, token, amount, merchant, deadline, validBefore, uint values as decimal strings. `payer` is the zero address: the payer puts its own address there before signing.',
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
  contractAddress: z.string().nullable().openapi({ description: 'The escrow contract that holds the payment until delivery.' }),
  transactionHash: z.string().nullable().openapi({
    description: 'The transaction that locked the payment in escrow, once one is seen (it stays: the payment`s transaction).',
  }),
  payoutTransactionHash: z.string().nullable().openapi({
    description:
      'The transaction that took the deposit out of escrow: the release to the merchant, or the refund (or reclaim) to the payer.',
  }),
  chainId: z.number().int(),
  signerAddress: z
    .string()
    .nullable()
    .openapi({ description: 'The payer: the signer of the deposit, or the account whose lock was seen.' }),
  depositAddress: z
    .string()
    .nullable()
    .openapi({ description: 'The intent`s own address (the merchant`s): the escrow`s `merchant`, paid when delivery is confirmed.' }),
  tokenAddress: z.string().nullable().openapi({ description: 'The token`s ERC-20 contract on chainId.' }),
  expiresAt: unix('Until when a payment counts').nullable(),
  escrowId: z.string().nullable().openapi({ description: 'The intent`s id on the escrow contract (bytes32: keccak256 of its id).' }),
  escrowDeadline: unix(
    'From then on only a refund or the payer`s reclaim can take the deposit out; delivery must be confirmed before',
  ).nullable(),
  typedData: TypedData.nullable().openapi({
    description: 'What the payer signs to have the deposit locked for them, while a signature can still be submitted; null otherwise.',
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

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 0x-prefixed 32-byte hex value.');

export const SignatureBody = z
  .strictObject({
    signature: z
      .string()
      .regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 0x-prefixed 65-byte hex signature.')
      .openapi({ description: 'The payer`s EIP-712 signature over `data.typedData` with its own address as `payer`.' }),
    signerAddress: address.openapi({ description: 'The payer: the address that signed, and whose USDC is locked.' }),
    permit: z
      .strictObject({
        // Numbers in JSON; in a form (where every value is text) their digits.
        deadline: z
          .union([
            z.number().int().positive(),
            z
              .string()
              .regex(/^[1-9]\d{0,15}$/)
              .transform(Number),
          ])
          .openapi({ description: 'The permit`s deadline (Unix seconds).', example: 1704070800 }),
        v: z.union([z.literal(27), z.literal(28), z.enum(['27', '28']).transform(Number)]),
        r: bytes32,
        s: bytes32,
      })
      .nullable()
      .optional()
      .openapi({
        description:
          'The payer`s EIP-2612 permit for exactly the amount to the escrow contract, split into v, r, s: with it the payer sends no transaction at all. Without it (absent or null), the payer must have approved the escrow contract for the amount.',
      }),
  })
  .openapi('SubmitSignature_Finternet');
