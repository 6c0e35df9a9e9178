#!/usr/bin/env node
/**
 * Subscribes to a debit item as a payer's wallet would, from anvil's first default account on the
 * local chain of `npm run dev`, without a browser: reads the item's terms from its subscribe page
 * (the payer's view: no API key), approves the ConnectedWallets contract or deposits into
 * VirtualAccounts, signs the EIP-712 mandate and posts it to the page's endpoint, as the page's
 * script does. README: "Recurring debits, end to end".
 *
 *   node scripts/subscribe.mjs <button id | checkout_url> [--account connected_wallet|virtual_account] [--unlimited]
 *   node scripts/subscribe.mjs <button id | checkout_url> --drain | --top-up [--account …]
 *   node scripts/subscribe.mjs <button id | checkout_url> --cancel <mdt_…>
 *
 * --drain takes away what the next debit needs: the allowance set to 0 (connected_wallet) or the
 * whole deposit withdrawn (virtual_account); --top-up gives it back (every debit's worth).
 * --cancel sends the payer's own cancel(onchainId) to the mandate's contract.
 * The server and its chain, first found wins: --api-base / --rpc-url, API_BASE / RPC_URL, the URLs
 * `npm run dev` saved in .dev-merchant.json, then http://127.0.0.1:8787 and http://127.0.0.1:8545.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createPublicClient, createWalletClient, defineChain, erc20Abi, getAddress, http, maxUint256, parseAbi, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

/** anvil's first default account (public test mnemonic): 10,000 eth and the demo usdc. */
const PAYER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const DEFAULT_API_BASE = 'http://127.0.0.1:8787';
const DEFAULT_RPC_URL = 'http://127.0.0.1:8545';
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';
const USAGE =
  'usage: node scripts/subscribe.mjs <button id | checkout_url> [--account connected_wallet|virtual_account] [--unlimited] ' +
  '[--drain | --top-up | --cancel <mdt_…>] [--api-base <url>] [--rpc-url <url>]';
/** How long the signature may wait to be registered (validBefore − start), as the page signs it. */
const VALID_FOR_S = 3600;
const VIRTUAL_ACCOUNTS_ABI = parseAbi([
  'function deposit(address token, uint256 amount) payable',
  'function withdraw(address token, uint256 amount)',
  'function balanceOf(address payer, address token) view returns (uint256)',
  'function cancel(bytes32 id)',
]);
const MANDATE_TYPES = {
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
};

const args = parseArgs(process.argv.slice(2));
const MERCHANT_FILE = new URL('../.dev-merchant.json', import.meta.url);
const saved = existsSync(MERCHANT_FILE) ? JSON.parse(readFileSync(MERCHANT_FILE, 'utf8')) : undefined;
const fromUrl = /^https?:\/\//.test(args.button) ? new URL(args.button) : null;
const API_BASE = args.apiBase ?? process.env.API_BASE ?? fromUrl?.origin ?? saved?.dev?.api_base ?? DEFAULT_API_BASE;
const RPC_URL = args.rpcUrl ?? process.env.RPC_URL ?? saved?.dev?.rpc_url ?? DEFAULT_RPC_URL;
const buttonId = fromUrl ? fromUrl.pathname.split('/').filter(Boolean).pop() : args.button;
if (!/^btn_[0-9A-Za-z]{32}$/.test(buttonId ?? '')) exit(`not a button id or checkout_url: ${args.button}\n${USAGE}`, 2);

const pageUrl = `${API_BASE}/subscribe/${buttonId}`;
const terms = await readTerms(args.cancel ? `${pageUrl}?mandate=${args.cancel}` : pageUrl);
const chain = defineChain({
  id: terms.chainId,
  name: `chain ${terms.chainId}`,
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [RPC_URL] } },
});
const publicClient = createPublicClient({ chain, transport: http(RPC_URL), cacheTime: 0 });
const rpcChainId = await publicClient
  .getChainId()
  .catch((error) => exit(`cannot reach the chain at ${RPC_URL} (${error.shortMessage ?? error.message}); is \`npm run dev\` running?`));
if (rpcChainId !== terms.chainId) exit(`the chain at ${RPC_URL} has chain id ${rpcChainId}, but the item is on chain ${terms.chainId}`);
const account = privateKeyToAccount(PAYER_KEY);
const wallet = createWalletClient({ account, chain, transport: http(RPC_URL) });

if (args.cancel) {
  if (!terms.mandate) exit(`${args.cancel} is not a mandate of this button`);
  const { contract, onchainId } = terms.mandate;
  await mined(
    await wallet.writeContract({ address: contract, abi: VIRTUAL_ACCOUNTS_ABI, functionName: 'cancel', args: [onchainId] }),
    'cancel',
  );
  console.log(`canceled ${args.cancel} on chain (${onchainId} on ${contract}); the service notices it from the chain`);
  process.exit(0);
}

const accountType = args.account ?? (terms.contracts.connected_wallet ? 'connected_wallet' : 'virtual_account');
const contract = terms.contracts[accountType];
if (!contract) exit(`the item's network has no ${accountType} contract (the native coin is only debited from a deposit)`);
const total = terms.maxAmount * BigInt(terms.debitTimes);
const token = terms.token;

if (args.drain) {
  if (accountType === 'connected_wallet') {
    await approve(0n);
    console.log(`allowance of ${contract} set to 0: the next debit finds it short`);
  } else {
    const balance = await depositBalance();
    if (balance > 0n) {
      await mined(
        await wallet.writeContract({
          address: contract,
          abi: VIRTUAL_ACCOUNTS_ABI,
          functionName: 'withdraw',
          args: [token ?? ZERO_ADDRESS, balance],
        }),
        'withdraw',
      );
    }
    console.log(`withdrew ${balance} base units: the deposit is 0, the next debit finds it short`);
  }
  process.exit(0);
}

await fund();
if (args.topUp) process.exit(0);

// Sign the mandate over the item's terms, as the page does, and post it to the page's endpoint.
const start = Math.floor(Date.now() / 1000);
const message = {
  payer: account.address,
  payee: terms.payee,
  token: token ?? ZERO_ADDRESS,
  maxAmount: terms.maxAmount,
  debitTimes: terms.debitTimes,
  interval: BigInt(terms.interval),
  start: BigInt(start),
  validBefore: BigInt(start + VALID_FOR_S),
  salt: toHex(crypto.getRandomValues(new Uint8Array(32))),
};
const name = accountType === 'connected_wallet' ? 'ConnectedWallets' : 'VirtualAccounts';
const signature = await account.signTypedData({
  domain: { name, version: '1', chainId: terms.chainId, verifyingContract: contract },
  types: MANDATE_TYPES,
  primaryType: 'Mandate',
  message,
});
const res = await fetch(terms.mandatesUrl, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({
    account_type: accountType,
    payer: account.address,
    start,
    valid_before: start + VALID_FOR_S,
    salt: message.salt,
    signature,
  }),
});
const answer = await res.json().catch(() => ({}));
if (!res.ok) exit(`POST ${terms.mandatesUrl} answered ${res.status}: ${JSON.stringify(answer.error ?? answer)}`);
console.log(`subscribed: ${answer.id} (${answer.status}), on chain ${answer.onchain_id}`);
console.log(`its page: ${pageUrl}?mandate=${answer.id}`);

// --- helpers -------------------------------------------------------------------------------------

/** Approves or deposits every debit's worth, whichever the account type needs. */
async function fund() {
  if (accountType === 'connected_wallet') {
    await approve(args.unlimited ? maxUint256 : total);
    console.log(`approved ${contract} for ${args.unlimited ? 'an unlimited amount' : `${total} base units`} of ${token}`);
    return;
  }
  if (token) {
    await mined(await wallet.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [contract, total] }), 'approve');
  }
  await mined(
    await wallet.writeContract({
      address: contract,
      abi: VIRTUAL_ACCOUNTS_ABI,
      functionName: 'deposit',
      args: [token ?? ZERO_ADDRESS, total],
      value: token ? 0n : total,
    }),
    'deposit',
  );
  console.log(`deposited ${total} base units into ${contract}; the deposit is now ${await depositBalance()}`);
}

async function approve(amount) {
  if (!token) exit('the native coin has no allowance: use --account virtual_account');
  await mined(await wallet.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [contract, amount] }), 'approve');
}

function depositBalance() {
  return publicClient.readContract({
    address: contract,
    abi: VIRTUAL_ACCOUNTS_ABI,
    functionName: 'balanceOf',
    args: [account.address, token ?? ZERO_ADDRESS],
  });
}

async function mined(hash, what) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 250 });
  if (receipt.status !== 'success') exit(`${what} reverted (${hash})`);
  return receipt;
}

/** The item's terms as its page renders them for its script (data attributes of <main>), and a mandate's (?mandate=). */
async function readTerms(url) {
  const res = await fetch(url, { headers: { Accept: 'text/html' } }).catch((error) =>
    exit(`cannot reach ${url} (${error.message}); is \`npm run dev\` running?`),
  );
  if (res.status === 404) exit(`no subscribe page at ${url}: an unknown button`);
  if (!res.ok) exit(`GET ${url} answered ${res.status}`);
  const html = await res.text();
  const attr = (section, name) => {
    const found = new RegExp(`<${section}[^>]*\\sdata-${name}="([^"]*)"`, 's').exec(html);
    return found ? found[1].replaceAll('&amp;', '&') : '';
  };
  if (attr('main', 'active') !== 'true') exit('the item was deactivated: it takes no subscriptions');
  const mandateId = attr('section', 'id');
  return {
    chainId: Number(attr('main', 'chain-id')),
    token: attr('main', 'token') ? getAddress(attr('main', 'token')) : null,
    payee: getAddress(attr('main', 'payee')),
    maxAmount: BigInt(attr('main', 'max-amount')),
    debitTimes: Number(attr('main', 'debit-times')),
    interval: Number(attr('main', 'interval')),
    contracts: {
      connected_wallet: attr('main', 'connected-wallets') || undefined,
      virtual_account: attr('main', 'virtual-accounts') || undefined,
    },
    mandatesUrl: attr('main', 'mandates-url'),
    mandate: mandateId ? { contract: attr('section', 'contract'), onchainId: attr('section', 'onchain-id') } : null,
  };
}

function exit(message, code = 1) {
  console.error(message);
  process.exit(code);
}

function parseArgs(list) {
  const parsed = {};
  for (let i = 0; i < list.length; i++) {
    const arg = list[i];
    const value = list[i + 1];
    if (arg === '--account' && (value === 'connected_wallet' || value === 'virtual_account')) parsed.account = value;
    else if (arg === '--api-base' && value) parsed.apiBase = value;
    else if (arg === '--rpc-url' && value) parsed.rpcUrl = value;
    else if (arg === '--cancel' && /^mdt_[0-9A-Za-z]{24}$/.test(value ?? '')) parsed.cancel = value;
    else if (arg === '--unlimited' || arg === '--drain' || arg === '--top-up') {
      parsed[{ '--unlimited': 'unlimited', '--drain': 'drain', '--top-up': 'topUp' }[arg]] = true;
      continue;
    } else if (!arg.startsWith('--') && parsed.button === undefined) {
      parsed.button = arg;
      continue;
    } else exit(USAGE, 2);
    i++;
  }
  if (!parsed.button || [parsed.drain, parsed.topUp, parsed.cancel].filter(Boolean).length > 1) exit(USAGE, 2);
  return parsed;
}
