/**
 * Merchants and their API keys. A key is shown once, when it is made; only its SHA-256 hash is
 * stored. Test and live keys are separate worlds: each key carries its mode, and every object is
 * looked up with the merchant id *and* the mode of the key that asks.
 */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { apiKeys, merchants } from '../db/schema.js';
import { newId, newToken } from '../lib/ids.js';
import { sha256Hex } from '../lib/secrets.js';

export type Mode = 'test' | 'live';
export type KeyKind = 'secret' | 'publishable';
export interface KeyPair {
  secret: string;
  publishable: string;
}
export type Keys = Partial<Record<Mode, KeyPair>>;

export interface ApiKeyOwner {
  merchantId: string;
  livemode: boolean;
  kind: KeyKind;
}

/** `sk_test_`, `pk_live_`, … followed by 32 base62 characters (190 random bits). */
export const API_KEY_PATTERN = /^(sk|pk)_(test|live)_[0-9A-Za-z]{32}$/;

export async function createMerchant(d1: D1Database, name: string, now = Date.now()) {
  const id = newId('acct', now);
  const keys = { test: newKeyPair('test'), live: newKeyPair('live') };
  const db = drizzle(d1);
  await db.batch([db.insert(merchants).values({ id, name, createdAt: now }), db.insert(apiKeys).values(await keyRows(id, keys, now))]);
  return { id, name, keys };
}

/** Replaces the merchant's keys of the given modes: the old ones stop working at once. */
export async function rollKeys(d1: D1Database, merchantId: string, modes: readonly Mode[], now = Date.now()) {
  const db = drizzle(d1);
  const [merchant] = await db.select().from(merchants).where(eq(merchants.id, merchantId)).limit(1);
  if (!merchant) return null;
  const keys: Keys = {};
  for (const mode of modes) keys[mode] = newKeyPair(mode);
  const livemodes = modes.map((mode) => mode === 'live');
  forgetMerchantKeys(merchantId);
  await db.batch([
    db
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(and(eq(apiKeys.merchantId, merchantId), inArray(apiKeys.livemode, livemodes), isNull(apiKeys.revokedAt))),
    db.insert(apiKeys).values(await keyRows(merchantId, keys, now)),
  ]);
  return { id: merchant.id, name: merchant.name, keys };
}

/**
 * Known keys, by hash, remembered by this isolate for a short while so that most requests skip
 * the D1 lookup. Only valid keys are remembered; a rolled key stops working at once in the isolate
 * that rolled it and within KEY_CACHE_TTL_MS in every other.
 */
export const KEY_CACHE_TTL_MS = 15_000;
const KEY_CACHE_MAX = 10_000;
const keyCache = new Map<string, { owner: ApiKeyOwner; until: number }>();

/** The owner of a key, or null if the key is malformed, unknown or revoked. */
export async function findKeyOwner(d1: D1Database, key: string, now = Date.now()): Promise<ApiKeyOwner | null> {
  if (!API_KEY_PATTERN.test(key)) return null;
  const hash = await sha256Hex(key);
  const cached = keyCache.get(hash);
  if (cached && cached.until > now) return cached.owner;
  const [row] = await drizzle(d1)
    .select({ merchantId: apiKeys.merchantId, livemode: apiKeys.livemode, kind: apiKeys.kind })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (!row) {
    keyCache.delete(hash);
    return null;
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(hash, { owner: row, until: now + KEY_CACHE_TTL_MS });
  return row;
}

function forgetMerchantKeys(merchantId: string): void {
  for (const [hash, entry] of keyCache) if (entry.owner.merchantId === merchantId) keyCache.delete(hash);
}

function newKeyPair(mode: Mode): KeyPair {
  return { secret: `sk_${mode}_${newToken()}`, publishable: `pk_${mode}_${newToken()}` };
}

async function keyRows(merchantId: string, keys: Keys, now: number) {
  const rows = [];
  for (const [mode, pair] of Object.entries(keys) as [Mode, KeyPair][]) {
    for (const [kind, key] of Object.entries(pair) as [KeyKind, string][]) {
      rows.push({
        keyHash: await sha256Hex(key),
        merchantId,
        kind,
        livemode: mode === 'live',
        hint: `${key.slice(0, 8)}…${key.slice(-4)}`,
        createdAt: now,
      });
    }
  }
  return rows;
}
