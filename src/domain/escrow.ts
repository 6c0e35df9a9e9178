/**
 * A crypto intent held in escrow (contracts/Escrow.sol), the pure part: what the intent records about
 * its deposit on the escrow contract, and what the contract's state and logs mean for it. The escrow is
 * the canonical meaning of capture_method=manual for crypto (and of a Finternet settlement): the payer
 * locks the amount against the intent's on-chain id, capture has the relayer release it to the
 * merchant's deposit address, cancel has it refund the payer, and after the deadline the payer may
 * reclaim it alone. The transitions are in escrow-intent.ts.
 *
 * Every reading starts again from what the chain says now (the contract's `escrowOf` at the head and
 * at the confirmed depth, and every log of the intent's id): a lock dropped by a reorg simply stops
 * counting, as a transfer does (crypto.ts).
 */

/** The contract's Status enum (src/chain/escrow.ts ESCROW_STATUSES), in the domain's terms. */
export type EscrowStatus = 'none' | 'locked' | 'released' | 'refunded' | 'reclaimed';
export type EscrowFinalStatus = Exclude<EscrowStatus, 'none' | 'locked'>;

/** A Locked log of the intent's id: one payer's deposit, with the terms it was locked on. */
export interface EscrowLock {
  payer: string;
  /** The ERC-20 contract locked. */
  token: string;
  /** Base units of the token. */
  amount: bigint;
  /** Who a release pays. */
  merchant: string;
  /** Unix seconds: from then on the payer may reclaim and nobody may release. */
  deadline: number;
  txHash: string;
  blockNumber: bigint;
  blockHash: string;
  logIndex: number;
}

/** Why a lock under the intent's id does not pay it. */
export type UncountedReason =
  /** Another payer's lock, the intent being paid (or held) by the counted one. */
  | 'other_payer'
  /** Not the intent's terms: another token, less than due, another merchant or an earlier deadline. */
  | 'wrong_terms'
  /** Locked after the intent stopped waiting (abandoned, canceled). */
  | 'not_waiting';

/**
 * A lock that is recorded but never counted (like late funds): the relayer refunds it to its payer
 * (`refund` is the attempt, written down before it is sent); `status` is the contract's, confirmed.
 */
export interface UncountedLock extends EscrowLock {
  reason: UncountedReason;
  status: EscrowStatus;
  refund: EscrowAttempt | null;
}

/** A transaction the relayer is asked to send for the intent: its attempt id (the relayer sends an id once). */
export interface EscrowAttempt {
  id: string;
  /** Milliseconds: when it was written down (a timer row of the intent's object, sent by its alarm). */
  requestedAt: number;
}

/** An EIP-2612 permit of the token for the deposit's amount to the contract, split as the contract takes it. */
export interface DepositPermit {
  /** Unix seconds. */
  deadline: number;
  v: number;
  r: string;
  s: string;
}

/**
 * The payer's EIP-712 Deposit signature over the escrow's terms (verified by the shell, signer = payer),
 * which the relayer sends as depositWithSignature, or with a permit as depositWithPermit so that the
 * payer sends no transaction at all. Not a secret: it can only make the deposit its payer signed.
 */
export interface SignedDeposit extends EscrowAttempt {
  signer: string;
  signature: string;
  permit: DepositPermit | null;
}

/** How the counted deposit ended on chain, confirmed: the log that ended it. */
export interface EscrowOutcome {
  status: EscrowFinalStatus;
  txHash: string | null;
  blockNumber: bigint | null;
  /** The relayer, the payer, or the merchant: who sent it (null for a reclaim, always the payer's, and when no log was read). */
  by: string | null;
}

/**
 * The deposit of an escrowed intent. Contract and id at creation; merchant, deadline and validBefore
 * when the intent is confirmed (the terms the payer is shown and signs); the rest from the chain.
 */
export interface Escrow {
  /** The escrow contract on the intent's network (CHAINS escrow_contract). */
  contract: string;
  /** keccak256 of the intent's `pi_…` id (src/chain/escrow.ts escrowIdOf). */
  escrowId: string;
  /** The intent's deposit address: the merchant's own (xpub), which a release pays. The service never holds its key. */
  merchant: string | null;
  /** Unix seconds: the earliest deadline a lock may have (the payment window's end plus the hold period). */
  deadline: number | null;
  /** Unix seconds: a deposit signature is valid before it (the payment window's end). */
  validBefore: number | null;
  /** The lock that pays the intent (the first in chain order with the intent's terms); null before one is seen. */
  lock: EscrowLock | null;
  /** Whether that lock is on chain at the head (`seen`) and with its confirmations (`confirmed`). */
  lockStatus: 'none' | 'seen' | 'confirmed';
  /** Every other lock under the intent's id: recorded, refunded, never counted. */
  uncounted: UncountedLock[];
  /** The payer's signed deposit, sent by the relayer (`${pi}:escrow_deposit`); null when the payer deposits alone. */
  deposit: SignedDeposit | null;
  /** Capture: the relayer's release (`${pi}:escrow_release`). */
  release: EscrowAttempt | null;
  /** Cancel or the deadline: the relayer's refund of the counted lock (`${pi}:escrow_refund:${payer}`). */
  refund: EscrowAttempt | null;
  /** How the counted lock ended on chain (confirmed); null while it is held or before one. */
  outcome: EscrowOutcome | null;
}

/** Locked / Released / Refunded / Reclaimed logs of the intent's id (src/chain/escrow.ts EscrowEvent), in the domain's terms. */
export type EscrowLog =
  | ({ event: 'Locked' } & EscrowLock)
  | {
      event: 'Released' | 'Refunded' | 'Reclaimed';
      payer: string;
      amount: bigint;
      /** Who sent it; null for Reclaimed (the payer). */
      by: string | null;
      txHash: string;
      blockNumber: bigint;
      blockHash: string;
      logIndex: number;
    };

/** escrowOf(id, payer) for one payer of a Locked log: at the head, and at the confirmed depth (head - confirmations + 1). */
export interface EscrowHolding {
  payer: string;
  seen: EscrowStatus;
  confirmed: EscrowStatus;
}

/** What the intent's escrow poll read, all from the chain as it is now. */
export interface EscrowObservation {
  type: 'escrow_observed';
  head: bigint;
  /** Every log of the intent's id from its start block to the head, in chain order. */
  logs: EscrowLog[];
  /** One per payer of a Locked log. */
  holdings: EscrowHolding[];
  /** When the head was read. */
  observedAt: number;
}

export function newEscrow(contract: string, escrowId: string): Escrow {
  return {
    contract,
    escrowId,
    merchant: null,
    deadline: null,
    validBefore: null,
    lock: null,
    lockStatus: 'none',
    uncounted: [],
    deposit: null,
    release: null,
    refund: null,
    outcome: null,
  };
}

/** The relayer's attempt ids of an intent: one release, one deposit, one refund per payer. */
export const escrowAttemptIds = {
  deposit: (intentId: string) => `${intentId}:escrow_deposit`,
  release: (intentId: string) => `${intentId}:escrow_release`,
  refund: (intentId: string, payer: string) => `${intentId}:escrow_refund:${payer.toLowerCase()}`,
};
