import { describe, expect, it } from 'vitest';
import {
  assertExpirable,
  type CheckoutSession,
  decideSession,
  SessionStateError,
  successRedirect,
} from '../../src/domain/checkout-session.js';
import { STATUSES, type Status } from '../../src/domain/status.js';
import { toSessionRecord, fromSessionRecord } from '../../src/checkout/record.js';

const NOW = Date.parse('2026-11-02T12:00:00Z');
const LATER = NOW + 60_000;

function session(overrides: Partial<CheckoutSession> = {}): CheckoutSession {
  return {
    id: 'cs_test_b1Q5VCGK3JqNw8pXo2ZdLh7rTsYe4uAfMmI9nB6kWyc',
    merchantId: 'acct_01M66HXNY7pNeLV49tbYOI5i',
    livemode: false,
    created: NOW,
    expiresAt: NOW + 86_400_000,
    status: 'open',
    paymentStatus: 'unpaid',
    currency: 'usd',
    amountTotal: 3500n,
    amountSubtotal: 3500n,
    lineItems: [{ id: 'li_1', name: 'T-shirt', description: null, quantity: 2, unitAmount: 1750n, amountTotal: 3500n }],
    customAmount: null,
    paymentIntent: 'pi_01M6E2BX8Kc3kL3N2w7tq3YZ',
    intentClientSecret: 'pi_01M6E2BX8Kc3kL3N2w7tq3YZ_secret_x',
    successUrl: 'https://shop.example/thanks?id={CHECKOUT_SESSION_ID}',
    cancelUrl: null,
    customerEmail: null,
    clientReferenceId: null,
    metadata: {},
    paymentMethodTypes: ['card'],
    closedAt: null,
    revision: 1,
    ...overrides,
  };
}

const report = (status: Status, amount = 3500n, id = session().paymentIntent) => ({
  type: 'intent_reported' as const,
  intent: { id, status, amount },
});

describe('an open session told where its intent is', () => {
  it.each([
    { status: 'succeeded', to: 'complete', paymentStatus: 'paid', event: 'checkout.session.completed' },
    { status: 'requires_capture', to: 'complete', paymentStatus: 'unpaid', event: 'checkout.session.completed' },
    { status: 'canceled', to: 'expired', paymentStatus: 'unpaid', event: 'checkout.session.expired' },
  ] as const)('intent $status → session $to ($paymentStatus), $event', ({ status, to, paymentStatus, event }) => {
    const decision = decideSession(session(), report(status), LATER);
    expect(decision.state).toMatchObject({ status: to, paymentStatus, closedAt: LATER, revision: 2 });
    expect(decision.events).toEqual([{ type: event }]);
  });

  it.each(STATUSES.filter((s) => !['succeeded', 'requires_capture', 'canceled'].includes(s)))(
    'intent %s → no change, no event',
    (status) => {
      const before = session();
      const decision = decideSession(before, report(status), LATER);
      expect(decision.state).toBe(before);
      expect(decision.events).toEqual([]);
    },
  );

  it("another intent's report changes nothing", () => {
    const before = session();
    expect(decideSession(before, report('succeeded', 3500n, 'pi_other'), LATER)).toEqual({ state: before, events: [] });
  });

  it('a custom amount completes at the amount the payer paid', () => {
    const before = session({ customAmount: { minimum: 500n, maximum: null, preset: null }, amountTotal: 500n, amountSubtotal: 500n });
    const decision = decideSession(before, report('succeeded', 1234n), LATER);
    expect(decision.state).toMatchObject({ amountTotal: 1234n, amountSubtotal: 1234n });
  });

  it('a fixed amount keeps its line items total', () => {
    expect(decideSession(session(), report('succeeded', 3500n), LATER).state.amountTotal).toBe(3500n);
  });
});

describe('a closed session is final', () => {
  it.each([
    { from: 'complete', status: 'canceled' },
    { from: 'complete', status: 'succeeded' },
    { from: 'expired', status: 'succeeded' },
    { from: 'expired', status: 'canceled' },
  ] as const)('$from, then intent $status → no change', ({ from, status }) => {
    const before = session({ status: from, closedAt: NOW, revision: 2 });
    const decision = decideSession(before, report(status), LATER);
    expect(decision.state).toBe(before);
    expect(decision.events).toEqual([]);
  });

  it.each(['complete', 'expired'] as const)('expiring a %s session is refused, naming its status', (status) => {
    let error: unknown;
    try {
      assertExpirable(session({ status }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SessionStateError);
    expect((error as Error).message).toBe(
      `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of ${status}.`,
    );
  });

  it('an open session may expire', () => {
    expect(() => assertExpirable(session())).not.toThrow();
  });
});

describe('success URL and stored form', () => {
  it('every {CHECKOUT_SESSION_ID} is replaced by the id', () => {
    const s = session({ successUrl: 'https://x.example/{CHECKOUT_SESSION_ID}?again={CHECKOUT_SESSION_ID}' });
    expect(successRedirect(s)).toBe(`https://x.example/${s.id}?again=${s.id}`);
  });

  it('the record keeps amounts exact and comes back equal', () => {
    const s = session({ customAmount: { minimum: 1n, maximum: 99_999_999n, preset: null } });
    const stored = JSON.parse(JSON.stringify(toSessionRecord(s)));
    expect(stored.amountTotal).toBe('3500');
    expect(fromSessionRecord(stored)).toEqual(s);
  });

  it('a record of an unknown version is refused, not misread', () => {
    expect(() => fromSessionRecord({ ...toSessionRecord(session()), v: 99 } as never)).toThrow(/version 99/);
  });
});
