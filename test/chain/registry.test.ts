/**
 * Network names come from clients (payment_method_options[crypto][network]) and from stored intents:
 * looking one up must find only a network CHAINS configures, never a property every object inherits.
 */
import { describe, expect, it } from 'vitest';
import { newChainReader, resolveCryptoOptions } from '../../src/chain/registry.js';

const CHAINS = JSON.stringify({
  base: {
    chainId: 8453,
    rpcUrls: ['http://127.0.0.1:9'],
    confirmations: 2,
    pollIntervalMs: 1000,
    nativeCurrency: { symbol: 'eth', decimals: 18 },
  },
  // A network may itself be called "constructor" (a valid key): it is found like any other.
  constructor: {
    chainId: 1234,
    rpcUrls: ['http://127.0.0.1:9'],
    confirmations: 2,
    pollIntervalMs: 1000,
    nativeCurrency: { symbol: 'eth', decimals: 18 },
  },
});

const INHERITED_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

describe('network lookup', () => {
  it.each(INHERITED_NAMES.filter((name) => name !== 'constructor'))(
    '%s is an unknown network, not a property of Object.prototype',
    (name) => {
      const found = resolveCryptoOptions({ CHAINS }, { network: name, token: 'eth', expiresIn: null }, false);
      expect(found).toEqual({
        ok: false,
        param: 'network',
        message: `Unknown network '${name}': test mode accepts base, constructor.`,
      });
      expect(newChainReader({ CHAINS }, name)).toBeUndefined();
    },
  );

  it.each(INHERITED_NAMES)('%s is unknown when CHAINS does not configure it', (name) => {
    const only = JSON.stringify({ base: JSON.parse(CHAINS).base });
    const found = resolveCryptoOptions({ CHAINS: only }, { network: name, token: 'eth', expiresIn: null }, false);
    expect(found).toEqual({ ok: false, param: 'network', message: `Unknown network '${name}': test mode accepts base.` });
    expect(newChainReader({ CHAINS: only }, name)).toBeUndefined();
  });

  it('a network configured as "constructor" is found', () => {
    const found = resolveCryptoOptions({ CHAINS }, { network: 'constructor', token: 'eth', expiresIn: null }, false);
    expect(found).toMatchObject({ ok: true, options: { network: 'constructor', chainId: 1234 } });
    expect(newChainReader({ CHAINS }, 'constructor')).toBeDefined();
  });
});
