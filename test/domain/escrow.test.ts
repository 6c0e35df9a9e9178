/**
 * A crypto intent held in escrow (capture_method=manual, or a settlement), pure: which intents hold,
 * the terms handed out at confirmation, what the contract's state and logs mean (lock seen,
 * confirmed, a reorg, other payers' and wrong locks, the payer's own moves), capture, cancel, the
 * deadline, the signed deposit, the poll's pace, and how it is stored.
 */
import { describe, expect, it } from 'vitest';
import type { CryptoOptions } from '../../src/domain/crypto.js';
import type { EscrowHolding, EscrowLog, EscrowStatus } from '../../src/domain/escrow.js';
import { escrowIdFor, nextEscrowPoll } from '../../src/domain/escrow-intent.js';
import type { PaymentIntent } from '../../src/domain/intent.js';
import { createPaymentIntent } from '../../src/domain/payment-intent.js';
import { parseRecord, serializeRecord } from '../../src/intents/record.js';
import { IDS, LATER, NOW, SETTINGS, step } from './fixtures.js';

const TOKEN = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
const ESCROW = '0x00000000000000000000000000000000000000e5';
const USDC: CryptoOptions = {
  network: 'base-sepolia',
  chainId: 84532,
  token: { symbol: 'usdc', decimals: 6, usdPegged: true, address: TOKEN },
  confirmationsRequired: 3,
  expiresIn: null,
  escrowContract: ESCROW,
};
const DUE = 10_000_000n;
const DEPOSIT = '0x00000000000000000000000000000000000000d1';
const PAYER = '0x00000000000000000000000000000000000000aa';
const STRANGER = '0x00000000000000000000000000000000000000bb';
const VALID_BEFORE = Math.floor((LATER + 15 * 60_000) / 1000);
const DEADLINE = VALID_BEFORE + SETTINGS.escrowHoldSeconds;
const SEEN_AT = LATER + 10_000;

function created(extra: { crypto?: CryptoOptions; captureMethod?: 'manual' | 'automatic' } = {}): PaymentIntent {
  return createPaymentIntent(
    IDS,
    { amount: DUE, currency: 'usdc', crypto: extra.crypto ?? USDC, captureMethod: extra.captureMethod ?? 'manual' },
    NOW,
  ).state;
}

function waiting(): PaymentIntent {
  return step(created(), { type: 'confirm', challengeToken: 'unused', deposit: { address: DEPOSIT, index: 1, startBlock: 10n } }).state;
}

function locked(
  payer = PAYER,
  terms: Partial<{ amount: bigint; token: string; merchant: string; deadline: number }> = {},
  block = 11n,
): EscrowLog {
  return {
    event: 'Locked',
    payer,
    token: terms.token ?? TOKEN,
    amount: terms.amount ?? DUE,
    merchant: terms.merchant ?? DEPOSIT,
    deadline: terms.deadline ?? DEADLINE,
    txHash: `0x${payer.slice(-2).repeat(32)}`,
    blockNumber: block,
    blockHash: `0xb${block}`,
    logIndex: 0,
  };
}

function ended(
  event: 'Released' | 'Refunded' | 'Reclaimed',
  payer = PAYER,
  by: string | null = '0x00000000000000000000000000000000000000ee',
): EscrowLog {
  return { event, payer, amount: DUE, by, txHash: `0x${'e'.repeat(64)}`, blockNumber: 20n, blockHash: '0xb20', logIndex: 0 };
}

function hold(payer: string, seen: EscrowStatus, confirmed: EscrowStatus): EscrowHolding {
  return { payer, seen, confirmed };
}

function observe(state: PaymentIntent, logs: EscrowLog[], holdings: EscrowHolding[], at = SEEN_AT) {
  return step(state, { type: 'escrow_observed', head: 30n, logs, holdings, observedAt: at }, at);
}

function held(): PaymentIntent {
  const state = observe(waiting(), [locked()], [hold(PAYER, 'locked', 'locked')]).state;
  expect(state.status).toBe('requires_capture');
  return state;
}

describe('which crypto intents hold in escrow', () => {
  it('manual capture on a network with an escrow contract holds, under keccak256 of the intent id', () => {
    const state = created();
    expect(state.captureMethod).toBe('manual');
    expect(state.crypto?.escrow).toMatchObject({ contract: ESCROW, escrowId: escrowIdFor(IDS.id), merchant: null, lock: null });
    expect(escrowIdFor(IDS.id)).toMatch(/^0x[0-9a-f]{64}$/);
    expect(created({ captureMethod: 'automatic' }).crypto?.escrow).toBeNull();
  });

  it('refuses manual capture on a network without escrow, naming capture_method', () => {
    expect(() => created({ crypto: { ...USDC, escrowContract: null } })).toThrow(
      expect.objectContaining({ code: 'parameter_invalid', field: 'captureMethod', detail: expect.stringContaining('no escrow contract') }),
    );
  });

  it('refuses an escrow of the native coin, naming the token', () => {
    expect(() => created({ crypto: { ...USDC, token: { symbol: 'eth', decimals: 18, usdPegged: false, address: null } } })).toThrow(
      expect.objectContaining({ code: 'parameter_invalid', field: 'crypto.token' }),
    );
  });

  it('holds every intent with a settlement, and refuses one on a network without escrow', () => {
    const settlement = { type: 'delivery_vs_payment' as const, method: 'off_ramp_mock' as const, destination: '9876543210' };
    const dvp = createPaymentIntent(IDS, { amount: DUE, currency: 'usdc', crypto: USDC, settlement }, NOW).state;
    expect(dvp.crypto?.escrow?.contract).toBe(ESCROW);
    expect(() =>
      createPaymentIntent(IDS, { amount: DUE, currency: 'usdc', crypto: { ...USDC, escrowContract: null }, settlement }, NOW),
    ).toThrow(expect.objectContaining({ field: 'crypto.network' }));
  });

  it('keeps the capture method a crypto intent was created with', () => {
    expect(() => step(created(), { type: 'update', params: { captureMethod: 'automatic' } })).toThrow(
      expect.objectContaining({ field: 'captureMethod' }),
    );
  });
});

describe('confirmation', () => {
  it('hands out the terms: the deposit address as merchant, validBefore the window end, the deadline a hold period later', () => {
    const d = step(created(), { type: 'confirm', challengeToken: 'unused', deposit: { address: DEPOSIT, index: 1, startBlock: 10n } });
    expect(d.state.status).toBe('requires_action');
    expect(d.state.nextAction).toEqual({ type: 'crypto_escrow_deposit' });
    expect(d.state.crypto?.escrow).toMatchObject({ merchant: DEPOSIT, validBefore: VALID_BEFORE, deadline: DEADLINE });
    // Its own poll, not the network's transfer watch.
    expect(d.timers).toEqual([{ kind: 'escrow', at: LATER }]);
  });
});

describe('what the contract says', () => {
  it('a lock seen at the head: processing, a pending charge', () => {
    const d = observe(waiting(), [locked()], [hold(PAYER, 'locked', 'none')]);
    expect(d.state.status).toBe('processing');
    expect(d.state.crypto?.escrow?.lockStatus).toBe('seen');
    expect(d.events.map((e) => e.type)).toEqual(['payment_intent.processing', 'charge.pending']);
  });

  it('the lock with its confirmations: requires_capture with amount_capturable, an uncaptured charge', () => {
    const d = observe(waiting(), [locked()], [hold(PAYER, 'locked', 'locked')]);
    expect(d.state).toMatchObject({ status: 'requires_capture', amountCapturable: DUE, amountReceived: 0n });
    expect(d.state.crypto?.escrow).toMatchObject({ lockStatus: 'confirmed', lock: { payer: PAYER, amount: DUE } });
    expect(d.events.map((e) => e.type)).toEqual(['payment_intent.amount_capturable_updated', 'charge.succeeded']);
    expect(d.state.charges[0]).toMatchObject({ status: 'succeeded', captured: false });
  });

  it('the same reading again changes nothing', () => {
    const state = held();
    expect(observe(state, [locked()], [hold(PAYER, 'locked', 'locked')]).state).toBe(state);
  });

  it('a reorg that removes the lock goes back to requires_action, from processing and from requires_capture', () => {
    const processing = observe(waiting(), [locked()], [hold(PAYER, 'locked', 'none')]).state;
    const back = observe(processing, [], []);
    expect(back.state).toMatchObject({ status: 'requires_action', nextAction: { type: 'crypto_escrow_deposit' } });
    expect(back.state.crypto?.escrow).toMatchObject({ lock: null, lockStatus: 'none' });
    const fromHeld = observe(held(), [], []);
    expect(fromHeld.state).toMatchObject({ status: 'requires_action', amountCapturable: 0n });
    expect(fromHeld.events.map((e) => e.type)).toContain('payment_intent.requires_action');
  });

  it('a lock with wrong terms is recorded, not counted, and refunded once confirmed', () => {
    for (const terms of [{ amount: DUE - 1n }, { token: STRANGER }, { merchant: STRANGER }, { deadline: DEADLINE - 1 }]) {
      const d = observe(waiting(), [locked(PAYER, terms)], [hold(PAYER, 'locked', 'locked')]);
      expect(d.state.status).toBe('requires_action');
      expect(d.state.crypto?.escrow?.uncounted).toEqual([
        expect.objectContaining({
          payer: PAYER,
          reason: 'wrong_terms',
          status: 'locked',
          refund: expect.objectContaining({ id: `${IDS.id}:escrow_refund:${PAYER}` }),
        }),
      ]);
      expect(d.timers).toContainEqual({ kind: 'escrow_refund', key: PAYER, at: SEEN_AT });
    }
  });

  it("a stranger's tiny lock under the same id does not block the payer, and is refunded", () => {
    const logs = [locked(STRANGER, { amount: 1n }, 11n), locked(PAYER, {}, 12n)];
    const d = observe(waiting(), logs, [hold(STRANGER, 'locked', 'locked'), hold(PAYER, 'locked', 'locked')]);
    expect(d.state.status).toBe('requires_capture');
    expect(d.state.crypto?.escrow?.lock?.payer).toBe(PAYER);
    expect(d.state.crypto?.escrow?.uncounted).toEqual([expect.objectContaining({ payer: STRANGER, reason: 'wrong_terms' })]);
    expect(d.timers).toEqual([{ kind: 'escrow_refund', key: STRANGER, at: SEEN_AT }]);
    // Its refund is asked for once: the next reading asks for nothing new.
    const again = observe(d.state, logs, [hold(STRANGER, 'locked', 'locked'), hold(PAYER, 'locked', 'locked')], SEEN_AT + 1);
    expect(again.timers).toEqual([]);
  });

  it("a second payer's full lock is another payer's: recorded and refunded, never counted twice", () => {
    const second = { ...locked(STRANGER, {}, 13n) };
    const d = observe(held(), [locked(), second], [hold(PAYER, 'locked', 'locked'), hold(STRANGER, 'locked', 'locked')]);
    expect(d.state.amountCapturable).toBe(DUE);
    expect(d.state.crypto?.escrow?.uncounted).toEqual([expect.objectContaining({ payer: STRANGER, reason: 'other_payer' })]);
  });

  it('the window closing without a lock abandons the intent, as a transfer intent is', () => {
    const d = observe(waiting(), [], [], LATER + 15 * 60_000);
    expect(d.state).toMatchObject({ status: 'canceled', cancellationReason: 'abandoned' });
  });

  it('a lock after the intent was abandoned is recorded as not_waiting and refunded', () => {
    const abandoned = observe(waiting(), [], [], LATER + 15 * 60_000).state;
    const d = observe(abandoned, [locked()], [hold(PAYER, 'locked', 'locked')], LATER + 16 * 60_000);
    expect(d.state.status).toBe('canceled');
    expect(d.state.crypto?.escrow?.uncounted).toEqual([expect.objectContaining({ reason: 'not_waiting' })]);
    expect(d.timers).toEqual([{ kind: 'escrow_refund', key: PAYER, at: LATER + 16 * 60_000 }]);
  });

  it('a lock released by its payer between two polls pays the intent at once', () => {
    const d = observe(waiting(), [locked(), ended('Released', PAYER, PAYER)], [hold(PAYER, 'released', 'released')]);
    expect(d.state).toMatchObject({ status: 'succeeded', amountReceived: DUE, nextAction: null });
    expect(d.state.crypto?.escrow?.outcome).toMatchObject({ status: 'released', by: PAYER });
  });

  it("the payer's own release seen on chain succeeds the intent; their reclaim cancels it", () => {
    const released = observe(held(), [locked(), ended('Released', PAYER, PAYER)], [hold(PAYER, 'released', 'released')]);
    expect(released.state.status).toBe('succeeded');
    expect(released.state.crypto?.escrow?.outcome).toMatchObject({ status: 'released', by: PAYER });
    const reclaimed = observe(held(), [locked(), ended('Reclaimed', PAYER, null)], [hold(PAYER, 'reclaimed', 'reclaimed')]);
    expect(reclaimed.state).toMatchObject({ status: 'canceled', cancellationReason: 'automatic' });
    expect(reclaimed.state.crypto?.escrow?.outcome?.status).toBe('reclaimed');
    expect(reclaimed.state.charges[0]).toMatchObject({ refunded: true, amountRefunded: DUE });
  });
});

describe('capture', () => {
  it('releases in full: a partial amount is refused naming amount_to_capture', () => {
    expect(() => step(held(), { type: 'capture', amountToCapture: DUE - 1n }, SEEN_AT + 1)).toThrow(
      expect.objectContaining({ code: 'parameter_invalid', field: 'amountToCapture' }),
    );
  });

  it('writes the relayer`s release down (one attempt), and captures again change nothing', () => {
    const d = step(held(), { type: 'capture' }, SEEN_AT + 1);
    expect(d.state.status).toBe('requires_capture');
    expect(d.state.crypto?.escrow?.release).toEqual({ id: `${IDS.id}:escrow_release`, requestedAt: SEEN_AT + 1 });
    expect(d.timers).toEqual([
      { kind: 'escrow_release', at: SEEN_AT + 1 },
      { kind: 'escrow', at: SEEN_AT + 1 },
    ]);
    expect(step(d.state, { type: 'capture' }, SEEN_AT + 2).state).toBe(d.state);
    expect(step(d.state, { type: 'capture', amountToCapture: DUE }, SEEN_AT + 2).state).toBe(d.state);
  });

  it('succeeds the intent when the Released log is confirmed: the charge is captured', () => {
    const capturing = step(held(), { type: 'capture' }, SEEN_AT + 1).state;
    const seenOnly = observe(capturing, [locked(), ended('Released')], [hold(PAYER, 'released', 'locked')], SEEN_AT + 2);
    expect(seenOnly.state.status).toBe('requires_capture');
    const d = observe(capturing, [locked(), ended('Released')], [hold(PAYER, 'released', 'released')], SEEN_AT + 3);
    expect(d.state).toMatchObject({ status: 'succeeded', amountReceived: DUE, amountCapturable: 0n });
    expect(d.events.map((e) => e.type)).toEqual(['payment_intent.succeeded', 'charge.captured']);
    expect(d.state.charges[0]?.paymentMethodDetails).toMatchObject({
      crypto: { from: PAYER, transactions: [locked().txHash, `0x${'e'.repeat(64)}`] },
    });
  });

  it('is refused after the deadline: the payer may reclaim', () => {
    expect(() => step(held(), { type: 'capture' }, DEADLINE * 1000)).toThrow(
      expect.objectContaining({ code: 'payment_intent_unexpected_state', operation: 'capture' }),
    );
  });

  it('is refused before the lock is held', () => {
    expect(() => step(waiting(), { type: 'capture' })).toThrow(expect.objectContaining({ code: 'payment_intent_unexpected_state' }));
  });
});

describe('cancel', () => {
  it('while held: canceled now, the relayer`s refund written down; the charge is refunded when the Refunded log is confirmed', () => {
    const d = step(held(), { type: 'cancel', reason: 'requested_by_customer' }, SEEN_AT + 1);
    expect(d.state).toMatchObject({ status: 'canceled', amountCapturable: 0n });
    expect(d.state.crypto?.escrow?.refund).toEqual({ id: `${IDS.id}:escrow_refund:${PAYER}`, requestedAt: SEEN_AT + 1 });
    expect(d.timers).toContainEqual({ kind: 'escrow_refund', key: PAYER, at: SEEN_AT + 1 });
    expect(d.state.charges[0]).toMatchObject({ refunded: false });
    const refunded = observe(d.state, [locked(), ended('Refunded')], [hold(PAYER, 'refunded', 'refunded')], SEEN_AT + 2);
    expect(refunded.state.crypto?.escrow?.outcome).toMatchObject({ status: 'refunded', txHash: `0x${'e'.repeat(64)}` });
    expect(refunded.state.charges[0]).toMatchObject({ refunded: true, amountRefunded: DUE });
    expect(refunded.events.map((e) => e.type)).toContain('charge.refunded');
  });

  it('is refused once the release is on its way', () => {
    const capturing = step(held(), { type: 'capture' }, SEEN_AT + 1).state;
    expect(() => step(capturing, { type: 'cancel' }, SEEN_AT + 2)).toThrow(expect.objectContaining({ operation: 'cancel' }));
  });
});

describe('the deadline', () => {
  it('passing while held cancels the intent (automatic) and has the relayer refund', () => {
    const d = observe(held(), [locked()], [hold(PAYER, 'locked', 'locked')], DEADLINE * 1000);
    expect(d.state).toMatchObject({ status: 'canceled', cancellationReason: 'automatic' });
    expect(d.timers).toContainEqual({ kind: 'escrow_refund', key: PAYER, at: DEADLINE * 1000 });
  });

  it('a payer who reclaimed first is recorded as reclaimed, and no refund is sent', () => {
    const d = observe(held(), [locked(), ended('Reclaimed', PAYER, null)], [hold(PAYER, 'reclaimed', 'reclaimed')], DEADLINE * 1000);
    expect(d.state).toMatchObject({ status: 'canceled', cancellationReason: 'automatic' });
    expect(d.state.crypto?.escrow).toMatchObject({ refund: null, outcome: { status: 'reclaimed' } });
    expect(d.timers).toEqual([]);
  });
});

describe('the signed deposit', () => {
  const signed = { signer: PAYER, signature: `0x${'5'.repeat(130)}`, permit: null };

  it('is written down for the relayer once; the same signer again changes nothing, another is refused', () => {
    const d = step(waiting(), { type: 'escrow_deposit', deposit: signed }, LATER + 1);
    expect(d.state.crypto?.escrow?.deposit).toMatchObject({ id: `${IDS.id}:escrow_deposit`, signer: PAYER });
    expect(d.timers).toContainEqual({ kind: 'escrow_deposit', at: LATER + 1 });
    expect(step(d.state, { type: 'escrow_deposit', deposit: signed }, LATER + 2).state).toBe(d.state);
    expect(() => step(d.state, { type: 'escrow_deposit', deposit: { ...signed, signer: STRANGER } }, LATER + 2)).toThrow(
      expect.objectContaining({ field: 'signature' }),
    );
  });

  it('is refused after the window (its validBefore) and before confirmation', () => {
    expect(() => step(waiting(), { type: 'escrow_deposit', deposit: signed }, VALID_BEFORE * 1000)).toThrow(
      expect.objectContaining({ field: 'signature' }),
    );
    expect(() => step(created(), { type: 'escrow_deposit', deposit: signed })).toThrow(expect.objectContaining({ operation: 'sign' }));
  });
});

describe('the poll', () => {
  it('runs at the network`s pace while waiting or sending, slower while held, and stops when nothing is left', () => {
    expect(nextEscrowPoll(waiting(), SEEN_AT, 2_000, SETTINGS)).toBe(SEEN_AT + 2_000);
    expect(nextEscrowPoll(held(), SEEN_AT, 2_000, SETTINGS)).toBe(SEEN_AT + SETTINGS.escrowHeldPollMs);
    const capturing = step(held(), { type: 'capture' }, SEEN_AT + 1).state;
    expect(nextEscrowPoll(capturing, SEEN_AT, 2_000, SETTINGS)).toBe(SEEN_AT + 2_000);
    const done = observe(capturing, [locked(), ended('Released')], [hold(PAYER, 'released', 'released')], SEEN_AT + 3).state;
    expect(nextEscrowPoll(done, SEEN_AT + 4, 2_000, SETTINGS)).toBeNull();
    expect(nextEscrowPoll(created({ captureMethod: 'automatic' }), SEEN_AT, 2_000, SETTINGS)).toBeNull();
  });
});

describe('storage', () => {
  it('round-trips an escrowed intent, and an older record has no escrow', () => {
    const state = step(held(), { type: 'capture' }, SEEN_AT + 1).state;
    expect(parseRecord(serializeRecord(state))).toEqual(state);
    const v7 = { ...JSON.parse(serializeRecord(waiting())), v: 7 };
    delete v7.crypto.escrow;
    delete v7.crypto.escrowContract;
    expect(parseRecord(JSON.stringify(v7)).crypto).toMatchObject({ escrow: null, escrowContract: null });
  });
});
