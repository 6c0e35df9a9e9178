/**
 * The mandate wire (issue 13): a payer's signed permission for recurring debits under a debit item,
 * on Stripe's conventions — snake_case, `object: 'mandate'`, Unix seconds, amounts in the token's
 * base units as JSON integers or, past 2^53, digit strings.
 */
import { z } from '@hono/zod-openapi';
import { PRICINGS } from '../../../domain/debit-item.js';
import { ACCOUNT_TYPES, MANDATE_STATUSES } from '../../../domain/mandate.js';
import { MANDATE_ID_PATTERN } from '../../../lib/ids.js';
import { createdParams, cursorParams, limit, oneCursor } from '../list.js';
import { pathId, tokenAmount } from '../params.js';

const wireAmount = z.union([z.number().int(), z.string().regex(/^\d+$/)]);

export const DebitRequest = z
  .object({
    id: z.string(),
    object: z.literal('debit_request'),
    mandate: z.string(),
    amount: wireAmount,
    status: z.enum(['pending', 'debited', 'failed', 'canceled']),
    period: z.number().int().nullable(),
    failure_code: z.string().nullable(),
    payment_intent: z.string().nullable(),
    created: z.number().int(),
  })
  .openapi('DebitRequest');

export const Mandate = z
  .object({
    id: z.string(),
    object: z.literal('mandate'),
    debit_item: z.string(),
    status: z.enum(MANDATE_STATUSES),
    account_type: z.enum(ACCOUNT_TYPES),
    network: z.string(),
    chain_id: z.number().int(),
    contract: z.string().openapi({ description: 'The contract the mandate is registered on.' }),
    token: z.object({ symbol: z.string(), decimals: z.number().int(), address: z.string().nullable() }),
    payer: z.string(),
    payee: z.string(),
    max_amount: wireAmount,
    debit_times: z.number().int(),
    debit_interval_seconds: z.number().int(),
    start: z.number().int().openapi({ description: 'Unix seconds: period n is [start + (n-1)·interval, start + n·interval).' }),
    valid_before: z.number().int(),
    pricing: z.enum(PRICINGS),
    used: z.number().int(),
    transactions_left: z.number().int(),
    last_period: z.number().int(),
    last_payment_date: z.number().int().nullable(),
    next_payment_date: z.number().int().nullable(),
    onchain_id: z.string().openapi({ description: 'The EIP-712 digest the payer signed: the mandate`s id on chain.' }),
    commitment: z.string(),
    estimated_gas: z.string().nullable(),
    failed_dynamic_payment_amount: wireAmount,
    account_balance: wireAmount.nullable(),
    pending_debit_requests: z.array(DebitRequest),
    canceled_at: z.number().int().nullable(),
    cancellation_source: z.enum(['merchant', 'payer', 'payee']).nullable(),
    metadata: z.record(z.string(), z.string()),
    created: z.number().int(),
    livemode: z.boolean(),
  })
  .openapi('Mandate');

export { MANDATE_ID_PATTERN };

/** A mandate's id in the path; any string not of MANDATE_ID_PATTERN names no mandate (404). */
export function mandateIdParam(example: string) {
  return pathId("The mandate's", MANDATE_ID_PATTERN, example);
}

const status = z
  .enum(MANDATE_STATUSES, { error: `must be one of ${MANDATE_STATUSES.join(', ')}.` })
  .optional()
  .openapi({ description: 'Only mandates in this status.' });

export const ListMandatesQuery = z
  .strictObject({
    limit,
    ...cursorParams,
    debit_item: z.string().max(100).optional().openapi({ description: 'Only the mandates of this debit item (di_…).' }),
    status,
    ...createdParams,
  })
  .refine(...oneCursor);

/** The mandates of one debit item (the item is in the path). */
export const ListItemMandatesQuery = z.strictObject({ limit, ...cursorParams, status, ...createdParams }).refine(...oneCursor);

const requestedAmount = tokenAmount(
  '2500000',
  "What to debit, in the token's base units (a JSON integer, or a digit string past 2^53); at most the mandate's max_amount.",
);

export const CreateDebitRequestParams = z.strictObject({ amount: requestedAmount }).openapi('CreateDebitRequestParams');

export const CancelMandateParams = z.strictObject({}).openapi('CancelMandateParams');

export const MandateList = z
  .object({ object: z.literal('list'), url: z.string(), has_more: z.boolean(), data: z.array(Mandate) })
  .openapi('MandateList');
