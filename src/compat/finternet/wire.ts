/**
 * A canonical payment intent in Finternet's shape: the envelope {id, object, status, data, created,
 * updated}, amounts as decimal strings in the token, statuses and phases upper-case, times in Unix
 * seconds. The public view (for anyone with the id) leaves out metadata and masks the settlement
 * destination.
 */
import type { z } from '@hono/zod-openapi';
import { typedDataToWire } from '../../api/stripe/wire/payment-intent.js';
import { SIGNABLE } from '../../domain/crypto-intent.js';
import { displayAmount, type Phase } from '../../domain/crypto.js';
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
    contractAddress: null,
    transactionHash: c?.transfers[0]?.txHash ?? null,
    chainId: c?.chainId ?? 0,
    signerAddress: c?.signature?.signer ?? null,
    depositAddress: c?.depositAddress ?? null,
    tokenAddress: c?.token.address ?? null,
    expiresAt: c?.expiresAt == null ? null : seconds(c.expiresAt),
    typedData:
      c && c.depositAddress !== null && c.signature === null && (SIGNABLE as readonly string[]).includes(intent.status)
        ? typedDataToWire(intent.id, c)
        : null,
    deliveryConfirmedAt: s?.deliveryConfirmedAt == null ? null : seconds(s.deliveryConfirmedAt),
    phases: phasesOf(intent),
    metadata: intent.metadata,
    created: seconds(intent.created),
    updated: seconds(lastChange(intent)),
  };
}

/**
 * The canonical phases, upper-case; with a settlement, SETTLEMENT is the off-chain settlement's
 * (the canonical phase completes with the payment, Finternet's when the merchant has been paid out).
 */
function phasesOf(intent: PaymentIntent): WirePhase[] {
  const phases = intent.crypto?.phases ?? [];
  return phases.map((p) => (p.phase === 'settlement' && intent.settlement ? settlementPhase(intent.settlement) : phaseToWire(p)));
}

function phaseToWire(p: Phase): WirePhase {
  const status = p.status.toUpperCase() as WirePhase['status'];
  if (p.status === 'in_progress' && p.startedAt !== null)
    return { phase: p.phase.toUpperCase() as WirePhase['phase'], status, startedAt: seconds(p.startedAt) };
  if (p.completedAt !== null) return { phase: p.phase.toUpperCase() as WirePhase['phase'], status, completedAt: seconds(p.completedAt) };
  return { phase: p.phase.toUpperCase() as WirePhase['phase'], status };
}

function settlementPhase(s: Settlement): WirePhase {
  if (s.status === 'completed' && s.completedAt !== null)
    return { phase: 'SETTLEMENT', status: 'COMPLETED', completedAt: seconds(s.completedAt) };
  if (s.status === 'in_progress' && s.startedAt !== null)
    return { phase: 'SETTLEMENT', status: 'IN_PROGRESS', startedAt: seconds(s.startedAt) };
  return { phase: 'SETTLEMENT', status: 'PENDING' };
}

/** The intent has no `updated` of its own: its latest recorded moment (phases, signature, transfers, cancellation, settlement). */
function lastChange(intent: PaymentIntent): number {
  const c = intent.crypto;
  const s = intent.settlement;
  const moments = [
    intent.created,
    intent.canceledAt,
    c?.signature?.verifiedAt,
    ...(c?.phases ?? []).flatMap((p) => [p.startedAt, p.completedAt]),
    ...(c?.transfers ?? []).map((t) => t.at),
    s?.deliveryConfirmedAt,
    s?.startedAt,
    s?.completedAt,
  ];
  return Math.max(...moments.filter((m): m is number => typeof m === 'number'));
}
