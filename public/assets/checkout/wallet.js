/**
 * The hosted payment page's wallet call, for an EIP-1193 provider (window.ethereum): the ERC-20
 * transfer(address,uint256) call data, encoded by hand (viem's encoder would be most of the page's
 * script). The selector is keccak256("transfer(address,uint256)")[0..4]; both arguments are
 * 32-byte words. test/pages/checkout-wallet.test.ts checks it against viem's encodeFunctionData.
 */
const TRANSFER_SELECTOR = '0xa9059cbb';
const UINT256_MAX = (1n << 256n) - 1n;

/** A 20-byte address and an amount (bigint, or a decimal digit string) as transfer's call data. */
export function transferCallData(to, amount) {
  if (!/^0x[0-9a-fA-F]{40}$/.test(to)) throw new Error(`not an address: ${to}`);
  const value = BigInt(amount);
  if (value < 0n || value > UINT256_MAX) throw new Error(`not a uint256: ${amount}`);
  return TRANSFER_SELECTOR + to.slice(2).toLowerCase().padStart(64, '0') + value.toString(16).padStart(64, '0');
}

/**
 * The transaction that pays the deposit: a transfer call to the token contract, or for the native
 * coin (no token address) the value itself. Quantities are hex, as eth_sendTransaction takes them.
 */
export function paymentTransaction({ from, tokenAddress, deposit, amount }) {
  if (tokenAddress) return { from, to: tokenAddress, data: transferCallData(deposit, amount) };
  return { from, to: deposit, value: `0x${BigInt(amount).toString(16)}` };
}

/** Asks the wallet for an account, moves it to the chain, and sends the payment: the transaction's hash. */
export async function payWithWallet(ethereum, { chainId, tokenAddress, deposit, amount }) {
  const [from] = await ethereum.request({ method: 'eth_requestAccounts' });
  if (!from) throw new Error('The wallet gave no account.');
  await ethereum.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: `0x${Number(chainId).toString(16)}` }] });
  return ethereum.request({ method: 'eth_sendTransaction', params: [paymentTransaction({ from, tokenAddress, deposit, amount })] });
}
