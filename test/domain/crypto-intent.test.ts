/**
 * The crypto branch of the state machine, pure: what each chain observation does to a confirmed
 * crypto intent, when the shell polls next, and how a crypto intent is stored.
 */
import { describe, expect, it } from 'vitest';
import type { CryptoOptions, CryptoTransfer } from '../../src/domain/crypto.js';
import { createPaymentIntent } from '../../src/domain/payment-intent.js';
import { watchRequest } from '../../src/domain/crypto-intent.js';
import type { PaymentIntent } from '../../src/domain/intent.js';
import { parseRecord, serializeRecord } from '../../src/intents/record.js';
import { IDS, LATER, NOW, SETTINGS, step } from './fixtures.js';

const USDC: CryptoOptions = {
  network: 'base',
  chainId: 8453,
  token: { symbol: 'usdc', decimals: 6, usdPegged: true, address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' },
  confirmationsRequired: 3,
  expiresIn: null,
};
const PAYER = '0x00000000000000000000000000000000000000aa';
const DEPOSIT = { address: '0x00000000000000000000000000000000000000d1', index: 7, startBlock: 100n };
const DUE = 10_990_000n;
const EXPIRES = LATER + 15 * 60_000;

function waiting(): PaymentIntent {
  const created = createPaymentIntent(IDS, { amount: 1099n, currency: 'usd', crypto: USDC }, NOW).state;
  return step(created, { type: 'confirm', challengeToken: 'unused', deposit: DEPOSIT }).state;
}

function transfer(n: number, value: bigint, block: bigint, at = LATER + 1_000): CryptoTransfer {
  return {
    txHash: `0x${n.toString(16).padStart(64, '0')}`,
    logIndex: 0,
    blockNumber: block,
    blockHash: `0xb${block}`,
    at,
    from: PAYER,
    value,
  };
}

function observe(state: PaymentIntent, transfers: CryptoTransfer[], head: bigint, observedAt = LATER + 5_000) {
  return step(state, { type: 'chain_observed', transfers, head, observedAt }, observedAt);
}

describe('confirming a crypto intent', () => {
  it('records the deposit address, starts the 15-minute window and asks for its chain watch', () => {
    const created = createPaymentIntent(IDS, { amount: 1099n, currency: 'usd', crypto: USDC }, NOW).state;
    expect(created).toMatchObject({ status: 'requires_confirmation', paymentMethodTypes: ['crypto'] });
    expect(created.crypto).toMatchObject({ amount: DUE, depositAddress: null, expiresAt: null });
    const decision = step(created, { type: 'confirm', challengeToken: 'unused', deposit: DEPOSIT });
    expect(decision.state).toMatchObject({ status: 'requires_action', nextAction: { type: 'crypto_transfer' } });
    expect(decision.state.crypto).toMatchObject({ depositAddress: DEPOSIT.address, depositIndex: 7, startBlock: 100n, expiresAt: EXPIRES });
    expect(decision.timers).toEqual([{ kind: 'watch', at: LATER }]);
    expect(decision.events.map((e) => e.type)).toEqual(['payment_intent.requires_action']);
  });

  it('keeps address and window when confirmed again', () => {
    const state = waiting();
    expect(
      step(state, { type: 'confirm', challengeToken: 'x', deposit: { ...DEPOSIT, address: '0x00000000000000000000000000000000000000d2' } })
        .state,
    ).toBe(state);
  });

  it('refuses expires_in in live mode: live payments have the 15-minute window', () => {
    expect(() =>
      createPaymentIntent({ ...IDS, livemode: true }, { amount: 1099n, currency: 'usd', crypto: { ...USDC, expiresIn: 60 } }, NOW),
    ).toThrow(expect.objectContaining({ code: 'parameter_invalid', field: 'crypto.expiresIn' }));
    expect(createPaymentIntent({ ...IDS, livemode: true }, { amount: 1099n, currency: 'usd', crypto: USDC }, NOW).state.livemode).toBe(
      true,
    );
  });

  it('takes an expires_in window in test mode', () => {
    const created = createPaymentIntent(IDS, { amount: 1099n, currency: 'usd', crypto: { ...USDC, expiresIn: 10 } }, NOW).state;
    expect(step(created, { type: 'confirm', challengeToken: 'x', deposit: DEPOSIT }).state.crypto!.expiresAt).toBe(LATER + 10_000);
  });
});

describe('chain observations', () => {
  it('nothing seen: no change at all (no revision, no event)', () => {
    const state = waiting();
    expect(observe(state, [], 120n).state).toBe(state);
  });

  it('less than due: partially funded once per new amount, still waiting', () => {
    const first = observe(waiting(), [transfer(1, 4_000_000n, 110n)], 120n);
    expect(first.state.status).toBe('requires_action');
    expect(first.state.crypto).toMatchObject({ seen: 4_000_000n, confirmed: 4_000_000n });
    // Funds seen: the attempt's charge is pending, showing the payer and the transaction.
    expect(first.events.map((e) => e.type)).toEqual(['payment_intent.partially_funded', 'charge.pending']);
    expect(first.state.charges).toEqual([
      expect.objectContaining({
        status: 'pending',
        amount: 1099n,
        paymentMethodDetails: {
          type: 'crypto',
          crypto: expect.objectContaining({ network: 'base', chainId: 8453, from: PAYER, transactions: [transfer(1, 0n, 0n).txHash] }),
        },
      }),
    ]);
    expect(observe(first.state, [transfer(1, 4_000_000n, 110n)], 121n).events).toEqual([]);
  });

  it('enough seen but not confirmed: processing; confirmed: succeeded, settlement completed', () => {
    const paid = [transfer(1, DUE, 120n)];
    const processing = observe(waiting(), paid, 121n);
    expect(processing.state).toMatchObject({ status: 'processing', nextAction: null });
    expect(processing.events.map((e) => e.type)).toEqual(['payment_intent.processing', 'charge.pending']);
    const done = observe(processing.state, paid, 122n, LATER + 9_000);
    expect(done.state).toMatchObject({ status: 'succeeded', amountReceived: 1099n });
    // Confirmed: the pending charge succeeds (no second charge).
    expect(done.events.map((e) => e.type)).toEqual(['payment_intent.succeeded', 'charge.succeeded']);
    expect(done.state.charges).toEqual([
      expect.objectContaining({ id: processing.state.charges[0]!.id, status: 'succeeded', amountCaptured: 1099n, captured: true }),
    ]);
    expect(done.state.crypto).toMatchObject({ received: DUE, excess: 0n, monitorUntil: LATER + 9_000 + SETTINGS.cryptoMonitorWindowMs });
    expect(done.state.crypto!.phases.map((p) => [p.phase, p.status])).toEqual([
      ['signature_verification', 'skipped'],
      ['blockchain_confirmation', 'completed'],
      ['settlement', 'completed'],
    ]);
  });

  it('more than due: succeeds with the excess recorded', () => {
    const done = observe(waiting(), [transfer(1, DUE + 5n, 100n)], 110n);
    expect(done.state.status).toBe('succeeded');
    expect(done.state.crypto).toMatchObject({ received: DUE + 5n, excess: 5n });
  });

  it('a reorg drops what was seen: back to requires_action with the crypto_transfer action', () => {
    const processing = observe(waiting(), [transfer(1, DUE, 120n)], 121n).state;
    const back = observe(processing, [], 121n);
    expect(back.state).toMatchObject({ status: 'requires_action', nextAction: { type: 'crypto_transfer' } });
    expect(back.state.crypto).toMatchObject({ seen: 0n, transfers: [] });
    // The charge stays pending (the window is still open) and no longer shows the vanished transaction.
    expect(back.events.map((e) => e.type)).toEqual(['payment_intent.requires_action', 'charge.updated']);
    expect(back.state.charges).toEqual([
      expect.objectContaining({
        status: 'pending',
        paymentMethodDetails: expect.objectContaining({ crypto: expect.objectContaining({ transactions: [] }) }),
      }),
    ]);
  });

  it('expiry with less than due: canceled as abandoned, watched for late funds for the window after expiry', () => {
    const expired = observe(waiting(), [transfer(1, 1n, 110n)], 130n, EXPIRES);
    expect(expired.state).toMatchObject({ status: 'canceled', cancellationReason: 'abandoned', canceledAt: EXPIRES, nextAction: null });
    expect(expired.state.crypto!.monitorUntil).toBe(EXPIRES + SETTINGS.cryptoMonitorWindowMs);
    // Funds were seen but fell short: the attempt's charge failed.
    expect(expired.events.map((e) => e.type)).toEqual(['payment_intent.canceled', 'charge.failed']);
    expect(expired.state.charges).toEqual([expect.objectContaining({ status: 'failed', failureCode: 'payment_expired' })]);
  });

  it('a payment seen in time keeps the intent open past expiry until it confirms', () => {
    const late = observe(waiting(), [transfer(1, DUE, 130n, EXPIRES - 1)], 130n, EXPIRES + 60_000);
    expect(late.state.status).toBe('processing');
    expect(observe(late.state, [transfer(1, DUE, 130n, EXPIRES - 1)], 132n, EXPIRES + 70_000).state.status).toBe('succeeded');
  });

  it('funds after the window: recorded as late with their own event, once', () => {
    const canceled = observe(waiting(), [], 130n, EXPIRES).state;
    const lateTransfer = transfer(2, DUE, 140n, EXPIRES + 30_000);
    const late = observe(canceled, [lateTransfer], 141n, EXPIRES + 31_000);
    expect(late.state.status).toBe('canceled');
    expect(late.state.crypto!.late).toEqual([lateTransfer]);
    // Nothing was seen in the window: no attempt, no charge; late funds make none either.
    expect(late.events.map((e) => e.type)).toEqual(['payment_intent.late_funds_received']);
    expect(late.state.charges).toEqual([]);
    expect(observe(late.state, [lateTransfer], 150n, EXPIRES + 40_000).state).toBe(late.state);
  });

  it('nothing is recorded once the monitoring window has closed', () => {
    const canceled = observe(waiting(), [], 130n, EXPIRES).state;
    const after = observe(canceled, [transfer(3, 1n, 200n, EXPIRES + 1)], 201n, EXPIRES + SETTINGS.cryptoMonitorWindowMs + 1);
    expect(after.state).toBe(canceled);
  });
});

describe('what it asks the chain watcher to watch', () => {
  const watched = { address: DEPOSIT.address, token: USDC.token.address, fromBlock: 100n, confirmations: 3 };

  it('its address from its start block while waiting (told at expiry), then late funds until the window closes, then nothing', () => {
    const state = waiting();
    expect(watchRequest(state, LATER)).toEqual({ ...watched, until: null, notifyAt: EXPIRES });
    const processing = observe(state, [transfer(1, DUE, 110n)], 110n);
    expect(processing.state.status).toBe('processing');
    expect(watchRequest(processing.state, LATER + 5_000)).toEqual({ ...watched, until: null, notifyAt: EXPIRES });

    const canceled = observe(state, [], 130n, EXPIRES);
    expect(canceled.state.status).toBe('canceled');
    // Stopping to wait asks for the watch to change: late funds only.
    expect(canceled.timers).toEqual([{ kind: 'watch', at: EXPIRES }]);
    const monitorUntil = EXPIRES + SETTINGS.cryptoMonitorWindowMs;
    expect(watchRequest(canceled.state, EXPIRES + 1)).toEqual({ ...watched, until: monitorUntil, notifyAt: null });
    expect(watchRequest(canceled.state, monitorUntil)).toBeNull();

    const succeeded = observe(processing.state, [transfer(1, DUE, 110n)], 112n, LATER + 9_000);
    expect(succeeded.state.status).toBe('succeeded');
    expect(succeeded.timers).toEqual([{ kind: 'watch', at: LATER + 9_000 }]);
    expect(watchRequest(succeeded.state, LATER + 9_000)).toMatchObject({ until: LATER + 9_000 + SETTINGS.cryptoMonitorWindowMs });

    const cancelledByMerchant = step(state, { type: 'cancel' }, LATER + 1_000);
    expect(cancelledByMerchant.timers).toEqual([{ kind: 'watch', at: LATER + 1_000 }]);
    expect(watchRequest(createPaymentIntent(IDS, { amount: 1n, currency: 'usd' }, NOW).state, NOW)).toBeNull();
  });
});

describe('stored crypto intents', () => {
  it('round-trip exactly, bigints included', () => {
    const state = observe(waiting(), [transfer(1, 2n ** 200n, 110n)], 111n).state;
    expect(parseRecord(serializeRecord(state))).toStrictEqual(state);
  });

  it('drop the poll interval a record from before the chain watcher carries', () => {
    const state = waiting();
    const record = JSON.parse(serializeRecord(state));
    record.crypto.pollIntervalMs = 2_000;
    const loaded = parseRecord(JSON.stringify(record));
    expect(loaded.crypto).not.toHaveProperty('pollIntervalMs');
    expect(loaded).toStrictEqual(state);
  });

  it('a version-1 record (before crypto) loads as a card-style intent', () => {
    const card = createPaymentIntent(IDS, { amount: 1n, currency: 'usd' }, NOW).state;
    const { crypto: _crypto, ...v1 } = JSON.parse(serializeRecord(card));
    expect(parseRecord(JSON.stringify({ ...v1, v: 1 }))).toStrictEqual(card);
  });
});
