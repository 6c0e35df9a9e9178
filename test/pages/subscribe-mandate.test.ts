/**
 * The subscribe page's chain calls (public/assets/subscribe/mandate.js), encoded by hand so the
 * page's script stays small: each must be exactly what viem encodes, and the typed data must hash
 * to what viem hashes for the contract's Mandate.
 */
import { encodeFunctionData, erc20Abi, getAddress, hashTypedData, parseAbi } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  approveCallData,
  cancelCallData,
  depositCallData,
  mandateTypedData,
  randomSalt,
  UNLIMITED,
} from '../../public/assets/subscribe/mandate.js';

const SPENDER = getAddress('0x5fbdb2315678afecb367f032d93f642f64180aa3');
const TOKEN = getAddress('0xe7f1725e7734ce288f8367e1bb143e90bb3f0512');
const MANDATES_ABI = parseAbi(['function deposit(address token, uint256 amount)', 'function cancel(bytes32 id)']);

describe('call data', () => {
  it.each([1n, 4_500_000n, 2n ** 128n - 1n, UNLIMITED])('approve(spender, %s) as viem encodes it', (amount) => {
    expect(approveCallData(SPENDER, amount)).toBe(encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [SPENDER, amount] }));
  });

  it('deposit(token, amount), and address(0) for the native coin', () => {
    expect(depositCallData(TOKEN, '4500000')).toBe(
      encodeFunctionData({ abi: MANDATES_ABI, functionName: 'deposit', args: [TOKEN, 4_500_000n] }),
    );
    const zero = '0x0000000000000000000000000000000000000000';
    expect(depositCallData(null, 10n ** 18n)).toBe(
      encodeFunctionData({ abi: MANDATES_ABI, functionName: 'deposit', args: [zero, 10n ** 18n] }),
    );
  });

  it('cancel(id)', () => {
    const id = `0x${'3b'.repeat(32)}` as const;
    expect(cancelCallData(id)).toBe(encodeFunctionData({ abi: MANDATES_ABI, functionName: 'cancel', args: [id] }));
  });

  it('refuses what is not an address, a uint256 or a mandate id', () => {
    expect(() => approveCallData('0x1234', 1n)).toThrow('not an address');
    expect(() => approveCallData(SPENDER, -1n)).toThrow('not a uint256');
    expect(() => approveCallData(SPENDER, 2n ** 256n)).toThrow('not a uint256');
    expect(() => cancelCallData('0x12')).toThrow('not a mandate id');
  });
});

describe('mandateTypedData', () => {
  const terms = {
    chainId: 31337,
    contract: SPENDER,
    payer: getAddress('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'),
    payee: getAddress('0x70997970c51812dc3a010c7d01b50e0d17dc79c8'),
    token: TOKEN,
    maxAmount: (2n ** 128n - 1n).toString(),
    debitTimes: 3,
    interval: 10,
    start: 1767225600,
    validBefore: 1767229200,
    salt: randomSalt(),
  };

  it('hashes as viem hashes the contract’s Mandate in the chosen contract’s domain, amounts beyond 2^53 exact', () => {
    const typed = mandateTypedData({ accountType: 'connected_wallet', ...terms });
    const { EIP712Domain: _, ...types } = typed.types;
    const expected = hashTypedData({
      domain: { name: 'ConnectedWallets', version: '1', chainId: 31337, verifyingContract: SPENDER },
      types: types as any,
      primaryType: 'Mandate',
      message: { ...terms, maxAmount: 2n ** 128n - 1n, interval: 10n, start: 1767225600n, validBefore: 1767229200n },
    });
    expect(hashTypedData({ ...(typed as any), types })).toBe(expected);
    expect(typed.domain.name).toBe('ConnectedWallets');
    expect(mandateTypedData({ accountType: 'virtual_account', ...terms }).domain.name).toBe('VirtualAccounts');
  });

  it('signs the native coin as token address(0)', () => {
    expect(mandateTypedData({ accountType: 'virtual_account', ...terms, token: null }).message.token).toBe(
      '0x0000000000000000000000000000000000000000',
    );
  });

  it('gives a new 32-byte salt each time', () => {
    const [a, b] = [randomSalt(), randomSalt()];
    expect(a).toMatch(/^0x[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
  });
});
