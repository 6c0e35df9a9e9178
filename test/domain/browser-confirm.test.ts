/**
 * What a payer may choose at confirmation, pure: the crypto network and token of an intent whose
 * payment_method_types include crypto but that names none yet (it becomes a crypto intent), and the
 * amount of an intent with payerAmount. Every branch as (state, command) → outcome or refusal.
 */
import { describe, expect, it } from 'vitest';
import type { CryptoOptions } from '../../src/domain/crypto.js';
import type { ConfirmCommand, PaymentIntent } from '../../src/domain/intent.js';
import { createPaymentIntent, depositToAllocate } from '../../src/domain/payment-intent.js';
import { confirmWith, created, IDS, LATER, NOW, refusal, step } from './fixtures.js';

const USDC: CryptoOptions = {
  network: 'base',
  chainId: 8453,
  token: { symbol: 'usdc', decimals: 6, usdPegged: true, address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' },
  confirmationsRequired: 3,
  expiresIn: null,
};
const ETH: CryptoOptions = { ...USDC, token: { symbol: 'eth', decimals: 18, usdPegged: false, address: null } };
const POLYGON_USDC: CryptoOptions = { ...USDC, network: 'polygon', chainId: 137 };
const DEPOSIT = { address: '0x00000000000000000000000000000000000000d1', index: 3, startBlock: 50n };

const chooseCrypto = (crypto: CryptoOptions, extra: Partial<ConfirmCommand> = {}): ConfirmCommand => ({
  type: 'confirm',
  challengeToken: 'tok_challenge_1',
  crypto,
  deposit: DEPOSIT,
  ...extra,
});

const withAmount = (paymentMethod: string | undefined, amount: bigint): ConfirmCommand => ({
  type: 'confirm',
  paymentMethod,
  challengeToken: 'tok_challenge_1',
  amount,
});

/** An intent of 20.00 usd a payer may pay by card, bank debit or crypto, with no network named yet. */
const open = (extra: Parameters<typeof created>[0] = {}, ids: Parameters<typeof created>[1] = {}) =>
  created({ paymentMethodTypes: ['card', 'us_bank_account', 'crypto'], ...extra }, ids);

/** The open intent after the payer chose USDC on base: it waits for the transfer. */
const chosen = (): PaymentIntent => step(open(), chooseCrypto(USDC)).state;

describe('creating an intent whose payer chooses crypto at confirmation', () => {
  it.each([
    { name: 'crypto among other types', types: ['card', 'crypto'] as const },
    { name: 'crypto alone', types: ['crypto'] as const },
  ])('$name, no crypto options: requires_payment_method with crypto null', ({ types }) => {
    const state = created({ paymentMethodTypes: [...types] });
    expect(state).toMatchObject({ status: 'requires_payment_method', crypto: null, paymentMethodTypes: types, amount: 2000n });
  });

  it('crypto alone held for a manual capture needs a network with an escrow: another is refused when chosen', () => {
    const manual = created({ paymentMethodTypes: ['crypto'], captureMethod: 'manual' });
    expect(refusal(() => step(manual, chooseCrypto(USDC)))).toMatchObject({ code: 'parameter_invalid', field: 'captureMethod' });
  });

  it('crypto options at create keep making a crypto-only intent: with other types they are refused', () => {
    expect(refusal(() => created({ paymentMethodTypes: ['card', 'crypto'], crypto: USDC }))).toMatchObject({
      code: 'parameter_invalid',
      field: 'paymentMethodTypes',
    });
    expect(created({ paymentMethodTypes: ['crypto'], crypto: USDC })).toMatchObject({ status: 'requires_confirmation' });
  });
});

describe('the payer chooses crypto at confirmation', () => {
  it('the intent becomes a crypto intent: token amount converted as at create, types kept, deposit address handed out', () => {
    const decision = step(open(), chooseCrypto(USDC));
    expect(decision.state).toMatchObject({
      status: 'requires_action',
      nextAction: { type: 'crypto_transfer' },
      paymentMethod: null,
      paymentMethodTypes: ['card', 'us_bank_account', 'crypto'],
      amount: 2000n,
      currency: 'usd',
    });
    expect(decision.state.crypto).toMatchObject({
      network: 'base',
      amount: 20_000_000n,
      depositAddress: DEPOSIT.address,
      depositIndex: 3,
      startBlock: 50n,
      expiresAt: LATER + 15 * 60_000,
    });
    expect(decision.events.map((e) => e.type)).toEqual(['payment_intent.requires_action']);
    expect(decision.events[0]!.previousAttributes).toMatchObject({ status: 'requires_payment_method', crypto: null, nextAction: null });
    expect(decision.timers).toEqual([{ kind: 'watch', at: LATER }]);
  });

  it('the shell is asked for a deposit address exactly when the confirmation hands one out', () => {
    const open1 = open();
    expect(depositToAllocate(open1, chooseCrypto(USDC))?.crypto).toMatchObject({ network: 'base', depositAddress: null });
    expect(depositToAllocate(open1, { type: 'confirm', challengeToken: 't', paymentMethod: 'pm_card_visa' })).toBeNull();
    const createdCrypto = created({ paymentMethodTypes: ['crypto'], crypto: USDC });
    expect(depositToAllocate(createdCrypto, { type: 'confirm', challengeToken: 't' })?.crypto?.network).toBe('base');
    expect(depositToAllocate(chosen(), chooseCrypto(USDC))).toBeNull();
    // A confirmation that would be refused takes no address: the refusal comes first.
    expect(refusal(() => depositToAllocate(created({ paymentMethodTypes: ['card'] }), chooseCrypto(USDC)))).toMatchObject({
      field: 'crypto',
    });
  });

  it('a card confirms it as a card intent, and a declined card leaves the crypto choice open', () => {
    const paid = step(open(), confirmWith('pm_card_visa')).state;
    expect(paid).toMatchObject({ status: 'succeeded', crypto: null, amountReceived: 2000n, paymentMethod: 'pm_card_visa' });
    const declined = step(open(), confirmWith('pm_card_chargeDeclined')).state;
    expect(declined).toMatchObject({ status: 'requires_payment_method', crypto: null });
    expect(step(declined, chooseCrypto(USDC)).state).toMatchObject({ status: 'requires_action', crypto: { amount: 20_000_000n } });
  });

  it('a pending 3-D Secure challenge gives way to a crypto choice', () => {
    const challenged = step(open(), confirmWith('pm_card_threeDSecure2Required')).state;
    expect(challenged.status).toBe('requires_action');
    const switched = step(challenged, chooseCrypto(USDC)).state;
    expect(switched).toMatchObject({ status: 'requires_action', nextAction: { type: 'crypto_transfer' }, paymentMethod: null });
  });

  it('a payment method attached at create is dropped when the payer chooses crypto', () => {
    const state = open({ paymentMethod: 'pm_card_visa' });
    expect(state.status).toBe('requires_confirmation');
    expect(step(state, chooseCrypto(USDC)).state).toMatchObject({ paymentMethod: null, status: 'requires_action' });
  });

  it('once it has a deposit address it stays a crypto intent', () => {
    const state = chosen();
    expect(refusal(() => step(state, confirmWith('pm_card_visa')))).toMatchObject({ code: 'parameter_invalid', field: 'paymentMethod' });
    // The same choice again (a retry, a second tab) changes nothing: same address, same window.
    expect(step(state, chooseCrypto(USDC, { deposit: { ...DEPOSIT, address: '0x00000000000000000000000000000000000000d2' } })).state).toBe(
      state,
    );
    expect(refusal(() => step(state, chooseCrypto(POLYGON_USDC)))).toMatchObject({ code: 'parameter_invalid', field: 'crypto.network' });
    expect(refusal(() => step(state, chooseCrypto(ETH)))).toMatchObject({ code: 'parameter_invalid', field: 'crypto.token' });
    expect(refusal(() => step(state, { type: 'update', params: { paymentMethodTypes: ['card'] } }))).toMatchObject({
      field: 'paymentMethodTypes',
    });
  });

  it('an intent made with crypto options accepts its own choice and refuses another', () => {
    const state = created({ paymentMethodTypes: ['crypto'], crypto: USDC });
    expect(step(state, chooseCrypto(USDC)).state.crypto).toMatchObject({ depositAddress: DEPOSIT.address, amount: 20_000_000n });
    expect(refusal(() => step(state, chooseCrypto(POLYGON_USDC)))).toMatchObject({ field: 'crypto.network' });
    // Its window was set at creation: a test window at confirmation would be ignored, so it is refused.
    expect(refusal(() => step(state, chooseCrypto({ ...USDC, expiresIn: 30 })))).toMatchObject({ field: 'crypto.expiresIn' });
  });

  it.each<{ name: string; state: () => PaymentIntent; command: ConfirmCommand; field: string; code?: string }>([
    {
      name: 'crypto not among the payment method types',
      state: () => created({ paymentMethodTypes: ['card'] }),
      command: chooseCrypto(USDC),
      field: 'crypto',
    },
    {
      name: 'a payment method and a crypto choice together',
      state: () => open(),
      command: chooseCrypto(USDC, { paymentMethod: 'pm_card_visa' }),
      field: 'paymentMethod',
    },
    {
      name: 'an intent held for a manual capture',
      state: () => open({ captureMethod: 'manual' }),
      command: chooseCrypto(USDC),
      field: 'captureMethod',
    },
    {
      name: 'a test window in live mode',
      state: () => open({}, { livemode: true }),
      command: chooseCrypto({ ...USDC, expiresIn: 60 }),
      field: 'crypto.expiresIn',
    },
    {
      name: 'a currency the token cannot be paid in',
      state: () => open({ currency: 'eur' }),
      command: chooseCrypto(USDC),
      field: 'currency',
    },
  ])('refused: $name (the intent is left as it was)', ({ state, command, field, code }) => {
    const before = state();
    expect(refusal(() => step(before, command))).toMatchObject({ code: code ?? 'parameter_invalid', field });
  });

  it('a test window in test mode sets the payment window', () => {
    expect(step(open(), chooseCrypto({ ...USDC, expiresIn: 30 })).state.crypto!.expiresAt).toBe(LATER + 30_000);
  });

  it('an open intent may still change its payment method types by update', () => {
    const updated = step(open(), { type: 'update', params: { paymentMethodTypes: ['card'] } }).state;
    expect(updated.paymentMethodTypes).toEqual(['card']);
    expect(refusal(() => step(updated, chooseCrypto(USDC)))).toMatchObject({ field: 'crypto' });
  });
});

describe('the payer chooses the amount (payerAmount)', () => {
  const bounded = (minimum: bigint | null, maximum: bigint | null, extra: Parameters<typeof created>[0] = {}) =>
    created({ payerAmount: { minimum, maximum }, ...extra });

  it('an amount within the bounds is what the confirmation charges; the event shows the change', () => {
    const decision = step(bounded(500n, 10_000n), withAmount('pm_card_visa', 7_500n));
    expect(decision.state).toMatchObject({ status: 'succeeded', amount: 7_500n, amountReceived: 7_500n });
    expect(decision.events.map((e) => e.type)).toEqual(['payment_intent.succeeded', 'charge.succeeded']);
    expect(decision.events[0]!.previousAttributes).toMatchObject({ amount: 2000n, amountReceived: 0n });
    // The charge is for the chosen amount.
    expect(decision.state.charges).toEqual([expect.objectContaining({ amount: 7_500n, amountCaptured: 7_500n })]);
  });

  it.each([
    { minimum: 500n, maximum: 10_000n, amount: 500n },
    { minimum: 500n, maximum: 10_000n, amount: 10_000n },
    { minimum: 500n, maximum: null, amount: 99_999_999n },
    { minimum: null, maximum: 10_000n, amount: 1n },
  ])('the bounds are inclusive and a null bound is open: $minimum..$maximum takes $amount', ({ minimum, maximum, amount }) => {
    expect(step(bounded(minimum, maximum), withAmount('pm_card_visa', amount)).state.amount).toBe(amount);
  });

  it.each([
    { minimum: 500n, maximum: 10_000n, amount: 499n, text: 'between 500 and 10000' },
    { minimum: 500n, maximum: 10_000n, amount: 10_001n, text: 'between 500 and 10000' },
    { minimum: 500n, maximum: null, amount: 1n, text: 'at least 500' },
    { minimum: null, maximum: 10_000n, amount: 10_001n, text: 'at most 10000' },
  ])('$amount outside $minimum..$maximum is refused naming amount, with the bounds', ({ minimum, maximum, amount, text }) => {
    const error = refusal(() => step(bounded(minimum, maximum), withAmount('pm_card_visa', amount)));
    expect(error).toMatchObject({ code: 'parameter_invalid', field: 'amount' });
    expect(error.detail).toContain(text);
  });

  it('an intent without payerAmount has the amount its merchant set', () => {
    expect(refusal(() => step(created(), withAmount('pm_card_visa', 2000n)))).toMatchObject({
      code: 'parameter_invalid',
      field: 'amount',
    });
  });

  it('no amount keeps the current one', () => {
    expect(step(bounded(500n, 10_000n), confirmWith('pm_card_visa')).state).toMatchObject({ amount: 2000n, amountReceived: 2000n });
  });

  it('a declined attempt keeps the chosen amount for the next one', () => {
    const declined = step(bounded(500n, 10_000n), withAmount('pm_card_chargeDeclined', 3_000n)).state;
    expect(declined).toMatchObject({ status: 'requires_payment_method', amount: 3_000n });
    expect(step(declined, confirmWith('pm_card_visa')).state.amountReceived).toBe(3_000n);
  });

  it('with a crypto choice, the token amount is converted from the chosen amount', () => {
    const state = open({ payerAmount: { minimum: 100n, maximum: null } });
    const decision = step(state, chooseCrypto(USDC, { amount: 1_099n }));
    expect(decision.state).toMatchObject({ amount: 1_099n, crypto: { amount: 10_990_000n } });
    expect(decision.events[0]!.previousAttributes).toMatchObject({ amount: 2000n });
  });

  it('a crypto intent made with options: the token amount follows before its address is handed out, not after', () => {
    const state = createPaymentIntent(
      IDS,
      { amount: 2000n, currency: 'usd', crypto: USDC, payerAmount: { minimum: 100n, maximum: 5_000n } },
      NOW,
    ).state;
    const waiting = step(state, chooseCrypto(USDC, { amount: 1_500n })).state;
    expect(waiting.crypto).toMatchObject({ amount: 15_000_000n, depositAddress: DEPOSIT.address });
    expect(step(waiting, chooseCrypto(USDC, { amount: 1_500n })).state).toBe(waiting);
    expect(refusal(() => step(waiting, chooseCrypto(USDC, { amount: 1_600n })))).toMatchObject({
      code: 'payment_intent_unexpected_state',
      field: 'amount',
    });
  });

  it('a changed amount needs a new 3-D Secure authentication', () => {
    const state = bounded(500n, 10_000n, { paymentMethod: 'pm_card_threeDSecure2Required', confirmationMethod: 'manual' });
    const challenged = step(state, confirmWith()).state;
    const authenticated = step(challenged, { type: 'complete_challenge', outcome: 'succeeded' }).state;
    expect(authenticated.status).toBe('requires_confirmation');
    expect(step(authenticated, confirmWith()).state.status).toBe('succeeded');
    expect(step(authenticated, withAmount(undefined, 4_000n)).state).toMatchObject({ status: 'requires_action', amount: 4_000n });
  });
});
