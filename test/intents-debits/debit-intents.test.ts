/**
 * A mandate's debits as payment intents (issue 13), in the Workers runtime: the mandate's reports
 * (src/intents/debits.ts) reach the intent's real Durable Object, its events go through the real
 * outbox and queue to a real webhook receiver, lists and search read the real D1 read model, and
 * the merchant drives the API with the official `stripe` SDK.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import Stripe from 'stripe';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { debitIntentId, type DebitIntentRef, type DebitReport, reportDebit } from '../../src/intents/debits.js';
import { parseRecord, RECORD_VERSION, serializeRecord } from '../../src/intents/record.js';
import { INTENT_ID_PATTERN } from '../../src/lib/ids.js';
import { call, createMerchant, get, post, shardNameOf, waitFor, type TestMerchant } from '../helpers.js';
import type { RecordedRequest } from '../webhook-receiver.js';
import { openMailbox, type TestMailbox } from '../webhooks/receiver-client.js';

type Fetch = (url: string, init: RequestInit) => Promise<Response>;
const toWorker: Fetch = (url, init) => exports.default.fetch(new Request(url, init));

function sdk(key: string): Stripe {
  return new Stripe(key, {
    host: 'pay.test',
    port: 443,
    protocol: 'https',
    maxNetworkRetries: 0,
    httpClient: Stripe.createFetchHttpClient(toWorker as typeof fetch),
  });
}

const stub = (id: string) => env.INTENTS.get(env.INTENTS.idFromName(id));

const USDC = { symbol: 'usdc', decimals: 6, address: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };
const PAYER = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const PAYEE = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const CONTRACT = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';
const TX_1 = `0x${'a1'.repeat(32)}`;
const TX_2 = `0x${'b2'.repeat(32)}`;

let m: TestMerchant;
let other: TestMerchant;
let sk: string;
beforeAll(async () => {
  m = await createMerchant('Debits');
  other = await createMerchant('Another merchant');
  sk = m.keys.test.secret;
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** A fresh mandate id per test: the intents' objects and rows live for the whole file. */
function newMandate(): string {
  return `mdt_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

async function ref(merchant: TestMerchant, mandate: string, period: number, amount = 10_000_000n): Promise<DebitIntentRef> {
  return {
    id: await debitIntentId(mandate, period),
    merchantId: merchant.id,
    livemode: false,
    shard: await shardNameOf(merchant.id),
    mandate,
    period,
    amount,
    currency: 'usdc',
    network: 'local',
    chainId: 31337,
    token: USDC,
    payer: PAYER,
    payee: PAYEE,
    contract: CONTRACT,
    description: 'Pro plan',
    metadata: { plan: 'pro' },
  };
}

const processing = (attemptId: string, txHash: string | null = null): DebitReport => ({ kind: 'processing', attemptId, txHash });
const shortBalance: DebitReport = {
  kind: 'failed',
  code: 'account_balance_too_low',
  message: 'The payer’s balance (4.00 USDC) is below the debit (10.00 USDC).',
};
const succeeded = (txHash = TX_1, amount = 10_000_000n): DebitReport => ({ kind: 'succeeded', txHash, blockNumber: 42n, amount });

async function eventTypes(merchant: TestMerchant, id: string): Promise<string[]> {
  return (await stub(id).events({ merchantId: merchant.id, livemode: false })).map((e) => e.type);
}

async function endpointWithMailbox(key: string): Promise<TestMailbox> {
  const mailbox = await openMailbox({ secrets: [] });
  const { res, body: endpoint } = await post(key, '/v1/webhook_endpoints', { url: mailbox.url, enabled_events: ['*'] });
  expect(res.status).toBe(200);
  const reset = await fetch(mailbox.url.replace('/hooks/', '/mailboxes/'), {
    method: 'PUT',
    body: JSON.stringify({ secrets: [endpoint.secret] }),
  });
  expect(reset.status).toBe(204);
  return mailbox;
}

async function receivedAtLeast(mailbox: TestMailbox, n: number): Promise<RecordedRequest[]> {
  let got: RecordedRequest[] = [];
  await waitFor(async () => {
    got = await mailbox.received();
    return got.length >= n;
  }, 10_000);
  return got;
}

describe('debitIntentId', () => {
  it('is a valid intent id, the same for a mandate and period every time, another for another period or mandate', async () => {
    const mandate = newMandate();
    const first = await debitIntentId(mandate, 1);
    expect(first).toMatch(INTENT_ID_PATTERN);
    expect(await debitIntentId(mandate, 1)).toBe(first);
    expect(await debitIntentId(mandate, 2)).not.toBe(first);
    expect(await debitIntentId(newMandate(), 1)).not.toBe(first);
  });

  it('refuses a ref whose id is not its period’s, creating nothing', async () => {
    const r = await ref(m, newMandate(), 1);
    const wrong = { ...r, id: await debitIntentId(r.mandate, 2) };
    await expect(reportDebit(env, wrong, processing('a1'), null)).rejects.toThrow(/is not the intent of/);
    expect(await stub(wrong.id).retrieve({ merchantId: m.id, livemode: false })).toBeNull();
  });
});

describe('a period’s reports', () => {
  it('created processing → failed → processing → succeeded: the intent, its events and the webhooks, in order', async () => {
    const mailbox = await endpointWithMailbox(sk);
    const mandate = newMandate();
    const r = await ref(m, mandate, 3);

    const first = await reportDebit(env, r, processing('att-1'), 'req_test_debit_1');
    expect(first).toMatchObject({ id: r.id, status: 'processing', amount: 10_000_000n, currency: 'usdc', mandate });
    expect(first.paymentMethodTypes).toEqual(['crypto']);

    const failed = await reportDebit(env, r, shortBalance, null);
    expect(failed.status).toBe('requires_payment_method');
    const afterFailure = (await get(sk, `/v1/payment_intents/${r.id}`)).body;
    expect(afterFailure.last_payment_error).toEqual({
      type: 'invalid_request_error',
      code: 'account_balance_too_low',
      decline_code: null,
      message: shortBalance.kind === 'failed' ? shortBalance.message : '',
      payment_method: { id: mandate, object: 'payment_method', type: 'crypto' },
    });

    const retried = await reportDebit(env, r, processing('att-2', TX_1), null);
    expect(retried).toMatchObject({ status: 'processing', lastPaymentError: null });

    const paid = await reportDebit(env, r, succeeded(TX_1), null);
    expect(paid).toMatchObject({ status: 'succeeded', amountReceived: 10_000_000n });

    const { res, body } = await get(sk, `/v1/payment_intents/${r.id}`);
    expect(res.status).toBe(200);
    expect(body).toMatchObject({
      id: r.id,
      object: 'payment_intent',
      status: 'succeeded',
      amount: 10_000_000,
      amount_received: 10_000_000,
      currency: 'usdc',
      payment_method_types: ['crypto'],
      capture_method: 'automatic',
      last_payment_error: null,
      next_action: null,
      description: 'Pro plan',
      metadata: { plan: 'pro' },
      mandate,
      debit: {
        mandate,
        period: 3,
        network: 'local',
        contract: CONTRACT,
        token: 'usdc',
        token_address: USDC.address,
        decimals: 6,
        payer: PAYER,
        payee: PAYEE,
        transaction: TX_1,
        block_number: 42,
      },
    });

    // Each send is an attempt with its charge: pending while out, then failed or succeeded.
    const expected = [
      'payment_intent.created',
      'payment_intent.processing',
      'charge.pending',
      'payment_intent.payment_failed',
      'charge.failed',
      'payment_intent.processing',
      'charge.pending',
      'payment_intent.succeeded',
      'charge.succeeded',
    ];
    expect(await eventTypes(m, r.id)).toEqual(expected);
    const ofIntent = (object: any) => object.id === r.id || object.payment_intent === r.id;
    const delivered = (await receivedAtLeast(mailbox, expected.length)).filter((x) => ofIntent(JSON.parse(x.body).data.object));
    expect(delivered.every((x) => x.verifiedStandard && x.verifiedStripe)).toBe(true);
    const events = delivered.map((x) => JSON.parse(x.body)).sort((a, b) => a.sequence - b.sequence);
    expect(events.map((e) => e.type)).toEqual(expected);
    // payment_intent.created shows the intent as created, each later event the intent after it.
    const intentEvents = events.filter((e) => e.data.object.object === 'payment_intent');
    expect(intentEvents.map((e) => e.data.object.status)).toEqual([
      'requires_confirmation',
      'processing',
      'requires_payment_method',
      'processing',
      'succeeded',
    ]);
    expect(intentEvents.every((e) => e.data.object.mandate === mandate)).toBe(true);
    expect(intentEvents[4].data.object.debit.transaction).toBe(TX_1);
    // The charge events show the charge: the failed send's, then the retry's.
    const chargeEvents = events.filter((e) => e.data.object.object === 'charge');
    expect(chargeEvents.map((e) => [e.data.object.status, e.data.object.payment_intent])).toEqual([
      ['pending', r.id],
      ['failed', r.id],
      ['pending', r.id],
      ['succeeded', r.id],
    ]);
    expect(chargeEvents[1].data.object.failure_code).toBe('account_balance_too_low');
    expect(chargeEvents[2].data.object.id).not.toBe(chargeEvents[1].data.object.id);
    expect(chargeEvents[3].data.object).toMatchObject({ id: chargeEvents[2].data.object.id, amount: 10_000_000, paid: true });

    // /v1/events serves them too, newest first.
    const listed = (await get(sk, '/v1/events?limit=100')).body.data.filter((e: any) => ofIntent(e.data.object));
    expect(listed.map((e: any) => e.type).reverse()).toEqual(expected);
  });

  it('the same report again changes nothing and adds no event, also when two arrive at once', async () => {
    const r = await ref(m, newMandate(), 1);
    await Promise.all([reportDebit(env, r, processing('att-1'), null), reportDebit(env, r, processing('att-1'), null)]);
    expect(await eventTypes(m, r.id)).toEqual(['payment_intent.created', 'payment_intent.processing', 'charge.pending']);
    const revision = (await reportDebit(env, r, processing('att-1'), null)).revision;

    await reportDebit(env, r, shortBalance, null);
    const failedAgain = await reportDebit(env, r, shortBalance, null);
    expect(failedAgain.revision).toBe(revision + 1);

    await reportDebit(env, r, processing('att-2', TX_1), null);
    await reportDebit(env, r, succeeded(TX_1), null);
    const again = await reportDebit(env, r, succeeded(TX_1), null);
    expect(again.status).toBe('succeeded');
    expect(await eventTypes(m, r.id)).toEqual([
      'payment_intent.created',
      'payment_intent.processing',
      'charge.pending',
      'payment_intent.payment_failed',
      'charge.failed',
      'payment_intent.processing',
      'charge.pending',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
  });

  it('a re-sent transaction while processing is recorded without an intent event (its charge shows it); a new failure after a failure is one more payment_failed', async () => {
    const r = await ref(m, newMandate(), 1);
    await reportDebit(env, r, processing('att-1', TX_1), null);
    const resent = await reportDebit(env, r, processing('att-1b', TX_2), null);
    expect(resent.debit).toMatchObject({ attemptId: 'att-1b', txHash: TX_2 });
    await reportDebit(env, r, { kind: 'failed', code: 'transaction_reverted', message: 'The debit transaction reverted.' }, null);
    await reportDebit(env, r, shortBalance, null);
    expect((await get(sk, `/v1/payment_intents/${r.id}`)).body.last_payment_error.code).toBe('account_balance_too_low');
    expect(await eventTypes(m, r.id)).toEqual([
      'payment_intent.created',
      'payment_intent.processing',
      'charge.pending',
      // The re-send: the pending charge now shows the new transaction.
      'charge.updated',
      'payment_intent.payment_failed',
      'charge.failed',
      // A failure without a new send is one more failed attempt.
      'payment_intent.payment_failed',
      'charge.failed',
    ]);
  });

  it('after succeeded, a late contradicting report is ignored with a warning and never thrown', async () => {
    const r = await ref(m, newMandate(), 2);
    await reportDebit(env, r, processing('att-1', TX_1), null);
    await reportDebit(env, r, succeeded(TX_1), null);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    for (const late of [shortBalance, processing('att-2'), { kind: 'closed', reason: 'period_forfeited' } as const, succeeded(TX_2)]) {
      const now = await reportDebit(env, r, late, null);
      expect(now).toMatchObject({ status: 'succeeded', amountReceived: 10_000_000n, lastPaymentError: null });
      expect(now.debit?.txHash).toBe(TX_1);
    }
    const ignored = warn.mock.calls.map((c) => JSON.parse(String(c[0]))).filter((l) => l.msg === 'debit report ignored');
    expect(ignored.map((l) => l.report)).toEqual(['failed', 'processing', 'closed', 'succeeded']);
    expect(ignored.every((l) => l.intent === r.id && l.mandate === r.mandate && l.level === 'warn')).toBe(true);
    expect(await eventTypes(m, r.id)).toEqual([
      'payment_intent.created',
      'payment_intent.processing',
      'charge.pending',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
  });

  it('closed → canceled: abandoned for a forfeited period, automatic when the mandate ended; closing again changes nothing', async () => {
    const forfeited = await ref(m, newMandate(), 4);
    await reportDebit(env, forfeited, shortBalance, null);
    await reportDebit(env, forfeited, { kind: 'closed', reason: 'period_forfeited' }, null);
    await reportDebit(env, forfeited, { kind: 'closed', reason: 'period_forfeited' }, null);
    const body = (await get(sk, `/v1/payment_intents/${forfeited.id}`)).body;
    expect(body).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned', amount_received: 0 });
    expect(body.canceled_at).toEqual(expect.any(Number));
    expect(await eventTypes(m, forfeited.id)).toEqual([
      'payment_intent.created',
      'payment_intent.payment_failed',
      'charge.failed',
      'payment_intent.canceled',
    ]);

    const ended = await ref(m, newMandate(), 1);
    await reportDebit(env, ended, { kind: 'closed', reason: 'mandate_canceled' }, null);
    const endedBody = (await sdk(sk).paymentIntents.retrieve(ended.id)) as Stripe.PaymentIntent;
    expect(endedBody).toMatchObject({ status: 'canceled', cancellation_reason: 'automatic' });
    expect(await eventTypes(m, ended.id)).toEqual(['payment_intent.created', 'payment_intent.canceled']);
  });

  it('a debit that lands after the merchant canceled the failed intent is recorded as late funds, not hidden', async () => {
    const r = await ref(m, newMandate(), 1);
    await reportDebit(env, r, shortBalance, null);
    const canceled = await sdk(sk).paymentIntents.cancel(r.id, { cancellation_reason: 'requested_by_customer' });
    expect(canceled.status).toBe('canceled');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect((await reportDebit(env, r, processing('att-2', TX_2), null)).status).toBe('canceled');
    expect(warn).toHaveBeenCalledOnce();
    const after = await reportDebit(env, r, succeeded(TX_2), null);
    await reportDebit(env, r, succeeded(TX_2), null);
    expect(after).toMatchObject({ status: 'canceled', cancellationReason: 'requested_by_customer' });
    expect((await get(sk, `/v1/payment_intents/${r.id}`)).body.debit).toMatchObject({ transaction: TX_2, block_number: 42 });
    expect(await eventTypes(m, r.id)).toEqual([
      'payment_intent.created',
      'payment_intent.payment_failed',
      'charge.failed',
      'payment_intent.canceled',
      'payment_intent.late_funds_received',
    ]);
  });
});

describe('lists and search by mandate', () => {
  it('through the official stripe SDK: only this mandate’s debits, never another merchant’s', async () => {
    const stripe = sdk(sk);
    const mandate = newMandate();
    const otherMandate = newMandate();
    const p1 = await ref(m, mandate, 1);
    const p2 = await ref(m, mandate, 2);
    await reportDebit(env, p1, succeeded(TX_1), null);
    await reportDebit(env, p2, processing('att-1'), null);
    await reportDebit(env, await ref(m, otherMandate, 1), processing('att-1'), null);
    // Another merchant's debit, even one naming the same mandate id, is not this merchant's.
    const foreign = await ref(other, mandate, 3);
    await reportDebit(env, foreign, processing('att-1'), null);

    const listed = await stripe.paymentIntents.list({ mandate, limit: 10 } as Stripe.PaymentIntentListParams);
    expect(listed.data.map((i) => i.id).sort()).toEqual([p1.id, p2.id].sort());
    expect(listed.data.every((i) => (i as unknown as { mandate: string }).mandate === mandate)).toBe(true);

    const paged = await stripe.paymentIntents.list({ mandate, limit: 1 } as Stripe.PaymentIntentListParams);
    expect(paged.has_more).toBe(true);

    const found = await stripe.paymentIntents.search({ query: `mandate:"${mandate}"` });
    expect(found.data.map((i) => i.id).sort()).toEqual([p1.id, p2.id].sort());
    const foundSucceeded = await stripe.paymentIntents.search({ query: `mandate:"${mandate}" AND status:"succeeded"` });
    expect(foundSucceeded.data.map((i) => i.id)).toEqual([p1.id]);

    const othersView = await sdk(other.keys.test.secret).paymentIntents.list({ mandate } as Stripe.PaymentIntentListParams);
    expect(othersView.data.map((i) => i.id)).toEqual([foreign.id]);
    // And the intent itself is another merchant's: a 404, as for an unknown id.
    expect((await get(other.keys.test.secret, `/v1/payment_intents/${p1.id}`)).res.status).toBe(404);
    // Live mode sees none of the test-mode debits.
    expect((await get(m.keys.live.secret, `/v1/payment_intents?mandate=${mandate}`)).body.data).toEqual([]);
  });

  it('a malformed mandate filter is a 400 naming it; an unknown one an empty list', async () => {
    const { res, body } = await get(sk, '/v1/payment_intents?mandate=pi_123');
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'mandate' });
    const unknown = await get(sk, `/v1/payment_intents?mandate=${newMandate()}`);
    expect(unknown.res.status).toBe(200);
    expect(unknown.body.data).toEqual([]);
  });
});

describe('what the merchant may do with a debit intent', () => {
  it('confirm, capture and updates of the payment are refused with a 400 naming the parameter; description, metadata and cancel of a failed one are fine', async () => {
    const r = await ref(m, newMandate(), 1);
    await reportDebit(env, r, shortBalance, null);
    const path = `/v1/payment_intents/${r.id}`;

    const confirm = await post(sk, `${path}/confirm`, {});
    expect(confirm.res.status).toBe(400);
    expect(confirm.body.error).toMatchObject({ code: 'payment_intent_unexpected_state', param: 'mandate' });
    expect(confirm.body.error.message).toContain(r.mandate);
    const withCrypto = await post(sk, `${path}/confirm`, { payment_method_options: { crypto: { network: 'local', token: 'usdc' } } });
    expect(withCrypto.res.status).toBe(400);

    const capture = await post(sk, `${path}/capture`, {});
    expect(capture.res.status).toBe(400);
    expect(capture.body.error).toMatchObject({ code: 'payment_intent_unexpected_state', param: 'mandate' });

    for (const [param, value] of [
      ['amount', 1],
      ['currency', 'usd'],
      ['payment_method', 'pm_card_visa'],
      ['payment_method_types', ['card']],
      ['capture_method', 'manual'],
    ] as const) {
      const update = await post(sk, path, { [param]: value });
      expect(update.res.status, param).toBe(400);
      expect(update.body.error, param).toMatchObject({ code: 'payment_intent_unexpected_state', param });
    }
    expect(await eventTypes(m, r.id)).toEqual(['payment_intent.created', 'payment_intent.payment_failed', 'charge.failed']);

    const described = await sdk(sk).paymentIntents.update(r.id, { description: 'Pro plan, March', metadata: { invoice: 'in_7' } });
    expect(described).toMatchObject({ description: 'Pro plan, March', metadata: { plan: 'pro', invoice: 'in_7' }, amount: 10_000_000 });

    // A browser with the client secret cannot confirm it either.
    const browser = await post(m.keys.test.publishable, `${path}/confirm`, { client_secret: described.client_secret });
    expect(browser.res.status).toBe(400);

    const canceled = await sdk(sk).paymentIntents.cancel(r.id);
    expect(canceled.status).toBe('canceled');
  });

  it('the hosted page shows a debit’s status without a form, and a post to it is refused, not a 500', async () => {
    const r = await ref(m, newMandate(), 1);
    const intent = await reportDebit(env, r, shortBalance, null);
    const secret = encodeURIComponent(intent.clientSecret);
    const page = await call(`/pay/${r.id}?client_secret=${secret}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Debit not paid yet');
    expect(html).toContain('10.00 USDC');
    expect(html).not.toContain('<form');
    const posted = await call(`/pay/${r.id}`, { form: `client_secret=${secret}&pay_with=crypto&crypto=local:usdc` });
    expect(posted.status).toBe(400);
  });
});

describe('stored intents from before debits', () => {
  it('a v3 record (before debits) loads as an intent of no mandate, in the object and on the wire', async () => {
    const { body: created } = await post(sk, '/v1/payment_intents', { amount: 2000, currency: 'usd' });
    await runInDurableObject(stub(created.id), async (instance, state) => {
      const record = JSON.parse(state.storage.sql.exec<{ record: string }>('SELECT record FROM state').one().record);
      const { mandate: _m, debit: _d, ...v3 } = { ...record, v: 3 };
      state.storage.sql.exec('UPDATE state SET record = ?', JSON.stringify(v3));
      // As a fresh instance would: load the state from storage again.
      await (instance as unknown as { load(): Promise<void> }).load();
    });
    const { res, body } = await get(sk, `/v1/payment_intents/${created.id}`);
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ id: created.id, amount: 2000, mandate: null, debit: null });
    // Written back in the current version on its next change.
    await post(sk, `/v1/payment_intents/${created.id}`, { description: 'after the migration' });
    await runInDurableObject(stub(created.id), async (_instance, state) => {
      const record = JSON.parse(state.storage.sql.exec<{ record: string }>('SELECT record FROM state').one().record);
      expect(record).toMatchObject({ v: RECORD_VERSION, mandate: null, debit: null, description: 'after the migration' });
    });
  });

  it('a debit intent survives its stored form unchanged, block number and amounts as bigints', async () => {
    const r = await ref(m, newMandate(), 1);
    await reportDebit(env, r, processing('att-1', TX_1), null);
    const intent = await reportDebit(env, r, succeeded(TX_1), null);
    expect(parseRecord(serializeRecord(intent))).toStrictEqual(intent);
    expect(intent.debit?.blockNumber).toBe(42n);
  });
});
