#!/usr/bin/env node
/**
 * Pays a crypto payment intent as a customer's wallet would, from anvil's first default account on
 * the local chain of `npm run dev`, then watches the intent until it settles. README: "Crypto
 * payments (local chain)".
 *
 *   node scripts/pay-intent.mjs <pi_id> [--amount <base units>] [--api-base <url>] [--rpc-url <url>]
 *
 * --amount sends that many base units instead of the amount asked (fewer show a partial payment).
 * The server and its chain, first found wins: --api-base / --rpc-url, the environment's API_BASE /
 * RPC_URL, the URLs `npm run dev` saved in .dev-merchant.json (`dev`: the running one, or the last
 * one), then http://127.0.0.1:8787 and http://127.0.0.1:8545. The key: SK or STRIPE_SECRET_KEY,
 * else the test secret key in .dev-merchant.json.
 */
import { createPublicClient, createWalletClient, defineChain, erc20Abi, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { DEFAULT_API_BASE, DEFAULT_RPC_URL, devTarget, exit, PAYER_KEY } from './dev-target.mjs';

const USAGE = 'usage: node scripts/pay-intent.mjs <pi_id> [--amount <base units>] [--api-base <url>] [--rpc-url <url>]';
/** Without a change in the intent this long after the transfer is mined, the API may be watching another chain. */
const UNSEEN_HINT_MS = 10_000;

const { id, amountArg, apiBaseArg, rpcUrlArg } = parseArgs(process.argv.slice(2));
const { apiBase: API_BASE, rpcUrl: RPC_URL, secretKey } = devTarget({ apiBaseArg, rpcUrlArg });

const intent = await getIntent();
const transfer = intent.next_action?.crypto_transfer;
if (intent.status !== 'requires_action' || intent.next_action?.type !== 'crypto_transfer') {
  exit(`${id} is ${intent.status}, not waiting for a crypto transfer (confirm it with payment_method_types[]=crypto first)`);
}
// What is still due: the whole amount, or the rest after a partial payment.
const amount = BigInt(amountArg ?? transfer.amount_remaining);
console.log(
  `${id}: ${transfer.amount_remaining_display} of ${transfer.amount_display} ${transfer.token} due; paying ${amount} base units ` +
    `to ${transfer.deposit_address} on ${transfer.network} (${RPC_URL}), before ${new Date(transfer.expires_at * 1000).toISOString()}`,
);

// Send: an ERC-20 transfer, or plain eth when token_address is null (the native coin).
const chain = defineChain({
  id: transfer.chain_id,
  name: transfer.network,
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [RPC_URL] } },
});
const publicClient = () => createPublicClient({ chain, transport: http(RPC_URL), pollingInterval: 250 });
// The chain at RPC_URL must be the network the intent names: the same chain id, and its token there.
const rpcChainId = await publicClient()
  .getChainId()
  .catch((error) => exit(`cannot reach the chain at ${RPC_URL} (${error.shortMessage ?? error.message}); is \`npm run dev\` running?`));
if (rpcChainId !== transfer.chain_id) {
  exit(
    `the chain at ${RPC_URL} has chain id ${rpcChainId}, but ${id} is to be paid on ${transfer.network} (chain id ${transfer.chain_id})`,
  );
}
if (transfer.token_address && (await publicClient().getCode({ address: transfer.token_address })) === undefined) {
  exit(
    `the chain at ${RPC_URL} has no contract at ${transfer.token_address} (${transfer.token}): not the chain of the server at ${API_BASE}?`,
  );
}
const account = privateKeyToAccount(PAYER_KEY);
const wallet = createWalletClient({ account, chain, transport: http(RPC_URL) });
const hash = transfer.token_address
  ? await wallet.writeContract({
      address: transfer.token_address,
      abi: erc20Abi,
      functionName: 'transfer',
      args: [transfer.deposit_address, amount],
    })
  : await wallet.sendTransaction({ to: transfer.deposit_address, value: amount });
const receipt = await publicClient().waitForTransactionReceipt({ hash });
if (receipt.status !== 'success') exit(`transaction ${hash} reverted`);
console.log(`sent ${amount} base units from ${account.address}: tx ${hash} (block ${receipt.blockNumber})`);

// Watch: the service sees the transfer at once (processing) and counts it once it has enough
// confirmations. An underpayment leaves the intent waiting for the rest: stop once it is confirmed.
const due = BigInt(transfer.amount);
const confirmedBefore = BigInt(intent.crypto.amount_confirmed);
const seenBefore = BigInt(intent.crypto.amount_seen);
const started = Date.now();
let last;
let hinted = false;
while (Date.now() - started < 60_000) {
  const { status, crypto, amount_received, cancellation_reason } = await getIntent();
  const line = `${status}  seen ${crypto.amount_seen}, confirmed ${crypto.amount_confirmed} of ${due}  amount_received=${amount_received}${cancellation_reason ? ` (${cancellation_reason})` : ''}`;
  if (line !== last) {
    console.log(`+${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${line}`);
    last = line;
  }
  if (status === 'succeeded') process.exit(0);
  if (status === 'canceled') process.exit(1);
  const confirmed = BigInt(crypto.amount_confirmed);
  if (status === 'requires_action' && confirmed > confirmedBefore) {
    exit(`partially paid: ${due - confirmed} base units still due (${command(id)} pays the rest)`);
  }
  if (!hinted && Date.now() - started > UNSEEN_HINT_MS && BigInt(crypto.amount_seen) <= seenBefore && status === intent.status) {
    hinted = true;
    console.log(
      `the server at ${API_BASE} has not seen the transfer yet: is ${RPC_URL} its chain? (\`npm run dev\` prints both; ` +
        'they are saved in .dev-merchant.json)',
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}
exit('no change for 60 s');

async function getIntent() {
  const res = await fetch(`${API_BASE}/v1/payment_intents/${id}`, { headers: { Authorization: `Bearer ${secretKey}` } });
  const body = await res.json();
  if (res.status !== 200) exit(`GET /v1/payment_intents/${id} answered ${res.status}: ${JSON.stringify(body.error ?? body)}`);
  return body;
}

function parseArgs(args) {
  const parsed = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = args[i + 1];
    if (arg === '--amount' && /^\d+$/.test(value ?? '')) parsed.amountArg = value;
    else if (arg === '--api-base' && value) parsed.apiBaseArg = value;
    else if (arg === '--rpc-url' && value) parsed.rpcUrlArg = value;
    else if (arg.startsWith('pi_') && parsed.id === undefined) {
      parsed.id = arg;
      continue;
    } else exit(USAGE, 2);
    i++;
  }
  if (!parsed.id) exit(USAGE, 2);
  return parsed;
}

/** This script again for `pi`, with API_BASE / RPC_URL when they are not the defaults: it can be pasted anywhere. */
function command(pi) {
  const env = [
    ...(API_BASE === DEFAULT_API_BASE ? [] : [`API_BASE=${API_BASE}`]),
    ...(RPC_URL === DEFAULT_RPC_URL ? [] : [`RPC_URL=${RPC_URL}`]),
  ];
  return [...env, 'node scripts/pay-intent.mjs', pi].join(' ');
}
