/// <reference types="node" />
/**
 * An OpenAPI validator for tests: @seriousme/openapi-schema-validator (the official OpenAPI 2.0–3.2
 * JSON schemas, with ajv) behind a real HTTP server on 127.0.0.1, started once per run as a vitest
 * `globalSetup`, its port handed to tests through `inject('openapiValidatorPort')`. It runs here, in
 * Node, because it reads those schemas from its package folder, which code in workerd cannot see;
 * the document itself is the one the worker serves, fetched by the test in workerd and posted here.
 *
 *   POST /   an OpenAPI document (JSON)  →  {valid: boolean, errors?: ajv errors or a message}
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

export async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const server = createServer(async (req, res) => {
    let answer: unknown;
    let status = 200;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      // A new Validator per document: it keeps the last document it saw.
      answer = await new Validator().validate(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
    } catch (error) {
      status = 400;
      answer = { valid: false, errors: `not a JSON document: ${(error as Error).message}` };
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  provide('openapiValidatorPort', (server.address() as AddressInfo).port);

  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
