/**
 * The transitions of a crypto payment intent (payment_method_types ["crypto"]): what a create and an
 * update may ask for, the deposit address handed out at confirmation, what the chain's transfers
 * mean for the intent, late funds, and the payer's signature. Pure, like the rest of the domain.
 */
import { isCurrency, MAX_AMOUNT } from './currency.js';
import {
  assess,
  MAX_TOKEN_AMOUNT,
  newCryptoPayment,
  setPhase,
  sumTransfers,
  tokenAmount,
  transferKey,
  uniqueTransfers,
  windowMs,
  type CryptoOptions,
  type CryptoPayment,
  type PayerSignature,
  type Phase,
  type PhaseName,
  type PhaseStatus,
} from './crypto.js';
import { DomainError, invalid, unexpectedState } from './errors.js';
import { escrowConfirmTimers, escrowFor, withEscrowTerms } from './escrow-intent.js';
import {
  changedFields,
  event,
  unchanged,
  type ChainObservation,
  type ConfirmCommand,
  type CreateParams,
  type Decision,
  type DomainEvent,
  type IntentSettings,
  type PaymentIntent,
  type UpdateParams,
} from './intent.js';
import type { PaymentMethodType } from './test-payment-methods.js';

/**
 * The crypto payment a create asks for, checked; null for a card-style intent, and for one whose
 * payment_method_types include crypto without naming a network and token: its payer chooses them at
 * confirmation (withCryptoChoice). Crypto options at create make a crypto-only intent, as before.
 */
export function cryptoPaymentFor(
  intentId: string,
  params: CreateParams,
  types: readonly PaymentMethodType[],
  livemode: boolean,
): CryptoPayment | null {
  if (!types.includes('crypto')) {
    if (params.crypto) {
      throw invalid('parameter_invalid', 'crypto', '{{crypto}} is only allowed with {{paymentMethodTypes}} ["crypto"].');
    }
    return null;
  }
  // Without options the payer chooses network and token at confirmation (withCryptoChoice); a manual
  // capture then holds in the chosen network's escrow.
  if (!params.crypto) return null;
  if (types.length > 1) {
    throw invalid(
      'parameter_invalid',
      'paymentMethodTypes',
      'crypto options at creation make a crypto-only PaymentIntent (one transfer on one network): pass {{paymentMethodTypes}} ["crypto"], or leave {{crypto}} out to let the payer choose at confirmation.',
    );
  }
  if (params.paymentMethod !== undefined) throw noPaymentMethod();
  assertWindow(params.crypto, livemode);
  const escrow = escrowFor(intentId, params.crypto, { captureMethod: params.captureMethod, settlement: params.settlement !== undefined });
  return { ...newCryptoPayment(params.crypto, cryptoAmount(params.amount, params.currency, params.crypto)), escrow };
}

function assertWindow(options: CryptoOptions, livemode: boolean): void {
  if (livemode && options.expiresIn !== null) {
    throw invalid(
      'parameter_invalid',
      'crypto.expiresIn',
      '{{crypto.expiresIn}} can only be set in test mode; live crypto payments have the 15-minute window.',
    );
  }
}

/**
 * The intent as the payer's crypto choice at confirmation makes it. An intent that names no network
 * yet (payment_method_types include crypto, no crypto options at create) becomes a crypto intent:
 * the token amount converted exactly as at create, its payment_method_types kept. A crypto intent
 * keeps its network and token: the same choice again changes nothing, another one is refused.
 */
export function withCryptoChoice(state: PaymentIntent, command: ConfirmCommand): PaymentIntent {
  const choice = command.crypto;
  if (!choice) return state;
  if (state.crypto) {
    if (choice.network !== state.crypto.network) {
      throw invalid(
        'parameter_invalid',
        'crypto.network',
        `This PaymentIntent is paid on ${state.crypto.network}; {{crypto.network}} cannot be changed. Cancel it and create a new one.`,
      );
    }
    if (choice.token.symbol !== state.crypto.token.symbol) {
      throw invalid(
        'parameter_invalid',
        'crypto.token',
        `This PaymentIntent is paid in ${state.crypto.token.symbol}; {{crypto.token}} cannot be changed. Cancel it and create a new one.`,
      );
    }
    if (choice.expiresIn !== null && choice.expiresIn !== state.crypto.expiresIn) {
      throw invalid(
        'parameter_invalid',
        'crypto.expiresIn',
        'The payment window of this crypto PaymentIntent was set when it was created; {{crypto.expiresIn}} cannot change it.',
      );
    }
    return state;
  }
  if (!state.paymentMethodTypes.includes('crypto')) {
    throw invalid(
      'parameter_invalid',
      'crypto',
      `{{crypto}} can only be chosen when the PaymentIntent's {{paymentMethodTypes}} include crypto (this one's: ${state.paymentMethodTypes.join(', ')}).`,
    );
  }
  if (command.paymentMethod !== undefined) {
    throw invalid(
      'parameter_invalid',
      'paymentMethod',
      'Pass {{paymentMethod}} or {{crypto}}, not both: a crypto payment is paid by a transfer to the deposit address it gets when confirmed.',
    );
  }
  assertWindow(choice, state.livemode);
  const escrow = escrowFor(state.id, choice, { captureMethod: state.captureMethod, settlement: state.settlement !== null });
  return {
    ...state,
    paymentMethod: null,
    crypto: { ...newCryptoPayment(choice, cryptoAmount(state.amount, state.currency, choice)), escrow },
  };
}

/** The token amount due for `amount` in `currency`, exactly, within a uint256 (and eight digits for usd). */
export function cryptoAmount(amount: bigint, currency: string, options: CryptoOptions): bigint {
  if (amount <= 0n) throw invalid('parameter_invalid', 'amount', '{{amount}} must be a positive integer.');
  if (isCurrency(currency) && amount > MAX_AMOUNT) {
    throw invalid('amount_too_large', 'amount', `{{amount}} must be at most ${MAX_AMOUNT} (eight digits of ${currency}).`);
  }
  const due = tokenAmount(amount, currency, options.token);
  if (due > MAX_TOKEN_AMOUNT) {
    throw invalid('amount_too_large', 'amount', '{{amount}} must fit an ERC-20 amount (at most 2^256 - 1 base units).');
  }
  return due;
}

function noPaymentMethod(): DomainError {
  return invalid(
    'parameter_invalid',
    'paymentMethod',
    'A crypto PaymentIntent takes no {{paymentMethod}}: it is paid by a transfer to the deposit address it gets when confirmed.',
  );
}

/** A crypto intent is held in escrow (manual) or paid by a transfer (automatic) from its creation on. */
function captureMethodKept(state: PaymentIntent): DomainError {
  return invalid(
    'parameter_invalid',
    'captureMethod',
    `A crypto PaymentIntent keeps the {{captureMethod}} it was created with (${state.captureMethod}): manual holds the payment in escrow, automatic takes a transfer. Create a new PaymentIntent to change it.`,
  );
}

/**
 * A crypto intent keeps its shape: its payment_method_types, no payment method, automatic capture,
 * and once a payer has a deposit address, its amount. (An intent whose payment_method_types include
 * crypto but that names no network yet is updated as any other.)
 */
export function assertCryptoUpdate(state: PaymentIntent, params: UpdateParams): void {
  if (!state.crypto) return;
  const types = params.paymentMethodTypes;
  if (
    types !== undefined &&
    (types.length !== state.paymentMethodTypes.length || types.some((t) => !state.paymentMethodTypes.includes(t)))
  ) {
    throw invalid(
      'parameter_invalid',
      'paymentMethodTypes',
      `A crypto PaymentIntent keeps its {{paymentMethodTypes}} (${state.paymentMethodTypes.join(', ')}): create a new PaymentIntent to be paid otherwise.`,
    );
  }
  if (params.paymentMethod !== undefined) throw noPaymentMethod();
  if (params.captureMethod !== undefined && params.captureMethod !== state.captureMethod) throw captureMethodKept(state);
  const field = (['amount', 'currency'] as const).find((f) => params[f] !== undefined);
  if (field && state.crypto.depositAddress) {
    throw new DomainError({
      code: 'payment_intent_unexpected_state',
      operation: 'update',
      field,
      currentStatus: state.status,
      detail: `You cannot update {{${field}}} on this PaymentIntent: the payer has been given a deposit address for ${state.crypto.amount} base units. Cancel it and create a new one.`,
    });
  }
}

/** The intent after an update of its amount or currency: the token amount due follows. */
export function withCryptoAmount(next: PaymentIntent): PaymentIntent {
  return next.crypto ? { ...next, crypto: { ...next.crypto, amount: cryptoAmount(next.amount, next.currency, next.crypto) } } : next;
}

export function confirmCrypto(
  state: PaymentIntent,
  crypto: CryptoPayment,
  command: ConfirmCommand,
  now: number,
  settings: IntentSettings,
): Decision {
  if (command.paymentMethod !== undefined) throw noPaymentMethod();
  // Confirming again while it waits changes nothing: same address, same window.
  if (crypto.depositAddress !== null) return unchanged(state);
  if (!command.deposit) throw new Error('confirming a crypto intent needs the deposit address allocated by the shell');
  const expiresAt = now + windowMs(crypto);
  const payment: CryptoPayment = {
    ...crypto,
    depositAddress: command.deposit.address,
    depositIndex: command.deposit.index,
    startBlock: command.deposit.startBlock,
    expiresAt,
  };
  if (payment.escrow) {
    // Held in escrow: the payer locks the amount on the contract; the intent polls the contract itself.
    return {
      state: {
        ...state,
        status: 'requires_action',
        nextAction: { type: 'crypto_escrow_deposit' },
        lastPaymentError: null,
        crypto: { ...payment, escrow: withEscrowTerms(payment.escrow, command.deposit.address, expiresAt, settings) },
      },
      events: [event('payment_intent.requires_action')],
      timers: escrowConfirmTimers(now),
      paymentError: null,
    };
  }
  return {
    state: { ...state, status: 'requires_action', nextAction: { type: 'crypto_transfer' }, lastPaymentError: null, crypto: payment },
    events: [event('payment_intent.requires_action')],
    // The shell registers the address with the network's chain watcher (src/chain/watcher.ts).
    timers: [{ kind: 'watch', at: now }],
    paymentError: null,
  };
}

const ENDED_PHASE: readonly PhaseStatus[] = ['completed', 'failed', 'skipped'];

/** The watch stops counting: phases close, and late funds are watched for a while longer. */
export function stoppedWaiting(
  crypto: CryptoPayment,
  outcome: 'completed' | 'failed',
  now: number,
  settings: IntentSettings,
): CryptoPayment {
  if (crypto.depositAddress === null) return crypto;
  // Only phases still open close now: one that has ended keeps how and when it ended (an escrow's lock
  // confirmed, or its payer's signed deposit, before a cancel).
  const close = (phases: Phase[], name: PhaseName, status: PhaseStatus) =>
    phases.some((p) => p.phase === name && ENDED_PHASE.includes(p.status)) ? phases : setPhase(phases, name, status, now);
  let phases = crypto.phases;
  if (crypto.signature === null) phases = close(phases, 'signature_verification', 'skipped');
  phases = close(phases, 'blockchain_confirmation', outcome);
  // The deposit address is the merchant's own: confirmed funds are settled, there is nothing to move.
  phases = close(phases, 'settlement', outcome === 'completed' ? 'completed' : 'skipped');
  return { ...crypto, phases, monitorUntil: now + settings.cryptoMonitorWindowMs };
}

/**
 * What the chain says about a crypto intent. While it waits: partially funded, processing (enough
 * seen, not yet confirmed), succeeded, back to waiting after a reorg, or abandoned at expiry. Once it
 * has stopped waiting: new transfers within the monitoring window are recorded as late funds.
 */
export function observe(state: PaymentIntent, seen: ChainObservation, settings: IntentSettings): Decision {
  const c = state.crypto;
  // An escrowed intent is paid by its lock, which its own poll reads (escrow-intent.ts), not by transfers.
  if (!c || c.escrow || c.depositAddress === null || c.expiresAt === null) return unchanged(state);
  const transfers = uniqueTransfers(seen.transfers);
  const known = new Set([...c.transfers, ...c.late].map(transferKey));
  const events: DomainEvent[] = [];
  let next: PaymentIntent;

  if (state.status === 'requires_action' || state.status === 'processing') {
    const expiresAt = c.expiresAt;
    const a = assess(
      { amount: c.amount, confirmationsRequired: c.confirmationsRequired, expiresAt },
      transfers,
      seen.head,
      seen.observedAt,
    );
    const inTime = transfers.filter((t) => t.at <= expiresAt);
    const freshLate = transfers.filter((t) => t.at > expiresAt && !known.has(transferKey(t)));
    let crypto: CryptoPayment = {
      ...c,
      transfers: inTime,
      seen: a.kind === 'succeeded' ? sumTransfers(inTime) : a.seen,
      confirmed: a.kind === 'succeeded' ? a.received : a.confirmed,
      late: [...c.late, ...freshLate],
    };
    if (inTime.length > 0)
      crypto = { ...crypto, phases: setPhase(crypto.phases, 'blockchain_confirmation', 'in_progress', seen.observedAt) };
    next = { ...state, crypto };
    switch (a.kind) {
      case 'waiting':
        if (state.status === 'processing') {
          // What was seen is gone (a reorg): the payer's transfer is no longer on chain.
          next = { ...next, status: 'requires_action', nextAction: { type: 'crypto_transfer' } };
          events.push(event('payment_intent.requires_action'));
        } else if (a.seen > c.seen) {
          events.push(event('payment_intent.partially_funded'));
        }
        break;
      case 'processing':
        if (state.status !== 'processing') {
          next = { ...next, status: 'processing', nextAction: null };
          events.push(event('payment_intent.processing'));
        }
        break;
      case 'succeeded':
        next = {
          ...next,
          status: 'succeeded',
          nextAction: null,
          amountReceived: state.amount,
          crypto: stoppedWaiting({ ...crypto, received: a.received, excess: a.excess }, 'completed', seen.observedAt, settings),
        };
        events.push(event('payment_intent.succeeded'));
        break;
      case 'expired':
        next = {
          ...next,
          status: 'canceled',
          cancellationReason: 'abandoned',
          canceledAt: seen.observedAt,
          nextAction: null,
          crypto: {
            ...stoppedWaiting(crypto, 'failed', seen.observedAt, settings),
            monitorUntil: expiresAt + settings.cryptoMonitorWindowMs,
          },
        };
        events.push(event('payment_intent.canceled'));
        break;
    }
    if (freshLate.length > 0) events.push(event('payment_intent.late_funds_received'));
  } else {
    if (c.monitorUntil === null || seen.observedAt > c.monitorUntil) return unchanged(state);
    const fresh = transfers.filter((t) => !known.has(transferKey(t)));
    if (fresh.length === 0) return unchanged(state);
    next = { ...state, crypto: { ...c, late: [...c.late, ...fresh] } };
    events.push(event('payment_intent.late_funds_received'));
  }
  if (events.length === 0 && Object.keys(changedFields(state, next)).length === 0) return unchanged(state);
  // Stopped waiting: the watch changes (late funds only, until monitorUntil).
  const rewatch = next.status !== state.status && !WAITING.includes(next.status);
  return { state: next, events, timers: rewatch ? [{ kind: 'watch', at: seen.observedAt }] : [], paymentError: null };
}

export const SIGNABLE = ['requires_action', 'processing'] as const;

/**
 * A payer signature is only for a confirmed crypto intent (one with a deposit address) that is
 * still waiting or settling. The shell checks it before verifying a signature; the domain again.
 */
export function assertSignable(state: PaymentIntent): CryptoPayment {
  const c = state.crypto;
  if (!c || c.depositAddress === null) {
    throw new DomainError({
      code: 'payment_intent_unexpected_state',
      operation: 'sign',
      currentStatus: state.status,
      allowedStatuses: SIGNABLE,
      detail: 'Only a confirmed crypto PaymentIntent (with a deposit address) can take a payer signature.',
    });
  }
  if (!(SIGNABLE as readonly string[]).includes(state.status)) throw unexpectedState('sign', state.status, SIGNABLE);
  return c;
}

export function recordSignature(state: PaymentIntent, signature: PayerSignature): Decision {
  const c = assertSignable(state);
  if (c.signature) {
    if (c.signature.signature.toLowerCase() === signature.signature.toLowerCase()) return unchanged(state);
    throw invalid(
      'parameter_invalid',
      'signature',
      `A payer signature by ${c.signature.signer} is already recorded for this PaymentIntent.`,
    );
  }
  const phases = setPhase(
    setPhase(c.phases, 'signature_verification', 'in_progress', signature.verifiedAt),
    'signature_verification',
    'completed',
    signature.verifiedAt,
  );
  return {
    state: { ...state, crypto: { ...c, signature, phases } },
    events: [event('payment_intent.updated')],
    timers: [],
    paymentError: null,
  };
}

const WAITING: readonly string[] = ['requires_action', 'processing'];

/** What a crypto intent asks the chain watcher to watch; null when it needs no watching (any more). */
export interface WatchRequest {
  address: string;
  /** The ERC-20 contract; null for the native coin. */
  token: string | null;
  fromBlock: bigint;
  confirmations: number;
  /** Null while it waits for its payment; then the end of the late-funds window. */
  until: number | null;
  /** The expiry while it waits: the watcher delivers an observation at or after it, so expiry is decided on time. */
  notifyAt: number | null;
}

/**
 * The watch a crypto intent needs now: its deposit address, from its start block, while it waits
 * (and then until the end of its late-funds window); none before confirmation or after that window.
 */
export function watchRequest(intent: PaymentIntent, now: number): WatchRequest | null {
  const c = intent.crypto;
  if (!c || c.escrow || c.depositAddress === null || c.startBlock === null || c.expiresAt === null) return null;
  const base = { address: c.depositAddress, token: c.token.address, fromBlock: c.startBlock, confirmations: c.confirmationsRequired };
  if (WAITING.includes(intent.status)) return { ...base, until: null, notifyAt: c.expiresAt };
  if (c.monitorUntil !== null && now < c.monitorUntil) return { ...base, until: c.monitorUntil, notifyAt: null };
  return null;
}
