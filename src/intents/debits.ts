/**
 * Debits as payment intents (issue 13): each period of a mandate in which a debit is due gets one
 * PaymentIntent (as a subscription makes an invoice and an intent each period): crypto, off-session,
 * linked by `mandate`, so events, lists, search and webhooks work for debits as for any intent. The
 * mandate's object reports what happens to the period's debit; the intent's object is the only writer
 * of the intent. Every report is idempotent: the same report again changes nothing and adds no event.
 */
import type { Env } from '../env.js';
import type { PaymentIntent } from '../domain/intent.js';

/** What names a period's debit intent, and what it is created with on the first report. */
export interface DebitIntentRef {
  /** The intent's id: `debitIntentId(mandate, period)`. */
  id: string;
  merchantId: string;
  livemode: boolean;
  shard: string;
  /** `mdt_…` */
  mandate: string;
  /** The mandate's period (1, 2, …). */
  period: number;
  /** Base units of the token. */
  amount: bigint;
  /** The token's symbol (the intent's currency, as crypto intents have it). */
  currency: string;
  network: string;
  token: { symbol: string; decimals: number; address: string | null };
  payer: string;
  payee: string;
  /** The contract the debit is sent to. */
  contract: string;
  description: string | null;
  metadata: Record<string, string>;
}

/**
 * processing: a debit transaction is written down and about to be sent (or was re-sent);
 * succeeded: the Debited log is final (the network's confirmations);
 * failed: the debit cannot be paid now (short balance, allowance or deposit) or its transaction
 *   reverted: requires_payment_method with last_payment_error (code as given); retried in the period;
 * closed: the period ended without a debit, or the mandate was canceled: canceled.
 */
export type DebitReport =
  | { kind: 'processing'; attemptId: string; txHash: string | null }
  | { kind: 'succeeded'; txHash: string; blockNumber: bigint; amount: bigint }
  | {
      kind: 'failed';
      code: 'account_balance_too_low' | 'allowance_too_low' | 'deposit_too_low' | 'transaction_reverted';
      message: string;
    }
  | { kind: 'closed'; reason: 'period_forfeited' | 'mandate_canceled' };

/** The intent id of a mandate's period: derived, so every report of a period reaches one object. */
export async function debitIntentId(_mandate: string, _period: number): Promise<string> {
  throw new Error('not implemented yet (issue 13: debit intents)');
}

/** Reports a period's debit to its intent (created by the first report). Returns the intent as it is now. */
export async function reportDebit(
  _env: Env,
  _ref: DebitIntentRef,
  _report: DebitReport,
  _requestId: string | null,
): Promise<PaymentIntent> {
  throw new Error('not implemented yet (issue 13: debit intents)');
}
