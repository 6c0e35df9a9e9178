/**
 * Faults injected into an intent's Durable Object at the steps of a command: the shell's commit
 * (state + events + timers in one transaction), its projection hook (the D1 read model) and its
 * queue send (the outbox). Tests and the worker share one isolate and one module graph, so
 * wrapping these methods on the classes' prototypes reaches every object this file's worker runs.
 *
 * A fault is armed for one intent — the one whose metadata carries the case's marker — and for
 * its next change (a revision above the one it had when armed), and fires once. Several cases may
 * be armed at a time, each with its own marker.
 */
import { DurableEntity } from '../../src/durable/entity.js';
import type { PaymentIntent } from '../../src/domain/intent.js';
import type { Env } from '../../src/env.js';
import { PaymentIntentObject } from '../../src/intents/intent-object.js';
import { SHARDS } from '../helpers.js';

/** Where in the command the fault strikes. */
export type Step = 'commit' | 'project' | 'send';

/**
 * What happens there: `hang` never returns (the test then evicts the object); `fail` throws before
 * the step's I/O; `d1-refuses` runs the projection against a D1 that refuses its batch (a real D1
 * error: the statements name a table that is not there); `lose-answer` does the I/O, then throws (it
 * happened, the object cannot know); `done-then-hang` does the I/O, then never returns; `pause`
 * waits until the test releases it.
 */
export type Action = 'hang' | 'fail' | 'd1-refuses' | 'lose-answer' | 'done-then-hang' | 'pause';

export const MARKER_KEY = 'fault_case';

interface Armed {
  step: Step;
  action: Action;
  aboveRevision: number;
  /** The intent it struck, once it has. */
  struck: string | null;
  released: boolean;
}

const armed = new Map<string, Armed>();

export function arm(marker: string, fault: { step: Step; action: Action; aboveRevision: number }): void {
  armed.set(marker, { ...fault, struck: null, released: false });
}

export function disarm(marker: string): void {
  armed.delete(marker);
}

/** The intent the fault struck, or null while it has not yet. */
export function struck(marker: string): string | null {
  return armed.get(marker)?.struck ?? null;
}

/** Lets a paused step go on (the object polls for it: a promise resolved from here would cross I/O contexts). */
export function release(marker: string): void {
  const fault = armed.get(marker);
  if (fault) fault.released = true;
}

type Method = (this: unknown, ...args: unknown[]) => Promise<unknown>;
type Hooked = { target: Record<string, Method>; name: string; step: Step; original: Method };

const FAILURES: Record<Step, string> = {
  commit: 'storage unavailable (injected)',
  project: 'D1_ERROR: the read model is unavailable (injected)',
  send: 'Queue send failed: unavailable (injected)',
};

/** Wraps the three steps; returns the undo. */
export function installFaultHooks(): () => void {
  const shell = DurableEntity.prototype as unknown as Record<string, Method>;
  const intent = PaymentIntentObject.prototype as unknown as Record<string, Method>;
  const hooked: Hooked[] = [
    { target: shell, name: 'commit', step: 'commit', original: shell.commit! },
    { target: intent, name: 'project', step: 'project', original: intent.project! },
    { target: shell, name: 'sendToQueue', step: 'send', original: shell.sendToQueue! },
  ];
  for (const h of hooked) {
    h.target[h.name] = async function (this: unknown, ...args: unknown[]) {
      // commit and project get the state they write; a send is of the state the object holds.
      const state = h.step === 'send' ? (this as { current: PaymentIntent | null }).current : (args[0] as PaymentIntent);
      const marker = state?.metadata[MARKER_KEY];
      const fault = marker === undefined ? undefined : armed.get(marker);
      if (!state || !fault || fault.struck !== null || fault.step !== h.step || state.revision <= fault.aboveRevision) {
        return h.original.apply(this, args);
      }
      fault.struck = state.id;
      switch (fault.action) {
        case 'hang':
          return never();
        case 'fail':
          throw new Error(FAILURES[h.step]);
        case 'd1-refuses':
          return h.original.apply(withRefusingD1(this as { env: Env }), args);
        case 'lose-answer':
          await h.original.apply(this, args);
          throw new Error(`${FAILURES[h.step]} after the write landed`);
        case 'done-then-hang':
          await h.original.apply(this, args);
          return never();
        case 'pause':
          while (!fault.released) await new Promise((resolve) => setTimeout(resolve, 10));
          return h.original.apply(this, args);
      }
    };
  }
  return () => {
    for (const h of hooked) h.target[h.name] = h.original;
  };
}

/** The object as its projection sees it, with shards whose intents table is missing. */
function withRefusingD1(object: { env: Env }): unknown {
  const refusing = (d1: D1Database) =>
    new Proxy(d1, {
      get(target, name) {
        if (name === 'prepare') return (query: string) => target.prepare(query.replaceAll('"payment_intents"', '"payment_intents_gone"'));
        const value = Reflect.get(target, name);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const shards = Object.fromEntries(Object.entries(SHARDS).map(([binding, d1]) => [binding, refusing(d1)]));
  return Object.create(object, { env: { value: { ...object.env, ...shards } } });
}

function never(): Promise<never> {
  return new Promise(() => {});
}
