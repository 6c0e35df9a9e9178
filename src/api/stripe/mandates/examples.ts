/** The OpenAPI document's examples for mandates, rendered by the wire functions from a fixed mandate. */
import type { DebitRequest, Mandate } from '../../../domain/mandate.js';
import { mandateToWire } from '../wire/mandate.js';

const request: DebitRequest = {
  id: 'dr_01M66K2Q8Rz4Xv9Wm3NpL6tB',
  amount: 2_500_000n,
  status: 'pending',
  period: null,
  failureCode: null,
  paymentIntent: null,
  created: Date.parse('2027-01-10T09:00:00Z'),
};

const mandate: Mandate = {
  id: 'mdt_01M66K0B5Cq3Wv8Zk2LmN7pR',
  merchantId: 'acct_01M66HXNY7pNeLV49tbYOI5i',
  livemode: false,
  shard: 'SHARD_0',
  debitItemId: 'di_01M66J0B5Cq3Wv8Zk2LmN7pR',
  network: 'base',
  chainId: 8453,
  accountType: 'connected_wallet',
  contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  token: { symbol: 'usdc', decimals: 6, address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' },
  payer: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  payee: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  maxAmount: 10_000_000n,
  debitTimes: 12,
  interval: 2_592_000,
  start: 1_764_504_000,
  validBefore: 1_764_590_400,
  salt: '0x6d1f0f8a1c3b5e7d9f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d',
  signature: `0x${'ab'.repeat(65)}`,
  onchainId: '0x2b1f5c7e9a3d4f6b8c0e2a4d6f8b0c2e4a6d8f0b2c4e6a8d0f2b4c6e8a0d2f4b',
  commitment: '0x9c2e4a6d8f0b2c4e6a8d0f2b4c6e8a0d2f4b6c8e0a2d4f6b8c0e2a4d6f8b0c2e',
  pricing: 'dynamic',
  status: 'recurring',
  used: 1,
  lastPeriod: 1,
  lastPaymentAt: Date.parse('2025-11-30T12:00:30Z'),
  nextPaymentAt: Date.parse('2025-12-30T12:00:00Z'),
  estimatedGas: 61_000n,
  debitRequests: [request],
  failedDynamicPaymentAmount: 0n,
  accountBalance: 42_000_000n,
  balanceReadAt: Date.parse('2025-11-30T12:00:30Z'),
  canceledAt: null,
  cancellationSource: null,
  metadata: {},
  created: Date.parse('2025-11-30T12:00:00Z'),
  revision: 4,
};

export const mandateExample = mandateToWire(mandate);
export const canceledMandate = mandateToWire({
  ...mandate,
  status: 'canceled',
  nextPaymentAt: null,
  debitRequests: [{ ...request, status: 'canceled' }],
  canceledAt: Date.parse('2025-12-02T08:00:00Z'),
  cancellationSource: 'merchant',
  revision: 5,
});
export const mandateList = { object: 'list' as const, url: '/v1/mandates', has_more: false, data: [mandateExample] };
export const debitRequestParams = { amount: '2500000' };
