/**
 * Debits as payment intents (issue 13): each period of a mandate in which a debit is due gets one
 * PaymentIntent (as a subscription makes an invoice and an intent each period): crypto, off-session,
 * linked by `mandate`, so events, lists, search and webhooks work for debits as for any intent. The
 * mandate's object reports what happens to the period's debit; the intent's object is the only writer
 * of the intent. Every report is idempotent: the same report again changes nothing and adds no event.
 * How each report moves the intent is in src/domain/debit-intent.ts.
 */
import type { Env } from '../env.js';
import type { DebitReport } from '../domain/debit-intent.js';
import type { PaymentIntent } from '../domain/intent.js';
import { mandateDebitIntentId, newClientSecret } from '../lib/ids.js';

export type { DebitReport } from '../domain/debit-intent.js';

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
  chainId: number;
  token: { symbol: string; decimals: number; address: string | null };
  payer: string;
  payee: string;
  /** The contract the debit is sent to. */
  contract: string;
  description: string | null;
  metadata: Record<string, string>;
}

/** The intent id of a mandate's period: derived, so every report of a period reaches one object. */
export function debitIntentId(mandate: string, period: number): Promise<string> {
  return mandateDebitIntentId(mandate, period);
}

/**
 * Reports a period's debit to its intent (created by the first report). Returns the intent as it is
 * now. A late or contradicting report is ignored (a warning in the log), never thrown: see
 * src/domain/debit-intent.ts for the mapping. Throws only for a ref whose id is not its period's.
 */
export async function reportDebit(env: Env, ref: DebitIntentRef, report: DebitReport, requestId: string | null): Promise<PaymentIntent> {
  const id = await debitIntentId(ref.mandate, ref.period);
  if (ref.id !== id) throw new Error(`debit intent ${ref.id} is not the intent of ${ref.mandate} period ${ref.period} (${id})`);
  const stub = env.INTENTS.get(env.INTENTS.idFromName(id));
  return stub.reportDebit(
    { merchantId: ref.merchantId, livemode: ref.livemode, shard: ref.shard },
    { id, clientSecret: newClientSecret(id) },
    {
      amount: ref.amount,
      currency: ref.currency.toLowerCase(),
      debit: {
        mandate: ref.mandate,
        period: ref.period,
        network: ref.network,
        chainId: ref.chainId,
        contract: ref.contract,
        token: ref.token,
        payer: ref.payer,
        payee: ref.payee,
      },
      description: ref.description,
      metadata: ref.metadata,
    },
    report,
    requestId,
  );
}
