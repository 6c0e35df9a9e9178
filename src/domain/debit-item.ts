/**
 * A debit item: a merchant's plan for recurring on-chain debits (issue 13) — what a payer signs a
 * mandate for on the item's subscribe page. Its terms (network, token, payee, max price, count,
 * interval, pricing) never change once made: mandates are signed over them. Only the name, the
 * redirect URL, the metadata and whether the button is active change. Pure: no clock, no storage.
 */
import { checkWebhookUrl } from '../webhooks/url-policy.js';

export const PRICINGS = ['fixed', 'dynamic'] as const;
export type Pricing = (typeof PRICINGS)[number];

/** The contract's amounts are uint128. */
export const MAX_PRICE = (1n << 128n) - 1n;
export const DEBIT_TIMES_MIN = 1;
export const DEBIT_TIMES_MAX = 10_000;
export const DEBIT_INTERVAL_DAYS_MIN = 1;
export const DEBIT_INTERVAL_DAYS_MAX = 3650;
/** Test mode only: an interval in seconds, so a schedule can run inside a test. */
export const DEBIT_INTERVAL_SECONDS_MIN = 10;
export const DEBIT_INTERVAL_SECONDS_MAX = DEBIT_INTERVAL_DAYS_MAX * 86_400;

/** Days, as the merchant set them; or seconds, in test mode only. */
export type DebitInterval = { unit: 'days'; days: number } | { unit: 'seconds'; seconds: number };

export interface DebitItem {
  id: string;
  merchantId: string;
  livemode: boolean;
  name: string;
  network: string;
  chainId: number;
  token: { symbol: string; decimals: number; address: string | null };
  payeeAddress: string;
  maxPrice: bigint;
  debitTimes: number;
  interval: DebitInterval;
  pricing: Pricing;
  redirectUrl: string;
  buttonId: string;
  active: boolean;
  metadata: Record<string, string>;
  /** Milliseconds since the epoch. */
  created: number;
  /** Counts the item's changes: every write is conditional on the revision it read. */
  revision: number;
}

/** The interval the mandate's contract takes, in seconds. */
export function intervalSeconds(interval: DebitInterval): number {
  return interval.unit === 'days' ? interval.days * 86_400 : interval.seconds;
}

/** The parameters an update may change; every other term was signed over and is refused by name. */
export const MUTABLE_FIELDS = ['name', 'redirect_url', 'metadata'] as const;
export const SIGNED_TERMS = [
  'network',
  'token',
  'payee_address',
  'max_price',
  'debit_times',
  'debit_interval',
  'debit_interval_seconds',
  'pricing',
] as const;

/** Why a redirect URL is refused, or null: https to a public host; in test mode also http(s) to loopback. */
export function redirectUrlProblem(raw: string, livemode: boolean): string | null {
  const check = checkWebhookUrl(raw, livemode);
  return check.ok ? null : check.reason.replace(/^URL/, 'redirect_url');
}

/** Why an interval is refused in this mode, or null: the seconds form is for test mode only. */
export function intervalProblem(interval: DebitInterval, livemode: boolean): string | null {
  if (interval.unit === 'seconds' && livemode)
    return 'debit_interval_seconds is for test mode only: live items take debit_interval (days).';
  return null;
}

/** Applies an update to the mutable fields: metadata merges, a key set to '' is removed. */
export function updatedItem(
  item: DebitItem,
  changes: { name?: string; redirectUrl?: string; metadata?: Record<string, string> },
): DebitItem {
  const metadata = { ...item.metadata };
  for (const [key, value] of Object.entries(changes.metadata ?? {})) {
    if (value === '') delete metadata[key];
    else metadata[key] = value;
  }
  return {
    ...item,
    name: changes.name ?? item.name,
    redirectUrl: changes.redirectUrl ?? item.redirectUrl,
    metadata,
    revision: item.revision + 1,
  };
}

/** Deactivate or reactivate; already so: the item unchanged (the operation is idempotent). */
export function withActive(item: DebitItem, active: boolean): DebitItem {
  return item.active === active ? item : { ...item, active, revision: item.revision + 1 };
}
