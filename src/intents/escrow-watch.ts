/**
 * The intent's side of its escrow (src/domain/escrow-intent.ts), the parts that touch the chain: the
 * poll that reads the contract for the intent's `escrow` timer, the relayer's transactions for its
 * `escrow_release`, `escrow_refund` and `escrow_deposit` timers, and the check of a payer's Deposit
 * signature. Each escrowed intent polls on its own: one eth_blockNumber, one eth_getLogs per
 * range, and two eth_call per payer that ever locked under its id (usually one), per poll.
 */
import { type Address, getAddress, type Hex, verifyTypedData } from 'viem';
import {
  depositTypedData,
  depositWithPermitCall,
  depositWithSignatureCall,
  type EscrowCall,
  type EscrowDeposit,
  type EscrowEvent,
  refundCall,
  releaseCall,
} from '../chain/escrow.js';
import type { ChainReader } from '../chain/port.js';
import type { SendResult } from '../chain/relayer.js';
import type { CryptoPayment } from '../domain/crypto.js';
import type { DepositPermit, Escrow, EscrowHolding, EscrowLog, EscrowObservation } from '../domain/escrow.js';

/** Reads what the chain says now about the intent's escrow: every log of its id since its start block, and each payer's deposit at the head and at the confirmed depth. */
export async function readEscrowState(
  reader: ChainReader,
  c: CryptoPayment & { escrow: Escrow },
  now: () => number,
): Promise<EscrowObservation> {
  const e = c.escrow;
  const head = await reader.head();
  const fromBlock = c.startBlock ?? head;
  const events: EscrowEvent[] = [];
  // The adapter caps a range: read on until the head is covered.
  for (let from = fromBlock; from <= head; ) {
    const scan = await reader.getEscrowLogs({
      contracts: [e.contract as Address],
      ids: [e.escrowId as Hex],
      fromBlock: from,
      toBlock: head,
    });
    events.push(...scan.logs);
    if (scan.toBlock < from) break;
    from = scan.toBlock + 1n;
  }
  const logs = events.map(toDomainLog);
  const payers = [...new Set(logs.filter((l) => l.event === 'Locked').map((l) => getAddress(l.payer)))];
  const confirmedAt = head - BigInt(c.confirmationsRequired) + 1n;
  const holdings: EscrowHolding[] = [];
  for (const payer of payers) {
    const query = { contract: e.contract as Address, escrowId: e.escrowId as Hex, payer };
    const seen = await reader.readEscrow({ ...query, blockNumber: head });
    const confirmed = confirmedAt >= fromBlock ? await reader.readEscrow({ ...query, blockNumber: confirmedAt }) : null;
    holdings.push({ payer, seen: seen.status, confirmed: confirmed?.status ?? 'none' });
  }
  return { type: 'escrow_observed', head, logs, holdings, observedAt: now() };
}

function toDomainLog(ev: EscrowEvent): EscrowLog {
  const at = { txHash: ev.txHash, blockNumber: ev.blockNumber, blockHash: ev.blockHash, logIndex: ev.logIndex };
  switch (ev.event) {
    case 'Locked':
      return {
        event: 'Locked',
        ...at,
        payer: ev.payer,
        token: ev.token,
        amount: ev.amount,
        merchant: ev.merchant,
        deadline: Number(ev.deadline),
      };
    case 'Released':
      return { event: 'Released', ...at, payer: ev.payer, amount: ev.amount, by: ev.by };
    case 'Refunded':
      return { event: 'Refunded', ...at, payer: ev.payer, amount: ev.amount, by: ev.by };
    case 'Reclaimed':
      return { event: 'Reclaimed', ...at, payer: ev.payer, amount: ev.amount, by: null };
  }
}

/** The Deposit a payer signs for the intent: its terms, with `payer` the signer. */
export function depositOf(c: CryptoPayment & { escrow: Escrow }, payer: string): EscrowDeposit {
  const e = c.escrow;
  if (e.merchant === null || e.deadline === null || e.validBefore === null || c.token.address === null) {
    throw new Error('an escrow has deposit terms only once its intent is confirmed');
  }
  return {
    intentId: e.escrowId as Hex,
    payer: getAddress(payer),
    token: getAddress(c.token.address),
    amount: c.amount,
    merchant: getAddress(e.merchant),
    deadline: BigInt(e.deadline),
    validBefore: BigInt(e.validBefore),
  };
}

/** The EIP-712 typed data of the intent's Deposit for `payer` (next_action.crypto_escrow_deposit.typed_data). */
export function escrowTypedData(c: CryptoPayment & { escrow: Escrow }, payer: string) {
  return depositTypedData(c.chainId, getAddress(c.escrow.contract), depositOf(c, payer));
}

/** Whether `signature` is `signer`'s over the intent's Deposit (viem verifyTypedData: EOA or EIP-1271 is not asked: EOA only). */
export async function depositSignatureValid(c: CryptoPayment & { escrow: Escrow }, signer: string, signature: string): Promise<boolean> {
  try {
    return await verifyTypedData({
      ...escrowTypedData(c, signer),
      address: getAddress(signer),
      signature: signature as Hex,
    } as unknown as Parameters<typeof verifyTypedData>[0]);
  } catch {
    return false;
  }
}

/** The relayer's call for the payer's signed deposit: depositWithPermit with a permit, else depositWithSignature. */
function signedDepositCall(
  c: CryptoPayment & { escrow: Escrow },
  deposit: { signer: string; signature: string; permit: DepositPermit | null },
): EscrowCall {
  const contract = getAddress(c.escrow.contract);
  const d = depositOf(c, deposit.signer);
  if (!deposit.permit) return depositWithSignatureCall(contract, d, deposit.signature as Hex);
  const p = deposit.permit;
  return depositWithPermitCall(contract, d, deposit.signature as Hex, {
    deadline: BigInt(p.deadline),
    v: p.v,
    r: p.r as Hex,
    s: p.s as Hex,
  });
}

function releaseOf(e: Escrow, payer: string): EscrowCall {
  return releaseCall(getAddress(e.contract), e.escrowId as Hex, getAddress(payer));
}

function refundOf(e: Escrow, payer: string): EscrowCall {
  return refundCall(getAddress(e.contract), e.escrowId as Hex, getAddress(payer));
}

/**
 * The relayer's attempt the intent has written down for `kind` (a refund: of `payer`'s lock, counted
 * or not) and its call; null when there is none (the timer outlived it, or nothing is to be sent).
 */
export function escrowSend(
  c: CryptoPayment & { escrow: Escrow },
  kind: 'release' | 'refund' | 'deposit',
  payer?: string,
): { id: string; call: EscrowCall } | null {
  const e = c.escrow;
  if (kind === 'release') return e.release && e.lock ? { id: e.release.id, call: releaseOf(e, e.lock.payer) } : null;
  if (kind === 'deposit') return e.deposit ? { id: e.deposit.id, call: signedDepositCall(c, e.deposit) } : null;
  const own = (p: string) => p.toLowerCase() === payer?.toLowerCase();
  if (e.lock && own(e.lock.payer)) return e.refund ? { id: e.refund.id, call: refundOf(e, e.lock.payer) } : null;
  const other = e.uncounted.find((u) => own(u.payer));
  return other?.refund ? { id: other.refund.id, call: refundOf(e, other.payer) } : null;
}

/**
 * A relayer's answer to a send: sent (or sent before under the same id) → done; a transaction the
 * node says would revert (released, refunded or reclaimed meanwhile, the deadline passed) is not
 * sent and not retried: the poll reads what happened instead. Anything else is retried (throws).
 */
export function sentOrSettled(result: SendResult): 'sent' | 'would_revert' {
  if (result.ok) return 'sent';
  if (result.error === 'transaction_would_revert') return 'would_revert';
  throw new Error(`relayer: ${result.error}: ${result.message}`);
}
