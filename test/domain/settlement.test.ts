/**
 * An intent's off-chain settlement (Finternet's type and settlement fields), pure: created pending
 * with a crypto intent, started by the merchant's delivery confirmation of a paid intent, completed
 * by the simulator's timer; and how it is stored.
 */
import { describe, expect, it } from 'vitest';
import type { CryptoOptions } from '../../src/domain/crypto.js';
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

function paid(): PaymentIntent {
  const transfer = {
    txHash: `0x${'1'.repeat(64)}`,
    logIndex: 0,
    blockNumber: 11n,
    blockHash: '0xb11',
    at: LATER + 1_000,
    from: '0x00000000000000000000000000000000000000aa',
    value: DUE,
  };
  const state = step(waiting(), { type: 'chain_observed', transfers: [transfer], head: 11n, observedAt: PAID_AT }, PAID_AT).state;
  expect(state.status).toBe('succeeded');
  return state;
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
  ])('refuses delivery confirmation of $name: the payment must have succeeded', ({ state }) => {
    expect(() => step(state(), { type: 'confirm_delivery' })).toThrow(
      expect.objectContaining({ code: 'payment_intent_unexpected_state', operation: 'confirm_delivery', allowedStatuses: ['succeeded'] }),
    );
  });

  it('refuses delivery confirmation of an intent without a settlement', () => {
    const plain = createPaymentIntent(IDS, { amount: DUE, currency: 'usdc', crypto: USDC }, NOW).state;
    expect(() => step(plain, { type: 'confirm_delivery' })).toThrow(expect.objectContaining({ field: 'settlement' }));
  });

  it('starts on delivery confirmation of a paid intent, with the simulator`s timer; a second confirmation changes nothing', () => {
    const at = PAID_AT + 1_000;
    const confirmed = step(paid(), { type: 'confirm_delivery' }, at);
    expect(confirmed.state.settlement).toMatchObject({ status: 'in_progress', deliveryConfirmedAt: at, startedAt: at, completedAt: null });
    expect(confirmed.timers).toEqual([{ kind: 'settlement', at: at + SETTINGS.asyncSettleDelayMs }]);
    expect(confirmed.state.status).toBe('succeeded');
    expect(step(confirmed.state, { type: 'confirm_delivery' }, at + 5).state).toBe(confirmed.state);
  });

  it('completes on the simulator`s timer, once: a repeated alarm changes nothing', () => {
    const inProgress = step(paid(), { type: 'confirm_delivery' }, PAID_AT).state;
    const done = step(inProgress, { type: 'advance_settlement' }, PAID_AT + 9_000);
    expect(done.state.settlement).toMatchObject({ status: 'completed', completedAt: PAID_AT + 9_000 });
    expect(step(done.state, { type: 'advance_settlement' }, PAID_AT + 10_000).state).toBe(done.state);
    // A timer for an intent whose settlement has not started does nothing either.
    const pending = paid();
    expect(step(pending, { type: 'advance_settlement' }).state).toBe(pending);
  });

  it('survives the stored record, and a v5 record (before settlements) loads with none', () => {
    const inProgress = step(paid(), { type: 'confirm_delivery' }, PAID_AT).state;
    expect(parseRecord(serializeRecord(inProgress))).toStrictEqual(inProgress);
    // A v5 record has neither a settlement nor what v7 added (its last change, reference, reserved deposit).
    const { settlement: _s, updated: _u, reference: _r, reservedDeposit: _d, ...v5 } = { ...JSON.parse(serializeRecord(waiting())), v: 5 };
    expect(parseRecord(JSON.stringify(v5))).toStrictEqual({ ...waiting(), settlement: null, updated: waiting().created });
  });
});
