/**
 * The CHAINS variable: which EVM networks this deployment accepts payments on. A JSON object keyed
 * by network key (`local`, `base`, `polygon`…), set per environment in wrangler.toml vars or as a
 * secret (RPC URLs often carry an API key). Parsed at start; a bad value fails loudly with the exact
 * path of each problem, and never echoes an RPC URL.
 *
 *   {"base": {"chainId": 8453, "rpcUrls": ["https://…"], "confirmations": 10, "pollIntervalMs": 4000, "livemode": true,
 *             "nativeCurrency": {"symbol": "eth", "decimals": 18},
 *             "tokens": [{"symbol": "usdc", "address": "0x8335…2913", "decimals": 6, "usdPegged": true}],
 *             "connected_wallets_contract": "0x…", "virtual_accounts_contract": "0x…", "escrow_contract": "0x…"}}
 */
import { getAddress, isAddress, type Address } from 'viem';
import { z } from 'zod';

const NETWORK_KEY = /^[a-z][a-z0-9-]{0,31}$/;
const SYMBOL = /^[a-z]{2,10}$/;
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

const symbol = z.string({ error: 'must be a string' }).regex(SYMBOL, 'must be 2 to 10 lowercase letters (eth, usdc)');

const decimals = z
  .number({ error: 'must be a number' })
  .int('must be a whole number from 0 to 36')
  .min(0, 'must be a whole number from 0 to 36')
  .max(36, 'must be a whole number from 0 to 36');

const integerBetween = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.number({ error: 'must be a number' }).int(message).min(min, message).max(max, message);
};

/** Never echoes the value: an RPC URL may carry an API key. */
const rpcUrl = z.string({ error: 'must be a string' }).refine(isHttpUrl, 'must be an http:// or https:// URL');

/** Checksummed (EIP-55) or all lowercase; normalised to the checksummed form. */
const address = z
  .string({ error: 'must be a string' })
  .superRefine((value, ctx) => {
    const problem = !/^0x[0-9a-fA-F]{40}$/.test(value)
      ? 'must be 0x followed by 40 hex digits'
      : !isAddress(value, { strict: true })
        ? 'has mixed case that is not a valid EIP-55 checksum (a typo?): write it checksummed or all lowercase'
        : value === ZERO_ADDRESS
          ? 'must not be the zero address'
          : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((value): Address => getAddress(value));

const token = z.strictObject({
  symbol,
  address,
  decimals,
  /** A USD stablecoin: intents in usd may be paid in it at par. */
  usdPegged: z.boolean({ error: 'must be true or false' }).default(false),
});

const chain = z
  .strictObject({
    chainId: z
      .number({ error: 'must be a number' })
      .int('must be a positive whole number')
      .positive('must be a positive whole number')
      .max(Number.MAX_SAFE_INTEGER, 'is too large'),
    rpcUrls: z.array(rpcUrl, { error: 'must be an array of URLs' }).min(1, 'needs at least one URL'),
    /** Blocks on top of and including the transfer's before it counts as paid. */
    confirmations: integerBetween(1, 1000),
    pollIntervalMs: integerBetween(500, 600_000),
    /** How long one RPC request may take before the node counts as failing. */
    rpcTimeoutMs: integerBetween(100, 60_000).default(5_000),
    /**
     * Real funds: only live-mode intents (sk_live_…) may use this network, and live-mode intents
     * only networks marked so. Test keys therefore never take payments on a mainnet.
     */
    livemode: z.boolean({ error: 'must be true or false' }).default(false),
    nativeCurrency: z.strictObject({ symbol, decimals }),
    tokens: z.array(token, { error: 'must be an array' }).default([]),
    /**
     * The recurring-debit contracts (contracts/, issue 13) on this network, if deployed there
     * (`node scripts/contracts.mjs deploy`; `npm run dev` deploys them on the local chain). Checked like
     * token addresses and normalised to the checksummed form; absent: no recurring debits here.
     */
    connected_wallets_contract: address.optional(),
    virtual_accounts_contract: address.optional(),
    /**
     * The escrow for delivery versus payment (contracts/Escrow.sol) on this network, if deployed there
     * (the same deploy; `npm run dev` deploys it on the local chain). Absent: no escrowed intents here.
     */
    escrow_contract: address.optional(),
    /**
     * An RPC URL wallets may be told (the wire of 002_… `network.rpc`): a public endpoint, never one
     * of `rpcUrls`, which may carry an API key and are never shown. Absent: the wire says null.
     */
    public_rpc_url: rpcUrl.optional(),
  })
  .superRefine((value, ctx) => {
    const symbols = new Map<string, string>([[value.nativeCurrency.symbol, 'nativeCurrency.symbol']]);
    const addresses = new Map<string, number>();
    value.tokens.forEach((t, i) => {
      const taken = symbols.get(t.symbol);
      if (taken) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'symbol'], message: `${t.symbol} is already used by ${taken}` });
      else symbols.set(t.symbol, `tokens[${i}]`);
      const sameAddress = addresses.get(t.address);
      if (sameAddress !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['tokens', i, 'address'], message: `is the same contract as tokens[${sameAddress}]` });
      } else addresses.set(t.address, i);
    });
    const contracts = ['connected_wallets_contract', 'virtual_accounts_contract', 'escrow_contract'] as const;
    const seen = new Map<string, string>();
    for (const field of contracts) {
      const at = value[field];
      if (at === undefined) continue;
      const tokenIndex = addresses.get(at);
      if (tokenIndex !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is the address of tokens[${tokenIndex}]` });
      const other = seen.get(at);
      if (other) ctx.addIssue({ code: 'custom', path: [field], message: `is the same contract as ${other}` });
      else seen.set(at, field);
    }
    const urls = new Set<string>();
    value.rpcUrls.forEach((url, i) => {
      if (urls.has(url)) ctx.addIssue({ code: 'custom', path: ['rpcUrls', i], message: 'is listed twice' });
      urls.add(url);
    });
  });

const chains = z
  .record(z.string().regex(NETWORK_KEY), chain, { error: 'must be a JSON object keyed by network key' })
  .superRefine((value, ctx) => {
    const byChainId = new Map<number, string>();
    for (const [key, { chainId }] of Object.entries(value)) {
      const other = byChainId.get(chainId);
      if (other) ctx.addIssue({ code: 'custom', path: [key, 'chainId'], message: `${chainId} is already the chain id of ${other}` });
      else byChainId.set(chainId, key);
    }
  });

export type ChainsConfig = z.output<typeof chains>;
export type ChainConfig = z.output<typeof chain>;

/**
 * The networks in CHAINS, validated. Unset or empty means none: crypto payments are off. Throws an
 * Error with one `CHAINS.<path>: <problem>` line per problem.
 */
export function parseChains(raw: string | undefined): ChainsConfig {
  if (raw === undefined || raw.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    // The parser's message quotes the input, which may hold an API key.
    throw new Error('CHAINS: is not valid JSON (expected an object keyed by network key)');
  }
  const parsed = chains.safeParse(json, { reportInput: true });
  if (parsed.success) return parsed.data;
  throw new Error(parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${describe(issue)}`).join('\n'));
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key') {
    return `is not a valid network key: use 1 to 32 lowercase letters, digits and dashes, starting with a letter (${NETWORK_KEY.source})`;
  }
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return issue.message;
}

/** CHAINS.base.tokens[0].address; keys that are not identifiers in brackets: CHAINS["Base"]. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = 'CHAINS';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$-]*$/.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
