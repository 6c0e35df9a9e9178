/**
 * A client that goes away while sending its body: the runtime's body stream errors ("Network
 * connection lost."). That is the client's doing, not a fault of the service: the request is
 * answered as a 400 (nobody is left to read it), nothing runs or is recorded, and the log gets one
 * warn-level line with the request id — not an "unhandled error", whoever sent it, with or without
 * a key.
 *
 * The request goes to the worker's fetch handler itself: through the test runtime's own fetch, an
 * erroring body stream ends the body early instead of erroring it, unlike a real connection.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import worker from '../../src/index.js';
import { ADMIN_TOKEN, createMerchant, get, type TestMerchant, shardOf } from '../helpers.js';

let m: TestMerchant;
/** The merchant's shard, where its rows are. */
let d1: D1Database;
beforeAll(async () => {
  m = await createMerchant('Disconnects');
  d1 = await shardOf(m.id);
});

/** A request whose body sends its first bytes, then fails as a lost connection does. */
function cutOff(path: string, headers: Record<string, string>): Request {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return controller.error(new Error('Network connection lost.'));
      sent = true;
      controller.enqueue(new TextEncoder().encode('amount=1000&currency=u'));
    },
  });
  return new Request(`http://pay.test${path}`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    duplex: 'half',
  } as RequestInit);
}

async function send(request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

function captureLogs() {
  const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
  const warnings = vi.spyOn(console, 'warn').mockImplementation(() => {});
  return {
    errors: () => errors.mock.calls.map((args) => args.join(' ')),
    warnings: () => warnings.mock.calls.map((args) => JSON.parse(String(args[0]))),
  };
}

afterEach(() => vi.restoreAllMocks());

describe('a body cut off by the client', () => {
  it.each([
    ['a secret-key route', '/v1/payment_intents', () => ({ Authorization: `Bearer ${m.keys.test.secret}` })],
    [
      'a secret-key route with an Idempotency-Key',
      '/v1/payment_intents',
      () => ({ Authorization: `Bearer ${m.keys.test.secret}`, 'Idempotency-Key': 'cut-off-1' }),
    ],
    ['the public challenge page', '/challenge/pi_0000000000000000000000/tok_cut_off', () => ({})],
    ['the admin API', '/v1/admin/merchants', () => ({ Authorization: `Bearer ${ADMIN_TOKEN}` })],
  ])('%s: a 400, one warn line, no error', async (_, path, headers) => {
    const before = (await get(m.keys.test.secret, '/v1/payment_intents?limit=100')).body.data.length;
    const logs = captureLogs();
    const res = await send(cutOff(path, headers()));
    const body = (await res.json()) as any;
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'body_invalid', param: null });
    expect(body.error.message).toMatch(/not received in full/);
    expect(logs.errors()).toEqual([]);
    expect(logs.warnings()).toEqual([
      {
        level: 'warn',
        msg: 'request body not received in full',
        requestId: res.headers.get('Request-Id'),
        method: 'POST',
        path: path,
        reason: 'Network connection lost.',
      },
    ]);
    vi.restoreAllMocks();
    expect((await get(m.keys.test.secret, '/v1/payment_intents?limit=100')).body.data.length).toBe(before);
    const claimed = await d1.prepare(`SELECT key FROM idempotency_keys WHERE key = 'cut-off-1'`).first();
    expect(claimed).toBeNull();
  });

  it('without a key, the body is never read: a 401 and no log at all', async () => {
    const logs = captureLogs();
    const res = await send(cutOff('/v1/payment_intents', {}));
    expect(res.status).toBe(401);
    expect(logs.errors()).toEqual([]);
    expect(logs.warnings()).toEqual([]);
  });
});
