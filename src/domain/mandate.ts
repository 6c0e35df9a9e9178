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

// --- the schedule's pure steps (the mandate's object reads the chain and the clock, these decide) ---

/** The period `chainNow` (unix seconds, the chain's clock) falls in: 1 from `start` on, 0 before it. */
export function periodAt(m: Pick<Mandate, 'start' | 'interval'>, chainNow: number): number {
  if (chainNow < m.start) return 0;
  return Math.floor((chainNow - m.start) / m.interval) + 1;
}

/** Unix seconds: the end of period `period` (the start of the next). */
export function periodEnd(m: Pick<Mandate, 'start' | 'interval'>, period: number): number {
  return m.start + period * m.interval;
}

/**
 * Retries of a short debit within its period: 2 s, 5 s, 15 s, 1 min, 5 min, 30 min, then every 2 h;
 * never past the period's end (the caller caps). A 10-second test period still sees two retries.
 */
export const SHORT_RETRY_LADDER_MS = [2_000, 5_000, 15_000, 60_000, 300_000, 1_800_000, 7_200_000] as const;

export function shortRetryDelayMs(retriesSoFar: number): number {
  return SHORT_RETRY_LADDER_MS[Math.min(retriesSoFar, SHORT_RETRY_LADDER_MS.length - 1)]!;
}

/** The mandate after a change: one revision more. */
function changed(m: Mandate, fields: Partial<Mandate>): Mandate {
  return { ...m, ...fields, revision: m.revision + 1 };
}

/** Registered on chain: created, the first period due at start. */
export function registered(m: Mandate, estimatedGas: bigint): Mandate {
  return changed(m, { status: 'created', estimatedGas, nextPaymentAt: m.debitTimes > 0 ? m.start * 1000 : null });
}

/** Registration reverted (or was refused on chain): nothing will ever be debited. */
export function registrationFailed(m: Mandate): Mandate {
  return changed(m, { status: 'failed', nextPaymentAt: null });
}

/** What a mined Debited log says. */
export interface DebitDone {
  period: number;
  used: number;
  amount: bigint;
  /** Milliseconds: the block's time. */
  at: number;
  /** The Dynamic request it paid, if any. */
  requestId: string | null;
  paymentIntent: string | null;
}

/**
 * A debit mined: used, lastPeriod, last/next payment dates, the request debited; recurring, or paid
 * once none is left. A canceled mandate stays canceled (a debit sent before the cancel may still land).
 * Applying a debit of a period already recorded changes nothing.
 */
export function withDebit(m: Mandate, d: DebitDone): Mandate {
  if (d.period <= m.lastPeriod && d.used <= m.used) return m;
  const used = Math.max(m.used, d.used);
  const left = used < m.debitTimes;
  const status: MandateStatus = m.status === 'canceled' ? 'canceled' : left ? 'recurring' : 'paid';
  return changed(m, {
    used,
    lastPeriod: Math.max(m.lastPeriod, d.period),
    lastPaymentAt: d.at,
    nextPaymentAt: left && status !== 'canceled' ? (m.start + used * m.interval) * 1000 : null,
    status,
    failedDynamicPaymentAmount: 0n,
    debitRequests: m.debitRequests.map((r) =>
      r.id === d.requestId ? { ...r, status: 'debited' as const, period: d.period, paymentIntent: d.paymentIntent } : r,
    ),
  });
}

/** The due debit cannot be paid: the payer's account holds `available` of `amount` (read at `at`). */
export function withShortfall(m: Mandate, amount: bigint, available: bigint, at: number): Mandate {
  return changed(m, {
    status: 'account_balance_too_low',
    accountBalance: available,
    balanceReadAt: at,
    failedDynamicPaymentAmount: m.pricing === 'dynamic' ? amount - available : m.failedDynamicPaymentAmount,
  });
}

/** The funds were enough when read: back from account_balance_too_low to where the debits are. */
export function withFunds(m: Mandate, available: bigint, at: number): Mandate {
  const status: MandateStatus = m.status === 'account_balance_too_low' ? (m.used > 0 ? 'recurring' : 'created') : m.status;
  return changed(m, { status, accountBalance: available, balanceReadAt: at });
}

/** A Dynamic request whose period ended short: failed, with the code of the shortfall. */
export function withRequestFailed(m: Mandate, requestId: string, period: number, code: string, paymentIntent: string | null): Mandate {
  return changed(m, {
    debitRequests: m.debitRequests.map((r) =>
      r.id === requestId ? { ...r, status: 'failed' as const, period, failureCode: code, paymentIntent } : r,
    ),
  });
}

/** Canceled for good: by the merchant (the API), or on chain by the payer or the payee. Pending requests end with it. */
export function withCancel(m: Mandate, source: CancellationSource, at: number): Mandate {
  return changed(m, {
    status: 'canceled',
    canceledAt: at,
    cancellationSource: source,
    nextPaymentAt: null,
    debitRequests: m.debitRequests.map((r) => (r.status === 'pending' ? { ...r, status: 'canceled' as const } : r)),
  });
}

/** Adds a Dynamic request (pending until its period's debit). */
export function withRequest(m: Mandate, request: DebitRequest): Mandate {
  return changed(m, { debitRequests: [...m.debitRequests, request] });
}

/** The request a Dynamic debit pays next: the oldest pending one. */
export function nextRequest(m: Mandate): DebitRequest | undefined {
  return m.debitRequests.find((r) => r.status === 'pending');
}

/** Whether nothing more can happen to the mandate's debits. */
export function isClosed(m: Pick<Mandate, 'status'>): boolean {
  return m.status === 'canceled' || m.status === 'paid' || m.status === 'failed';
}
