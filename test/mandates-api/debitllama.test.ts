/**
 * The wire of 002_… (DebitLlama's /api/v1) over the mandates read model: PaymentIntent_ApiV1 as the
 * reference types it (integer ids, the account, the network without any secret RPC URL, the debit
 * item with its count, amounts past 2^53 as digit strings, UTC dates), every sort_by of the file in
 * both directions with ties, each filter field, junk filters and unknown sorts refused by name in
 * DebitLlama's envelope, pages to the end, the access token (a secret key; its mode), and another
 * merchant's rows never appearing. Mandates are written as their object projects them (factory.ts).
 */
import { env } from 'cloudflare:workers';
import { getAddress } from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, createMerchant, type TestMerchant } from '../helpers.js';
import { aDebitItem, aMandate, mandateFor, PAYER, project } from './factory.js';

const PAYEE_B = getAddress('0x90f79bf6eb2c4f870365e785982e1f101e93b906');
const T0 = Date.parse('2026-03-01T00:00:00Z');
const S = 1000;

async function v1(key: string | null, path: string) {
  const res = await call(path, key === null ? {} : { key });
  const text = await res.text();
  return { res, text, body: JSON.parse(text) as any };
}

async function ok(key: string, path: string) {
  const got = await v1(key, path);
  expect(got.res.status, got.text).toBe(200);
  return got.body;
}

async function refused(key: string | null, path: string, status: number) {
  const { res, body, text } = await v1(key, path);
  expect(res.status, text).toBe(status);
  expect(Object.keys(body).sort()).toEqual(['_description', '_links', '_self', '_version', 'error']);
  expect(body._version).toBe('v1');
  expect(body.error).toMatchObject({ status, message: expect.any(String), timestamp: expect.stringMatching(/GMT$/) });
  return body.error;
}

const q = (params: Record<string, unknown>) =>
  `?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString()}`;

let m: TestMerchant;
let sk: string;
let items: { a: any; b: any; c: any };
let all: any[]; // the merchant's payment intents, as the API answers them

beforeAll(async () => {
  m = await createMerchant('DebitLlama wire');
  sk = m.keys.test.secret;
  items = {
    a: await aDebitItem(m, { max_price: 1_000_000, debit_times: 12, debit_interval: 1 }),
    b: await aDebitItem(m, {
      token: 'eth',
      pricing: 'dynamic',
      payee_address: PAYEE_B,
      max_price: '10000000000000000000000',
      debit_times: 3,
      debit_interval: 7,
    }),
    c: await aDebitItem(m, { max_price: 1_000_000, debit_times: 12, debit_interval: 30 }),
  };
  // Ties on purpose: created (the same second), amounts, gas, dates, statuses.
  const specs = [
    { item: items.a, created: T0, status: 'created', estimatedGas: null, lastPaymentAt: null, nextPaymentAt: T0 + 100 * S },
    { item: items.a, created: T0 + S, status: 'recurring', estimatedGas: 61_000n, lastPaymentAt: T0 + 5 * S, nextPaymentAt: T0 + 90 * S },
    {
      item: items.b,
      created: T0 + S,
      status: 'recurring',
      estimatedGas: 9_000_000_000_000_001n,
      lastPaymentAt: T0 + 5 * S,
      nextPaymentAt: null,
    },
    {
      item: items.b,
      created: T0 + 2 * S,
      status: 'account_balance_too_low',
      estimatedGas: 61_000n,
      lastPaymentAt: null,
      nextPaymentAt: T0 + 90 * S,
    },
    { item: items.c, created: T0 + 3 * S, status: 'paid', estimatedGas: 700n, lastPaymentAt: T0 + 9 * S, nextPaymentAt: null },
    { item: items.c, created: T0 + 3 * S, status: 'canceled', estimatedGas: null, lastPaymentAt: null, nextPaymentAt: null },
    { item: items.a, created: T0 + 4 * S, status: 'registering', estimatedGas: 61_000n, lastPaymentAt: null, nextPaymentAt: T0 + 100 * S },
  ] as const;
  for (const [i, spec] of specs.entries()) {
    const { item, ...overrides } = spec;
    await project(
      m,
      await mandateFor(m, item, {
        ...overrides,
        used: i % 3,
        accountType: i === 6 ? 'virtual_account' : 'connected_wallet',
        accountBalance: BigInt(1000 + i),
        balanceReadAt: T0 + i * S,
        failedDynamicPaymentAmount: i === 3 ? 9_007_199_254_740_993n : 0n,
      }),
    );
  }
  // Another merchant's and the live mode's never show.
  await aMandate(await createMerchant('Someone else'));
  await project(m, await mandateFor(m, items.a, { livemode: true }));
  all = (await ok(sk, `/api/v1/payment_intents${q({ page_size: '100' })}`)).paymentIntents;
});

describe('GET /api/v1/payment_intents', () => {
  it('answers PaymentIntent_ApiV1 objects exactly as the reference types them', async () => {
    expect(all).toHaveLength(7);
    const body = await ok(sk, '/api/v1/payment_intents');
    expect(body).toMatchObject({
      _version: 'v1',
      _self: { href: '/api/v1/payment_intents' },
      filter: [],
      availableFilters: expect.any(Array),
    });
    expect(body.pagination).toEqual({
      current_page: 0,
      total_pages: 1,
      page_size: 10,
      sort_by: 'created_at',
      sort_direction: 'DESC',
      sortable_columns: [
        'created_at',
        'payee_address',
        'max_debit_amount',
        'debit_times',
        'debit_interval',
        'payment_intent',
        'status_text',
        'estimated_gas',
        'last_payment_date',
        'next_payment_date',
        'pricing',
        'currency',
        'debit_item_id',
      ],
    });
    const low = all.find((pi) => pi.status_text === 'ACCOUNTBALANCETOOLOW');
    expect(Object.keys(low).sort()).toEqual(
      [
        'id',
        'created_at',
        'account',
        'payee_address',
        'max_debit_amount',
        'debit_times',
        'debit_interval',
        'payment_intent',
        'commitment',
        'estimated_gas',
        'status_text',
        'last_payment_date',
        'next_payment_date',
        'pricing',
        'currency',
        'network',
        'debit_item',
        'used_for',
        'transactions_left',
        'failed_dynamic_payment_amount',
      ].sort(),
    );
    expect(low).toMatchObject({
      id: expect.any(Number),
      created_at: new Date(T0 + 2 * S).toUTCString(),
      payee_address: PAYEE_B,
      max_debit_amount: '10000000000000000000000',
      debit_times: 3,
      debit_interval: 7,
      payment_intent: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      estimated_gas: '61000',
      last_payment_date: null,
      next_payment_date: new Date(T0 + 90 * S).toUTCString(),
      pricing: 'Dynamic',
      currency: { name: 'ETH', native: true, contractAddress: '' },
      used_for: 0,
      transactions_left: 3,
      failed_dynamic_payment_amount: '9007199254740993',
    });
    expect(low.network).toMatchObject({ name: 'testnet', rpc: null, chain_id: '0x7a6c', currency: 'ETH' });
    expect(low.network.available_currencies).toEqual(
      expect.arrayContaining([
        { name: 'ETH', native: true, contractAddress: '' },
        expect.objectContaining({ name: 'USDC', native: false }),
      ]),
    );
    expect(low.debit_item).toMatchObject({
      id: expect.any(Number),
      button_id: items.b.button_id,
      max_price: '10000000000000000000000',
      debit_interval: 7,
      pricing: 'Dynamic',
      deleted: false,
      payment_intents_count: 2,
    });
    expect(low.account).toMatchObject({
      id: expect.any(Number),
      commitment: low.commitment,
      account_type: 'CONNECTEDWALLET',
      creator_address: PAYER,
      closed: false,
      balance: expect.stringMatching(/^\d+$/),
    });
    expect(new Set(all.map((pi) => pi.id)).size).toBe(7);
  });

  it('never shows an RPC URL of CHAINS: rpc is null unless a public one is configured', async () => {
    const chains = JSON.parse(env.CHAINS) as Record<string, { rpcUrls: string[] }>;
    const text = (await v1(sk, `/api/v1/payment_intents${q({ page_size: '100' })}`)).text;
    for (const url of Object.values(chains).flatMap((c) => c.rpcUrls)) expect(text).not.toContain(url);
    expect(text).not.toMatch(/127\.0\.0\.1|localhost/);
  });

  type Pi = Record<string, any>;
  const big = (s: string | null) => (s === null || s === '' ? null : BigInt(s));
  const date = (s: string | null) => (s === null ? null : Date.parse(s));
  const KEYS: Record<string, (pi: Pi) => (string | number | bigint | null)[]> = {
    created_at: (pi) => [date(pi.created_at)],
    payee_address: (pi) => [pi.payee_address.toLowerCase()],
    max_debit_amount: (pi) => [big(pi.max_debit_amount)],
    debit_times: (pi) => [pi.debit_times],
    debit_interval: (pi) => [pi.debit_interval],
    payment_intent: (pi) => [pi.payment_intent],
    status_text: (pi) => [pi.status_text],
    estimated_gas: (pi) => [big(pi.estimated_gas)],
    last_payment_date: (pi) => [date(pi.last_payment_date)],
    next_payment_date: (pi) => [date(pi.next_payment_date)],
    pricing: (pi) => [pi.pricing.toLowerCase()],
    currency: (pi) => [
      pi.currency.name.toLowerCase(),
      pi.currency.contractAddress === '' ? null : pi.currency.contractAddress.toLowerCase(),
    ],
    debit_item_id: (pi) => [pi.debit_item.id],
  };
  /** SQLite's order: null first, then numbers, then text; ties broken by the integer id in the same direction. */
  function compare(a: (string | number | bigint | null)[], b: (string | number | bigint | null)[]): number {
    for (let i = 0; i < a.length; i++) {
      const [x, y] = [a[i] ?? null, b[i] ?? null];
      if (x === y) continue;
      if (x === null) return -1;
      if (y === null) return 1;
      return x < y ? -1 : 1;
    }
    return 0;
  }

  it.each(Object.keys(KEYS).flatMap((key) => [[key, 'ASC'] as const, [key, 'DESC'] as const]))(
    'sorts by %s %s, ties by id, in the same order across pages',
    async (key, direction) => {
      const expected = [...all]
        .sort((a, b) => compare([...KEYS[key]!(a), a.id], [...KEYS[key]!(b), b.id]) * (direction === 'ASC' ? 1 : -1))
        .map((pi) => pi.id);
      const whole = await ok(sk, `/api/v1/payment_intents${q({ sort_by: key, sort_direction: direction, page_size: '100' })}`);
      expect(whole.paymentIntents.map((pi: Pi) => pi.id)).toEqual(expected);
      expect(whole.pagination).toMatchObject({ sort_by: key, sort_direction: direction });
      const paged: number[] = [];
      for (let page = 0; page < 3; page++) {
        const body = await ok(
          sk,
          `/api/v1/payment_intents${q({ sort_by: key, sort_direction: direction, page_size: '3', current_page: String(page) })}`,
        );
        expect(body.pagination.total_pages).toBe(3);
        paged.push(...body.paymentIntents.map((pi: Pi) => pi.id));
      }
      expect(paged).toEqual(expected);
    },
  );

  it('pages to the end: past the last page is empty, total_pages counts them', async () => {
    const last = await ok(sk, `/api/v1/payment_intents${q({ page_size: '3', current_page: '2' })}`);
    expect(last.paymentIntents).toHaveLength(1);
    const past = await ok(sk, `/api/v1/payment_intents${q({ page_size: '3', current_page: '3' })}`);
    expect(past.paymentIntents).toEqual([]);
    expect(past.pagination).toMatchObject({ current_page: 3, total_pages: 3 });
  });

  const ids = (list: Pi[]) => list.map((pi) => pi.id).sort((a, b) => a - b);
  const where = (test: (pi: Pi) => boolean) => ids(all.filter(test));
  const filtered = async (filter: unknown) =>
    ids(
      (
        await ok(
          sk,
          `/api/v1/payment_intents${q({ page_size: '100', filter: typeof filter === 'string' ? filter : JSON.stringify(filter) })}`,
        )
      ).paymentIntents,
    );

  it.each([
    ['payee_address (any case)', { payee_address: PAYEE_B.toLowerCase() }, (pi: Pi) => pi.payee_address === PAYEE_B],
    ['payee_address (checksummed)', { payee_address: PAYEE_B }, (pi: Pi) => pi.payee_address === PAYEE_B],
    [
      'max_debit_amount past 2^53',
      { max_debit_amount: '10000000000000000000000' },
      (pi: Pi) => pi.max_debit_amount === '10000000000000000000000',
    ],
    ['max_debit_amount as a number', { max_debit_amount: 1000000 }, (pi: Pi) => pi.max_debit_amount === '1000000'],
    ['debit_times', { debit_times: 3 }, (pi: Pi) => pi.debit_times === 3],
    ['debit_interval (days)', { debit_interval: 30 }, (pi: Pi) => pi.debit_interval === 30],
    ['status_text', { status_text: 'RECURRING' }, (pi: Pi) => pi.status_text === 'RECURRING'],
    ['status_text CREATED (registering too)', { status_text: 'CREATED' }, (pi: Pi) => pi.status_text === 'CREATED'],
    ['pricing', { pricing: 'Fixed' }, (pi: Pi) => pi.pricing === 'Fixed'],
    [
      'currency (a JSON string, native)',
      { currency: JSON.stringify({ name: 'ETH', native: true, contractAddress: '' }) },
      (pi: Pi) => pi.currency.native,
    ],
    ['two fields at once', { pricing: 'Fixed', debit_interval: 1 }, (pi: Pi) => pi.pricing === 'Fixed' && pi.debit_interval === 1],
  ])('filters by %s', async (_name, filter, test) => {
    const expected = where(test);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.length);
    expect(await filtered(filter)).toEqual(expected);
  });

  it('filters by currency (a token, by its contract) and by debit_item_id', async () => {
    const usdc = all.find((pi) => !pi.currency.native)!.currency;
    expect(await filtered({ currency: JSON.stringify(usdc) })).toEqual(where((pi) => !pi.currency.native));
    const itemId = all.find((pi) => pi.debit_item.button_id === items.c.button_id)!.debit_item.id;
    expect(await filtered({ debit_item_id: itemId })).toEqual(where((pi) => pi.debit_item.id === itemId));
    expect(await filtered({ debit_item_id: 999_999_999 })).toEqual([]);
  });

  it('says which filters it applied', async () => {
    const body = await ok(sk, `/api/v1/payment_intents${q({ filter: JSON.stringify({ debit_times: 3, pricing: 'Dynamic' }) })}`);
    expect(body.filter).toEqual([
      { parameter: 'debit_times', value: 3 },
      { parameter: 'pricing', value: 'Dynamic' },
    ]);
  });

  it.each([
    ['not JSON', '{debit_times: 3', 'filter'],
    ['a JSON array', '[1]', 'filter'],
    ['JSON null', 'null', 'filter'],
    ['an unknown field', JSON.stringify({ amount: 5 }), 'filter.amount'],
    ['payee_address not an address', JSON.stringify({ payee_address: '0x123' }), 'filter.payee_address'],
    ['max_debit_amount a float', JSON.stringify({ max_debit_amount: '1.5' }), 'filter.max_debit_amount'],
    ['debit_times a boolean', JSON.stringify({ debit_times: true }), 'filter.debit_times'],
    ['debit_interval an object', JSON.stringify({ debit_interval: {} }), 'filter.debit_interval'],
    ['status_text unknown', JSON.stringify({ status_text: 'ACTIVE' }), 'filter.status_text'],
    ['pricing lowercase', JSON.stringify({ pricing: 'fixed' }), 'filter.pricing'],
    ['currency not JSON', JSON.stringify({ currency: 'USDC' }), 'filter.currency'],
    ['currency without native', JSON.stringify({ currency: JSON.stringify({ name: 'USDC', contractAddress: '' }) }), 'filter.currency'],
    ['debit_item_id a string of letters', JSON.stringify({ debit_item_id: 'abc' }), 'filter.debit_item_id'],
  ])('refuses a filter that is %s, naming %s', async (_name, filter, parameter) => {
    const error = await refused(sk, `/api/v1/payment_intents${q({ filter })}`, 400);
    expect(error.parameter).toBe(parameter);
    expect(error.message).toContain(parameter);
  });

  it.each([
    [{ sort_by: 'amount' }, 'sort_by'],
    [{ sort_by: 'constructor' }, 'sort_by'],
    [{ sort_direction: 'asc' }, 'sort_direction'],
    [{ page_size: '0' }, 'page_size'],
    [{ page_size: '101' }, 'page_size'],
    [{ current_page: '-1' }, 'current_page'],
    [{ current_page: 'x' }, 'current_page'],
    [{ order: 'id' }, 'order'],
  ])('refuses %j with a 400 naming it', async (params, parameter) => {
    const error = await refused(sk, `/api/v1/payment_intents${q(params)}`, 400);
    expect(error.parameter).toBe(parameter);
  });

  it('takes the secret key as the access token: none, unknown, publishable or malformed is a 401; the live key sees live mode only', async () => {
    expect((await refused(null, '/api/v1/payment_intents', 401)).message).toBe('Missing Authorization Header');
    for (const token of [`sk_test_${'Q'.repeat(32)}`, m.keys.test.publishable, 'debitllama.APIv1_x']) {
      const error = await refused(token, '/api/v1/payment_intents', 401);
      expect(JSON.stringify(error)).not.toContain(token);
    }
    const junk = await call('/api/v1/payment_intents', { headers: { Authorization: 'Token abc' } });
    expect(junk.status).toBe(401);
    const live = await ok(m.keys.live.secret, '/api/v1/payment_intents');
    expect(live.paymentIntents).toHaveLength(1);
    expect(live.paymentIntents[0].id).not.toBeOneOf(all.map((pi) => pi.id));
  });

  it("never shows another merchant's rows (a fresh merchant sees none)", async () => {
    const fresh = await createMerchant('Nothing yet');
    const body = await ok(fresh.keys.test.secret, '/api/v1/payment_intents');
    expect(body.paymentIntents).toEqual([]);
    expect(body.pagination.total_pages).toBe(1);
  });
});

describe('GET /api/v1/payment_intents/{payment_intent}', () => {
  it('answers one by its on-chain id, with its latest dynamic payment request ([] when none)', async () => {
    const pi = all[0];
    const body = await ok(sk, `/api/v1/payment_intents/${pi.payment_intent}?role=merchant`);
    expect(body.paymentIntent).toEqual(pi);
    expect(body.dynamicPaymentRequest).toEqual([]);
  });

  it("is a 404 for an unknown id and another merchant's, and refuses role=customer", async () => {
    const pi = all[0];
    const other = await createMerchant('Not the payee');
    expect((await refused(other.keys.test.secret, `/api/v1/payment_intents/${pi.payment_intent}`, 404)).parameter).toBe('payment_intent');
    expect((await refused(sk, `/api/v1/payment_intents/0x${'0'.repeat(64)}`, 404)).parameter).toBe('payment_intent');
    expect((await refused(sk, `/api/v1/payment_intents/${pi.payment_intent}?role=customer`, 400)).parameter).toBe('role');
  });
});

describe('GET /api/v1/accounts', () => {
  it('lists one account per commitment and contract, with the last balance read, never another merchant`s', async () => {
    const body = await ok(sk, '/api/v1/accounts?page_size=100');
    const expectedAccounts = new Set(all.map((pi) => `${pi.commitment} ${pi.account.account_type}`));
    expect(body.accounts).toHaveLength(expectedAccounts.size);
    for (const account of body.accounts) {
      const mine = all.filter((pi) => pi.commitment === account.commitment && pi.account.account_type === account.account_type);
      expect(account.id).toBe(Math.min(...mine.map((pi) => pi.id)));
      for (const pi of mine) expect(pi.account).toEqual(account);
    }
    const wallet = body.accounts.find((a: any) => a.account_type === 'CONNECTEDWALLET' && a.currency.native);
    // Its mandates are the 3rd and 4th made (balances 1002 and 1003, the 4th read last).
    expect(wallet.balance).toBe('1003');
    const virtual = await ok(sk, `/api/v1/accounts${q({ filter: JSON.stringify({ account_type: 'VIRTUALACCOUNT' }) })}`);
    expect(virtual.accounts.map((a: any) => a.balance)).toEqual(['1006']);
    expect((await refused(sk, `/api/v1/accounts${q({ sort_by: 'balance_due' })}`, 400)).parameter).toBe('sort_by');
  });
});

describe('GET /api/v1/items and /api/v1/items/{button_id}', () => {
  it('lists the debit items with integer ids and counts, sorted and filtered; one by its button id', async () => {
    const byCount = await ok(sk, `/api/v1/items${q({ sort_by: 'payment_intents_count', sort_direction: 'ASC' })}`);
    expect(byCount.items.map((i: any) => i.payment_intents_count)).toEqual([2, 2, 3]);
    const byPrice = await ok(sk, `/api/v1/items${q({ sort_by: 'max_price', sort_direction: 'DESC' })}`);
    expect(byPrice.items[0].max_price).toBe('10000000000000000000000');
    const dynamic = await ok(sk, `/api/v1/items${q({ filter: JSON.stringify({ pricing: 'Dynamic' }) })}`);
    expect(dynamic.items.map((i: any) => i.button_id)).toEqual([items.b.button_id]);
    const one = await ok(sk, `/api/v1/items/${items.a.button_id}`);
    expect(one.item).toMatchObject({ button_id: items.a.button_id, debit_interval: 1, payment_intents_count: 3 });
    expect(one.checkout).toBe(items.a.checkout_url);
    const other = await createMerchant('Not the owner');
    expect((await refused(other.keys.test.secret, `/api/v1/items/${items.a.button_id}`, 404)).parameter).toBe('button_id');
  });
});

describe('the family', () => {
  it('answers an unknown /api/v1 path in its own envelope, and serves its own API description', async () => {
    expect((await refused(sk, '/api/v1/transactions', 404)).message).toContain('/api/v1/transactions');
    const doc = (await (await call('/api/v1/openapi.json')).json()) as any;
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/accounts',
      '/api/v1/items',
      '/api/v1/items/{button_id}',
      '/api/v1/payment_intents',
      '/api/v1/payment_intents/{payment_intent}',
    ]);
    const main = (await (await call('/openapi.json')).json()) as any;
    expect(Object.keys(main.paths).filter((p) => p.startsWith('/api/'))).toEqual([]);
  });
});
