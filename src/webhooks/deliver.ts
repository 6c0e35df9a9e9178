/**
 * One attempt of one delivery: sign the stored body with the target's current secrets, POST it with
 * a timeout, and record what happened. Used by the queue consumer and by a manual retry.
 */
import { notificationSecret, recordAttempt, signingSecrets, type DeliveryWithEndpoint } from '../db/webhooks.js';
import { readSettings, type Env } from '../env.js';
import { retryAfterMs } from '../lib/retry-after.js';
import { signWebhook } from './signing.js';

export type AttemptOutcome =
  | { kind: 'succeeded'; statusCode: number }
  /** 410 Gone: the receiver asked never to be called again; the endpoint is disabled. */
  | { kind: 'gone'; statusCode: number }
  /** The target is disabled or deleted: nothing was sent. */
  | { kind: 'skipped' }
  | { kind: 'failed'; statusCode: number | null; retryAfterSeconds: number | null };

const SNIPPET_BYTES = 1024;
const USER_AGENT = 'edge-payment-intents-webhooks/1';

/** `d1` is the shard of the delivery's merchant, where the delivery, its secrets and its attempts are. */
export async function attemptDelivery(env: Env, d1: D1Database, delivery: DeliveryWithEndpoint, now = Date.now()): Promise<AttemptOutcome> {
  const scope = { merchantId: delivery.merchantId, livemode: delivery.livemode };
  let secrets: string[];
  if (delivery.endpointId) {
    const endpoint = delivery.endpoint;
    if (endpoint?.status !== 'enabled') return { kind: 'skipped' };
    secrets = signingSecrets(endpoint, now);
  } else {
    secrets = signingSecrets(await notificationSecret(d1, scope, now), now);
  }

  const eventId = (JSON.parse(delivery.body) as { id: string }).id;
  const timestampSeconds = Math.floor(now / 1000);
  const signature = await signWebhook({ id: eventId, timestampSeconds, body: delivery.body, secrets });
  const started = Date.now();
  let statusCode: number | null = null;
  let responseBody: string | null = null;
  let error: string | null = null;
  let retryAfterSeconds: number | null = null;
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...signature },
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(readSettings(env).webhookTimeoutMs),
    });
    statusCode = response.status;
    const retryAfter = retryAfterMs(response.headers.get('retry-after'), Date.now());
    retryAfterSeconds = retryAfter === null ? null : Math.ceil(retryAfter / 1000);
    responseBody = await readSnippet(response);
  } catch (e) {
    error = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError') ? 'timeout' : `network error: ${String(e)}`;
  }
  const durationMs = Date.now() - started;

  const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
  const gone = statusCode === 410;
  // A failed attempt leaves the delivery's status as it is by then: pending while the schedule runs,
  // failed after it, succeeded if another attempt got through meanwhile.
  await recordAttempt(
    d1,
    { deliveryId: delivery.id, statusCode, durationMs, responseBody, error, createdAt: now },
    ok ? 'succeeded' : gone ? 'failed' : null,
    gone ? delivery.endpointId : null,
  );
  if (ok) return { kind: 'succeeded', statusCode: statusCode! };
  if (gone) return { kind: 'gone', statusCode: statusCode! };
  return { kind: 'failed', statusCode, retryAfterSeconds };
}

async function readSnippet(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < SNIPPET_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  const bytes = new Uint8Array(Math.min(size, SNIPPET_BYTES));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.byteLength - offset);
    bytes.set(part, offset);
    offset += part.byteLength;
    if (offset >= bytes.byteLength) break;
  }
  return new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
}
