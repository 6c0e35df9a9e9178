// Types for scripts/local-chain.mjs (plain Node ESM), for TypeScript callers such as the vitest setup.
import type { Address, Hex } from 'viem';

export const ANVIL_MNEMONIC: string;

/** The chain's state file could not be loaded (cut short by a hard kill mid-write, say). */
export class UnreadableChainState extends Error {
  readonly statePath: string;
}
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
  /** Where the chain is kept and whether it was loaded from there (false: a new chain); null without statePath. */
  state: { path: string; loaded: boolean; interval: number; headAtStart: bigint } | null;
  /** Whether the demo token was deployed at this start (false: found on the loaded chain). */
  usdcDeployed: boolean;
  /** Milliseconds: anvil until listening, compiling the token (0 when cached), deploying and minting, all. */
  timings: { anvilMs: number; compileMs: number; compileCached: boolean; deployMs: number; totalMs: number };
  /** Settles with anvil's exit code or signal when it ends, whoever ended it. */
  exited: Promise<number | string | null>;
  /** Stops anvil (SIGTERM, then SIGKILL after 2 s, or 10 s when it keeps a state file); resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts anvil (port 0: a free one), deploys the demo USDC and mints 1,000,000 USDC to account 0.
 * With statePath the chain is loaded from that file if it exists (the token then found, not
 * deployed again) and written back on exit and every stateInterval seconds (default 10).
 */
export function startLocalChain(options?: {
  port?: number;
  host?: string;
  blockTime?: number;
  onLog?: (line: string) => void;
  statePath?: string;
  stateInterval?: number;
  /** Replaces anvil's chain id 31337. */
  chainId?: number;
}): Promise<LocalChain>;

/**
 * Compiles Solidity sources (file name → text) with solc-js (optimizer, cancun) and returns solc's
 * `contracts` output for `outputs` (file → contract → output selection), cached under `name`.
 * Imports resolve under the project's root first, then to packages (@openzeppelin/contracts).
 */
export function compileSolidity(options: {
  name: string;
  sources: Record<string, string>;
  outputs: Record<string, Record<string, string[]>>;
}): { contracts: Record<string, Record<string, SolcContractOutput>>; cached: boolean };

/** One contract of solc's output: the fields asked for in the output selection. */
export interface SolcContractOutput {
  abi?: import('viem').Abi;
  evm?: {
    bytecode?: { object: string };
    deployedBytecode?: { object: string };
    methodIdentifiers?: Record<string, string>;
  };
}
