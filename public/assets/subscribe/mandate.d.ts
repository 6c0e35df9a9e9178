// Types for mandate.js (a browser module served as it is), for the tests that import it.
type Ethereum = { request(args: { method: string; params?: unknown[] }): Promise<unknown> };
export const CONTRACT_NAMES: { connected_wallet: string; virtual_account: string };
export const UNLIMITED: bigint;
export function approveCallData(spender: string, amount: bigint | string): string;
export function depositCallData(token: string | null, amount: bigint | string): string;
export function cancelCallData(onchainId: string): string;
export function mandateTypedData(m: {
  accountType: 'connected_wallet' | 'virtual_account';
  chainId: number | string;
  contract: string;
  payer: string;
  payee: string;
  token: string | null;
  maxAmount: bigint | string;
  debitTimes: number | string;
  interval: number | string;
  start: number | string;
  validBefore: number | string;
  salt: string;
}): {
  types: Record<string, { name: string; type: string }[]>;
  primaryType: 'Mandate';
  domain: { name: string; version: string; chainId: number; verifyingContract: string };
  message: Record<string, string | number>;
};
export function randomSalt(): string;
export function sendAndWait(ethereum: Ethereum, tx: Record<string, string>): Promise<string>;
