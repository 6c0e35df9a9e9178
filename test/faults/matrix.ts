/**
 * The fault matrix: each fault × each command it applies to is one case. A case brings a fresh
 * intent to where the command applies, arms the fault, runs the command (a client's request with
 * an Idempotency-Key, or the intent's alarm), lets the fault strike, undoes what lies outside the
 * object, retries as a client would, recovers (alarms run, queue drained) and checks the invariants
 * (./invariants.ts) and what the client saw.
 */
import { runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { expect, inject } from 'vitest';
import { clientRequest, post, waitFor } from '../helpers.js';
import { type AppErrorLog, expectErrorLogs } from '../expected-logs.js';
import { openMailbox, receiverOrigin } from '../webhooks/receiver-client.js';
import type { ClientRequest, Command, Subject } from './commands.js';
import { type Action, arm, disarm, release, type Step, struck } from './injection.js';
import { drained, expectConsistent, inspect, type ObjectView, recover, stub, until } from './invariants.js';

/** A file's merchant: its secret key and the notification secret its intents' events are signed with. */
export interface World {
  sk: string;
  notificationSecret: string;
  /** The error lines the faults make the app log, held back from the run's output. */
  logs: AppErrorLog[];
}

/** A case while it runs: what faults need to strike. */
interface Kit {
  marker: string;
  command: Command;
  subject: Subject;
  world: World;
  /** The intent, once known (a create's from the fault or the answer). */
  intentId(): string | null;
  /** The client gives up on its request (closes the connection). */
  disconnect(): Promise<void>;
  /** Resets the object as a deploy or a crash does: memory gone, storage kept. */
  evict(id: string): Promise<void>;
  /** How many error lines the app had logged when the case began. */
  logsAtStart: number;
}

export interface Fault {
  name: string;
  applies(command: Command): boolean;
  /** A resource every intent shares (the chain's node): its cases run one at a time. */
  shared?: boolean;
  /** It strikes before the change is stored, so a failed request leaves nothing behind. */
  beforeCommit?: boolean;
  /** What the client sees: the answer it would get without the fault, an error, or nothing. */
  client: 'answer' | 'error' | 'nothing';
  /**
   * The error is the object going away, not an answer of the object's: nothing of it is kept. A
   * retry under the key finds the committed change (replayed) or, struck before the commit, runs.
   */
  lost?: boolean;
  /** Before the setup (a hook waits for the command's own change, a revision above the setup's). */
  arm?(k: Kit): void;
  /** After the setup, before the command. */
  prepare?(): Promise<void>;
  /** While the command runs, until the fault has struck. */
  strike?(k: Kit): Promise<void>;
  /** Puts back what lies outside the object. */
  undo?(k: Kit): Promise<void>;
  /** The fault really struck this case (for faults that do not go through a hook). */
  struck?(k: Kit, id: string): boolean;
}

/** The intent's revision after the setup: one per commit, and each commit records one event of the intent (its charge's come with it). */
const setupRevision = (command: Kit['command']) => command.before.filter((type) => type.startsWith('payment_intent.')).length;
const hook = (step: Step, action: Action) => (k: Kit) => arm(k.marker, { step, action, aboveRevision: setupRevision(k.command) });

async function strikeThenEvict(k: Kit): Promise<void> {
  await waitFor(async () => struck(k.marker) !== null);
  await k.evict(struck(k.marker)!);
}

function eviction(name: string, step: Step, action: 'hang' | 'done-then-hang', beforeCommit = false): Fault {
  return { name, applies: () => true, beforeCommit, client: 'error', lost: true, arm: hook(step, action), strike: strikeThenEvict };
}

const RPC_MAILBOX = () => `${receiverOrigin()}/mailboxes/rpc-faults`;

/** The fault network's node: passing requests through to its anvil, or failing every one. */
export async function chainNode(up: boolean): Promise<void> {
  const answer = up ? { status: 200, proxy: inject('faultChain').rpcUrl } : { status: 503, body: 'upstream down' };
  const res = await fetch(RPC_MAILBOX(), { method: 'PUT', body: JSON.stringify({ secrets: [], default: answer }) });
  expect(res.status).toBe(204);
}

const logged = (k: Kit, id: string, msg: string) => k.world.logs.some((l) => l.msg === msg && l.intent === id);
/**
 * The fault network's watcher met the failing node during this case. It reads the chain for every
 * intent at once, so its line names the network, not an intent; the shared cases run one at a time.
 */
const watcherFailed = (k: Kit) =>
  k.world.logs.slice(k.logsAtStart).some((l) => l.msg === 'chain poll failed; retrying' && l.network === 'faulty');

export const FAULTS: readonly Fault[] = [
  eviction('evicted before the commit', 'commit', 'hang', true),
  eviction('evicted after the commit, before the D1 projection', 'project', 'hang'),
  eviction('evicted after the D1 projection, before the queue send', 'send', 'hang'),
  eviction('evicted during the queue send (sent, not recorded)', 'send', 'done-then-hang'),
  {
    name: 'D1 refuses the projection',
    applies: () => true,
    client: 'answer',
    arm: hook('project', 'd1-refuses'),
    struck: (k, id) => struck(k.marker) !== null && logged(k, id, 'read model write failed; the alarm retries it'),
  },
  { name: 'D1 write landed, its answer lost', applies: () => true, client: 'answer', arm: hook('project', 'lose-answer') },
  { name: 'queue send fails', applies: () => true, client: 'answer', arm: hook('send', 'fail') },
  { name: 'queue send landed, its answer lost', applies: () => true, client: 'answer', arm: hook('send', 'lose-answer') },
  {
    name: 'client disconnects while the object works',
    applies: (c) => c.via === 'request',
    client: 'nothing',
    arm: hook('project', 'pause'),
    strike: async (k) => {
      await waitFor(async () => struck(k.marker) !== null);
      await k.disconnect();
      release(k.marker);
    },
  },
  {
    name: 'chain RPC down',
    applies: (c) => c.readsChain === true,
    shared: true,
    beforeCommit: true,
    client: 'error',
    prepare: () => chainNode(false),
    strike: async (k) => {
      // The watcher's read meets the failing node, then the node comes back: its next read (after back-off) sees the transfer.
      if (k.command.via === 'alarm') await waitFor(async () => watcherFailed(k), 10_000);
    },
    undo: () => chainNode(true),
    struck: (k, id) => logged(k, id, 'chain unavailable at confirmation') || (k.command.via === 'alarm' && watcherFailed(k)),
  },
];

type Answer = { status: number; body: string; replayed: boolean } | { disconnected: true };

async function send(r: ClientRequest, world: World, key: string, signal?: AbortSignal): Promise<Answer> {
  const request = clientRequest(r.path, {
    key: r.api ? world.sk : undefined,
    json: r.json,
    form: r.form,
    headers: r.api ? { 'Idempotency-Key': key } : {},
    signal,
  });
  try {
    const res = await exports.default.fetch(request);
    return { status: res.status, body: await res.text(), replayed: res.headers.get('Idempotent-Replayed') === 'true' };
  } catch (error) {
    if (signal?.aborted) return { disconnected: true };
    throw error;
  }
}

/** A client retrying: while the first request still runs the key is in use (409); it tries again. */
async function retry(r: ClientRequest, world: World, key: string): Promise<Answer> {
  let answer: Answer | undefined;
  await until(async () => {
    answer = await send(r, world, key);
    return !('status' in answer && answer.status === 409 && answer.body.includes('idempotency_key_in_use'));
  }, 5_000).catch(() => {
    throw new Error(`the retry with Idempotency-Key ${key} is still refused as in progress: ${JSON.stringify(answer)}`);
  });
  return answer!;
}

/**
 * Work an object still has to do (its timers) must have an alarm: one set for the earliest, or one
 * that has come due already — running now, perhaps queued behind the stuck command, and retried by
 * workerd if the object goes away under it. Nothing else wakes an evicted object.
 */
function expectAlarmForPendingWork(view: ObjectView): void {
  if (view.timers.length === 0) return;
  const earliest = Math.min(...view.timers.map((t) => t.dueAt));
  const pending = view.timers.map((t) => t.kind).join(', ');
  if (view.alarm === null) expect(earliest, `pending ${pending} with no alarm armed`).toBeLessThanOrEqual(view.now);
  else expect(view.alarm, `pending ${pending} with the alarm set after the earliest`).toBeLessThanOrEqual(earliest);
}

export async function runCase(fault: Fault, command: Command, world: World): Promise<void> {
  const marker = crypto.randomUUID();
  const mailbox = await openMailbox({ secrets: [world.notificationSecret] });
  const context = { sk: world.sk, marker, mailbox };
  const client = new AbortController();
  let answer: Promise<Answer> | undefined;
  let subject: Subject = { id: null };
  let answered: Answer | undefined;
  const kit: Kit = {
    marker,
    command,
    world,
    logsAtStart: world.logs.length,
    get subject() {
      return subject;
    },
    intentId: () => subject.id ?? struck(marker) ?? idOf(answered),
    disconnect: async () => {
      client.abort();
      await answer;
    },
    evict: async (id) => {
      const view = await inspect(id);
      if (command.via === 'request') expectAlarmForPendingWork(view);
      await runInDurableObject(stub(id), (_instance, state) => state.abort('evicted by the test')).catch(() => undefined);
    },
  };

  fault.arm?.(kit);
  try {
    subject = await command.setup(context);
    await fault.prepare?.();
    const key = `fault-${marker}`;
    try {
      if (command.request) {
        answer = send(command.request(subject, context), world, key, client.signal);
      } else {
        await command.trigger?.(subject);
      }
      await fault.strike?.(kit);
      answered = await answer;
    } finally {
      await fault.undo?.(kit);
    }

    const id = kit.intentId();
    expect(id, 'the intent the case made').not.toBeNull();
    const hit = () => (fault.struck ? fault.struck(kit, id!) : struck(marker) !== null);
    await waitFor(async () => hit(), 10_000).catch(() => {
      throw new Error(`the fault never struck ${id}`);
    });

    // What the client saw.
    const succeeds = command.answers ?? 200;
    if (answered) {
      if (fault.client === 'nothing') expect(answered).toEqual({ disconnected: true });
      else if (fault.client === 'answer') expect(answered).toMatchObject({ status: succeeds, replayed: false });
      else expect('status' in answered && answered.status >= 500, JSON.stringify(answered)).toBe(true);
    }
    await recover(id!);

    // A retry with the same Idempotency-Key replays the first answer (or, after a disconnect or an
    // eviction, the one it would have had) and never runs the command again; after an eviction
    // before the commit nothing is kept, and the retry runs it. The challenge link is single-use:
    // followed again, it runs only if the first try left nothing behind.
    const request = command.request?.(subject, context);
    if (request) {
      const again = await retry(request, world, key);
      if (request.api) {
        if (fault.lost) expect(again).toMatchObject({ status: succeeds, replayed: fault.beforeCommit !== true });
        else if (answered && 'status' in answered) expect(again).toEqual({ ...answered, replayed: true });
        else expect(again).toMatchObject({ status: succeeds, replayed: true });
      }
    }

    // It happened once, or — a request with an Idempotency-Key refused before its commit — not at
    // all (its retry replays the refusal, as Stripe's v1 API does).
    const never = fault.beforeCommit === true && request?.api === true && fault.lost !== true;
    const expected = never ? command.before : [...command.before, ...command.records, ...(command.follows ?? [])];
    await recover(id!, (view) => view.events.length >= expected.length);

    const view = await inspect(id!);
    await drained(view.events.map((e) => e.id));
    await expectConsistent(id!, expected, mailbox, marker);

    if (command.cleanup && view.record !== null && JSON.parse(view.record).status === 'requires_action') {
      await post(world.sk, `/v1/payment_intents/${id}/cancel`);
    }
  } finally {
    disarm(marker);
  }
}

function idOf(answer: Answer | undefined): string | null {
  if (!answer || !('status' in answer) || answer.status >= 500) return null;
  try {
    const body = JSON.parse(answer.body) as { id?: unknown; error?: { payment_intent?: { id?: unknown } } };
    const id = body.id ?? body.error?.payment_intent?.id;
    return typeof id === 'string' && id.startsWith('pi_') ? id : null;
  } catch {
    return null;
  }
}

/** The app's error lines the faults cause, held back from the output; anything else still prints. */
export function holdBackFaultLogs(): { caught: AppErrorLog[]; restore(): void } {
  return expectErrorLogs(
    (log) =>
      [
        'read model write failed; the alarm retries it',
        'queue send failed; the events stay in the outbox and the alarm retries',
        'chain unavailable at confirmation',
        'chain poll failed; retrying',
        'watch delivery failed; retrying',
      ].includes(log.msg) ||
      (log.msg === 'unhandled error' && log.error.message === 'evicted by the test'),
  );
}
