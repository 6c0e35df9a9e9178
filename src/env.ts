import type { IntentSettings } from './domain/intent.js';
import type { PaymentIntentObject } from './intents/intent-object.js';
import type { WebhookMessage } from './webhooks/messages.js';

/** Bindings and variables, as declared in wrangler.toml (vars) and set as secrets (ADMIN_TOKEN). */
export interface Env {
  DB: D1Database;
  INTENTS: DurableObjectNamespace<PaymentIntentObject>;
  /** Bearer token for /v1/admin/*. A secret: `wrangler secret put ADMIN_TOKEN`, or .dev.vars locally. */
  ADMIN_TOKEN?: string;
  /** Public origin of this deployment, which links this service hands out are built on (3-D Secure pages). Required. */
  PUBLIC_BASE_URL?: string;
  /** Milliseconds an asynchronous (bank debit) test payment stays in processing. */
  ASYNC_SETTLE_DELAY_MS?: string;
  /** Events from the intents' outboxes, and webhook deliveries. */
  WEBHOOK_QUEUE: Queue<WebhookMessage>;
  /** Deliveries whose every attempt failed. */
  WEBHOOK_DLQ: Queue<WebhookMessage>;
  /** Comma-separated seconds between delivery attempts. */
  WEBHOOK_RETRY_DELAYS?: string;
  /** Milliseconds a receiver may take to answer. */
  WEBHOOK_TIMEOUT_MS?: string;
  /** EVM networks for crypto payments, as JSON keyed by network key: src/chain/config.ts. */
  CHAINS?: string;
  /** Seconds a crypto intent's address is still watched for late funds after it stops waiting (default 86400). */
  CRYPTO_MONITOR_WINDOW_SECONDS?: string;
  /** Milliseconds between those late-funds checks (default 60000). */
  CRYPTO_LATE_POLL_MS?: string;
  /**
   * Local development only (`npm run dev` sets it): every merchant created through the admin route
   * gets this watch-only xpub. Never set it in a deployment: all merchants would share one wallet.
   */
  DEFAULT_CRYPTO_XPUB?: string;
}

/** The deployment's variables, parsed: what the state machine needs, and what the edges need. */
export interface Settings extends IntentSettings {
  /** The public origin links are built on (3-D Secure pages): configuration, never a request header. */
  publicBaseUrl: string;
  webhookRetryDelaysSeconds: number[];
  webhookTimeoutMs: number;
}

/** Parsed once per isolate; a malformed variable fails loudly, naming itself. */
let cached: { env: Env; settings: Settings } | undefined;

export function readSettings(env: Env): Settings {
  if (cached?.env === env) return cached.settings;
  const settings: Settings = {
    publicBaseUrl: origin('PUBLIC_BASE_URL', env.PUBLIC_BASE_URL),
    asyncSettleDelayMs: wholeNumber('ASYNC_SETTLE_DELAY_MS', env.ASYNC_SETTLE_DELAY_MS ?? '5000'),
    webhookRetryDelaysSeconds: (env.WEBHOOK_RETRY_DELAYS ?? '0,5,300,1800,7200,18000,36000,36000')
      .split(',')
      .map((part) => wholeNumber('WEBHOOK_RETRY_DELAYS', part.trim())),
    webhookTimeoutMs: wholeNumber('WEBHOOK_TIMEOUT_MS', env.WEBHOOK_TIMEOUT_MS ?? '15000'),
    cryptoMonitorWindowMs: wholeNumber('CRYPTO_MONITOR_WINDOW_SECONDS', env.CRYPTO_MONITOR_WINDOW_SECONDS ?? '86400') * 1000,
    cryptoLatePollMs: wholeNumber('CRYPTO_LATE_POLL_MS', env.CRYPTO_LATE_POLL_MS ?? '60000'),
  };
  if (settings.webhookRetryDelaysSeconds.some((s) => s > 43_200)) {
    throw new Error('WEBHOOK_RETRY_DELAYS: a queue retry can be delayed by at most 43200 seconds (12 hours)');
  }
  cached = { env, settings };
  return settings;
}

/** An absolute http(s) URL with nothing after its origin but an optional path prefix, without the trailing slash. */
function origin(name: string, raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') {
    throw new Error(`${name} is not set: it is the public origin of this deployment (https://pay.example.com), which links are built on`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must be an absolute http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash || url.username || url.password) {
    throw new Error(`${name} must be an absolute http(s) URL without query, fragment or credentials, got ${JSON.stringify(raw)}`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function wholeNumber(name: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new Error(`${name} must be whole numbers, got ${JSON.stringify(raw)}`);
  }
  return value;
}
