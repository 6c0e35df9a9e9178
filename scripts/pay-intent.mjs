#!/usr/bin/env node
/**
 * Pays a crypto payment intent as a customer's wallet would, from anvil's first default account on
 * the local chain of `npm run dev`, then watches the intent until it settles. README: "Crypto
 * payments (local chain)".
 *
 *   node scripts/pay-intent.mjs <pi_id> [--amount <base units>]
 *
 * --amount sends that many base units instead of the amount asked (fewer show a partial payment).
 * Environment: SK or STRIPE_SECRET_KEY (default: the test secret key in .dev-merchant.json),
 * API_BASE (default http://127.0.0.1:8787), RPC_URL (default http://127.0.0.1:8545).
 */
import { readFileSync } from 'node:fs';
import { createPublicClient, createWalletClient, defineChain, erc20Abi, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

/** anvil's first default account (public test mnemonic): 10,000 eth and the demo usdc. */
const PAYER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const API_BASE = process.env.API_BASE ?? 'http://127.0.0.1:8787';
const RPC_URL = process.env.RPC_URL ?? 'http://127.0.0.1:8545';

const [id, flag, amountArg] = process.argv.slice(2);
if (!id?.startsWith('pi_') || (flag !== undefined && (flag !== '--amount' || !/^\d+$/.test(amountArg ?? '')))) {
  exit('usage: node scripts/pay-intent.mjs <pi_id> [--amount <base units>]', 2);
}
const secretKey =
  process.env.SK ??
  process.env.STRIPE_SECRET_KEY ??
  JSON.parse(readFileSync(new URL('../.dev-merchant.json', import.meta.url), 'utf8')).keys.test.secret;

const intent = await getIntent();
const transfer = intent.next_action?.crypto_transfer;
if (intent.status !== 'requires_action' || intent.next_action?.type !== 'crypto_transfer') {
  exit(`${id} is ${intent.status}, not waiting for a crypto transfer (confirm it with payment_method_types[]=crypto first)`);
}
// What is still due: the whole amount, or the rest after a partial payment.
const amount = BigInt(amountArg ?? transfer.amount_remaining);
console.log(
  `${id}: ${transfer.amount_remaining_display} of ${transfer.amount_display} ${transfer.token} due; paying ${amount} base units ` +
    `to ${transfer.deposit_address} on ${transfer.network}, before ${new Date(transfer.expires_at * 1000).toISOString()}`,
);

// Send: an ERC-20 transfer, or plain eth when token_address is null (the native coin).
const chain = defineChain({
  id: transfer.chain_id,
  name: transfer.network,
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [RPC_URL] } },
});
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
const receipt = await createPublicClient({ chain, transport: http(RPC_URL), pollingInterval: 250 }).waitForTransactionReceipt({ hash });
if (receipt.status !== 'success') exit(`transaction ${hash} reverted`);
console.log(`sent ${amount} base units from ${account.address}: tx ${hash} (block ${receipt.blockNumber})`);

// Watch: the service sees the transfer at once (processing) and counts it once it has enough
// confirmations. An underpayment leaves the intent waiting for the rest: stop once it is confirmed.
const due = BigInt(transfer.amount);
const confirmedBefore = BigInt(intent.crypto.amount_confirmed);
const started = Date.now();
let last;
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
    exit(`partially paid: ${due - confirmed} base units still due (node scripts/pay-intent.mjs ${id} pays the rest)`);
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

function exit(message, code = 1) {
  console.error(message);
  process.exit(code);
}
