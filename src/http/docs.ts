/**
 * A readable API reference rendered on the server from the OpenAPI document, so /docs needs no
 * script or CDN and always matches the routes that are actually registered.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  example?: unknown;
};
type Operation = {
  summary?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
};
export type ApiDocument = {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};

export function renderDocs(doc: ApiDocument): HtmlEscapedString | Promise<HtmlEscapedString> {
  const schemas = doc.components?.schemas ?? {};
  const resolve = (s: Schema | undefined): Schema | undefined => (s?.$ref ? schemas[s.$ref.replace('#/components/schemas/', '')] : s);
  const typeOf = (s: Schema | undefined): string => {
    if (!s) return '';
    if (s.$ref) return s.$ref.replace('#/components/schemas/', '');
    if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
    if (s.anyOf ?? s.oneOf) return (s.anyOf ?? s.oneOf)!.map(typeOf).join(' | ');
    if (s.type === 'array') return `${typeOf(s.items)}[]`;
    return Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'object');
  };
  const fields = (schema: Schema | undefined) => {
    const s = resolve(schema);
    if (!s?.properties) return html``;
    return html`<table>
      <tr><th>field</th><th>type</th><th></th></tr>
      ${Object.entries(s.properties).map(
        ([name, p]) =>
          html`<tr><td><code>${name}</code>${s.required?.includes(name) ? html` <em>required</em>` : ''}</td><td><code>${typeOf(p)}</code></td><td>${p.description ?? ''}</td></tr>`,
      )}
    </table>`;
  };

  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method, op })),
  );
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${doc.info.title} API reference</title>
        <style>
          body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
          section { border-top: 1px solid #ddd; padding: .5rem 0 1rem; }
          .verb { display: inline-block; min-width: 3.5rem; font-weight: 700; text-transform: uppercase; }
          table { border-collapse: collapse; margin: .5rem 0; } td, th { padding: .15rem .75rem .15rem 0; text-align: left; vertical-align: top; }
          code { font-size: 90%; } h3 { margin: .5rem 0; font-size: 1rem; } h4 { margin: .5rem 0 0; font-size: .9rem; }
        </style>
      </head>
      <body>
        <h1>${doc.info.title} <small>${doc.info.version}</small></h1>
        <p>${doc.info.description ?? ''}</p>
        <p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
        ${operations.map(
          ({ path, method, op }) => html`<section id="${method}-${path}">
            <h3><span class="verb">${method}</span> <code>${path}</code></h3>
            <p>${op.summary ?? ''}</p>
            ${
              op.parameters?.length
                ? html`<h4>Parameters</h4><table>${op.parameters.map(
                    (p) =>
                      html`<tr><td><code>${p.name}</code> (${p.in})${p.required ? html` <em>required</em>` : ''}</td><td><code>${typeOf(p.schema)}</code></td><td>${p.description ?? ''}</td></tr>`,
                  )}</table>`
                : ''
            }
            ${
              op.requestBody
                ? html`<h4>Body (${Object.keys(op.requestBody.content ?? {}).join(' or ')})</h4>${fields(Object.values(op.requestBody.content ?? {})[0]?.schema)}`
                : ''
            }
            <h4>Responses</h4>
            <ul>${Object.entries(op.responses ?? {}).map(
              ([status, r]) =>
                html`<li><code>${status}</code> ${r.description ?? ''} ${r.content ? html`<code>${typeOf(Object.values(r.content)[0]?.schema)}</code>` : ''}</li>`,
            )}</ul>
          </section>`,
        )}
      </body>
    </html>`;
}
