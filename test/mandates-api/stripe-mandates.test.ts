/**
 * /v1/mandates on the canonical API: list (pages to the end both ways, debit_item, status and
 * created filters), retrieve (through the official `stripe` SDK), amounts past 2^53 as digit
 * strings, tenants and modes (another merchant's mandate is a 404 exactly like an unknown one), and
 * the refusals of cancel and debit_requests that the handlers give before the service seam.
 * Mandates are written to the read model as their object projects them (factory.ts).
 */
import { exports } from 'cloudflare:workers';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, get, post, type TestMerchant } from '../helpers.js';
import { aDebitItem, aMandate, mandateFor, mandateId, project } from './factory.js';

let m: TestMerchant;
let sk: string;
let other: TestMerchant;
beforeAll(async () => {
  m = await createMerchant('Mandates API');
  sk = m.keys.test.secret;
  other = await createMerchant('Another merchant');
});

function sdk(key: string): Stripe {
  return new Stripe(key, {
    host: 'pay.test',
    port: 443,
    protocol: 'https',
    maxNetworkRetries: 0,
    httpClient: Stripe.createFetchHttpClient(((url: string, init: RequestInit) =>
      exports.default.fetch(new Request(url, init))) as typeof fetch),
  });
}

async function refusal(res: { res: Response; body: any }, status: number) {
  expect(res.res.status, JSON.stringify(res.body)).toBe(status);
  expect(Object.keys(res.body)).toEqual(['error']);
  return res.body.error;
}

describe('GET /v1/mandates/{id}', () => {
  it('answers the mandate as the read model has it, through the stripe SDK, amounts past 2^53 as digit strings', async () => {
    const item = await aDebitItem(m, { max_price: '340282366920938463463374607431768211455', pricing: 'dynamic' });
    const mandate = await project(
      m,
      await mandateFor(m, item, {
        status: 'recurring',
        used: 2,
        lastPeriod: 2,
        lastPaymentAt: Date.parse('2026-11-30T12:00:00Z'),
        accountBalance: 9_007_199_254_740_993n,
        failedDynamicPaymentAmount: 12n,
      }),
    );
    const got = JSON.parse(JSON.stringify(await sdk(sk).mandates.retrieve(mandate.id)));
    expect(got).toMatchObject({
      id: mandate.id,
      object: 'mandate',
      debit_item: item.id,
      status: 'recurring',
      network: 'testnet',
      max_amount: '340282366920938463463374607431768211455',
      account_balance: '9007199254740993',
      failed_dynamic_payment_amount: 12,
      used: 2,
      transactions_left: 10,
      last_payment_date: Date.parse('2026-11-30T12:00:00Z') / 1000,
      pricing: 'dynamic',
      livemode: false,
    });
    expect(got.onchain_id).toBe(mandate.onchainId);
  });

  it("is a 404 naming id for an unknown id, a malformed one, another merchant's mandate and the live mode's key", async () => {
    const mandate = await aMandate(m);
    const unknown = mandateId();
    const answers = [];
    for (const [key, id] of [
      [sk, unknown],
      [other.keys.test.secret, mandate.id],
      [m.keys.live.secret, mandate.id],
    ] as const) {
      const error = await refusal(await get(key, `/v1/mandates/${id}`), 404);
      expect(error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing', param: 'id' });
      answers.push(error.message.replace(id, '<id>'));
    }
    expect(new Set(answers).size).toBe(1);
    const malformed = await refusal(await get(sk, '/v1/mandates/pi_123'), 404);
    expect(malformed).toMatchObject({ code: 'resource_missing', param: 'id', message: "No such mandate: 'pi_123'" });
  });

  it('refuses a publishable key (403) and no key (401)', async () => {
    const mandate = await aMandate(m);
    expect((await refusal(await get(m.keys.test.publishable, `/v1/mandates/${mandate.id}`), 403)).code).toBe('secret_key_required');
    expect((await refusal(await get('', `/v1/mandates/${mandate.id}`), 401)).code).toBe('api_key_missing');
  });
});

describe('GET /v1/mandates', () => {
  let merchant: TestMerchant;
  let key: string;
  let ids: string[]; // newest first
  let item: any;
  beforeAll(async () => {
    merchant = await createMerchant('Mandates list');
    key = merchant.keys.test.secret;
    item = await aDebitItem(merchant);
    const otherItem = await aDebitItem(merchant, { pricing: 'dynamic' });
    const t0 = Date.parse('2026-06-01T00:00:00Z');
    const made = [];
    // Two pairs share a millisecond: the id breaks the tie.
    const times = [t0, t0 + 1000, t0 + 1000, t0 + 2000, t0 + 3000, t0 + 3000, t0 + 4000];
    for (const [i, created] of times.entries()) {
      const status = (['created', 'recurring', 'canceled'] as const)[i % 3];
      made.push(await project(merchant, await mandateFor(merchant, i % 2 === 0 ? item : otherItem, { created, status })));
    }
    ids = made.sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1)).map((x) => x.id);
    // Another merchant's and the live mode's mandates never show.
    await aMandate(other);
    await project(merchant, await mandateFor(merchant, await aDebitItem(merchant, {}, false), { livemode: true }));
  });

  async function page(query: string) {
    const { res, body } = await get(key, `/v1/mandates${query}`);
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body;
  }

  it('lists newest first (ties by id), paging to the end with starting_after and back with ending_before', async () => {
    const seen: string[] = [];
    let body = await page('?limit=3');
    expect(body).toMatchObject({ object: 'list', url: '/v1/mandates' });
    seen.push(...body.data.map((x: any) => x.id));
    while (body.has_more) {
      body = await page(`?limit=3&starting_after=${seen.at(-1)}`);
      seen.push(...body.data.map((x: any) => x.id));
    }
    expect(seen).toEqual(ids);
    const back = await page(`?limit=3&ending_before=${ids[4]}`);
    expect(back.data.map((x: any) => x.id)).toEqual(ids.slice(1, 4));
    expect(back.has_more).toBe(true);
  });

  it('filters by debit_item, by status and by created', async () => {
    const byItem = await page(`?limit=100&debit_item=${item.id}`);
    expect(byItem.data.map((x: any) => x.debit_item)).toEqual(Array(4).fill(item.id));
    const canceled = await page('?limit=100&status=canceled');
    expect(canceled.data.map((x: any) => x.status)).toEqual(['canceled', 'canceled']);
    const t = Date.parse('2026-06-01T00:00:00Z') / 1000;
    const window = await page(`?limit=100&created[gte]=${t + 1}&created[lt]=${t + 3}`);
    expect(window.data).toHaveLength(3);
    const none = await page(`?limit=100&debit_item=di_${'0'.repeat(24)}`);
    expect(none.data).toEqual([]);
  });

  it('refuses a bad status, limit, debit_item or cursor, naming it', async () => {
    expect(await refusal(await get(key, '/v1/mandates?status=active'), 400)).toMatchObject({ code: 'parameter_invalid', param: 'status' });
    expect(await refusal(await get(key, '/v1/mandates?limit=0'), 400)).toMatchObject({ code: 'parameter_invalid', param: 'limit' });
    expect(await refusal(await get(key, '/v1/mandates?debit_item=pi_1'), 400)).toMatchObject({
      code: 'parameter_invalid',
      param: 'debit_item',
    });
    expect(await refusal(await get(key, `/v1/mandates?starting_after=${mandateId()}`), 404)).toMatchObject({
      code: 'resource_missing',
      param: 'starting_after',
    });
    expect(await refusal(await get(key, '/v1/mandates?sort=created'), 400)).toMatchObject({ code: 'parameter_unknown', param: 'sort' });
  });
});

describe('POST /v1/mandates/{id}/cancel and /debit_requests: refused before the seam', () => {
  it('is a 404 for an id no mandate can have', async () => {
    for (const path of ['/v1/mandates/mdt_short/cancel', '/v1/mandates/di_x/debit_requests']) {
      const error = await refusal(await post(sk, path, path.endsWith('cancel') ? {} : { amount: 5 }), 404);
      expect(error).toMatchObject({ code: 'resource_missing', param: 'id' });
    }
  });

  it.each([
    [{}, 'parameter_missing'],
    [{ amount: 0 }, 'parameter_invalid'],
    [{ amount: -5 }, 'parameter_invalid'],
    [{ amount: 1.5 }, 'parameter_invalid'],
    [{ amount: '12abc' }, 'parameter_invalid'],
    [{ amount: 2 ** 60 }, 'parameter_invalid'],
    [{ amount: '340282366920938463463374607431768211456' }, 'amount_too_large'],
  ])('refuses the debit request %j naming amount (%s)', async (body, code) => {
    const mandate = await aMandate(m, { pricing: 'dynamic' });
    const error = await refusal(await post(sk, `/v1/mandates/${mandate.id}/debit_requests`, body), 400);
    expect(error).toMatchObject({ code, param: 'amount' });
  });

  it('refuses an unknown parameter on cancel, naming it', async () => {
    const mandate = await aMandate(m);
    const error = await refusal(await post(sk, `/v1/mandates/${mandate.id}/cancel`, { reason: 'x' }), 400);
    expect(error).toMatchObject({ code: 'parameter_unknown', param: 'reason' });
  });
});

describe('GET /v1/debit_items/{id}/mandates', () => {
  it("lists the item's mandates only, newest first, with status; another merchant's item or the other mode's is a 404", async () => {
    const item = await aDebitItem(m);
    const first = await project(m, await mandateFor(m, item, { created: Date.parse('2026-07-01T00:00:00Z') }));
    const second = await project(m, await mandateFor(m, item, { created: Date.parse('2026-07-02T00:00:00Z'), status: 'paid' }));
    await aMandate(m); // another item's
    const { res, body } = await get(sk, `/v1/debit_items/${item.id}/mandates?limit=1`);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ object: 'list', url: `/v1/debit_items/${item.id}/mandates`, has_more: true });
    expect(body.data.map((x: any) => x.id)).toEqual([second.id]);
    const next = await get(sk, `/v1/debit_items/${item.id}/mandates?starting_after=${second.id}`);
    expect(next.body.data.map((x: any) => x.id)).toEqual([first.id]);
    const paid = await get(sk, `/v1/debit_items/${item.id}/mandates?status=paid`);
    expect(paid.body.data.map((x: any) => x.id)).toEqual([second.id]);
    for (const key of [other.keys.test.secret, m.keys.live.secret]) {
      expect(await refusal(await get(key, `/v1/debit_items/${item.id}/mandates`), 404)).toMatchObject({
        code: 'resource_missing',
        param: 'id',
      });
    }
  });
});
