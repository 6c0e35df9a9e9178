/**
 * GET /v1/payment_intents/search: Stripe's query language over the read model. Exact result sets
 * (by id, newest first) for every field and operator, values that look like SQL matching only
 * themselves, read-after-write, next_page pagination, tenant and mode isolation, and refusals.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createIntent, createMerchant, get, post, type TestMerchant } from '../helpers.js';

const INJECTION = "x' OR '1'='1";
const EVIL_KEY = "'; DROP TABLE payment_intents; --";

interface Spec {
  amount: number;
  currency: string;
  customer?: string;
  metadata?: Record<string, string>;
  capture_method?: 'manual';
  payment_method?: string;
  afterwards?: 'confirm' | 'cancel';
}

/**
 * The fixture, oldest first. Batch 1 and batch 2 are created in different wall-clock seconds so
 * `created` ranges have something to tell apart.
 */
const BATCH_1: Record<string, Spec> = {
  a: { amount: 500, currency: 'usd', customer: 'cus_alice', metadata: { order_id: 'A-100', tier: 'gold', label: 'Big "VIP" order' } },
  b: { amount: 1500, currency: 'eur', customer: 'cus_bob', metadata: { order_id: 'B-200', tier: 'silver' }, afterwards: 'confirm' },
  c: { amount: 2500, currency: 'usd', metadata: { order_id: 'C-300', note: INJECTION }, afterwards: 'cancel' },
};
const BATCH_2: Record<string, Spec> = {
  d: {
    amount: 1000,
    currency: 'gbp',
    customer: 'cus_alice2',
    metadata: { order_id: 'D-400', "it's": 'quoted key' },
    capture_method: 'manual',
    afterwards: 'confirm',
  },
  e: { amount: 3000, currency: 'jpy', payment_method: 'pm_card_visa', metadata: { order_id: 'E-500', [EVIL_KEY]: 'evil' } },
  f: { amount: 1000, currency: 'usd', customer: 'cus_carol', metadata: { note: 'x' } },
  g: {
    amount: 99999,
    currency: 'usd',
    customer: 'cus_bob',
    metadata: { order_id: 'G-700', note: `${INJECTION} and more` },
    afterwards: 'confirm',
  },
};
const EXPECTED_STATUS: Record<string, string> = {
  a: 'requires_payment_method',
  b: 'succeeded',
  c: 'canceled',
  d: 'requires_capture',
  e: 'requires_confirmation',
  f: 'requires_payment_method',
  g: 'succeeded',
};
const LABELS = ['a', 'b', 'c', 'd', 'e', 'f', 'g'] as const;
type Label = (typeof LABELS)[number];

let m: TestMerchant;
const intents = {} as Record<Label, any>;
/** Ids of the given labels, newest first (g is the newest). */
const ids = (...labels: Label[]) => [...labels].sort((x, y) => LABELS.indexOf(y) - LABELS.indexOf(x)).map((l) => intents[l].id);
const ALL = () => ids(...LABELS);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function make(key: string, spec: Spec) {
  const { afterwards, ...params } = spec;
  const { res, body } = await createIntent(key, params);
  if (res.status !== 200) throw new Error(`create failed: ${res.status} ${JSON.stringify(body)}`);
  if (afterwards === 'confirm') {
    const confirmed = await post(key, `/v1/payment_intents/${body.id}/confirm`, { payment_method: 'pm_card_visa' });
    if (confirmed.res.status !== 200) throw new Error(`confirm failed: ${JSON.stringify(confirmed.body)}`);
    return confirmed.body;
  }
  if (afterwards === 'cancel') {
    const canceled = await post(key, `/v1/payment_intents/${body.id}/cancel`);
    if (canceled.res.status !== 200) throw new Error(`cancel failed: ${JSON.stringify(canceled.body)}`);
    return canceled.body;
  }
  return body;
}

async function search(query: string, extra = '', key = m.keys.test.secret) {
  return get(key, `/v1/payment_intents/search?query=${encodeURIComponent(query)}${extra}`);
}

/** Ids of every match, following next_page to the end (so a result set is never cut at a page). */
async function found(query: string, key = m.keys.test.secret): Promise<string[]> {
  const out: string[] = [];
  let page = '';
  for (let i = 0; i < 20; i++) {
    const { res, body } = await search(query, `&limit=100${page}`, key);
    expect(res.status, JSON.stringify(body)).toBe(200);
    out.push(...body.data.map((pi: any) => pi.id));
    if (!body.has_more) return out;
    page = `&page=${encodeURIComponent(body.next_page)}`;
  }
  throw new Error('too many pages');
}

beforeAll(async () => {
  m = await createMerchant('Searcher');
  for (const [label, spec] of Object.entries(BATCH_1)) {
    intents[label as Label] = await make(m.keys.test.secret, spec);
    await sleep(3); // distinct created_at milliseconds: newest-first order is creation order
  }
  // Wait for the next wall-clock second before batch 2.
  const second = Math.floor(Date.now() / 1000);
  while (Math.floor(Date.now() / 1000) === second) await sleep(20);
  for (const [label, spec] of Object.entries(BATCH_2)) {
    intents[label as Label] = await make(m.keys.test.secret, spec);
    await sleep(3);
  }
});

describe('search: fixture', () => {
  it('reached the intended statuses', () => {
    for (const label of LABELS) expect(intents[label].status, label).toBe(EXPECTED_STATUS[label]);
  });
});

describe('search: result object', () => {
  it('answers a Stripe search_result, newest first, 10 per page by default', async () => {
    const { res, body } = await search('amount>0');
    expect(res.status).toBe(200);
    expect(body).toEqual({
      object: 'search_result',
      url: '/v1/payment_intents/search',
      has_more: false,
      next_page: null,
      data: expect.any(Array),
    });
    expect(body.data.map((pi: any) => pi.id)).toEqual(ALL());
    // The found intents are the full payment_intent objects, as retrieve returns them.
    const retrieved = (await get(m.keys.test.secret, `/v1/payment_intents/${intents.a.id}`)).body;
    expect(body.data.find((pi: any) => pi.id === intents.a.id)).toEqual(retrieved);
  });

  it('answers an empty page when nothing matches', async () => {
    const { body } = await search("metadata['order_id']:nope");
    expect(body).toMatchObject({ object: 'search_result', data: [], has_more: false, next_page: null });
  });
});

describe('search: equality on each field', () => {
  it.each<[string, Label[]]>([
    ['amount:1000', ['d', 'f']],
    ['amount:500', ['a']],
    ['amount:"99999"', ['g']],
    ['amount:1', []],
    ['currency:usd', ['a', 'c', 'f', 'g']],
    ['currency:USD', ['a', 'c', 'f', 'g']],
    ['currency:"eur"', ['b']],
    ['currency:jpy', ['e']],
    ['customer:cus_bob', ['b', 'g']],
    ['customer:"cus_alice"', ['a']],
    ['customer:cus_ali', []],
    ['status:succeeded', ['b', 'g']],
    ['status:canceled', ['c']],
    ['status:requires_capture', ['d']],
    ['status:requires_confirmation', ['e']],
    ['status:requires_payment_method', ['a', 'f']],
    ['status:processing', []],
    ["metadata['order_id']:'B-200'", ['b']],
    ['metadata["order_id"]:"B-200"', ['b']],
    ["metadata['order_id']:B-200", ['b']],
    ["metadata['order_id']:b-200", []],
    ["metadata['tier']:gold", ['a']],
    [String.raw`metadata['label']:"Big \"VIP\" order"`, ['a']],
    [`metadata['label']:'Big "VIP" order'`, ['a']],
    ["metadata['label']:Big", []],
    ["metadata['missing']:x", []],
  ])('%s', async (query, expected) => {
    expect(await found(query)).toEqual(ids(...expected));
  });
});

describe('search: numeric ranges on amount', () => {
  it.each<[string, Label[]]>([
    ['amount>1000', ['b', 'c', 'e', 'g']],
    ['amount>=1000', ['b', 'c', 'd', 'e', 'f', 'g']],
    ['amount<1000', ['a']],
    ['amount<=1000', ['a', 'd', 'f']],
    ['amount>=1000 amount<3000', ['b', 'c', 'd', 'f']],
    ['amount>=1000 AND amount<=2500', ['b', 'c', 'd', 'f']],
    ['amount>500 AND amount<1500', ['d', 'f']],
    ['amount>99999', []],
    ['amount>999999999999999', []],
    ['amount<1000 OR amount>3000', ['a', 'g']],
  ])('%s', async (query, expected) => {
    expect(await found(query)).toEqual(ids(...expected));
  });
});

describe('search: created ranges (Unix seconds)', () => {
  it('matches by the wire `created` second, with every operator', async () => {
    const first = intents.a.created as number; // batch 1
    const split = intents.d.created as number; // first of batch 2
    expect(split).toBeGreaterThan(first);
    const at = (pred: (t: number) => boolean) => ids(...LABELS.filter((l) => pred(intents[l].created)));
    const cases: [string, string[]][] = [
      [`created:${split}`, at((t) => t === split)],
      [`created>${split}`, at((t) => t > split)],
      [`created>=${split}`, at((t) => t >= split)],
      [`created<${split}`, at((t) => t < split)],
      [`created<=${split}`, at((t) => t <= split)],
      [`created>=${first} created<${split}`, at((t) => t >= first && t < split)],
      [`-created<${split}`, at((t) => t >= split)],
      [`created:${first} OR created:${split}`, at((t) => t === first || t === split)],
    ];
    // Sanity: batch 1 was created in earlier seconds than all of batch 2.
    expect(at((t) => t < split)).toEqual(ids('a', 'b', 'c'));
    expect(at((t) => t >= split)).toEqual(ids('d', 'e', 'f', 'g'));
    for (const [query, expected] of cases) expect(await found(query), query).toEqual(expected);
  });

  it('finds nothing before the epoch of the fixture or in the future', async () => {
    expect(await found(`created<${intents.a.created}`)).toEqual([]);
    expect(await found(`created>${Math.floor(Date.now() / 1000) + 3600}`)).toEqual([]);
    expect(await found(`created>${intents.a.created - 1}`)).toEqual(ALL());
  });

  it('does not fail on a very large created value', async () => {
    expect(await found('created<999999999999999')).toEqual(ALL());
    expect(await found('created>999999999999999')).toEqual([]);
  });
});

describe('search: negation', () => {
  it.each<[string, Label[]]>([
    ['-status:succeeded', ['a', 'c', 'd', 'e', 'f']],
    ['-currency:usd', ['b', 'd', 'e']],
    ['-amount>1000', ['a', 'd', 'f']],
    // Intents without a customer (c, e) are not cus_alice: they are included.
    ['-customer:cus_alice', ['b', 'c', 'd', 'e', 'f', 'g']],
    ['-customer~alice', ['b', 'c', 'e', 'f', 'g']],
    ['-customer~cus', ['c', 'e']],
    // Likewise intents without the metadata key.
    ["-metadata['tier']:gold", ['b', 'c', 'd', 'e', 'f', 'g']],
    ["-metadata['note']~\"x' OR\"", ['a', 'b', 'd', 'e', 'f']],
    ['-status:succeeded -status:canceled currency:usd', ['a', 'f']],
    ['-customer:cus_bob OR status:succeeded', ['a', 'b', 'c', 'd', 'e', 'f', 'g']],
  ])('%s', async (query, expected) => {
    expect(await found(query)).toEqual(ids(...expected));
  });
});

describe('search: substring (~)', () => {
  it.each<[string, Label[]]>([
    ['customer~alice', ['a', 'd']],
    ['customer~cus_', ['a', 'b', 'd', 'f', 'g']],
    ['customer~bob', ['b', 'g']],
    ['customer~"ice2"', ['d']],
    ["metadata['order_id']~'-30'", ['c']],
    ["metadata['order_id']~400", ['d']],
    ["metadata['order_id']~'B-2'", ['b']],
    ["metadata['tier']~ilv", ['b']],
    [`metadata['label']~"VIP"`, ['a']],
    [`metadata['label']~'"VIP" or'`, ['a']],
    [`metadata['note']~"OR '1'"`, ['c', 'g']],
    ["metadata['note']~'and more'", ['g']],
    ['status~requires', ['a', 'd', 'e', 'f']],
    ['currency~USD', ['a', 'c', 'f', 'g']],
  ])('%s', async (query, expected) => {
    expect(await found(query)).toEqual(ids(...expected));
  });

  it('treats % and _ literally (not as LIKE wildcards)', async () => {
    expect(await found('customer~"c%s"')).toEqual([]);
    expect(await found('customer~"c_s"')).toEqual([]);
    expect(await found('customer~"s%b"')).toEqual([]);
    expect(await found('customer~"s_b"')).toEqual(ids('b', 'g'));
  });
});

describe('search: OR and AND', () => {
  it.each<[string, Label[]]>([
    ['customer:cus_bob OR currency:jpy', ['b', 'e', 'g']],
    ['status:canceled OR status:requires_capture OR amount:500', ['a', 'c', 'd']],
    ["metadata['order_id']:A-100 OR metadata['order_id']:E-500", ['a', 'e']],
    ['currency:usd amount>=1000', ['c', 'f', 'g']],
    ['currency:usd AND amount>=1000 AND -status:canceled', ['f', 'g']],
    ['customer:cus_bob status:succeeded currency:eur', ['b']],
    ['customer:cus_bob AND customer:cus_alice', []],
  ])('%s', async (query, expected) => {
    expect(await found(query)).toEqual(ids(...expected));
  });
});

describe('search: values and keys that look like SQL are bound, never spliced', () => {
  it.each<[string, Label[]]>([
    [`metadata['note']:"${INJECTION}"`, ['c']],
    [String.raw`metadata['note']:'x\' OR \'1\'=\'1'`, ['c']],
    [`metadata['note']:"x' OR 1=1 --"`, []],
    [`customer:"${INJECTION}"`, []],
    [`customer:"' OR customer IS NULL OR '"`, []],
    [`currency:"usd' OR '1'='1"`, []],
    [`status~"' OR 1=1 --"`, []],
    [`metadata["${EVIL_KEY}"]:evil`, ['e']],
    [`metadata["order_id') OR 1=1 --"]:x`, []],
    [`metadata["order_id"]:"A-100') OR ('1'='1"`, []],
    [`metadata["note"]:"x"`, ['f']],
  ])('%s', async (query, expected) => {
    expect(await found(query)).toEqual(ids(...expected));
  });

  it('metadata keys containing quotes match exactly', async () => {
    expect(await found(String.raw`metadata['it\'s']:'quoted key'`)).toEqual(ids('d'));
    expect(await found(`metadata["it's"]:"quoted key"`)).toEqual(ids('d'));
    expect(await found(`metadata["it's"]~quoted`)).toEqual(ids('d'));
    expect(await found(`metadata["its"]:"quoted key"`)).toEqual([]);
  });

  it('the table is intact afterwards', async () => {
    expect(await found('amount>0')).toEqual(ALL());
  });
});

describe('search: pagination', () => {
  it('follows next_page with limit=2 until has_more is false, without repeats or gaps', async () => {
    const seen: string[] = [];
    const pages: number[] = [];
    let page: string | undefined;
    for (let i = 0; i < 10; i++) {
      const { res, body } = await search('amount>0', `&limit=2${page ? `&page=${encodeURIComponent(page)}` : ''}`);
      expect(res.status).toBe(200);
      pages.push(body.data.length);
      seen.push(...body.data.map((pi: any) => pi.id));
      if (!body.has_more) {
        expect(body.next_page).toBeNull();
        break;
      }
      expect(body.next_page).toEqual(expect.any(String));
      expect(body.next_page).toMatch(/^[A-Za-z0-9_-]+$/);
      page = body.next_page;
    }
    expect(pages).toEqual([2, 2, 2, 1]);
    expect(seen).toEqual(ALL());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('has_more is false and next_page null when the last page is exactly full', async () => {
    const first = await search('currency:usd', '&limit=2');
    expect(first.body).toMatchObject({ has_more: true, next_page: expect.any(String) });
    const second = await search('currency:usd', `&limit=2&page=${encodeURIComponent(first.body.next_page)}`);
    expect(second.body).toMatchObject({ has_more: false, next_page: null });
    expect([...first.body.data, ...second.body.data].map((pi: any) => pi.id)).toEqual(ids('a', 'c', 'f', 'g'));
  });

  it('pages with limit=1 over an OR query', async () => {
    const seen: string[] = [];
    let extra = '&limit=1';
    for (let i = 0; i < 10; i++) {
      const { body } = await search('customer:cus_bob OR currency:jpy', extra);
      seen.push(...body.data.map((pi: any) => pi.id));
      if (!body.has_more) break;
      extra = `&limit=1&page=${encodeURIComponent(body.next_page)}`;
    }
    expect(seen).toEqual(ids('b', 'e', 'g'));
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['valid base64 of nonsense', btoa('hello world')],
    ['a token with a malformed id', btoa(`${Date.now()}.pi_123`).replace(/=+$/, '')],
    ['a token with a SQL tail', btoa(`1.pi_${'A'.repeat(24)}' OR '1'='1`).replace(/=+$/, '')],
    ['a token with a non-numeric timestamp', btoa(`abc.pi_${'A'.repeat(24)}`).replace(/=+$/, '')],
  ])('refuses a forged page token (%s) with 400 param page', async (_name, token) => {
    const { res, body } = await search('amount>0', `&page=${encodeURIComponent(token)}`);
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'page' });
  });

  it('refuses an over-long page token', async () => {
    const { res, body } = await search('amount>0', `&page=${'A'.repeat(201)}`);
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ param: 'page' });
  });
});

describe('search: read-after-write', () => {
  let r: TestMerchant;
  beforeAll(async () => {
    r = await createMerchant('Read after write');
  });

  it('finds an intent the moment its create returns', async () => {
    const { body: created } = await createIntent(r.keys.test.secret, { amount: 4242, metadata: { raw: 'fresh-1' } });
    const { body } = await search("metadata['raw']:'fresh-1'", '', r.keys.test.secret);
    expect(body.data.map((pi: any) => pi.id)).toEqual([created.id]);
    expect(body.data[0].status).toBe('requires_payment_method');
  });

  it('finds the new status the moment confirm returns, and the old status no longer matches', async () => {
    const { body: created } = await createIntent(r.keys.test.secret, { amount: 4343, metadata: { raw: 'fresh-2' } });
    const confirmed = await post(r.keys.test.secret, `/v1/payment_intents/${created.id}/confirm`, { payment_method: 'pm_card_visa' });
    expect(confirmed.body.status).toBe('succeeded');
    const now = await search("status:succeeded metadata['raw']:'fresh-2'", '', r.keys.test.secret);
    expect(now.body.data.map((pi: any) => pi.id)).toEqual([created.id]);
    expect(now.body.data[0]).toMatchObject({ status: 'succeeded', amount_received: 4343 });
    const before = await search("status:requires_payment_method metadata['raw']:'fresh-2'", '', r.keys.test.secret);
    expect(before.body.data).toEqual([]);
  });

  it('finds updated metadata and amount the moment update returns', async () => {
    const { body: created } = await createIntent(r.keys.test.secret, { amount: 100, metadata: { raw: 'fresh-3' } });
    await post(r.keys.test.secret, `/v1/payment_intents/${created.id}`, { amount: 777, metadata: { raw: 'fresh-3b' } });
    expect(await found("metadata['raw']:'fresh-3'", r.keys.test.secret)).toEqual([]);
    expect(await found("metadata['raw']:'fresh-3b' amount:777", r.keys.test.secret)).toEqual([created.id]);
  });

  it('finds a cancel the moment it returns', async () => {
    const { body: created } = await createIntent(r.keys.test.secret, { amount: 4444, metadata: { raw: 'fresh-4' } });
    await post(r.keys.test.secret, `/v1/payment_intents/${created.id}/cancel`);
    expect(await found("status:canceled metadata['raw']:'fresh-4'", r.keys.test.secret)).toEqual([created.id]);
  });
});

describe('search: tenant and mode isolation', () => {
  let other: TestMerchant;
  let otherIntent: any;
  let liveIntent: any;
  beforeAll(async () => {
    other = await createMerchant('Other searcher');
    // Same metadata and fields as fixture intent a, in another merchant and in live mode.
    otherIntent = await make(other.keys.test.secret, { ...BATCH_1.a! });
    liveIntent = await make(m.keys.live.secret, { ...BATCH_1.a! });
  });

  it("never returns another merchant's intents or the other mode's", async () => {
    for (const query of [
      "metadata['order_id']:'A-100'",
      'customer:cus_alice',
      'amount>0',
      'currency:usd OR currency:eur',
      '-customer:nobody',
    ]) {
      const mine = await found(query);
      expect(mine, query).not.toContain(otherIntent.id);
      expect(mine, query).not.toContain(liveIntent.id);
    }
    expect(await found("metadata['order_id']:'A-100'")).toEqual(ids('a'));
    expect(await found('amount>0')).toEqual(ALL());
  });

  it('the other merchant and the live key see only their own', async () => {
    expect(await found("metadata['order_id']:'A-100'", other.keys.test.secret)).toEqual([otherIntent.id]);
    expect(await found('amount>0', other.keys.test.secret)).toEqual([otherIntent.id]);
    expect(await found('amount>0', m.keys.live.secret)).toEqual([liveIntent.id]);
    expect(await found('-customer:nobody', m.keys.live.secret)).toEqual([liveIntent.id]);
  });

  it('a page token cannot reach across tenants or modes', async () => {
    const first = await search('amount>0', '&limit=1');
    expect(first.body).toMatchObject({ has_more: true, next_page: expect.any(String) });
    expect(first.body.data.map((pi: any) => pi.id)).toEqual(ids('g'));
    const page = `&page=${encodeURIComponent(first.body.next_page)}`;
    // For its own merchant the token leads on to the six intents older than g…
    expect((await search('amount>0', page)).body.data.map((pi: any) => pi.id)).toEqual(ids('a', 'b', 'c', 'd', 'e', 'f'));
    // …elsewhere it is only a position, and the other merchant's intent and the live one are both
    // newer than g: nothing of theirs follows it, and nothing of this merchant's test intents either.
    for (const key of [other.keys.test.secret, m.keys.live.secret]) {
      const { res, body } = await search('amount>0', page, key);
      expect(res.status).toBe(200);
      expect(body).toEqual({ object: 'search_result', url: '/v1/payment_intents/search', has_more: false, next_page: null, data: [] });
    }
  });
});

describe('search: refusals', () => {
  it('refuses a publishable key with 403', async () => {
    const { res, body } = await search('amount>0', '', m.keys.test.publishable);
    expect(res.status).toBe(403);
    expect(body.error).toMatchObject({ type: 'authentication_error', code: 'secret_key_required' });
  });

  it('refuses a missing key with 401', async () => {
    const { res } = await get('', `/v1/payment_intents/search?query=${encodeURIComponent('amount>0')}`);
    expect(res.status).toBe(401);
  });

  it.each<[string, number]>([
    ['amount~100', 6],
    ['status>succeeded', 6],
    ['amout:1', 0],
    ['status:done', 7],
    ['customer:"cus_1', 9],
    ['customer~ab', 9],
    ['metadata[order_id]:x', 9],
    ['status:succeeded AND currency:usd OR amount:1', 34],
    ['status:succeeded AND', 20],
    [Array.from({ length: 11 }, () => 'amount>0').join(' '), 90],
  ])('refuses the malformed query %j with 400 parameter_invalid, param query, at its position', async (query, position) => {
    const { res, body } = await search(query);
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'query' });
    expect(body.error.message).toContain(`at character ${position + 1}`);
  });

  it('refuses a blank query (spaces only) with its position', async () => {
    const { res, body } = await search('   ');
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'query' });
    expect(body.error.message).toMatch(/empty/);
  });

  it('refuses an empty query with 400 param query', async () => {
    const { res, body } = await get(m.keys.test.secret, '/v1/payment_intents/search?query=');
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'query' });
  });

  it('refuses a missing query with 400 parameter_missing', async () => {
    const { res, body } = await get(m.keys.test.secret, '/v1/payment_intents/search');
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_missing', param: 'query' });
  });

  it.each(['0', '101', '-1', 'ten', '1.5', ''])('refuses limit=%j with 400 param limit', async (limit) => {
    const { res, body } = await search('amount>0', `&limit=${limit}`);
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'limit' });
  });

  it('accepts limit=1 and limit=100', async () => {
    expect((await search('amount>0', '&limit=1')).body.data).toHaveLength(1);
    expect((await search('amount>0', '&limit=100')).body.data).toHaveLength(7);
  });

  it.each(['foo=1', 'starting_after=pi_x', 'status=succeeded'])(
    'refuses the unknown parameter %s with 400 parameter_unknown',
    async (extra) => {
      const { res, body } = await search('amount>0', `&${extra}`);
      expect(res.status).toBe(400);
      expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_unknown', param: extra.split('=')[0] });
    },
  );

  it('refuses an over-long query', async () => {
    const { res, body } = await search(`customer:"${'x'.repeat(2000)}"`);
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ param: 'query' });
  });

  it('is not taken for a payment intent id', async () => {
    const { res, body } = await get(m.keys.test.secret, '/v1/payment_intents/search?query=amount%3E0');
    expect(res.status).toBe(200);
    expect(body.object).toBe('search_result');
  });
});
