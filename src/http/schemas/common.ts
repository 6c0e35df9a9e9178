/** OpenAPI pieces every family's routes use: request bodies, JSON responses, error responses. */
import { z } from '@hono/zod-openapi';

/** A JSON (or, per route(), also form-encoded) request body, with an example of what a client sends. */
export function jsonBody<T extends z.ZodType>(schema: T, required = true, example?: z.input<T>) {
  return { required, content: { 'application/json': { schema, ...withExample(example) } } };
}

/** A JSON response, with an example of what the route answers. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string, example?: z.input<T>) {
  return { description, content: { 'application/json': { schema, ...withExample(example) } } };
}

/** An HTML page, with an example of it. */
export function htmlResponse(example: string) {
  return { description: 'An HTML page.', content: { 'text/html': { schema: z.string(), example } } };
}

function withExample(example: unknown): { example?: unknown } {
  return example === undefined ? {} : { example };
}

/** The error responses of a family's routes, each in its envelope, described for the route at hand. */
export function errorResponses<T extends z.ZodType, S extends number>(envelope: T, described: Record<S, string>) {
  return Object.fromEntries(
    Object.entries(described).map(([status, description]) => [status, jsonResponse(envelope, description as string)]),
  ) as {
    [K in S]: ReturnType<typeof jsonResponse<T>>;
  };
}
