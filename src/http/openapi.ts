/**
 * Route registration. Routes are declared with @hono/zod-openapi so the zod schemas give
 * validation, types and the OpenAPI document at once. Bodies are the one exception to its built-in
 * validators: clients send JSON or (as the official SDKs do) form encoding with bracket notation
 * (`metadata[order_id]=A-1`), so the body is decoded here and then validated by the same schema.
 */
import { OpenAPIHono, type RouteConfig, type RouteHandler } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import qs from 'qs';
import type { z } from 'zod';
import type { Env } from '../env.js';
import type { Authenticated } from './auth.js';
import { ApiError, fromZodError } from './errors.js';

export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; auth: Authenticated; idempotencyKey?: string };
}

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

/** Bodies larger than this are refused before parsing (largest valid body is ~30 KB of metadata). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Registers a route. Its JSON body schema is documented for both media types and validated by
 * `validateBody`, which puts the result where `c.req.valid('json')` reads it.
 */
export function route<R extends RouteConfig>(app: OpenAPIHono<AppEnv>, config: R, handler: RouteHandler<R, AppEnv>): void {
  const media = config.request?.body?.content?.['application/json'];
  const bodySchema = media && 'schema' in media ? (media.schema as z.ZodType) : undefined;
  if (!bodySchema) {
    app.openapi(config, handler);
    return;
  }
  // Like OpenAPIHono.openapi: the route's middleware is code, not documentation.
  const { middleware: _middleware, ...described } = config;
  const documented = {
    ...described,
    request: {
      ...config.request,
      body: {
        ...config.request!.body!,
        content: {
          'application/x-www-form-urlencoded': { schema: bodySchema },
          'application/json': { schema: bodySchema },
        },
      },
    },
  };
  app.openAPIRegistry.registerPath(documented);
  const { body: _body, ...request } = config.request!;
  const own = config.middleware ? [config.middleware].flat() : [];
  app.openapi({ ...config, request, hide: true, middleware: [...own, validateBody(bodySchema)] } as unknown as R, handler);
}

function validateBody(schema: z.ZodType): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const raw = await readBody(c.req.raw);
    const result = schema.safeParse(raw);
    if (!result.success) throw fromZodError(result.error, raw);
    c.req.addValidatedData('json', result.data as object);
    await next();
  };
}

/** Decodes a JSON or form body into a plain object; an empty body is `{}`. */
export async function readBody(request: Request): Promise<unknown> {
  const length = Number(request.headers.get('content-length') ?? '0');
  if (length > MAX_BODY_BYTES) {
    throw new ApiError('body_invalid', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  }
  const bytes = await request.arrayBuffer();
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new ApiError('body_invalid', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError('body_invalid', 'The request body is not valid UTF-8.');
  }
  if (text.trim() === '') return {};
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError('body_invalid', 'The request body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ApiError('body_invalid', 'The request body must be a JSON object.');
    }
    return parsed;
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    try {
      return qs.parse(text, {
        depth: 2,
        arrayLimit: 100,
        parameterLimit: 1000,
        allowPrototypes: false,
        plainObjects: true,
        strictDepth: true,
        throwOnLimitExceeded: true,
      });
    } catch (error) {
      throw new ApiError('body_invalid', `The form body could not be decoded: ${(error as Error).message}`);
    }
  }
  throw new ApiError(
    'content_type_invalid',
    `Unsupported Content-Type ${JSON.stringify(mediaType || '(none)')}: send application/x-www-form-urlencoded or application/json.`,
  );
}
