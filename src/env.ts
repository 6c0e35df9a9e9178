import type { IntentSettings } from './domain/intent.js';
import type { WebhookMessage } from './webhooks/messages.js';

/**
 * The worker's bindings and variables: the generated `Cloudflare.Env` (src/worker-configuration.d.ts, written by
 * `npm run cf-typegen` from wrangler.toml and .dev.vars.example, which describe each one), refined where wrangler
 * cannot say enough: the queues' message type, and that the names from .dev.vars.example may be unset. The shard
 * bindings (SHARD_<n>) are left out: code reaches a shard only through src/db/shards.ts, by the name the merchant's
 * directory row, its intent's object or a queue message carries.
 */
export interface Env extends Omit<Cloudflare.Env, Refined | `SHARD_${number}`>, Partial<Pick<Cloudflare.Env, Unset>> {
  /** Events from the intents' outboxes, and webhook deliveries. */
  WEBHOOK_QUEUE: Queue<WebhookMessage>;
  /** Deliveries whose every attempt failed. */
  WEBHOOK_DLQ: Queue<WebhookMessage>;
}

/** Set only where an operator sets them (.dev.vars.example); wrangler types them as always-present strings. */
type Unset = 'ADMIN_TOKEN' | 'CHAINS' | 'DEFAULT_CRYPTO_XPUB' | 'RELAYER_PRIVATE_KEY';
/** Pick, unlike Omit, fails to compile when a name is no longer generated. */
type Refined = keyof Pick<Cloudflare.Env, Unset | 'WEBHOOK_QUEUE' | 'WEBHOOK_DLQ'>;

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
    escrowHoldSeconds: wholeNumber('ESCROW_HOLD_SECONDS', env.ESCROW_HOLD_SECONDS ?? '604800'),
    escrowHeldPollMs: wholeNumber('ESCROW_HELD_POLL_MS', env.ESCROW_HELD_POLL_MS ?? '60000'),
    refundSettleDelayMs: wholeNumber('REFUND_SETTLE_DELAY_MS', env.REFUND_SETTLE_DELAY_MS ?? '5000'),
    disputeReviewDelayMs: wholeNumber('DISPUTE_REVIEW_DELAY_MS', env.DISPUTE_REVIEW_DELAY_MS ?? '5000'),
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
