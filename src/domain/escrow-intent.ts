/**
 * The transitions of a crypto intent held in escrow (src/domain/escrow.ts): which intents hold, the
 * terms handed out at confirmation, what the contract's state and logs mean for the intent, capture
 * (the relayer releases), cancel (the relayer refunds), the deadline, and the payer's own moves.
 * Pure, like the rest of the domain: the relayer's transactions are timers the shell runs
 * (`escrow_release`, `escrow_refund` keyed by payer, `escrow_deposit`), written down with the decision
 * before anything is sent, and the intent's own `escrow` timer is its poll of the contract.
 *
 *   requires_action ──lock seen──▶ processing ──confirmed──▶ requires_capture ──capture──▶ (release sent)
 *         ▲                            │                         │   └──Released confirmed──▶ succeeded
 *         └────────── a reorg ─────────┴─────────────────────────┤
 *                                                                ├──cancel──▶ canceled (the relayer refunds)
 *                                                                └──deadline──▶ canceled, automatic (refund or reclaim)
 */
import { keccak256, stringToBytes } from 'viem';
import type { CryptoOptions, CryptoPayment } from './crypto.js';
import { DomainError, invalid, unexpectedState } from './errors.js';
import {
  type Escrow,
  escrowAttemptIds,
  type EscrowHolding,
  type EscrowLock,
  type EscrowLog,
  type EscrowObservation,
  type EscrowOutcome,
  newEscrow,
  type SignedDeposit,
  type UncountedLock,
  type UncountedReason,
} from './escrow.js';
import {
  changedFields,
  type Decision,
  type DomainEvent,
  event,
  type IntentSettings,
  type PaymentIntent,
  type Timer,
  unchanged,
} from './intent.js';
import type { CaptureMethod } from './status.js';

/** An intent's id on the escrow contract: keccak256 of its `pi_…` id (the same as src/chain/escrow.ts escrowIdOf). */
export function escrowIdFor(intentId: string): string {
  return keccak256(stringToBytes(intentId));
}

/** The refusal of an escrow on a network without an escrow contract; `field` is what asked for it. */
export function escrowUnavailable(
  options: Pick<CryptoOptions, 'network'>,
  field: 'captureMethod' | 'settlement' | 'crypto.network',
): DomainError {
  return invalid(
    'parameter_invalid',
    field,
    field === 'captureMethod'
      ? `The network ${options.network} has no escrow contract, so a payment on it cannot be held for a later capture: use {{captureMethod}} automatic, or a network with an escrow.`
      : `The network ${options.network} has no escrow contract: an intent settled after delivery locks its funds in escrow, so it needs a network with one.`,
  );
}

/**
 * The escrow a new crypto payment is held in, or null when it is paid by a plain transfer: manual
 * capture and a settlement (Finternet's delivery versus payment) hold in escrow, which the network
 * must have; an escrow holds an ERC-20 token (the contract moves no native coin).
 */
export function escrowFor(
  intentId: string,
  options: CryptoOptions,
  holds: { captureMethod: CaptureMethod | undefined; settlement: boolean },
): Escrow | null {
  const manual = holds.captureMethod === 'manual';
  if (!manual && !holds.settlement) return null;
  if (!options.escrowContract) throw escrowUnavailable(options, manual ? 'captureMethod' : 'crypto.network');
  if (options.token.address === null) {
    throw invalid(
      'parameter_invalid',
      'crypto.token',
      `An escrow holds an ERC-20 token, not ${options.token.symbol}, the network's own coin: choose a token of ${options.network} for {{crypto.token}}.`,
    );
  }
  return newEscrow(options.escrowContract, escrowIdFor(intentId));
}

/** Whether a crypto intent is held in escrow (its payment is a lock, not a transfer). */
export function isEscrowed(intent: PaymentIntent): intent is PaymentIntent & { crypto: CryptoPayment & { escrow: Escrow } } {
  return intent.crypto?.escrow != null;
}

/** The escrow's terms once the payer has a deposit address: merchant, deadline and validBefore (unix seconds). */
export function withEscrowTerms(escrow: Escrow, depositAddress: string, expiresAt: number, settings: IntentSettings): Escrow {
  const validBefore = Math.floor(expiresAt / 1000);
  return { ...escrow, merchant: depositAddress, validBefore, deadline: validBefore + settings.escrowHoldSeconds };
}

/** The timers of a confirmed escrow: its first poll now. */
export function escrowConfirmTimers(now: number): Timer[] {
  return [{ kind: 'escrow', at: now }];
}

// --- what the chain says ------------------------------------------------------------------------

const WAITING: readonly string[] = ['requires_action', 'processing'];

/** Whether a lock's terms are the intent's: its token, at least the amount due, the deposit address, a deadline no earlier than required. */
export function termsMismatch(lock: EscrowLock, c: CryptoPayment & { escrow: Escrow }): string | null {
  const e = c.escrow;
  if (lock.token.toLowerCase() !== (c.token.address ?? '').toLowerCase()) return `token ${lock.token} is not ${c.token.address}`;
  if (lock.amount < c.amount) return `amount ${lock.amount} is below the ${c.amount} due`;
  if (lock.merchant.toLowerCase() !== (e.merchant ?? '').toLowerCase())
    return `merchant ${lock.merchant} is not the deposit address ${e.merchant}`;
  if (e.deadline !== null && lock.deadline < e.deadline) return `deadline ${lock.deadline} is before the required ${e.deadline}`;
  return null;
}

function samePayer(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function lockKey(l: Pick<EscrowLock, 'payer'>): string {
  return l.payer.toLowerCase();
}

/**
 * What the escrow poll read means for the intent (see the diagram above). Every reading is the
 * chain as it is now: the counted lock is the one recorded while its Locked log is still there,
 * otherwise the first lock in chain order with the intent's terms while it waits; every other lock
 * is recorded as uncounted and refunded by the relayer once it is confirmed.
 */
export function observeEscrow(state: PaymentIntent, seen: EscrowObservation, settings: IntentSettings): Decision {
  if (!isEscrowed(state)) return unchanged(state);
  const c = state.crypto;
  const e = c.escrow;
  if (e.merchant === null || c.expiresAt === null) return unchanged(state);
  const locks = uniqueLocks(seen.logs);
  const holding = (payer: string): EscrowHolding =>
    seen.holdings.find((h) => samePayer(h.payer, payer)) ?? { payer, seen: 'none', confirmed: 'none' };

  // The counted lock: the recorded one while it is on chain, else (still waiting) the first with the terms.
  let counted: EscrowLock | null = e.lock && (locks.find((l) => samePayer(l.payer, e.lock!.payer)) ?? null);
  if (counted === null && WAITING.includes(state.status) && e.outcome === null) {
    counted = locks.find((l) => termsMismatch(l, c) === null && holding(l.payer).seen !== 'none') ?? null;
  }
  const h = counted ? holding(counted.payer) : null;
  const lockStatus: Escrow['lockStatus'] = !h || h.seen === 'none' ? 'none' : h.confirmed === 'none' ? 'seen' : 'confirmed';

  const events: DomainEvent[] = [];
  const timers: Timer[] = [];
  let escrow: Escrow = {
    ...e,
    lock: counted ?? (lockStatus === 'none' && e.lock && WAITING.includes(state.status) ? null : e.lock),
    lockStatus,
    uncounted: uncountedLocks(state, e, locks, counted, holding, seen.observedAt, timers),
  };
  let next: PaymentIntent = state;
  const finalStatus = h && (h.confirmed === 'released' || h.confirmed === 'refunded' || h.confirmed === 'reclaimed') ? h.confirmed : null;
  if (finalStatus && counted && e.outcome === null) escrow = { ...escrow, outcome: outcomeOf(finalStatus, counted.payer, seen.logs) };
  const deadlinePassed = counted !== null && seen.observedAt >= counted.deadline * 1000;

  switch (state.status) {
    case 'requires_action':
    case 'processing': {
      if (finalStatus === 'released') {
        // Locked and released (by the payer) between two polls: paid.
        next = paidOut(state, escrow, counted!, seen.observedAt);
        events.push(event('payment_intent.succeeded'));
      } else if (lockStatus === 'confirmed' && h?.confirmed === 'locked' && !deadlinePassed) {
        next = held(state, escrow, seen.observedAt);
        events.push(event('payment_intent.amount_capturable_updated'));
      } else if (lockStatus !== 'none' && h?.seen === 'locked') {
        if (state.status !== 'processing') {
          next = { ...state, status: 'processing', nextAction: null };
          events.push(event('payment_intent.processing'));
        }
      } else if (state.status === 'processing') {
        // What was seen is gone (a reorg): the payer's lock is no longer on chain.
        next = { ...state, status: 'requires_action', nextAction: { type: 'crypto_escrow_deposit' } };
        events.push(event('payment_intent.requires_action'));
      } else if (seen.observedAt >= c.expiresAt && lockStatus === 'none') {
        next = {
          ...state,
          status: 'canceled',
          cancellationReason: 'abandoned',
          canceledAt: seen.observedAt,
          nextAction: null,
          // A lock after the window is refunded: the contract is still read for a while, as late funds are.
          crypto: { ...c, monitorUntil: c.expiresAt + settings.cryptoMonitorWindowMs },
        };
        events.push(event('payment_intent.canceled'));
      }
      if (lockStatus !== 'none' && counted) next = withPhase(next, 'blockchain_confirmation', 'in_progress', seen.observedAt);
      break;
    }
    case 'requires_capture': {
      if (finalStatus === 'released') {
        next = paidOut(state, escrow, counted!, seen.observedAt);
        events.push(event('payment_intent.succeeded'));
        const s = state.settlement;
        if (s && s.status === 'pending' && s.deliveryConfirmedAt !== null) {
          // Released to the merchant: the off-chain settlement (off_ramp_mock) runs now.
          next = { ...next, settlement: { ...s, status: 'in_progress', startedAt: seen.observedAt } };
          timers.push({ kind: 'settlement', at: seen.observedAt + settings.asyncSettleDelayMs });
        }
      } else if (finalStatus === 'refunded' || finalStatus === 'reclaimed') {
        next = { ...state, status: 'canceled', cancellationReason: 'automatic', canceledAt: seen.observedAt, amountCapturable: 0n };
        events.push(event('payment_intent.canceled'));
      } else if (lockStatus === 'none' || (lockStatus === 'seen' && h?.seen === 'locked')) {
        // A reorg took the lock (or its confirmations) away: back to waiting for it.
        const status = lockStatus === 'none' ? 'requires_action' : 'processing';
        next = {
          ...state,
          status,
          amountCapturable: 0n,
          nextAction: status === 'requires_action' ? { type: 'crypto_escrow_deposit' } : null,
        };
        escrow = { ...escrow, release: null };
        events.push(event(status === 'requires_action' ? 'payment_intent.requires_action' : 'payment_intent.processing'));
      } else if (deadlinePassed && h?.confirmed === 'locked') {
        // Nobody may release any more: the intent is canceled and the relayer refunds (or the payer reclaims first).
        next = { ...state, status: 'canceled', cancellationReason: 'automatic', canceledAt: seen.observedAt, amountCapturable: 0n };
        events.push(event('payment_intent.canceled'));
        if (escrow.refund === null) {
          escrow = { ...escrow, refund: { id: escrowAttemptIds.refund(state.id, counted!.payer), requestedAt: seen.observedAt } };
          timers.push({ kind: 'escrow_refund', key: counted!.payer.toLowerCase(), at: seen.observedAt });
        }
      }
      break;
    }
    default:
      break;
  }
  next = { ...next, crypto: { ...next.crypto!, escrow } };
  if (next.status === 'canceled' && state.status !== 'canceled')
    next = withPhase(withPhase(next, 'blockchain_confirmation', 'failed', seen.observedAt), 'settlement', 'skipped', seen.observedAt);
  if (events.length === 0 && timers.length === 0 && Object.keys(changedFields(state, next)).length === 0 && sameEscrow(e, escrow)) {
    return unchanged(state);
  }
  if (events.length === 0 && Object.keys(changedFields(state, next)).length > 0) events.push(event('payment_intent.updated'));
  return { state: next, events, timers, paymentError: null };
}

/** The counted lock was released to the merchant, confirmed: the intent is paid. */
function paidOut(state: PaymentIntent, escrow: Escrow, lock: EscrowLock, now: number): PaymentIntent {
  const c = state.crypto!;
  const next: PaymentIntent = {
    ...state,
    status: 'succeeded',
    nextAction: null,
    amountReceived: state.amount,
    amountCapturable: 0n,
    crypto: { ...c, escrow, seen: lock.amount, confirmed: lock.amount, received: lock.amount, excess: lock.amount - c.amount },
  };
  return withPhase(withPhase(next, 'blockchain_confirmation', 'completed', now), 'settlement', 'completed', now);
}

/** The counted lock is confirmed: the intent is held for capture. */
function held(state: PaymentIntent, escrow: Escrow, now: number): PaymentIntent {
  const next: PaymentIntent = {
    ...state,
    status: 'requires_capture',
    amountCapturable: state.amount,
    nextAction: null,
    crypto: { ...state.crypto!, escrow, seen: escrow.lock!.amount, confirmed: escrow.lock!.amount },
  };
  return withPhase(next, 'blockchain_confirmation', 'completed', now);
}

function withPhase(
  intent: PaymentIntent,
  name: 'blockchain_confirmation' | 'settlement' | 'signature_verification',
  status: 'in_progress' | 'completed' | 'failed' | 'skipped',
  now: number,
): PaymentIntent {
  const c = intent.crypto!;
  const phases = c.phases.map((p) => {
    if (p.phase !== name || p.status === status || p.status === 'completed' || p.status === 'failed') return p;
    const done = status !== 'in_progress';
    return { ...p, status, startedAt: p.startedAt ?? (status === 'skipped' ? null : now), completedAt: done ? now : null };
  });
  return { ...intent, crypto: { ...c, phases } };
}

function uniqueLocks(logs: readonly EscrowLog[]): EscrowLock[] {
  const byPayer = new Map<string, EscrowLock>();
  for (const log of logs) {
    if (log.event !== 'Locked') continue;
    const { event: _locked, ...lock } = log;
    if (!byPayer.has(lockKey(lock))) byPayer.set(lockKey(lock), lock);
  }
  return [...byPayer.values()].sort((a, b) =>
    a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
  );
}

/**
 * Every lock but the counted one, with why it does not count and its contract status; a confirmed
 * one still locked gets the relayer's refund (once: its attempt is written down with the decision).
 * Locks gone from the chain (a reorg) are dropped, as they never happened.
 */
function uncountedLocks(
  state: PaymentIntent,
  e: Escrow,
  locks: readonly EscrowLock[],
  counted: EscrowLock | null,
  holding: (payer: string) => EscrowHolding,
  now: number,
  timers: Timer[],
): UncountedLock[] {
  const c = state.crypto as CryptoPayment & { escrow: Escrow };
  return locks
    .filter((l) => !counted || !samePayer(l.payer, counted.payer))
    .map((l): UncountedLock => {
      const known = e.uncounted.find((u) => samePayer(u.payer, l.payer));
      const reason: UncountedReason =
        known?.reason ??
        (termsMismatch(l, c) !== null
          ? 'wrong_terms'
          : WAITING.includes(state.status) || state.status === 'requires_capture'
            ? 'other_payer'
            : counted
              ? 'other_payer'
              : 'not_waiting');
      const status = holding(l.payer).confirmed;
      let refund = known?.refund ?? null;
      if (refund === null && status === 'locked') {
        refund = { id: escrowAttemptIds.refund(state.id, l.payer), requestedAt: now };
        timers.push({ kind: 'escrow_refund', key: lockKey(l), at: now });
      }
      return { ...l, reason, status, refund };
    });
}

/** The confirmed log that ended the counted deposit (the latest of its payer's Released / Refunded / Reclaimed). */
function outcomeOf(status: EscrowOutcome['status'], payer: string, logs: readonly EscrowLog[]): EscrowOutcome {
  const name = status === 'released' ? 'Released' : status === 'refunded' ? 'Refunded' : 'Reclaimed';
  const log = logs.findLast((l) => l.event === name && samePayer(l.payer, payer));
  if (!log || log.event === 'Locked') return { status, txHash: null, blockNumber: null, by: null };
  return { status, txHash: log.txHash, blockNumber: log.blockNumber, by: log.by };
}

function sameEscrow(a: Escrow, b: Escrow): boolean {
  return JSON.stringify(a, bigintText) === JSON.stringify(b, bigintText);
}

function bigintText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

// --- the merchant's commands ------------------------------------------------------------------

/**
 * Capture of a held escrow: the full amount (an escrow releases all of it), before the deadline
 * (after it the payer may reclaim and the contract refuses a release). The relayer's release is
 * written down now; the intent succeeds when its Released log is confirmed. Capturing again while
 * the release is on its way changes nothing: one release, ever.
 */
export function captureEscrow(state: PaymentIntent, amountToCapture: bigint | undefined, now: number): Decision {
  if (!isEscrowed(state)) throw new Error('captureEscrow: not an escrowed intent');
  const e = state.crypto.escrow;
  if (state.status !== 'requires_capture' || e.lock === null) throw unexpectedState('capture', state.status, ['requires_capture']);
  if (amountToCapture !== undefined && amountToCapture !== state.amountCapturable) {
    throw invalid(
      'parameter_invalid',
      'amountToCapture',
      `An escrow is released in full: {{amountToCapture}} must be ${state.amountCapturable} (amount_capturable) or left out.`,
    );
  }
  if (e.release !== null) return unchanged(state);
  if (now >= e.lock.deadline * 1000) {
    throw new DomainError({
      code: 'payment_intent_unexpected_state',
      operation: 'capture',
      currentStatus: state.status,
      detail: `The escrow's deadline (${new Date(e.lock.deadline * 1000).toISOString()}) has passed: it can no longer be released, and its payer may reclaim it.`,
    });
  }
  return {
    state: {
      ...state,
      crypto: { ...state.crypto, escrow: { ...e, release: { id: escrowAttemptIds.release(state.id), requestedAt: now } } },
    },
    events: [event('payment_intent.updated')],
    // The release is sent, and the poll looks for its log at the waiting pace.
    timers: [
      { kind: 'escrow_release', at: now },
      { kind: 'escrow', at: now },
    ],
    paymentError: null,
  };
}

/**
 * Delivery (or the condition) confirmed on an escrowed intent with a settlement: its capture — the
 * relayer releases the lock to the merchant — and the settlement starts once the release is confirmed.
 */
export function confirmEscrowDelivery(state: PaymentIntent, now: number): Decision {
  const s = state.settlement;
  if (!s) {
    throw invalid('parameter_invalid', 'settlement', 'This PaymentIntent has no settlement: it was not created with a settlement type.');
  }
  if (s.deliveryConfirmedAt !== null) return unchanged(state);
  if (state.status !== 'requires_capture') throw unexpectedState('confirm_delivery', state.status, ['requires_capture']);
  const captured = captureEscrow(state, undefined, now);
  return {
    ...captured,
    state: { ...captured.state, settlement: { ...s, deliveryConfirmedAt: now } },
    events: captured.events.length ? captured.events : [event('payment_intent.updated')],
  };
}

/**
 * Cancel of an escrowed intent. While it is held, the relayer refunds the lock to its payer (written
 * down now) and the intent is canceled; once a release is on its way it can no longer be canceled.
 */
export function cancelEscrow(state: PaymentIntent, canceled: Decision, now: number): Decision {
  if (!isEscrowed(state)) return canceled;
  const e = state.crypto.escrow;
  if (e.release !== null) {
    throw new DomainError({
      code: 'payment_intent_unexpected_state',
      operation: 'cancel',
      currentStatus: state.status,
      detail: 'This PaymentIntent was captured: the release of its escrow is on its way, so it can no longer be canceled.',
    });
  }
  // No transfer watch for an escrow: its own poll goes on (a lock seen or still to come is refunded).
  const timers: Timer[] = [...canceled.timers.filter((t) => t.kind !== 'watch'), { kind: 'escrow', at: now }];
  const c = canceled.state.crypto!;
  if (state.status !== 'requires_capture' || e.lock === null) {
    // Not held yet: a lock seen or still to come no longer pays anything, and is refunded once confirmed.
    return { ...canceled, timers, state: { ...canceled.state, crypto: { ...c, escrow: { ...e, lock: null, lockStatus: 'none' } } } };
  }
  const refund = { id: escrowAttemptIds.refund(state.id, e.lock.payer), requestedAt: now };
  return {
    ...canceled,
    state: { ...canceled.state, crypto: { ...c, escrow: { ...e, refund } } },
    timers: [...timers, { kind: 'escrow_refund', key: e.lock.payer.toLowerCase(), at: now }],
  };
}

/** The payer's signed deposit is being sent by the relayer: written down before it is sent (once). */
export function requestEscrowDeposit(state: PaymentIntent, signed: Omit<SignedDeposit, 'id' | 'requestedAt'>, now: number): Decision {
  const signer = signed.signer;
  if (!isEscrowed(state) || state.crypto.escrow.merchant === null) {
    throw new DomainError({
      code: 'payment_intent_unexpected_state',
      operation: 'sign',
      currentStatus: state.status,
      allowedStatuses: ['requires_action'],
      detail: 'Only a confirmed PaymentIntent held in escrow takes a deposit signature.',
    });
  }
  const e = state.crypto.escrow;
  if (e.deposit !== null) {
    if (samePayer(e.deposit.signer, signer)) return unchanged(state);
    throw invalid(
      'parameter_invalid',
      'signature',
      `A deposit signed by ${e.deposit.signer} is already being sent for this PaymentIntent.`,
    );
  }
  if (state.status !== 'requires_action') throw unexpectedState('sign', state.status, ['requires_action']);
  if (e.validBefore !== null && now >= e.validBefore * 1000) {
    throw invalid(
      'parameter_invalid',
      'signature',
      'The payment window has closed: a deposit signature is no longer valid (its validBefore has passed).',
    );
  }
  const next = withPhase(
    {
      ...state,
      crypto: { ...state.crypto, escrow: { ...e, deposit: { ...signed, id: escrowAttemptIds.deposit(state.id), requestedAt: now } } },
    },
    'signature_verification',
    'completed',
    now,
  );
  return {
    state: next,
    events: [event('payment_intent.updated')],
    timers: [
      { kind: 'escrow_deposit', at: now },
      { kind: 'escrow', at: now },
    ],
    paymentError: null,
  };
}

/**
 * When the intent's escrow poll is next due, or null when nothing is left to watch: while it
 * waits for its lock (the network's interval), while held or a release or refund is on its way
 * (the slower held interval), and while an uncounted lock still waits for its refund.
 */
export function nextEscrowPoll(intent: PaymentIntent, now: number, waitingIntervalMs: number, settings: IntentSettings): number | null {
  if (!isEscrowed(intent)) return null;
  const e = intent.crypto.escrow;
  if (e.merchant === null) return null;
  if (WAITING.includes(intent.status)) return now + waitingIntervalMs;
  const pending =
    intent.status === 'requires_capture' ||
    (e.lock !== null && e.outcome === null) ||
    e.uncounted.some((u) => u.status === 'locked') ||
    (intent.crypto.monitorUntil !== null && now < intent.crypto.monitorUntil);
  return pending ? now + (e.release || e.refund || e.deposit ? waitingIntervalMs : settings.escrowHeldPollMs) : null;
}
