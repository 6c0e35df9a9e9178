// Types for wallet.js (a browser module served as it is), for the tests that import it.
export function transferCallData(to: string, amount: bigint | string): string;
export function paymentTransaction(payment: {
  from: string;
  tokenAddress: string | null;
  deposit: string;
  amount: bigint | string;
}): { from: string; to: string; data: string } | { from: string; to: string; value: string };
export function payWithWallet(
  ethereum: { request(args: { method: string; params?: unknown[] }): Promise<unknown> },
  payment: { chainId: number | string; tokenAddress: string | null; deposit: string; amount: bigint | string },
): Promise<string>;
