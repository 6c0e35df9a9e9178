/**
 * The wire of 002_… (DebitLlama's /api/v1), as its reference types it: PaymentIntent_ApiV1 (a
 * mandate), Account_ApiV1, DebitItem_ApiV1, Network_ApiV1, Currency_ApiV1, and its list answers
 * (page-numbered: current_page from 0, page_size, sort_by + sort_direction ASC|DESC, a JSON
 * `filter`). Amounts are digit strings of the token's base units; dates are UTC strings.
 */
import { z } from '@hono/zod-openapi';
import { ErrorResponse, frame } from './errors.js';

export const Currency = z
  .object({
    name: z.string().openapi({ description: 'The token`s ticker (USDC, ETH).' }),
    native: z.boolean().openapi({ description: 'The network`s own coin: contractAddress is then an empty string.' }),
    contractAddress: z.string(),
  })
  .openapi('Currency_ApiV1');

export const Network = z
  .object({
    name: z.string(),
    rpc: z
      .string()
      .nullable()
      .openapi({ description: 'A public RPC URL, if the deployment names one (CHAINS public_rpc_url); else null.' }),
    chain_id: z.string().openapi({ description: 'The chain id as a hex string.' }),
    currency: z.string().openapi({ description: 'The ticker of the network`s own coin.' }),
    virtual_accounts_contract: z.string().openapi({ description: 'Empty when not deployed on this network.' }),
    connected_wallets_contract: z.string().openapi({ description: 'Empty when not deployed on this network.' }),
    available_currencies: z.array(Currency),
  })
  .openapi('Network_ApiV1');

export const PAYMENT_INTENT_STATUSES = ['CREATED', 'CANCELLED', 'RECURRING', 'PAID', 'ACCOUNTBALANCETOOLOW'] as const;
export const PRICINGS_V1 = ['Fixed', 'Dynamic'] as const;
export const ACCOUNT_TYPES_V1 = ['VIRTUALACCOUNT', 'CONNECTEDWALLET'] as const;

const utc = (description: string) => z.string().openapi({ description: `${description}, as a UTC string.` });
const digits = (description: string) =>
  z
    .string()
    .regex(/^\d+$/)
    .openapi({ description: `${description}, in the token's base units.` });

export const Account = z
  .object({
    id: z.number().int().openapi({ description: 'The account`s integer id (its first mandate`s).' }),
    created_at: utc('When its first mandate was made'),
    network: Network,
    commitment: z.string(),
    name: z.string(),
    closed: z.boolean(),
    currency: Currency,
    balance: digits('The last balance a mandate read (wallet balance or deposit)')
      .nullable()
      .openapi({ description: 'The last balance a mandate read, in base units; null before any was read.' }),
    account_type: z.enum(ACCOUNT_TYPES_V1),
    creator_address: z.string().openapi({ description: 'The payer.' }),
  })
  .openapi('Account_ApiV1');

export const DebitItem = z
  .object({
    id: z.number().int(),
    created_at: utc('When it was made'),
    payee_address: z.string(),
    currency: Currency,
    max_price: digits('The most one debit may take'),
    debit_times: z.number().int(),
    debit_interval: z.number().int().openapi({ description: 'Days between debits (0 for a test-mode item in seconds).' }),
    debit_interval_seconds: z
      .number()
      .int()
      .openapi({ description: 'Seconds between debits (not in DebitLlama`s types: exact for test items).' }),
    button_id: z.string(),
    redirect_url: z.string(),
    pricing: z.enum(PRICINGS_V1),
    network: Network,
    name: z.string(),
    deleted: z.boolean(),
    payment_intents_count: z.number().int(),
  })
  .openapi('DebitItem_ApiV1');

export const PaymentIntent = z
  .object({
    id: z.number().int(),
    created_at: utc('When it was made'),
    account: Account,
    payee_address: z.string(),
    max_debit_amount: digits('The most one debit may take'),
    debit_times: z.number().int(),
    debit_interval: z.number().int().openapi({ description: 'Days between debits (0 for a test-mode mandate in seconds).' }),
    payment_intent: z.string().openapi({ description: 'The EIP-712 digest the payer signed: the mandate`s id on chain.' }),
    commitment: z.string(),
    estimated_gas: z.string().openapi({ description: 'Gas of one debit, estimated; empty before the first estimate.' }),
    status_text: z.enum(PAYMENT_INTENT_STATUSES),
    last_payment_date: utc('The last debit').nullable(),
    next_payment_date: utc('The next debit is due').nullable(),
    pricing: z.enum(PRICINGS_V1),
    currency: Currency,
    network: Network,
    debit_item: DebitItem,
    used_for: z.number().int(),
    transactions_left: z.number().int(),
    failed_dynamic_payment_amount: digits('What the last failed dynamic debit request missed (0 when none)'),
  })
  .openapi('PaymentIntent_ApiV1');

export const DynamicPaymentRequest = z
  .object({
    created_at: utc('When it was asked'),
    status: z.enum(['Created', 'Locked', 'Completed', 'Rejected']),
    amount: digits('The requested amount'),
    currency: Currency,
    chain_id: z.string(),
  })
  .openapi('DynamicPaymentRequest_ApiV1');

export const Pagination = z
  .object({
    current_page: z.number().int(),
    total_pages: z.number().int(),
    page_size: z.number().int(),
    sort_by: z.string(),
    sort_direction: z.enum(['ASC', 'DESC']),
    sortable_columns: z.array(z.string()),
  })
  .openapi('PaginationResponse_ApiV1');

export const AppliedFilter = z.object({ parameter: z.string(), value: z.unknown() }).openapi('Filter_ApiV1');

export const PaymentIntentsResponse = z
  .object({
    ...frame,
    paymentIntents: z.array(PaymentIntent),
    pagination: Pagination,
    filter: z.array(AppliedFilter),
    availableFilters: z.array(z.string()),
  })
  .openapi('PaymentIntentsResponse_ApiV1');

export const SinglePaymentIntentResponse = z
  .object({
    ...frame,
    paymentIntent: PaymentIntent,
    dynamicPaymentRequest: z.union([DynamicPaymentRequest, z.tuple([])]).openapi({
      description: 'The latest dynamic payment request, or [] when there is none (as DebitLlama answers).',
    }),
  })
  .openapi('SinglePaymentIntentResponse_ApiV1');

export const AccountsResponse = z
  .object({
    ...frame,
    accounts: z.array(Account),
    pagination: Pagination,
    filters: z.array(AppliedFilter),
    availableFilters: z.array(z.string()),
  })
  .openapi('AccountsResponse_ApiV1');

export const ItemsResponse = z
  .object({
    ...frame,
    items: z.array(DebitItem),
    pagination: Pagination,
    filter: z.array(AppliedFilter),
    availableFilters: z.array(z.string()),
  })
  .openapi('ItemsResponse_ApiV1');

export const ItemResponse = z
  .object({ ...frame, item: DebitItem, checkout: z.string(), item_id: z.string() })
  .openapi('ItemResponse_ApiV1');

export { ErrorResponse };
