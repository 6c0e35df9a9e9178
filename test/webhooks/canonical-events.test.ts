/**
 * Events are kept canonical — in the intent's object, on the queue, in D1 — and each API family
 * renders its own wire from them. Events from before (a rendered body in D1, a rendered body on the
 * queue) are still served and delivered exactly as they were rendered.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderEvent } from '../../src/api/stripe/wire/event.js';
import { parseEvent } from '../../src/intents/events.js';
import { createIntent, createMerchant, get, post, type TestMerchant, waitFor, shardOf } from '../helpers.js';
import { openMailbox } from './receiver-client.js';

let m: TestMerchant;
/** The merchant's shard, where its rows are. */
let d1: D1Database;
let sk: string;
beforeAll(async () => {
  m = await createMerchant('Canonical events');
  d1 = await shardOf(m.id);
  sk = m.keys.test.secret;
});

const stub = (id: string) => env.INTENTS.get(env.INTENTS.idFromName(id));

describe('canonical events', () => {
  it('D1 keeps the canonical event, and rendering it again gives the same bytes every time', async () => {
    const { body: intent } = await createIntent(sk, {
      payment_method: 'pm_card_threeDSecure2Required',
      confirm: true,
      metadata: { n: '1' },
    });
    const row = await d1
      .prepare(`SELECT canonical, body FROM events WHERE intent_id = ? AND type = 'payment_intent.requires_action'`)
      .bind(intent.id)
      .first<{ canonical: string; body: string | null }>();
    expect(row!.body).toBeNull();
    const canonical = JSON.parse(row!.canonical);
    // The canonical form speaks the domain's names, not a wire's: the intent's stored record and no rendered link.
    expect(canonical).toMatchObject({
      v: 2,
      kind: 'payment_intent',
      type: 'payment_intent.requires_action',
      sequence: 2,
      object: { id: intent.id, status: 'requires_action' },
    });
    expect(row!.canonical).not.toContain('/challenge/');
    expect(row!.canonical).not.toContain('redirect_to_url":{"url"');

    const links = { baseUrl: 'http://pay.test' };
    const once = JSON.stringify(renderEvent(parseEvent(row!.canonical), links));
    const twice = JSON.stringify(renderEvent(parseEvent(row!.canonical), links));
    expect(once).toBe(twice);
    // An event stored or queued before events had a kind (format 1) reads and renders the same.
    const { kind: _kind, ...before } = canonical;
    expect(JSON.stringify(renderEvent(parseEvent(JSON.stringify({ ...before, v: 1 })), links))).toBe(once);
    const served = (await get(sk, `/v1/events/${canonical.id}`)).body;
    expect(JSON.stringify({ ...served, pending_webhooks: undefined })).toBe(
      JSON.stringify({ ...JSON.parse(once), pending_webhooks: undefined }),
    );
    // Links in the rendered event come from PUBLIC_BASE_URL.
    expect(served.data.object.next_action.redirect_to_url.url).toMatch(new RegExp(`^http://pay\\.test/challenge/${intent.id}/`));
  });

  it('the object and the read model hold the same canonical event', async () => {
    const { body: intent } = await createIntent(sk, { capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true });
    await post(sk, `/v1/payment_intents/${intent.id}/capture`, { amount_to_capture: 700 });
    const stored = await stub(intent.id).events({ merchantId: m.id, livemode: false });
    const rows = await d1
      .prepare('SELECT canonical FROM events WHERE intent_id = ? ORDER BY sequence')
      .bind(intent.id)
      .all<{ canonical: string }>();
    expect(rows.results).toHaveLength(stored.length);
    for (const [i, e] of stored.entries()) {
      const canonical = rows.results[i]!.canonical;
      const parsed = parseEvent(canonical);
      if (parsed.kind !== 'payment_intent') throw new Error(`expected a payment intent's event, got ${parsed.kind}`);
      expect(parsed).toEqual({
        kind: 'payment_intent',
        id: e.id,
        sequence: e.seq,
        type: e.type,
        created: e.created,
        request: { id: e.requestId, idempotencyKey: e.idempotencyKey },
        object: e.object,
        previousAttributes: parsed.previousAttributes,
        subject: e.type.startsWith('charge.') ? { kind: 'charge', id: e.object.charges[0]!.id } : null,
      });
      expect(JSON.stringify(JSON.parse(canonical).previous_attributes)).toBe(e.previousAttributes);
    }
    expect(parseEvent(rows.results.at(-2)!.canonical)).toMatchObject({
      type: 'payment_intent.succeeded',
      previousAttributes: { status: 'requires_capture', amountCapturable: 2000n, amountReceived: 0n },
      object: { amountReceived: 700n, status: 'succeeded' },
    });
  });
});

describe('events from before canonical events', () => {
  it('a D1 row with only its rendered body is served as it was rendered', async () => {
    const body = {
      id: 'evt_legacy0000000000000000000',
      object: 'event',
      api_version: '2026-11-01',
      type: 'payment_intent.created',
      data: { object: { id: 'pi_x' } },
    };
    await d1
      .prepare(
        'INSERT INTO events (id, merchant_id, livemode, intent_id, sequence, type, created_at, canonical, body) VALUES (?, ?, 0, ?, 1, ?, ?, NULL, ?)',
      )
      .bind(body.id, m.id, 'pi_x', body.type, Date.now(), JSON.stringify(body))
      .run();
    const served = await get(sk, `/v1/events/${body.id}`);
    expect(served.res.status).toBe(200);
    expect(served.body).toEqual({ ...body, pending_webhooks: 0 });
  });

  it('a queue message carrying a rendered body is delivered with that body', async () => {
    const mailbox = await openMailbox({ secrets: [] });
    const { body: endpoint } = await post(sk, '/v1/webhook_endpoints', { url: mailbox.url, enabled_events: ['payment_intent.canceled'] });
    const event = {
      id: `evt_legacy${crypto.randomUUID().replace(/-/g, '').slice(0, 20)}`,
      object: 'event',
      type: 'payment_intent.canceled',
      data: { object: { id: 'pi_y' } },
    };
    await env.WEBHOOK_QUEUE.send({
      kind: 'event',
      eventId: event.id,
      merchantId: m.id,
      livemode: false,
      notificationUrl: null,
      event: JSON.stringify(event),
    });
    await waitFor(async () => (await mailbox.received()).length === 1, 8_000);
    const [delivered] = await mailbox.received();
    expect(JSON.parse(delivered!.body)).toEqual({ ...event, pending_webhooks: 1 });
    expect(delivered!.headers['webhook-id']).toBe(event.id);
    expect(endpoint.id).toMatch(/^we_/);
  });
});
