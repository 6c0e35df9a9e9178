/// <reference types="node" />
/**
 * A webhook receiver for tests: a real HTTP server on 127.0.0.1, started once per run as a vitest
 * `globalSetup` (it runs in Node, outside workerd), its port handed to tests through
 * `inject('webhookReceiverPort')`.
 *
 * Tests pick a mailbox name and configure it first; deliveries to `POST /hooks/<name>` are then
 * checked the way receivers check them, with the official `standardwebhooks` package and with
 * `stripe.webhooks.constructEvent`, recorded, and answered from the mailbox's script.
 *
 *   PUT /mailboxes/<name>   {secrets, script?, default?}  creates or resets a mailbox
 *   GET /mailboxes/<name>   {requests: RecordedRequest[]}
 *   POST /hooks/<name>      a delivery
 *
 * A scripted response may instead `proxy` the request to another URL and answer with its answer:
 * tests play a flaky JSON-RPC node that way (503s, timeouts, then the real anvil behind it).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { z } from 'zod';

// The two verifiers are loaded by Node itself, not imported through Vite: vitest-pool-workers inlines
// every dependency into Vite's module runner (for workerd), and for this Node-side server that meant
// transforming some 220 stripe modules at each start, printing "Sourcemap for … points to missing
// source files" for each (stripe publishes its source maps without their sources).
const require = createRequire(import.meta.url);
const { Webhook } = require('standardwebhooks') as typeof import('standardwebhooks');
type Webhook = InstanceType<typeof Webhook>;
const Stripe = require('stripe') as typeof import('stripe').default;

const scriptedResponse = z.strictObject({
  status: z.number().int().min(200).max(599),
  delayMs: z.number().int().nonnegative().optional(),
  retryAfter: z.string().optional(),
  body: z.string().optional(),
  /** Forward the request body to this URL (after delayMs) and answer with its status and body. */
  proxy: z.url().optional(),
});

const mailboxConfig = z.strictObject({
  secrets: z.array(z.string()),
  /** Answers for the next deliveries, in order; then `default` (200 when absent) for the rest. */
  script: z.array(scriptedResponse).optional(),
  default: scriptedResponse.optional(),
});

export type ScriptedResponse = z.infer<typeof scriptedResponse>;
export type MailboxConfig = z.infer<typeof mailboxConfig>;

export interface RecordedRequest {
  /** Path and query the delivery was sent to. */
  url: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
  verifiedStandard: boolean;
  verifiedStripe: boolean;
  /** Milliseconds since the epoch, when the request had been read. */
  receivedAt: number;
  /** What the mailbox answered. */
  response: ScriptedResponse;
}

interface Mailbox {
  secrets: string[];
  standard: Webhook[];
  script: ScriptedResponse[];
  fallback: ScriptedResponse;
  requests: RecordedRequest[];
}

export async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const mailboxes = new Map<string, Mailbox>();
  const pendingReplies = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => reply(res, 500, { error: String(error) }));
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://receiver');
    const [, resource, name, ...rest] = url.pathname.split('/');
    if (!name || rest.length > 0) return reply(res, 404, { error: 'not found' });
    const body = await readText(req);

    if (resource === 'mailboxes' && req.method === 'PUT') return configure(res, name, body);
    if (resource === 'mailboxes' && req.method === 'GET') {
      const mailbox = mailboxes.get(name);
      return mailbox ? reply(res, 200, { requests: mailbox.requests }) : reply(res, 404, { error: `no mailbox ${name}` });
    }
    if (resource === 'hooks' && req.method === 'POST') {
      const mailbox = mailboxes.get(name);
      if (!mailbox) return reply(res, 404, { error: `no mailbox ${name}` });
      return deliver(res, mailbox, { url: url.pathname + url.search, headers: flatHeaders(req), body });
    }
    return reply(res, 404, { error: 'not found' });
  }

  function configure(res: ServerResponse, name: string, body: string): void {
    const parsed = mailboxConfig.safeParse(parseJson(body));
    if (!parsed.success) {
      reply(res, 400, { error: z.prettifyError(parsed.error) });
      return;
    }
    const { secrets, script = [], default: fallback = { status: 200 } } = parsed.data;
    let standard: Webhook[];
    try {
      standard = secrets.map((secret) => new Webhook(secret));
    } catch (error) {
      reply(res, 400, { error: `bad secret: ${String(error)}` });
      return;
    }
    mailboxes.set(name, { secrets, standard, script: [...script], fallback, requests: [] });
    reply(res, 204);
  }

  function deliver(res: ServerResponse, mailbox: Mailbox, request: Pick<RecordedRequest, 'url' | 'headers' | 'body'>): void {
    const response = mailbox.script.shift() ?? mailbox.fallback;
    mailbox.requests.push({
      ...request,
      verifiedStandard: mailbox.standard.some((webhook) => succeeds(() => webhook.verify(request.body, request.headers))),
      verifiedStripe: mailbox.secrets.some((secret) =>
        succeeds(() => Stripe.webhooks.constructEvent(request.body, request.headers['stripe-signature'] ?? '', secret)),
      ),
      receivedAt: Date.now(),
      response,
    });
    const send = async () => {
      pendingReplies.delete(timer);
      // The sender may have given up (its timeout) while we slept.
      if (res.destroyed) return;
      if (response.proxy) {
        try {
          const upstream = await fetch(response.proxy, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: request.body,
          });
          res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
          res.end(await upstream.text());
        } catch (error) {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(String(error));
        }
        return;
      }
      res.writeHead(response.status, {
        'content-type': 'text/plain',
        ...(response.retryAfter === undefined ? {} : { 'retry-after': response.retryAfter }),
      });
      res.end(response.body ?? '');
    };
    const timer = setTimeout(() => void send(), response.delayMs ?? 0);
    pendingReplies.add(timer);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  provide('webhookReceiverPort', (server.address() as AddressInfo).port);

  return async () => {
    for (const timer of pendingReplies) clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

/** The raw body, before anything parses it: signatures cover these exact bytes. */
async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function succeeds(verify: () => unknown): boolean {
  try {
    verify();
    return true;
  } catch {
    return false;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function reply(res: ServerResponse, status: number, json?: unknown): void {
  if (json === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
}
