/**
 * The payment-intent wire: request parameters and the response object, snake_case as Stripe's API.
 * Parameters arrive from JSON or from form encoding (where every value is a string), so integers
 * and booleans accept both spellings and are checked exactly — no floats anywhere.
 */
import { z } from '@hono/zod-openapi';
import { CURRENCIES, isCurrency, MAX_AMOUNT } from '../../../domain/currency.js';
import { EXPIRES_IN_MAX_SECONDS, EXPIRES_IN_MIN_SECONDS, MAX_TOKEN_AMOUNT, PHASES } from '../../../domain/crypto.js';
import { ALL_CANCELLATION_REASONS, CANCELLATION_REASONS, CAPTURE_METHODS, CONFIRMATION_METHODS, STATUSES } from '../../../domain/status.js';
import { PAYMENT_METHOD_TYPES } from '../../../domain/test-payment-methods.js';
import { INTENT_ID_PATTERN } from '../../../lib/ids.js';
import { createdParams, cursorParams, limit, oneCursor } from '../list.js';
import { booleanParam, clearable, metadata, pathId } from '../params.js';

/**
 * A positive integer of minor units, from a JSON integer or a digit string, as a bigint. `max` is
 * the card-style cap by default; a crypto amount in a token's base units may be up to a uint256
 * (the domain still holds ISO currencies to eight digits).
 */
export function minorUnits(param: string, max: bigint = MAX_AMOUNT) {
  return z
    .union([z.number(), z.string()])
    .transform((value, ctx): bigint => {
      // A JSON number past 2^53 has already lost digits; it can only be refused, and as too large.
      const text = typeof value === 'number' ? (Number.isSafeInteger(value) ? value.toString() : null) : value;
      if (text === null && typeof value === 'number' && Number.isInteger(value) && value > 0) {
        ctx.addIssue(
          max > MAX_AMOUNT
            ? {
                code: 'custom' as const,
                message: `${param} is a JSON number past 2^53, which has already lost digits: amounts in a currency are at most ${MAX_AMOUNT}, and token base units that large must be sent as a digit string ("1000000000000000000").`,
                params: { code: 'amount_too_large' },
              }
            : tooLarge(param),
        );
        return z.NEVER;
      }
      if (text === null || !/^-?\d+$/.test(text)) {
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(value)} is not an integer. Amounts are integers of the currency's smallest unit (1099 = $10.99).`,
        });
        return z.NEVER;
      }
      const amount = BigInt(text);
      if (amount <= 0n) {
        ctx.addIssue({ code: 'custom', message: `${param} must be greater than 0.` });
        return z.NEVER;
      }
      if (amount > max) {
        ctx.addIssue(
          max > MAX_AMOUNT ? { ...tooLarge(param), message: `${param} must fit a uint256 (at most 78 digits).` } : tooLarge(param),
        );
        return z.NEVER;
      }
      return amount;
    })
    .openapi(
      max > MAX_AMOUNT
        ? {
            oneOf: [
              { type: 'integer', minimum: 1 },
              { type: 'string', pattern: '^[0-9]{1,78}$' },
            ],
            description:
              "An integer of the currency's smallest unit (1099 = $10.99, at most eight digits), or for a crypto PaymentIntent in a token's own code, of the token's base units — a digit string when past 2^53.",
            example: 2000,
          }
        : { type: 'integer', minimum: 1, maximum: Number(MAX_AMOUNT), example: 2000 },
    );
}

/** An amount on the wire: a JSON integer, or a digit string once it is past 2^53 (crypto base units). */
const wireAmount = z
  .union([z.number().int(), z.string().regex(/^\d+$/)])
  .openapi({ description: 'An integer; a digit string when past 2^53 (only token base units get there).' });

function tooLarge(param: string) {
  return {
    code: 'custom' as const,
    message: `${param} must be at most ${MAX_AMOUNT} (eight digits of the smallest currency unit).`,
    params: { code: 'amount_too_large' },
  };
}

/** An ISO 4217 code, or a token's code (usdc, eth) for a crypto intent: which one fits is the domain's call. */
const currency = z
  .string()
  .transform((value, ctx): string => {
    const code = value.toLowerCase();
    if (!isCurrency(code) && !/^[a-z]{2,10}$/.test(code)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a supported ISO 4217 currency code.` });
      return z.NEVER;
    }
    return code;
  })
  .openapi({
    type: 'string',
    example: 'usd',
    description: `Three-letter ISO code, lowercase (${CURRENCIES.length} supported); for a crypto PaymentIntent also the token's own code (usdc, eth).`,
  });

const wholeSeconds = z
  .union([z.number(), z.string()])
  .transform((value, ctx): number => {
    const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < EXPIRES_IN_MIN_SECONDS || n > EXPIRES_IN_MAX_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a whole number of seconds from ${EXPIRES_IN_MIN_SECONDS} to ${EXPIRES_IN_MAX_SECONDS}.`,
      });
      return z.NEVER;
    }
    return n;
  })
  .openapi({ type: 'integer', minimum: EXPIRES_IN_MIN_SECONDS, maximum: EXPIRES_IN_MAX_SECONDS });

const CryptoOptionsParams = z
  .strictObject({
    network: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a network key such as base or polygon.')
      .openapi({ example: 'base', description: 'A network key of this deployment (its CHAINS variable).' }),
    token: z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.string().regex(/^[a-z]{2,10}$/, 'must be a token code such as usdc or eth.'))
      .openapi({ type: 'string', example: 'usdc' }),
    expires_in: wholeSeconds.optional().openapi({ description: 'Test mode only: seconds the payer has after confirmation (default 900).' }),
  })
  .openapi('CryptoPaymentMethodOptions');

const BlikOptionsParams = z
  .strictObject({
    code: z
      .string()
      .regex(/^\d{6}$/, 'must be the six-digit code from the bank app.')
      .openapi({
        example: '777123',
        description: 'The six-digit code from the bank app; in test mode 777xxx is approved, any other is declined.',
      }),
  })
  .openapi('BlikPaymentMethodOptions');

const paymentMethodOptions = z.strictObject({
  crypto: CryptoOptionsParams.optional(),
  blik: BlikOptionsParams.optional().openapi({ description: 'Only at confirmation (confirm, or create with confirm=true).' }),
});

const paymentMethod = z
  .string()
  .refine((v) => !/^[\d\s-]{12,23}$/.test(v), 'raw card numbers are never accepted: pass a PaymentMethod id such as pm_card_visa.')
  .refine((v) => /^pm_[0-9A-Za-z_]{1,100}$/.test(v), 'expected a PaymentMethod id (pm_…).')
  .openapi({ example: 'pm_card_visa' });

const paymentMethodTypes = z
  .array(z.enum(PAYMENT_METHOD_TYPES))
  .min(1)
  .max(PAYMENT_METHOD_TYPES.length)
  .refine((types) => new Set(types).size === types.length, 'payment_method_types must not repeat a type.');

const description = z.string().max(1000);
const receiptEmail = z.email().max(800);
const statementDescriptor = z
  .string()
  .min(5)
  .max(22)
  .regex(/^[^<>\\'"*]*$/, 'statement_descriptor cannot contain <, >, \\, \', " or *.')
  .regex(/[A-Za-z]/, 'statement_descriptor must contain at least one letter.');
const customer = z.string().regex(/^cus_[0-9A-Za-z]{1,64}$/, 'expected a Customer id (cus_…).');
const returnUrl = z.url({ protocol: /^https?$/, error: 'return_url must be an absolute http(s) URL.' }).max(2048);

export const CreatePaymentIntentParams = z
  .strictObject({
    amount: minorUnits('amount', MAX_TOKEN_AMOUNT),
    currency,
    capture_method: z.enum(CAPTURE_METHODS).optional(),
    confirmation_method: z.enum(CONFIRMATION_METHODS).optional(),
    confirm: booleanParam.optional(),
    payment_method: paymentMethod.optional(),
    payment_method_types: paymentMethodTypes.optional(),
    payment_method_options: paymentMethodOptions.optional(),
    return_url: returnUrl.optional(),
    description: description.optional(),
    metadata: metadata.optional(),
    receipt_email: receiptEmail.optional(),
    statement_descriptor: statementDescriptor.optional(),
    customer: customer.optional(),
    notification_url: z
      .string()
      .max(2048)
      .optional()
      .openapi({ description: "A URL that receives this intent's events (https; http to loopback in test mode)." }),
  })
  .openapi('CreatePaymentIntentParams');

export const UpdatePaymentIntentParams = z
  .strictObject({
    amount: minorUnits('amount', MAX_TOKEN_AMOUNT).optional(),
    currency: currency.optional(),
    capture_method: z.enum(CAPTURE_METHODS).optional(),
    payment_method: paymentMethod.optional(),
    payment_method_types: paymentMethodTypes.optional(),
    description: clearable(description).optional(),
    metadata: clearable(metadata).optional(),
    receipt_email: clearable(receiptEmail).optional(),
    statement_descriptor: clearable(statementDescriptor).optional(),
    customer: clearable(customer).optional(),
  })
  .openapi('UpdatePaymentIntentParams');

/** What a confirmation takes, with either key: only what a payer's browser may choose, and the client secret it proves itself with. */
export const ConfirmPaymentIntentParams = z
  .strictObject({
    payment_method: paymentMethod.optional(),
    return_url: returnUrl.optional(),
    payment_method_options: paymentMethodOptions.optional().openapi({
      description:
        "crypto: the payer's network and token, for a PaymentIntent whose payment_method_types include crypto (one that names none yet becomes a crypto PaymentIntent; a crypto one accepts its own). expires_in only with a secret key in test mode.",
    }),
    amount: minorUnits('amount', MAX_TOKEN_AMOUNT)
      .optional()
      .openapi({ description: 'The amount the payer chose: only for a PaymentIntent with payer_amount, within its bounds.' }),
    client_secret: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: "Required with a publishable key (a browser): the PaymentIntent's client secret." }),
  })
  .openapi('ConfirmPaymentIntentParams');

export const CapturePaymentIntentParams = z
  .strictObject({ amount_to_capture: minorUnits('amount_to_capture').optional() })
  .openapi('CapturePaymentIntentParams');

export const CancelPaymentIntentParams = z
  .strictObject({ cancellation_reason: z.enum(CANCELLATION_REASONS).optional() })
  .openapi('CancelPaymentIntentParams');

/**
 * A payment intent's id in the path, documented with `example`: the id of the intent the route's
 * example answers with. Ids have the form of INTENT_ID_PATTERN; any other string names no intent,
 * and is answered as an unknown id is (404 resource_missing), not as a malformed one.
 */
export function intentIdParam(example: string) {
  return pathId("The PaymentIntent's", INTENT_ID_PATTERN, example);
}

export const RetrieveQuery = z.strictObject({
  client_secret: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: 'Required with a publishable key: the intent is then returned with browser-safe fields only.' }),
});

export const LiveQuery = z.strictObject({
  client_secret: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: "Required with a publishable key: the intent's client secret, as for the browser lookup." }),
  key: z.string().max(200).optional().openapi({
    description:
      'A publishable key (pk_test_…, pk_live_…), for a browser: its WebSocket cannot set an Authorization header. Publishable keys are public by design; a secret key is never taken here (the answer is a 404, as for an unknown intent). Ignored when an Authorization header is sent.',
  }),
});

export const ListQuery = z
  .strictObject({
    limit,
    ...cursorParams,
    customer: customer.optional(),
    status: z.enum(STATUSES).optional(),
    mandate: z
      .string()
      .regex(/^mdt_[0-9A-Za-z]{1,64}$/, 'expected a Mandate id (mdt_…).')
      .optional()
      .openapi({ description: 'Only the debits of this mandate (mdt_…).', example: 'mdt_01KB3R3S0N7ZQX2Y4V5W6T8P9A' }),
    ...createdParams,
  })
  .refine(...oneCursor);

export const SearchQueryParams = z.strictObject({
  query: z.string().min(1).max(2000).openapi({ example: 'status:"succeeded" AND amount>1000' }),
  limit,
  page: z.string().max(200).optional().openapi({ description: 'The next_page token of the previous page.' }),
});

// --- responses -------------------------------------------------------------------------------

const PaymentError = z.object({
  type: z.enum(['card_error', 'invalid_request_error']),
  code: z.string(),
  decline_code: z.string().nullable(),
  message: z.string(),
  payment_method: z.object({ id: z.string(), object: z.literal('payment_method'), type: z.enum(PAYMENT_METHOD_TYPES) }),
});

const RedirectAction = z.object({
  type: z.literal('redirect_to_url'),
  redirect_to_url: z.object({ url: z.url(), return_url: z.string().nullable() }),
});

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

const CryptoTransferAction = z.object({
  type: z.literal('crypto_transfer'),
  crypto_transfer: z.object({
    network: z.string(),
    chain_id: z.number().int(),
    token: z.string(),
    token_address: address.nullable().openapi({ description: 'The ERC-20 contract; null for the native coin.' }),
    deposit_address: address,
    amount: z.string().openapi({ description: 'Base units of the token, as a digit string (it may exceed 2^53).' }),
    amount_display: z.string().openapi({ example: '10.99' }),
    amount_remaining: z.string().openapi({
      description: 'Base units still to send after the transfers seen so far (a partial payment): what a wallet should pay now.',
    }),
    amount_remaining_display: z.string(),
    expires_at: z.number().int().openapi({ description: 'Unix timestamp (seconds): transfers in blocks after it are late.' }),
    hosted_instructions_url: z
      .url()
      .openapi({ description: 'The hosted payment page (hosted_url), which shows the payer these instructions with a QR code.' }),
    typed_data: z
      .object({
        domain: z.object({ name: z.string(), version: z.string(), chainId: z.number().int() }),
        types: z.record(z.string(), z.array(z.object({ name: z.string(), type: z.string() }))),
        primaryType: z.string(),
        message: z.record(z.string(), z.union([z.string(), z.number()])),
      })
      .openapi({ description: 'EIP-712 typed data the payer may sign (eth_signTypedData_v4) and submit to /crypto_signature.' }),
  }),
});

const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/);

const CryptoEscrowDepositAction = z.object({
  type: z.literal('crypto_escrow_deposit'),
  crypto_escrow_deposit: z
    .object({
      network: z.string(),
      chain_id: z.number().int(),
      contract: address.openapi({ description: 'The escrow contract to lock the amount in (contracts/Escrow.sol).' }),
      escrow_id: bytes32.openapi({ description: "The intent's id on the contract: keccak256 of its pi_… id." }),
      token: z.string(),
      token_address: address,
      amount: z.string().openapi({ description: 'Base units of the token to lock, as a digit string (it may exceed 2^53).' }),
      amount_display: z.string().openapi({ example: '10.99' }),
      merchant: address.openapi({ description: "Who a release pays: the intent's deposit address (the merchant's own)." }),
      deadline: z.number().int().openapi({
        description:
          'Unix seconds: the earliest deadline a lock may have. Until it the merchant may capture (release); from it the payer may reclaim alone.',
      }),
      valid_before: z
        .number()
        .int()
        .openapi({ description: 'Unix seconds: the end of the payment window; a deposit signature is valid before it.' }),
      hosted_instructions_url: z.url().openapi({ description: 'The hosted payment page (hosted_url).' }),
      typed_data: z
        .object({
          domain: z.object({ name: z.string(), version: z.string(), chainId: z.number().int(), verifyingContract: address }),
          types: z.record(z.string(), z.array(z.object({ name: z.string(), type: z.string() }))),
          primaryType: z.literal('Deposit'),
          message: z.record(z.string(), z.string()),
        })
        .openapi({
          description:
            'The EIP-712 Deposit a payer signs (eth_signTypedData_v4) so that the relayer locks it for them (POST …/escrow_deposit): set message.payer to the signing address (it is the zero address here). Or lock it directly: approve the token and call deposit(escrow_id, token, amount, merchant, deadline).',
        }),
    })
    .openapi({ description: 'The payer locks the amount in the escrow contract: the intent is then held for capture (requires_capture).' }),
});

const BlikAuthorizeAction = z.object({
  type: z.literal('blik_authorize'),
  blik_authorize: z.object({}).openapi({ description: 'Nothing to show: the customer approves the payment in their bank app.' }),
});

const holder = z.string();
const FinancialAddress = z.union([
  z.object({
    type: z.literal('iban'),
    iban: z.object({ account_holder_name: holder, bic: z.string(), country: z.string(), iban: z.string() }),
    supported_networks: z.array(z.string()),
  }),
  z.object({
    type: z.literal('sort_code'),
    sort_code: z.object({ account_holder_name: holder, account_number: z.string(), sort_code: z.string() }),
    supported_networks: z.array(z.string()),
  }),
  z.object({
    type: z.literal('aba'),
    aba: z.object({ account_number: z.string(), bank_name: z.string(), routing_number: z.string() }),
    supported_networks: z.array(z.string()),
  }),
]);

const BankTransferAction = z.object({
  type: z.literal('display_bank_transfer_instructions'),
  display_bank_transfer_instructions: z.object({
    amount_remaining: wireAmount.openapi({
      description: 'What is still due, in the smallest currency unit (a partial transfer lowers it).',
    }),
    currency: z.string(),
    reference: z.string().openapi({ description: 'The reference the customer puts on the transfer.', example: 'KB3R3S0N7ZQX' }),
    type: z.enum(['eu_bank_transfer', 'gb_bank_transfer', 'us_bank_transfer']),
    financial_addresses: z.array(FinancialAddress).openapi({ description: 'Where to send the transfer (test account details).' }),
    hosted_instructions_url: z.url().openapi({ description: 'The hosted payment page, which shows these instructions.' }),
  }),
});

const NextAction = z.union([RedirectAction, CryptoTransferAction, CryptoEscrowDepositAction, BlikAuthorizeAction, BankTransferAction]);

const CryptoTransaction = z.object({
  hash: z.string(),
  log_index: z.number().int().openapi({ description: '-1 for a native-coin transfer.' }),
  block_number: z.number().int(),
  from: address,
  value: z.string(),
  /** Unix seconds. */
  block_time: z.number().int(),
});

const escrowLock = {
  payer: address,
  amount: z.string().openapi({ description: 'Base units locked.' }),
  transaction: z.string().openapi({ description: 'The hash of the transaction that locked it.' }),
  block_number: z.number().int(),
  deadline: z.number().int().openapi({ description: 'Unix seconds: the deadline the lock was made with.' }),
};

const EscrowDetails = z
  .object({
    contract: address,
    escrow_id: bytes32,
    merchant: address.nullable().openapi({ description: 'The deposit address a release pays; set at confirmation.' }),
    deadline: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Unix seconds: the earliest deadline a lock may have; set at confirmation.' }),
    valid_before: z.number().int().nullable(),
    status: z.enum(['none', 'lock_seen', 'locked', 'released', 'refunded', 'reclaimed']).openapi({
      description:
        'none: no lock counted yet; lock_seen: on chain, not yet confirmed; locked: held for capture; released / refunded / reclaimed: how it ended, confirmed on chain.',
    }),
    lock: z.object(escrowLock).nullable().openapi({ description: 'The lock that pays the intent.' }),
    uncounted_locks: z
      .array(
        z.object({
          ...escrowLock,
          reason: z.enum(['other_payer', 'wrong_terms', 'not_waiting']),
          status: z.enum(['none', 'locked', 'released', 'refunded', 'reclaimed']),
          refund_requested: z.boolean(),
        }),
      )
      .openapi({
        description:
          "Other locks under the intent's id (other payers, wrong terms, after the window): recorded, never counted, refunded by the relayer.",
      }),
    deposit_signer: address
      .nullable()
      .openapi({ description: 'The payer whose signed deposit the relayer sends (POST …/escrow_deposit); null when none.' }),
    release_requested_at: z.number().int().nullable().openapi({ description: 'Unix seconds: when capture had the relayer release it.' }),
    refund_requested_at: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Unix seconds: when a cancel or the deadline had the relayer refund it.' }),
    outcome: z
      .object({
        status: z.enum(['released', 'refunded', 'reclaimed']),
        transaction: z.string().nullable(),
        by: address
          .nullable()
          .openapi({ description: 'Who sent it: the relayer, the payer or the merchant; null for a reclaim (the payer).' }),
      })
      .nullable(),
  })
  .openapi('CryptoEscrow');

const CryptoDetails = z
  .object({
    network: z.string(),
    chain_id: z.number().int(),
    token: z.string(),
    token_address: address.nullable(),
    decimals: z.number().int(),
    amount: z.string().openapi({ description: 'Base units due.' }),
    amount_display: z.string(),
    deposit_address: address.nullable().openapi({ description: "Set at confirmation: a fresh address under the merchant's xpub." }),
    confirmations_required: z.number().int(),
    expires_at: z.number().int().nullable(),
    amount_seen: z.string(),
    amount_confirmed: z.string(),
    amount_received: z.string(),
    excess: z.string().openapi({ description: 'Base units received above what was due.' }),
    transactions: z.array(CryptoTransaction),
    late_transactions: z
      .array(CryptoTransaction)
      .openapi({ description: 'Funds after the window closed or after the intent settled: recorded, not counted.' }),
    late_amount: z.string(),
    monitor_until: z.number().int().nullable(),
    signature: z.object({ signer: address, signature: z.string(), verified_at: z.number().int() }).nullable(),
    escrow: EscrowDetails.nullable().openapi({
      description: 'The escrow of an intent held for capture (capture_method manual); null for one paid by a transfer.',
    }),
    phases: z.array(
      z.object({
        phase: z.enum(PHASES),
        status: z.enum(['pending', 'in_progress', 'completed', 'failed', 'skipped']),
        started_at: z.number().int().nullable(),
        completed_at: z.number().int().nullable(),
      }),
    ),
  })
  .openapi('CryptoPayment');

export const CryptoSignatureParams = z
  .strictObject({
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 65-byte signature: 0x followed by 130 hex digits.'),
    signer: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, 'must be an address: 0x followed by 40 hex digits.')
      .openapi({ description: 'The address that signed the typed data of next_action.crypto_transfer.typed_data.' }),
    client_secret: z.string().max(200).optional().openapi({ description: 'Required with a publishable key.' }),
  })
  .openapi('CryptoSignatureParams');

/** A whole number from 0 to `max`, as JSON number or (a form body) digit string. */
function wholeNumber(param: string, max: number) {
  return z.union([z.number(), z.string()]).transform((value, ctx): number => {
    const n = typeof value === 'number' ? value : /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 0 || n > max) {
      ctx.addIssue({ code: 'custom', message: `${param} must be a whole number from 0 to ${max}.` });
      return z.NEVER;
    }
    return n;
  });
}

export const EscrowDepositParams = z
  .strictObject({
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 65-byte signature: 0x followed by 130 hex digits.'),
    signer: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, 'must be an address: 0x followed by 40 hex digits.')
      .openapi({
        description: 'The payer: the address that signed next_action.crypto_escrow_deposit.typed_data (with message.payer set to it).',
      }),
    permit: z
      .strictObject({
        deadline: wholeNumber('permit[deadline]', Number.MAX_SAFE_INTEGER).openapi({ description: "Unix seconds: the permit's deadline." }),
        v: wholeNumber('permit[v]', 255).openapi({
          description: 'The recovery id of the permit signature: 27 or 28 (0 or 1 taken as 27 or 28).',
        }),
        r: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 32 bytes: 0x followed by 64 hex digits.'),
        s: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 32 bytes: 0x followed by 64 hex digits.'),
      })
      .optional()
      .openapi({
        description:
          "The payer's EIP-2612 permit of the token for the amount to the escrow contract: with it the payer sends no transaction at all (depositWithPermit). Without it the payer must have approved the contract.",
      }),
    client_secret: z.string().max(200).optional().openapi({ description: 'Required with a publishable key.' }),
  })
  .openapi('EscrowDepositParams');

const browserFields = {
  id: z.string(),
  object: z.literal('payment_intent'),
  amount: wireAmount,
  currency: z.string(),
  status: z.enum(STATUSES),
  capture_method: z.enum(CAPTURE_METHODS),
  confirmation_method: z.enum(CONFIRMATION_METHODS),
  client_secret: z.string(),
  payment_method: z.string().nullable(),
  payment_method_types: z.array(z.enum(PAYMENT_METHOD_TYPES)),
  last_payment_error: PaymentError.nullable(),
  next_action: NextAction.nullable(),
  cancellation_reason: z.enum(ALL_CANCELLATION_REASONS).nullable(),
  canceled_at: z.number().int().nullable(),
  created: z.number().int().openapi({ description: 'Unix timestamp (seconds).' }),
  livemode: z.boolean(),
  crypto: CryptoDetails.nullable().openapi({ description: 'The on-chain payment of a crypto PaymentIntent; null otherwise.' }),
  hosted_url: z.url().nullable().openapi({
    description:
      'The hosted payment page where the payer pays this intent (its client secret is in the URL: hand it to the payer only); null once it is succeeded or canceled.',
  }),
  payer_amount: z.object({ minimum: wireAmount.nullable(), maximum: wireAmount.nullable() }).nullable().openapi({
    description:
      'Bounds of the amount the payer chooses at confirmation (`amount` on confirm), in the smallest currency unit; a null bound is open. Null: the amount is set by the merchant.',
  }),
};

const DebitDetails = z
  .object({
    mandate: z.string().openapi({ example: 'mdt_01KB3R3S0N7ZQX2Y4V5W6T8P9A' }),
    period: z.number().int().openapi({ description: "The mandate's period this debit is for (1, 2, …)." }),
    network: z.string(),
    contract: address.openapi({ description: "The mandate's contract (ConnectedWallets or VirtualAccounts), which the debit is sent to." }),
    token: z.string(),
    token_address: address.nullable().openapi({ description: 'The ERC-20 contract; null for the native coin.' }),
    decimals: z.number().int(),
    payer: address,
    payee: address,
    transaction: z
      .string()
      .nullable()
      .openapi({ description: 'The latest debit transaction (a re-send replaces it); null before one is sent.' }),
    block_number: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'The block of the final Debited log; null until the debit succeeded.' }),
  })
  .openapi('MandateDebit');

export const BrowserPaymentIntent = z.object(browserFields).openapi('BrowserPaymentIntent', {
  description: 'What a publishable key with the client secret sees: enough to run a checkout page, nothing more.',
});

export const PaymentIntent = z
  .object({
    ...browserFields,
    amount_capturable: wireAmount,
    amount_received: wireAmount,
    payment_method_options: z.object({
      crypto: z.object({ network: z.string(), token: z.string(), expires_in: z.number().int().nullable() }).optional(),
    }),
    description: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    receipt_email: z.string().nullable(),
    statement_descriptor: z.string().nullable(),
    customer: z.string().nullable(),
    notification_url: z
      .string()
      .nullable()
      .openapi({ description: "Receives this intent's events, signed with the merchant's notification secret." }),
    mandate: z.string().nullable().openapi({
      description:
        "The mandate (mdt_…) this PaymentIntent is a debit of: made off-session by the mandate's schedule, one per period; null for any other PaymentIntent.",
    }),
    debit: DebitDetails.nullable().openapi({
      description:
        "A mandate's debit: the period, where and between whom it is debited on chain, and its transaction. Null for any other PaymentIntent.",
    }),
    latest_charge: z.string().nullable().openapi({
      description:
        'The charge (ch_…) of the latest payment attempt (GET /v1/charges/{id}); null before one. Not shown to a publishable key.',
    }),
  })
  .openapi('PaymentIntent');

export const PaymentIntentList = z
  .object({
    object: z.literal('list'),
    url: z.string(),
    has_more: z.boolean(),
    data: z.array(PaymentIntent),
  })
  .openapi('PaymentIntentList');

export const PaymentIntentSearchResult = z
  .object({
    object: z.literal('search_result'),
    url: z.string(),
    has_more: z.boolean(),
    next_page: z.string().nullable(),
    data: z.array(PaymentIntent),
  })
  .openapi('PaymentIntentSearchResult');
