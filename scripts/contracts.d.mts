// Types for scripts/contracts.mjs (plain Node ESM), for TypeScript callers such as the contract tests.
import type { Abi, Account, Address, Chain, Hex } from 'viem';

export interface CompiledContract {
  abi: Abi;
  bytecode: Hex;
}

export function compileContracts(): { ConnectedWallets: CompiledContract; VirtualAccounts: CompiledContract; Escrow: CompiledContract };

export interface DeployedContract {
  address: Address;
  abi: Abi;
  deployGas: bigint;
}

/** Deploys both from `deployer` (a viem account, or an unlocked anvil account's address) and allows `relayers`. */
export function deployContracts(options: { rpcUrl: string; deployer: Account | Address; relayers?: Address[]; chain?: Chain }): Promise<{
  chainId: number;
  connectedWallets: DeployedContract;
  virtualAccounts: DeployedContract;
  chainsConfig: { connected_wallets_contract: Address; virtual_accounts_contract: Address };
}>;

/** Deploys the Escrow from `deployer` (its owner) and allows `relayers`. */
export function deployEscrow(options: {
  rpcUrl: string;
  deployer: Account | Address;
  relayers?: Address[];
  chain?: Chain;
}): Promise<DeployedContract & { chainId: number; chainsConfig: { escrow_contract: Address } }>;
