/**
 * Merchants and their API keys. A key is shown once, when it is made; only its SHA-256 hash is
 * stored. Test and live keys are separate worlds: each key carries its mode, and every object is
 * looked up with the merchant id *and* the mode of the key that asks.
 */
import { and, desc, eq, inArray, isNull, notExists, notInArray, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { alias } from 'drizzle-orm/sqlite-core';
import { apiKeys, merchants, shards } from '../db/directory-schema.js';
import { openShards } from '../db/shards.js';
import type { Env } from '../env.js';
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
  /** The binding of the merchant's shard (src/db/shards.ts): requests reach its read model there. */
  shard: string;
}

/** `sk_test_`, `pk_live_`, … followed by 32 base62 characters (190 random bits). */
export const API_KEY_PATTERN = /^(sk|pk)_(test|live)_[0-9A-Za-z]{32}$/;

/**
 * Creates a merchant with its keys, on the open shard (OPEN_SHARDS) holding the fewest merchants,
 * ties to the lowest-numbered. One batch, one transaction on the directory's single writer: the
 * choice reads the counts every earlier creation left, and the count moves with the merchant, so
 * concurrent creations spread evenly and two never read the same counts.
 */
export async function createMerchant(env: Env, name: string, now = Date.now()) {
  const open = openShards(env);
  const id = newId('acct', now);
  const keys = { test: newKeyPair('test'), live: newKeyPair('live') };
  const db = drizzle(env.DIRECTORY);
  await db.batch([
    db
      .insert(shards)
      .values(open.map((binding) => ({ binding })))
      .onConflictDoNothing(),
    db.insert(merchants).select(
      db
        .select({
          id: sql`${id}`.as('id'),
          name: sql`${name}`.as('name'),
          createdAt: sql`${now}`.as('created_at'),
          shard: shards.binding,
          cryptoXpub: sql`NULL`.as('crypto_xpub'),
          nextDepositIndex: sql`0`.as('next_deposit_index'),
          checkoutFrameAncestors: sql`NULL`.as('checkout_frame_ancestors'),
        })
        .from(shards)
        .where(inArray(shards.binding, open))
        .orderBy(shards.merchants, sql`length(${shards.binding})`, shards.binding)
        .limit(1),
    ),
    db
      .update(shards)
      .set({ merchants: sql`${shards.merchants} + 1` })
      .where(eq(shards.binding, db.select({ shard: merchants.shard }).from(merchants).where(eq(merchants.id, id)))),
    db.insert(apiKeys).values(await keyRows(id, keys, now)),
  ]);
  return { id, name, keys };
}

/**
 * Replaces the merchant's keys of the given modes: the old ones stop working at once. A roll
 * replaces exactly the keys it read, in one batch whose every statement holds only while no other
 * key of those modes has appeared meanwhile: of two rolls that read the same keys, the second
 * changes nothing and gets 'conflict' — so no roll hands out keys another has already revoked.
 * Undefined when there is no such merchant.
 */
export async function rollKeys(d1: D1Database, merchantId: string, modes: readonly Mode[]) {
  const db = drizzle(d1);
  const [merchant] = await db.select().from(merchants).where(eq(merchants.id, merchantId)).limit(1);
  if (!merchant) return undefined;
  const other = alias(apiKeys, 'other');
  const ofModes = (t: typeof apiKeys | typeof other) =>
    and(
      eq(t.merchantId, merchantId),
      inArray(
        t.livemode,
        modes.map((mode) => mode === 'live'),
      ),
      isNull(t.revokedAt),
    );
  const seen = (await db.select({ keyHash: apiKeys.keyHash }).from(apiKeys).where(ofModes(apiKeys))).map((k) => k.keyHash);
  // After the read: a roll that replaces another's keys is never dated before them.
  const now = Date.now();
  const keys: Keys = {};
  for (const mode of modes) keys[mode] = newKeyPair(mode);
  const rows = await keyRows(merchantId, keys, now);
  const unchanged = notExists(
    db
      .select({ one: sql`1` })
      .from(other)
      .where(and(ofModes(other), notInArray(other.keyHash, [...seen, ...rows.map((r) => r.keyHash)]))),
  );
  const [, ...inserted] = await db.batch([
    db
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(and(inArray(apiKeys.keyHash, seen), isNull(apiKeys.revokedAt), unchanged)),
    ...rows.map((row) =>
      db
        .insert(apiKeys)
        .select(
          db
            .select({
              keyHash: sql`${row.keyHash}`.as('key_hash'),
              merchantId: sql`${row.merchantId}`.as('merchant_id'),
              kind: sql`${row.kind}`.as('kind'),
              livemode: sql`${row.livemode ? 1 : 0}`.as('livemode'),
              hint: sql`${row.hint}`.as('hint'),
              publishable: sql`${row.publishable}`.as('publishable'),
              createdAt: sql`${row.createdAt}`.as('created_at'),
              revokedAt: sql`NULL`.as('revoked_at'),
            })
            .from(merchants)
            .where(and(eq(merchants.id, merchantId), unchanged)),
        )
        .returning({ keyHash: apiKeys.keyHash }),
    ),
  ]);
  if (inserted.flat().length < rows.length) return 'conflict' as const;
  forgetMerchantKeys(merchantId);
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

/** The owner of a key and the merchant's shard (one directory read), or null if the key is malformed, unknown or revoked. */
export async function findKeyOwner(d1: D1Database, key: string, now = Date.now()): Promise<ApiKeyOwner | null> {
  if (!API_KEY_PATTERN.test(key)) return null;
  const hash = await sha256Hex(key);
  const cached = keyCache.get(hash);
  if (cached && cached.until > now) return cached.owner;
  const [row] = await drizzle(d1)
    .select({ merchantId: apiKeys.merchantId, livemode: apiKeys.livemode, kind: apiKeys.kind, shard: merchants.shard })
    .from(apiKeys)
    .innerJoin(merchants, eq(merchants.id, apiKeys.merchantId))
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
  forgetStorefront(merchantId);
}

/** The stored allow-list of origins that may frame the merchant's hosted pages (src/merchants/checkout.ts): a JSON array, or null for none. */
export function parseFrameAncestors(stored: string | null): string[] {
  return stored === null ? [] : (JSON.parse(stored) as string[]);
}

/** Drops this isolate's copy of the merchant's storefront: its keys or checkout settings changed. */
export function forgetStorefront(merchantId: string): void {
  for (const scope of storefrontCache.keys()) if (scope.startsWith(`${merchantId}:`)) storefrontCache.delete(scope);
}

/** What the hosted checkout page shows and gives its script: the merchant's name and current publishable key of the mode. */
export interface Storefront {
  merchantName: string;
  /** Null when the merchant's publishable key of this mode was made before keys were kept (roll the keys to get one). */
  publishableKey: string | null;
  /** Origins allowed to frame the page (CSP frame-ancestors); empty: none. */
  frameAncestors: string[];
}

const storefrontCache = new Map<string, { storefront: Storefront; until: number }>();

/**
 * The merchant's storefront for a mode (one directory read, remembered by the isolate for
 * KEY_CACHE_TTL_MS like keys are): null when there is no such merchant. A rolled key is replaced
 * here at once in the isolate that rolled it, and within the TTL in every other — as a key's
 * revocation is; so are new checkout settings.
 */
export async function findStorefront(d1: D1Database, merchantId: string, livemode: boolean, now = Date.now()): Promise<Storefront | null> {
  const scope = `${merchantId}:${livemode ? 'live' : 'test'}`;
  const cached = storefrontCache.get(scope);
  if (cached && cached.until > now) return cached.storefront;
  const [row] = await drizzle(d1)
    .select({ merchantName: merchants.name, publishableKey: apiKeys.publishable, frameAncestors: merchants.checkoutFrameAncestors })
    .from(merchants)
    .leftJoin(
      apiKeys,
      and(eq(apiKeys.merchantId, merchants.id), eq(apiKeys.kind, 'publishable'), eq(apiKeys.livemode, livemode), isNull(apiKeys.revokedAt)),
    )
    .where(eq(merchants.id, merchantId))
    .orderBy(desc(apiKeys.createdAt))
    .limit(1);
  if (!row) return null;
  const storefront = { ...row, frameAncestors: parseFrameAncestors(row.frameAncestors) };
  if (storefrontCache.size >= KEY_CACHE_MAX) storefrontCache.delete(storefrontCache.keys().next().value!);
  storefrontCache.set(scope, { storefront, until: now + KEY_CACHE_TTL_MS });
  return storefront;
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
        // Publishable keys are public by design; a secret key is never stored but as its hash.
        publishable: kind === 'publishable' ? key : null,
        createdAt: now,
      });
    }
  }
  return rows;
}
