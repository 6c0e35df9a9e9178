/**
 * Prefixed, time-ordered ids: `pi_` + 10 Crockford-base32 characters of the millisecond clock
 * + 14 random base62 characters (83 bits). Ids of one prefix sort by creation time.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomBase62(length: number): string {
  // Rejection sampling keeps every character uniform: 62 * 4 = 248 ≤ 256.
  let out = '';
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
    for (const byte of bytes) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export function timePrefix(nowMs: number): string {
  let t = nowMs;
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

export type IdPrefix = 'pi' | 'acct' | 'evt' | 'req' | 'we' | 'li' | 'di' | 'mdt' | 'dr' | 'ch' | 're' | 'dp';

/** A payment intent's id, as newId('pi') or keyedIntentId makes it. Anything else names no intent. */
export const INTENT_ID_PATTERN = /^pi_[0-9A-Za-z]{24}$/;

/**
 * The id of the intent a create under an Idempotency-Key makes: 24 base62 characters (142 bits) of
 * a SHA-256 over the merchant, the mode, the key and the key's generation, so that every request
 * with one key reaches one object. The generation counts the key's reuses after it expired (an
 * intent made under it outlives its 24 hours). Not time-ordered: lists sort by creation time first.
 */
export async function keyedIntentId(merchantId: string, livemode: boolean, key: string, generation: number): Promise<string> {
  // A JSON array: each part delimited, so no two inputs encode alike.
  const input = JSON.stringify(['payment_intent id from Idempotency-Key', merchantId, livemode, key, generation]);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(input)));
  let n = 0n;
  for (const byte of digest) n = (n << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < 24; i++) {
    out += BASE62[Number(n % 62n)];
    n /= 62n;
  }
  return `pi_${out}`;
}

/**
 * The id of a mandate's debit intent for one period: 24 base62 characters of a SHA-256 over the
 * mandate and the period (as keyedIntentId), so that every report of a period reaches one object.
 * Mandate ids are unique across merchants, so the merchant need not be part of it.
 */
export async function mandateDebitIntentId(mandate: string, period: number): Promise<string> {
  const input = JSON.stringify(['payment_intent id of a mandate debit', mandate, period]);
  return `pi_${base62Digest(await sha256(input), 24)}`;
}

/**
 * A Checkout Session's id: `cs_test_` or `cs_live_` and 43 base62 characters (256 bits). Long, as
 * Stripe's: the id is in the links a payer is sent to.
 */
export const SESSION_ID_PATTERN = /^cs_(test|live)_[0-9A-Za-z]{43}$/;

export function newSessionId(livemode: boolean): string {
  return `cs_${livemode ? 'live' : 'test'}_${randomBase62(43)}`;
}

/**
 * The id of the session a create under an Idempotency-Key makes, from the merchant, the mode, the
 * key and the key's generation (as keyedIntentId): every request with the key reaches one session,
 * which is also what the key's intent names.
 */
export async function keyedSessionId(merchantId: string, livemode: boolean, key: string, generation: number): Promise<string> {
  const input = JSON.stringify(['checkout session id from Idempotency-Key', merchantId, livemode, key, generation]);
  return `cs_${livemode ? 'live' : 'test'}_${base62Digest(await sha256(input), 43)}`;
}

async function sha256(input: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(input)));
}

function base62Digest(digest: Uint8Array, length: number): string {
  let n = 0n;
  for (const byte of digest) n = (n << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < length; i++) {
    out += BASE62[Number(n % 62n)];
    n /= 62n;
  }
  return out;
}

export function newId(prefix: IdPrefix, nowMs: number = Date.now()): string {
  return `${prefix}_${timePrefix(nowMs)}${randomBase62(14)}`;
}

/** Ids for whatever one command may make: a charge, a refund, a dispute (src/domain/charge.ts FreshIds). */
export function freshIds(nowMs: number = Date.now()): { chargeId: string; refundId: string; disputeId: string } {
  return { chargeId: newId('ch', nowMs), refundId: newId('re', nowMs), disputeId: newId('dp', nowMs) };
}

/** A dispute's id, as newId('dp') makes it. Anything else names no dispute. */
export const DISPUTE_ID_PATTERN = /^dp_[0-9A-Za-z]{24}$/;

/**
 * Ids for things made together in order (the events of one commit): they share the clock and
 * random part and end in a counter, so within one millisecond they still sort in the order made.
 */
export function newIdSeries(prefix: IdPrefix, count: number, nowMs: number = Date.now()): string[] {
  const stem = `${prefix}_${timePrefix(nowMs)}${randomBase62(10)}`;
  return Array.from({ length: count }, (_, i) => stem + i.toString(36).padStart(4, '0'));
}

/** A client secret: the intent id, `_secret_`, and 144 random bits. */
export function newClientSecret(intentId: string): string {
  return `${intentId}_secret_${randomBase62(25)}`;
}

/** An opaque token of ~190 random bits (API keys, challenge tokens). */
export function newToken(): string {
  return randomBase62(32);
}

/** A debit item's id, as newId('di') makes it. Anything else names no debit item. */
export const DEBIT_ITEM_ID_PATTERN = /^di_[0-9A-Za-z]{24}$/;

/** A button id, as newButtonId makes it: the subscribe page refuses anything else before any lookup. */
export const BUTTON_ID_PATTERN = /^btn_[0-9A-Za-z]{32}$/;

/** A debit item's button id: 32 base62 characters (190 bits), unguessable — it is the subscribe page's address. */
export function newButtonId(): string {
  return `btn_${randomBase62(32)}`;
}

/** A mandate's id, as mandateIdOf makes it. Anything else names no mandate. */
export const MANDATE_ID_PATTERN = /^mdt_[0-9A-Za-z]{24}$/;

/**
 * A mandate's id, from where it lives on chain (network, contract, on-chain id): the same signed
 * mandate subscribed twice reaches one object. Not time-ordered: lists sort by creation time first.
 */
export async function mandateIdOf(network: string, contract: string, onchainId: string): Promise<string> {
  const input = JSON.stringify(['mandate id from its chain', network, contract.toLowerCase(), onchainId.toLowerCase()]);
  return `mdt_${base62Digest(await sha256(input), 24)}`;
}
