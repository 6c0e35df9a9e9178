/**
 * A canonical payment intent in Finternet's shape: the envelope {id, object, status, data, created,
 * updated}, amounts as decimal strings in the token, statuses and phases upper-case, times in Unix
 * seconds. The public view (for anyone with the id) leaves out metadata and masks the settlement
 * destination.
 */
import type { z } from '@hono/zod-openapi';
import { getAddress, type Hex, zeroAddress } from 'viem';
import { depositTypedData } from '../../chain/escrow.js';
import { type CryptoPayment, displayAmount, type Phase, type PhaseStatus } from '../../domain/crypto.js';
import type { Escrow } from '../../domain/escrow.js';
import type { PaymentIntent } from '../../domain/intent.js';
import type { Settlement } from '../../domain/settlement.js';
import type { Status } from '../../domain/status.js';
import { currencyExponent, isCurrency } from '../../domain/currency.js';
import type { PaymentIntentResponse, PublicPaymentIntentResponse } from './schemas.js';

type Wire = z.input<typeof PaymentIntentResponse>;
type Data = Wire['data'];
type WirePhase = Data['phases'][number];

const STATUS: Record<Status, Wire['status']> = {
  requires_payment_method: 'REQUIRES_PAYMENT_METHOD',
  requires_confirmation: 'REQUIRES_CONFIRMATION',
  requires_action: 'REQUIRES_ACTION',
  processing: 'PROCESSING',
  requires_capture: 'REQUIRES_CAPTURE',
  canceled: 'CANCELED',
  succeeded: 'SUCCEEDED',
};

const seconds = (ms: number) => Math.floor(ms / 1000);

export function paymentIntentToWire(intent: PaymentIntent): Wire {
  const data = dataOf(intent);
  return { id: intent.id, object: 'payment_intent', status: data.status, data, created: data.created, updated: data.updated };
}

/** What a stranger with the id may see: no metadata, the settlement destination's last four characters only. */
export function publicPaymentIntentToWire(intent: PaymentIntent): z.input<typeof PublicPaymentIntentResponse> {
  const { metadata: _private, ...data } = dataOf(intent);
  const masked = { ...data, settlementDestination: data.settlementDestination && mask(data.settlementDestination) };
  return { id: intent.id, object: 'payment_intent', status: data.status, data: masked, created: data.created, updated: data.updated };
}

function mask(destination: string): string {
  const shown = destination.length > 4 ? destination.slice(-4) : '';
  return `${'*'.repeat(Math.max(destination.length - shown.length, 4))}${shown}`;
}

function dataOf(intent: PaymentIntent): Data {
  const c = intent.crypto;
  const s = intent.settlement;
  const escrow = c?.escrow ?? null;
  return {
    id: intent.id,
    merchantId: intent.merchantId,
    status: STATUS[intent.status],
    // An intent made on another wire (not crypto) in its currency's own decimals (12.345 KWD, 1000 JPY).
    amount: c
      ? displayAmount(c.amount, c.token.decimals)
      : displayAmount(intent.amount, isCurrency(intent.currency) ? currencyExponent(intent.currency) : 2),
    currency: (c?.token.symbol ?? intent.currency).toUpperCase(),
    type: s ? (s.type.toUpperCase() as Data['type']) : null,
    settlementMethod: s ? (s.method.toUpperCase() as Data['settlementMethod']) : null,
    settlementDestination: s?.destination ?? null,
    settlementStatus: s ? (s.status.toUpperCase() as Data['settlementStatus']) : null,
    contractAddress: escrow?.contract ?? null,
    transactionHash: escrow ? (escrow.lock?.txHash ?? null) : (c?.transfers[0]?.txHash ?? null),
    payoutTransactionHash: escrow?.outcome?.txHash ?? null,
    chainId: c?.chainId ?? 0,
    signerAddress: c?.signature?.signer ?? escrow?.deposit?.signer ?? escrow?.lock?.payer ?? null,
    depositAddress: c?.depositAddress ?? null,
    tokenAddress: c?.token.address ?? null,
    expiresAt: c?.expiresAt == null ? null : seconds(c.expiresAt),
    escrowId: escrow?.escrowId ?? null,
    escrowDeadline: escrow?.deadline ?? null,
    typedData: c && escrow && signable(intent, escrow) ? depositToWire(c, escrow) : null,
    deliveryConfirmedAt: s?.deliveryConfirmedAt == null ? null : seconds(s.deliveryConfirmedAt),
    phases: phasesOf(intent),
    metadata: intent.metadata,
    created: seconds(intent.created),
    updated: seconds(intent.updated),
  };
}

/** A deposit can still be signed for the payer while the intent waits and nothing is locked or being locked. */
function signable(intent: PaymentIntent, escrow: Escrow): boolean {
  return (
    intent.status === 'requires_action' &&
    escrow.lock === null &&
    escrow.deposit === null &&
    escrow.merchant !== null &&
    escrow.deadline !== null &&
    escrow.validBefore !== null
  );
}

/**
 * The escrow's EIP-712 `Deposit` the payer signs, uint values as decimal strings. The intent does not
 * know its payer before the signature: `payer` is the zero address, which the payer replaces with its own.
 */
function depositToWire(c: CryptoPayment, escrow: Escrow): NonNullable<Data['typedData']> {
  const typed = depositTypedData(c.chainId, getAddress(escrow.contract), {
    intentId: escrow.escrowId as Hex,
    payer: zeroAddress,
    token: getAddress(c.token.address!),
    amount: c.amount,
    merchant: getAddress(escrow.merchant!),
    deadline: BigInt(escrow.deadline!),
    validBefore: BigInt(escrow.validBefore!),
  });
  return {
    domain: typed.domain,
    types: { Deposit: [...typed.types.Deposit] },
    primaryType: typed.primaryType,
    message: Object.fromEntries(Object.entries(typed.message).map(([key, value]) => [key, String(value)])),
  };
}

/**
 * The document's four phases. SIGNATURE_VERIFICATION is the payer's deposit signature (SKIPPED when the
 * payer locked the deposit itself, or never did); BLOCKCHAIN_CONFIRMATION the lock's confirmations
 * (IN_PROGRESS once the lock is seen); ESCROW_LOCKED the deposit held by the contract (COMPLETED once
 * the lock is confirmed, and it stays so: it was locked); SETTLEMENT the payout to the merchant: the
 * release on chain, then the off-ramp (SKIPPED for an intent canceled first).
 */
function phasesOf(intent: PaymentIntent): WirePhase[] {
  const c = intent.crypto;
  if (!c) return [];
  const canonical = (name: Phase['phase']) => c.phases.find((p) => p.phase === name);
  const signature = canonical('signature_verification');
  const confirmation = canonical('blockchain_confirmation');
  const escrow = c.escrow;
  const ended = intent.status === 'canceled';
  const phases: WirePhase[] = [];

  // Without a signed deposit, the payer locked it alone (or nobody did): the signature is skipped.
  if (escrow?.deposit) phases.push(phaseToWire('SIGNATURE_VERIFICATION', 'completed', null, escrow.deposit.requestedAt));
  // Skipped when the payer's own lock was seen (then), or the intent ended without one.
  else if (escrow?.lock || ended)
    phases.push(
      phaseToWire('SIGNATURE_VERIFICATION', 'skipped', null, confirmation?.startedAt ?? signature?.completedAt ?? intent.updated),
    );
  else if (signature) phases.push(phaseToWire('SIGNATURE_VERIFICATION', signature.status, signature.startedAt, signature.completedAt));
  if (confirmation)
    phases.push(phaseToWire('BLOCKCHAIN_CONFIRMATION', confirmation.status, confirmation.startedAt, confirmation.completedAt));
  const wasLocked = escrow !== null && (escrow.lockStatus === 'confirmed' || escrow.outcome !== null);
  if (wasLocked) phases.push(phaseToWire('ESCROW_LOCKED', 'completed', null, confirmation?.completedAt ?? intent.updated));
  else if (escrow?.lockStatus === 'seen') phases.push(phaseToWire('ESCROW_LOCKED', 'in_progress', confirmation?.startedAt ?? null, null));
  else phases.push(phaseToWire('ESCROW_LOCKED', ended ? 'skipped' : 'pending', null, ended ? intent.canceledAt : null));
  const s = intent.settlement;
  if (s) phases.push(settlementPhase(s, ended ? intent.canceledAt : null));
  else phases.push(phaseToWire('SETTLEMENT', ended ? 'skipped' : 'pending', null, ended ? intent.canceledAt : null));
  return phases;
}

function phaseToWire(phase: WirePhase['phase'], status: PhaseStatus, startedAt: number | null, completedAt: number | null): WirePhase {
  const upper = status.toUpperCase() as WirePhase['status'];
  if (status === 'in_progress' && startedAt !== null) return { phase, status: upper, startedAt: seconds(startedAt) };
  if (status !== 'pending' && status !== 'in_progress' && completedAt !== null)
    return { phase, status: upper, completedAt: seconds(completedAt) };
  return { phase, status: upper };
}

/**
 * SETTLEMENT is the payout to the merchant: IN_PROGRESS from the delivery confirmation (the relayer's
 * release, then the off-ramp), COMPLETED when the off-ramp has paid out; SKIPPED for an intent canceled
 * first. (`settlementStatus` is the off-ramp's own: PENDING until the release is confirmed.)
 */
function settlementPhase(s: Settlement, canceledAt: number | null): WirePhase {
  if (s.status === 'completed') return phaseToWire('SETTLEMENT', 'completed', null, s.completedAt);
  if (s.status === 'in_progress' || s.deliveryConfirmedAt !== null) {
    return phaseToWire('SETTLEMENT', 'in_progress', s.deliveryConfirmedAt ?? s.startedAt, null);
  }
  if (canceledAt !== null) return phaseToWire('SETTLEMENT', 'skipped', null, canceledAt);
  return phaseToWire('SETTLEMENT', 'pending', null, null);
}
