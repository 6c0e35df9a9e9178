/**
 * An intent's off-chain settlement (Finternet's type and settlement fields), pure: created pending
 * with a crypto intent held in escrow, delivery confirmed on a locked deposit (the capture: the
 * relayer's release), started when the release is confirmed on chain, completed by the simulator's
 * timer (which tells webhook endpoints with payment_intent.updated); and how it is stored.
 */
import { describe, expect, it } from 'vitest';
import type { CryptoOptions } from '../../src/domain/crypto.js';
import type { EscrowLog } from '../../src/domain/escrow.js';
import type { PaymentIntent } from '../../src/domain/intent.js';
import { createPaymentIntent } from '../../src/domain/payment-intent.js';
import type { SettlementParams } from '../../src/domain/settlement.js';
import { parseRecord, serializeRecord } from '../../src/intents/record.js';
import { IDS, LATER, NOW, SETTINGS, step } from './fixtures.js';

const USDC: CryptoOptions = {
  network: 'base-sepolia',
  chainId: 84532,
  token: { symbol: 'usdc', decimals: 6, usdPegged: true, address: '0x036CbD53842c5426634e7929541eC2318f3dCF7e' },
  confirmationsRequired: 1,
  expiresIn: null,
  escrowContract: '0x00000000000000000000000000000000000000e5',
};
const DVP: SettlementParams = { type: 'delivery_vs_payment', method: 'off_ramp_mock', destination: '9876543210' };
const DUE = 1_000_000_000n;
const PAYER = '0x00000000000000000000000000000000000000aa';
const LOCKED_AT = LATER + 5_000;
const RELEASED_AT = LOCKED_AT + 20_000;

function created(settlement: SettlementParams = DVP): PaymentIntent {
  return createPaymentIntent(IDS, { amount: DUE, currency: 'usdc', crypto: USDC, settlement }, NOW).state;
}

function waiting(): PaymentIntent {
  return step(created(), {
    type: 'confirm',
    challengeToken: 'unused',
    deposit: { address: '0x00000000000000000000000000000000000000d1', index: 1, startBlock: 10n },
  }).state;
}

function lockedLog(state: PaymentIntent): EscrowLog {
  const e = state.crypto!.escrow!;
  return {
    event: 'Locked',
    payer: PAYER,
    token: USDC.token.address!,
    amount: DUE,
    merchant: e.merchant!,
    deadline: e.deadline!,
    txHash: `0x${'1'.repeat(64)}`,
    blockNumber: 11n,
    blockHash: '0xb11',
    logIndex: 0,
  };
}

/** The payer's lock, confirmed: held for capture. */
function locked(): PaymentIntent {
  const state = waiting();
  const log = lockedLog(state);
  const held = step(
    state,
    {
      type: 'escrow_observed',
      head: 12n,
      logs: [log],
      holdings: [{ payer: PAYER, seen: 'locked', confirmed: 'locked' }],
      observedAt: LOCKED_AT,
    },
    LOCKED_AT,
  ).state;
  expect(held.status).toBe('requires_capture');
  return held;
}

/** The relayer's release of `state` (delivery confirmed), confirmed on chain. */
function released(state: PaymentIntent) {
  const log = lockedLog(state);
  const release: EscrowLog = {
    event: 'Released',
    payer: PAYER,
    amount: DUE,
    by: '0x00000000000000000000000000000000000000bb',
    txHash: `0x${'2'.repeat(64)}`,
    blockNumber: 20n,
    blockHash: '0xb20',
    logIndex: 0,
  };
  return step(
    state,
    {
      type: 'escrow_observed',
      head: 21n,
      logs: [log, release],
      holdings: [{ payer: PAYER, seen: 'released', confirmed: 'released' }],
      observedAt: RELEASED_AT,
    },
    RELEASED_AT,
  );
}

describe('an intent`s settlement', () => {
  it('is pending from creation, held in escrow, and only a crypto intent can have one', () => {
    const intent = created();
    expect(intent.settlement).toEqual({ ...DVP, status: 'pending', deliveryConfirmedAt: null, startedAt: null, completedAt: null });
    expect(intent.crypto!.escrow).toMatchObject({ contract: USDC.escrowContract });
    expect(() => createPaymentIntent(IDS, { amount: 2000n, currency: 'usd', settlement: DVP }, NOW)).toThrow(
      expect.objectContaining({ code: 'parameter_invalid', field: 'settlement' }),
    );
  });

  it('needs a network with an escrow contract', () => {
    expect(() =>
      createPaymentIntent(IDS, { amount: DUE, currency: 'usdc', crypto: { ...USDC, escrowContract: null }, settlement: DVP }, NOW),
    ).toThrow(expect.objectContaining({ code: 'parameter_invalid', field: 'crypto.network' }));
  });

  it('refuses the off-ramp simulator in live mode', () => {
    expect(() =>
      createPaymentIntent({ ...IDS, livemode: true }, { amount: DUE, currency: 'usdc', crypto: USDC, settlement: DVP }, NOW),
    ).toThrow(expect.objectContaining({ code: 'parameter_invalid', field: 'settlement.method' }));
  });

  it.each([
    { name: 'a waiting intent', state: waiting },
    { name: 'a canceled intent', state: () => step(waiting(), { type: 'cancel' }).state },
  ])('refuses delivery confirmation of $name: the deposit must be locked', ({ state }) => {
    expect(() => step(state(), { type: 'confirm_delivery' })).toThrow(
      expect.objectContaining({
        code: 'payment_intent_unexpected_state',
        operation: 'confirm_delivery',
        allowedStatuses: ['requires_capture'],
      }),
    );
  });

  it('refuses delivery confirmation of an intent without a settlement', () => {
    const plain = createPaymentIntent(IDS, { amount: DUE, currency: 'usdc', crypto: USDC }, NOW).state;
    expect(() => step(plain, { type: 'confirm_delivery' })).toThrow(expect.objectContaining({ field: 'settlement' }));
  });

  it('delivery confirmed on a locked deposit: the relayer`s release is written down, once; the settlement waits for it', () => {
    const at = LOCKED_AT + 1_000;
    const confirmed = step(locked(), { type: 'confirm_delivery' }, at);
    expect(confirmed.state.settlement).toMatchObject({ status: 'pending', deliveryConfirmedAt: at, startedAt: null });
    expect(confirmed.state.crypto!.escrow!.release).toMatchObject({ requestedAt: at });
    expect(confirmed.timers).toContainEqual({ kind: 'escrow_release', at });
    expect(confirmed.state.status).toBe('requires_capture');
    expect(step(confirmed.state, { type: 'confirm_delivery' }, at + 5).state).toBe(confirmed.state);
  });

  it('starts when the release is confirmed, with the simulator`s timer', () => {
    const confirmed = step(locked(), { type: 'confirm_delivery' }, LOCKED_AT + 1_000).state;
    const paid = released(confirmed);
    expect(paid.state.status).toBe('succeeded');
    expect(paid.state.settlement).toMatchObject({ status: 'in_progress', startedAt: RELEASED_AT });
    expect(paid.timers).toContainEqual({ kind: 'settlement', at: RELEASED_AT + SETTINGS.asyncSettleDelayMs });
  });

  it('completes on the simulator`s timer, once, telling webhook endpoints: a repeated alarm changes nothing', () => {
    const inProgress = released(step(locked(), { type: 'confirm_delivery' }, LOCKED_AT + 1_000).state).state;
    const done = step(inProgress, { type: 'advance_settlement' }, RELEASED_AT + 9_000);
    expect(done.state.settlement).toMatchObject({ status: 'completed', completedAt: RELEASED_AT + 9_000 });
    expect(done.events.map((e) => e.type)).toEqual(['payment_intent.updated']);
    expect(step(done.state, { type: 'advance_settlement' }, RELEASED_AT + 10_000).state).toBe(done.state);
    // A timer for an intent whose settlement has not started does nothing either.
    const pending = locked();
    expect(step(pending, { type: 'advance_settlement' }).state).toBe(pending);
  });

  it('survives the stored record', () => {
    const inProgress = released(step(locked(), { type: 'confirm_delivery' }, LOCKED_AT + 1_000).state).state;
    expect(parseRecord(serializeRecord(inProgress))).toStrictEqual(inProgress);
  });
});
