// Types for scripts/d1-bindings.mjs (plain Node ESM), for TypeScript callers such as the page tests.
/** The D1 bindings a wrangler config declares (DIRECTORY, SHARD_0, …), in its order. */
export function d1Bindings(configPath: string): string[];
