/**
 * The mutating commands of the fault matrix: every way an intent changes, by a client's request or
 * by the intent's own alarm. Each brings a fresh intent to where it applies (without faults), says
 * how it is sent, and which events it records when it runs once.
 */
import { expect, inject } from 'vitest';
import { chainClient } from '../chain/local-chain-client.js';
import { post } from '../helpers.js';
import type { TestMailbox } from '../webhooks/receiver-client.js';
import { MARKER_KEY } from './injection.js';

/** The merchant of a matrix file and its case: the marker its intent carries, the mailbox its events go to. */
export interface CaseContext {
  sk: string;
  marker: string;
  mailbox: TestMailbox;
}

/** The intent a command applies to, as its setup left it. */
export interface Subject {
  /** Null before a create: its id is learnt from the answer or from the fault. */
  id: string | null;
  challengePath?: string;
  depositAddress?: string;
}

export interface ClientRequest {
  path: string;
  json?: unknown;
  form?: string;
  /** Sent with the merchant's secret key and an Idempotency-Key (the challenge page takes neither). */
  api: boolean;
}

export interface Command {
  name: string;
  /** Run by a client's request, or by the object's own timers (its alarm; a crypto transfer: the chain watcher's delivery). */
  via: 'request' | 'alarm';
  /** The events its setup records: one of the intent's per commit (the intent's revision is their number), with its charge's. */
  before: string[];
  setup(c: CaseContext): Promise<Subject>;
  /** The request, for a command a client sends. */
  request?(s: Subject, c: CaseContext): ClientRequest;
  /** What makes the alarm run it (a transfer on chain); nothing when it is simply due. */
  trigger?(s: Subject): Promise<void>;
  /** The client's status when it runs (402 for a declined card). */
  answers?: number;
  /** The events it records, once. */
  records: string[];
  /** Events that follow it by themselves (a bank debit settles). */
  follows?: string[];
  /** It reads a chain: the RPC fault applies. */
  readsChain?: boolean;
  /** Runs after the checks: a crypto intent left waiting is canceled, so it stops waiting on the chain watcher. */
  cleanup?: boolean;
}

const NOTHING_YET: Subject = { id: null };
const CREATED = ['payment_intent.created'];

function createParams(c: CaseContext, params: Record<string, unknown> = {}) {
  return {
    amount: 2000,
    currency: 'usd',
    notification_url: c.mailbox.url,
    ...params,
    metadata: { [MARKER_KEY]: c.marker },
  };
}

const cryptoParams = {
  amount: 1099,
  currency: 'usd',
  payment_method_types: ['crypto'],
  payment_method_options: { crypto: { network: 'faulty', token: 'usdc' } },
};

async function expectOk(pending: ReturnType<typeof post>): Promise<any> {
  const { res, body } = await pending;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

function subject(intent: any, extra: Partial<Subject> = {}): Subject {
  return { id: intent.id, ...extra };
}

async function created(c: CaseContext, params: Record<string, unknown> = {}): Promise<any> {
  return expectOk(post(c.sk, '/v1/payment_intents', createParams(c, params)));
}

async function confirmed(c: CaseContext, create: Record<string, unknown>, confirm: Record<string, unknown>) {
  const intent = await created(c, create);
  return expectOk(post(c.sk, `/v1/payment_intents/${intent.id}/confirm`, confirm));
}

const chain = chainClient(inject('faultChain'));
let payments: Promise<unknown> = Promise.resolve();

/** Transfers from one account, one at a time: concurrent sends would race for its nonce. */
function pay(to: string, value: bigint): Promise<unknown> {
  const next = payments.then(() => chain.payUsdc(to as `0x${string}`, value));
  payments = next.catch(() => undefined);
  return next;
}

const api = (path: string, json: Record<string, unknown> = {}): ClientRequest => ({ path, json, api: true });

function confirmCard(
  paymentMethod: string,
  records: string[],
  options: { create?: Record<string, unknown>; answers?: number; label?: string } = {},
): Command {
  return {
    name: `confirm ${paymentMethod}${options.label ?? ''}`,
    via: 'request',
    before: CREATED,
    setup: async (c) => subject(await created(c, options.create)),
    request: (s) => api(`/v1/payment_intents/${s.id}/confirm`, { payment_method: paymentMethod }),
    answers: options.answers,
    records,
  };
}

function confirmBank(paymentMethod: string, settlesWith: string[]): Command {
  return {
    name: `confirm ${paymentMethod}`,
    via: 'request',
    before: CREATED,
    setup: async (c) => subject(await created(c, { payment_method_types: ['us_bank_account'] })),
    request: (s) => api(`/v1/payment_intents/${s.id}/confirm`, { payment_method: paymentMethod }),
    records: ['payment_intent.processing', 'charge.pending'],
    follows: settlesWith,
  };
}

function challenge(outcome: 'succeeded' | 'failed', records: string[]): Command {
  return {
    name: `3-D Secure challenge ${outcome === 'succeeded' ? 'completed' : 'failed'}`,
    via: 'request',
    before: [...CREATED, 'payment_intent.requires_action'],
    setup: async (c) => {
      const intent = await confirmed(c, {}, { payment_method: 'pm_card_threeDSecure2Required' });
      return subject(intent, {
        challengePath: new URL(intent.next_action.redirect_to_url.url).pathname,
      });
    },
    request: (s) => ({ path: s.challengePath!, form: `outcome=${outcome}`, api: false }),
    records,
  };
}

function settle(paymentMethod: string, records: string[]): Command {
  return {
    name: `settle by alarm after ${paymentMethod}`,
    via: 'alarm',
    before: [...CREATED, 'payment_intent.processing', 'charge.pending'],
    setup: async (c) => subject(await confirmed(c, { payment_method_types: ['us_bank_account'] }, { payment_method: paymentMethod })),
    records,
  };
}

export const COMMANDS: readonly Command[] = [
  {
    name: 'create',
    via: 'request',
    before: [],
    setup: async () => NOTHING_YET,
    request: (_s, c) => api('/v1/payment_intents', createParams(c)),
    records: ['payment_intent.created'],
  },
  {
    name: 'create and confirm (pm_card_visa)',
    via: 'request',
    before: [],
    setup: async () => NOTHING_YET,
    request: (_s, c) => api('/v1/payment_intents', createParams(c, { payment_method: 'pm_card_visa', confirm: true })),
    records: ['payment_intent.created', 'payment_intent.succeeded', 'charge.succeeded'],
  },
  {
    name: 'update',
    via: 'request',
    before: CREATED,
    setup: async (c) => subject(await created(c)),
    request: (s) => api(`/v1/payment_intents/${s.id}`, { amount: 3100, description: 'changed under fault' }),
    records: ['payment_intent.updated'],
  },
  confirmCard('pm_card_visa', ['payment_intent.succeeded', 'charge.succeeded']),
  confirmCard('pm_card_visa', ['payment_intent.amount_capturable_updated', 'charge.succeeded'], {
    create: { capture_method: 'manual' },
    label: ' (manual capture)',
  }),
  confirmCard('pm_card_chargeDeclined', ['payment_intent.payment_failed', 'charge.failed'], { answers: 402 }),
  confirmCard('pm_card_chargeDeclinedInsufficientFunds', ['payment_intent.payment_failed', 'charge.failed'], { answers: 402 }),
  confirmCard('pm_card_threeDSecure2Required', ['payment_intent.requires_action']),
  confirmBank('pm_usBankAccount', ['payment_intent.succeeded', 'charge.succeeded']),
  confirmBank('pm_usBankAccount_insufficientFunds', ['payment_intent.payment_failed', 'charge.failed']),
  {
    name: 'capture',
    via: 'request',
    before: [...CREATED, 'payment_intent.amount_capturable_updated', 'charge.succeeded'],
    setup: async (c) => subject(await confirmed(c, { capture_method: 'manual' }, { payment_method: 'pm_card_visa' })),
    request: (s) => api(`/v1/payment_intents/${s.id}/capture`, { amount_to_capture: 1500 }),
    records: ['payment_intent.succeeded', 'charge.captured'],
  },
  {
    name: 'cancel',
    via: 'request',
    before: CREATED,
    setup: async (c) => subject(await created(c)),
    request: (s) => api(`/v1/payment_intents/${s.id}/cancel`, { cancellation_reason: 'requested_by_customer' }),
    records: ['payment_intent.canceled'],
  },
  challenge('succeeded', ['payment_intent.succeeded', 'charge.succeeded']),
  challenge('failed', ['payment_intent.payment_failed']),
  {
    name: 'confirm crypto (deposit address)',
    via: 'request',
    before: CREATED,
    setup: async (c) => subject(await created(c, cryptoParams)),
    request: (s) => api(`/v1/payment_intents/${s.id}/confirm`),
    records: ['payment_intent.requires_action'],
    readsChain: true,
    cleanup: true,
  },
  settle('pm_usBankAccount', ['payment_intent.succeeded', 'charge.succeeded']),
  settle('pm_usBankAccount_insufficientFunds', ['payment_intent.payment_failed', 'charge.failed']),
  {
    name: 'crypto transfer delivered by the chain watcher',
    via: 'alarm',
    before: [...CREATED, 'payment_intent.requires_action'],
    setup: async (c) => {
      const intent = await confirmed(c, cryptoParams, {});
      return subject(intent, {
        depositAddress: intent.next_action.crypto_transfer.deposit_address,
      });
    },
    trigger: async (s) => {
      await pay(s.depositAddress!, 10_990_000n);
    },
    records: ['payment_intent.succeeded', 'charge.succeeded'],
    readsChain: true,
  },
];
