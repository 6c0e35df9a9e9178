/** The OpenAPI document says which operations honour an Idempotency-Key, and what a client gets for one still running. */
import { describe, expect, it } from 'vitest';
import { servedDocument } from './openapi-document.js';

/** Every POST that changes something (src/api/stripe/auth.ts: secretKeyIdempotent*). */
const KEYED = [
  'POST /v1/checkout/sessions',
  'POST /v1/checkout/sessions/{id}/expire',
  'POST /v1/checkout_settings',
  'POST /v1/debit_items',
  'POST /v1/debit_items/{id}',
  'POST /v1/debit_items/{id}/deactivate',
  'POST /v1/debit_items/{id}/reactivate',
  'POST /v1/disputes/{id}',
  'POST /v1/disputes/{id}/close',
  'POST /v1/mandates/{id}/cancel',
  'POST /v1/mandates/{id}/debit_requests',
  'POST /v1/notification_secret/roll',
  'POST /v1/payment_intents',
  'POST /v1/payment_intents/{id}',
  'POST /v1/payment_intents/{id}/cancel',
  'POST /v1/payment_intents/{id}/capture',
  'POST /v1/payment_intents/{id}/confirm',
  'POST /v1/refunds',
  'POST /v1/refunds/{id}',
  'POST /v1/refunds/{id}/cancel',
  'POST /v1/test_helpers/payment_intents/{id}/fund',
  'POST /v1/webhook_deliveries/{id}/retry',
  'POST /v1/webhook_endpoints',
  'POST /v1/webhook_endpoints/{id}',
  'POST /v1/webhook_endpoints/{id}/roll_secret',
];

describe('Idempotency-Key in the OpenAPI document', () => {
  it('is a documented header of exactly the operations that honour it, each with a 409', async () => {
    const doc = await servedDocument();
    const documented: string[] = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) {
        const header = (op.parameters ?? []).find((p: any) => p.in === 'header' && p.name === 'Idempotency-Key');
        if (!header) continue;
        documented.push(`${method.toUpperCase()} ${path}`);
        expect(header, `${method} ${path}`).toMatchObject({ required: false, schema: { type: 'string', minLength: 1, maxLength: 255 } });
        expect(header.description).toContain('idempotency_key_in_use');
        expect(op.responses['409'], `${method} ${path} documents its 409`).toMatchObject({ content: { 'application/json': {} } });
      }
    }
    expect(documented.sort()).toEqual(KEYED);
  });
});
