/**
 * capture_method=manual for crypto, end to end on a real anvil (`escrowIntentsChain`, CHAINS network
 * `escrowpay`, contracts/Escrow.sol deployed, the test relayer allowed), with the official stripe SDK
 * as the merchant's client. The payer (anvil account 1) locks the amount in the escrow under the
 * intent's id; the intent's own poll sees the lock and holds it for capture; capture has the relayer
 * release it to the deposit address, cancel has it refund the payer. Also: a reorg of the lock, a
 * stranger's lock and wrong terms (recorded, refunded, never counted), concurrent captures (one
 * release), another merchant (404), a partial capture (400), the payer's signed deposit sent by the
 * relayer, and last (it moves the chain's clock past every deadline) the payer's reclaim.
 */
import { env } from 'cloudflare:test';
import type Stripe from 'stripe';
import { type Address, erc20Abi, getAddress, type Hex } from 'viem';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ESCROW_ABI } from '../../src/chain/escrow.js';
import { relayer } from '../../src/chain/relayer.js';
import { chainClient, randomXpub } from '../chain/local-chain-client.js';
import { openMailbox, type TestMailbox } from '../webhooks/receiver-client.js';
import { ADMIN_TOKEN, call, createMerchant, get, post, stripeClient, waitFor } from '../helpers.js';

const info = inject('escrowIntentsChain');
const chain = chainClient(info);
const ESCROW = getAddress((JSON.parse(info.chains) as { local: { escrow_contract: string } }).local.escrow_contract);
const PAYER = 1;
const STRANGER = 2;
const NETWORK = 'escrowpay';
/** Base units of USDC for 10.99 usd. */
const DUE = 10_990_000n;

let sk: string;
let pk: string;
let stripe: Stripe;

beforeAll(async () => {
  const merchant = await createMerchant('Escrow intents');
  sk = merchant.keys.test.secret;
  pk = merchant.keys.test.publishable;
  stripe = stripeClient(sk);
  const set = await call(`/v1/admin/merchants/${merchant.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: randomXpub() } });
  expect(set.status).toBe(200);
  for (const who of [PAYER, STRANGER]) {
    await chain.payUsdc(address(who), 1_000_000_000n);
    await chain.mined(
      await chain
        .wallet(who)
        .writeContract({ address: chain.usdc.address, abi: erc20Abi, functionName: 'approve', args: [ESCROW, 2n ** 255n] }),
    );
  }
});

/** A webhook endpoint of the merchant at a mailbox of the real receiver, for the escrow's events. */
async function webhookMailbox(): Promise<TestMailbox> {
  const mailbox = await openMailbox({ secrets: [] });
  const { res, body: endpoint } = await post(sk, '/v1/webhook_endpoints', {
    url: mailbox.url,
    enabled_events: ['payment_intent.amount_capturable_updated', 'payment_intent.succeeded', 'charge.succeeded', 'charge.captured'],
  });
  expect(res.status).toBe(200);
  const reset = await fetch(mailbox.url.replace('/hooks/', '/mailboxes/'), {
    method: 'PUT',
    body: JSON.stringify({ secrets: [endpoint.secret] }),
  });
  expect(reset.status).toBe(204);
  return mailbox;
}

function address(index: number): Address {
  return getAddress(chain.info.accounts[index]!.address);
}

function usdcOf(who: Address): Promise<bigint> {
  return chain.publicClient.readContract({ address: chain.usdc.address, abi: erc20Abi, functionName: 'balanceOf', args: [who] });
}

interface EscrowAction {
  contract: Address;
  escrow_id: Hex;
  token_address: Address;
  amount: string;
  merchant: Address;
  deadline: number;
  valid_before: number;
  typed_data: { domain: Record<string, unknown>; types: Record<string, unknown>; primaryType: 'Deposit'; message: Record<string, string> };
}

/** A 10.99 usd crypto intent with capture_method manual on escrowpay, confirmed: its next_action is the escrow deposit. */
async function escrowIntent(client: Stripe = stripe) {
  const created = await client.paymentIntents.create({
    amount: 1099,
    currency: 'usd',
    capture_method: 'manual',
    payment_method_types: ['crypto'],
    payment_method_options: { crypto: { network: NETWORK, token: 'usdc' } },
  } as unknown as Stripe.PaymentIntentCreateParams);
  const confirmed = await client.paymentIntents.confirm(created.id);
  expect(confirmed.status).toBe('requires_action');
  const action = (confirmed.next_action as unknown as { crypto_escrow_deposit: EscrowAction }).crypto_escrow_deposit;
  expect(action).toMatchObject({ contract: ESCROW, amount: DUE.toString(), token_address: getAddress(chain.usdc.address) });
  return { id: created.id, action };
}

/** The payer locks `amount` for the intent directly on the contract (deposit), with the intent's terms unless told otherwise. */
async function lockDirectly(action: EscrowAction, who = PAYER, terms: Partial<{ amount: bigint; merchant: Address }> = {}) {
  const hash = await chain.wallet(who).writeContract({
    address: ESCROW,
    abi: ESCROW_ABI,
    functionName: 'deposit',
    args: [
      action.escrow_id,
      action.token_address,
      terms.amount ?? BigInt(action.amount),
      terms.merchant ?? action.merchant,
      BigInt(action.deadline),
    ],
  });
  return chain.mined(hash);
}

async function intent(id: string) {
  return (await get(sk, `/v1/payment_intents/${id}`)).body;
}

/** Mines blocks until `done` holds (the poll needs its confirmations, and automine adds a block per transaction only). */
async function mineUntil(done: () => Promise<boolean>, timeoutMs = 20_000) {
  await waitFor(async () => {
    if (await done()) return true;
    await chain.mine(1);
    return false;
  }, timeoutMs);
}

describe('an escrowed crypto intent (capture_method manual)', () => {
  it('is held once the lock is confirmed, released to the deposit address on capture, and succeeds', async () => {
    const mailbox = await webhookMailbox();
    const { id, action } = await escrowIntent();
    const merchantBefore = await usdcOf(action.merchant);
    const lock = await lockDirectly(action);
    await mineUntil(async () => (await intent(id)).status === 'requires_capture');
    const held = await stripe.paymentIntents.retrieve(id);
    expect(held).toMatchObject({ status: 'requires_capture', amount_capturable: 1099, amount_received: 0 });
    const escrow = (held as unknown as { crypto: { escrow: Record<string, unknown> } }).crypto.escrow;
    expect(escrow).toMatchObject({
      status: 'locked',
      contract: ESCROW,
      lock: { payer: address(PAYER), transaction: lock.transactionHash },
    });
    // The merchant's webhook events: amount_capturable_updated.
    await waitFor(async () =>
      (
        (await get(sk, '/v1/events?type=payment_intent.amount_capturable_updated')).body.data as { data: { object: { id: string } } }[]
      ).some((e) => e.data.object.id === id),
    );

    const captured = await stripe.paymentIntents.capture(id);
    expect(captured.status).toBe('requires_capture');
    await mineUntil(async () => (await intent(id)).status === 'succeeded');
    expect(await usdcOf(action.merchant)).toBe(merchantBefore + DUE);
    const done = await stripe.paymentIntents.retrieve(id);
    expect(done).toMatchObject({ status: 'succeeded', amount_received: 1099, amount_capturable: 0 });
    const charge = await stripe.charges.retrieve(done.latest_charge as string);
    expect(charge).toMatchObject({ captured: true, amount_captured: 1099 });
    const released = (done as unknown as { crypto: { escrow: { outcome: { status: string; transaction: string } } } }).crypto.escrow
      .outcome;
    expect(released.status).toBe('released');
    expect((charge.payment_method_details as unknown as { crypto: { transactions: string[] } }).crypto.transactions).toEqual([
      lock.transactionHash,
      released.transaction,
    ]);
    // What the merchant's endpoint heard, signed: held (amount_capturable_updated), captured, succeeded.
    let types: string[] = [];
    await waitFor(async () => {
      const bodies = (await mailbox.received()).filter((r) => r.verifiedStripe).map((r) => JSON.parse(r.body));
      types = bodies.filter((b) => [id, done.latest_charge].includes(b.data.object.id)).map((b) => b.type);
      return types.includes('payment_intent.succeeded') && types.includes('charge.captured');
    }, 15_000);
    expect(types).toEqual(
      expect.arrayContaining([
        'payment_intent.amount_capturable_updated',
        'charge.succeeded',
        'charge.captured',
        'payment_intent.succeeded',
      ]),
    );
  });

  it('canceled while held: the relayer refunds the payer, and the charge is refunded', async () => {
    const { id, action } = await escrowIntent();
    await lockDirectly(action);
    await mineUntil(async () => (await intent(id)).status === 'requires_capture');
    const payerBefore = await usdcOf(address(PAYER));
    const canceled = await stripe.paymentIntents.cancel(id, { cancellation_reason: 'requested_by_customer' });
    expect(canceled.status).toBe('canceled');
    await mineUntil(async () => (await intent(id)).crypto.escrow.outcome?.status === 'refunded');
    expect(await usdcOf(address(PAYER))).toBe(payerBefore + DUE);
    const charge = await stripe.charges.retrieve((await stripe.paymentIntents.retrieve(id)).latest_charge as string);
    expect(charge).toMatchObject({ refunded: true, amount_refunded: 1099 });
  });

  it('goes back to requires_action when a reorg removes the lock', async () => {
    const { id, action } = await escrowIntent();
    const snapshot = await chain.rpc<string>('evm_snapshot');
    await lockDirectly(action);
    await mineUntil(async () => ['processing', 'requires_capture'].includes((await intent(id)).status));
    await chain.rpc('evm_revert', [snapshot]);
    await mineUntil(async () => (await intent(id)).status === 'requires_action');
    expect(await intent(id)).toMatchObject({
      status: 'requires_action',
      amount_capturable: 0,
      next_action: { type: 'crypto_escrow_deposit' },
    });
  });

  it("a stranger's tiny lock under the intent's id does not block the payer, and is refunded", async () => {
    const { id, action } = await escrowIntent();
    const strangerBefore = await usdcOf(address(STRANGER));
    await lockDirectly(action, STRANGER, { amount: 1n });
    await lockDirectly(action);
    await mineUntil(async () => (await intent(id)).status === 'requires_capture');
    await mineUntil(async () => (await intent(id)).crypto.escrow.uncounted_locks[0]?.status === 'refunded');
    const held = await intent(id);
    expect(held.crypto.escrow.lock.payer).toBe(address(PAYER));
    expect(held.crypto.escrow.uncounted_locks).toEqual([
      expect.objectContaining({ payer: address(STRANGER), amount: '1', reason: 'wrong_terms', refund_requested: true }),
    ]);
    expect(await usdcOf(address(STRANGER))).toBe(strangerBefore);
  });

  it('a lock with wrong terms (another merchant) is not counted, and is refunded', async () => {
    const { id, action } = await escrowIntent();
    await lockDirectly(action, PAYER, { merchant: address(STRANGER) });
    await mineUntil(async () => (await intent(id)).crypto.escrow.uncounted_locks[0]?.status === 'refunded');
    expect(await intent(id)).toMatchObject({ status: 'requires_action', amount_capturable: 0 });
  });

  it('concurrent captures send one release', async () => {
    const { id, action } = await escrowIntent();
    await lockDirectly(action);
    await mineUntil(async () => (await intent(id)).status === 'requires_capture');
    const answers = await Promise.allSettled([stripe.paymentIntents.capture(id), stripe.paymentIntents.capture(id)]);
    expect(answers.some((a) => a.status === 'fulfilled')).toBe(true);
    await mineUntil(async () => (await intent(id)).status === 'succeeded');
    // One attempt, under the intent's release id, and one Released log on chain.
    const attempt = await relayer(env, NETWORK).status(`${id}:escrow_release`);
    expect(attempt?.hashes).toHaveLength(1);
    const released = await chain.publicClient.getContractEvents({
      address: ESCROW,
      abi: ESCROW_ABI,
      eventName: 'Released',
      args: { intentId: action.escrow_id },
      fromBlock: 0n,
    });
    expect(released).toHaveLength(1);
  });

  it("the hosted page shows the lock's terms, not a transfer's QR code", async () => {
    const { id, action } = await escrowIntent();
    const hosted = new URL((await intent(id)).hosted_url);
    const page = await call(`${hosted.pathname}${hosted.search}`);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('id="escrow-instructions"');
    expect(text).toContain(action.escrow_id);
    expect(text).not.toContain('id="deposit-address"');
  });

  it("refuses another merchant's capture (404) and a partial capture (400 naming amount_to_capture)", async () => {
    const { id, action } = await escrowIntent();
    await lockDirectly(action);
    await mineUntil(async () => (await intent(id)).status === 'requires_capture');
    const other = await createMerchant('Someone else');
    const stranger = await post(other.keys.test.secret, `/v1/payment_intents/${id}/capture`);
    expect(stranger.res.status).toBe(404);
    const partial = await post(sk, `/v1/payment_intents/${id}/capture`, { amount_to_capture: 500 });
    expect(partial.res.status).toBe(400);
    expect(partial.body.error).toMatchObject({ param: 'amount_to_capture' });
    expect((await intent(id)).status).toBe('requires_capture');
  });

  it("takes the payer's signed deposit from a browser: the relayer locks it, the payer sends no deposit", async () => {
    const { id, action } = await escrowIntent();
    const { client_secret } = await intent(id);
    const payer = chain.wallet(PAYER);
    const message = { ...action.typed_data.message, payer: address(PAYER) };
    const signature = await payer.signTypedData({ ...action.typed_data, message } as unknown as Parameters<typeof payer.signTypedData>[0]);
    // A signature by someone else is refused, naming it.
    const forged = await post(pk, `/v1/payment_intents/${id}/escrow_deposit`, { signature, signer: address(STRANGER), client_secret });
    expect(forged.res.status).toBe(400);
    expect(forged.body.error).toMatchObject({ param: 'signature' });
    const sent = await post(pk, `/v1/payment_intents/${id}/escrow_deposit`, { signature, signer: address(PAYER), client_secret });
    expect(sent.res.status, JSON.stringify(sent.body)).toBe(200);
    expect(sent.body.crypto.escrow.deposit_signer).toBe(address(PAYER));
    await mineUntil(async () => (await intent(id)).status === 'requires_capture');
    const deposit = await relayer(env, NETWORK).status(`${id}:escrow_deposit`);
    expect((await intent(id)).crypto.escrow.lock.transaction).toBe(deposit?.hash);
  });
});

describe('the deadline (last: it moves the chain past every deadline, and back)', () => {
  it('the payer reclaims alone after it: the intent is canceled and the reclaim recorded', async () => {
    const { id, action } = await escrowIntent();
    await lockDirectly(action);
    await mineUntil(async () => (await intent(id)).status === 'requires_capture');
    // Other files use this chain: its clock goes back (evm_revert) once the reclaim is recorded.
    const beforeTheDeadline = await chain.rpc<string>('evm_snapshot');
    await chain.rpc('evm_increaseTime', [action.deadline - Math.floor(Date.now() / 1000) + 60]);
    await chain.mine(1);
    const before = await usdcOf(address(PAYER));
    await chain.mined(
      await chain.wallet(PAYER).writeContract({ address: ESCROW, abi: ESCROW_ABI, functionName: 'reclaim', args: [action.escrow_id] }),
    );
    await mineUntil(async () => (await intent(id)).status === 'canceled');
    const canceled = await intent(id);
    expect(canceled).toMatchObject({
      cancellation_reason: 'automatic',
      crypto: { escrow: { status: 'reclaimed', outcome: { status: 'reclaimed' } } },
    });
    expect(await usdcOf(address(PAYER))).toBe(before + DUE);
    await chain.rpc('evm_revert', [beforeTheDeadline]);
    await chain.mine(1);
    const latest = await chain.publicClient.getBlock({ blockTag: 'latest' });
    expect(Number(latest.timestamp)).toBeLessThan(action.deadline);
  });
});
