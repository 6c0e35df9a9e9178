/** GET /v1/payment_intents: newest first, keyset pages, filters. */
import { beforeAll, describe, expect, it } from 'vitest';
import { createIntent, createMerchant, get, post, type TestMerchant } from '../helpers.js';

let m: TestMerchant;
let ids: string[] = [];
beforeAll(async () => {
  m = await createMerchant('Lister');
  // Seven intents, oldest first; two for a customer, two succeeded.
  for (let i = 0; i < 7; i++) {
    const { body } = await createIntent(m.keys.test.secret, { amount: 100 + i, ...(i < 2 ? { customer: 'cus_list' } : {}) });
    ids.push(body.id);
  }
  for (const id of ids.slice(5)) await post(m.keys.test.secret, `/v1/payment_intents/${id}/confirm`, { payment_method: 'pm_card_visa' });
  ids = ids.reverse(); // newest first, as lists answer
});

const list = async (query = '') => (await get(m.keys.test.secret, `/v1/payment_intents${query}`)).body;

describe('list', () => {
  it('returns a Stripe list object, newest first, 10 by default', async () => {
    const body = await list();
    expect(body).toMatchObject({ object: 'list', url: '/v1/payment_intents', has_more: false });
    expect(body.data.map((i: any) => i.id)).toEqual(ids);
    expect(body.data[0]).toMatchObject({ object: 'payment_intent', client_secret: expect.stringMatching(/_secret_/) });
  });

  it('pages forward with starting_after and back with ending_before, without gaps or repeats', async () => {
    const first = await list('?limit=3');
    expect(first.has_more).toBe(true);
    expect(first.data.map((i: any) => i.id)).toEqual(ids.slice(0, 3));
    const second = await list(`?limit=3&starting_after=${first.data[2].id}`);
    expect(second.data.map((i: any) => i.id)).toEqual(ids.slice(3, 6));
    expect(second.has_more).toBe(true);
    const third = await list(`?limit=3&starting_after=${second.data[2].id}`);
    expect(third.data.map((i: any) => i.id)).toEqual(ids.slice(6));
    expect(third.has_more).toBe(false);

    const back = await list(`?limit=2&ending_before=${third.data[0].id}`);
    expect(back.data.map((i: any) => i.id)).toEqual(ids.slice(4, 6));
    expect(back.has_more).toBe(true);
    const front = await list(`?limit=5&ending_before=${ids[2]}`);
    expect(front.data.map((i: any) => i.id)).toEqual(ids.slice(0, 2));
    expect(front.has_more).toBe(false);
  });

  it('filters by status and customer', async () => {
    const succeeded = await list('?status=succeeded');
    expect(succeeded.data.map((i: any) => i.id)).toEqual(ids.slice(0, 2));
    const customer = await list('?customer=cus_list');
    expect(customer.data.map((i: any) => i.id)).toEqual(ids.slice(5));
    expect(customer.data.every((i: any) => i.customer === 'cus_list')).toBe(true);
  });

  it('filters by created range in Unix seconds', async () => {
    const newest = (await list('?limit=1')).data[0];
    const now = Math.floor(Date.now() / 1000);
    expect((await list(`?created[gt]=${now + 60}`)).data).toEqual([]);
    expect((await list(`?created[lte]=${now}&limit=100`)).data).toHaveLength(7);
    expect((await list(`?created[gte]=${newest.created}&limit=100`)).data.map((i: any) => i.id)).toContain(newest.id);
    expect((await list(`?created[lt]=${newest.created - 3600}`)).data).toEqual([]);
  });
});
