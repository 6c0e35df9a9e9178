/**
 * What the demo scripts (pay-intent.mjs, refund-intent.mjs) talk to: the server, its chain and a
 * test secret key. First found wins: the command line (--api-base / --rpc-url), the environment
 * (API_BASE / RPC_URL; SK or STRIPE_SECRET_KEY), the URLs and key `npm run dev` saved in
 * .dev-merchant.json, then http://127.0.0.1:8787 and http://127.0.0.1:8545.
 */
import { existsSync, readFileSync } from 'node:fs';

/** anvil's first default account (public test mnemonic): 10,000 eth and the demo usdc. The payer of the demos. */
export const PAYER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
export const DEFAULT_API_BASE = 'http://127.0.0.1:8787';
export const DEFAULT_RPC_URL = 'http://127.0.0.1:8545';
const MERCHANT_FILE = new URL('../.dev-merchant.json', import.meta.url);

/** Prints the message to stderr and ends the process with the code. */
export function exit(message, code = 1) {
  console.error(message);
  process.exit(code);
}

/** The server, chain and key to use; exits with a clear message when a URL is not one or no key is found. */
export function devTarget({ apiBaseArg, rpcUrlArg }) {
  const saved = existsSync(MERCHANT_FILE) ? readSaved() : undefined;
  const apiBase = url('API base', apiBaseArg ?? process.env.API_BASE ?? saved?.dev?.api_base ?? DEFAULT_API_BASE);
  const rpcUrl = url('RPC URL', rpcUrlArg ?? process.env.RPC_URL ?? saved?.dev?.rpc_url ?? DEFAULT_RPC_URL);
  const secretKey = process.env.SK ?? process.env.STRIPE_SECRET_KEY ?? saved?.keys?.test?.secret;
  if (!secretKey)
    exit('no key: set SK (a test secret key), or run `npm run dev` once, which saves its demo merchant in .dev-merchant.json');
  return { apiBase, rpcUrl, secretKey };
}

function readSaved() {
  try {
    return JSON.parse(readFileSync(MERCHANT_FILE, 'utf8'));
  } catch (error) {
    exit(`.dev-merchant.json is not readable JSON (${error.message}): run \`npm run dev\` again, which rewrites it`);
  }
}

function url(what, value) {
  try {
    const parsed = new URL(value);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return value.replace(/\/+$/, '');
  } catch {
    // refused below
  }
  return exit(`${what}: not an http(s) URL: ${JSON.stringify(value)}`, 2);
}
