/** 000_…'s statuses as a view of the canonical intent: a table of (intent) → status, no runtime needed. */
import { describe, expect, it } from 'vitest';
import { paymentIntentToWire } from '../../../src/compat/amplify/wire.js';
import { newCryptoPayment } from '../../../src/domain/crypto.js';
import type { PaymentIntent } from '../../../src/domain/intent.js';
import { created, NOW } from '../../domain/fixtures.js';

const EXPIRES_AT = NOW + 15 * 60_000;
const crypto = {
  ...newCryptoPayment(
    {
      network: 'base',
      chainId: 8453,
      token: { symbol: 'usdc', decimals: 6, usdPegged: true, address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' },
      confirmationsRequired: 2,
      expiresIn: null,
    },
    20_000_000n,
  ),
  depositAddress: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  depositIndex: 3,
  startBlock: 100n,
  expiresAt: EXPIRES_AT,
};
const base = created({ paymentMethodTypes: ['crypto'] });
const paying: PaymentIntent = { ...base, status: 'requires_action', nextAction: { type: 'crypto_transfer' }, crypto };
const declined = {
  type: 'card_error' as const,
  code: 'card_declined',
  declineCode: 'generic_decline',
  message: 'Your card was declined.',
  paymentMethod: { id: 'pm_card_chargeDeclined', type: 'card' as const },
};

const CASES: [string, PaymentIntent, string][] = [
  ['nothing chosen yet', base, 'CREATED'],
  ['a payment method set, not confirmed', { ...base, status: 'requires_confirmation' }, 'CREATED'],
  ['a declined attempt waiting for another', { ...base, lastPaymentError: declined }, 'ERROR'],
  ['waiting for the transfer', paying, 'WAITING FOR PAYMENT'],
  ['enough seen, confirmations pending', { ...paying, status: 'processing', nextAction: null }, 'WAITING FOR PAYMENT'],
  ['a card hold', { ...base, status: 'requires_capture' }, 'WAITING FOR PAYMENT'],
  ['succeeded', { ...paying, status: 'succeeded', nextAction: null }, 'COMPLETED'],
  [
    'abandoned at the end of its window',
    { ...paying, status: 'canceled', cancellationReason: 'abandoned', canceledAt: EXPIRES_AT + 400, nextAction: null },
    'TIMEOUT',
  ],
  [
    'abandoned before its window ended (an expiring session)',
    { ...paying, status: 'canceled', cancellationReason: 'abandoned', canceledAt: EXPIRES_AT - 60_000, nextAction: null },
    'ERROR',
  ],
  [
    'canceled by the merchant while waiting',
    { ...paying, status: 'canceled', cancellationReason: 'requested_by_customer', canceledAt: NOW + 1 },
    'ERROR',
  ],
  ['canceled before anything was chosen', { ...base, status: 'canceled', cancellationReason: 'abandoned', canceledAt: NOW + 1 }, 'ERROR'],
];

describe('Amplify statuses', () => {
  it.each(CASES)('%s → %s', (_name, intent, status) => {
    expect(paymentIntentToWire(intent).status).toBe(status);
  });

  it('renders the rest of the document`s fields from the intent', () => {
    const wire = paymentIntentToWire({
      ...paying,
      livemode: true,
      reference: 'cart-7',
      metadata: { order: '7' },
      updated: NOW + 1_234,
    });
    expect(wire).toEqual({
      _id: base.id,
      userId: base.merchantId,
      walletId: crypto.depositAddress,
      clientSecret: base.clientSecret,
      status: 'WAITING FOR PAYMENT',
      apiKeyType: 'PRODUCTION',
      receiverId: 'cart-7',
      metadata: { order: '7' },
      created_at: new Date(NOW).toISOString(),
      updated_at: new Date(NOW + 1_234).toISOString(),
    });
  });
});
