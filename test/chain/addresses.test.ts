/**
 * Watch-only deposit addresses: derived from an account xpub alone, they match what a wallet
 * holding the mnemonic derives (viem's mnemonicToAccount), and private keys are refused.
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { mnemonicToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { assertXpub, depositAddress, InvalidXpubError, MAX_ADDRESS_INDEX } from '../../src/chain/addresses.js';

/** anvil's default mnemonic, whose first addresses everyone knows. */
const MNEMONIC = 'test test test test test test test test test test test junk';
const seed = mnemonicToSeedSync(MNEMONIC);
const account = HDKey.fromMasterSeed(seed).derive("m/44'/60'/0'");
const XPUB = account.publicExtendedKey;

function refusal(xpub: string): string {
  try {
    assertXpub(xpub);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidXpubError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('depositAddress', () => {
  it('starts from a public key only', () => {
    expect(XPUB).toMatch(/^xpub/);
    expect(HDKey.fromExtendedKey(XPUB).privateKey).toBeNull();
  });

  it.each([0, 1, 2, 9, 1000, 123_456, MAX_ADDRESS_INDEX])(
    "gives the address a wallet with the mnemonic has at m/44'/60'/0'/0/%i",
    (index) => {
      expect(depositAddress(XPUB, index)).toBe(mnemonicToAccount(MNEMONIC, { accountIndex: 0, addressIndex: index }).address);
    },
  );

  it("gives anvil's default accounts at indexes 0 and 1, checksummed", () => {
    expect(depositAddress(XPUB, 0)).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(depositAddress(XPUB, 1)).toBe('0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
  });

  it('gives another account its own addresses', () => {
    const second = HDKey.fromMasterSeed(seed).derive("m/44'/60'/1'").publicExtendedKey;
    expect(depositAddress(second, 0)).toBe(mnemonicToAccount(MNEMONIC, { accountIndex: 1, addressIndex: 0 }).address);
    expect(depositAddress(second, 0)).not.toBe(depositAddress(XPUB, 0));
  });

  it.each([-1, 1.5, MAX_ADDRESS_INDEX + 1, Number.NaN, Number.POSITIVE_INFINITY])('refuses index %d: hardened or not an index', (index) => {
    expect(() => depositAddress(XPUB, index)).toThrow(RangeError);
  });

  it('refuses what assertXpub refuses', () => {
    expect(() => depositAddress(account.privateExtendedKey, 0)).toThrow(InvalidXpubError);
  });
});

describe('assertXpub', () => {
  it('accepts an account-level xpub', () => {
    expect(() => assertXpub(XPUB)).not.toThrow();
  });

  it('refuses an extended private key, without repeating it', () => {
    const xprv = account.privateExtendedKey;
    expect(xprv).toMatch(/^xprv/);
    const message = refusal(xprv);
    expect(message).toContain('extended private key');
    expect(message).toContain('never holds a private key');
    expect(message).not.toContain(xprv.slice(4, 20));
  });

  it('refuses a testnet private key (tprv) as a private key', () => {
    const tprv = HDKey.fromMasterSeed(seed, { private: 0x04358394, public: 0x043587cf }).derive("m/44'/60'/0'").privateExtendedKey;
    expect(tprv).toMatch(/^tprv/);
    expect(refusal(tprv)).toContain('extended private key');
  });

  it('refuses a testnet public key (tpub)', () => {
    const tpub = HDKey.fromMasterSeed(seed, { private: 0x04358394, public: 0x043587cf }).derive("m/44'/60'/0'").publicExtendedKey;
    expect(refusal(tpub)).toBe('must be an extended public key starting with xpub');
  });

  it('refuses a key with a typo (bad checksum) or cut short', () => {
    const typo = XPUB.slice(0, 50) + (XPUB[50] === 'a' ? 'b' : 'a') + XPUB.slice(51);
    expect(refusal(typo)).toContain('is not a valid extended public key');
    expect(refusal(XPUB.slice(0, -1))).toContain('is not a valid extended public key');
    expect(refusal(`${XPUB} `)).toContain('is not a valid extended public key');
  });

  it.each([
    ['the master key', 'm', 0],
    ["the change level's key", "m/44'/60'/0'/0", 4],
    ["an address's key", "m/44'/60'/0'/0/0", 5],
  ])('refuses %s: its addresses are not the ones the wallet shows', (_, path, depth) => {
    const key = HDKey.fromMasterSeed(seed).derive(path).publicExtendedKey;
    expect(refusal(key)).toContain(`got a key at depth ${depth}`);
  });

  it.each(['', '   ', 'hello', '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'])('refuses %j', (value) => {
    expect(refusal(value)).toMatch(/required|starting with xpub/);
  });
});
