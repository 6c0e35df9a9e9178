/**
 * /v1/events, /v1/webhook_endpoints, webhook deliveries and the notification secret. Endpoint
 * signing secrets are returned only by create and by a roll; during a roll's overlap both sign.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  findEndpoint,
  findEvent,
  findDelivery,
  insertEndpoint,
  deliveryWithAttempts,
  listDeliveries,
  listEndpoints,
  listEvents,
  notificationSecret,
  pendingWebhooks,
  rollNotificationSecret,
  updateEndpoint,
  type DeliveryWithAttempts,
  type EndpointRow,
  type EventRow,
} from '../../db/webhooks.js';
import { mergeMetadata, METADATA_MAX_KEYS } from '../../domain/payment-intent.js';
import type { Cursor } from '../../db/keyset.js';
import { newId } from '../../lib/ids.js';
import { attemptDelivery } from '../../webhooks/deliver.js';
import { newSigningSecret } from '../../webhooks/signing.js';
import { checkWebhookUrl } from '../../webhooks/url-policy.js';
import { API_VERSION } from '../../wire/event.js';
import { requireKey } from '../auth.js';
import { ApiError } from '../errors.js';
import { idempotent } from '../idempotency.js';
import { route, type AppEnv } from '../openapi.js';
import { createdRange } from '../schemas/list.js';
import { ErrorEnvelope } from '../schemas/payment-intent.js';
import {
  CreateEndpointParams,
  DeletedEndpoint,
  Event,
  EventList,
  EventListQuery,
  NotificationSecret,
  PageQuery,
  RollSecretParams,
  UpdateEndpointParams,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookEndpoint,
  WebhookEndpointList,
} from '../schemas/webhooks.js';

const secretKey = requireKey('secret');
const secretKeyPost = [requireKey('secret'), idempotent];
const DEFAULT_OVERLAP_SECONDS = 24 * 3600;
const errors = {
  400: { description: 'Invalid request: the error names the parameter.', content: { 'application/json': { schema: ErrorEnvelope } } },
  401: { description: 'Missing or unknown API key.', content: { 'application/json': { schema: ErrorEnvelope } } },
  403: { description: 'A publishable key.', content: { 'application/json': { schema: ErrorEnvelope } } },
  404: { description: 'No such object (for this merchant and mode).', content: { 'application/json': { schema: ErrorEnvelope } } },
} as const;
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = <T extends z.ZodType>(schema: T, required = true) => ({ required, content: { 'application/json': { schema } } });
const idParam = (name: string) =>
  z.object({
    id: z
      .string()
      .max(100)
      .openapi({ param: { name: 'id', in: 'path' }, example: name }),
  });

export function registerWebhookRoutes(app: OpenAPIHono<AppEnv>): void {
  // --- events ------------------------------------------------------------------------------
  route(
    app,
    createRoute({
      method: 'get',
      path: '/v1/events',
      tags: ['Events'],
      summary: 'List events, newest first',
      middleware: secretKey,
      request: { query: EventListQuery },
      responses: { 200: json(EventList, 'A page of events.'), ...errors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const scope = scopeOf(c);
      const cursorId = q.starting_after ?? q.ending_before;
      let cursor;
      if (cursorId !== undefined) {
        const anchor = await findEvent(c.env.DB, scope, cursorId);
        if (!anchor)
          throw new ApiError('resource_missing', `No such event: '${cursorId}'`, q.starting_after ? 'starting_after' : 'ending_before');
        cursor = { direction: q.starting_after ? ('after' as const) : ('before' as const), createdAt: anchor.createdAt, id: anchor.id };
      }
      const page = await listEvents(c.env.DB, scope, {
        limit: q.limit ?? 10,
        type: q.type,
        cursor,
        created: createdRange(q),
      });
      return c.json({ object: 'list' as const, url: '/v1/events', has_more: page.hasMore, data: await eventsToWire(c, page.data) }, 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: '/v1/events/{id}',
      tags: ['Events'],
      summary: 'Retrieve an event',
      middleware: secretKey,
      request: { params: idParam('evt_01JD4X2Q8Z3N9A7ZbC1dE2fG3h') },
      responses: { 200: json(Event, 'The event.'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const event = await findEvent(c.env.DB, scopeOf(c), id);
      if (!event) throw new ApiError('resource_missing', `No such event: '${id}'`, 'id');
      const [wire] = await eventsToWire(c, [event]);
      return c.json(wire!, 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: '/v1/events/{id}/deliveries',
      tags: ['Events'],
      summary: "An event's webhook deliveries and their attempts",
      middleware: secretKey,
      request: { params: idParam('evt_01JD4X2Q8Z3N9A7ZbC1dE2fG3h'), query: PageQuery },
      responses: { 200: json(WebhookDeliveryList, 'Deliveries, newest first.'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      if (!(await findEvent(c.env.DB, scopeOf(c), id))) throw new ApiError('resource_missing', `No such event: '${id}'`, 'id');
      const page = await listDeliveries(c.env.DB, scopeOf(c), { eventId: id }, q.limit ?? 10, await deliveryCursor(c, q));
      return c.json(
        { object: 'list' as const, url: `/v1/events/${id}/deliveries`, has_more: page.hasMore, data: page.data.map(deliveryToWire) },
        200,
      );
    },
  );

  // --- endpoints ---------------------------------------------------------------------------
  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/webhook_endpoints',
      tags: ['Webhook endpoints'],
      summary: 'Create a webhook endpoint (its signing secret is in this answer only)',
      middleware: secretKeyPost,
      request: { body: body(CreateEndpointParams) },
      responses: { 200: json(WebhookEndpoint, 'The endpoint, with its secret.'), ...errors },
    }),
    async (c) => {
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
        previousSecret: null,
        previousSecretExpiresAt: null,
        createdAt: now,
        deletedAt: null,
      };
      await insertEndpoint(c.env.DB, row);
      return c.json({ ...endpointToWire(row), secret: row.secret }, 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: '/v1/webhook_endpoints',
      tags: ['Webhook endpoints'],
      summary: 'List webhook endpoints, newest first',
      middleware: secretKey,
      request: { query: PageQuery },
      responses: { 200: json(WebhookEndpointList, 'A page of endpoints.'), ...errors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const cursorId = q.starting_after ?? q.ending_before;
      if (cursorId !== undefined && !(await findEndpoint(c.env.DB, scopeOf(c), cursorId))) {
        throw new ApiError(
          'resource_missing',
          `No such webhook endpoint: '${cursorId}'`,
          q.starting_after ? 'starting_after' : 'ending_before',
        );
      }
      const page = await listEndpoints(c.env.DB, scopeOf(c), {
        limit: q.limit ?? 10,
        cursor: cursorId ? { direction: q.starting_after ? 'after' : 'before', id: cursorId } : undefined,
      });
      return c.json(
        { object: 'list' as const, url: '/v1/webhook_endpoints', has_more: page.hasMore, data: page.data.map(endpointToWire) },
        200,
      );
    },
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: '/v1/webhook_endpoints/{id}',
      tags: ['Webhook endpoints'],
      summary: 'Retrieve a webhook endpoint',
      middleware: secretKey,
      request: { params: idParam('we_01JD4X2Q8Z3N9A7ZbC1dE2fG3h') },
      responses: { 200: json(WebhookEndpoint, 'The endpoint (without its secret).'), ...errors },
    }),
    async (c) => c.json(endpointToWire(await endpointOr404(c, c.req.valid('param').id)), 200),
  );

  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/webhook_endpoints/{id}',
      tags: ['Webhook endpoints'],
      summary: 'Update a webhook endpoint (disabled=true stops deliveries to it)',
      middleware: secretKeyPost,
      request: { params: idParam('we_01JD4X2Q8Z3N9A7ZbC1dE2fG3h'), body: body(UpdateEndpointParams, false) },
      responses: { 200: json(WebhookEndpoint, 'The endpoint.'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const p = c.req.valid('json');
      const current = await endpointOr404(c, id);
      const scope = scopeOf(c);
      const metadata = p.metadata === undefined ? undefined : mergeMetadata(JSON.parse(current.metadata), p.metadata);
      if (metadata && Object.keys(metadata).length > METADATA_MAX_KEYS) {
        throw new ApiError('parameter_invalid', `metadata can have at most ${METADATA_MAX_KEYS} keys.`, 'metadata');
      }
      const updated = await updateEndpoint(c.env.DB, scope, id, {
        ...(p.url !== undefined ? { url: checkedUrl(p.url, scope.livemode) } : {}),
        ...(p.enabled_events !== undefined ? { enabledEvents: JSON.stringify(p.enabled_events) } : {}),
        ...(p.description !== undefined ? { description: p.description } : {}),
        ...(metadata !== undefined ? { metadata: JSON.stringify(metadata) } : {}),
        ...(p.disabled !== undefined ? { status: p.disabled ? ('disabled' as const) : ('enabled' as const) } : {}),
      });
      if (!updated) throw noSuchEndpoint(id);
      return c.json(endpointToWire(updated), 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'delete',
      path: '/v1/webhook_endpoints/{id}',
      tags: ['Webhook endpoints'],
      summary: 'Delete a webhook endpoint',
      middleware: secretKey,
      request: { params: idParam('we_01JD4X2Q8Z3N9A7ZbC1dE2fG3h') },
      responses: { 200: json(DeletedEndpoint, 'Deleted.'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const deleted = await updateEndpoint(c.env.DB, scopeOf(c), id, { deletedAt: Date.now(), status: 'disabled' });
      if (!deleted) throw noSuchEndpoint(id);
      return c.json({ id, object: 'webhook_endpoint' as const, deleted: true as const }, 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/webhook_endpoints/{id}/roll_secret',
      tags: ['Webhook endpoints'],
      summary: 'Replace the signing secret; the old one keeps signing for expires_in_seconds (default 24 h)',
      middleware: secretKeyPost,
      request: { params: idParam('we_01JD4X2Q8Z3N9A7ZbC1dE2fG3h'), body: body(RollSecretParams, false) },
      responses: { 200: json(WebhookEndpoint, 'The endpoint, with its new secret.'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const overlapMs = (c.req.valid('json').expires_in_seconds ?? DEFAULT_OVERLAP_SECONDS) * 1000;
      const current = await endpointOr404(c, id);
      const now = Date.now();
      const updated = await updateEndpoint(c.env.DB, scopeOf(c), id, {
        secret: newSigningSecret(),
        previousSecret: current.secret,
        previousSecretExpiresAt: now + overlapMs,
      });
      if (!updated) throw noSuchEndpoint(id);
      return c.json({ ...endpointToWire(updated), secret: updated.secret }, 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: '/v1/webhook_endpoints/{id}/deliveries',
      tags: ['Webhook endpoints'],
      summary: "An endpoint's deliveries and their attempts, newest first",
      middleware: secretKey,
      request: { params: idParam('we_01JD4X2Q8Z3N9A7ZbC1dE2fG3h'), query: PageQuery },
      responses: { 200: json(WebhookDeliveryList, 'Deliveries.'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      await endpointOr404(c, id);
      const page = await listDeliveries(c.env.DB, scopeOf(c), { endpointId: id }, q.limit ?? 10, await deliveryCursor(c, q));
      return c.json(
        {
          object: 'list' as const,
          url: `/v1/webhook_endpoints/${id}/deliveries`,
          has_more: page.hasMore,
          data: page.data.map(deliveryToWire),
        },
        200,
      );
    },
  );

  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/webhook_deliveries/{id}/retry',
      tags: ['Webhook endpoints'],
      summary: 'Deliver again now, by hand (one attempt, recorded like the others)',
      middleware: secretKeyPost,
      request: { params: idParam('whd_0123456789abcdef01234567') },
      responses: { 200: json(WebhookDelivery, 'The delivery after the attempt.'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const scope = scopeOf(c);
      const delivery = await findDelivery(c.env.DB, id, scope);
      if (!delivery) throw new ApiError('resource_missing', `No such webhook delivery: '${id}'`, 'id');
      const outcome = await attemptDelivery(c.env, delivery, delivery.attempts + 1);
      if (outcome.kind === 'skipped') {
        throw new ApiError('parameter_invalid', 'The endpoint of this delivery is disabled or deleted; enable it first.', 'id');
      }
      return c.json(deliveryToWire((await deliveryWithAttempts(c.env.DB, scope, id))!), 200);
    },
  );

  // --- the notification secret -------------------------------------------------------------
  route(
    app,
    createRoute({
      method: 'get',
      path: '/v1/notification_secret',
      tags: ['Webhook endpoints'],
      summary: "The merchant's secret that signs deliveries to intents' notification_url",
      middleware: secretKey,
      responses: { 200: json(NotificationSecret, 'The secret.'), ...errors },
    }),
    async (c) => c.json(notificationSecretToWire(await notificationSecret(c.env.DB, scopeOf(c)), scopeOf(c).livemode), 200),
  );

  route(
    app,
    createRoute({
      method: 'post',
      path: '/v1/notification_secret/roll',
      tags: ['Webhook endpoints'],
      summary: 'Replace the notification secret; the old one keeps signing for expires_in_seconds (default 24 h)',
      middleware: secretKeyPost,
      request: { body: body(RollSecretParams, false) },
      responses: { 200: json(NotificationSecret, 'The new secret.'), ...errors },
    }),
    async (c) => {
      const overlapMs = (c.req.valid('json').expires_in_seconds ?? DEFAULT_OVERLAP_SECONDS) * 1000;
      const rolled = await rollNotificationSecret(c.env.DB, scopeOf(c), overlapMs);
      return c.json(notificationSecretToWire(rolled, scopeOf(c).livemode), 200);
    },
  );
}

function scopeOf(c: Context<AppEnv>) {
  const auth = c.get('auth');
  return { merchantId: auth.merchantId, livemode: auth.livemode };
}

function checkedUrl(raw: string, livemode: boolean): string {
  const check = checkWebhookUrl(raw, livemode);
  if (!check.ok) throw new ApiError('parameter_invalid', `Invalid url: ${check.reason}`, 'url');
  return check.url.href;
}

/** A delivery list's cursor: a delivery of this merchant and mode, or a 404 naming the parameter. */
async function deliveryCursor(c: Context<AppEnv>, q: { starting_after?: string; ending_before?: string }): Promise<Cursor | undefined> {
  const id = q.starting_after ?? q.ending_before;
  if (id === undefined) return undefined;
  const anchor = await findDelivery(c.env.DB, id, scopeOf(c));
  if (!anchor)
    throw new ApiError('resource_missing', `No such webhook delivery: '${id}'`, q.starting_after ? 'starting_after' : 'ending_before');
  return { direction: q.starting_after ? 'after' : 'before', createdAt: anchor.createdAt, id: anchor.id };
}

function noSuchEndpoint(id: string): ApiError {
  return new ApiError('resource_missing', `No such webhook endpoint: '${id}'`, 'id');
}

async function endpointOr404(c: Context<AppEnv>, id: string): Promise<EndpointRow> {
  const endpoint = await findEndpoint(c.env.DB, scopeOf(c), id);
  if (!endpoint) throw noSuchEndpoint(id);
  return endpoint;
}

function endpointToWire(row: EndpointRow) {
  return {
    id: row.id,
    object: 'webhook_endpoint' as const,
    api_version: API_VERSION,
    created: Math.floor(row.createdAt / 1000),
    description: row.description,
    enabled_events: JSON.parse(row.enabledEvents) as string[],
    livemode: row.livemode,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    status: row.status,
    url: row.url,
  };
}

async function eventsToWire(c: Context<AppEnv>, rows: EventRow[]) {
  const pending = await pendingWebhooks(
    c.env.DB,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...JSON.parse(r.body), pending_webhooks: pending.get(r.id) ?? 0 }));
}

function deliveryToWire(row: DeliveryWithAttempts) {
  return {
    id: row.id,
    object: 'webhook_delivery' as const,
    event: row.eventId,
    endpoint: row.endpointId,
    url: row.url,
    status: row.status,
    attempts: row.attemptList.map((a) => ({
      attempt: a.attempt,
      status_code: a.statusCode,
      duration_ms: a.durationMs,
      response_body: a.responseBody,
      error: a.error,
      created: Math.floor(a.createdAt / 1000),
    })),
    created: Math.floor(row.createdAt / 1000),
    dead_lettered_at: row.deadLetteredAt === null ? null : Math.floor(row.deadLetteredAt / 1000),
    livemode: row.livemode,
  };
}

function notificationSecretToWire(
  row: { secret: string; previousSecret: string | null; previousSecretExpiresAt: number | null; createdAt: number },
  livemode: boolean,
) {
  return {
    object: 'notification_secret' as const,
    secret: row.secret,
    previous_secret_expires_at: row.previousSecretExpiresAt === null ? null : Math.floor(row.previousSecretExpiresAt / 1000),
    livemode,
    created: Math.floor(row.createdAt / 1000),
  };
}
