/** /v1/events handlers: events come from the read model, canonical, and are rendered on Stripe's wire here. */
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { findEvent, listDeliveries, listEvents, pendingWebhooks, type EventRow } from '../../../db/webhooks.js';
import { type AppEnv, shardOf } from '../../../http/context.js';
import { parseEvent } from '../../../intents/events.js';
import { links, scopeOf } from '../context.js';
import { noSuchObject } from '../errors.js';
import { createdRange } from '../list.js';
import { deliveryCursor } from '../webhooks/handlers.js';
import { deliveryToWire } from '../wire/webhook.js';
import { renderEvent } from '../wire/event.js';
import type * as routes from './routes.js';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

export const list: Handler<'list'> = async (c) => {
  const q = c.req.valid('query');
  const scope = scopeOf(c);
  const cursorId = q.starting_after ?? q.ending_before;
  let cursor: Parameters<typeof listEvents>[2]['cursor'];
  if (cursorId !== undefined) {
    const anchor = await findEvent(shardOf(c), scope, cursorId);
    if (!anchor) throw noSuchObject('event', cursorId, q.starting_after ? 'starting_after' : 'ending_before');
    cursor = { direction: q.starting_after ? 'after' : 'before', createdAt: anchor.createdAt, id: anchor.id };
  }
  const page = await listEvents(shardOf(c), scope, { limit: q.limit ?? 10, type: q.type, cursor, created: createdRange(q) });
  return c.json({ object: 'list' as const, url: '/v1/events', has_more: page.hasMore, data: await eventsToWire(c, page.data) }, 200);
};

export const retrieve: Handler<'retrieve'> = async (c) => {
  const { id } = c.req.valid('param');
  const event = await findEvent(shardOf(c), scopeOf(c), id);
  if (!event) throw noSuchObject('event', id, 'id');
  const [wire] = await eventsToWire(c, [event]);
  return c.json(wire!, 200);
};

export const deliveries: Handler<'deliveries'> = async (c) => {
  const { id } = c.req.valid('param');
  const q = c.req.valid('query');
  if (!(await findEvent(shardOf(c), scopeOf(c), id))) throw noSuchObject('event', id, 'id');
  const page = await listDeliveries(shardOf(c), scopeOf(c), { eventId: id }, q.limit ?? 10, await deliveryCursor(c, q));
  return c.json(
    { object: 'list' as const, url: `/v1/events/${id}/deliveries`, has_more: page.hasMore, data: page.data.map(deliveryToWire) },
    200,
  );
};

/** Each event on Stripe's wire, with the number of its deliveries still pending. */
async function eventsToWire(c: Context<AppEnv>, rows: EventRow[]) {
  const pending = await pendingWebhooks(
    shardOf(c),
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...eventBody(r, c), pending_webhooks: pending.get(r.id) ?? 0 }));
}

function eventBody(row: EventRow, c: Context<AppEnv>) {
  // Events stored before canonical events keep the body they were rendered with.
  if (row.canonical === null) return JSON.parse(row.body!);
  return renderEvent(parseEvent(row.canonical), links(c));
}
