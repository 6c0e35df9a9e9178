/** The debit item's pure rules, and the conditional write that keeps concurrent changes from overwriting each other. */
import { describe, expect, it } from 'vitest';
import { findDebitItem, insertDebitItem, replaceDebitItem } from '../../src/db/debit-items.js';
import {
  type DebitItem,
  intervalProblem,
  intervalSeconds,
  redirectUrlProblem,
  updatedItem,
  withActive,
} from '../../src/domain/debit-item.js';
import { newButtonId, newId } from '../../src/lib/ids.js';
import { SHARDS } from '../helpers.js';

const item = (): DebitItem => ({
  id: newId('di'),
  merchantId: `acct_${crypto.randomUUID()}`,
  livemode: false,
  name: 'Plan',
  network: 'testnet',
  chainId: 31_340,
  token: { symbol: 'usdc', decimals: 6, address: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
  payeeAddress: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  maxPrice: (1n << 128n) - 1n,
  debitTimes: 12,
  interval: { unit: 'days', days: 30 },
  pricing: 'fixed',
  redirectUrl: 'https://shop.example/done',
  buttonId: newButtonId(),
  active: true,
  metadata: { a: '1' },
  created: 1_764_504_000_000,
  revision: 1,
});

describe('debit item rules', () => {
  it.each([
    [{ unit: 'days', days: 30 } as const, 2_592_000],
    [{ unit: 'seconds', seconds: 10 } as const, 10],
  ])('the interval %j is %i seconds on chain', (interval, seconds) => {
    expect(intervalSeconds(interval)).toBe(seconds);
  });

  it.each([
    ['https://shop.example/done', false, null],
    ['http://localhost:3000/done', false, null],
    ['http://localhost:3000/done', true, 'loopback'],
    ['http://shop.example/done', false, 'https'],
    ['https://192.168.1.10/done', false, 'private'],
  ])('redirect_url %s in livemode=%s: %s', (url, livemode, problem) => {
    const found = redirectUrlProblem(url, livemode);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });

  it('refuses the seconds form in live mode only', () => {
    expect(intervalProblem({ unit: 'seconds', seconds: 60 }, true)).toContain('test mode only');
    expect(intervalProblem({ unit: 'seconds', seconds: 60 }, false)).toBeNull();
    expect(intervalProblem({ unit: 'days', days: 1 }, true)).toBeNull();
  });

  it('an update merges metadata ("" removes), keeps the signed terms, and counts a revision', () => {
    const before = item();
    const after = updatedItem(before, { name: 'New', metadata: { a: '', b: '2' } });
    expect(after).toEqual({ ...before, name: 'New', metadata: { b: '2' }, revision: 2 });
  });

  it('deactivating twice changes nothing the second time', () => {
    const off = withActive(item(), false);
    expect(off.active).toBe(false);
    expect(off.revision).toBe(2);
    expect(withActive(off, false)).toBe(off);
  });
});

describe('replaceDebitItem', () => {
  it('writes only over the revision it was computed from: the second of two writes from one read is told conflict', async () => {
    const made = item();
    const d1 = SHARDS.SHARD_0!;
    await insertDebitItem(d1, made);
    const scope = { merchantId: made.merchantId, livemode: false };
    expect(await replaceDebitItem(d1, updatedItem(made, { name: 'First' }), made.revision)).toBe('written');
    expect(await replaceDebitItem(d1, updatedItem(made, { name: 'Second' }), made.revision)).toBe('conflict');
    const stored = await findDebitItem(d1, scope, made.id);
    expect(stored).toMatchObject({ name: 'First', revision: 2, maxPrice: (1n << 128n) - 1n });
  });
});
