/**
 * Checks of the OpenAPI document the worker serves, for tests: its problems (the official schema,
 * through the validator in Node, plus what that schema cannot see), and the operations that still
 * lack an example or a `security` entry.
 */
import { inject } from 'vitest';
import { call } from '../helpers.js';

type Json = Record<string, any>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The document as a client gets it: GET /openapi.json. */
export async function servedDocument(): Promise<Json> {
  const res = await call('/openapi.json');
  if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/**
 * Every problem found, one line each, naming the operation or field (an empty list: none). The
 * official OpenAPI schema (test/openapi-validator.ts), then: `servers` given, security schemes
 * declared, and every security requirement naming a declared scheme.
 */
export async function documentProblems(doc: Json): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${inject('openapiValidatorPort')}/`, { method: 'POST', body: JSON.stringify(doc) });
  const verdict = (await res.json()) as { valid: boolean; errors?: string | AjvError[] };
  const problems: string[] = [];
  if (!verdict.valid) {
    const errors = verdict.errors ?? 'invalid, no reason given';
    problems.push(...(typeof errors === 'string' ? [errors] : errors.map(describeAjvError)));
  }
  if (!Array.isArray(doc.servers) || doc.servers.length === 0) problems.push('servers: none (where is the API?)');
  const schemes: Json = doc.components?.securitySchemes ?? {};
  if (Object.keys(schemes).length === 0) problems.push('components.securitySchemes: none (how does a client authenticate?)');
  const requirements: [string, Json[]][] = [['document', doc.security ?? []]];
  for (const { name, operation } of operations(doc)) requirements.push([name, operation.security ?? []]);
  for (const [where, list] of requirements) {
    for (const name of list.flatMap((requirement) => Object.keys(requirement))) {
      if (!(name in schemes)) problems.push(`${where}: security names an undeclared scheme "${name}"`);
    }
  }
  return problems;
}

/**
 * The operations without an example, and those without their own `security` entry (public routes
 * say `security: []`). An operation has an example when its request body (if it takes one) and its
 * success response (if it has a body) each carry `example` or `examples`, on the media type or on its
 * schema. Lists of `METHOD /path` (with what lacks one, for examples); empty lists when all have them,
 * which openapi-document.test.ts requires.
 */
export function operationsLacking(doc: Json): { example: string[]; security: string[] } {
  const example: string[] = [];
  const security: string[] = [];
  for (const { name, operation } of operations(doc)) {
    const missing: string[] = [];
    if (operation.requestBody && !hasExample(doc, operation.requestBody.content)) missing.push('request body');
    for (const [status, response] of Object.entries<Json>(operation.responses ?? {})) {
      if (/^2\d\d$/.test(status) && response.content && !hasExample(doc, response.content)) missing.push(`${status} response`);
    }
    if (missing.length > 0) example.push(`${name} (${missing.join(', ')})`);
    if (!('security' in operation)) security.push(name);
  }
  return { example, security };
}

function operations(doc: Json): { name: string; operation: Json }[] {
  return Object.entries<Json>(doc.paths ?? {}).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => method in item).map((method) => ({ name: `${method.toUpperCase()} ${path}`, operation: item[method] })),
  );
}

function hasExample(doc: Json, content: Json | undefined): boolean {
  return Object.values<Json>(content ?? {}).some((media) => {
    const schema = resolve(doc, media.schema);
    return 'example' in media || 'examples' in media || (schema !== undefined && ('example' in schema || 'examples' in schema));
  });
}

function resolve(doc: Json, schema: Json | undefined): Json | undefined {
  const ref: unknown = schema?.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/components/schemas/')) return schema;
  return doc.components?.schemas?.[ref.slice('#/components/schemas/'.length)];
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/paths/~1v1~1payment_intents/post` → `POST /v1/payment_intents`, with what ajv found wrong there. */
function describeAjvError(error: AjvError): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  const where =
    segments[0] === 'paths' && segments.length >= 3
      ? [`${segments[2]!.toUpperCase()} ${segments[1]}`, ...segments.slice(3)].join(' › ')
      : segments.join(' › ') || 'document';
  if (error.keyword === 'unevaluatedProperties' || error.keyword === 'additionalProperties') {
    const property = error.params.unevaluatedProperty ?? error.params.additionalProperty;
    return `${where}: unexpected property "${String(property)}"`;
  }
  return `${where}: ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`;
}
