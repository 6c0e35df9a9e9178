// Types for scripts/local-chain.mjs (plain Node ESM), for TypeScript callers such as the vitest setup.
import type { Address, Hex } from 'viem';

export const ANVIL_MNEMONIC: string;
export const LOCAL_CHAIN_ID: number;

export interface LocalChainAccount {
  address: Address;
  privateKey: Hex;
}

/** The CHAINS value for the local chain (src/chain/config.ts parses it). */
export interface LocalChainsConfig {
  local: {
    chainId: number;
    rpcUrls: string[];
    confirmations: number;
    pollIntervalMs: number;
    nativeCurrency: { symbol: string; decimals: number };
    tokens: { symbol: string; address: Address; decimals: number; usdPegged: boolean }[];
  };
}

export interface LocalChain {
  rpcUrl: string;
  chainId: number;
  port: number;
  usdc: { address: Address; decimals: 6 };
  accounts: LocalChainAccount[];
  mnemonic: string;
  chainsConfig: LocalChainsConfig;
  /** Milliseconds: anvil until listening, compiling the token (0 when cached), deploying and minting, all. */
  timings: { anvilMs: number; compileMs: number; compileCached: boolean; deployMs: number; totalMs: number };
  /** Settles with anvil's exit code or signal when it ends, whoever ended it. */
  exited: Promise<number | string | null>;
  /** Stops anvil (SIGTERM, then SIGKILL after 2 s); resolves once it has exited. */
  stop(): Promise<void>;
}

/** Starts anvil (port 0: a free one), deploys the demo USDC and mints 1,000,000 USDC to account 0. */
export function startLocalChain(options?: {
  port?: number;
  host?: string;
  blockTime?: number;
  onLog?: (line: string) => void;
}): Promise<LocalChain>;
