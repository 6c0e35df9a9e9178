/**
 * A charge's wire from the intent that holds it, for the attempts whose details are not a card's:
 * a crypto payment (the payer's address and the counted transactions) and a mandate's debit. Pure:
 * the intent is taken through the domain's transitions, the charge rendered as GET /v1/charges does.
 */
import { describe, expect, it } from 'vitest';
import { Charge } from '../../src/api/stripe/charges/schemas.js';
import { chargeToWire } from '../../src/api/stripe/wire/charge.js';
import type { CryptoOptions, CryptoTransfer } from '../../src/domain/crypto.js';
import { createDebitIntent } from '../../src/domain/debit-intent.js';
import type { Command, PaymentIntent } from '../../src/domain/intent.js';
import { createPaymentIntent, decide } from '../../src/domain/payment-intent.js';
import { FRESH, IDS, LATER, NOW, SETTINGS } from '../domain/fixtures.js';

const USDC: CryptoOptions = {
  network: 'base',
  chainId: 8453,
  token: { symbol: 'usdc', decimals: 6, usdPegged: true, address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' },
  confirmationsRequired: 3,
  expiresIn: null,
};
const PAYER = '0x00000000000000000000000000000000000000aa';
const DUE = 10_990_000n;

function transfer(n: number, value: bigint, block: bigint): CryptoTransfer {
  return {
    txHash: `0x${n.toString(16).padStart(64, '0')}`,
    logIndex: 0,
    blockNumber: block,
    blockHash: `0xb${block}`,
    at: LATER + 1_000,
    from: PAYER,
    value,
  };
}

const run = (state: PaymentIntent, ...commands: Command[]) =>
  commands.reduce((s, c) => decide(s, c, LATER + 5_000, SETTINGS, FRESH).state, state);
const observed = (transfers: CryptoTransfer[], head: bigint, observedAt = LATER + 5_000): Command => ({
  type: 'chain_observed',
  transfers,
  head,
  observedAt,
});

/** The charge as the API renders it, checked against the response schema (nothing missing, nothing extra). */
function wire(intent: PaymentIntent) {
  const rendered = chargeToWire(intent, intent.charges.at(-1)!);
  expect(Charge.strict().safeParse(rendered).success).toBe(true);
  return rendered;
}

describe('a crypto payment`s charge', () => {
  const confirmed = () =>
    run(createPaymentIntent(IDS, { amount: 1099n, currency: 'usd', crypto: USDC }, NOW).state, {
      type: 'confirm',
      challengeToken: 'unused',
      deposit: { address: '0x00000000000000000000000000000000000000d1', index: 0, startBlock: 100n },
    });

  it('pending once funds are seen, showing the payer and the transactions; succeeded for the intent`s amount once confirmed', () => {
    const part = run(confirmed(), observed([transfer(1, 4_000_000n, 110n)], 111n));
    expect(wire(part)).toMatchObject({
      status: 'pending',
      paid: false,
      amount: 1099,
      currency: 'usd',
      payment_method: null,
      payment_method_details: {
        type: 'crypto',
        crypto: {
          network: 'base',
          chain_id: 8453,
          token: 'usdc',
          token_address: USDC.token.address,
          decimals: 6,
          from: PAYER,
          transactions: [transfer(1, 0n, 0n).txHash],
        },
      },
    });
    const paid = run(part, observed([transfer(1, 4_000_000n, 110n), transfer(2, DUE - 4_000_000n, 111n)], 120n));
    expect(paid.status).toBe('succeeded');
    expect(wire(paid)).toMatchObject({
      status: 'succeeded',
      paid: true,
      captured: true,
      amount_captured: 1099,
      outcome: { network_status: 'approved_by_network', type: 'authorized' },
      payment_method_details: { crypto: { from: PAYER, transactions: [transfer(1, 0n, 0n).txHash, transfer(2, 0n, 0n).txHash] } },
    });
  });

  it('failed when the window closes short', () => {
    const part = run(confirmed(), observed([transfer(1, 1n, 110n)], 111n));
    const closes = LATER + 5_000 + 15 * 60_000;
    const expired = decide(part, observed([transfer(1, 1n, 110n)], 130n, closes), closes, SETTINGS, FRESH).state;
    expect(expired.status).toBe('canceled');
    expect(wire(expired)).toMatchObject({ status: 'failed', failure_code: 'payment_expired', paid: false });
  });
});

describe('a mandate`s debit charge', () => {
  it('names the mandate as the payment method and shows the payer and the debit transaction', () => {
    const TX = `0x${'ab'.repeat(32)}`;
    const created = createDebitIntent(
      { id: 'pi_test_debit', clientSecret: 'pi_test_debit_secret_x', merchantId: 'acct_test', livemode: false },
      {
        amount: 5_000_000n,
        currency: 'usdc',
        debit: {
          mandate: 'mdt_test',
          period: 1,
          network: 'base',
          chainId: 8453,
          contract: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
          token: { symbol: 'usdc', decimals: 6, address: USDC.token.address },
          payer: PAYER,
          payee: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
        },
        description: null,
        metadata: {},
      },
      NOW,
    ).state;
    const paid = run(
      created,
      { type: 'debit_reported', report: { kind: 'processing', attemptId: 'a1', txHash: TX } },
      { type: 'debit_reported', report: { kind: 'succeeded', txHash: TX, blockNumber: 7n, amount: 5_000_000n } },
    );
    expect(wire(paid)).toMatchObject({
      status: 'succeeded',
      amount: 5_000_000,
      currency: 'usdc',
      payment_method: 'mdt_test',
      payment_method_details: { type: 'crypto', crypto: { network: 'base', chain_id: 8453, from: PAYER, transactions: [TX] } },
    });
  });
});
