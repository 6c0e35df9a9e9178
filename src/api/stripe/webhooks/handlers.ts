/**
 * Webhook endpoints, deliveries and the notification secret. Endpoint signing secrets are returned
 * only by create and by a roll; during a roll's overlap both sign.
 */
import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Cursor } from '../../../db/keyset.js';
import {
  type EndpointRow,
  deleteEndpoint as deleteEndpointRow,
  deliveryWithAttempts,
  findDelivery,
  findEndpoint,
  insertEndpoint,
  listDeliveries,
  listEndpoints as listEndpointRows,
  notificationSecret as readNotificationSecret,
  rollEndpointSecret as rollEndpointSecretRow,
  rollNotificationSecret as rollNotificationSecretRow,
  updateEndpoint as updateEndpointRow,
} from '../../../db/webhooks.js';
import { METADATA_MAX_KEYS } from '../../../domain/intent.js';
import { type AppEnv, shardOf } from '../../../http/context.js';
import { newId } from '../../../lib/ids.js';
import { attemptDelivery } from '../../../webhooks/deliver.js';
import { newSigningSecret } from '../../../webhooks/signing.js';
import { checkWebhookUrl } from '../../../webhooks/url-policy.js';
import { scopeOf } from '../context.js';
import { noSuchObject, StripeError } from '../errors.js';
import { deliveryToWire, endpointToWire, notificationSecretToWire } from '../wire/webhook.js';
import type * as routes from './routes.js';

type Handler<R extends keyof typeof routes> = RouteHandler<(typeof routes)[R], AppEnv>;

const DEFAULT_OVERLAP_SECONDS = 24 * 3600;

export const createEndpoint: Handler<'createEndpoint'> = async (c) => {
  const p = c.req.valid('json');
  const scope = scopeOf(c);
  const now = Date.now();
  const row: EndpointRow = {
    id: newId('we', now),
    ...scope,
    url: checkedUrl(p.url, scope.livemode),
    enabledEvents: JSON.stringify(p.enabled_events),
    description: p.description ?? null,
    metadata: JSON.stringify(p.metadata ?? {}),
    status: 'enabled',
    secret: newSigningSecret(),
    previousSecrets: '[]',
    createdAt: now,
    deletedAt: null,
  };
  await insertEndpoint(shardOf(c), row);
  return c.json({ ...endpointToWire(row), secret: row.secret }, 200);
};

export const listEndpoints: Handler<'listEndpoints'> = async (c) => {
  const q = c.req.valid('query');
  const cursorId = q.starting_after ?? q.ending_before;
  if (cursorId !== undefined && !(await findEndpoint(shardOf(c), scopeOf(c), cursorId))) {
    throw noSuchObject('webhook endpoint', cursorId, q.starting_after ? 'starting_after' : 'ending_before');
  }
  const page = await listEndpointRows(shardOf(c), scopeOf(c), {
    limit: q.limit ?? 10,
    cursor: cursorId ? { direction: q.starting_after ? 'after' : 'before', id: cursorId } : undefined,
  });
  return c.json(
    { object: 'list' as const, url: '/v1/webhook_endpoints', has_more: page.hasMore, data: page.data.map(endpointToWire) },
    200,
  );
};

export const retrieveEndpoint: Handler<'retrieveEndpoint'> = async (c) =>
  c.json(endpointToWire(await endpointOr404(c, c.req.valid('param').id)), 200);

export const updateEndpoint: Handler<'updateEndpoint'> = async (c) => {
  const { id } = c.req.valid('param');
  const p = c.req.valid('json');
  const scope = scopeOf(c);
  const updated = await updateEndpointRow(
    shardOf(c),
    scope,
    id,
    {
      url: p.url === undefined ? undefined : checkedUrl(p.url, scope.livemode),
      enabledEvents: p.enabled_events,
      description: p.description,
      metadata: p.metadata,
      status: p.disabled === undefined ? undefined : p.disabled ? 'disabled' : 'enabled',
    },
    METADATA_MAX_KEYS,
  );
  if (updated === 'too_many_metadata_keys') {
    throw new StripeError('parameter_invalid', `metadata can have at most ${METADATA_MAX_KEYS} keys.`, 'metadata');
  }
  if (!updated) throw noSuchEndpoint(id);
  return c.json(endpointToWire(updated), 200);
};

export const deleteEndpoint: Handler<'deleteEndpoint'> = async (c) => {
  const { id } = c.req.valid('param');
  if (!(await deleteEndpointRow(shardOf(c), scopeOf(c), id, Date.now()))) throw noSuchEndpoint(id);
  return c.json({ id, object: 'webhook_endpoint' as const, deleted: true as const }, 200);
};

export const rollEndpointSecret: Handler<'rollEndpointSecret'> = async (c) => {
  const { id } = c.req.valid('param');
  const overlapMs = (c.req.valid('json').expires_in_seconds ?? DEFAULT_OVERLAP_SECONDS) * 1000;
  const rolled = await rollEndpointSecretRow(shardOf(c), scopeOf(c), id, overlapMs);
  if (rolled === 'conflict') throw concurrentRoll("this endpoint's secret");
  if (!rolled) throw noSuchEndpoint(id);
  return c.json({ ...endpointToWire(rolled), secret: rolled.secret }, 200);
};

export const endpointDeliveries: Handler<'endpointDeliveries'> = async (c) => {
  const { id } = c.req.valid('param');
  const q = c.req.valid('query');
  await endpointOr404(c, id);
  const page = await listDeliveries(shardOf(c), scopeOf(c), { endpointId: id }, q.limit ?? 10, await deliveryCursor(c, q));
  return c.json(
    { object: 'list' as const, url: `/v1/webhook_endpoints/${id}/deliveries`, has_more: page.hasMore, data: page.data.map(deliveryToWire) },
    200,
  );
};

export const retryDelivery: Handler<'retryDelivery'> = async (c) => {
  const { id } = c.req.valid('param');
  const scope = scopeOf(c);
  const delivery = await findDelivery(shardOf(c), id, scope);
  if (!delivery) throw noSuchObject('webhook delivery', id, 'id');
  const outcome = await attemptDelivery(c.env, shardOf(c), delivery);
  if (outcome.kind === 'skipped') {
    throw new StripeError('parameter_invalid', 'The endpoint of this delivery is disabled or deleted; enable it first.', 'id');
  }
  return c.json(deliveryToWire((await deliveryWithAttempts(shardOf(c), scope, id))!), 200);
};

export const notificationSecret: Handler<'notificationSecret'> = async (c) =>
  c.json(notificationSecretToWire(await readNotificationSecret(shardOf(c), scopeOf(c)), scopeOf(c).livemode), 200);

export const rollNotificationSecret: Handler<'rollNotificationSecret'> = async (c) => {
  const overlapMs = (c.req.valid('json').expires_in_seconds ?? DEFAULT_OVERLAP_SECONDS) * 1000;
  const rolled = await rollNotificationSecretRow(shardOf(c), scopeOf(c), overlapMs);
  if (rolled === 'conflict') throw concurrentRoll('the notification secret');
  return c.json(notificationSecretToWire(rolled, scopeOf(c).livemode), 200);
};

/**
 * Another roll replaced the same secret first. Answering 200 would hand out a secret that is
 * already superseded; the caller learns instead that its roll did not happen (and is not retried
 * automatically: rolling again would supersede the secret the other caller just received).
 */
function concurrentRoll(what: string): StripeError {
  return new StripeError(
    'concurrent_update',
    `Another request rolled ${what} at the same time; this roll was not applied and issued no secret. Roll again if you still need a new one.`,
    null,
    {},
    false,
  );
}

/** A delivery list's cursor: a delivery of this merchant and mode, or a 404 naming the parameter. */
export async function deliveryCursor(
  c: Context<AppEnv>,
  q: { starting_after?: string; ending_before?: string },
): Promise<Cursor | undefined> {
  const id = q.starting_after ?? q.ending_before;
  if (id === undefined) return undefined;
  const anchor = await findDelivery(shardOf(c), id, scopeOf(c));
  if (!anchor) throw noSuchObject('webhook delivery', id, q.starting_after ? 'starting_after' : 'ending_before');
  return { direction: q.starting_after ? 'after' : 'before', createdAt: anchor.createdAt, id: anchor.id };
}

function checkedUrl(raw: string, livemode: boolean): string {
  const check = checkWebhookUrl(raw, livemode);
  if (!check.ok) throw new StripeError('parameter_invalid', `Invalid url: ${check.reason}`, 'url');
  return check.url.href;
}

function noSuchEndpoint(id: string): StripeError {
  return noSuchObject('webhook endpoint', id, 'id');
}

async function endpointOr404(c: Context<AppEnv>, id: string): Promise<EndpointRow> {
  const endpoint = await findEndpoint(shardOf(c), scopeOf(c), id);
  if (!endpoint) throw noSuchEndpoint(id);
  return endpoint;
}
