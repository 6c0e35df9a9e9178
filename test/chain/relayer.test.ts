/**
 * The relayer (src/chain/relayer.ts): one Durable Object per (network, relayer key) that sends each
 * attempt once. Against its own anvil (`relayerChain`, CHAINS network `relay`, chain id 31344, 2
 * confirmations), which these tests stop mining, drop transactions from and rewind. The relayer's
 * key is anvil's default account 7 (vitest.config.ts); the relayer's alarm runs by itself (every
 * 500 ms, the network's poll interval) and the tests wait for what a caller would see: `status(id)`.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { type Address, encodeFunctionData, erc20Abi, getAddress, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { type RelayedTransaction, relayer } from '../../src/chain/relayer.js';
import { expectErrorLogs } from '../expected-logs.js';
import { call, waitFor } from '../helpers.js';
import { chainClient } from './local-chain-client.js';

const chain = chainClient(inject('relayerChain'));
const NETWORK = 'relay';
const KEY = env.RELAYER_PRIVATE_KEY as Hex;
const RELAYER = privateKeyToAccount(KEY).address;
const stub = () => relayer(env, NETWORK);

/** Everything the app writes to the console during this file, to check the key is never in it. */
const consoleLines: string[] = [];
beforeAll(() => {
  for (const level of ['log', 'info', 'warn', 'error'] as const) {
    const original = console[level].bind(console);
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      const line = args.map(String).join(' ');
      consoleLines.push(line);
      // The relayer's warnings and notes these tests provoke on purpose are held back; anything else prints.
      if (!(level !== 'error' && /^\{"level":"(warn|info)","msg":"relayer /.test(line))) original(...args);
    });
  }
});
afterAll(() => {
  vi.restoreAllMocks();
});

function newId(): string {
  return `att_${crypto.randomUUID().replaceAll('-', '')}`;
}

function recipient(): Address {
  return getAddress(`0x${[...crypto.getRandomValues(new Uint8Array(20))].map((b) => b.toString(16).padStart(2, '0')).join('')}`);
}

/** Each attempt's recipient: asking for an id again is asking for the same transaction. */
const recipients = new Map<string, Address>();

/** Sends 1 wei to the attempt's own recipient under `id`. */
async function send(id: string) {
  const to = recipients.get(id) ?? recipient();
  recipients.set(id, to);
  const result = await stub().send(NETWORK, { id, to, data: '0x', value: 1n });
  if (!result.ok) throw new Error(`send refused: ${result.error}: ${result.message}`);
  return result.transaction;
}

async function status(id: string): Promise<RelayedTransaction> {
  const s = await stub().status(id);
  if (!s) throw new Error(`no attempt ${id}`);
  return s;
}

async function untilFinal(id: string, timeoutMs = 15_000): Promise<RelayedTransaction> {
  await waitFor(async () => (await status(id)).final, timeoutMs);
  return status(id);
}

/** Transactions of the relayer's key ever mined: its account nonce. */
function minedCount(): Promise<number> {
  return chain.publicClient.getTransactionCount({ address: RELAYER, blockTag: 'latest' });
}

async function automine(on: boolean): Promise<void> {
  await chain.rpc('evm_setAutomine', [on]);
}

/** Replaces the relayer's broadcast for one call: the test decides what happens around the real one. */
async function onNextBroadcast(behaviour: 'fail-before' | 'fail-after'): Promise<void> {
  await runInDurableObject(stub(), (instance) => {
    const object = instance as unknown as { broadcastRaw(network: string, raw: Hex): Promise<void> };
    const real = object.broadcastRaw.bind(instance);
    object.broadcastRaw = async (network, raw) => {
      // Later calls (the next send, the alarm) reach the node as usual.
      delete (object as Partial<typeof object>).broadcastRaw;
      if (behaviour === 'fail-after') await real(network, raw);
      throw new Error('evicted by the test');
    };
  });
}

/** Mines one attempt with a block on top: final at 2 confirmations. */
async function confirm(id: string): Promise<RelayedTransaction> {
  await waitFor(async () => (await status(id)).status === 'mined', 10_000);
  await chain.mine(1);
  return untilFinal(id);
}

describe('sending', () => {
  it('gives two concurrent callers distinct consecutive nonces, and both are mined', async () => {
    const [a, b] = [newId(), newId()];
    const [first, second] = await Promise.all([send(a), send(b)]);
    expect(first.from).toBe(RELAYER);
    expect([first.nonce, second.nonce].sort((x, y) => x - y)).toEqual([
      Math.min(first.nonce, second.nonce),
      Math.min(first.nonce, second.nonce) + 1,
    ]);
    await chain.mine(1);
    const [minedA, minedB] = await Promise.all([untilFinal(a), untilFinal(b)]);
    expect([minedA.status, minedB.status]).toEqual(['mined', 'mined']);
    const receiptA = await chain.publicClient.getTransactionReceipt({ hash: minedA.hash });
    const receiptB = await chain.publicClient.getTransactionReceipt({ hash: minedB.hash });
    expect(receiptA.status).toBe('success');
    expect(receiptB.status).toBe('success');
    expect(minedA.blockNumber).toBe(receiptA.blockNumber);
    expect(await minedCount()).toBe(Math.max(first.nonce, second.nonce) + 1);
  });

  it('sends one id once, asked twice at once and again later', async () => {
    const id = newId();
    const before = await minedCount();
    const [one, two] = await Promise.all([send(id), send(id)]);
    expect(two.hash).toBe(one.hash);
    expect(two.nonce).toBe(one.nonce);
    const again = await send(id);
    expect(again.hash).toBe(one.hash);
    await confirm(id);
    expect(await send(id)).toMatchObject({ hash: one.hash, status: 'mined', final: true });
    expect(await minedCount()).toBe(before + 1);
    // The same id with other parameters is a caller's bug, refused naming the field; nothing is sent.
    expect(await stub().send(NETWORK, { id, to: one.to, data: '0x', value: 2n })).toMatchObject({
      ok: false,
      error: 'invalid_request',
      param: 'value',
    });
    expect(await stub().send(NETWORK, { id, to: recipient(), data: '0x', value: 1n })).toMatchObject({ ok: false, param: 'to' });
    expect(await minedCount()).toBe(before + 1);
  });

  it('broadcasts an attempt written down but never broadcast (an eviction in between) once, when the id comes again', async () => {
    const id = newId();
    const before = await minedCount();
    await onNextBroadcast('fail-before');
    const written = await send(id);
    expect(written).toMatchObject({ status: 'pending', broadcast: false, nonce: before });
    const resent = await send(id);
    expect(resent.hash).toBe(written.hash);
    const final = await confirm(id);
    expect(final).toMatchObject({ hash: written.hash, status: 'mined', nonce: before });
    expect(await minedCount()).toBe(before + 1);
  });

  it('takes a transaction broadcast but not recorded as sent when the node has mined it (nonce too low)', async () => {
    const id = newId();
    const before = await minedCount();
    await onNextBroadcast('fail-after');
    const written = await send(id);
    expect(written.broadcast).toBe(false);
    // The node mined it already (automine): a second broadcast is "nonce too low", and the hash is its own.
    expect(await send(id)).toMatchObject({ hash: written.hash, broadcast: true });
    expect(await confirm(id)).toMatchObject({ hash: written.hash, status: 'mined' });
    expect(await minedCount()).toBe(before + 1);
  });

  it('treats "already known" as sent', async () => {
    const id = newId();
    const before = await minedCount();
    await automine(false);
    try {
      await onNextBroadcast('fail-after');
      const written = await send(id);
      expect(written.broadcast).toBe(false);
      // In the node's pool, not mined: the second broadcast is answered "already known".
      expect(await send(id)).toMatchObject({ hash: written.hash, broadcast: true, status: 'pending' });
      await chain.rpc('evm_mine');
    } finally {
      await automine(true);
    }
    await chain.mine(1);
    expect(await untilFinal(id)).toMatchObject({ status: 'mined', nonce: before });
    expect(await minedCount()).toBe(before + 1);
  });

  it('resyncs its nonce when a transaction of its key was sent outside it ("nonce too low")', async () => {
    await confirm((await send(newId())).id);
    const outside = chain.wallet(7);
    expect(outside.account.address).toBe(RELAYER);
    const hash = await outside.sendTransaction({ to: recipient(), value: 1n });
    const outsideNonce = (await chain.mined(hash)) && (await chain.publicClient.getTransaction({ hash })).nonce;
    const id = newId();
    const sent = await send(id);
    expect(sent).toMatchObject({ nonce: outsideNonce + 1, broadcast: true });
    expect(await confirm(id)).toMatchObject({ status: 'mined', nonce: outsideNonce + 1 });
    expect(await minedCount()).toBe(outsideNonce + 2);
  });
});

describe('refusals', () => {
  it('refuses a malformed request naming the parameter, and writes nothing', async () => {
    const valid = { id: newId(), to: recipient(), data: '0x' as Hex };
    const cases = [
      [{ ...valid, id: '' }, 'id'],
      [{ ...valid, to: '0x1234' as Address }, 'to'],
      [{ ...valid, data: '0xabc' as Hex }, 'data'],
      [{ ...valid, value: -1n }, 'value'],
      [{ ...valid, gas: 0n }, 'gas'],
    ] as const;
    for (const [request, param] of cases) {
      expect(await stub().send(NETWORK, request)).toMatchObject({ ok: false, error: 'invalid_request', param });
    }
    expect(await stub().status(valid.id)).toBeNull();
  });

  it('refuses a call the node says would revert, and writes nothing', async () => {
    const id = newId();
    // The relayer holds no USDC: the transfer reverts in the gas estimate.
    const data = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [recipient(), 1n] });
    const refused = await stub().send(NETWORK, { id, to: chain.usdc.address, data });
    expect(refused).toMatchObject({ ok: false, error: 'transaction_would_revert' });
    expect(await stub().status(id)).toBeNull();
  });

  it('records a transaction mined but reverted as failed', async () => {
    const id = newId();
    const data = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [recipient(), 1n] });
    const sent = await stub().send(NETWORK, { id, to: chain.usdc.address, data, gas: 100_000n });
    expect(sent.ok).toBe(true);
    await waitFor(async () => (await status(id)).status === 'failed', 10_000);
    await chain.mine(1);
    const final = await untilFinal(id);
    expect(final).toMatchObject({ status: 'failed', final: true });
    expect((await chain.publicClient.getTransactionReceipt({ hash: final.hash })).status).toBe('reverted');
  });
});

describe('watching what was sent', () => {
  it('re-prices a stuck transaction with the same nonce, and it is mined once', async () => {
    const id = newId();
    const before = await minedCount();
    let sent: RelayedTransaction;
    await automine(false);
    try {
      sent = await send(id);
      // Not mined after RELAYER_REPRICE_AFTER_SECONDS (2 s in tests): signed again with higher fees.
      await waitFor(async () => (await status(id)).hashes.length >= 2, 10_000);
      const repriced = await status(id);
      expect(repriced.nonce).toBe(sent.nonce);
      expect(repriced.hashes[0]).toBe(sent.hash);
      expect(repriced.maxPriorityFeePerGas * 10n).toBeGreaterThanOrEqual(sent.maxPriorityFeePerGas * 11n);
      expect(repriced.maxFeePerGas * 10n).toBeGreaterThanOrEqual(sent.maxFeePerGas * 11n);
      await chain.rpc('evm_mine');
    } finally {
      await automine(true);
    }
    await chain.mine(1);
    const final = await untilFinal(id);
    expect(final).toMatchObject({ status: 'mined', nonce: sent.nonce });
    expect(final.hashes).toContain(final.hash);
    expect(final.hash).not.toBe(sent.hash);
    expect(await minedCount()).toBe(before + 1);
    // The first signature never made it: only one transaction of this nonce exists.
    expect(await chain.publicClient.getTransactionReceipt({ hash: sent.hash }).catch(() => null)).toBeNull();
  });

  it('broadcasts a dropped transaction again, and it is mined once', async () => {
    const id = newId();
    const before = await minedCount();
    await automine(false);
    try {
      const sent = await send(id);
      expect(sent.broadcast).toBe(true);
      await chain.rpc('anvil_dropTransaction', [sent.hash]);
      expect(await chain.publicClient.getTransaction({ hash: sent.hash }).catch(() => null)).toBeNull();
      // The alarm notices the node no longer knows it, and sends the signed transaction again.
      await waitFor(async () => {
        const s = await status(id);
        return (await chain.publicClient.getTransaction({ hash: s.hash }).catch(() => null)) !== null;
      }, 10_000);
      await chain.rpc('evm_mine');
    } finally {
      await automine(true);
    }
    await chain.mine(1);
    expect(await untilFinal(id)).toMatchObject({ status: 'mined', nonce: before });
    expect(await minedCount()).toBe(before + 1);
  });

  it('sends a transaction again when a reorg drops its block before its confirmations, and it is mined once', async () => {
    const id = newId();
    const before = await minedCount();
    const snapshot = await chain.rpc<Hex>('evm_snapshot');
    const sent = await send(id);
    await waitFor(async () => (await status(id)).status === 'mined', 10_000);
    const firstBlock = (await status(id)).blockHash;
    // The chain goes back to before the send (the block is gone); the relayer broadcasts it again.
    await chain.rpc('evm_revert', [snapshot]);
    await chain.mine(1);
    await waitFor(async () => {
      const s = await status(id);
      return s.status === 'mined' && s.blockHash !== firstBlock;
    }, 10_000);
    await chain.mine(1);
    const final = await untilFinal(id);
    expect(final).toMatchObject({ status: 'mined', hash: sent.hash, nonce: before });
    expect(final.blockHash).not.toBe(firstBlock);
    expect((await chain.publicClient.getTransactionReceipt({ hash: sent.hash })).blockHash).toBe(final.blockHash);
    expect(await minedCount()).toBe(before + 1);
  });

  it('reports an attempt whose nonce another transaction of its key took as replaced, and never sends it again', async () => {
    const id = newId();
    await automine(false);
    let sent: RelayedTransaction;
    let outside: `0x${string}`;
    try {
      sent = await send(id);
      expect(sent.broadcast).toBe(true);
      // Someone with the key (an operator's wallet) replaces it in the pool with the same nonce.
      outside = await chain.wallet(7).sendTransaction({
        to: recipient(),
        value: 2n,
        nonce: sent.nonce,
        maxFeePerGas: sent.maxFeePerGas * 3n,
        maxPriorityFeePerGas: sent.maxPriorityFeePerGas * 3n,
      });
      await chain.rpc('evm_mine');
    } finally {
      await automine(true);
    }
    const final = await untilFinal(id);
    expect(final).toMatchObject({ status: 'replaced', nonce: sent.nonce, blockNumber: null });
    expect((await chain.publicClient.getTransaction({ hash: outside })).nonce).toBe(sent.nonce);
    for (const hash of final.hashes) expect(await chain.publicClient.getTransactionReceipt({ hash }).catch(() => null)).toBeNull();
    // Asked again, it stays what it became: nothing is signed anew.
    expect(await send(id)).toMatchObject({ status: 'replaced', hashes: final.hashes });
    expect(await minedCount()).toBe(sent.nonce + 1);
  });

  it('lists nothing pending once everything is final', async () => {
    await waitFor(async () => (await stub().pending()).length === 0, 10_000);
    expect(await stub().pending()).toEqual([]);
  });
});

describe('gas money', () => {
  it('refuses a send with relayer_out_of_funds, fails readiness naming the relayer, and recovers after a top-up', async () => {
    const funded = await chain.publicClient.getBalance({ address: RELAYER });
    const logs = expectErrorLogs((log) => log.msg.startsWith('relayer out of gas money'));
    try {
      await chain.rpc('anvil_setBalance', [RELAYER, '0x0']);
      const id = newId();
      const refused = await stub().send(NETWORK, { id, to: recipient(), data: '0x', value: 1n });
      expect(refused).toMatchObject({ ok: false, error: 'relayer_out_of_funds', network: NETWORK, relayer: RELAYER, balance: 0n });
      // Nothing written down for it: the caller may try again after a top-up.
      expect(await stub().status(id)).toBeNull();
      // A second refusal does not log again.
      await stub().send(NETWORK, { id: newId(), to: recipient(), data: '0x' });
      expect(logs.caught).toEqual([expect.objectContaining({ network: NETWORK, relayer: RELAYER, balance: '0' })]);

      const notReady = await call('/health/ready');
      expect(notReady.status).toBe(503);
      const { problems } = (await notReady.json()) as { problems: string[] };
      expect(problems).toEqual([expect.stringContaining(`the relayer ${RELAYER} on ${NETWORK} is out of gas money`)]);
      expect(JSON.stringify(problems)).not.toContain(KEY.slice(2));
    } finally {
      await chain.rpc('anvil_setBalance', [RELAYER, `0x${funded.toString(16)}`]);
      logs.restore();
    }
    const ready = await call('/health/ready');
    expect(ready.status).toBe(200);
    const id = newId();
    await send(id);
    expect(await confirm(id)).toMatchObject({ status: 'mined' });
  });
});

describe('the key', () => {
  it('is never in the object’s storage, its answers or the logs', async () => {
    const secret = KEY.slice(2).toLowerCase();
    const dump = await runInDurableObject(stub(), (_instance, state) => {
      const tables = state.storage.sql
        .exec<{ name: string }>(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'`,
        )
        .toArray();
      return JSON.stringify(tables.map(({ name }) => state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray()));
    });
    // The attempts are there (their signed transactions included), the key is not.
    expect(dump).toContain('"network"');
    expect(dump).toContain('"raw":"0x02');
    expect(dump.toLowerCase()).not.toContain(secret);
    const answers = JSON.stringify(await stub().pending(), (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    expect(answers.toLowerCase()).not.toContain(secret);
    expect(consoleLines.length).toBeGreaterThan(0);
    for (const line of consoleLines) expect(line.toLowerCase()).not.toContain(secret);
  });
});
