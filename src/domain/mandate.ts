/**
 * A mandate (issue 13): a payer's signed permission for recurring on-chain debits under a merchant's
 * debit item, registered on one of the two contracts (contracts/ConnectedWallets.sol,
 * contracts/VirtualAccounts.sol), and the schedule the service runs for it. One Durable Object per
 * mandate is its state machine and only writer (src/mandates/mandate-object.ts); D1's `mandates`
 * table is its read model (src/db/mandates.ts). Pure: no clock, no storage, no chain.
 *
 * Vocabulary of 002_… (DebitLlama), for the wire of that family:
 *   payment_intent  = `onchainId`, the EIP-712 digest of the signed mandate in the contract's domain;
 *   commitment      = the payer's account bucket, keccak256(abi.encode(payer, token));
 *   status_text     = CREATED | CANCELLED | RECURRING | PAID | ACCOUNTBALANCETOOLOW (see `wireStatus`).
 */

/**
 * registering: signed and accepted by the service, its `authorize` transaction not yet final;
 * created: registered on chain, no debit yet; recurring: at least one debit, more to come;
 * account_balance_too_low: the due debit cannot be paid (balance, allowance or deposit short), retried
 *   within the period; paid: every debit done; canceled: by the merchant, the payer or the payee;
 * failed: registration reverted or was refused on chain (expired signature…): nothing was ever debited.
 */
export const MANDATE_STATUSES = ['registering', 'created', 'recurring', 'account_balance_too_low', 'paid', 'canceled', 'failed'] as const;
export type MandateStatus = (typeof MANDATE_STATUSES)[number];

/** The mandate's events: made (signed and accepted), changed (registered, debited, short, paid…), canceled. */
export const MANDATE_EVENT_TYPES = ['mandate.created', 'mandate.updated', 'mandate.canceled'] as const;
export type MandateEventType = (typeof MANDATE_EVENT_TYPES)[number];

/** Which contract holds the mandate: pull from the payer's wallet, or debit the payer's deposit. */
export const ACCOUNT_TYPES = ['connected_wallet', 'virtual_account'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/** Who canceled: the merchant through the API (the relayer sends the payee's cancel), or on chain (payer or payee). */
export type CancellationSource = 'merchant' | 'payer' | 'payee';

/** A Dynamic mandate's request for one debit (POST /v1/mandates/:id/debit_requests). */
export interface DebitRequest {
  /** `dr_…` */
  id: string;
  amount: bigint;
  /** pending: waiting for its period's debit; debited: paid; failed: the period ended short; canceled: the mandate ended. */
  status: 'pending' | 'debited' | 'failed' | 'canceled';
  /** The period it was debited in, or failed in; null while pending. */
  period: number | null;
  /** Why it failed (account_balance_too_low…), null otherwise. */
  failureCode: string | null;
  /** The payment intent of the debit that paid it (or tried to). */
  paymentIntent: string | null;
  created: number;
}

/** The mandate's record, as its object stores it (bigints become digit strings in the record). */
export interface Mandate {
  /** `mdt_…` */
  id: string;
  merchantId: string;
  livemode: boolean;
  /** The merchant's read-model shard (SHARD_n). */
  shard: string;
  debitItemId: string;
  network: string;
  chainId: number;
  accountType: AccountType;
  /** The contract the mandate is registered on (checksummed). */
  contract: string;
  token: { symbol: string; decimals: number; address: string | null };
  // --- what the payer signed (contracts/Mandates.sol `Mandate`) ---
  payer: string;
  payee: string;
  maxAmount: bigint;
  debitTimes: number;
  /** Seconds. */
  interval: number;
  /** Unix seconds: period n = [start + (n-1)·interval, start + n·interval). */
  start: number;
  /** Unix seconds. */
  validBefore: number;
  salt: string;
  signature: string;
  /** The EIP-712 digest: the id on chain (`payment_intent` in 002_…). */
  onchainId: string;
  /** keccak256(abi.encode(payer, token)) (`commitment` in 002_…). */
  commitment: string;
  pricing: 'fixed' | 'dynamic';
  // --- progress ---
  status: MandateStatus;
  /** Debits done (the contract's `used`). */
  used: number;
  /** The last period debited (the contract's `lastPeriod`), 0 before the first. */
  lastPeriod: number;
  /** Milliseconds: when the last debit was mined; null before the first. */
  lastPaymentAt: number | null;
  /** Milliseconds: start + used·interval (the next period's start) while debits are left; null once none is. */
  nextPaymentAt: number | null;
  /** Gas of one debit, estimated (digit string on the wire). */
  estimatedGas: bigint | null;
  /** Dynamic pricing: the requests, oldest first. */
  debitRequests: DebitRequest[];
  /** Dynamic pricing: what the last failed request missed (002_… `failed_dynamic_payment_amount`), 0 otherwise. */
  failedDynamicPaymentAmount: bigint;
  /** The last balance read for the payer's account (wallet balance or deposit) at `balanceReadAt`. */
  accountBalance: bigint | null;
  balanceReadAt: number | null;
  canceledAt: number | null;
  cancellationSource: CancellationSource | null;
  metadata: Record<string, string>;
  created: number;
  /** Counts the mandate's changes: the read model keeps the highest. */
  revision: number;
}

/** The status on the wire of 002_… */
export type WireStatus = 'CREATED' | 'CANCELLED' | 'RECURRING' | 'PAID' | 'ACCOUNTBALANCETOOLOW';

/** 002_… has no registering or failed: a mandate not yet on chain is CREATED (nothing debited), a failed one CANCELLED. */
export function wireStatus(status: MandateStatus): WireStatus {
  switch (status) {
    case 'registering':
    case 'created':
      return 'CREATED';
    case 'recurring':
      return 'RECURRING';
    case 'account_balance_too_low':
      return 'ACCOUNTBALANCETOOLOW';
    case 'paid':
      return 'PAID';
    case 'canceled':
    case 'failed':
      return 'CANCELLED';
  }
}

/** Debits left: debitTimes − used. */
export function transactionsLeft(m: Pick<Mandate, 'debitTimes' | 'used'>): number {
  return m.debitTimes - m.used;
}
