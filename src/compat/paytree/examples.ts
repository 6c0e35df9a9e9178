/** The examples of this family's API description: the requests of 001_… and what this service answers. */
import type { z } from '@hono/zod-openapi';
import type { CreateBody, CreateResponse, PaginatedList, PaymentIntentResponse } from './schemas.js';
import { ROUTES } from './wire.js';

const ID = 'pi_01JD3R0F5Q7X8Z9aBcDeFgHiJk';
const LINK = `https://pay.example.com/pay/${ID}?client_secret=${ID}_secret_3kQ9vXcR2mNpL8sTw4YzAb6D`;

export const CREATE_EXAMPLE: z.input<typeof CreateBody> = {
  transaction_ref: 'ORDER-10025',
  client_ref: 'customer-4471',
  amount: '25.50',
  amount_currency: 'EUR',
  method: 'card',
  customer: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com', phone: '+442071234567' },
  address: { street: '12 St James`s Square', city: 'London', zip: 'SW1Y 4JH', country: 'GB' },
  session: { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)' },
  callback: {
    return_url: 'https://shop.example.com/orders/10025/done',
    cancel_url: 'https://shop.example.com/orders/10025/cart',
    notification_url: 'https://shop.example.com/hooks/paytree',
  },
  order_items: [{ name: 'Notebook', description: 'A5, dotted', quantity: 2, unit_price: '12.75', sku: 'NB-A5-DOT' }],
  metadata: { channel: 'web' },
};

export const CREATE_RESPONSE_EXAMPLE: z.input<typeof CreateResponse> = { id: ID, client_ref: 'customer-4471', payment_link: LINK };

export const RETRIEVE_EXAMPLE: z.input<typeof PaymentIntentResponse> = {
  id: ID,
  username: 'acct_1Qa2Bc3De4Fg5Hi6',
  transaction_ref: 'ORDER-10025',
  client_ref: 'customer-4471',
  first_name: 'Ada',
  last_name: 'Lovelace',
  email: 'ada@example.com',
  phone: '+442071234567',
  address: '12 St James`s Square, London, SW1Y 4JH, GB',
  amount: '25.50',
  currency: 'EUR',
  base_amount: '25.50',
  base_currency: 'EUR',
  method: 'card',
  payment_link: LINK,
  payment: [
    {
      id: 'ch_01JD3R2K8M0N1P2q3R4s5T6u7V',
      amount: '25.50',
      currency: 'EUR',
      base_amount: '25.50',
      base_currency: 'EUR',
      fee: '0.00',
      refunded: '5.00',
      status: 'partial_refunded',
      refund: [
        {
          id: 're_01JD3R5W2X3Y4z5A6b7C8d9E0f',
          amount: '5.00',
          currency: 'EUR',
          payment: 'ch_01JD3R2K8M0N1P2q3R4s5T6u7V',
          gateway_id: 're_01JD3R5W2X3Y4z5A6b7C8d9E0f',
          created: '2026-11-30T21:04:11.000Z',
        },
      ],
      created: '2026-11-30T21:02:40.000Z',
    },
  ],
  actions: null,
  metadata: { channel: 'web' },
  order_items: [{ name: 'Notebook', description: 'A5, dotted', quantity: 2, unit_price: '12.75', sku: 'NB-A5-DOT' }],
  route_id: ROUTES.test.id,
  route_name: ROUTES.test.name,
  created: '2026-11-30T21:01:58.000Z',
};

export const LIST_EXAMPLE: z.input<typeof PaginatedList> = {
  count: 21,
  next: 'https://pay.example.com/paytree/v1/transaction/payment_intent/?page=2',
  previous: null,
  results: [RETRIEVE_EXAMPLE],
};
