import { describe, expect, it } from 'vitest';
import { createIntent, createMerchant, get, post } from '../helpers.js';

describe('smoke', () => {
  it('creates and confirms', async () => {
    const m = await createMerchant();
    const { res, body } = await createIntent(m.keys.test.secret);
    expect(res.status).toBe(200);
    expect(body.status).toBe('requires_payment_method');
    const confirmed = await post(m.keys.test.secret, `/v1/payment_intents/${body.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(confirmed.body.status).toBe('succeeded');
    const list = await get(m.keys.test.secret, '/v1/payment_intents');
    expect(list.body.data[0].status).toBe('succeeded');
  });
});
