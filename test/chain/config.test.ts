/** CHAINS, the networks crypto payments run on: what is accepted, and errors that name the exact path. */
import { describe, expect, it } from 'vitest';
import { parseChains } from '../../src/chain/config.js';

const USDC_BASE = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';

function base(overrides: Record<string, unknown> = {}) {
  return {
    chainId: 8453,
    rpcUrls: ['https://base.example/v2/secret-api-key', 'http://127.0.0.1:8545'],
    confirmations: 10,
    pollIntervalMs: 4000,
    nativeCurrency: { symbol: 'eth', decimals: 18 },
    tokens: [{ symbol: 'usdc', address: USDC_BASE, decimals: 6, usdPegged: true }],
    ...overrides,
  };
}

function problems(value: unknown): string {
  try {
    parseChains(typeof value === 'string' ? value : JSON.stringify(value));
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('parsed without complaint');
}

describe('parseChains: good configs', () => {
  it('reads a full config, keeping every field', () => {
    expect(parseChains(JSON.stringify({ base: base() }))).toEqual({ base: { ...base(), rpcTimeoutMs: 5000, livemode: false } });
  });

  it('reads several networks, with keys of letters, digits and dashes', () => {
    const chains = parseChains(
      JSON.stringify({
        base: base(),
        'polygon-amoy': base({ chainId: 80002, nativeCurrency: { symbol: 'pol', decimals: 18 }, tokens: [] }),
        l2: base({ chainId: 10 }),
      }),
    );
    expect(Object.keys(chains)).toEqual(['base', 'polygon-amoy', 'l2']);
    expect(chains['polygon-amoy']!.nativeCurrency).toEqual({ symbol: 'pol', decimals: 18 });
  });

  it('normalises a lowercase token address to its EIP-55 checksum form', () => {
    const { base: chain } = parseChains(
      JSON.stringify({ base: base({ tokens: [{ symbol: 'usdc', address: USDC_BASE.toLowerCase(), decimals: 6 }] }) }),
    );
    expect(chain!.tokens[0]!.address).toBe(USDC_BASE);
  });

  it('marks a network live only when asked (test by default), and takes rpcTimeoutMs', () => {
    const chains = parseChains(JSON.stringify({ base: base({ livemode: true, rpcTimeoutMs: 2500 }), sepolia: base({ chainId: 84532 }) }));
    expect([chains.base!.livemode, chains.base!.rpcTimeoutMs, chains.sepolia!.livemode]).toEqual([true, 2500, false]);
  });

  it('defaults usdPegged to false and tokens to none', () => {
    const { base: chain } = parseChains(
      JSON.stringify({ base: base({ tokens: [{ symbol: 'weth', address: '0x4200000000000000000000000000000000000006', decimals: 18 }] }) }),
    );
    expect(chain!.tokens[0]!.usdPegged).toBe(false);
    const { base: bare } = parseChains(JSON.stringify({ base: { ...base(), tokens: undefined } }));
    expect(bare!.tokens).toEqual([]);
  });

  it('reads the recurring-debit contracts of a network (optional, checksummed like token addresses)', () => {
    const connected = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
    const virtual = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';
    const { base: chain } = parseChains(
      JSON.stringify({ base: base({ connected_wallets_contract: connected.toLowerCase(), virtual_accounts_contract: virtual }) }),
    );
    expect([chain!.connected_wallets_contract, chain!.virtual_accounts_contract]).toEqual([connected, virtual]);
    const { base: without } = parseChains(JSON.stringify({ base: base() }));
    expect([without!.connected_wallets_contract, without!.virtual_accounts_contract]).toEqual([undefined, undefined]);
  });

  it('reads the escrow contract of a network (optional, checksummed like token addresses)', () => {
    const escrow = '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0';
    expect(parseChains(JSON.stringify({ base: base({ escrow_contract: escrow.toLowerCase() }) })).base!.escrow_contract).toBe(escrow);
    expect(parseChains(JSON.stringify({ base: base() })).base!.escrow_contract).toBeUndefined();
  });

  it('reads a public_rpc_url (the only RPC URL the wire of 002_… shows), optional, and refuses one that is not http(s)', () => {
    const { base: chain } = parseChains(JSON.stringify({ base: base({ public_rpc_url: 'https://mainnet.base.org' }) }));
    expect(chain!.public_rpc_url).toBe('https://mainnet.base.org');
    expect(parseChains(JSON.stringify({ base: base() })).base!.public_rpc_url).toBeUndefined();
    expect(problems({ base: base({ public_rpc_url: 'wss://mainnet.base.org' }) })).toBe(
      'CHAINS.base.public_rpc_url: must be an http:// or https:// URL',
    );
  });

  it.each([
    ['confirmations', 1],
    ['confirmations', 1000],
    ['pollIntervalMs', 500],
    ['pollIntervalMs', 600_000],
  ])('accepts %s = %i, the edge of its range', (field, value) => {
    expect(parseChains(JSON.stringify({ base: base({ [field]: value }) })).base![field as 'confirmations']).toBe(value);
  });

  it.each([
    [undefined, 'unset'],
    ['', 'empty'],
    ['  \n', 'blank'],
    ['{}', 'an empty object'],
  ] as const)('means no networks when %j (%s)', (raw, _) => {
    expect(parseChains(raw)).toEqual({});
  });
});

describe('parseChains: bad configs', () => {
  it.each([
    ['not JSON', '{"base": ', 'CHAINS: is not valid JSON'],
    ['an array', [], 'CHAINS: must be a JSON object keyed by network key'],
    ['a string', '"base"', 'CHAINS: must be a JSON object keyed by network key'],
    ['an upper-case key', { Base: base() }, 'CHAINS.Base: is not a valid network key'],
    ['a key with a space', { 'base main': base() }, 'CHAINS["base main"]: is not a valid network key'],
    ['a key starting with a digit', { '1inch': base() }, 'CHAINS["1inch"]: is not a valid network key'],
    ['a 33-character key', { ['a'.repeat(33)]: base() }, `CHAINS.${'a'.repeat(33)}: is not a valid network key`],
    ['a missing field', { base: { ...base(), confirmations: undefined } }, 'CHAINS.base.confirmations: is required'],
    ['an unknown field', { base: base({ confirmation: 3 }) }, 'CHAINS.base: unknown field confirmation'],
    ['a chain id of 0', { base: base({ chainId: 0 }) }, 'CHAINS.base.chainId: must be a positive whole number'],
    ['a fractional chain id', { base: base({ chainId: 1.5 }) }, 'CHAINS.base.chainId: must be a positive whole number'],
    ['a chain id as a string', { base: base({ chainId: '8453' }) }, 'CHAINS.base.chainId: must be a number'],
    ['no RPC URL', { base: base({ rpcUrls: [] }) }, 'CHAINS.base.rpcUrls: needs at least one URL'],
    ['an RPC URL as a string', { base: base({ rpcUrls: 'https://x.example' }) }, 'CHAINS.base.rpcUrls: must be an array of URLs'],
    [
      'a websocket RPC URL',
      { base: base({ rpcUrls: ['https://a.example', 'wss://b.example'] }) },
      'CHAINS.base.rpcUrls[1]: must be an http:// or https:// URL',
    ],
    ['a relative RPC URL', { base: base({ rpcUrls: ['/rpc'] }) }, 'CHAINS.base.rpcUrls[0]: must be an http:// or https:// URL'],
    [
      'an RPC URL listed twice',
      { base: base({ rpcUrls: ['https://a.example', 'https://a.example'] }) },
      'CHAINS.base.rpcUrls[1]: is listed twice',
    ],
    ['0 confirmations', { base: base({ confirmations: 0 }) }, 'CHAINS.base.confirmations: must be a whole number from 1 to 1000'],
    ['1001 confirmations', { base: base({ confirmations: 1001 }) }, 'CHAINS.base.confirmations: must be a whole number from 1 to 1000'],
    [
      'a poll every 499 ms',
      { base: base({ pollIntervalMs: 499 }) },
      'CHAINS.base.pollIntervalMs: must be a whole number from 500 to 600000',
    ],
    [
      'a poll every 10 minutes and 1 ms',
      { base: base({ pollIntervalMs: 600_001 }) },
      'CHAINS.base.pollIntervalMs: must be a whole number from 500 to 600000',
    ],
    [
      'an upper-case native symbol',
      { base: base({ nativeCurrency: { symbol: 'ETH', decimals: 18 } }) },
      'CHAINS.base.nativeCurrency.symbol: must be 2 to 10 lowercase letters',
    ],
    [
      '37 native decimals',
      { base: base({ nativeCurrency: { symbol: 'eth', decimals: 37 } }) },
      'CHAINS.base.nativeCurrency.decimals: must be a whole number from 0 to 36',
    ],
    [
      'a one-letter token symbol',
      { base: base({ tokens: [{ symbol: 'u', address: USDC_BASE, decimals: 6 }] }) },
      'CHAINS.base.tokens[0].symbol: must be 2 to 10 lowercase letters',
    ],
    [
      'a symbol with a dot',
      { base: base({ tokens: [{ symbol: 'usdc.e', address: USDC_BASE, decimals: 6 }] }) },
      'CHAINS.base.tokens[0].symbol: must be 2 to 10 lowercase letters',
    ],
    [
      'negative token decimals',
      { base: base({ tokens: [{ symbol: 'usdc', address: USDC_BASE, decimals: -1 }] }) },
      'CHAINS.base.tokens[0].decimals: must be a whole number from 0 to 36',
    ],
    [
      'a short address',
      { base: base({ tokens: [{ symbol: 'usdc', address: USDC_BASE.slice(0, 41), decimals: 6 }] }) },
      'CHAINS.base.tokens[0].address: must be 0x followed by 40 hex digits',
    ],
    [
      'an address without 0x',
      { base: base({ tokens: [{ symbol: 'usdc', address: USDC_BASE.slice(2), decimals: 6 }] }) },
      'CHAINS.base.tokens[0].address: must be 0x followed by 40 hex digits',
    ],
    [
      'an address with a broken checksum',
      { base: base({ tokens: [{ symbol: 'usdc', address: USDC_BASE.replace('fCD6', 'fcD6'), decimals: 6 }] }) },
      'CHAINS.base.tokens[0].address: has mixed case that is not a valid EIP-55 checksum',
    ],
    [
      'the zero address',
      { base: base({ tokens: [{ symbol: 'usdc', address: `0x${'0'.repeat(40)}`, decimals: 6 }] }) },
      'CHAINS.base.tokens[0].address: must not be the zero address',
    ],
    ['livemode as a string', { base: base({ livemode: 'yes' }) }, 'CHAINS.base.livemode: must be true or false'],
    [
      'usdPegged as a string',
      { base: base({ tokens: [{ symbol: 'usdc', address: USDC_BASE, decimals: 6, usdPegged: 'yes' }] }) },
      'CHAINS.base.tokens[0].usdPegged: must be true or false',
    ],
    [
      'an unknown token field',
      { base: base({ tokens: [{ symbol: 'usdc', address: USDC_BASE, decimals: 6, name: 'USD Coin' }] }) },
      'CHAINS.base.tokens[0]: unknown field name',
    ],
    [
      'a token named like the native coin',
      { base: base({ tokens: [{ symbol: 'eth', address: USDC_BASE, decimals: 18 }] }) },
      'CHAINS.base.tokens[0].symbol: eth is already used by nativeCurrency.symbol',
    ],
  ])('refuses %s', (_, value, message) => {
    expect(problems(value)).toContain(message);
  });

  it('refuses the same symbol or contract twice on a network, naming the second', () => {
    const message = problems({
      base: base({
        tokens: [
          { symbol: 'usdc', address: USDC_BASE, decimals: 6 },
          { symbol: 'usdc', address: '0x4200000000000000000000000000000000000006', decimals: 18 },
          { symbol: 'usdbc', address: USDC_BASE.toLowerCase(), decimals: 6 },
        ],
      }),
    });
    expect(message.split('\n')).toEqual([
      'CHAINS.base.tokens[1].symbol: usdc is already used by tokens[0]',
      'CHAINS.base.tokens[2].address: is the same contract as tokens[0]',
    ]);
  });

  it.each([
    ['connected_wallets_contract', '0x1234', 'must be 0x followed by 40 hex digits'],
    ['virtual_accounts_contract', 42, 'must be a string'],
    ['connected_wallets_contract', '0x0000000000000000000000000000000000000000', 'must not be the zero address'],
    ['virtual_accounts_contract', '0x5FBDB2315678afecb367f032d93F642f64180aa3', 'is not a valid EIP-55 checksum'],
    ['escrow_contract', '0xnothex', 'must be 0x followed by 40 hex digits'],
    ['escrow_contract', '0x0000000000000000000000000000000000000000', 'must not be the zero address'],
  ])('refuses %s = %j, naming it', (field, value, message) => {
    const message_ = problems({ base: base({ [field]: value }) });
    expect(message_.startsWith(`CHAINS.base.${field}: `)).toBe(true);
    expect(message_).toContain(message);
  });

  it('refuses one contract as both, or a contract that is a token of the network', () => {
    const same = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
    expect(problems({ base: base({ connected_wallets_contract: same, virtual_accounts_contract: same.toLowerCase() }) })).toBe(
      'CHAINS.base.virtual_accounts_contract: is the same contract as connected_wallets_contract',
    );
    expect(problems({ base: base({ connected_wallets_contract: USDC_BASE }) })).toBe(
      'CHAINS.base.connected_wallets_contract: is the address of tokens[0]',
    );
    expect(problems({ base: base({ virtual_accounts_contract: same, escrow_contract: same }) })).toBe(
      'CHAINS.base.escrow_contract: is the same contract as virtual_accounts_contract',
    );
    expect(problems({ base: base({ escrow_contract: USDC_BASE }) })).toBe('CHAINS.base.escrow_contract: is the address of tokens[0]');
  });

  it('refuses two networks with one chain id', () => {
    expect(problems({ base: base(), 'base-backup': base() })).toBe('CHAINS.base-backup.chainId: 8453 is already the chain id of base');
  });

  it('lists every problem, one line each', () => {
    const message = problems({ base: base({ chainId: -1, confirmations: 0, tokens: [{ symbol: 'USDC', address: '0x1', decimals: 6 }] }) });
    expect(message.split('\n')).toEqual([
      'CHAINS.base.chainId: must be a positive whole number',
      'CHAINS.base.confirmations: must be a whole number from 1 to 1000',
      'CHAINS.base.tokens[0].symbol: must be 2 to 10 lowercase letters (eth, usdc)',
      'CHAINS.base.tokens[0].address: must be 0x followed by 40 hex digits',
    ]);
  });

  it('never repeats an RPC URL, which may carry an API key, in its errors', () => {
    const bad = JSON.stringify({ base: base({ rpcUrls: ['ftp://node.example/secret-api-key'] }) });
    expect(problems(bad)).toBe('CHAINS.base.rpcUrls[0]: must be an http:// or https:// URL');
    expect(problems(`${bad.slice(0, -2)} "secret-api-key`)).not.toContain('secret-api-key');
  });
});
