/**
 * The subscribe page's chain calls, for an EIP-1193 provider: the EIP-712 mandate the payer signs
 * (contracts/Mandates.sol `Mandate`, in the chosen contract's domain) and the call data of approve,
 * deposit and cancel, encoded by hand as the checkout page's wallet.js does (viem's encoder would be
 * most of the script). test/pages/subscribe-mandate.test.ts checks each against viem.
 */
const UINT256_MAX = (1n << 256n) - 1n;
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** keccak256 of each signature, first 4 bytes. */
const SELECTORS = {
  approve: '0x095ea7b3', // approve(address,uint256)
  deposit: '0x47e7ef24', // deposit(address,uint256)
  cancel: '0xc4d252f5', // cancel(bytes32)
};

/** The contract's EIP-712 name per account type (Mandates(name) in each contract's constructor). */
export const CONTRACT_NAMES = { connected_wallet: 'ConnectedWallets', virtual_account: 'VirtualAccounts' };

function address(value) {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new Error(`not an address: ${value}`);
  return value.slice(2).toLowerCase().padStart(64, '0');
}

function uint256(amount) {
  const value = BigInt(amount);
  if (value < 0n || value > UINT256_MAX) throw new Error(`not a uint256: ${amount}`);
  return value.toString(16).padStart(64, '0');
}

export function approveCallData(spender, amount) {
  return SELECTORS.approve + address(spender) + uint256(amount);
}

/** VirtualAccounts.deposit(token, amount); the native coin is token address(0), its value sent along. */
export function depositCallData(token, amount) {
  return SELECTORS.deposit + address(token ?? ZERO_ADDRESS) + uint256(amount);
}

export function cancelCallData(onchainId) {
  if (!/^0x[0-9a-fA-F]{64}$/.test(onchainId)) throw new Error(`not a mandate id: ${onchainId}`);
  return SELECTORS.cancel + onchainId.slice(2).toLowerCase();
}

export const UNLIMITED = UINT256_MAX;

/**
 * The typed data of eth_signTypedData_v4: the mandate over the item's terms and the payer's own
 * start, deadline and salt. Integers as decimal strings (uint128 amounts exceed 2^53).
 */
export function mandateTypedData({
  accountType,
  chainId,
  contract,
  payer,
  payee,
  token,
  maxAmount,
  debitTimes,
  interval,
  start,
  validBefore,
  salt,
}) {
  const name = CONTRACT_NAMES[accountType];
  if (!name) throw new Error(`not an account type: ${accountType}`);
  return {
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
      Mandate: [
        { name: 'payer', type: 'address' },
        { name: 'payee', type: 'address' },
        { name: 'token', type: 'address' },
        { name: 'maxAmount', type: 'uint128' },
        { name: 'debitTimes', type: 'uint32' },
        { name: 'interval', type: 'uint64' },
        { name: 'start', type: 'uint64' },
        { name: 'validBefore', type: 'uint64' },
        { name: 'salt', type: 'bytes32' },
      ],
    },
    primaryType: 'Mandate',
    domain: { name, version: '1', chainId: Number(chainId), verifyingContract: contract },
    message: {
      payer,
      payee,
      token: token || ZERO_ADDRESS,
      maxAmount: BigInt(maxAmount).toString(),
      debitTimes: Number(debitTimes),
      interval: Number(interval),
      start: Number(start),
      validBefore: Number(validBefore),
      salt,
    },
  };
}

/** 32 random bytes as 0x-hex, from the browser's CSPRNG. */
export function randomSalt() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

async function mined(ethereum, hash) {
  for (;;) {
    const receipt = await ethereum.request({ method: 'eth_getTransactionReceipt', params: [hash] });
    if (receipt) {
      if (receipt.status !== '0x1') throw new Error(`the transaction ${hash} reverted`);
      return receipt;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Sends a transaction from the payer's wallet and waits until it is mined (a revert throws). */
export async function sendAndWait(ethereum, tx) {
  const hash = await ethereum.request({ method: 'eth_sendTransaction', params: [tx] });
  await mined(ethereum, hash);
  return hash;
}
