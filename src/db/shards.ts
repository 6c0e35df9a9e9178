/**
 * Shard routing. Each merchant's read model lives on one shard, a D1 binding named SHARD_<n>
 * (wrangler.toml), chosen when the merchant is created (src/merchants/keys.ts) and stored with it
 * in the directory. A request learns its merchant's shard from authentication (src/http/context.ts
 * `shardOf`); an intent's Durable Object and a webhook queue message carry it. Nothing picks a
 * shard any other way.
 */
import type { Env } from '../env.js';

/** A shard's binding name: SHARD_0, SHARD_1, … */
export const SHARD_BINDING = /^SHARD_(0|[1-9]\d{0,3})$/;

/**
 * Where the read model of anything written before the split lives: the single database of a
 * deployment from before it is bound as SHARD_0 (README, Sharding). Intents' objects and queue
 * messages from before the split carry no shard and mean this one.
 */
export const SHARD_BEFORE_SPLIT = 'SHARD_0';

export class ShardUnavailable extends Error {
  constructor(readonly shard: string) {
    super(`the D1 binding ${JSON.stringify(shard)} is not bound: a merchant's shard must stay bound (wrangler.toml)`);
  }
}

/** The database of a shard; throws when the name is not a bound shard (a fault of configuration, never of a request). */
export function shardDatabase(env: Env, shard: string): D1Database {
  const binding = SHARD_BINDING.test(shard) ? (env as unknown as Record<string, unknown>)[shard] : undefined;
  if (!isD1(binding)) throw new ShardUnavailable(shard);
  return binding;
}

/** Every shard bound to this worker, by name. */
export function boundShards(env: Env): string[] {
  return Object.keys(env)
    .filter((name) => SHARD_BINDING.test(name) && isD1((env as unknown as Record<string, unknown>)[name]))
    .sort(byShardNumber);
}

/**
 * The shards new merchants may be assigned to (OPEN_SHARDS: comma-separated binding names). A name
 * that is not a bound shard is an error naming it, so a typo cannot send merchants nowhere.
 */
export function openShards(env: Env): string[] {
  const names = (env.OPEN_SHARDS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new Error('OPEN_SHARDS is empty: name at least one shard binding (SHARD_0, …) open to new merchants');
  const unbound = names.filter((name) => !boundShards(env).includes(name));
  if (unbound.length > 0) throw new Error(`OPEN_SHARDS names ${unbound.join(', ')}, which is not a bound shard (a D1 binding SHARD_<n>)`);
  return [...new Set(names)];
}

function isD1(value: unknown): value is D1Database {
  return typeof value === 'object' && value !== null && typeof (value as D1Database).prepare === 'function';
}

function byShardNumber(a: string, b: string): number {
  return Number(a.slice('SHARD_'.length)) - Number(b.slice('SHARD_'.length));
}
