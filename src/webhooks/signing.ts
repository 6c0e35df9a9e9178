/**
 * Webhook signatures, two schemes on every delivery so receivers can use either official library:
 *
 * - Standard Webhooks (`standardwebhooks` npm package): `webhook-signature: v1,<base64>` over
 *   `${id}.${timestamp}.${body}`, keyed with the base64-decoded part of the secret after `whsec_`.
 * - Stripe (`stripe.webhooks.constructEvent`): `Stripe-Signature: t=<timestamp>,v1=<hex>` over
 *   `${timestamp}.${body}`, keyed with the whole secret string, prefix included, as UTF-8.
 *
 * During a secret roll several secrets are live; each one adds a signature, so a receiver holding
 * any of them verifies.
 */
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;
const encoder = new TextEncoder();

/** `whsec_` + standard base64 (with padding) of 32 random bytes: 44 characters after the prefix. */
export function newSigningSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

export interface WebhookToSign {
  /** The delivery's message id (`webhook-id`); stays the same across retries of one event. */
  id: string;
  timestampSeconds: number;
  /** The exact request body; receivers verify these bytes. */
  body: string;
  secrets: string[];
}

/** The signature headers for one delivery attempt. */
export async function signWebhook(input: WebhookToSign): Promise<Record<string, string>> {
  const { id, timestampSeconds, body, secrets } = input;
  if (secrets.length === 0) throw new Error('signWebhook needs at least one secret');
  const timestamp = String(timestampSeconds);
  const standardContent = encoder.encode(`${id}.${timestamp}.${body}`);
  const stripeContent = encoder.encode(`${timestamp}.${body}`);

  const standard: string[] = [];
  const stripe: string[] = [];
  for (const secret of secrets) {
    standard.push(`v1,${toBase64(await hmacSha256(standardKey(secret), standardContent))}`);
    stripe.push(`v1=${toHex(await hmacSha256(encoder.encode(secret), stripeContent))}`);
  }
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': standard.join(' '),
    'Stripe-Signature': [`t=${timestamp}`, ...stripe].join(','),
  };
}

function standardKey(secret: string): Uint8Array {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('A webhook signing secret starts with whsec_');
  return fromBase64(secret.slice(SECRET_PREFIX.length));
}

async function hmacSha256(key: Uint8Array, content: Uint8Array): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, content));
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}
