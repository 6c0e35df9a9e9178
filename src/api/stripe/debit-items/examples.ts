/**
 * The OpenAPI document's examples for debit items, rendered by the wire function from a fixed item.
 * The request has no metadata: the reference page's curl example cannot spell nested keys.
 */
import type { DebitItem } from '../../../domain/debit-item.js';
import { debitItemToWire } from './wire.js';

const links = { baseUrl: 'https://pay.example.com' };

export const createDebitItemRequest = {
  name: 'Pro plan, monthly',
  network: 'base',
  token: 'usdc',
  payee_address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  max_price: '10000000',
  debit_times: 12,
  debit_interval: 30,
  pricing: 'fixed' as const,
  redirect_url: 'https://shop.example/subscribed',
};

const item: DebitItem = {
  id: 'di_01M66J0B5Cq3Wv8Zk2LmN7pR',
  merchantId: 'acct_01M66HXNY7pNeLV49tbYOI5i',
  livemode: false,
  name: createDebitItemRequest.name,
  network: 'base',
  chainId: 8453,
  token: { symbol: 'usdc', decimals: 6, address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' },
  payeeAddress: createDebitItemRequest.payee_address,
  maxPrice: 10_000_000n,
  debitTimes: 12,
  interval: { unit: 'days', days: 30 },
  pricing: 'fixed',
  redirectUrl: createDebitItemRequest.redirect_url,
  buttonId: 'btn_7Hq2ZkP9xVwR3mN8cL5tY1bJ4dF6gS0a',
  active: true,
  metadata: {},
  created: Date.parse('2026-11-30T12:00:00Z'),
  revision: 1,
};

export const debitItem = debitItemToWire(item, links);
export const updateDebitItemRequest = { name: 'Pro plan, monthly (2027)' };
export const updatedDebitItem = debitItemToWire({ ...item, name: updateDebitItemRequest.name, revision: 2 }, links);
export const deactivatedDebitItem = debitItemToWire({ ...item, active: false, revision: 2 }, links);
export const debitItemList = { object: 'list' as const, url: '/v1/debit_items', has_more: false, data: [debitItem] };
