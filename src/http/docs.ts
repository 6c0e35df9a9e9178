/**
 * The API reference at /docs: Scalar's renderer reading /openapi.json, so it shows exactly the
 * routes that are registered, with their types, authentication and examples. Its script is this
 * worker's own static asset (public/vendor/, copied from node_modules by scripts/vendor-assets.mjs):
 * the page loads nothing from another origin and works offline.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { html } from 'hono/html';
import type { AppEnv } from './context.js';

export const SCALAR_SCRIPT = '/vendor/scalar/api-reference.js';

/**
 * Scripts from this origin only. Scalar also needs: the <style> elements it adds at run time (inline
 * styles), data: images (icons), and fetch to this origin (/openapi.json, "Test Request").
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Scalar's configuration (ApiReferenceConfiguration in @scalar/types): what is switched off would reach Scalar's servers. */
const SCALAR_CONFIGURATION = {
  url: '/openapi.json',
  // Its default fonts come from its CDN: system fonts instead.
  withDefaultFonts: false,
  // The button opens Scalar's hosted client; the developer tools offer sharing through Scalar's servers.
  hideClientButton: true,
  showDeveloperTools: 'never',
  telemetry: false,
  // Its "Ask AI" agent (on by default on localhost) talks to Scalar's servers.
  agent: { disabled: true },
  // The API key as a Bearer token, preselected in the authentication box.
  authentication: { preferredSecurityScheme: 'apiKey' },
  documentDownloadType: 'json',
  defaultOpenAllTags: true,
};

const PAGE = html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>edge-payment-intents API reference</title>
    <link rel="icon" href="data:," />
  </head>
  <body>
    <noscript>The API reference needs JavaScript. The API description itself: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</noscript>
    <div id="api-reference" data-configuration="${JSON.stringify(SCALAR_CONFIGURATION)}"></div>
    <script src="${SCALAR_SCRIPT}"></script>
  </body>
</html>`;

/** GET /docs, and GET / sends a newcomer there (the page links the OpenAPI document too). */
export function registerDocs(app: OpenAPIHono<AppEnv>): void {
  app.get('/', (c) => c.redirect('/docs'));
  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', DOCS_CSP);
    return c.html(PAGE);
  });
}
