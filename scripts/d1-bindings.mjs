/**
 * The D1 bindings a wrangler config declares (DIRECTORY, SHARD_0, SHARD_1, …), in its order: each
 * has its own migrations. Read by `npm run dev` and `npm run bench`, which migrate every one.
 */
import { readFileSync } from 'node:fs';

export function d1Bindings(configPath) {
  const toml = readFileSync(configPath, 'utf8');
  const bindings = [...toml.matchAll(/^\[\[d1_databases\]\]\s*\nbinding\s*=\s*"([A-Z0-9_]+)"/gm)].map((match) => match[1]);
  if (bindings.length === 0) throw new Error(`${configPath} binds no D1 database ([[d1_databases]] with binding first)`);
  return bindings;
}
