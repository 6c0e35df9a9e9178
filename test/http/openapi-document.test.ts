/** The served OpenAPI document is valid, says where the API is and how clients authenticate. */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { documentProblems, operationsLacking, servedDocument } from './openapi-document.js';

describe('OpenAPI document', () => {
  it('has no problems: valid against the official OpenAPI 3.1 schema, with servers and security schemes', async () => {
    const doc = await servedDocument();
    expect(doc.openapi).toBe('3.1.0');
    expect(await documentProblems(doc)).toEqual([]);
  });

  it('describes the API key as a Bearer token or the HTTP Basic user name, and the admin token as its own Bearer scheme', async () => {
    const doc = await servedDocument();
    expect(doc.components.securitySchemes).toEqual({
      apiKey: { type: 'http', scheme: 'bearer', description: expect.stringContaining('Authorization: Bearer sk_test_') },
      apiKeyBasic: { type: 'http', scheme: 'basic', description: expect.stringContaining('user name') },
      adminToken: { type: 'http', scheme: 'bearer', description: expect.stringContaining('ADMIN_TOKEN') },
    });
  });

  it('takes its server from PUBLIC_BASE_URL, never from the request', async () => {
    const spoofed = { headers: { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'http' } };
    const asConfigured = (await (await createApp().request('http://evil.example/openapi.json', spoofed, env)).json()) as any;
    expect(asConfigured.servers).toEqual([{ url: 'http://pay.test' }]);

    const configured = { ...env, PUBLIC_BASE_URL: 'https://pay.example.com/' };
    const absolute = (await (await createApp().request('/openapi.json', spoofed, configured)).json()) as any;
    expect(absolute.servers).toEqual([{ url: 'https://pay.example.com' }]);
    expect(await documentProblems(absolute)).toEqual([]);
  });

  it('names the problems of a broken document (the checks can fail)', async () => {
    const doc = await servedDocument();
    const post = doc.paths['/v1/payment_intents'].post;
    post.middleware = [null, null];
    post.security = [{ apiKey: [] }, { sessionCookie: [] }];
    delete doc.servers;
    expect(await documentProblems(doc)).toEqual([
      'POST /v1/payment_intents: unexpected property "middleware"',
      'servers: none (where is the API?)',
      'POST /v1/payment_intents: security names an undeclared scheme "sessionCookie"',
    ]);
  });

  // A new route without an example of its body and success response, or without its own `security`
  // (public routes say `security: []`), fails here.
  it('gives every operation an example (request body and success response) and a security entry', async () => {
    expect(operationsLacking(await servedDocument())).toEqual({ example: [], security: [] });
  });

  it('names the operations lacking an example or a security entry (the check can fail)', async () => {
    const doc = await servedDocument();
    for (const media of Object.values<any>(doc.paths['/v1/payment_intents'].post.requestBody.content)) delete media.example;
    delete doc.paths['/v1/events/{id}'].get.responses['200'].content['application/json'].example;
    delete doc.paths['/health'].get.security;
    expect(operationsLacking(doc)).toEqual({
      example: ['POST /v1/payment_intents (request body)', 'GET /v1/events/{id} (200 response)'],
      security: ['GET /health'],
    });
  });
});
