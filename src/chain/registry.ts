/**
 * The configured networks of this isolate's env, parsed once (CHAINS), and chain readers for them.
 * A reader must not be shared between Durable Objects: viem de-duplicates concurrent identical
 * requests by sharing one promise, and workerd refuses I/O started by one object from another
 * ("Cannot perform I/O on behalf of a different Durable Object"). Each object keeps its own.
 */
import type { CryptoOptions } from '../domain/crypto.js';
import { type ChainConfig, parseChains } from './config.js';
import type { ChainReader } from './port.js';
import { ViemChainReader } from './viem-adapter.js';

/**
 * The networks by key. A Map, not the parsed object: network names come from clients, and a plain
 * object would answer `constructor` or `toString` with what every object inherits.
 */
export type Networks = ReadonlyMap<string, ChainConfig>;

let cached: { raw: string | undefined; chains: Networks } | undefined;

function load(raw: string | undefined) {
  if (cached?.raw !== raw || !cached) cached = { raw, chains: new Map(Object.entries(parseChains(raw))) };
  return cached;
}

export function chainsConfig(env: { CHAINS?: string }): Networks {
  return load(env.CHAINS).chains;
}

/** A new reader of `network` (keep it for the caller's lifetime), or undefined when CHAINS no longer has it. */
export function newChainReader(env: { CHAINS?: string }, network: string): ChainReader | undefined {
  const config = load(env.CHAINS).chains.get(network);
  return config && new ViemChainReader(network, config, { timeoutMs: config.rpcTimeoutMs });
}

export type CryptoOptionsLookup = { ok: true; options: CryptoOptions } | { ok: false; param: 'network' | 'token'; message: string };

/** payment_method_options.crypto resolved against CHAINS: the token's contract, decimals, confirmations. */
export function resolveCryptoOptions(
  env: { CHAINS?: string },
  requested: { network: string; token: string; expiresIn: number | null },
  livemode: boolean,
): CryptoOptionsLookup {
  const chains = chainsConfig(env);
  const chain = chains.get(requested.network);
  // A test key sees only test networks and a live key only live ones, as if the others did not exist.
  const usable = [...chains].filter(([, config]) => config.livemode === livemode).map(([key]) => key);
  if (!chain || chain.livemode !== livemode) {
    const mode = livemode ? 'live' : 'test';
    return {
      ok: false,
      param: 'network',
      message: chain
        ? `The network '${requested.network}' is a ${chain.livemode ? 'live' : 'test'} network and cannot be used in ${mode} mode${usable.length ? `: ${mode} mode accepts ${usable.join(', ')}` : ''}.`
        : `Unknown network '${requested.network}': ${usable.length ? `${mode} mode accepts ${usable.join(', ')}` : `this deployment has no ${mode}-mode crypto networks configured (CHAINS)`}.`,
    };
  }
  const symbols = [chain.nativeCurrency.symbol, ...chain.tokens.map((t) => t.symbol)];
  let token: CryptoOptions['token'] | undefined;
  if (requested.token === chain.nativeCurrency.symbol) {
    token = { symbol: chain.nativeCurrency.symbol, decimals: chain.nativeCurrency.decimals, usdPegged: false, address: null };
  } else {
    const t = chain.tokens.find((candidate) => candidate.symbol === requested.token);
    if (t) token = { symbol: t.symbol, decimals: t.decimals, usdPegged: t.usdPegged, address: t.address };
  }
  if (!token) {
    return {
      ok: false,
      param: 'token',
      message: `Unknown token '${requested.token}' on ${requested.network}: accepted are ${symbols.join(', ')}.`,
    };
  }
  return {
    ok: true,
    options: {
      network: requested.network,
      chainId: chain.chainId,
      token,
      confirmationsRequired: chain.confirmations,
      expiresIn: requested.expiresIn,
      escrowContract: chain.escrow_contract ?? null,
    },
  };
}

/** A network and token a payer may choose in this mode: its native coin and each configured token. */
export interface CryptoChoice {
  network: string;
  token: string;
  decimals: number;
  usdPegged: boolean;
}

/** Every network and token of this deployment in one mode, as resolveCryptoOptions would accept them. */
export function cryptoChoices(env: { CHAINS?: string }, livemode: boolean): CryptoChoice[] {
  return [...chainsConfig(env)]
    .filter(([, chain]) => chain.livemode === livemode)
    .flatMap(([network, chain]) => [
      { network, token: chain.nativeCurrency.symbol, decimals: chain.nativeCurrency.decimals, usdPegged: false },
      ...chain.tokens.map((t) => ({ network, token: t.symbol, decimals: t.decimals, usdPegged: t.usdPegged })),
    ]);
}
