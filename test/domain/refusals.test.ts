/**
 * Every command an intent's status does not allow: refused with payment_intent_unexpected_state,
 * naming the current status, and the intent left exactly as it was.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/domain/intent.js';
import type { Status } from '../../src/domain/status.js';
import { ALL_STATUSES, confirmWith, created, reach, refusal, step } from './fixtures.js';

const COMMANDS: { name: string; command: Command; allowedIn: readonly Status[] }[] = [
  {
    name: 'confirm',
    command: confirmWith('pm_card_visa'),
    allowedIn: ['requires_payment_method', 'requires_confirmation', 'requires_action'],
  },
  { name: 'capture', command: { type: 'capture' }, allowedIn: ['requires_capture'] },
  { name: 'capture 1', command: { type: 'capture', amountToCapture: 1n }, allowedIn: ['requires_capture'] },
  {
    name: 'cancel',
    command: { type: 'cancel', reason: 'requested_by_customer' },
    allowedIn: ['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture'],
  },
  { name: 'complete_challenge succeeded', command: { type: 'complete_challenge', outcome: 'succeeded' }, allowedIn: ['requires_action'] },
  { name: 'complete_challenge failed', command: { type: 'complete_challenge', outcome: 'failed' }, allowedIn: ['requires_action'] },
  {
    name: 'update amount',
    command: { type: 'update', params: { amount: 1234n } },
    allowedIn: ['requires_payment_method', 'requires_confirmation', 'requires_action'],
  },
  {
    name: 'update description',
    command: { type: 'update', params: { description: 'x' } },
    allowedIn: ALL_STATUSES.filter((s) => s !== 'canceled'),
  },
];

const REFUSED = COMMANDS.flatMap(({ name, command, allowedIn }) =>
  ALL_STATUSES.filter((status) => !allowedIn.includes(status)).map((status) => ({ name, command, status })),
);
const ACCEPTED = COMMANDS.flatMap(({ name, command, allowedIn }) => allowedIn.map((status) => ({ name, command, status })));

describe('refused transitions', () => {
  it.each(REFUSED)('$name on a $status intent', ({ command, status }) => {
    const state = reach(status);
    const snapshot = structuredClone(state);
    const error = refusal(() => step(state, command));
    expect(error.code).toBe('payment_intent_unexpected_state');
    expect(error.currentStatus).toBe(status);
    expect(error.message).toContain(`status of ${status}`);
    expect(state).toStrictEqual(snapshot);
  });

  it('tells a client which statuses would have allowed the operation', () => {
    const error = refusal(() => step(reach('succeeded'), { type: 'cancel' }));
    expect(error.message).toContain('requires_payment_method, requires_confirmation, requires_action, requires_capture');
  });

  it('names the status, not the missing live processor, when a live intent is already canceled', () => {
    const liveCanceled = step(created({}, { livemode: true }), { type: 'cancel' }).state;
    const error = refusal(() => step(liveCanceled, confirmWith('pm_card_visa')));
    expect(error.code).toBe('payment_intent_unexpected_state');
    expect(error.currentStatus).toBe('canceled');
  });
});

describe('the same commands in the statuses that allow them', () => {
  // The other half of the table above: each of these is accepted and leaves the input untouched.
  it.each(ACCEPTED)('$name on a $status intent is accepted', ({ command, status }) => {
    const state = reach(status);
    const snapshot = structuredClone(state);
    const decision = step(state, command);
    expect(decision.state.revision).toBe(state.revision + 1);
    // One event about the intent (an attempt's charge may add its own charge.* event).
    expect(decision.events.filter((e) => e.subject === undefined)).toHaveLength(1);
    expect(state).toStrictEqual(snapshot);
  });
});
