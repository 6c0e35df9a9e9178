/**
 * The mandates' service seam (issue 13): the one way an API family or a page reaches a mandate. It
 * finds the mandate's Durable Object (src/mandates/mandate-object.ts), passes the caller along and
 * maps its answer: the mandate, or a thrown MandateRefused that each family renders in its envelope.
 * A family never touches a stub.
 */
import type { AccountType, DebitRequest, Mandate } from '../domain/mandate.js';
import type { DebitItem } from '../domain/debit-item.js';
import type { Env } from '../env.js';
import type { Caller } from '../intents/intent-object.js';

export type { Caller } from '../intents/intent-object.js';

/**
 * Why a mandate command was refused. `param` is the wire name of the parameter at fault (snake_case,
 * as both families spell it), when one is.
 *   resource_missing: no such mandate for this caller (another merchant's is the same);
 *   parameter_invalid / parameter_missing: the request is wrong (`param` says where);
 *   mandate_unexpected_state: not allowed in the mandate's status (`status`);
 *   debit_item_inactive: the button was deactivated;
 *   chain_unavailable: the chain could not be asked (retry later; nothing was written).
 */
export type MandateRefusalCode =
  | 'resource_missing'
  | 'parameter_invalid'
  | 'parameter_missing'
  | 'mandate_unexpected_state'
  | 'debit_item_inactive'
  | 'chain_unavailable';

export interface MandateRefusalData {
  code: MandateRefusalCode;
  message: string;
  param?: string;
  status?: Mandate['status'];
}

export class MandateRefused extends Error {
  readonly code: MandateRefusalCode;
  readonly param?: string;
  readonly status?: Mandate['status'];
  constructor(data: MandateRefusalData) {
    super(data.message);
    this.name = 'MandateRefused';
    this.code = data.code;
    this.param = data.param;
    this.status = data.status;
  }
}

/** What the subscribe page sends once the payer has signed: the terms come from the item, these from the payer. */
export interface Subscription {
  accountType: AccountType;
  /** The payer's address (the signer; an ERC-1271 wallet's address for a smart-contract wallet). */
  payer: string;
  /** Unix seconds; the payer's wallet signed it. */
  start: number;
  validBefore: number;
  /** 0x + 64 hex. */
  salt: string;
  /** 0x… the EIP-712 signature over the mandate in the chosen contract's domain. */
  signature: string;
}

/**
 * Registers a payer's signed mandate for a debit item (the subscribe page, or a script): checks the
 * signature against the item's terms (viem's verifyTypedData; ERC-1271 through the chain), creates
 * the mandate's object and sends `authorize` through the relayer. Idempotent on the signed digest:
 * the same signature again answers the same mandate.
 */
export async function subscribe(
  _env: Env,
  _item: DebitItem,
  _shard: string,
  _subscription: Subscription,
  _requestId: string,
): Promise<Mandate> {
  throw new Error('not implemented yet (issue 13: the mandate object)');
}

/** The mandate, if this caller's merchant and mode own it (else MandateRefused resource_missing). */
export async function retrieveMandate(_env: Env, _caller: Caller, _id: string): Promise<Mandate> {
  throw new Error('not implemented yet (issue 13: the mandate object)');
}

/**
 * Cancels for the merchant: the relayer sends the payee's `cancel` on chain; the mandate is canceled
 * at once (no debit is sent after this answer). Already canceled: answered as it is.
 */
export async function cancelMandate(_env: Env, _caller: Caller, _id: string): Promise<Mandate> {
  throw new Error('not implemented yet (issue 13: the mandate object)');
}

/**
 * A Dynamic mandate's debit request: `amount` (≤ max) is debited in the current period if it has not
 * been debited yet, else in the next. A Fixed mandate refuses (mandate_unexpected_state, param amount).
 */
export async function requestDebit(
  _env: Env,
  _caller: Caller,
  _id: string,
  _amount: bigint,
): Promise<{ mandate: Mandate; request: DebitRequest }> {
  throw new Error('not implemented yet (issue 13: the mandate object)');
}
