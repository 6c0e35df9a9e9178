/** The OpenAPI document and the reference page are generated from the same zod schemas as validation. */
import { describe, expect, it } from 'vitest';
import { call } from '../helpers.js';

describe('API description', () => {
  it('serves an OpenAPI 3.1 document with every payment-intent operation and both body encodings', async () => {
    const res = await call('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([path, ops]: [string, any]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'POST /v1/payment_intents',
        'GET /v1/payment_intents',
        'GET /v1/payment_intents/{id}',
        'POST /v1/payment_intents/{id}',
        'POST /v1/payment_intents/{id}/confirm',
        'POST /v1/payment_intents/{id}/capture',
        'POST /v1/payment_intents/{id}/cancel',
        'POST /v1/admin/merchants',
        'POST /v1/admin/merchants/{id}/roll_keys',
      ]),
    );
    const create = doc.paths['/v1/payment_intents'].post;
    expect(Object.keys(create.requestBody.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    const params = doc.components.schemas.CreatePaymentIntentParams;
    expect(params.required).toEqual(expect.arrayContaining(['amount', 'currency']));
    expect(params.properties.capture_method.enum).toEqual(['automatic', 'automatic_async', 'manual']);
    expect(doc.components.schemas.PaymentIntent.properties.status.enum).toHaveLength(7);
  });

  it('serves a readable reference page at /docs', async () => {
    const res = await call('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('/v1/payment_intents/{id}/confirm');
    expect(html).toContain('amount_to_capture');
    expect(html).toContain('cancellation_reason');
  });
});
