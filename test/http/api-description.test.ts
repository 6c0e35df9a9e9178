/** The OpenAPI document is generated from the same zod schemas as validation; the reference page at /docs renders it. */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { DOCS_CSP, SCALAR_SCRIPT } from '../../src/http/docs.js';
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

  it('serves the reference page at /docs: Scalar from this origin only, under a CSP that allows scripts from self alone', async () => {
    const res = await call('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('text/html');
    const csp = res.headers.get('Content-Security-Policy')!;
    expect(csp).toBe(DOCS_CSP);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/https?:|\*/);

    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const references = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((match) => match[1]!);
    expect(references.sort()).toEqual(['/openapi.json', SCALAR_SCRIPT, 'data:,'].sort());
    for (const reference of references) expect(reference).toMatch(/^(\/(?!\/)|data:)/);

    const configuration = JSON.parse(decodeEntities(/data-configuration="([^"]*)"/.exec(html)![1]!));
    expect(configuration).toMatchObject({
      url: '/openapi.json',
      withDefaultFonts: false,
      hideClientButton: true,
      agent: { disabled: true },
    });
  });

  it("serves Scalar's script as a static asset of the worker", async () => {
    // exports.default.fetch reaches the worker only; the asset server answers through the binding.
    const res = await env.ASSETS.fetch(`http://pay.test${SCALAR_SCRIPT}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^(text|application)\/javascript/);
    const script = await res.text();
    expect(script.length).toBeGreaterThan(1_000_000);
    expect(script.slice(0, 1000)).toContain('@scalar/api-reference');
  });

  it('sends a newcomer at / to the reference', async () => {
    const res = await call('/', { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe('/docs');
  });
});

function decodeEntities(text: string): string {
  return text.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}
