/** The wire of webhook endpoints, deliveries and the notification secret. */
import { z } from '@hono/zod-openapi';
import { ALL_EVENT_TYPES } from '../../../intents/events.js';
import { booleanParam, metadata } from '../params.js';

const enabledEvents = z
  .array(z.enum(['*', ...ALL_EVENT_TYPES]))
  .min(1)
  .max(ALL_EVENT_TYPES.length + 1)
  .openapi({ description: 'Event types to receive, or ["*"] for all.' });
const endpointUrl = z.string().min(1).max(2048).openapi({ example: 'https://shop.example/webhooks' });
const description = z.string().max(5000);

export const CreateEndpointParams = z
  .strictObject({
    url: endpointUrl,
    enabled_events: enabledEvents,
    description: description.optional(),
    metadata: metadata.optional(),
  })
  .openapi('CreateWebhookEndpointParams');

export const UpdateEndpointParams = z
  .strictObject({
    url: endpointUrl.optional(),
    enabled_events: enabledEvents.optional(),
    description: z.union([z.literal('').transform(() => null), description]).optional(),
    metadata: z.union([z.literal('').transform(() => null), metadata]).optional(),
    disabled: booleanParam.optional(),
  })
  .openapi('UpdateWebhookEndpointParams');

export const RollSecretParams = z
  .strictObject({
    expires_in_seconds: z
      .union([z.number(), z.string()])
      .transform((v, ctx) => {
        const n = typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : NaN;
        if (!Number.isSafeInteger(n) || n < 0 || n > 7 * 86_400) {
          ctx.addIssue({ code: 'custom', message: 'expires_in_seconds must be a whole number from 0 to 604800 (7 days).' });
          return z.NEVER;
        }
        return n;
      })
      .optional()
      .openapi({ type: 'integer', minimum: 0, maximum: 604800, default: 86400, description: 'How long the old secret keeps signing.' }),
  })
  .openapi('RollSecretParams');

export const WebhookEndpoint = z
  .object({
    id: z.string(),
    object: z.literal('webhook_endpoint'),
    api_version: z.string(),
    created: z.number().int(),
    description: z.string().nullable(),
    enabled_events: z.array(z.string()),
    livemode: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    status: z.enum(['enabled', 'disabled']),
    url: z.string(),
    secret: z.string().optional().openapi({ description: 'Only in the answer to create and to a secret roll.' }),
  })
  .openapi('WebhookEndpoint');

export const WebhookEndpointList = z
  .object({ object: z.literal('list'), url: z.string(), has_more: z.boolean(), data: z.array(WebhookEndpoint) })
  .openapi('WebhookEndpointList');

export const DeletedEndpoint = z
  .object({ id: z.string(), object: z.literal('webhook_endpoint'), deleted: z.literal(true) })
  .openapi('DeletedWebhookEndpoint');

export const WebhookDelivery = z
  .object({
    id: z.string(),
    object: z.literal('webhook_delivery'),
    event: z.string(),
    endpoint: z.string().nullable().openapi({ description: 'null for the intent’s notification_url.' }),
    url: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        status_code: z.number().int().nullable(),
        duration_ms: z.number().int(),
        response_body: z.string().nullable().openapi({ description: 'The first 1 KiB of what the receiver answered.' }),
        error: z.string().nullable(),
        created: z.number().int(),
      }),
    ),
    created: z.number().int(),
    dead_lettered_at: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'When the last scheduled attempt failed and the delivery went to the dead-letter queue.' }),
    livemode: z.boolean(),
  })
  .openapi('WebhookDelivery');

export const WebhookDeliveryList = z
  .object({ object: z.literal('list'), url: z.string(), has_more: z.boolean(), data: z.array(WebhookDelivery) })
  .openapi('WebhookDeliveryList');

export const NotificationSecret = z
  .object({
    object: z.literal('notification_secret'),
    secret: z.string(),
    previous_secret_expires_at: z.number().int().nullable(),
    livemode: z.boolean(),
    created: z.number().int(),
  })
  .openapi('NotificationSecret', { description: "Signs deliveries to intents' notification_url callbacks." });
