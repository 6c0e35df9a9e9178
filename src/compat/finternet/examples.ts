/**
 * The examples of this family's OpenAPI document: the retrieve example of 004_… (released from escrow,
 * SUCCEEDED, the off-ramp in progress), with this service's additions.
 */
import type { z } from '@hono/zod-openapi';
import type { PaymentIntentResponse, PublicPaymentIntentResponse } from './schemas.js';

const ID = 'pi_3QvWkT0Ab12Cd34Ef56Gh78J';

export const EXAMPLE: z.input<typeof PaymentIntentResponse> = {
  id: ID,
  object: 'payment_intent',
  status: 'SUCCEEDED',
  data: {
    id: ID,
    merchantId: 'acct_1Qa2Bc3De4Fg5Hi6',
    status: 'SUCCEEDED',
    amount: '1000.00',
    currency: 'USDC',
    type: 'DELIVERY_VS_PAYMENT',
    settlementMethod: 'OFF_RAMP_MOCK',
    settlementDestination: '9876543210',
    settlementStatus: 'IN_PROGRESS',
    contractAddress: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
    transactionHash: `0x${'ab'.repeat(32)}`,
    payoutTransactionHash: `0x${'cd'.repeat(32)}`,
    chainId: 11155111,
    signerAddress: '0x742d35Cc6634C0532925a3b844Bc9e7595f42318',
    depositAddress: '0x5A0b54D5dc17e0AadC383d2db43B0a0D3E029c4c',
    tokenAddress: '0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238',
    expiresAt: 1704068100,
    escrowId: '0x6b3c5d0c0e4f3a7b5d1a2f9e8c7b6a5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a99',
    escrowDeadline: 1704672000,
    typedData: null,
    deliveryConfirmedAt: 1704067380,
    phases: [
      { phase: 'SIGNATURE_VERIFICATION', status: 'COMPLETED', completedAt: 1704067200 },
      { phase: 'BLOCKCHAIN_CONFIRMATION', status: 'COMPLETED', completedAt: 1704067260 },
      { phase: 'ESCROW_LOCKED', status: 'COMPLETED', completedAt: 1704067320 },
      { phase: 'SETTLEMENT', status: 'IN_PROGRESS', startedAt: 1704067380 },
    ],
    metadata: { orderId: 'ORD-123', customerId: 'CUST-456' },
    created: 1704067200,
    updated: 1704067380,
  },
  created: 1704067200,
  updated: 1704067380,
};

const { metadata: _private, ...publicData } = EXAMPLE.data;

export const PUBLIC_EXAMPLE: z.input<typeof PublicPaymentIntentResponse> = {
  ...EXAMPLE,
  data: { ...publicData, settlementDestination: '******3210' },
};
