#!/usr/bin/env node
/**
 * Sends a crypto refund as a merchant's wallet would, on the local chain of `npm run dev`, then
 * watches the refund until it succeeds. README: "Crypto refunds without keys".
 *
 *   node scripts/refund-intent.mjs <re_id> [--amount <base units>] [--to <address>] [--api-base <url>] [--rpc-url <url>]
 *
 * The service holds no key: a crypto refund waits (`pending`) with next_action.crypto_refund, and this
 * script sends exactly what it asks (the amount in base units, of the token, to the destination) from
 * anvil's second default account, standing in for the merchant's wallet. That account is first funded
 * with the token from the demo payer (anvil's first account) when it holds too little, and says so.
 * --amount and --to send another amount or to another address instead: the refund does not count such a
 * transfer, and the script shows it still pending once the transfer would have had its confirmations.
 * The server, its chain and the key are found as scripts/pay-intent.mjs finds them: --api-base / --rpc-url,
 * API_BASE / RPC_URL, the URLs `npm run dev` saved in .dev-merchant.json, then http://127.0.0.1:8787 and
 * http://127.0.0.1:8545; SK or STRIPE_SECRET_KEY, else the test secret key in .dev-merchant.json.
 */
import { createPublicClient, createWalletClient, defineChain, erc20Abi, formatUnits, getAddress, http, isAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { devTarget, exit, PAYER_KEY } from './dev-target.mjs';

/** anvil's second default account (public test mnemonic), standing in for the merchant's own wallet. */
const MERCHANT_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
/** Whole tokens moved from the payer when the merchant's wallet holds less than the refund (or the refund, if more). */
const FUNDING_TOKENS = 1_000n;
const USAGE = 'usage: node scripts/refund-intent.mjs <re_id> [--amount <base units>] [--to <address>] [--api-base <url>] [--rpc-url <url>]';
const TIMEOUT_MS = 60_000;
/** Without a transaction_hash on the refund this long after the transfer is mined, the API may be watching another chain. */
const UNSEEN_HINT_MS = 10_000;

const { id, amountArg, toArg, apiBaseArg, rpcUrlArg } = parseArgs(process.argv.slice(2));
const { apiBase: API_BASE, rpcUrl: RPC_URL, secretKey } = devTarget({ apiBaseArg, rpcUrlArg });

const refund = await get(`/v1/refunds/${id}`);
const asked = refund.next_action?.crypto_refund;
if (refund.status !== 'pending' || refund.next_action?.type !== 'crypto_refund') {
  const hash = refund.destination_details?.crypto?.transaction_hash;
  exit(
    refund.destination_details?.type === 'crypto'
      ? `${id} is ${refund.status}${hash ? ` (transaction ${hash})` : ''}: nothing to send`
      : `${id} is not a crypto refund (it is ${refund.status}): nothing to send on chain`,
  );
}
const token = asked.token;
const destination = getAddress(asked.destination);
const amount = BigInt(amountArg ?? asked.amount);
const to = toArg === undefined ? destination : getAddress(toArg);
const wrong = [
  ...(amount === BigInt(asked.amount) ? [] : [`${amount} base units instead of ${asked.amount}`]),
  ...(to === destination ? [] : [`to ${to} instead of ${destination}`]),
];
const tokens = (units) => `${formatUnits(units, token.decimals)} ${token.symbol}`;
console.log(
  `${id}: ${tokens(BigInt(asked.amount))} (${asked.amount} base units) to ${destination} on ${asked.network} (${RPC_URL}), ` +
    `counted from block ${BigInt(asked.from_block) + 1n}`,
);

const chain = defineChain({
  id: asked.chain_id,
  name: asked.network,
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [RPC_URL] } },
});
const publicClient = () => createPublicClient({ chain, transport: http(RPC_URL), pollingInterval: 250, cacheTime: 0 });
// The chain at RPC_URL must be the refund's network: the same chain id, and its token there.
const rpcChainId = await publicClient()
  .getChainId()
  .catch((error) => exit(`cannot reach the chain at ${RPC_URL} (${error.shortMessage ?? error.message}); is \`npm run dev\` running?`));
if (rpcChainId !== asked.chain_id) {
  exit(`the chain at ${RPC_URL} has chain id ${rpcChainId}, but ${id} is to be sent on ${asked.network} (chain id ${asked.chain_id})`);
}
if (token.address && (await publicClient().getCode({ address: token.address })) === undefined) {
  exit(`the chain at ${RPC_URL} has no contract at ${token.address} (${token.symbol}): not the chain of the server at ${API_BASE}?`);
}

const merchant = privateKeyToAccount(MERCHANT_KEY);
const payer = privateKeyToAccount(PAYER_KEY);
console.log(`from the merchant's wallet: ${merchant.address} (anvil account 1, standing in for the merchant's own)`);
await fundMerchant();

if (wrong.length > 0) console.log(`sending ${wrong.join(' and ')}: the refund does not count this transfer`);
const sentAt = Date.now();
const hash = await send(merchant, to, amount);
const receipt = await publicClient().waitForTransactionReceipt({ hash });
if (receipt.status !== 'success') exit(`transaction ${hash} reverted`);
console.log(`sent ${amount} base units to ${to}: tx ${hash} (block ${receipt.blockNumber})`);

// Watch: the network's watcher records the transfer on the refund (transaction_hash) as soon as it sees
// it, and the refund succeeds once the transfer has the network's confirmations. A wrong transfer is
// watched until it would have had them, and two blocks more, to show that the refund still waits.
const confirmations = wrong.length > 0 ? await confirmationsRequired() : 0;
let last;
let hinted = false;
while (Date.now() - sentAt < TIMEOUT_MS) {
  const head = wrong.length > 0 ? await publicClient().getBlockNumber() : 0n;
  const { status, destination_details } = await get(`/v1/refunds/${id}`);
  const seen = destination_details?.crypto?.transaction_hash ?? null;
  const line = `${status}  transaction_hash=${seen}`;
  if (line !== last) {
    console.log(`+${((Date.now() - sentAt) / 1000).toFixed(1).padStart(5)} s  ${line}`);
    last = line;
  }
  if (wrong.length > 0) {
    if (seen === hash) exit(`${id} counted ${hash}, a transfer it should not: ${wrong.join(' and ')}`);
    if (status !== 'pending') exit(`${id} is ${status}${seen ? ` (transaction ${seen}, not this one)` : ''}`);
    // Two blocks past the one that would have confirmed it: the watcher has read that block by now.
    const depth = head - receipt.blockNumber + 1n;
    if (depth >= BigInt(confirmations) + 2n) {
      console.log(
        `not counted: ${id} is still pending with ${depth} confirmations on ${hash} (the refund's transfer counts at ${confirmations}); ` +
          `it waits for exactly ${asked.amount} base units to ${destination}`,
      );
      process.exit(0);
    }
  } else {
    if (status === 'succeeded') {
      if (seen !== hash) console.log(`${id} was paid by another transfer (${seen}), not by ${hash}`);
      process.exit(0);
    }
    if (status !== 'pending') exit(`${id} is ${status}`);
    if (!hinted && seen === null && Date.now() - sentAt > UNSEEN_HINT_MS) {
      hinted = true;
      console.log(
        `the server at ${API_BASE} has not seen the transfer yet: is ${RPC_URL} its chain? (\`npm run dev\` prints both; ` +
          'they are saved in .dev-merchant.json)',
      );
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}
exit(`${id} did not succeed within ${TIMEOUT_MS / 1000} s of sending`);

/** An ERC-20 transfer, or plain eth when the token has no address (the native coin). */
function send(account, recipient, units) {
  const wallet = createWalletClient({ account, chain, transport: http(RPC_URL) });
  return token.address
    ? wallet.writeContract({ address: token.address, abi: erc20Abi, functionName: 'transfer', args: [recipient, units] })
    : wallet.sendTransaction({ to: recipient, value: units });
}

function balanceOf(owner) {
  return token.address
    ? publicClient().readContract({ address: token.address, abi: erc20Abi, functionName: 'balanceOf', args: [owner] })
    : publicClient().getBalance({ address: owner });
}

/** The merchant's wallet needs `amount` of the token (and some eth for gas, which anvil's accounts have). */
async function fundMerchant() {
  const balance = await balanceOf(merchant.address);
  // The native coin also pays the gas: keep a whole eth above the amount.
  const needed = token.address ? amount : amount + 10n ** 18n;
  if (balance >= needed) return;
  const topUp = FUNDING_TOKENS * 10n ** BigInt(token.decimals);
  const funding = needed - balance > topUp ? needed - balance : topUp;
  const hash = await send(payer, merchant.address, funding);
  const receipt = await publicClient().waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') exit(`funding the merchant's wallet: transaction ${hash} reverted`);
  console.log(
    `the merchant's wallet held ${tokens(balance)}: funded it with ${tokens(funding)} from the demo payer ${payer.address} (tx ${hash})`,
  );
}

/** The network's confirmations, as the refund's intent shows them. */
async function confirmationsRequired() {
  const intent = await get(`/v1/payment_intents/${refund.payment_intent}`);
  return intent.crypto.confirmations_required;
}

async function get(path) {
  const res = await fetch(`${API_BASE}${path}`, {
    headers: { Authorization: `Bearer ${secretKey}` },
    signal: AbortSignal.timeout(10_000),
  }).catch((error) => exit(`cannot reach the API at ${API_BASE} (${error.cause?.code ?? error.message}); is \`npm run dev\` running?`));
  const body = await res.json();
  if (res.status !== 200) exit(`GET ${path} answered ${res.status}: ${JSON.stringify(body.error ?? body)}`);
  return body;
}

function parseArgs(args) {
  const parsed = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = args[i + 1];
    if (arg === '--amount' && /^\d+$/.test(value ?? '')) parsed.amountArg = value;
    else if (arg === '--to' && isAddress(value ?? '', { strict: false })) parsed.toArg = value;
    else if (arg === '--api-base' && value) parsed.apiBaseArg = value;
    else if (arg === '--rpc-url' && value) parsed.rpcUrlArg = value;
    else if (arg.startsWith('re_') && parsed.id === undefined) {
      parsed.id = arg;
      continue;
    } else exit(USAGE, 2);
    i++;
  }
  if (!parsed.id) exit(USAGE, 2);
  return parsed;
}
