/**
 * Mandate domain → the Stripe family's wire: the `mandate` object of /v1/mandates (issue 13). Amounts
 * exact (integers, digit strings past 2^53), times in Unix seconds.
 */
import { type DebitRequest, type Mandate, transactionsLeft } from '../../../domain/mandate.js';
import type { z } from '@hono/zod-openapi';
import type { DebitRequest as WireDebitRequest, Mandate as WireMandate } from '../mandates/schemas.js';
import { amountToWire } from './payment-intent.js';

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

export function debitRequestToWire(r: DebitRequest, mandate: string): z.input<typeof WireDebitRequest> {
  return {
    id: r.id,
    object: 'debit_request',
    mandate,
    amount: amountToWire(r.amount),
    status: r.status,
    period: r.period,
    failure_code: r.failureCode,
    payment_intent: r.paymentIntent,
    created: Math.floor(r.created / 1000),
  };
}

export function mandateToWire(m: Mandate): z.input<typeof WireMandate> {
  return {
    id: m.id,
    object: 'mandate',
    debit_item: m.debitItemId,
    status: m.status,
    account_type: m.accountType,
    network: m.network,
    chain_id: m.chainId,
    contract: m.contract,
    token: { ...m.token },
    payer: m.payer,
    payee: m.payee,
    max_amount: amountToWire(m.maxAmount),
    debit_times: m.debitTimes,
    debit_interval_seconds: m.interval,
    start: m.start,
    valid_before: m.validBefore,
    pricing: m.pricing,
    used: m.used,
    transactions_left: transactionsLeft(m),
    last_period: m.lastPeriod,
    last_payment_date: seconds(m.lastPaymentAt),
    next_payment_date: seconds(m.nextPaymentAt),
    onchain_id: m.onchainId,
    commitment: m.commitment,
    estimated_gas: m.estimatedGas === null ? null : m.estimatedGas.toString(),
    failed_dynamic_payment_amount: amountToWire(m.failedDynamicPaymentAmount),
    account_balance: m.accountBalance === null ? null : amountToWire(m.accountBalance),
    pending_debit_requests: m.debitRequests.filter((r) => r.status === 'pending').map((r) => debitRequestToWire(r, m.id)),
    canceled_at: seconds(m.canceledAt),
    cancellation_source: m.cancellationSource,
    metadata: { ...m.metadata },
    created: Math.floor(m.created / 1000),
    livemode: m.livemode,
  };
}
