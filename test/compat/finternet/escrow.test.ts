/**
 * Finternet's intents (004_…) held in escrow, end to end on a real chain: the escrow intents' anvil
 * (`finternetEscrowChain`, CHAINS network `escrowfin`, a chain of its own, contracts/Escrow.sol with the test relayer
 * allowed). The payer signs the escrow's Deposit from `data.typedData` and the relayer locks it, or
 * deposits itself; delivery confirmation releases it to the merchant's deposit address, a cancel
 * refunds it, and after the deadline the payer reclaims it alone. Balances, logs and `escrowOf` are
 * read from the chain; the intent is read through the family's wire, as its clients read it.
 *
 * Payers are anvil accounts 4 and 5 (they mint the demo USDC to themselves, so no other test's sender
 * is shared); account 6 plays the stranger. The deadline test moves the chain's clock inside an
 * evm_snapshot and reverts it afterwards, so the files after it see the chain's own time again.
 */
import { env, exports } from 'cloudflare:workers';
import { type Address, erc20Abi, type Hex, parseAbi } from 'viem';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ESCROW_ABI, escrowIdOf } from '../../../src/chain/escrow.js';
import { chainsConfig } from '../../../src/chain/registry.js';
import { chainClient, randomXpub } from '../../chain/local-chain-client.js';
import { ADMIN_TOKEN, call, createMerchant, stripeClient, type TestMerchant, waitFor } from '../../helpers.js';
import { openMailbox } from '../../webhooks/receiver-client.js';

const BASE = 'http://pay.test/finternet';
const chain = chainClient(inject('finternetEscrowChain'));
const ESCROW = chainsConfig(env).get('escrowfin')!.escrow_contract! as Address;
const PAYER = 4;
const SECOND_PAYER = 5;
const STRANGER = 6;
const address = (index: number) => chain.info.accounts[index]!.address as Address;
const MINT_ABI = parseAbi(['function mint(address to, uint256 amount)']);

let merchant: TestMerchant;
let sk: string;

beforeAll(async () => {
  merchant = await createMerchant('Finternet escrow merchant');
  sk = merchant.keys.test.secret;
  const set = await call(`/v1/admin/merchants/${merchant.id}/crypto`, { key: ADMIN_TOKEN, json: { xpub: randomXpub() } });
  expect(set.status).toBe(200);
});

async function finternet(path: string, init: { key?: string; json?: unknown; method?: string } = {}) {
  const headers = new Headers();
  if (init.key !== undefined) headers.set('X-API-Key', init.key);
  const body = init.json === undefined ? undefined : JSON.stringify(init.json);
  if (body !== undefined) headers.set('Content-Type', 'application/json');
  const res = await exports.default.fetch(
    new Request(`${BASE}${path}`, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body }),
  );
  return { res, body: (await res.json()) as any };
}

async function createOrder(amount: string, key = sk) {
  const created = await finternet('/v1/payment-intents', {
    key,
    json: {
      amount,
      currency: 'USDC',
      type: 'DELIVERY_VS_PAYMENT',
      settlementMethod: 'OFF_RAMP_MOCK',
      settlementDestination: '9876543210',
      metadata: { orderId: 'ORD-123' },
      chainId: chain.info.chainId,
    },
  });
  expect(created.res.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

/** Reads the intent (mining a block each time: the network wants 2 confirmations) until `done` holds. */
async function until(id: string, done: (body: any) => boolean, timeoutMs = 20_000) {
  let last: any;
  await waitFor(async () => {
    await chain.mine(1);
    last = (await finternet(`/v1/payment-intents/${id}`, { key: sk })).body;
    return done(last);
  }, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(last)}`);
  });
  return last;
}

function balance(owner: Address): Promise<bigint> {
  return chain.publicClient.readContract({ address: chain.usdc.address, abi: erc20Abi, functionName: 'balanceOf', args: [owner] });
}

/** The payer mints itself `amount` of the demo USDC and approves the escrow for it. */
async function fundAndApprove(index: number, amount: bigint): Promise<void> {
  const wallet = chain.wallet(index);
  await chain.mined(
    await wallet.writeContract({ address: chain.usdc.address, abi: MINT_ABI, functionName: 'mint', args: [address(index), amount] }),
  );
  await chain.mined(
    await wallet.writeContract({ address: chain.usdc.address, abi: erc20Abi, functionName: 'approve', args: [ESCROW, amount] }),
  );
}

/** The payer signs `data.typedData` with its own address as `payer` (eth_signTypedData_v4). */
function signDeposit(index: number, typed: any): Promise<Hex> {
  const m = typed.message;
  return chain.wallet(index).signTypedData({
    domain: { ...typed.domain, verifyingContract: typed.domain.verifyingContract as Address },
    types: typed.types,
    primaryType: 'Deposit',
    message: {
      intentId: m.intentId as Hex,
      payer: address(index),
      token: m.token as Address,
      amount: BigInt(m.amount),
      merchant: m.merchant as Address,
      deadline: BigInt(m.deadline),
      validBefore: BigInt(m.validBefore),
    },
  });
}

async function escrowOf(intentId: string, payer: Address) {
  return chain.publicClient.readContract({
    address: ESCROW,
    abi: ESCROW_ABI,
    functionName: 'escrowOf',
    args: [escrowIdOf(intentId), payer],
  });
}

async function logsOf(intentId: string, eventName: 'Locked' | 'Released' | 'Refunded' | 'Reclaimed') {
  return chain.publicClient.getContractEvents({
    address: ESCROW,
    abi: ESCROW_ABI,
    eventName,
    args: { intentId: escrowIdOf(intentId) },
    fromBlock: 0n,
  });
}

/** The contract's Status enum: 1 locked, 2 released, 3 refunded, 4 reclaimed. */
const LOCKED = 1;
const RELEASED = 2;
const REFUNDED = 3;
const RECLAIMED = 4;

describe('create', () => {
  it('holds every intent in escrow: the contract, the intent`s escrow id and the Deposit the payer signs', async () => {
    const made = await createOrder('12.50');
    expect(made.status).toBe('REQUIRES_ACTION');
    expect(made.data).toMatchObject({
      contractAddress: ESCROW,
      escrowId: escrowIdOf(made.id),
      chainId: chain.info.chainId,
      transactionHash: null,
      payoutTransactionHash: null,
      signerAddress: null,
      settlementStatus: 'PENDING',
      phases: [
        { phase: 'SIGNATURE_VERIFICATION', status: 'PENDING' },
        { phase: 'BLOCKCHAIN_CONFIRMATION', status: 'PENDING' },
        { phase: 'ESCROW_LOCKED', status: 'PENDING' },
        { phase: 'SETTLEMENT', status: 'PENDING' },
      ],
    });
    expect(made.data.typedData).toMatchObject({
      domain: { name: 'Escrow', version: '1', chainId: chain.info.chainId, verifyingContract: ESCROW },
      primaryType: 'Deposit',
      message: {
        intentId: escrowIdOf(made.id),
        payer: '0x0000000000000000000000000000000000000000',
        token: chain.usdc.address,
        amount: '12500000',
        merchant: made.data.depositAddress,
        deadline: String(made.data.escrowDeadline),
        validBefore: String(made.data.expiresAt),
      },
    });
    expect(made.data.escrowDeadline).toBeGreaterThan(made.data.expiresAt);
  });

  it('refuses a chain without an escrow contract with a 400 naming chainId', async () => {
    const plain = [...chainsConfig(env).values()].find(
      (c) => !c.escrow_contract && c.tokens.some((t) => t.symbol === 'usdc') && !c.livemode,
    )!;
    const { res, body } = await finternet('/v1/payment-intents', {
      key: sk,
      json: {
        amount: '1.00',
        currency: 'USDC',
        type: 'CONDITIONAL',
        settlementMethod: 'OFF_RAMP_MOCK',
        settlementDestination: 'x',
        chainId: plain.chainId,
      },
    });
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'parameter_invalid', param: 'chainId', type: 'invalid_request_error' });
    expect(body.error.message).toContain('escrow');
  });
});

describe('signature → locked → delivery confirmed → released → settled', () => {
  it('the relayer locks the signed deposit for the payer, releases it to the merchant on delivery, and the off-ramp completes', async () => {
    const mailbox = await openMailbox({ secrets: [] });
    const endpoint = await call('/v1/webhook_endpoints', {
      key: sk,
      form: new URLSearchParams([
        ['url', mailbox.url],
        ['enabled_events[]', 'payment_intent.succeeded'],
        ['enabled_events[]', 'payment_intent.updated'],
      ]).toString(),
    });
    expect(endpoint.status).toBe(200);

    const made = await createOrder('12.50');
    const id = made.id;
    const payer = address(PAYER);

    // Delivery cannot be confirmed before anything is locked.
    const early = await finternet(`/v1/payment-intents/${id}/confirm-delivery`, { key: sk, method: 'POST' });
    expect(early.res.status).toBe(400);
    expect(early.body.error).toMatchObject({ code: 'payment_intent_unexpected_state', type: 'invalid_request_error' });

    await fundAndApprove(PAYER, 12_500_000n);
    const before = await balance(payer);

    // Someone else's signature for this payer is refused before any gas is spent.
    const forged = await finternet(`/v1/payment-intents/${id}/signature`, {
      key: sk,
      json: { signature: await signDeposit(STRANGER, made.data.typedData), signerAddress: payer },
    });
    expect(forged.res.status).toBe(400);
    expect(forged.body.error).toMatchObject({ param: 'signature' });

    const signature = await signDeposit(PAYER, made.data.typedData);
    const signed = await finternet(`/v1/payment-intents/${id}/signature`, { key: sk, json: { signature, signerAddress: payer } });
    expect(signed.res.status, JSON.stringify(signed.body)).toBe(200);
    expect(signed.body.data).toMatchObject({ signerAddress: payer, typedData: null });
    expect(signed.body.data.phases[0]).toMatchObject({ phase: 'SIGNATURE_VERIFICATION', status: 'COMPLETED' });

    const locked = await until(id, (b) => b.status === 'REQUIRES_CAPTURE');
    const [lockLog] = await logsOf(id, 'Locked');
    expect(lockLog).toBeDefined();
    expect(locked.data).toMatchObject({
      contractAddress: ESCROW,
      transactionHash: lockLog!.transactionHash,
      signerAddress: payer,
      chainId: chain.info.chainId,
      payoutTransactionHash: null,
      phases: [
        { phase: 'SIGNATURE_VERIFICATION', status: 'COMPLETED' },
        { phase: 'BLOCKCHAIN_CONFIRMATION', status: 'COMPLETED' },
        { phase: 'ESCROW_LOCKED', status: 'COMPLETED' },
        { phase: 'SETTLEMENT', status: 'PENDING' },
      ],
    });
    // The payer sent no transaction for the lock (the relayer did) and paid the amount from its allowance.
    expect(await balance(payer)).toBe(before - 12_500_000n);
    expect((await escrowOf(id, payer)).status).toBe(LOCKED);

    // A stranger cannot release it: the contract refuses (NotRelayerOrPayer).
    await expect(
      chain.publicClient.simulateContract({
        account: address(STRANGER),
        address: ESCROW,
        abi: ESCROW_ABI,
        functionName: 'release',
        args: [escrowIdOf(id), payer],
      }),
    ).rejects.toThrow(/NotRelayerOrPayer/);

    // Two confirmations at once (a retried click): both answered, one release.
    const [delivered, concurrent] = await Promise.all([
      finternet(`/v1/payment-intents/${id}/confirm-delivery`, { key: sk, method: 'POST' }),
      finternet(`/v1/payment-intents/${id}/confirm-delivery`, { key: sk, method: 'POST' }),
    ]);
    expect(delivered.res.status, JSON.stringify(delivered.body)).toBe(200);
    expect(concurrent.res.status, JSON.stringify(concurrent.body)).toBe(200);
    expect(concurrent.body.data.deliveryConfirmedAt).toBe(delivered.body.data.deliveryConfirmedAt);
    expect(delivered.body.data.phases[3]).toMatchObject({ phase: 'SETTLEMENT', status: 'IN_PROGRESS' });
    // Cancel is refused once the release is on its way.
    const lateCancel = await finternet(`/v1/payment-intents/${id}/cancel`, { key: sk, method: 'POST' });
    expect(lateCancel.res.status).toBe(400);
    expect(lateCancel.body.error.code).toBe('payment_intent_unexpected_state');

    const released = await until(id, (b) => b.status === 'SUCCEEDED');
    const releases = await logsOf(id, 'Released');
    expect(releases).toHaveLength(1);
    expect(released.data).toMatchObject({
      transactionHash: lockLog!.transactionHash,
      payoutTransactionHash: releases[0]!.transactionHash,
      phases: [{}, {}, { phase: 'ESCROW_LOCKED', status: 'COMPLETED' }, { phase: 'SETTLEMENT' }],
    });
    expect(await balance(made.data.depositAddress)).toBe(12_500_000n);
    expect((await escrowOf(id, payer)).status).toBe(RELEASED);

    const settled = await until(id, (b) => b.data.settlementStatus === 'COMPLETED');
    expect(settled.status).toBe('SUCCEEDED');
    expect(settled.data.phases[3]).toMatchObject({ phase: 'SETTLEMENT', status: 'COMPLETED' });
    expect(await stripeClient(sk).paymentIntents.retrieve(id)).toMatchObject({ status: 'succeeded', amount_received: 12_500_000 });

    // The public view masks as before, and shows the chain's facts.
    const open = await finternet(`/v1/payment-intents/public/${id}`);
    expect(open.body.data).toMatchObject({
      settlementDestination: '******3210',
      signerAddress: payer,
      contractAddress: ESCROW,
      transactionHash: lockLog!.transactionHash,
    });
    expect(open.body.data).not.toHaveProperty('metadata');
    expect(JSON.stringify(open.body)).not.toContain('9876543210');

    // The merchant heard of the release (payment_intent.succeeded) and then of the off-ramp's completion:
    // a payment_intent.updated after it (event ids are time-ordered).
    await waitFor(async () => {
      const events = (await mailbox.received()).map((r) => JSON.parse(r.body)).filter((e) => e.data?.object?.id === id);
      const succeeded = events.find((e) => e.type === 'payment_intent.succeeded');
      return succeeded !== undefined && events.some((e) => e.type === 'payment_intent.updated' && e.id > succeeded.id);
    }, 15_000);
  });
});

describe('a payer who deposits directly, then a cancel', () => {
  it('is locked without a signature (SIGNATURE_VERIFICATION skipped), and a cancel has the relayer refund the payer', async () => {
    const made = await createOrder('3.00');
    const id = made.id;
    const payer = address(SECOND_PAYER);
    await fundAndApprove(SECOND_PAYER, 3_000_000n);
    const before = await balance(payer);
    const m = made.data.typedData.message;
    await chain.mined(
      await chain.wallet(SECOND_PAYER).writeContract({
        address: ESCROW,
        abi: ESCROW_ABI,
        functionName: 'deposit',
        args: [m.intentId, m.token, BigInt(m.amount), m.merchant, BigInt(m.deadline)],
      }),
    );
    const locked = await until(id, (b) => b.status === 'REQUIRES_CAPTURE');
    expect(locked.data).toMatchObject({ signerAddress: payer, typedData: null });
    expect(locked.data.phases.map((p: any) => [p.phase, p.status])).toEqual([
      ['SIGNATURE_VERIFICATION', 'SKIPPED'],
      ['BLOCKCHAIN_CONFIRMATION', 'COMPLETED'],
      ['ESCROW_LOCKED', 'COMPLETED'],
      ['SETTLEMENT', 'PENDING'],
    ]);
    expect(await balance(payer)).toBe(before - 3_000_000n);

    const canceled = await finternet(`/v1/payment-intents/${id}/cancel`, { key: sk, method: 'POST' });
    expect(canceled.res.status, JSON.stringify(canceled.body)).toBe(200);
    expect(canceled.body.status).toBe('CANCELED');
    await waitFor(async () => {
      await chain.mine(1);
      return (await escrowOf(id, payer)).status === REFUNDED;
    }, 20_000);
    expect(await balance(payer)).toBe(before);
    const refunds = await logsOf(id, 'Refunded');
    const refunded = await until(id, (b) => b.data.payoutTransactionHash !== null);
    expect(refunded.data).toMatchObject({ status: 'CANCELED', payoutTransactionHash: refunds[0]!.transactionHash });
    // The lock was confirmed before the cancel: its phases keep how they ended; the payout never came.
    expect(refunded.data.phases).toEqual([
      { phase: 'SIGNATURE_VERIFICATION', status: 'SKIPPED', completedAt: locked.data.phases[0].completedAt },
      locked.data.phases[1],
      locked.data.phases[2],
      { phase: 'SETTLEMENT', status: 'SKIPPED', completedAt: canceled.body.data.updated },
    ]);
    expect(await balance(made.data.depositAddress)).toBe(0n);

    // Nothing to deliver or cancel any more.
    for (const action of ['confirm-delivery', 'cancel']) {
      const again = await finternet(`/v1/payment-intents/${id}/${action}`, { key: sk, method: 'POST' });
      expect(again.res.status, action).toBe(400);
      expect(again.body.error).toMatchObject({ code: 'payment_intent_unexpected_state', type: 'invalid_request_error' });
    }
  });
});

describe('the deadline', () => {
  let snapshot: Hex | undefined;
  afterAll(async () => {
    // The chain's clock back where it was, for the tests that come after this file.
    if (snapshot) await chain.rpc('evm_revert', [snapshot]);
  });

  it('passed: the payer reclaims the deposit with nobody`s help, and the intent is CANCELED', async () => {
    const made = await createOrder('2.00');
    const id = made.id;
    const payer = address(PAYER);
    await fundAndApprove(PAYER, 2_000_000n);
    const before = await balance(payer);
    const signature = await signDeposit(PAYER, made.data.typedData);
    const signed = await finternet(`/v1/payment-intents/${id}/signature`, { key: sk, json: { signature, signerAddress: payer } });
    expect(signed.res.status, JSON.stringify(signed.body)).toBe(200);
    await until(id, (b) => b.status === 'REQUIRES_CAPTURE');

    // Before the deadline the payer cannot reclaim.
    await expect(
      chain.publicClient.simulateContract({
        account: payer,
        address: ESCROW,
        abi: ESCROW_ABI,
        functionName: 'reclaim',
        args: [escrowIdOf(id)],
      }),
    ).rejects.toThrow(/DeadlineNotReached/);

    snapshot = await chain.rpc<Hex>('evm_snapshot');
    const head = await chain.publicClient.getBlock();
    await chain.rpc('evm_increaseTime', [made.data.escrowDeadline - Number(head.timestamp) + 1]);
    await chain.mine(1);
    await chain.mined(
      await chain.wallet(PAYER).writeContract({ address: ESCROW, abi: ESCROW_ABI, functionName: 'reclaim', args: [escrowIdOf(id)] }),
    );
    expect(await balance(payer)).toBe(before);
    expect((await escrowOf(id, payer)).status).toBe(RECLAIMED);

    const reclaimed = await until(id, (b) => b.status === 'CANCELED' && b.data.payoutTransactionHash !== null);
    const [reclaim] = await logsOf(id, 'Reclaimed');
    expect(reclaimed.data).toMatchObject({ payoutTransactionHash: reclaim!.transactionHash, settlementStatus: 'PENDING' });
    expect(reclaimed.data.phases[2]).toMatchObject({ phase: 'ESCROW_LOCKED', status: 'COMPLETED' });
    expect(await balance(made.data.depositAddress)).toBe(0n);
    const delivered = await finternet(`/v1/payment-intents/${id}/confirm-delivery`, { key: sk, method: 'POST' });
    expect(delivered.res.status).toBe(400);
    expect(delivered.body.error.code).toBe('payment_intent_unexpected_state');
  });
});

describe('isolation', () => {
  it('another merchant gets the documented 403 on the signature route too, and nothing is sent', async () => {
    const made = await createOrder('1.00');
    const other = await createMerchant('Another Finternet escrow merchant');
    const signature = await signDeposit(PAYER, made.data.typedData);
    const { res, body } = await finternet(`/v1/payment-intents/${made.id}/signature`, {
      key: other.keys.test.secret,
      json: { signature, signerAddress: address(PAYER) },
    });
    expect(res.status).toBe(403);
    expect(body).toEqual({
      error: { code: 'forbidden', message: 'You do not have access to this payment intent', type: 'authentication_error' },
    });
    const read = await finternet(`/v1/payment-intents/${made.id}`, { key: sk });
    expect(read.body.data).toMatchObject({
      signerAddress: null,
      phases: [{ phase: 'SIGNATURE_VERIFICATION', status: 'PENDING' }, {}, {}, {}],
    });
    expect(read.body.data.typedData).not.toBeNull();
  });
});
