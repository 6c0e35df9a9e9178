/**
 * A chain that went backwards past an intent's watch: what `npm run dev` did to intents of an
 * earlier run when its local chain started empty, and what a reorg deeper than the re-checked
 * blocks (or a node far behind) does in production. Against a real anvil that only this file uses
 * (`rewindChain`, CHAINS network `rewind`): evm_revert takes it back to a snapshot, as a reset chain.
 *
 * What must hold: one warning per intent, not an error per poll; nothing about the intent changes
 * while the chain is behind (no expiry, nothing counted or taken back); once the chain is past the
 * last block read again, the watch scans again and what is on chain then counts — a payment made
 * on the new chain below the intent's start block included, the vanished one dropped.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { chainClient, randomXpub } from '../chain/local-chain-client.js';
import { ADMIN_TOKEN, call, createMerchant, get, post, waitFor } from '../helpers.js';

const chain = chainClient(inject('rewindChain'));

let sk: string;

beforeAll(async () => {
  const merchant = await createMerchant('Chain rewind');
  sk = merchant.keys.test.secret;
  const set = await call(`/v1/admin/merchants/${merchant.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: randomXpub() } });
  expect(set.status).toBe(200);
});

async function confirmed(expiresIn: number) {
  const created = await post(sk, '/v1/payment_intents', {
    amount: 1099,
    currency: 'usd',
    payment_method_types: ['crypto'],
    payment_method_options: { crypto: { network: 'rewind', token: 'usdc', expires_in: expiresIn } },
  });
  expect(created.res.status, JSON.stringify(created.body)).toBe(200);
  const { res, body } = await post(sk, `/v1/payment_intents/${created.body.id}/confirm`);
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function intent(id: string) {
  return (await get(sk, `/v1/payment_intents/${id}`)).body;
}

async function eventTypes(id: string): Promise<string[]> {
  const { body } = await get(sk, '/v1/events?limit=100');
  return (body.data as any[])
    .filter((e) => e.data.object.id === id)
    .sort((a, b) => a.sequence - b.sequence)
    .map((e) => e.type);
}

async function head(): Promise<bigint> {
  return chain.publicClient.getBlockNumber({ cacheTime: 0 });
}

/** The app's JSON log lines (src/lib/log.ts) about these intents, at any level; others pass through. */
function captureLogs(intents: string[]) {
  const lines: { level: string; msg: string; intent: string; [field: string]: unknown }[] = [];
  const spies = (['error', 'warn', 'log'] as const).map((method) => {
    const original = console[method].bind(console);
    return vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      try {
        const parsed = args.length === 1 && typeof args[0] === 'string' ? JSON.parse(args[0]) : null;
        if (parsed && typeof parsed.level === 'string' && intents.includes(parsed.intent)) {
          lines.push(parsed);
          return;
        }
      } catch {
        // not one of ours
      }
      original(...args);
    });
  });
  return {
    lines,
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

let restoreLogs: (() => void) | undefined;
afterEach(() => restoreLogs?.());

describe('a chain that went backwards past the watch (a reset chain)', () => {
  it('warns once per intent, changes nothing while behind (no expiry), then scans again and counts what is on chain', async () => {
    // The chain as `npm run dev` used to start it: the demo token deployed, nothing else.
    const empty = await chain.rpc<string>('evm_snapshot');
    await chain.mine(30);

    // `waiting` has a 10 s window and no payment; `paid` was partly paid before the reset.
    const waiting = await confirmed(10);
    const paid = await confirmed(120);
    const to = paid.next_action.crypto_transfer.deposit_address;
    const partial = await chain.payUsdc(to, 5_000_000n);
    await chain.mine(2);
    await waitFor(async () => (await intent(paid.id)).crypto.amount_confirmed === '5000000');
    const before = { waiting: await intent(waiting.id), paid: await intent(paid.id) };
    const eventsBefore = { waiting: await eventTypes(waiting.id), paid: await eventTypes(paid.id) };
    expect(eventsBefore.paid).toEqual(['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.partially_funded']);
    const lastRead = await head();

    const logs = captureLogs([waiting.id, paid.id]);
    restoreLogs = logs.restore;
    // Reset: every block the intents read is gone.
    await chain.rpc('evm_revert', [empty]);
    const resetHead = await head();
    expect(resetHead).toBeLessThan(lastRead - 30n);
    // The payer pays again on the new chain: at a block below the intent's start block.
    const again = await chain.payUsdc(to, 10_990_000n);
    expect(again.blockNumber).toBeLessThan(lastRead - 30n);

    // Past `waiting`'s window, with the chain still behind: about 20 polls each.
    const expiresAt = waiting.next_action.crypto_transfer.expires_at as number;
    await new Promise((r) => setTimeout(r, expiresAt * 1000 - Date.now() + 2_500));
    const during = { waiting: await intent(waiting.id), paid: await intent(paid.id) };
    // Nothing changed: not abandoned, the vanished partial payment not taken back, the new one not counted yet.
    expect(during.waiting.status).toBe('requires_action');
    expect(during.waiting.canceled_at).toBeNull();
    expect(during.paid.status).toBe('requires_action');
    expect(during.paid.crypto).toEqual(before.paid.crypto);
    expect(during.waiting.crypto).toEqual(before.waiting.crypto);
    expect(await eventTypes(waiting.id)).toEqual(eventsBefore.waiting);
    expect(await eventTypes(paid.id)).toEqual(eventsBefore.paid);
    // One warning each, no error.
    expect(logs.lines.filter((l) => l.level === 'error')).toEqual([]);
    const warnings = logs.lines.filter((l) => l.level === 'warn');
    expect(warnings.map((l) => l.intent).sort()).toEqual([waiting.id, paid.id].sort());
    for (const w of warnings) {
      expect(w).toMatchObject({ msg: 'chain went back past the watch; the intent waits for it', network: 'rewind' });
      expect(BigInt(w.head as string)).toBeLessThan(lastRead - 30n);
      expect(BigInt(w.lastRead as string)).toBeGreaterThan(lastRead - 5n);
      // Scanned again from below the lowest head seen: the reset chain's own blocks.
      expect(BigInt(w.rescanFrom as string)).toBeLessThanOrEqual(resetHead);
    }

    // The chain comes back past the last block read.
    await chain.mine(Number(lastRead - (await head())) + 1);
    const done = await waitFor(async () => (await intent(paid.id)).status === 'succeeded', 10_000).then(() => intent(paid.id));
    // Only what is on chain now counts: the payment on the new chain, not the vanished one.
    expect(done.crypto.transactions.map((t: any) => t.hash)).toEqual([again.transactionHash]);
    expect(done.crypto.transactions.map((t: any) => t.hash)).not.toContain(partial.transactionHash);
    expect(done).toMatchObject({ amount_received: 1099, crypto: { amount_received: '10990000', excess: '0' } });
    // `waiting` is abandoned now: a real read of the chain past its window, with nothing paid in time.
    await waitFor(async () => (await intent(waiting.id)).status === 'canceled', 10_000);
    const abandoned = await intent(waiting.id);
    expect(abandoned.cancellation_reason).toBe('abandoned');
    expect(abandoned.canceled_at).toBeGreaterThan(expiresAt);

    // Still one warning each; the end of it said once each.
    expect(logs.lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(logs.lines.filter((l) => l.level === 'warn')).toHaveLength(2);
    const resumed = logs.lines.filter((l) => l.level === 'info');
    expect(resumed.map((l) => l.intent).sort()).toEqual([waiting.id, paid.id].sort());
    expect(resumed[0]).toMatchObject({ msg: 'chain back past the watch; scanned again', network: 'rewind' });
  });
});
