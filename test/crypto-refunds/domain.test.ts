/**
 * Crypto refunds, pure: opening one (source, amount in base units, destination, start block) and
 * what the transfers the watcher sees at its destination do to it. Intents are reached through real
 * transitions (created, confirmed, paid on chain); the refund is opened with openCryptoRefund, the
 * function the refund command's createRefund calls for a crypto charge.
 */
import { describe, expect, it } from 'vitest';
import { type Charge, succeededCharge } from '../../src/domain/charge.js';
import type { CryptoOptions, CryptoTransfer } from '../../src/domain/crypto.js';
import { openCryptoRefund, refundWatchChanges } from '../../src/domain/crypto-refunds.js';
import type { PaymentIntent, RefundObservation, RefundParams } from '../../src/domain/intent.js';
import { createPaymentIntent } from '../../src/domain/payment-intent.js';
import { parseRecord, serializeRecord } from '../../src/intents/record.js';
import { IDS, LATER, NOW, refusal, step } from '../domain/fixtures.js';

const USDC: CryptoOptions = {
  network: 'base',
  chainId: 8453,
  token: { symbol: 'usdc', decimals: 6, usdPegged: true, address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' },
  confirmationsRequired: 3,
  expiresIn: null,
};
const DEPOSIT = { address: '0x00000000000000000000000000000000000000d1', index: 7, startBlock: 100n };
const PAYER = '0x00000000000000000000000000000000000000AA';
const OTHER = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const EXPIRES = LATER + 15 * 60_000;
const HEAD = 200n;

function transfer(n: number, value: bigint, block: bigint, { at = LATER + 1_000, from = PAYER, to = PAYER } = {}) {
  return {
    txHash: `0x${n.toString(16).padStart(64, '0')}`,
    logIndex: 0,
    blockNumber: block,
    blockHash: `0xb${block}`,
    at,
    from,
    value,
    to,
  };
}

function deposit(t: ReturnType<typeof transfer>): CryptoTransfer {
  const { to: _, ...rest } = t;
  return rest;
}

/** A usd 10.99 intent paid in USDC with `paid` base units, confirmed (so succeeded when it covers 10990000). */
function paid(amounts: bigint[], currency: { amount: bigint; currency: string } = { amount: 1099n, currency: 'usd' }): PaymentIntent {
  const created = createPaymentIntent(IDS, { ...currency, crypto: USDC }, NOW).state;
  const waiting = step(created, { type: 'confirm', challengeToken: 'unused', deposit: DEPOSIT }).state;
  const transfers = amounts.map((v, i) => deposit(transfer(i + 1, v, 101n + BigInt(i))));
  return step(waiting, { type: 'chain_observed', transfers, head: 150n, observedAt: LATER + 5_000 }, LATER + 5_000).state;
}

function open(state: PaymentIntent, params: Omit<RefundParams, 'head'> = {}, id = 're_1', charge?: Charge): PaymentIntent {
  const of = charge ?? succeededCharge(state.charges) ?? state.charges.at(-1) ?? null;
  return openCryptoRefund(state, id, of, { ...params, head: HEAD }, LATER).state;
}

function observed(state: PaymentIntent, refundId: string, transfers: RefundObservation['transfers'], head: bigint) {
  return step(state, { type: 'refund_observed', refundId, transfers, head, observedAt: LATER + 9_000 }, LATER + 9_000);
}

describe('opening a crypto refund', () => {
  it('is pending for the payment, in base units, to the payer, from the head, and counts against the charge', () => {
    const intent = paid([10_990_000n]);
    expect(intent.status).toBe('succeeded');
    const charge = succeededCharge(intent.charges)!;
    const decision = openCryptoRefund(intent, 're_1', charge, { amount: 500n, head: HEAD }, LATER);
    const refund = decision.state.refunds[0]!;
    expect(refund).toMatchObject({ id: 're_1', charge: charge.id, amount: 500n, status: 'pending', created: LATER });
    expect(refund.crypto).toEqual({
      source: 'payment',
      network: 'base',
      chainId: 8453,
      token: { symbol: 'usdc', decimals: 6, address: USDC.token.address },
      destination: '0x00000000000000000000000000000000000000AA',
      amount: 5_000_000n,
      fromBlock: HEAD,
      confirmationsRequired: 3,
      transfer: null,
    });
    expect(decision.events).toEqual([{ type: 'refund.created', previousAttributes: {}, subject: { kind: 'refund', id: 're_1' } }]);
    expect(succeededCharge(decision.state.charges)).toMatchObject({ amountRefunded: 500n, refunded: false });
  });

  it('defaults to what is left of the payment and marks the charge refunded', () => {
    const once = open(paid([10_990_000n]), { amount: 99n });
    const rest = open(once, {}, 're_2');
    expect(rest.refunds[1]).toMatchObject({ amount: 1000n, crypto: { amount: 10_000_000n } });
    expect(succeededCharge(rest.charges)).toMatchObject({ amountRefunded: 1099n, refunded: true });
    expect(refusal(() => open(rest, {}, 're_3'))).toMatchObject({ code: 'parameter_invalid', field: 'amount' });
  });

  it('refuses more than is left of the payment (several refunds never overdraw it)', () => {
    const once = open(paid([10_990_000n]), { amount: 1000n });
    expect(refusal(() => open(once, { amount: 100n }, 're_2'))).toMatchObject({ code: 'parameter_invalid', field: 'amount' });
    expect(open(once, { amount: 99n }, 're_2').refunds).toHaveLength(2);
  });

  it('sends to the given destination instead, checksummed; refuses one that is no address', () => {
    const intent = paid([10_990_000n]);
    const given = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
    expect(open(intent, { destination: given.toLowerCase() }).refunds[0]!.crypto!.destination).toBe(given);
    expect(refusal(() => open(intent, { destination: '0x1234' }))).toMatchObject({ code: 'parameter_invalid', field: 'destination' });
  });

  it('refunds excess up to what was received above the amount, and only that', () => {
    const intent = paid([12_000_000n]);
    expect(intent.crypto).toMatchObject({ excess: 1_010_000n });
    const refunded = open(intent, { source: 'excess' });
    expect(refunded.refunds[0]).toMatchObject({ amount: 101n, crypto: { source: 'excess', amount: 1_010_000n } });
    // Excess is not part of what the charge captured: its refundable amount is untouched.
    expect(succeededCharge(refunded.charges)).toMatchObject({ amountRefunded: 0n, refunded: false });
    expect(refusal(() => open(refunded, { source: 'excess', amount: 1n }, 're_2'))).toMatchObject({ field: 'amount' });
    expect(refusal(() => open(paid([10_990_000n]), { source: 'excess' }))).toMatchObject({ field: 'source' });
  });

  it('canceling an excess refund leaves the charge as it was: excess never counted against it', () => {
    const intent = paid([12_000_000n]);
    const opened = step(intent, { type: 'refund', refundId: 're_x', params: { source: 'excess', head: HEAD } }).state;
    expect(opened.refunds[0]).toMatchObject({ status: 'pending', crypto: { source: 'excess' } });
    const canceled = step(opened, { type: 'cancel_refund', refundId: 're_x' }).state;
    expect(canceled.refunds[0]).toMatchObject({ status: 'canceled' });
    expect(succeededCharge(canceled.charges)).toMatchObject({ amountRefunded: 0n, refunded: false });
    // The whole payment is still refundable.
    const full = step(canceled, { type: 'refund', refundId: 're_p', params: { head: HEAD } }).state;
    expect(full.refunds[1]).toMatchObject({ amount: 1099n, crypto: { source: 'payment' } });
  });

  it('asks for an amount when the excess has no exact amount in cents, and refuses cents that cannot be sent exactly', () => {
    const intent = paid([10_990_001n]);
    expect(refusal(() => open(intent, { source: 'excess' }))).toMatchObject({ code: 'parameter_missing', field: 'amount' });
    // In the token's own currency every base unit is a minor unit.
    const inUsdc = paid([10_990_001n], { amount: 10_990_000n, currency: 'usdc' });
    expect(open(inUsdc, { source: 'excess' }).refunds[0]).toMatchObject({ amount: 1n, crypto: { amount: 1n } });
  });

  it('refunds late funds, also when the intent was abandoned, to their sender', () => {
    const created = createPaymentIntent(IDS, { amount: 1099n, currency: 'usd', crypto: USDC }, NOW).state;
    const waiting = step(created, { type: 'confirm', challengeToken: 'unused', deposit: DEPOSIT }).state;
    // Paid in full but gone in a reorg before it confirmed: the attempt's charge stays, and fails at expiry.
    const full = [deposit(transfer(8, 10_990_000n, 120n))];
    const seen = step(waiting, { type: 'chain_observed', transfers: full, head: 120n, observedAt: LATER + 2_000 }).state;
    const gone = step(seen, { type: 'chain_observed', transfers: [], head: 121n, observedAt: LATER + 3_000 }).state;
    const late = transfer(9, 3_000_000n, 140n, { at: EXPIRES + 1_000, from: OTHER });
    const observedAt = EXPIRES + 2_000;
    const abandoned = step(gone, { type: 'chain_observed', transfers: [deposit(late)], head: 150n, observedAt }, observedAt).state;
    expect(abandoned.charges.map((c) => c.status)).toEqual(['failed']);
    expect(abandoned).toMatchObject({ status: 'canceled', cancellationReason: 'abandoned' });
    expect(abandoned.crypto!.late).toHaveLength(1);
    const refunded = open(abandoned, { source: 'late_funds', amount: 100n }, 're_1', abandoned.charges.at(-1));
    expect(refunded.refunds[0]!.crypto).toMatchObject({ source: 'late_funds', amount: 1_000_000n, destination: OTHER });
    const rest = open(refunded, { source: 'late_funds' }, 're_2', abandoned.charges.at(-1));
    expect(rest.refunds[1]).toMatchObject({ amount: 200n, crypto: { amount: 2_000_000n } });
    expect(refusal(() => open(rest, { source: 'late_funds', amount: 1n }, 're_3', abandoned.charges.at(-1)))).toMatchObject({
      field: 'amount',
    });
    // The payment itself was never received: nothing of it can be refunded.
    expect(refusal(() => open(abandoned, {}, 're_1', abandoned.charges.at(-1)))).toMatchObject({ field: 'source' });
    expect(refusal(() => open(paid([10_990_000n]), { source: 'late_funds' }))).toMatchObject({ field: 'source' });
  });

  it('refuses late funds of an intent abandoned before anything was seen: it has no charge to refund', () => {
    const created = createPaymentIntent(IDS, { amount: 1099n, currency: 'usd', crypto: USDC }, NOW).state;
    const waiting = step(created, { type: 'confirm', challengeToken: 'unused', deposit: DEPOSIT }).state;
    const late = deposit(transfer(9, 3_000_000n, 140n, { at: EXPIRES + 1_000 }));
    const observedAt = EXPIRES + 2_000;
    const abandoned = step(waiting, { type: 'chain_observed', transfers: [late], head: 150n, observedAt }, observedAt).state;
    expect(abandoned).toMatchObject({ status: 'canceled', charges: [] });
    expect(abandoned.crypto!.late).toHaveLength(1);
    const refused = refusal(() => openCryptoRefund(abandoned, 're_1', null, { source: 'late_funds', head: HEAD }, LATER));
    expect(refused).toMatchObject({ code: 'parameter_invalid', field: 'source' });
  });

  it('is refused for an intent not paid in crypto', () => {
    const card = createPaymentIntent(IDS, { amount: 1099n, currency: 'usd', paymentMethod: 'pm_card_visa' }, NOW).state;
    const succeeded = step(card, { type: 'confirm', challengeToken: 'x' }).state;
    expect(refusal(() => open(succeeded, { source: 'excess' }))).toMatchObject({ code: 'parameter_invalid', field: 'source' });
  });

  it('survives the stored record with its bigints', () => {
    const refunded = open(paid([10_990_000n]), { amount: 500n });
    expect(parseRecord(serializeRecord(refunded))).toEqual(refunded);
  });
});

describe('what the chain shows at the destination', () => {
  const refunded = () => open(paid([10_990_000n]), { amount: 500n });

  it('succeeds on a transfer of exactly the amount after the start block, once confirmed', () => {
    const pay = transfer(50, 5_000_000n, HEAD + 1n);
    const seen = observed(refunded(), 're_1', [pay], HEAD + 1n);
    expect(seen.state.refunds[0]).toMatchObject({
      status: 'pending',
      crypto: { transfer: { txHash: pay.txHash, blockNumber: HEAD + 1n } },
    });
    expect(seen.events.map((e) => [e.type, e.subject])).toEqual([['refund.updated', { kind: 'refund', id: 're_1' }]]);
    // The same sighting again changes nothing.
    expect(observed(seen.state, 're_1', [pay], HEAD + 2n).state).toBe(seen.state);
    const done = observed(seen.state, 're_1', [pay], HEAD + 3n);
    expect(done.state.refunds[0]).toMatchObject({ status: 'succeeded', crypto: { transfer: { txHash: pay.txHash } } });
    const charge = succeededCharge(done.state.charges)!;
    expect(done.events.map((e) => [e.type, e.subject])).toEqual([
      ['refund.updated', { kind: 'refund', id: 're_1' }],
      ['charge.refunded', { kind: 'charge', id: charge.id }],
    ]);
    // Settled: the chain no longer changes it.
    expect(observed(done.state, 're_1', [], HEAD + 9n).state).toBe(done.state);
  });

  it('never counts a wrong amount, a wrong address, or a transfer before the refund was created', () => {
    const state = refunded();
    const wrong = [
      transfer(1, 4_999_999n, HEAD + 1n),
      transfer(2, 5_000_001n, HEAD + 1n),
      transfer(3, 5_000_000n, HEAD + 1n, { to: OTHER }),
      transfer(4, 5_000_000n, HEAD),
      transfer(5, 5_000_000n, HEAD - 10n),
    ];
    expect(observed(state, 're_1', wrong, HEAD + 20n).state).toBe(state);
  });

  it('stops counting a transfer that vanished (a reorg), and counts its re-inclusion', () => {
    const pay = transfer(50, 5_000_000n, HEAD + 1n);
    const seen = observed(refunded(), 're_1', [pay], HEAD + 1n).state;
    const gone = observed(seen, 're_1', [], HEAD + 1n);
    expect(gone.state.refunds[0]).toMatchObject({ status: 'pending', crypto: { transfer: null } });
    expect(gone.events.map((e) => e.type)).toEqual(['refund.updated']);
    const again = { ...pay, blockNumber: HEAD + 2n, blockHash: '0xother' };
    const back = observed(gone.state, 're_1', [again], HEAD + 4n);
    expect(back.state.refunds[0]).toMatchObject({
      status: 'succeeded',
      crypto: { transfer: { blockNumber: HEAD + 2n, blockHash: '0xother' } },
    });
  });

  it('pays one refund with one transfer: two equal refunds to one address need two transfers', () => {
    const both = open(open(paid([10_990_000n]), { amount: 500n }), { amount: 500n }, 're_2');
    const first = transfer(60, 5_000_000n, HEAD + 1n);
    const one = observed(observed(both, 're_1', [first], HEAD + 5n).state, 're_2', [first], HEAD + 5n).state;
    expect(one.refunds.map((r) => r.status)).toEqual(['succeeded', 'pending']);
    expect(one.refunds[1]!.crypto!.transfer).toBeNull();
    const second = transfer(61, 5_000_000n, HEAD + 2n);
    const two = observed(one, 're_2', [first, second], HEAD + 5n).state;
    expect(two.refunds.map((r) => r.crypto!.transfer?.txHash)).toEqual([first.txHash, second.txHash]);
    expect(two.refunds.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('ignores observations of an unknown refund', () => {
    const state = refunded();
    expect(observed(state, 're_unknown', [transfer(1, 5_000_000n, HEAD + 1n)], HEAD + 9n).state).toBe(state);
  });
});

describe('the watch a refund needs', () => {
  it('starts when a crypto refund opens and ends when it settles', () => {
    const intent = paid([10_990_000n]);
    const refunded = open(intent, { amount: 500n });
    expect(refundWatchChanges(intent, refunded)).toEqual(['re_1']);
    const seen = observed(refunded, 're_1', [transfer(50, 5_000_000n, HEAD + 1n)], HEAD + 1n).state;
    expect(refundWatchChanges(refunded, seen)).toEqual([]);
    const done = observed(seen, 're_1', [transfer(50, 5_000_000n, HEAD + 1n)], HEAD + 5n).state;
    expect(refundWatchChanges(seen, done)).toEqual(['re_1']);
  });

  it('ends when the refund is canceled, and is never asked for a card refund', () => {
    const refunded = open(paid([10_990_000n]), { amount: 500n });
    const canceled = { ...refunded, refunds: refunded.refunds.map((r) => ({ ...r, status: 'canceled' as const })) };
    expect(refundWatchChanges(refunded, canceled)).toEqual(['re_1']);
    const card = { ...refunded, refunds: refunded.refunds.map((r) => ({ ...r, id: 're_card', crypto: null })) };
    expect(refundWatchChanges(null, card)).toEqual([]);
  });
});
