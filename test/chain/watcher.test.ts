/**
 * The chain watcher (src/chain/watcher.ts): one Durable Object per network reading the chain for
 * every crypto intent waiting on it. Against a real anvil (`watcherChain`) behind the webhook
 * receiver's mailboxes `rpc-watched` and `rpc-watched-b` (CHAINS networks `watched` and
 * `watched-b`), which pass requests through, record them (so the watcher's RPC calls are counted
 * by method), and fail when a test says so. Intents are made and confirmed through the API.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import type { Address } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { chainWatcher } from '../../src/chain/watcher.js';
import { PaymentIntentObject } from '../../src/intents/intent-object.js';
import { expectErrorLogs } from '../expected-logs.js';
import { ADMIN_TOKEN, call, createMerchant, get, post, waitFor } from '../helpers.js';
import { receiverOrigin } from '../webhooks/receiver-client.js';
import { chainClient, randomXpub } from './local-chain-client.js';

const chain = chainClient(inject('watcherChain'));
let sk: string;

type Answer = { status: number; body?: string; retryAfter?: string; proxy?: string };
const passThrough: Answer = { status: 200, proxy: chain.info.rpcUrl };

/** Sets how the network's node answers from now on, and forgets the requests recorded so far. */
async function node(network: 'watched' | 'watched-b', answer: Answer, script: Answer[] = []) {
  const res = await fetch(`${receiverOrigin()}/mailboxes/rpc-${network}`, {
    method: 'PUT',
    body: JSON.stringify({ secrets: [], script, default: answer }),
  });
  expect(res.status).toBe(204);
}

/** JSON-RPC methods the network's watcher has called since the node was last set. */
async function calls(network: 'watched' | 'watched-b'): Promise<{ method: string; params: unknown[] }[]> {
  const res = await fetch(`${receiverOrigin()}/mailboxes/rpc-${network}`);
  const { requests } = (await res.json()) as { requests: { body: string }[] };
  return requests.map((r) => JSON.parse(r.body));
}

beforeAll(async () => {
  await node('watched', passThrough);
  await node('watched-b', passThrough);
  const merchant = await createMerchant('Chain watcher');
  sk = merchant.keys.test.secret;
  const set = await call(`/v1/admin/merchants/${merchant.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: randomXpub() } });
  expect(set.status).toBe(200);
});

const waitingIntents: string[] = [];
afterAll(async () => {
  for (const id of waitingIntents) await post(sk, `/v1/payment_intents/${id}/cancel`);
});

async function waitingIntent(network: 'watched' | 'watched-b', params: Record<string, unknown> = {}) {
  const created = await post(sk, '/v1/payment_intents', {
    amount: 1099,
    currency: 'usd',
    payment_method_types: ['crypto'],
    payment_method_options: { crypto: { network, token: 'usdc' } },
    ...params,
  });
  expect(created.res.status, JSON.stringify(created.body)).toBe(200);
  const { res, body } = await post(sk, `/v1/payment_intents/${created.body.id}/confirm`);
  expect(res.status, JSON.stringify(body)).toBe(200);
  waitingIntents.push(body.id);
  return { id: body.id as string, address: body.next_action.crypto_transfer.deposit_address as Address };
}

async function intent(id: string) {
  return (await get(sk, `/v1/payment_intents/${id}`)).body;
}

async function untilStatus(id: string, status: string, timeoutMs = 10_000) {
  await waitFor(async () => (await intent(id)).status === status, timeoutMs);
  return intent(id);
}

const watcher = (network: string) => chainWatcher(env, network);

/** The watcher has every one of these intents registered. */
async function registered(network: string, ids: string[]) {
  await waitFor(async () => {
    const { watches } = await watcher(network).inspect();
    const subscribers = new Set(watches.map((w) => w.subscriber));
    return ids.every((id) => subscribers.has(`payment_intent:${id}`));
  });
}

/** Waits until the watcher has made `reads` reads since the node was last set; returns the calls by method. */
async function callsOverReads(network: 'watched' | 'watched-b', reads: number) {
  let seen: { method: string; params: unknown[] }[] = [];
  await waitFor(async () => {
    seen = await calls(network);
    return seen.filter((c) => c.method === 'eth_getLogs').length >= reads;
  });
  const byMethod: Record<string, number> = {};
  for (const c of seen) byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
  return { byMethod, getLogs: seen.filter((c) => c.method === 'eth_getLogs') };
}

describe('one watcher per network', () => {
  it('reads the chain once per read for every waiting intent: the calls per read are the same for 1 and 20 intents', async () => {
    const first = await waitingIntent('watched');
    await registered('watched', [first.id]);
    await node('watched', passThrough);
    const one = await callsOverReads('watched', 5);

    const more = await Promise.all(Array.from({ length: 19 }, () => waitingIntent('watched')));
    await registered(
      'watched',
      more.map((i) => i.id),
    );
    await node('watched', passThrough);
    const twenty = await callsOverReads('watched', 5);

    for (const { byMethod, getLogs } of [one, twenty]) {
      // A read: the head, and one eth_getLogs (with the head its scan re-reads); nothing per intent.
      expect(Object.keys(byMethod).sort()).toEqual(['eth_blockNumber', 'eth_getLogs']);
      expect(Math.abs(byMethod.eth_blockNumber! - 2 * byMethod.eth_getLogs!)).toBeLessThanOrEqual(2);
      expect(getLogs.length).toBe(byMethod.eth_getLogs);
    }
    // Every watched address is in the one call's recipient filter.
    const [filter] = twenty.getLogs.at(-1)!.params as [{ topics: (string | string[] | null)[] }];
    const recipients = filter.topics[2] as string[];
    for (const { address } of [first, ...more]) expect(recipients).toContain(`0x${'0'.repeat(24)}${address.slice(2).toLowerCase()}`);
    expect(recipients).toHaveLength(20);

    // And a payment to one of them reaches that intent, and only that one.
    const paid = more[7]!;
    await chain.payUsdc(paid.address, 10_990_000n);
    await untilStatus(paid.id, 'processing');
    expect((await intent(more[8]!.id)).status).toBe('requires_action');
    await chain.mine(1);
    await untilStatus(paid.id, 'succeeded');
  });

  it('registers an intent when it gets its address, re-registers it for late funds when it stops waiting, and forgets it when told', async () => {
    const { id, address } = await waitingIntent('watched');
    await registered('watched', [id]);
    const row = async () => (await watcher('watched').inspect()).watches.find((w) => w.subscriber === `payment_intent:${id}`);
    const waiting = await intent(id);
    expect(await row()).toMatchObject({
      address,
      token: chain.usdc.address,
      from_block: expect.any(Number),
      confirmations: 2,
      until: null,
    });
    // Told at its expiry (expires_at is that instant in whole seconds).
    expect(Math.floor((await row())!.notify_at! / 1000)).toBe(waiting.next_action.crypto_transfer.expires_at);

    const canceled = (await post(sk, `/v1/payment_intents/${id}/cancel`)).body;
    await waitFor(async () => (await row())?.until !== null);
    expect(await row()).toMatchObject({ notify_at: null });
    expect(Math.floor((await row())!.until! / 1000)).toBe(canceled.crypto.monitor_until);

    // Registering again is idempotent; unregistering drops it, and again changes nothing.
    const subscriber = { kind: 'payment_intent' as const, id };
    await watcher('watched').unwatch('watched', subscriber, address, chain.usdc.address);
    await watcher('watched').unwatch('watched', subscriber, address, chain.usdc.address);
    expect(await row()).toBeUndefined();
    // A late payment to an address nobody watches any more reaches nobody.
    const late = await chain.payUsdc(address, 1_000_000n);
    await chain.mine(1);
    await waitFor(async () => ((await watcher('watched').inspect()).cursor.next_block ?? 0) > Number(late.blockNumber) + 1);
    expect((await intent(id)).crypto.late_transactions).toEqual([]);
  });

  it('registers an intent of an older release that still has its own poll timer', async () => {
    const { id, address } = await waitingIntent('watched');
    await registered('watched', [id]);
    await watcher('watched').unwatch('watched', { kind: 'payment_intent', id }, address, chain.usdc.address);
    const stub = env.INTENTS.get(env.INTENTS.idFromName(id));
    // Its storage as the release before the watcher left it: schema 3 (no shard placement, no keys of
    // its own: steps 4 and 6 make them again; a pre-shard object projects to SHARD_0), the intent's own
    // cursor, a poll timer.
    await runInDurableObject(stub, async (_instance, state) => {
      state.storage.sql.exec(`
        DROP TABLE placement;
        DROP TABLE IF EXISTS idempotency_keys;
        CREATE TABLE watch (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), cursor TEXT NOT NULL, transfers TEXT NOT NULL, rewind TEXT);
        INSERT INTO watch (singleton, cursor, transfers) VALUES (1, '1', '[]');
        UPDATE schema_version SET version = 3;
        DELETE FROM timers WHERE kind = 'watch';
      `);
      state.storage.sql.exec(`INSERT INTO timers (kind, key, due_at, attempts) VALUES ('poll', '', ?, 2)`, Date.now() + 500);
    });
    await runInDurableObject(stub, (_instance, state) => state.abort('evicted by the test')).catch(() => undefined);
    // Loaded again, it is migrated, and its poll becomes a registration with the watcher.
    await waitFor(async () => (await intent(id)).status === 'requires_action');
    await registered('watched', [id]);
    // A new stub: the old one is broken by the eviction.
    await runInDurableObject(env.INTENTS.get(env.INTENTS.idFromName(id)), async (_instance, state) => {
      const tables = state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`).toArray();
      expect(tables.map((t) => t.name)).not.toContain('watch');
      const kinds = state.storage.sql.exec<{ kind: string }>('SELECT kind FROM timers').toArray();
      expect(kinds.map((t) => t.kind)).not.toContain('poll');
    });
    await chain.payUsdc(address, 10_990_000n);
    await untilStatus(id, 'processing');
  });
});

describe('deliveries', () => {
  it('retries a delivery the intent failed to take, without holding up the others', async () => {
    const [failing, other] = [await waitingIntent('watched'), await waitingIntent('watched')];
    await registered('watched', [failing.id, other.id]);
    const original = PaymentIntentObject.prototype.chainObserved;
    let refusals = 0;
    PaymentIntentObject.prototype.chainObserved = async function (this: PaymentIntentObject, delivery) {
      if (delivery.kind !== 'mandate_logs' && delivery.address === failing.address && refusals < 2) {
        refusals += 1;
        throw new Error('the intent is unavailable (test)');
      }
      return original.call(this, delivery);
    };
    const logs = expectErrorLogs(
      (log) => log.msg === 'watch delivery failed; retrying' && log.subscriber === `payment_intent:${failing.id}`,
    );
    try {
      await chain.payUsdc(failing.address, 10_990_000n);
      await chain.payUsdc(other.address, 10_990_000n);
      await untilStatus(other.id, 'processing');
      // Told on a later attempt: by then its transfer may have its confirmations too.
      await waitFor(async () => (await intent(failing.id)).crypto.transactions.length === 1, 15_000);
    } finally {
      PaymentIntentObject.prototype.chainObserved = original;
      logs.restore();
    }
    expect(refusals).toBe(2);
    expect(logs.caught.map((l) => l.attempt)).toEqual([1, 2]);
  });
});

describe('faults and networks', () => {
  it('backs off when its node fails, honouring Retry-After, while the other network goes on; then catches up', async () => {
    const down = await waitingIntent('watched');
    const up = await waitingIntent('watched-b');
    await registered('watched', [down.id]);
    await registered('watched-b', [up.id]);
    const logs = expectErrorLogs((log) => log.msg === 'chain poll failed; retrying' && log.network === 'watched');
    try {
      await node('watched', { status: 503, body: 'upstream down' }, [{ status: 429, retryAfter: '5' }]);
      await waitFor(async () => logs.caught.length >= 2, 15_000);
      // The first failure was a 429 asking for 5 s: waited out before the next read. Then 503s, backing off.
      expect(logs.caught[0]).toMatchObject({ fault: 'rate-limited', attempt: 0, retryInMs: 5_000 });
      expect(logs.caught[1]).toMatchObject({ fault: 'server-error', attempt: 1, retryInMs: 1_000 });
      expect((await watcher('watched').inspect()).cursor.faults).toBeGreaterThanOrEqual(2);

      // The other network's watcher is another object with its own node: it goes on.
      await chain.payUsdc(up.address, 10_990_000n);
      await chain.payUsdc(down.address, 10_990_000n);
      // (The second payment's block is the first's second confirmation: it may be succeeded already.)
      await waitFor(async () => (await intent(up.id)).crypto.transactions.length === 1);
      expect((await intent(down.id)).status).toBe('requires_action');

      await node('watched', passThrough);
      await waitFor(async () => (await intent(down.id)).crypto.transactions.length === 1, 20_000);
      expect((await watcher('watched').inspect()).cursor.faults).toBe(0);
    } finally {
      logs.restore();
      await node('watched', passThrough);
    }
  });

  it('takes back a transfer a reorg dropped, and finds it again where the chain re-includes it', async () => {
    const { id, address } = await waitingIntent('watched-b', {
      amount: 2_000_000,
      currency: 'usdc',
    });
    await registered('watched-b', [id]);
    const receipt = await chain.payUsdc(address, 2_000_000n);
    await untilStatus(id, 'processing');
    const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    await chain.rpc('anvil_reorg', [Number(head - receipt.blockNumber + 1n), []]);
    const back = await untilStatus(id, 'requires_action');
    expect(back.crypto.transactions).toEqual([]);
    const again = await chain.payUsdc(address, 2_000_000n);
    const processing = await untilStatus(id, 'processing');
    expect(processing.crypto.transactions.map((t: any) => t.hash)).toEqual([again.transactionHash]);
  });
});
