/**
 * The mandate's object on a real anvil (test/mandates/support.ts): registration through the relayer,
 * a Fixed schedule debiting once per period until PAID, a Dynamic one debiting what was requested,
 * short funds of each kind turning ACCOUNTBALANCETOOLOW and back after a top-up, and cancels. The
 * chain's clock is moved forward between periods and the schedule woken as its alarm would be;
 * everything is asserted on chain (balances, Debited logs) as well as on the mandate.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMandate } from '../../src/db/mandates.js';
import { wireStatus } from '../../src/domain/mandate.js';
import { cancelMandate, requestDebit } from '../../src/mandates/service.js';
import { type ExpectedErrorLogs, expectErrorLogs } from '../expected-logs.js';
import { debitIntentId } from '../../src/intents/debits.js';
import { get, SHARDS, waitFor } from '../helpers.js';
import {
  advance,
  periodRow,
  chain,
  CW,
  debitedLogs,
  INTERVAL,
  newPayer,
  newShop,
  registeredMandate,
  relayerStatus,
  type Shop,
  state,
  stubOf,
  subscribeAs,
  until,
  usdcBalance,
  VA,
  wake,
} from './support.js';

// Held back: until the debit intents land (src/intents/debits.ts throws "not implemented"), every
// report fails and the object's `report` timer retries it with back-off; and the interruptions the
// "never twice" tests cause on purpose in the `schedule` timer.
let timerLogs: ExpectedErrorLogs;
beforeAll(() => {
  timerLogs = expectErrorLogs(
    (log) => log.msg === 'timer failed; retrying with back-off' && (log.kind === 'report' || log.error.message === 'evicted by the test'),
  );
});
afterAll(() => timerLogs.restore());

let shop: Shop;
beforeAll(async () => {
  shop = await newShop();
});

describe('a Fixed mandate', () => {
  it('registers through the relayer, debits exactly debit_times times, one per period, then is PAID', async () => {
    const PERIOD = 600;
    // Periods far longer than the test itself: a loaded machine's slow steps cannot pass a period boundary on their own.
    const item = await shop.item({ debit_times: 3, debit_interval_seconds: PERIOD });
    const payer = await newPayer();
    await payer.mint(5_000_000n);
    await payer.approve(CW, 5_000_000n);
    const subscribed = await subscribeAs(shop, payer, item);
    expect(subscribed).toMatchObject({ status: 'registering', used: 0, contract: CW, pricing: 'fixed', maxAmount: 1_000_000n });
    expect(subscribed.id).toMatch(/^mdt_[0-9A-Za-z]{24}$/);

    // Registered, then the first period's debit right away (start = now).
    let m = await until(shop, subscribed.id, (s) => s.used === 1);
    expect(m.status).toBe('recurring');
    expect(m.estimatedGas).toBeGreaterThan(50_000n);
    expect(m.nextPaymentAt).toBe((m.start + PERIOD) * 1000);
    expect(m.lastPeriod).toBe(1);

    // A duplicate alarm in the same period sends nothing.
    await wake(m.id);
    await wake(m.id);
    expect((await state(shop, m.id)).used).toBe(1);

    for (const period of [2, 3]) {
      await advance(PERIOD);
      await wake(m.id);
      m = await until(shop, m.id, (s) => s.used === period);
      expect(m.lastPeriod).toBe(period);
    }
    expect(m.status).toBe('paid');
    expect(wireStatus(m.status)).toBe('PAID');
    expect(m.nextPaymentAt).toBeNull();

    // Another period later: nothing more is debited.
    await advance(PERIOD);
    await wake(m.id);
    await chain.mine(2);
    const logs = await debitedLogs(m);
    expect(logs.map((l) => [l.period, l.used, l.amount])).toEqual([
      [1, 1, 1_000_000n],
      [2, 2, 1_000_000n],
      [3, 3, 1_000_000n],
    ]);
    expect(await usdcBalance(item.payeeAddress)).toBe(3_000_000n);
    expect(await usdcBalance(payer.address)).toBe(2_000_000n);
    // The read model has it, as the APIs will read it.
    const row = await findMandate(SHARDS[shop.shard]!, { merchantId: shop.merchant.id, livemode: false }, m.id);
    expect(row).toMatchObject({ status: 'paid', used: 3 });
    // Each period's debit is a payment intent, succeeded and linked to the mandate.
    const sk = shop.merchant.keys.test.secret;
    for (const period of [1, 2, 3]) {
      const intent = await debitIntentId(m.id, period);
      await waitFor(async () => (await get(sk, `/v1/payment_intents/${intent}`)).body.status === 'succeeded', 15_000);
      expect((await get(sk, `/v1/payment_intents/${intent}`)).body).toMatchObject({ status: 'succeeded', mandate: m.id });
    }
  });

  it('subscribing the same signature twice reaches one mandate', async () => {
    const item = await shop.item();
    const payer = await newPayer();
    const now = Number((await chain.publicClient.getBlock()).timestamp);
    const sub = {
      accountType: 'connected_wallet' as const,
      payer: payer.address,
      start: now,
      validBefore: now + 3600,
      salt: `0x${'ab'.repeat(32)}`,
    };
    const signature = await payer.sign('connected_wallet', item, sub);
    const { subscribe } = await import('../../src/mandates/service.js');
    const a = await subscribe(env, item, shop.shard, { ...sub, signature }, 'req_a');
    const b = await subscribe(env, item, shop.shard, { ...sub, signature }, 'req_b');
    expect(b.id).toBe(a.id);
    expect(b.created).toBe(a.created);
  });
});

describe('short funds', () => {
  it.each([
    ['a short balance', 'connected_wallet', 'account_balance_too_low'],
    ['a short allowance', 'connected_wallet', 'allowance_too_low'],
    ['a short deposit', 'virtual_account', 'deposit_too_low'],
  ] as const)(
    '%s → ACCOUNTBALANCETOOLOW, retried in the period, and back to recurring after a top-up',
    async (_name, accountType, kind) => {
      const item = await shop.item({ debit_times: 2 });
      const payer = await newPayer();
      if (kind === 'account_balance_too_low') {
        await payer.mint(400_000n);
        await payer.approve(CW, 10_000_000n);
      } else if (kind === 'allowance_too_low') {
        await payer.mint(5_000_000n);
        await payer.approve(CW, 300_000n);
      } else {
        await payer.mint(5_000_000n);
        await payer.deposit(200_000n);
      }
      const subscribed = await subscribeAs(shop, payer, item, accountType);
      const short = await until(shop, subscribed.id, (s) => s.status === 'account_balance_too_low');
      expect(wireStatus(short.status)).toBe('ACCOUNTBALANCETOOLOW');
      // The shortfall told apart by the reads at one block: the period's intent gets this code.
      expect((await periodRow(subscribed.id, 1))?.last_code).toBe(kind);
      expect(short.used).toBe(0);
      expect(short.accountBalance).toBe(kind === 'account_balance_too_low' ? 400_000n : kind === 'allowance_too_low' ? 300_000n : 200_000n);
      expect(await debitedLogs(short)).toEqual([]);

      // The top-up; the ladder's next retry (2 s, 5 s…) debits it within the period.
      if (kind === 'account_balance_too_low') await payer.mint(1_000_000n);
      else if (kind === 'allowance_too_low') await payer.approve(CW, 5_000_000n);
      else await payer.deposit(1_000_000n);
      const paid = await until(shop, subscribed.id, (s) => s.used === 1);
      expect(paid.status).toBe('recurring');
      expect(await debitedLogs(paid)).toHaveLength(1);
      expect(await usdcBalance(item.payeeAddress)).toBe(1_000_000n);
      if (accountType === 'virtual_account') expect(paid.contract).toBe(VA);
    },
  );
});

describe('a Dynamic mandate', () => {
  it('debits what was requested, and records a request that failed at its period’s end', async () => {
    const item = await shop.item({ pricing: 'dynamic', debit_times: 3 });
    const payer = await newPayer();
    await payer.mint(800_000n);
    await payer.approve(CW, 10_000_000n);
    const m = await registeredMandate(shop, payer, item);
    expect(m.status).toBe('created');

    const { request } = await requestDebit(env, shop.caller, m.id, 300_000n);
    expect(request).toMatchObject({ status: 'pending', amount: 300_000n });
    expect(request.id).toMatch(/^dr_/);
    const paid = await until(shop, m.id, (s) => s.used === 1);
    expect(paid.debitRequests[0]).toMatchObject({ id: request.id, status: 'debited', period: 1 });
    expect(await usdcBalance(item.payeeAddress)).toBe(300_000n);

    // Next period: 900,000 asked, 500,000 there.
    await advance(INTERVAL);
    const { request: big } = await requestDebit(env, shop.caller, m.id, 900_000n);
    const short = await until(shop, m.id, (s) => s.status === 'account_balance_too_low');
    expect(short.failedDynamicPaymentAmount).toBe(400_000n);
    // The period ends short: the request fails.
    await advance(INTERVAL);
    await wake(m.id);
    const after = await until(shop, m.id, (s) => s.debitRequests.some((r) => r.id === big.id && r.status === 'failed'));
    expect(after.debitRequests.find((r) => r.id === big.id)).toMatchObject({
      status: 'failed',
      period: 2,
      failureCode: 'account_balance_too_low',
    });
    expect((await debitedLogs(after)).map((l) => l.amount)).toEqual([300_000n]);

    // Refusals: over the max, zero.
    await expect(requestDebit(env, shop.caller, m.id, 1_000_001n)).rejects.toMatchObject({ code: 'parameter_invalid', param: 'amount' });
    await expect(requestDebit(env, shop.caller, m.id, 0n)).rejects.toMatchObject({ code: 'parameter_invalid', param: 'amount' });
  });
});

describe('cancel', () => {
  it('by the merchant: canceled at once, the relayer cancels on chain, no debit after', async () => {
    const item = await shop.item({ debit_times: 3 });
    const payer = await newPayer();
    await payer.mint(5_000_000n);
    await payer.approve(CW, 5_000_000n);
    const m = await until(shop, (await subscribeAs(shop, payer, item)).id, (s) => s.used === 1);
    const canceled = await cancelMandate(env, shop.caller, m.id);
    expect(canceled).toMatchObject({ status: 'canceled', cancellationSource: 'merchant', nextPaymentAt: null });
    // Again: answered as it is.
    expect((await cancelMandate(env, shop.caller, m.id)).canceledAt).toBe(canceled.canceledAt);
    const { MandateChain } = await import('../../src/mandates/chain.js');
    const { chainsConfig } = await import('../../src/chain/registry.js');
    const reader = new MandateChain(chainsConfig(env).get('mandates')!, 'mandates');
    const deadline = Date.now() + 20_000;
    while (!(await reader.mandateOf(CW, m.onchainId as `0x${string}`))?.cancelled) {
      if (Date.now() > deadline) throw new Error('the relayer did not cancel on chain');
      await chain.mine(1);
      await new Promise((r) => setTimeout(r, 500));
    }
    await advance(INTERVAL);
    await wake(m.id);
    expect(await debitedLogs(m)).toHaveLength(1);
    expect((await state(shop, m.id)).status).toBe('canceled');
  });

  it('by the payer on chain: noticed before the next attempt, source payer, nothing more debited', async () => {
    const item = await shop.item({ debit_times: 3 });
    const payer = await newPayer();
    await payer.mint(5_000_000n);
    await payer.approve(CW, 5_000_000n);
    const m = await until(shop, (await subscribeAs(shop, payer, item)).id, (s) => s.used === 1);
    await payer.cancel(CW, m.onchainId as `0x${string}`);
    await advance(INTERVAL);
    await wake(m.id);
    const canceled = await until(shop, m.id, (s) => s.status === 'canceled');
    expect(canceled.cancellationSource).toBe('payer');
    expect(await debitedLogs(m)).toHaveLength(1);
    expect(await usdcBalance(item.payeeAddress)).toBe(1_000_000n);
  });
});

describe('never twice', () => {
  /** A Dynamic mandate registered and funded, with nothing due until a request. */
  async function idleMandate(amount = 500_000n) {
    const item = await shop.item({ pricing: 'dynamic', debit_times: 3 });
    const payer = await newPayer();
    await payer.mint(amount * 4n);
    await payer.approve(CW, amount * 4n);
    const m = await registeredMandate(shop, payer, item);
    expect(m.status).toBe('created');
    return { m, item, payer };
  }

  it.each(['before', 'after'] as const)(
    'an interruption between writing the attempt down and the send (%s the send) debits once',
    async (when) => {
      const { m, item } = await idleMandate();
      const interrupted = () => timerLogs.caught.filter((log) => log.mandate === m.id && log.kind === 'schedule').length;
      await runInDurableObject(stubOf(m.id), (instance) => {
        const o = instance as unknown as { sendAttempt(a: unknown): Promise<void> };
        const real = o.sendAttempt.bind(instance);
        o.sendAttempt = async (attempt) => {
          delete (o as Partial<typeof o>).sendAttempt;
          if (when === 'after') await real(attempt);
          throw new Error('evicted by the test');
        };
      });
      await requestDebit(env, shop.caller, m.id, 500_000n);
      const paid = await until(shop, m.id, (s) => s.used === 1);
      expect(interrupted()).toBe(1);
      expect(paid.lastPeriod).toBe(1);
      // Another alarm, and another: still one debit.
      await wake(m.id);
      await chain.mine(2);
      await wake(m.id);
      expect((await debitedLogs(m)).map((l) => l.amount)).toEqual([500_000n]);
      expect(await usdcBalance(item.payeeAddress)).toBe(500_000n);
      expect((await relayerStatus(`${m.id}:p1:a1`))?.status).toBe('mined');
      expect(await relayerStatus(`${m.id}:p1:a2`)).toBeNull();
    },
  );

  it('a dropped transaction is sent again under the same attempt and debits once', async () => {
    const { m, item } = await idleMandate();
    await chain.rpc('evm_setAutomine', [false]);
    try {
      await requestDebit(env, shop.caller, m.id, 500_000n);
      let hash: `0x${string}` | undefined;
      await waitFor(async () => {
        const tx = await relayerStatus(`${m.id}:p1:a1`);
        hash = tx?.broadcast ? tx.hash : undefined;
        return hash !== undefined;
      }, 10_000);
      await chain.rpc('anvil_dropTransaction', [hash]);
      expect(await chain.publicClient.getTransaction({ hash: hash! }).catch(() => null)).toBeNull();
    } finally {
      await chain.rpc('evm_setAutomine', [true]);
    }
    const paid = await until(shop, m.id, (s) => s.used === 1);
    expect(paid.status).toBe('recurring');
    expect((await debitedLogs(m)).map((l) => l.amount)).toEqual([500_000n]);
    expect(await usdcBalance(item.payeeAddress)).toBe(500_000n);
  });

  it('a reorg before the confirmations: the debit is recorded once, after it is mined again', async () => {
    const { m, item } = await idleMandate();
    const snapshot = await chain.rpc<string>('evm_snapshot');
    await requestDebit(env, shop.caller, m.id, 500_000n);
    // Mined with 1 of 2 confirmations: not recorded yet.
    let first: { hash: string; blockHash: string | null } | undefined;
    await waitFor(async () => {
      const tx = await relayerStatus(`${m.id}:p1:a1`);
      if (tx?.status === 'mined') first = { hash: tx.hash, blockHash: tx.blockHash };
      return first !== undefined;
    }, 10_000);
    expect((await state(shop, m.id)).used).toBe(0);
    // The block is gone: the relayer sends the same transaction again, and the object waits for it.
    await chain.rpc('evm_revert', [snapshot]);
    const paid = await until(shop, m.id, (s) => s.used === 1);
    expect(paid.lastPeriod).toBe(1);
    // Recorded from the inclusion on chain now. (Re-mined at the same height in the same second, the block can
    // even have the same hash as the one reverted: what counts is that nothing was recorded from the reverted one.)
    const tx = await relayerStatus(`${m.id}:p1:a1`);
    const onChain = await chain.publicClient.getBlock({ blockNumber: tx!.blockNumber! });
    expect(onChain.hash).toBe(tx!.blockHash);
    expect((await debitedLogs(m)).map((l) => l.amount)).toEqual([500_000n]);
    expect(await usdcBalance(item.payeeAddress)).toBe(500_000n);
  });

  it('two mandates due at once share the relayer without a nonce collision: both mined, distinct nonces', async () => {
    const [a, b] = await Promise.all([idleMandate(), idleMandate()]);
    await Promise.all([requestDebit(env, shop.caller, a.m.id, 500_000n), requestDebit(env, shop.caller, b.m.id, 500_000n)]);
    await Promise.all([until(shop, a.m.id, (s) => s.used === 1), until(shop, b.m.id, (s) => s.used === 1)]);
    const [ta, tb] = await Promise.all([relayerStatus(`${a.m.id}:p1:a1`), relayerStatus(`${b.m.id}:p1:a1`)]);
    expect(ta?.status).toBe('mined');
    expect(tb?.status).toBe('mined');
    expect(ta!.nonce).not.toBe(tb!.nonce);
    expect(await usdcBalance(a.item.payeeAddress)).toBe(500_000n);
    expect(await usdcBalance(b.item.payeeAddress)).toBe(500_000n);
  });
});

describe('reconcile', () => {
  it('a debit made on chain without the service (the payee’s own) is recorded from its Debited log, and the period is never debited again', async () => {
    const payee = await newPayer();
    const item = await shop.item({ pricing: 'dynamic', payee_address: payee.address });
    const payer = await newPayer();
    await payer.mint(2_000_000n);
    await payer.approve(CW, 2_000_000n);
    const m = await registeredMandate(shop, payer, item);
    await payee.debit(CW, m.onchainId as `0x${string}`, 200_000n);
    await wake(m.id);
    const reconciled = await until(shop, m.id, (s) => s.used === 1);
    expect(reconciled).toMatchObject({ lastPeriod: 1, status: 'recurring' });
    // A request now waits for period 2: period 1 is paid.
    await requestDebit(env, shop.caller, m.id, 300_000n);
    await wake(m.id);
    expect(await relayerStatus(`${m.id}:p1:a1`)).toBeNull();
    expect((await debitedLogs(m)).map((l) => [l.period, l.amount])).toEqual([[1, 200_000n]]);
    await advance(INTERVAL);
    await wake(m.id);
    await until(shop, m.id, (s) => s.used === 2);
    expect((await debitedLogs(m)).map((l) => [l.period, l.amount])).toEqual([
      [1, 200_000n],
      [2, 300_000n],
    ]);
  });
});

describe('the chain watcher’s delivery', () => {
  it('wakes the schedule: a payer’s cancel delivered as a MandateCancelled log is noticed without waiting for the due time', async () => {
    const item = await shop.item({ pricing: 'dynamic' });
    const payer = await newPayer();
    const m = await registeredMandate(shop, payer, item);
    await payer.cancel(CW, m.onchainId as `0x${string}`);
    const answer = await stubOf(m.id).chainObserved({
      kind: 'mandate_logs',
      network: 'mandates',
      onchainId: m.onchainId,
      logs: [{ event: 'MandateCancelled', confirmations: 1 }],
    });
    expect(answer).toEqual({ watching: true });
    const canceled = await until(shop, m.id, (s) => s.status === 'canceled');
    expect(canceled.cancellationSource).toBe('payer');
    // Closed: the watch may go.
    expect(await stubOf(m.id).chainObserved({ kind: 'mandate_logs', network: 'mandates', onchainId: m.onchainId, logs: [] })).toEqual({
      watching: false,
    });
  });
});

describe('measured (printed for the report, not asserted as timings)', () => {
  it('RPC calls per schedule run, gas per debit from the receipt, and time from due to final', async () => {
    const item = await shop.item({ debit_times: 2 });
    const payer = await newPayer();
    await payer.mint(5_000_000n);
    await payer.approve(CW, 5_000_000n);
    const m = await until(shop, (await subscribeAs(shop, payer, item)).id, (s) => s.used === 1);
    const runs = () => runInDurableObject(stubOf(m.id), (o) => [...(o as unknown as { runs: { did: string; calls: number }[] }).runs]);
    const callsOf = async (did: string) => (await runs()).filter((r) => r.did === did).map((r) => r.calls);
    // A run with nothing due (period 1 paid): the head and mandateOf. On a loaded machine the first debit's
    // attempt may still be followed to its confirmations (a 'follow' run): wake it until the schedule sleeps.
    await waitFor(async () => {
      await wake(m.id);
      return (await callsOf('sleep')).length > 0;
    }, 20_000);
    expect(await callsOf('sleep')).toContain(2);
    await advance(INTERVAL);
    const due = Date.now();
    await wake(m.id);
    const paid = await until(shop, m.id, (s) => s.used === 2);
    const dueToFinalMs = Date.now() - due;
    const tx = await relayerStatus(`${m.id}:p2:a1`);
    const receipt = await chain.publicClient.getTransactionReceipt({ hash: tx!.hash });
    expect(paid.status).toBe('paid');
    // A run that debits: the head, mandateOf, balanceOf and allowance at one block (the send is the relayer's).
    expect(await callsOf('debit')).toEqual([4, 4]);
    const follows = await callsOf('follow');
    console.log(
      `[mandates measured] RPC calls per run: sleeping 2, debiting 4, following an attempt ${Math.min(...follows)}–${Math.max(...follows)} (${follows.length} runs); gas of one ConnectedWallets debit: ${receipt.gasUsed} ` +
        `(estimated ${paid.estimatedGas}); due → final on anvil (2 confirmations, a block a second): ${dueToFinalMs} ms`,
    );
  });
});
