/**
 * An intent's off-chain settlement (Finternet's type and settlement fields), pure: created pending
 * with a crypto intent held in escrow, the merchant's delivery confirmation of a held intent has the
 * relayer release the lock, the settlement starts once the release is confirmed and is completed by
 * the simulator's timer; and how it is stored.
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
const PAID_AT = LATER + 5_000;

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

const PAYER = '0x00000000000000000000000000000000000000aa';

function escrowLogs(released: boolean): EscrowLog[] {
  const w = waiting().crypto!;
  const at = { txHash: `0x${'1'.repeat(64)}`, blockHash: '0xb11', logIndex: 0 };
  const lock: EscrowLog = {
    event: 'Locked',
    ...at,
    blockNumber: 11n,
    payer: PAYER,
    token: USDC.token.address!,
    amount: DUE,
    merchant: w.depositAddress!,
    deadline: w.escrow!.deadline!,
  };
  if (!released) return [lock];
  return [lock, { event: 'Released', ...at, txHash: `0x${'2'.repeat(64)}`, blockNumber: 12n, payer: PAYER, amount: DUE, by: PAYER }];
}

/** The payer's lock confirmed: held for capture (the delivery confirmation). */
function paid(): PaymentIntent {
  const observed = { type: 'escrow_observed' as const, head: 11n, logs: escrowLogs(false), observedAt: PAID_AT };
  const state = step(waiting(), { ...observed, holdings: [{ payer: PAYER, seen: 'locked', confirmed: 'locked' }] }, PAID_AT).state;
  expect(state.status).toBe('requires_capture');
  return state;
}

/** The release confirmed on chain. */
function released(state: PaymentIntent, at: number) {
  const observed = { type: 'escrow_observed' as const, head: 12n, logs: escrowLogs(true), observedAt: at };
  return step(state, { ...observed, holdings: [{ payer: PAYER, seen: 'released', confirmed: 'released' }] }, at);
}

describe('an intent`s settlement', () => {
  it('is pending from creation, and only a crypto intent can have one', () => {
    expect(created().settlement).toEqual({ ...DVP, status: 'pending', deliveryConfirmedAt: null, startedAt: null, completedAt: null });
    expect(() => createPaymentIntent(IDS, { amount: 2000n, currency: 'usd', settlement: DVP }, NOW)).toThrow(
      expect.objectContaining({ code: 'parameter_invalid', field: 'settlement' }),
    );
  });

  it('refuses the off-ramp simulator in live mode', () => {
    expect(() =>
      createPaymentIntent({ ...IDS, livemode: true }, { amount: DUE, currency: 'usdc', crypto: USDC, settlement: DVP }, NOW),
    ).toThrow(expect.objectContaining({ code: 'parameter_invalid', field: 'settlement.method' }));
  });

  it.each([
    { name: 'a waiting intent', state: waiting },
    { name: 'a canceled intent', state: () => step(waiting(), { type: 'cancel' }).state },
  ])('refuses delivery confirmation of $name: the payment must be held in escrow', ({ state }) => {
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

  it('delivery confirmation of a held intent has the relayer release it; a second confirmation changes nothing', () => {
    const at = PAID_AT + 1_000;
    const confirmed = step(paid(), { type: 'confirm_delivery' }, at);
    expect(confirmed.state.settlement).toMatchObject({ status: 'pending', deliveryConfirmedAt: at, startedAt: null });
    expect(confirmed.state.crypto?.escrow?.release).toMatchObject({ requestedAt: at });
    expect(confirmed.timers).toContainEqual({ kind: 'escrow_release', at });
    expect(step(confirmed.state, { type: 'confirm_delivery' }, at + 5).state).toBe(confirmed.state);
  });

  it('starts once the release is confirmed, with the simulator`s timer, and completes on it, once', () => {
    const releasing = step(paid(), { type: 'confirm_delivery' }, PAID_AT + 1_000).state;
    const at = PAID_AT + 2_000;
    const started = released(releasing, at);
    expect(started.state.status).toBe('succeeded');
    expect(started.state.settlement).toMatchObject({ status: 'in_progress', startedAt: at });
    expect(started.timers).toEqual([{ kind: 'settlement', at: at + SETTINGS.asyncSettleDelayMs }]);
    const done = step(started.state, { type: 'advance_settlement' }, at + 9_000);
    expect(done.state.settlement).toMatchObject({ status: 'completed', completedAt: at + 9_000 });
    // Webhook endpoints hear of it (the Stripe object has no settlement field: Finternet's wire shows it).
    expect(done.events.map((e) => e.type)).toEqual(['payment_intent.updated']);
    expect(step(done.state, { type: 'advance_settlement' }, at + 10_000).state).toBe(done.state);
    // A timer for an intent whose settlement has not started does nothing either.
    const pending = paid();
    expect(step(pending, { type: 'advance_settlement' }).state).toBe(pending);
  });

  it('survives the stored record, and a v5 record (before settlements) loads with none', () => {
    const inProgress = released(step(paid(), { type: 'confirm_delivery' }, PAID_AT).state, PAID_AT + 1).state;
    expect(parseRecord(serializeRecord(inProgress))).toStrictEqual(inProgress);
    // A v5 record has neither a settlement nor what v7 added (its last change, reference, reserved deposit).
    // (nor v8's escrow: an escrowed intent's record was never v5, so this one is a plain transfer's).
    const { settlement: _s, updated: _u, reference: _r, reservedDeposit: _d, ...v5 } = { ...JSON.parse(serializeRecord(waiting())), v: 5 };
    const { escrow: _e, escrowContract: _c, ...crypto } = v5.crypto;
    const before = waiting();
    expect(parseRecord(JSON.stringify({ ...v5, crypto }))).toStrictEqual({
      ...before,
      settlement: null,
      updated: before.created,
      crypto: { ...before.crypto, escrow: null, escrowContract: null },
    });
  });
});
