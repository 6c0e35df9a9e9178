/**
 * The mandates' service seam (issue 13): the one way an API family or a page reaches a mandate. It
 * finds the mandate's Durable Object (src/mandates/mandate-object.ts), passes the caller along and
 * maps its answer: the mandate, or a thrown MandateRefused that each family renders in its envelope.
 * A family never touches a stub.
 */
import { type Address, getAddress, type Hex, isAddress, type VerifyTypedDataActionParameters, verifyTypedData } from 'viem';
import { chainsConfig } from '../chain/registry.js';
import { type DebitItem, intervalSeconds } from '../domain/debit-item.js';
import type { AccountType, DebitRequest, Mandate } from '../domain/mandate.js';
import type { Env } from '../env.js';
import type { Caller } from '../intents/intent-object.js';
import { MANDATE_ID_PATTERN, mandateIdOf } from '../lib/ids.js';
import { commitmentOf, MandateChain, NATIVE_TOKEN, onchainIdOf, type SignedTerms, typedData } from './chain.js';
import type { MandateCommandAnswer } from './mandate-object.js';

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

const refuse = (code: MandateRefusalData['code'], message: string, param?: string) => new MandateRefused({ code, message, param });

/** The EIP-712 terms a payer signs for this item, and the contract they are signed for. */
export function mandateTerms(
  env: Env,
  item: DebitItem,
  subscription: Pick<Subscription, 'accountType' | 'payer' | 'start' | 'validBefore' | 'salt'>,
): { contract: Address; chainId: number; terms: SignedTerms } {
  const config = chainsConfig(env).get(item.network);
  if (!config) throw refuse('parameter_invalid', `The debit item's network ${item.network} is not configured here.`, 'network');
  const field = subscription.accountType === 'connected_wallet' ? 'connected_wallets_contract' : 'virtual_accounts_contract';
  const contract = config[field];
  if (!contract)
    throw refuse('parameter_invalid', `No ${subscription.accountType} contract is deployed on ${item.network}.`, 'account_type');
  if (subscription.accountType === 'connected_wallet' && item.token.address === null) {
    throw refuse(
      'parameter_invalid',
      'A connected wallet cannot be debited in the native coin (it has no allowance): choose virtual_account.',
      'account_type',
    );
  }
  if (!isAddress(subscription.payer, { strict: false }))
    throw refuse('parameter_invalid', 'payer must be an address (0x and 40 hex digits).', 'payer');
  if (!/^0x[0-9a-fA-F]{64}$/.test(subscription.salt)) throw refuse('parameter_invalid', 'salt must be 0x and 64 hex digits.', 'salt');
  for (const name of ['start', 'validBefore'] as const) {
    const v = subscription[name];
    if (!Number.isSafeInteger(v) || v < 0 || v >= 2 ** 64) {
      throw refuse('parameter_invalid', `${wire(name)} must be unix seconds (a whole number).`, wire(name));
    }
  }
  return {
    contract: contract as Address,
    chainId: config.chainId,
    terms: {
      payer: getAddress(subscription.payer),
      payee: getAddress(item.payeeAddress),
      token: (item.token.address ?? NATIVE_TOKEN) as Address,
      maxAmount: item.maxPrice,
      debitTimes: item.debitTimes,
      interval: BigInt(intervalSeconds(item.interval)),
      start: BigInt(subscription.start),
      validBefore: BigInt(subscription.validBefore),
      salt: subscription.salt as Hex,
    },
  };
}

const wire = (name: 'start' | 'validBefore') => (name === 'start' ? 'start' : 'valid_before');

/**
 * Registers a payer's signed mandate for a debit item (the subscribe page, or a script): checks the
 * signature against the item's terms (viem's verifyTypedData; ERC-1271 through the chain), creates
 * the mandate's object and sends `authorize` through the relayer. Idempotent on the signed digest:
 * the same signature again answers the same mandate.
 */
export async function subscribe(env: Env, item: DebitItem, shard: string, subscription: Subscription, requestId: string): Promise<Mandate> {
  if (!item.active) throw refuse('debit_item_inactive', 'This debit item is deactivated: it takes no new mandates.');
  if (subscription.accountType !== 'connected_wallet' && subscription.accountType !== 'virtual_account') {
    throw refuse('parameter_invalid', 'account_type must be connected_wallet or virtual_account.', 'account_type');
  }
  const { contract, chainId, terms } = mandateTerms(env, item, subscription);
  if (!/^0x(?:[0-9a-fA-F]{2})+$/.test(subscription.signature))
    throw refuse('parameter_invalid', 'signature must be hex bytes (0x…).', 'signature');
  const nowSeconds = Math.floor(Date.now() / 1000);
  if (subscription.validBefore <= nowSeconds)
    throw refuse('parameter_invalid', 'valid_before is in the past: sign the mandate again.', 'valid_before');
  const interval = intervalSeconds(item.interval);
  if (subscription.start + interval <= nowSeconds) {
    throw refuse('parameter_invalid', 'start is too far in the past: its first period is already over.', 'start');
  }
  const config = chainsConfig(env).get(item.network)!;
  const data = typedData(subscription.accountType, chainId, contract, terms);
  const signature = subscription.signature as Hex;
  // An EOA's signature is checked here, without the chain; otherwise the payer may be a contract
  // wallet, which the chain asks (ERC-1271).
  let valid = await verifyTypedData({ ...data, address: terms.payer, signature }).catch(() => false);
  if (!valid) {
    try {
      valid = await new MandateChain(config, item.network).client.verifyTypedData({
        ...data,
        address: terms.payer,
        signature,
      } as VerifyTypedDataActionParameters);
    } catch {
      throw refuse('chain_unavailable', `The ${item.network} chain could not be asked to check the signature: try again.`);
    }
  }
  if (!valid) throw refuse('parameter_invalid', "signature is not the payer's signature of this mandate.", 'signature');
  const onchainId = onchainIdOf(subscription.accountType, chainId, contract, terms);
  const id = await mandateIdOf(item.network, contract, onchainId);
  const now = Date.now();
  const mandate: Mandate = {
    id,
    merchantId: item.merchantId,
    livemode: item.livemode,
    shard,
    debitItemId: item.id,
    network: item.network,
    chainId,
    accountType: subscription.accountType,
    contract: getAddress(contract),
    token: item.token,
    payer: terms.payer,
    payee: terms.payee,
    maxAmount: terms.maxAmount,
    debitTimes: terms.debitTimes,
    interval,
    start: subscription.start,
    validBefore: subscription.validBefore,
    salt: subscription.salt.toLowerCase(),
    signature: subscription.signature,
    onchainId,
    commitment: commitmentOf(terms.payer, terms.token),
    pricing: item.pricing,
    status: 'registering',
    used: 0,
    lastPeriod: 0,
    lastPaymentAt: null,
    nextPaymentAt: null,
    estimatedGas: null,
    debitRequests: [],
    failedDynamicPaymentAmount: 0n,
    accountBalance: null,
    balanceReadAt: null,
    canceledAt: null,
    cancellationSource: null,
    metadata: {},
    created: now,
    revision: 1,
  };
  const made = await stub(env, id).create(mandate, requestId);
  // The same signed mandate under another merchant's item (same terms, same payee): not this merchant's.
  if (made.merchantId !== item.merchantId || made.livemode !== item.livemode) {
    throw refuse('parameter_invalid', 'This signed mandate is already registered for another debit item.', 'signature');
  }
  return made;
}

/** The mandate, if this caller's merchant and mode own it (else MandateRefused resource_missing). */
export async function retrieveMandate(env: Env, caller: Caller, id: string): Promise<Mandate> {
  const found = MANDATE_ID_PATTERN.test(id)
    ? await stub(env, id).retrieve({ merchantId: caller.merchantId, livemode: caller.livemode })
    : null;
  if (!found) throw noSuchMandate(id);
  return found;
}

/**
 * Cancels for the merchant: the relayer sends the payee's `cancel` on chain; the mandate is canceled
 * at once (no debit is sent after this answer). Already canceled: answered as it is.
 */
export async function cancelMandate(env: Env, caller: Caller, id: string): Promise<Mandate> {
  if (!MANDATE_ID_PATTERN.test(id)) throw noSuchMandate(id);
  return answered(await stub(env, id).cancel(caller), id);
}

/**
 * A Dynamic mandate's debit request: `amount` (≤ max) is debited in the current period if it has not
 * been debited yet, else in the next. A Fixed mandate refuses (mandate_unexpected_state, param amount).
 */
export async function requestDebit(
  env: Env,
  caller: Caller,
  id: string,
  amount: bigint,
): Promise<{ mandate: Mandate; request: DebitRequest }> {
  if (!MANDATE_ID_PATTERN.test(id)) throw noSuchMandate(id);
  return answered(await stub(env, id).requestDebit(caller, amount), id);
}

function stub(env: Env, id: string) {
  return env.MANDATES.get(env.MANDATES.idFromName(id));
}

function noSuchMandate(id: string): MandateRefused {
  return new MandateRefused({ code: 'resource_missing', message: `No such mandate: '${id}'`, param: 'id' });
}

function answered<T>(answer: MandateCommandAnswer<T>, id: string): T {
  if (answer.ok) return answer.value;
  if (answer.code === 'resource_missing') throw noSuchMandate(id);
  throw new MandateRefused({ code: answer.code, message: answer.message, param: answer.param, status: answer.status });
}
