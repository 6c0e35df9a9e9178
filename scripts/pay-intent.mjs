#!/usr/bin/env node
/**
 * Pays a crypto payment intent as a customer's wallet would, from anvil's first default account on
 * the local chain of `npm run dev`, then watches the intent until it settles. README: "Crypto
 * payments (local chain)" and "Escrow contract".
 *
 *   node scripts/pay-intent.mjs <pi_id> [--amount <base units>] [--escrow direct|sign] [--reclaim]
 *                               [--contract <address>] [--api-base <url>] [--rpc-url <url>]
 *
 * --amount sends that many base units instead of the amount asked (fewer show a partial payment).
 * An intent that asks for an escrow deposit (next_action.crypto_escrow_deposit: contracts/Escrow.sol)
 * is paid into the escrow instead:
 *   --escrow direct (the default): the payer approves the escrow and calls deposit(...) itself, then
 *     the script watches the intent until the service has seen the deposit.
 *   --escrow sign: the payer signs the escrow's `Deposit` (EIP-712) and, when the token has EIP-2612,
 *     a permit for the escrow, and prints them as JSON for the merchant to post:
 *     {"signature", "signerAddress", "permit": {"deadline", "v", "r", "s"}} (no permit, after an
 *     on-chain approve, for a token without permits: the APIs take the permit as optional, never null).
 *     Nothing else goes to stdout. The Stripe wire's POST …/escrow_deposit names the signer `signer`.
 *   --reclaim: takes the payer's deposit for the intent back (reclaim), from its deadline on; the
 *     contract is --contract, else the intent's next_action, else found from the payer's Locked log.
 * The server and its chain, first found wins: --api-base / --rpc-url, the environment's API_BASE /
 * RPC_URL, the URLs `npm run dev` saved in .dev-merchant.json (`dev`: the running one, or the last
 * one), then http://127.0.0.1:8787 and http://127.0.0.1:8545. The key: SK or STRIPE_SECRET_KEY,
 * else the test secret key in .dev-merchant.json.
 */
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  erc20Abi,
  getAddress,
  http,
  isAddress,
  keccak256,
  parseAbi,
  parseSignature,
  stringToBytes,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { DEFAULT_API_BASE, DEFAULT_RPC_URL, devTarget, exit, PAYER_KEY } from './dev-target.mjs';

const USAGE =
  'usage: node scripts/pay-intent.mjs <pi_id> [--amount <base units>] [--escrow direct|sign] [--reclaim] [--contract <address>] ' +
  '[--api-base <url>] [--rpc-url <url>]';
/** What the payer uses of contracts/Escrow.sol (src/chain/escrow.ts has the whole ABI; scripts cannot import it). */
const ESCROW_ABI = parseAbi([
  'struct Held { address payer; uint64 deadline; uint8 status; address merchant; uint96 amount; address token; }',
  'function deposit(bytes32 intentId, address token, uint256 amount, address merchant, uint64 deadline)',
  'function reclaim(bytes32 intentId)',
  'function escrowOf(bytes32 intentId, address payer) view returns (Held)',
  'event Locked(bytes32 indexed intentId, address indexed payer, address indexed merchant, address token, uint256 amount, uint64 deadline)',
]);
const ESCROW_STATUSES = ['none', 'locked', 'released', 'refunded', 'reclaimed'];
const PERMIT_ABI = parseAbi([
  'function nonces(address owner) view returns (uint256)',
  'function name() view returns (string)',
  'function eip712Domain() view returns (bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)',
]);
/** Without a change in the intent this long after the transfer is mined, the API may be watching another chain. */
const UNSEEN_HINT_MS = 10_000;

const { id, amountArg, escrowArg, reclaimArg, contractArg, apiBaseArg, rpcUrlArg } = parseArgs(process.argv.slice(2));
const { apiBase: API_BASE, rpcUrl: RPC_URL, secretKey } = devTarget({ apiBaseArg, rpcUrlArg });
const account = privateKeyToAccount(PAYER_KEY);

const intent = await getIntent();
if (reclaimArg) await reclaim(intent);
if (intent.status === 'requires_action' && intent.next_action?.type === 'crypto_escrow_deposit') await payIntoEscrow(intent);
if (escrowArg) exit(`${id} is ${intent.status}, not waiting for an escrow deposit (next_action ${intent.next_action?.type ?? 'none'})`);
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
    else if (arg === '--escrow' && (value === 'direct' || value === 'sign')) parsed.escrowArg = value;
    else if (arg === '--contract' && isAddress(value ?? '')) parsed.contractArg = getAddress(value);
    else if (arg === '--reclaim') {
      parsed.reclaimArg = true;
      continue;
    } else if (arg === '--api-base' && value) parsed.apiBaseArg = value;
    else if (arg === '--rpc-url' && value) parsed.rpcUrlArg = value;
    else if (arg.startsWith('pi_') && parsed.id === undefined) {
      parsed.id = arg;
      continue;
    } else exit(USAGE, 2);
    i++;
  }
  if (!parsed.id) exit(USAGE, 2);
  if (parsed.reclaimArg && parsed.escrowArg) exit(`--reclaim takes a deposit back; it does not go with --escrow\n${USAGE}`, 2);
  return parsed;
}

// --- escrow -------------------------------------------------------------------------------------

/** The local chain's clients, checked to be the chain with id `chainId` when one is given. */
async function clients(chainId) {
  const probe = createPublicClient({ transport: http(RPC_URL) });
  const rpcChainId = await probe
    .getChainId()
    .catch((error) => exit(`cannot reach the chain at ${RPC_URL} (${error.shortMessage ?? error.message}); is \`npm run dev\` running?`));
  if (chainId !== undefined && rpcChainId !== chainId) {
    exit(`the chain at ${RPC_URL} has chain id ${rpcChainId}, but ${id} is to be paid on chain id ${chainId}`);
  }
  const chain = defineChain({
    id: rpcChainId,
    name: `chain ${rpcChainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [RPC_URL] } },
  });
  const publicClient = createPublicClient({ chain, transport: http(RPC_URL), pollingInterval: 250, cacheTime: 0 });
  const wallet = createWalletClient({ account, chain, transport: http(RPC_URL) });
  /** Simulates (a refusal exits, named), sends, and waits for the receipt. */
  const send = async (request, what) => {
    const { request: simulated } = await publicClient
      .simulateContract({ account, ...request })
      .catch((error) => exit(`${what} would be refused: ${error.shortMessage ?? error.message}`));
    const hash = await wallet.writeContract(simulated);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') exit(`${what}: transaction ${hash} reverted`);
    return receipt;
  };
  return { chainId: rpcChainId, publicClient, send };
}

/** The deposit the intent asks for, from the Stripe wire's next_action.crypto_escrow_deposit. */
function askedDeposit(asked) {
  const token = isAddress(asked.token ?? '') ? asked.token : asked.token_address;
  for (const [field, value] of Object.entries({ contract: asked.contract, token, merchant: asked.merchant })) {
    if (!isAddress(value ?? '')) exit(`next_action.crypto_escrow_deposit.${field} is not an address: ${JSON.stringify(value)}`);
  }
  for (const field of ['amount', 'deadline', 'valid_before']) {
    if (!/^\d+$/.test(String(asked[field] ?? '')))
      exit(`next_action.crypto_escrow_deposit.${field} is not a whole number: ${asked[field]}`);
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(asked.escrow_id ?? ''))
    exit(`next_action.crypto_escrow_deposit.escrow_id is not a bytes32: ${asked.escrow_id}`);
  return {
    contract: getAddress(asked.contract),
    intentId: asked.escrow_id,
    payer: account.address,
    token: getAddress(token),
    amount: BigInt(amountArg ?? asked.amount),
    merchant: getAddress(asked.merchant),
    deadline: BigInt(asked.deadline),
    validBefore: BigInt(asked.valid_before),
  };
}

/** Locks the payer's deposit (--escrow direct), or prints the signatures the merchant posts (--escrow sign). */
async function payIntoEscrow(intent) {
  const asked = intent.next_action.crypto_escrow_deposit;
  const { contract, ...deposit } = askedDeposit(asked);
  const { chainId, publicClient, send } = await clients(asked.chain_id);
  if ((await publicClient.getCode({ address: contract })) === undefined) {
    exit(`the chain at ${RPC_URL} has no contract at ${contract} (the escrow): not the chain of the server at ${API_BASE}?`);
  }
  const terms =
    `${deposit.amount} base units of ${deposit.token} for ${deposit.merchant} into the escrow ${contract} (chain ${chainId}), ` +
    `reclaimable from ${new Date(Number(deposit.deadline) * 1000).toISOString()}`;
  const approve = (amount) =>
    send({ address: deposit.token, abi: erc20Abi, functionName: 'approve', args: [contract, amount] }, 'approving the escrow');

  if (escrowArg === 'sign') {
    console.error(`${id}: signing ${terms}, for the merchant to post`);
    const signature = await account.signTypedData({
      domain: { name: 'Escrow', version: '1', chainId, verifyingContract: contract },
      types: {
        Deposit: [
          { name: 'intentId', type: 'bytes32' },
          { name: 'payer', type: 'address' },
          { name: 'token', type: 'address' },
          { name: 'amount', type: 'uint256' },
          { name: 'merchant', type: 'address' },
          { name: 'deadline', type: 'uint64' },
          { name: 'validBefore', type: 'uint64' },
        ],
      },
      primaryType: 'Deposit',
      message: deposit,
    });
    const permit = await signPermit(publicClient, chainId, contract, deposit);
    if (!permit) {
      console.error(`${deposit.token} has no EIP-2612 permit: the payer approves the escrow on chain instead (no permit to post)`);
      await approve(deposit.amount);
    }
    console.log(JSON.stringify({ signature, signerAddress: account.address, ...(permit ? { permit } : {}) }));
    process.exit(0);
  }

  console.log(`${id}: depositing ${terms}`);
  await approve(deposit.amount);
  const receipt = await send(
    {
      address: contract,
      abi: ESCROW_ABI,
      functionName: 'deposit',
      args: [deposit.intentId, deposit.token, deposit.amount, deposit.merchant, deposit.deadline],
    },
    'the deposit',
  );
  console.log(`locked by ${account.address}: tx ${receipt.transactionHash} (block ${receipt.blockNumber})`);
  // The service sees the Locked log and, once it has its confirmations, holds the intent for capture.
  const started = Date.now();
  let last;
  while (Date.now() - started < 60_000) {
    const { status, cancellation_reason } = await getIntent();
    if (status !== last) {
      console.log(
        `+${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${status}${cancellation_reason ? ` (${cancellation_reason})` : ''}`,
      );
      last = status;
    }
    if (status === 'requires_capture' || status === 'succeeded') process.exit(0);
    if (status === 'canceled') process.exit(1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  exit('no change for 60 s');
}

/** An EIP-2612 permit of exactly the deposit to the escrow, valid as long as the deposit's signature; undefined when the token has none. */
async function signPermit(publicClient, chainId, contract, deposit) {
  const read = (functionName, args = []) =>
    publicClient.readContract({ address: deposit.token, abi: PERMIT_ABI, functionName, args }).catch(() => undefined);
  const nonce = await read('nonces', [account.address]);
  if (nonce === undefined) return undefined;
  // EIP-5267 gives the token's own domain; without it, its name and version "1" (OpenZeppelin's ERC20Permit).
  const domain = await read('eip712Domain');
  const name = domain ? domain[1] : await read('name');
  const version = domain ? domain[2] : '1';
  const signature = await account.signTypedData({
    domain: { name, version, chainId, verifyingContract: deposit.token },
    types: {
      Permit: [
        { name: 'owner', type: 'address' },
        { name: 'spender', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
      ],
    },
    primaryType: 'Permit',
    message: { owner: account.address, spender: contract, value: deposit.amount, nonce, deadline: deposit.validBefore },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { deadline: Number(deposit.validBefore), v: Number(v ?? BigInt(yParity + 27)), r, s };
}

/** Takes the payer's deposit for the intent back, from its deadline on. */
async function reclaim(intent) {
  const escrowId = keccak256(stringToBytes(id));
  const { publicClient, send } = await clients(undefined);
  const contract = contractArg ?? intent.next_action?.crypto_escrow_deposit?.contract ?? (await lockedIn(publicClient, escrowId));
  const held = await publicClient
    .readContract({ address: contract, abi: ESCROW_ABI, functionName: 'escrowOf', args: [escrowId, account.address] })
    .catch((error) => exit(`cannot read the escrow at ${contract}: ${error.shortMessage ?? error.message}`));
  const status = ESCROW_STATUSES[held.status];
  if (status !== 'locked') exit(`${account.address} has no locked deposit for ${id} in ${contract} (${status}): nothing to reclaim`);
  const { timestamp } = await publicClient.getBlock();
  const deadline = new Date(Number(held.deadline) * 1000).toISOString();
  if (timestamp < held.deadline) {
    exit(
      `the deposit of ${held.amount} base units can be reclaimed from ${deadline}; the chain's time is ${new Date(Number(timestamp) * 1000).toISOString()}`,
    );
  }
  const receipt = await send({ address: contract, abi: ESCROW_ABI, functionName: 'reclaim', args: [escrowId] }, 'the reclaim');
  console.log(
    `${id}: reclaimed ${held.amount} base units of ${held.token} from the escrow ${contract} (deadline ${deadline}): ` +
      `tx ${receipt.transactionHash} (block ${receipt.blockNumber})`,
  );
  process.exit(0);
}

/** The escrow the payer locked the intent's deposit in, from its Locked log (the local chain is short enough to search whole). */
async function lockedIn(publicClient, escrowId) {
  const [log] = await publicClient.getLogs({
    event: ESCROW_ABI.find((item) => item.type === 'event' && item.name === 'Locked'),
    args: { intentId: escrowId, payer: account.address },
    fromBlock: 0n,
  });
  if (!log) exit(`${account.address} never locked a deposit for ${id} on ${RPC_URL} (name the escrow with --contract)`);
  return getAddress(log.address);
}

/** This script again for `pi`, with API_BASE / RPC_URL when they are not the defaults: it can be pasted anywhere. */
function command(pi) {
  const env = [
    ...(API_BASE === DEFAULT_API_BASE ? [] : [`API_BASE=${API_BASE}`]),
    ...(RPC_URL === DEFAULT_RPC_URL ? [] : [`RPC_URL=${RPC_URL}`]),
  ];
  return [...env, 'node scripts/pay-intent.mjs', pi].join(' ');
}
