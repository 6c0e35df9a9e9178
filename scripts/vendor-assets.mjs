#!/usr/bin/env node
/**
 * Copies the browser files the worker serves out of node_modules into public/vendor/ (gitignored):
 * today Scalar's API reference bundle, which GET /docs loads from this worker's own origin. public/ is
 * the [assets] directory of wrangler.toml, so `wrangler dev`, `wrangler deploy` and the tests serve it.
 *
 * Run by npm after `npm ci` / `npm install` (postinstall) and again before dev, test, build and bench
 * (their pre-scripts), so each has the files from a fresh clone and after a dependency update. Only
 * the project's own scripts run it: nothing needs a dependency's install script, or the network.
 */
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'package.json'));

/** Source (a package's exported file) → path under public/, as the browser asks for it. */
const FILES = [{ from: '@scalar/api-reference/browser/standalone.js', to: 'vendor/scalar/api-reference.js' }];

for (const { from, to } of FILES) {
  let source;
  try {
    source = require.resolve(from);
  } catch {
    process.stderr.write(`vendor-assets: ${from} is not installed; run \`npm ci\` first.\n`);
    process.exit(1);
  }
  const target = join(ROOT, 'public', to);
  if (sameContent(source, target)) continue;
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
  process.stdout.write(`vendor-assets: ${relative(ROOT, target)} (${(statSync(target).size / 1024).toFixed(0)} KiB) from ${from}\n`);
}

function sameContent(a, b) {
  try {
    return statSync(a).size === statSync(b).size && readFileSync(a).equals(readFileSync(b));
  } catch {
    return false;
  }
}
