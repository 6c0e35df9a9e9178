/**
 * Routers and route registration for every API family. Routes are declared with @hono/zod-openapi
 * so zod schemas give validation, types and the OpenAPI document at once. Bodies are the one
 * exception to its built-in validators: clients send JSON or form encoding, so the body is decoded
 * here (src/http/body.ts) and then validated by the same schema, which is documented for both.
 * Every route refuses card numbers in any of its inputs before anything else runs (card-numbers.ts).
 */
import { OpenAPIHono, type RouteConfig, type RouteHandler } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { z } from '@hono/zod-openapi';
import { readBody, refuseUndecodableQuery } from './body.js';
import { cardNumberRefused, findCardNumber, STORED_HEADERS } from './card-numbers.js';
import type { AppEnv } from './context.js';
import { fromZodError } from './errors.js';
import { claimsIdempotencyKey } from './idempotency.js';

/** A router whose validation failures become ValidationErrors, for the family's error handler to render. */
export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) throw fromZodError(result.error, validatedInput(c, result.target));
    },
  });
}

/** What a built-in validator saw, so an error can tell a missing parameter from an invalid one. */
function validatedInput(c: Context, target: string): unknown {
  if (target === 'param') return c.req.param();
  if (target === 'query') {
    return Object.fromEntries(Object.entries(c.req.queries()).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));
  }
  return undefined;
}

/**
 * Registers a route. Its JSON body schema (and its example) is documented for both media types and
 * validated by `validateBody`, which puts the result where `c.req.valid('json')` reads it: after
 * authentication, and before an Idempotency-Key is claimed, whose fingerprint is of the validated
 * parameters. Middleware is code, not documentation: it is kept out of the registered path. Card
 * numbers are refused first, before the route's own middleware (authentication, idempotency) and its
 * validators.
 */
export function route<R extends RouteConfig>(app: OpenAPIHono<AppEnv>, config: R, handler: RouteHandler<R, AppEnv>): void {
  const media = config.request?.body?.content?.['application/json'];
  const bodySchema = media && 'schema' in media ? (media.schema as z.ZodType) : undefined;
  const own = config.middleware ? [config.middleware].flat() : [];
  const claim = own.findIndex(claimsIdempotencyKey);
  if (!bodySchema && claim === -1) {
    app.openapi({ ...config, middleware: [refuseCardNumbers(), ...own] }, handler);
    return;
  }
  // Documented as clients send it (either media type; the Idempotency-Key header and its 409), served
  // by a hidden twin whose middleware is code: no header validator, the body validated below.
  const { middleware: _middleware, ...documented } = config;
  app.openAPIRegistry.registerPath({
    ...documented,
    request: {
      ...config.request,
      ...(bodySchema && {
        body: {
          ...config.request!.body!,
          content: { 'application/x-www-form-urlencoded': media!, 'application/json': media! },
        },
      }),
      ...(claim !== -1 && { headers: IDEMPOTENCY_KEY_HEADER }),
    },
    responses: claim === -1 ? config.responses : { ...config.responses, ...keyConflictResponse(config.responses) },
  });
  const { body: _body, ...request } = config.request ?? {};
  const validated = !bodySchema
    ? own
    : claim === -1
      ? [...own, validateBody(bodySchema)]
      : [...own.slice(0, claim), validateBody(bodySchema), ...own.slice(claim)];
  app.openapi({ ...config, request, hide: true, middleware: [refuseCardNumbers(bodySchema), ...validated] } as unknown as R, handler);
}

/** The Idempotency-Key header of a route that honours one (src/http/idempotency.ts), as documented. */
const IDEMPOTENCY_KEY_HEADER = z.object({
  'Idempotency-Key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({
      description:
        'Runs the request once: a retry with the same key and parameters within 24 hours gets the first answer again (errors included, ' +
        'with `Idempotent-Replayed: true`); the key with other parameters, or on another route or object, is a 400 ' +
        '`idempotency_key_reused`; while its first request runs, a 409 `idempotency_key_in_use`.',
      example: 'stripe-node-retry-6f1c0a52-0b8e-4c7e-9f3e-2d0f5a4b7c11',
    }),
});

/** The 409 of a key whose first request is still running, in the family's error envelope (the one its 400 uses). */
function keyConflictResponse(responses: RouteConfig['responses']): RouteConfig['responses'] {
  const refusal = responses[400] ?? responses['400'];
  if (!refusal || !('content' in refusal) || responses[409] !== undefined) return {};
  return {
    409: {
      ...refusal,
      description:
        'A request with this Idempotency-Key is still running (idempotency_key_in_use), or a concurrent change won (concurrent_update): retry.',
    },
  };
}

/**
 * Refuses a card number in the path, the query (names and values), the headers the API keeps and
 * the body (keys and values). In the body, what the schema makes a number (an amount in a token's
 * base units, written as a digit string) is not text, so a valid body is looked at as the schema
 * reads it; an invalid one is looked at as sent, since its refusal may quote it. A body that cannot
 * be decoded is validateBody's to refuse, after authentication.
 */
function refuseCardNumbers(bodySchema?: z.ZodType): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // First of all, as for a form body (src/http/body.ts): a query value that does not decode is refused, not read as its raw text.
    refuseUndecodableQuery(new URL(c.req.url).search);
    const headers = Object.fromEntries(STORED_HEADERS.map((name) => [name, c.req.header(name)]));
    let found = findCardNumber(c.req.param()) ?? findCardNumber(validatedInput(c, 'query')) ?? findCardNumber(headers);
    if (!found && bodySchema) {
      const body = await parsedBody(c.req.raw, bodySchema).catch(() => undefined);
      if (body) found = findCardNumber(body.result.success ? body.result.data : body.raw);
    }
    if (found) throw cardNumberRefused(found);
    await next();
  };
}

interface ParsedBody {
  raw: unknown;
  result: ReturnType<z.ZodType['safeParse']>;
}

const parsedBodies = new WeakMap<Request, Promise<ParsedBody>>();

/** The request's body, decoded and checked against the route's schema once, for the card check and validateBody. */
function parsedBody(request: Request, schema: z.ZodType): Promise<ParsedBody> {
  let parsed = parsedBodies.get(request);
  if (!parsed) {
    parsed = readBody(request).then((raw) => ({ raw, result: schema.safeParse(raw) }));
    parsedBodies.set(request, parsed);
  }
  return parsed;
}

function validateBody(schema: z.ZodType): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { raw, result } = await parsedBody(c.req.raw, schema);
    if (!result.success) throw fromZodError(result.error, raw);
    c.req.addValidatedData('json', result.data as object);
    await next();
  };
}
