/**
 * What both fuzzers (bad-input.test.ts over the canonical document, families.test.ts over each family's)
 * share: the run's seed and scale, a seed per operation and phase, the merchant state a refusal must
 * leave alone, the worker's console kept out of the output, and how a request is described and what
 * parameter names it carries.
 */
import fc from 'fast-check';
import { inject, vi } from 'vitest';
import type { TestMerchant } from '../../helpers.js';
import type { Case } from './cases.js';
import { type Operation, stateOf } from '../route-fixtures.js';
import { isObject } from './schema.js';

export const SEED = inject('fuzzSeed') === '' ? Math.floor(Math.random() * 2 ** 31) : Number(inject('fuzzSeed'));
export const ONLY = inject('fuzzOnly');
export const SCALE = Number(inject('fuzzScale') || '1');

/** A 32-bit seed per operation and phase, derived from the run's: each reproduces on its own. */
export function seedFor(op: Operation, phase: string): number {
  let h = SEED >>> 0;
  for (const ch of `${op.name} ${phase}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x9e3779b1) >>> 0;
  return h;
}

/** The state a refusal must leave alone, without what changes on its own (deliveries still pending). */
export async function settledState(m: TestMerchant) {
  const state = await stateOf(m);
  return JSON.parse(JSON.stringify(state, (key, value) => (key === 'pending_webhooks' ? undefined : value)));
}

export function echoes(text: string, card: { digits: string; text: string }): boolean {
  return text.includes(card.digits) || text.includes(card.text) || text.replace(/[\s-]/g, '').includes(card.digits);
}

/** What the worker writes to the console while it answers, kept out of the run's output. */
export function captureConsole() {
  const lines: string[] = [];
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    }),
  );
  const restore = () => {
    for (const spy of spies) spy.mockRestore();
  };
  return { lines, restore };
}

/** The parameter names a request carries, as sent and as decoded: query names, and the body's top-level names. */
export async function sentNames(request: Request): Promise<Set<string>> {
  const names = new Set<string>();
  const addPairs = (text: string) => {
    for (const pair of text.split(/[&;]/)) {
      const raw = pair.split('=')[0]!;
      names.add(raw).add(raw.split('[')[0]!);
      try {
        const decoded = decodeURIComponent(raw.replaceAll('+', ' '));
        names.add(decoded).add(decoded.split('[')[0]!);
      } catch {
        // kept as sent
      }
    }
  };
  addPairs(new URL(request.url).search.slice(1));
  if (request.body) {
    const text = new TextDecoder().decode(await request.arrayBuffer());
    try {
      const parsed = JSON.parse(text);
      if (isObject(parsed)) for (const key of Object.keys(parsed)) names.add(key);
    } catch {
      addPairs(text);
    }
  }
  return names;
}

export async function describeRequest(request: Request): Promise<string> {
  const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
  const shownBody = body ? new TextDecoder().decode(body.slice(0, 300)) + (body.length > 300 ? `… (${body.length} bytes)` : '') : '';
  const url = request.url.length > 300 ? `${request.url.slice(0, 300)}… (${request.url.length})` : request.url;
  const ctype = request.headers.get('content-type');
  const key = request.headers.get('idempotency-key');
  return `${request.method} ${url}${ctype === null ? '' : ` [${ctype}]`}${key === null ? '' : ` [Idempotency-Key ${JSON.stringify(key.slice(0, 60))}]`} ${JSON.stringify(shownBody)}`;
}

/** Runs one phase of an operation's cases, seeded per operation and phase. */
export async function runPhase(
  run: { op: Operation; check: (c: Case) => Promise<void> },
  arbitrary: fc.Arbitrary<Case>,
  phase: string,
  numRuns: number,
  examples: Case[] = [],
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary, (c) => run.check(c)),
    { seed: seedFor(run.op, phase), numRuns: Math.ceil(numRuns * SCALE), examples: examples.map((c) => [c]) },
  );
}
