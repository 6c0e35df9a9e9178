/**
 * The hosted page's wallet call data (public/assets/checkout/wallet.js), encoded by hand so that the
 * page's script stays small: it must be exactly what viem encodes for transfer(address,uint256).
 */
import { encodeFunctionData, erc20Abi, getAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { paymentTransaction, transferCallData } from '../../public/assets/checkout/wallet.js';

const TO = getAddress('0x70997970c51812dc3a010c7d01b50e0d17dc79c8');

describe('transferCallData', () => {
  it.each([0n, 1n, 10_990_000n, 2n ** 53n + 1n, 2n ** 256n - 1n])('encodes transfer(%s) as viem does', (amount) => {
    const viem = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [TO, amount] });
    expect(transferCallData(TO, amount)).toBe(viem);
    expect(transferCallData(TO.toLowerCase(), amount.toString())).toBe(viem);
  });

  it('refuses what is not an address or a uint256', () => {
    expect(() => transferCallData('0x1234', 1n)).toThrow('not an address');
    expect(() => transferCallData(TO, -1n)).toThrow('not a uint256');
    expect(() => transferCallData(TO, 2n ** 256n)).toThrow('not a uint256');
    expect(() => transferCallData(TO, '1.5')).toThrow();
  });
});

describe('paymentTransaction', () => {
  it('calls the token contract for a token, and sends the value itself for the native coin', () => {
    const token = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
    expect(paymentTransaction({ from: TO, tokenAddress: token, deposit: TO, amount: '10990000' })).toEqual({
      from: TO,
      to: token,
      data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [TO, 10_990_000n] }),
    });
    expect(paymentTransaction({ from: TO, tokenAddress: null, deposit: TO, amount: '1000000000000000001' })).toEqual({
      from: TO,
      to: TO,
      value: '0xde0b6b3a7640001',
    });
  });
});
