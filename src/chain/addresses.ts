/**
 * Watch-only deposit addresses. A merchant hands over the extended public key (xpub) of an account
 * (m/44'/60'/a' in their wallet); intent i gets the address at xpub/0/i, the external chain that
 * wallets show, so the merchant's wallet sees every payment. Only public derivation happens here:
 * the service never sees or holds a private key, and refuses one if given.
 */
import { secp256k1 } from '@noble/curves/secp256k1';
import { HDKey } from '@scure/bip32';
import { bytesToHex, type Address } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';

/** The deepest non-hardened index: 2^31 - 1. */
export const MAX_ADDRESS_INDEX = 0x7fff_ffff;
/** m/44'/60'/account': the key wallets export as an Ethereum account's xpub. */
const ACCOUNT_DEPTH = 3;

export class InvalidXpubError extends Error {
  override readonly name = 'InvalidXpubError';
}

/**
 * Checks that `xpub` is an account-level extended public key, with errors fit to show the merchant.
 * Never echoes the value: a wrongly pasted key may be private.
 */
export function assertXpub(xpub: string): void {
  parseXpub(xpub);
}

/** The deposit address of intent number `index` under the merchant's xpub: xpub/0/index. */
export function depositAddress(xpub: string, index: number): Address {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_ADDRESS_INDEX) {
    throw new RangeError(`deposit address index must be a whole number from 0 to ${MAX_ADDRESS_INDEX}, got ${index}`);
  }
  const child = parseXpub(xpub).deriveChild(0).deriveChild(index);
  // @scure/bip32 gives the 33-byte compressed key; an Ethereum address hashes the 64-byte
  // uncompressed one (publicKeyToAddress takes 0x04 ‖ x ‖ y and drops the prefix).
  const uncompressed = secp256k1.ProjectivePoint.fromHex(child.publicKey!).toRawBytes(false);
  return publicKeyToAddress(bytesToHex(uncompressed));
}

function parseXpub(xpub: string): HDKey {
  if (typeof xpub !== 'string' || xpub.trim() === '') throw new InvalidXpubError('xpub is required');
  if (/^[a-z]prv/i.test(xpub)) {
    throw new InvalidXpubError(
      "this is an extended private key: give the account's extended public key (xpub…) instead. This service only watches addresses and never holds a private key; treat the key you pasted as exposed.",
    );
  }
  if (!xpub.startsWith('xpub')) throw new InvalidXpubError('must be an extended public key starting with xpub');
  let key: HDKey;
  try {
    key = HDKey.fromExtendedKey(xpub);
  } catch {
    throw new InvalidXpubError('is not a valid extended public key (bad length, characters or checksum: check it was copied whole)');
  }
  // The version bytes said public; make sure, as a private key here must never go further.
  if (key.privateKey) throw new InvalidXpubError('this is an extended private key: give the extended public key instead');
  if (key.depth !== ACCOUNT_DEPTH) {
    throw new InvalidXpubError(
      `must be an account's xpub (depth ${ACCOUNT_DEPTH}, m/44'/60'/0'), got a key at depth ${key.depth}: deposit addresses are derived at xpub/0/i, which the wallet shows only for its account key`,
    );
  }
  return key;
}
