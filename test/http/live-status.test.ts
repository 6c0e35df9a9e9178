/**
 * Live status (GET /v1/payment_intents/{id}/live): a real WebSocket through the worker's fetch,
 * held by the intent's Durable Object with the hibernation API. What a browser gets (the lookup's
 * browser-safe fields, on connect and after each committed change, whether a request or an alarm
 * made it), who may open one, the limits, and an object evicted between changes.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIVE_SOCKET_CAP } from '../../src/intents/live-status.js';
import { call, createIntent, createMerchant, get, post, type TestMerchant } from '../helpers.js';
import { type Live, listen, openLive } from '../live-socket.js';

const stub = (id: string) => env.INTENTS.get(env.INTENTS.idFromName(id));

let m: TestMerchant;
let other: TestMerchant;
beforeAll(async () => {
  m = await createMerchant('Live status');
  other = await createMerchant('Another merchant');
});

function livePath(id: string, query: Record<string, string>): string {
  return `/v1/payment_intents/${id}/live?${new URLSearchParams(query)}`;
}

const open = (intent: { id: string; client_secret: string }): Promise<Live> => openLive(intent, m.keys.test.publishable);

/** What the browser lookup answers for the intent now. */
async function lookup(intent: { id: string; client_secret: string }) {
  const { res, body } = await get(m.keys.test.publishable, `/v1/payment_intents/${intent.id}?client_secret=${intent.client_secret}`);
  expect(res.status).toBe(200);
  return body;
}

async function expectNotFoundLike(res: Response, id: string) {
  expect(res.webSocket).toBeNull();
  expect(res.status).toBe(404);
  const body = (await res.json()) as any;
  const unknown = await get(m.keys.test.secret, `/v1/payment_intents/${id.slice(0, 3)}${'0'.repeat(id.length - 3)}`);
  expect(body.error.code).toBe('resource_missing');
  expect(body.error.message.replace(id, '<id>')).toBe(unknown.body.error.message.replace(/pi_0+/, '<id>'));
}

describe('a browser watching an intent', () => {
  it('gets the lookup’s body on connect, then one message per change with the new status, browser-safe fields only', async () => {
    const { body: intent } = await createIntent(m.keys.test.secret, { metadata: { order: 'o_1' }, description: 'secret stuff' });
    const live = await open(intent);
    const first = await live.next();
    expect(first).toEqual(await lookup(intent));
    expect(first).not.toHaveProperty('metadata');
    expect(first).not.toHaveProperty('description');

    const confirmed = await post(m.keys.test.secret, `/v1/payment_intents/${intent.id}/confirm`, {
      payment_method: 'pm_card_threeDSecure2Required',
      return_url: 'https://shop.example/return',
    });
    expect(confirmed.body.status).toBe('requires_action');
    const pushed = await live.next();
    expect(pushed).toEqual(await lookup(intent));
    expect(pushed.status).toBe('requires_action');
    expect(Object.keys(pushed).sort()).toEqual(Object.keys(first).sort());
    expect(JSON.stringify(pushed)).not.toContain('o_1');

    await post(m.keys.test.secret, `/v1/payment_intents/${intent.id}/cancel`, {});
    expect((await live.next()).status).toBe('canceled');
    // Nothing more can change for the browser: the socket is closed by the object.
    expect(await live.closed).toEqual({ code: 1000, reason: 'PaymentIntent canceled: nothing more to push.' });
  });

  it('sees a change made by an alarm: a bank debit’s processing, then succeeded when it settles, as two messages', async () => {
    const { body: intent } = await createIntent(m.keys.test.secret, { payment_method_types: ['us_bank_account'] });
    const live = await open(intent);
    expect((await live.next()).status).toBe('requires_payment_method');
    const confirmed = await post(m.keys.test.secret, `/v1/payment_intents/${intent.id}/confirm`, { payment_method: 'pm_usBankAccount' });
    expect(confirmed.body.status).toBe('processing');
    expect((await live.next('processing')).status).toBe('processing');
    // No request from here on: the object's settle timer (ASYNC_SETTLE_DELAY_MS) makes the change.
    const settled = await live.next('succeeded');
    expect(settled.status).toBe('succeeded');
    expect(settled).toEqual(await lookup(intent));
    expect((await live.closed).code).toBe(1000);
  });

  it('answers ping with pong', async () => {
    const { body: intent } = await createIntent(m.keys.test.secret);
    const live = await open(intent);
    await live.next();
    const pong = new Promise((resolve) => live.ws.addEventListener('message', (e) => resolve(e.data), { once: true }));
    live.ws.send('ping');
    expect(await pong).toBe('pong');
    live.ws.close(1000, 'done');
  });

  it('an already finished intent: its body, then closed at once', async () => {
    const { body: intent } = await createIntent(m.keys.test.secret, { payment_method: 'pm_card_visa', confirm: true });
    const live = await open(intent);
    expect((await live.next()).status).toBe('succeeded');
    expect((await live.closed).code).toBe(1000);
  });

  it('the merchant’s secret key in the Authorization header may watch too (browser-safe fields as well)', async () => {
    const { body: intent } = await createIntent(m.keys.test.secret, { metadata: { order: 'o_2' } });
    const res = await call(`/v1/payment_intents/${intent.id}/live`, { key: m.keys.test.secret, headers: { Upgrade: 'websocket' } });
    expect(res.status).toBe(101);
    const live = listen(res);
    expect(await live.next()).toEqual(await lookup(intent));
    live.ws.close(1000, 'done');
  });
});

describe('who may open one', () => {
  it('a wrong client secret, another merchant’s or the other mode’s publishable key, a secret key in the URL: the lookup’s 404, no socket', async () => {
    const { body: intent } = await createIntent(m.keys.test.secret);
    const upgrade = { headers: { Upgrade: 'websocket' } };
    const tries = [
      { client_secret: `${intent.client_secret.slice(0, -1)}x`, key: m.keys.test.publishable },
      { client_secret: intent.client_secret, key: other.keys.test.publishable },
      { client_secret: intent.client_secret, key: m.keys.live.publishable },
      { client_secret: intent.client_secret, key: m.keys.test.secret },
    ];
    for (const query of tries) await expectNotFoundLike(await call(livePath(intent.id, query), upgrade), intent.id);
    // The lookup refuses the same wrong secret with the same answer.
    const wrong = await get(m.keys.test.publishable, `/v1/payment_intents/${intent.id}?client_secret=${tries[0]!.client_secret}`);
    expect(wrong.res.status).toBe(404);
  });

  it('without a key: 401; a publishable key without the client secret: 400 naming it', async () => {
    const { body: intent } = await createIntent(m.keys.test.secret);
    const upgrade = { headers: { Upgrade: 'websocket' } };
    const none = await call(livePath(intent.id, { client_secret: intent.client_secret }), upgrade);
    expect(none.status).toBe(401);
    const noSecret = await call(livePath(intent.id, { key: m.keys.test.publishable }), upgrade);
    expect(noSecret.status).toBe(400);
    expect(((await noSecret.json()) as any).error).toMatchObject({ code: 'parameter_missing', param: 'client_secret' });
  });

  it('without Upgrade: websocket: 426 in the error envelope naming the header', async () => {
    const { body: intent } = await createIntent(m.keys.test.secret);
    const res = await call(livePath(intent.id, { client_secret: intent.client_secret, key: m.keys.test.publishable }));
    expect(res.status).toBe(426);
    expect(res.webSocket).toBeNull();
    const { error } = (await res.json()) as any;
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'upgrade_required', param: null });
    expect(error.message).toContain('Upgrade: websocket');
  });
});

describe('limits and eviction', () => {
  it(`keeps ${LIVE_SOCKET_CAP} sockets per intent; the next one is closed at once with 1013`, async () => {
    const { body: intent } = await createIntent(m.keys.test.secret);
    const sockets: Live[] = [];
    for (let i = 0; i < LIVE_SOCKET_CAP; i++) {
      const live = await open(intent);
      await live.next();
      sockets.push(live);
    }
    const extra = await open(intent);
    expect(await extra.closed).toMatchObject({ code: 1013 });
    expect((await extra.closed).reason).toMatch(/Too many live connections/);
    // The ones kept still get the next change.
    await post(m.keys.test.secret, `/v1/payment_intents/${intent.id}`, { amount: 2500 });
    for (const live of sockets) expect((await live.next()).amount).toBe(2500);
    for (const live of sockets) live.ws.close(1000, 'done');
  });

  it('an object evicted between changes still pushes the next one (nothing about a socket only in memory)', {
    timeout: 30_000,
  }, async () => {
    const { body: intent } = await createIntent(m.keys.test.secret);
    const live = await open(intent);
    await live.next();
    await post(m.keys.test.secret, `/v1/payment_intents/${intent.id}`, { amount: 2100 });
    expect((await live.next('2100')).amount).toBe(2100);
    // Mark this instance, then leave the object idle: workerd evicts it (10 s after its last
    // event) and keeps the socket, hibernated. The next change wakes a new instance.
    await runInDurableObject(stub(intent.id), (instance) => {
      (instance as unknown as { marked?: true }).marked = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    await post(m.keys.test.secret, `/v1/payment_intents/${intent.id}`, { amount: 2200 });
    expect((await live.next('2200 after the eviction')).amount).toBe(2200);
    const evicted = await runInDurableObject(
      stub(intent.id),
      (instance) => (instance as unknown as { marked?: true }).marked === undefined,
    );
    expect(evicted).toBe(true);
    live.ws.close(1000, 'done');
  });

  it('an object that crashed (reset) closes its sockets; a browser that opens again gets the state and the next change', async () => {
    const { body: intent } = await createIntent(m.keys.test.secret);
    const live = await open(intent);
    await live.next();
    await runInDurableObject(stub(intent.id), (_instance, state) => state.abort('reset by the test')).catch(() => undefined);
    expect((await live.closed).code).not.toBe(1000);
    const again = await open(intent);
    expect((await again.next()).status).toBe('requires_payment_method');
    await post(m.keys.test.secret, `/v1/payment_intents/${intent.id}`, { amount: 2300 });
    expect((await again.next('2300')).amount).toBe(2300);
    again.ws.close(1000, 'done');
  });
});
