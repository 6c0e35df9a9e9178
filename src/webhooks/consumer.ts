/**
 * The webhook queue's consumer. An `event` message fans out into one delivery per target (the
 * merchant's endpoints that want the type, on Stripe's wire, and the intent's notification_url, on
 * the wire of the family that made the intent, if that wire carries the event); a `delivery` message
 * is one attempt, retried on the configured schedule (or later, if the receiver's Retry-After says
 * so) until it succeeds, the receiver answers 410, or the schedule is spent — then it is marked
 * failed and sent to the dead-letter queue.
 */
import { createDeliveries, endpointsFor, findDelivery, markDeadLettered, markDeliveryFailed, type DeliveryRow } from '../db/webhooks.js';
import { SHARD_BEFORE_SPLIT, shardDatabase } from '../db/shards.js';
import { readSettings, type Env } from '../env.js';
import { sha256Hex } from '../lib/secrets.js';
import { logError } from '../lib/log.js';
import { type DeliveryContext, EVENT_WIRES, type EventWireName, notificationWireOf } from '../api/event-wires.js';
import { type CanonicalEvent, parseEvent } from '../intents/events.js';
import { attemptDelivery } from './deliver.js';
import type { WebhookMessage } from './messages.js';

/** The longest a queue message may be delayed. */
const MAX_DELAY_SECONDS = 43_200;

export async function handleWebhookBatch(batch: MessageBatch<WebhookMessage>, env: Env): Promise<void> {
  const deadLetters = batch.queue.endsWith('-dlq');
  // Messages are independent: one receiver's slowness must not hold up the others.
  await Promise.all(
    batch.messages.map(async (message) => {
      let retryInSeconds: number | null = null;
      try {
        if (deadLetters) await handleDeadLetter(message, env);
        else if (message.body.kind === 'event') retryInSeconds = await fanOut(message.body, env, message.attempts);
        else retryInSeconds = await deliver(message as Message<Extract<WebhookMessage, { kind: 'delivery' }>>, env);
      } catch (error) {
        // A fault of ours (D1 unavailable…): let the queue retry the message as it is.
        logError('webhook message failed', { queue: batch.queue, kind: message.body.kind, attempts: message.attempts }, error);
        retryInSeconds = Math.min(2 ** message.attempts, 300);
      }
      if (retryInSeconds === null) message.ack();
      else message.retry({ delaySeconds: retryInSeconds });
    }),
  );
}

/** The merchant's shard the message names; a message from before shards names none (src/webhooks/messages.ts). */
function shardOfMessage(message: WebhookMessage): string {
  return message.shard ?? SHARD_BEFORE_SPLIT;
}

/**
 * One delivery per target that hears of the event; the number of seconds after which to fan out
 * again when a target's wire cannot be told yet (null when done).
 */
async function fanOut(message: Extract<WebhookMessage, { kind: 'event' }>, env: Env, attempts: number): Promise<number | null> {
  const shard = shardOfMessage(message);
  const d1 = shardDatabase(env, shard);
  const event = eventOf(message);
  const scope = { merchantId: message.merchantId, livemode: message.livemode };
  // Endpoints are the canonical family's (their api_version is its wire); notification_url is the
  // wire of the family that made the intent.
  const targets: { endpointId: string | null; url: string; wire: EventWireName }[] = (await endpointsFor(d1, scope, event.type)).map(
    (e) => ({ endpointId: e.id, url: e.url, wire: 'stripe' }),
  );
  if (message.notificationUrl) {
    const wire = event.canonical ? await notificationWireOf(event.canonical, d1) : 'stripe';
    if (wire === 'undecided') return Math.min(2 ** attempts, 60);
    if (!event.canonical || EVENT_WIRES[wire].carries(event.canonical))
      targets.push({ endpointId: null, url: message.notificationUrl, wire });
  }
  if (targets.length === 0) return null;

  const context: DeliveryContext = { links: { baseUrl: readSettings(env).publicBaseUrl }, pendingWebhooks: targets.length, d1 };
  const now = Date.now();
  const rows: DeliveryRow[] = await Promise.all(
    targets.map(async (target) => ({
      id: await deliveryId(message.eventId, target.endpointId),
      merchantId: scope.merchantId,
      livemode: scope.livemode,
      eventId: message.eventId,
      endpointId: target.endpointId,
      url: target.url,
      status: 'pending' as const,
      attempts: 0,
      // The delivered body is fixed here, once: every attempt signs and sends the same bytes.
      body: await event.render(target.wire, context),
      createdAt: now,
      updatedAt: now,
      deadLetteredAt: null,
    })),
  );
  const fresh = await createDeliveries(d1, rows);
  // A queue batch holds at most 100 messages.
  for (let i = 0; i < fresh.length; i += 100) {
    await env.WEBHOOK_QUEUE.sendBatch(
      fresh.slice(i, i + 100).map((id) => ({ body: { kind: 'delivery' as const, shard, deliveryId: id } })),
    );
  }
  return null;
}

/** The event's type, the canonical event (null for one queued before events were canonical), and its body on a target's wire. */
function eventOf(message: Extract<WebhookMessage, { kind: 'event' }>): {
  type: string;
  canonical: CanonicalEvent | null;
  render: (wire: EventWireName, context: DeliveryContext) => Promise<string>;
} {
  if ('canonical' in message) {
    const event = parseEvent(message.canonical);
    return { type: event.type, canonical: event, render: (wire, context) => EVENT_WIRES[wire].render(event, context) };
  }
  // Queued before events were canonical: the Stripe body it was rendered with.
  const rendered = JSON.parse(message.event) as { type: string };
  return {
    type: rendered.type,
    canonical: null,
    render: async (_wire, context) => JSON.stringify({ ...rendered, pending_webhooks: context.pendingWebhooks }),
  };
}

/** One attempt; the number of seconds after which to try again, or null when done. */
async function deliver(message: Message<Extract<WebhookMessage, { kind: 'delivery' }>>, env: Env): Promise<number | null> {
  const shard = shardOfMessage(message.body);
  const d1 = shardDatabase(env, shard);
  const delivery = await findDelivery(d1, message.body.deliveryId);
  // Already delivered or given up (a duplicate message, or a manual retry got there first).
  if (delivery?.status !== 'pending') return null;

  const outcome = await attemptDelivery(env, d1, delivery);
  if (outcome.kind !== 'failed') {
    if (outcome.kind === 'skipped') await markDeliveryFailed(d1, delivery.id, Date.now());
    return null;
  }
  const delays = readSettings(env).webhookRetryDelaysSeconds;
  // message.attempts counts this message's automatic attempts: 1 for the first.
  if (message.attempts <= delays.length) {
    const scheduled = delays[message.attempts - 1]!;
    return Math.min(Math.max(scheduled, outcome.retryAfterSeconds ?? 0), MAX_DELAY_SECONDS);
  }
  await markDeliveryFailed(d1, delivery.id, Date.now());
  await env.WEBHOOK_DLQ.send({ kind: 'delivery', shard, deliveryId: delivery.id });
  return null;
}

async function handleDeadLetter(message: Message<WebhookMessage>, env: Env): Promise<void> {
  // Either our own hand-off after the last attempt, or the queue's max_retries backstop.
  if (message.body.kind === 'delivery')
    await markDeadLettered(shardDatabase(env, shardOfMessage(message.body)), message.body.deliveryId, Date.now());
  logError('webhook message dead-lettered', { kind: message.body.kind }, new Error(JSON.stringify(message.body).slice(0, 200)));
}

/** One delivery per (event, target): a repeated fan-out finds the same id. */
async function deliveryId(eventId: string, endpointId: string | null): Promise<string> {
  return `whd_${(await sha256Hex(`${eventId}:${endpointId ?? 'notification_url'}`)).slice(0, 24)}`;
}
