/**
 * The subscribe page in a real browser: headless Chromium (offline) against `wrangler dev`, a local
 * anvil with both mandate contracts deployed, and an injected EIP-1193 wallet (anvil's unlocked
 * account 0, which holds the demo USDC). The page renders a real item's terms exactly; the wallet
 * flow approves the ConnectedWallets contract (exactly every debit, or unlimited) or deposits into
 * VirtualAccounts, and signs a mandate that verifies with viem against the chosen contract's domain
 * and whose digest is the contract's own mandateId; the page posts exactly what was signed. No
 * console error (a CSP violation would be one), an unknown or malformed button is the 404 page, a
 * deactivated item says so. Screenshots go to test/pages/artifacts/.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { type Address, createPublicClient, erc20Abi, getAddress, type Hex, http, verifyTypedData } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployContracts } from '../../scripts/contracts.mjs';
import { type LocalChain, startLocalChain } from '../../scripts/local-chain.mjs';
import {
  type DevServer,
  injectAnvilWallet,
  launchOfflineBrowser,
  newOfflineContext,
  newWatchedPage,
  type OfflineBrowser,
  PHONE,
  startWranglerDev,
} from './support.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../scripts/subscribe.mjs');
const ADMIN_TOKEN = 'subscribe-page-admin-token';
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
} as const;

let chain: LocalChain;
let dev: DevServer;
let chromium: OfflineBrowser;
let contracts: Awaited<ReturnType<typeof deployContracts>>;
let sk: string;
const problems: string[] = [];

async function api(path: string, init: { key?: string; json?: unknown } = {}) {
  const res = await fetch(`${dev.url}${path}`, {
    method: init.json === undefined ? 'GET' : 'POST',
    headers: {
      ...(init.key ? { Authorization: `Bearer ${init.key}` } : {}),
      ...(init.json === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const body = (await res.json()) as any;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}\n${dev.output().slice(-1500)}`);
  return body;
}

const createItem = (params: Record<string, unknown> = {}) =>
  api('/v1/debit_items', {
    key: sk,
    json: {
      name: 'Gym membership',
      network: 'local',
      token: 'usdc',
      payee_address: chain.accounts[1]!.address,
      max_price: '1500000',
      debit_times: 3,
      debit_interval_seconds: 10,
      pricing: 'fixed',
      redirect_url: `${dev.url}/health`,
      ...params,
    },
  });

const client = () => createPublicClient({ transport: http(chain.rpcUrl), cacheTime: 0 });

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `subscribe-${name}.png`), fullPage: true });
}

/**
 * Opens the item's page with the wallet, connects, and runs the flow; the page's POST is captured and
 * refused here (it goes to the mandates' seam, whose own tests register mandates), so this checks what
 * the page signed and sent.
 */
async function subscribeOnPage(item: any, choose: (page: Page) => Promise<void>) {
  const page = await newWatchedPage(chromium.context, problems);
  const calls = await injectAnvilWallet(page, chain);
  let posted: any = null;
  await page.route(`**/subscribe/${item.button_id}/mandates`, async (route) => {
    posted = route.request().postDataJSON();
    await route.abort('failed');
  });
  const res = await page.goto(item.checkout_url);
  expect(res?.status()).toBe(200);
  await page.getByRole('button', { name: 'Connect wallet' }).click();
  await page.locator('#account').filter({ hasText: chain.accounts[0]!.address }).waitFor();
  await choose(page);
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.locator('#flow-status').filter({ hasText: 'Not subscribed' }).waitFor({ timeout: 30_000 });
  expect(posted).not.toBeNull();
  return { page, calls, posted };
}

/** The mandate the payer signed, as the contract takes it. */
function signedMandate(item: any, posted: any) {
  return {
    payer: posted.payer as Address,
    payee: item.payee_address as Address,
    token: chain.usdc.address,
    maxAmount: BigInt(item.max_price),
    debitTimes: item.debit_times,
    interval: BigInt(item.debit_interval_seconds),
    start: BigInt(posted.start),
    validBefore: BigInt(posted.valid_before),
    salt: posted.salt as Hex,
  };
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // A block every second, as `npm run dev` has one every 2: registrations and debits need confirmations.
  chain = await startLocalChain({ blockTime: 1 });
  contracts = await deployContracts({ rpcUrl: chain.rpcUrl, deployer: chain.accounts[8]!.address, relayers: [chain.accounts[7]!.address] });
  const chains = { local: { ...chain.chainsConfig.local, pollIntervalMs: 500, ...contracts.chainsConfig } };
  [dev, chromium] = await Promise.all([
    startWranglerDev({
      migrate: true,
      vars: { CHAINS: JSON.stringify(chains), ADMIN_TOKEN, RELAYER_PRIVATE_KEY: chain.accounts[7]!.privateKey },
    }),
    launchOfflineBrowser(),
  ]);
  const merchant = await api('/v1/admin/merchants', { key: ADMIN_TOKEN, json: { name: 'Corner Gym' } });
  sk = merchant.keys.test.secret;
});

afterAll(async () => {
  await chromium?.browser.close();
  await dev?.stop();
  await chain?.stop();
});

describe('the page of an item', () => {
  it('shows the terms exactly, under a strict CSP, and fits a phone', async () => {
    const item = await createItem();
    const page = await newWatchedPage(chromium.context, problems);
    const res = await page.goto(item.checkout_url);
    const headers = res!.headers();
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['referrer-policy']).toBe('no-referrer');
    await expect(page.locator('#item-name').textContent()).resolves.toBe('Gym membership');
    await expect(page.locator('#price').textContent()).resolves.toBe('1.50 USDC');
    await expect(page.locator('#debit-times').textContent()).resolves.toBe('3 debits, at most 4.50 USDC in all');
    await expect(page.locator('#interval').textContent()).resolves.toBe('every 10 seconds');
    expect(await page.locator('#network').textContent()).toContain(`local (chain ${chain.chainId})`);
    // No wallet in this page: it says one is needed, and offers nothing it cannot do.
    await expect(page.locator('#needs-wallet').isVisible()).resolves.toBe(true);
    await expect(page.locator('#connect').isVisible()).resolves.toBe(false);
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await shot(page, 'terms');
  });

  it('with a connected wallet: approves exactly every debit, signs a mandate the contract would take, and posts what it signed', async () => {
    const item = await createItem();
    const payer = chain.accounts[0]!.address;
    const { page, calls, posted } = await subscribeOnPage(item, async (page) => {
      await page.getByRole('radio', { name: /My wallet/ }).check();
      await page.getByRole('radio', { name: /Exactly every debit/ }).check();
    });
    await shot(page, 'signed');
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(calls).toEqual(
      expect.arrayContaining(['eth_requestAccounts', 'wallet_switchEthereumChain', 'eth_sendTransaction', 'eth_signTypedData_v4']),
    );
    const allowance = await client().readContract({
      address: chain.usdc.address,
      abi: erc20Abi,
      functionName: 'allowance',
      args: [payer, contracts.connectedWallets.address],
    });
    expect(allowance).toBe(4_500_000n);
    expect(posted.account_type).toBe('connected_wallet');
    // Wallets answer addresses in lower case: the same address.
    expect(getAddress(posted.payer)).toBe(payer);
    expect(posted.valid_before - posted.start).toBe(3600);
    expect(Math.abs(posted.start - Date.now() / 1000)).toBeLessThan(120);
    expect(posted.salt).toMatch(/^0x[0-9a-f]{64}$/);
    const message = signedMandate(item, posted);
    const domain = {
      name: 'ConnectedWallets',
      version: '1',
      chainId: chain.chainId,
      verifyingContract: contracts.connectedWallets.address,
    };
    await expect(
      verifyTypedData({ address: payer, domain, types: MANDATE_TYPES, primaryType: 'Mandate', message, signature: posted.signature }),
    ).resolves.toBe(true);
    // Signed for the other contract's domain, it would not verify: the domain is the chosen contract's.
    await expect(
      verifyTypedData({
        address: payer,
        domain: { ...domain, name: 'VirtualAccounts', verifyingContract: contracts.virtualAccounts.address },
        types: MANDATE_TYPES,
        primaryType: 'Mandate',
        message,
        signature: posted.signature,
      }),
    ).resolves.toBe(false);
    expect(await page.locator('#flow-status').textContent()).toContain('Not subscribed');
    expect(problems).toEqual([]);
  });

  it('with an unlimited allowance: approves the maximum', async () => {
    const item = await createItem();
    await subscribeOnPage(item, async (page) => {
      await page.getByRole('radio', { name: /My wallet/ }).check();
      await page.getByRole('radio', { name: 'Unlimited' }).check();
    });
    const allowance = await client().readContract({
      address: chain.usdc.address,
      abi: erc20Abi,
      functionName: 'allowance',
      args: [chain.accounts[0]!.address, contracts.connectedWallets.address],
    });
    expect(allowance).toBe(2n ** 256n - 1n);
    expect(problems).toEqual([]);
  });

  it('with a virtual account: deposits every debit into VirtualAccounts and signs for its domain', async () => {
    const item = await createItem();
    const payer = chain.accounts[0]!.address;
    const balance = () =>
      client().readContract({
        address: contracts.virtualAccounts.address,
        abi: contracts.virtualAccounts.abi,
        functionName: 'balanceOf',
        args: [payer, chain.usdc.address],
      }) as Promise<bigint>;
    const before = await balance();
    const { posted } = await subscribeOnPage(item, async (page) => {
      await page.getByRole('radio', { name: /A deposit/ }).check();
      await expect(page.locator('#allowance').isVisible()).resolves.toBe(false);
    });
    expect((await balance()) - before).toBe(4_500_000n);
    expect(posted.account_type).toBe('virtual_account');
    const message = signedMandate(item, posted);
    const domain = { name: 'VirtualAccounts', version: '1', chainId: chain.chainId, verifyingContract: contracts.virtualAccounts.address };
    await expect(
      verifyTypedData({ address: payer, domain, types: MANDATE_TYPES, primaryType: 'Mandate', message, signature: posted.signature }),
    ).resolves.toBe(true);
    // The contract's own digest of what was signed is what viem hashes: the mandate's id on chain.
    const id = await client().readContract({
      address: contracts.virtualAccounts.address,
      abi: contracts.virtualAccounts.abi,
      functionName: 'mandateId',
      args: [message],
    });
    expect(id).toMatch(/^0x[0-9a-f]{64}$/);
    expect(problems).toEqual([]);
  });
});

describe('subscribing for real', () => {
  it('registers the mandate through the seam, sends the payer to redirect_url?mandate=, and shows its status and the payer’s cancel', {
    timeout: 180_000,
  }, async () => {
    const item = await createItem({ redirect_url: `${dev.url}/health` });
    const page = await newWatchedPage(chromium.context, problems);
    await injectAnvilWallet(page, chain);
    await page.goto(item.checkout_url);
    await page.getByRole('button', { name: 'Connect wallet' }).click();
    await page.getByRole('radio', { name: /My wallet/ }).check();
    await page.getByRole('button', { name: 'Subscribe' }).click();
    try {
      await page.waitForURL(/\/health\?mandate=mdt_/, { timeout: 40_000 });
    } catch (error) {
      throw new Error(`not sent on: ${page.url()}\n${await page.locator('main').textContent()}\n${dev.output().slice(-1500)}`, {
        cause: error,
      });
    }
    const mandateId = new URL(page.url()).searchParams.get('mandate')!;
    await page.goto(`${item.checkout_url}?mandate=${mandateId}`);
    const status = await page.locator('#mandate').getAttribute('data-status');
    expect(['created', 'recurring']).toContain(status);
    await shot(page, 'mandate');
    await page.getByRole('button', { name: 'Cancel this subscription' }).click();
    await page.locator('#cancel-status').filter({ hasText: 'Cancel sent' }).waitFor({ timeout: 30_000 });
    // The service notices the payer's cancel on chain; the page follows the status.
    await page.locator('#mandate[data-status="canceled"]').waitFor({ timeout: 60_000 });
    await expect(page.locator('#mandate-title').textContent()).resolves.toBe('Canceled');
    expect(problems).toEqual([]);
  });
});

describe('pages that offer no flow', () => {
  it('an unknown or malformed button is the 404 page', async () => {
    const page = await newWatchedPage(chromium.context, problems);
    for (const path of [`/subscribe/btn_${'Q'.repeat(32)}`, '/subscribe/nope']) {
      const res = await page.goto(`${dev.url}${path}`);
      expect(res?.status()).toBe(404);
      await expect(page.locator('h1').textContent()).resolves.toBe('Subscribe page not found');
    }
  });

  it('a deactivated item says it is no longer offered, even with a wallet', async () => {
    const item = await createItem();
    await api(`/v1/debit_items/${item.id}/deactivate`, { key: sk, json: {} });
    const page = await newWatchedPage(chromium.context, problems);
    await injectAnvilWallet(page, chain);
    await page.goto(item.checkout_url);
    await expect(page.locator('#inactive h2').textContent()).resolves.toBe('This subscription is no longer offered');
    await expect(page.locator('#connect').count()).resolves.toBe(0);
    await shot(page, 'inactive');
    expect(problems).toEqual([]);
  });

  it('without JavaScript the terms are still there', async () => {
    const item = await createItem();
    const context = await newOfflineContext(chromium.browser, chromium.blocked, { javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(item.checkout_url);
    await expect(page.locator('#price').textContent()).resolves.toBe('1.50 USDC');
    await expect(page.locator('#needs-wallet').isVisible()).resolves.toBe(true);
    await context.close();
  });

  it('asked nothing of any other host', () => {
    expect(chromium.blocked).toEqual([]);
  });
});

/** node scripts/subscribe.mjs …, on this test's chain: its exit code and what it printed. */
function runScript(...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCRIPT, ...args, '--rpc-url', chain.rpcUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('close', (code) => resolve({ code, out }));
  });
}

describe('scripts/subscribe.mjs (the payer without a browser)', () => {
  const payer = () => chain.accounts[0]!.address;
  const allowance = () =>
    client().readContract({
      address: chain.usdc.address,
      abi: erc20Abi,
      functionName: 'allowance',
      args: [payer(), contracts.connectedWallets.address],
    });
  const deposit = () =>
    client().readContract({
      address: contracts.virtualAccounts.address,
      abi: contracts.virtualAccounts.abi,
      functionName: 'balanceOf',
      args: [payer(), chain.usdc.address],
    }) as Promise<bigint>;

  it('refuses what is not a button, and says how to call it', async () => {
    const { code, out } = await runScript('not-a-button');
    expect(code).toBe(2);
    expect(out).toContain('usage: node scripts/subscribe.mjs');
  });

  it('reads the terms from the checkout_url: --top-up approves every debit, --drain takes the allowance away', async () => {
    const item = await createItem();
    const topUp = await runScript(item.checkout_url, '--top-up');
    expect(topUp.code, topUp.out).toBe(0);
    expect(await allowance()).toBe(4_500_000n);
    const drain = await runScript(item.checkout_url, '--drain');
    expect(drain.code, drain.out).toBe(0);
    expect(await allowance()).toBe(0n);
  });

  it('with a virtual account: --top-up deposits every debit, --drain withdraws the whole deposit', async () => {
    const item = await createItem();
    const before = await deposit();
    const topUp = await runScript(item.button_id, '--account', 'virtual_account', '--top-up', '--api-base', dev.url);
    expect(topUp.code, topUp.out).toBe(0);
    expect((await deposit()) - before).toBe(4_500_000n);
    const drain = await runScript(item.button_id, '--account', 'virtual_account', '--drain', '--api-base', dev.url);
    expect(drain.code, drain.out).toBe(0);
    expect(await deposit()).toBe(0n);
  });

  it('subscribes from the demo payer (approve, sign, post), and --cancel sends the payer’s cancel', { timeout: 120_000 }, async () => {
    const item = await createItem();
    const subscribed = await runScript(item.checkout_url);
    expect(subscribed.code, subscribed.out).toBe(0);
    const mandateId = /subscribed: (mdt_[0-9A-Za-z]{24}) \(registering\)/.exec(subscribed.out)?.[1];
    expect(mandateId, subscribed.out).toBeDefined();
    // Cancelable once registered on chain: the page says so.
    const page = await newWatchedPage(chromium.context, problems);
    for (let i = 0; i < 30; i++) {
      await page.goto(`${item.checkout_url}?mandate=${mandateId}`);
      if ((await page.locator('#mandate').getAttribute('data-status')) !== 'registering') break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(['created', 'recurring']).toContain(await page.locator('#mandate').getAttribute('data-status'));
    const canceled = await runScript(item.checkout_url, '--cancel', mandateId!);
    expect(canceled.code, canceled.out).toBe(0);
    expect(canceled.out).toContain(`canceled ${mandateId} on chain`);
  });

  it('says so for an unknown button or a deactivated item', async () => {
    const unknown = await runScript(`btn_${'Q'.repeat(32)}`, '--api-base', dev.url);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain('an unknown button');
    const item = await createItem();
    await api(`/v1/debit_items/${item.id}/deactivate`, { key: sk, json: {} });
    const inactive = await runScript(item.checkout_url);
    expect(inactive.code).toBe(1);
    expect(inactive.out).toContain('deactivated');
  });
});
