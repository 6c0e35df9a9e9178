/// <reference types="node" />
/**
 * The dev scripts, in Node (vitest.pages.config.ts runs this file): the local chain kept in a file
 * across restarts (scripts/local-chain.mjs), one `npm run dev` per checkout (scripts/dev-lock.mjs,
 * scripts/dev.mjs), scripts/pay-intent.mjs paying on the chain of the server `npm run dev`
 * saved in .dev-merchant.json, with commands that carry those URLs (issue 10, defects 12 and 13), and
 * scripts/refund-intent.mjs sending a crypto refund from a stand-in merchant wallet (issue 14), and
 * pay-intent.mjs paying an escrow intent (issue 15: a deposit, the payer's signatures, a reclaim).
 *
 * Nothing here touches the checkout's own .wrangler/state, .dev.vars or .dev-merchant.json: dev.mjs,
 * pay-intent.mjs and refund-intent.mjs run from a throwaway copy of scripts/ beside links to the sources.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type Address,
  createPublicClient,
  createWalletClient,
  getAddress,
  getContractAddress,
  type Hex,
  http,
  parseAbi,
  parseAbiItem,
  toFunctionSelector,
  verifyTypedData,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deployEscrow } from '../../scripts/contracts.mjs';
import { acquireDevLock } from '../../scripts/dev-lock.mjs';
import { compileSolidity, type LocalChain, startLocalChain, UnreadableChainState } from '../../scripts/local-chain.mjs';
import { depositTypedData, depositWithPermitCall, depositWithSignatureCall, ESCROW_ABI, escrowIdOf } from '../../src/chain/escrow.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOST = '127.0.0.1';
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function rpc<T = any>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

function word(value: string | bigint): string {
  return (typeof value === 'bigint' ? value.toString(16) : value.slice(2).toLowerCase()).padStart(64, '0');
}

async function usdcBalance(chain: Pick<LocalChain, 'rpcUrl' | 'usdc'>, owner: string): Promise<bigint> {
  // balanceOf(address)
  return BigInt(await rpc(chain.rpcUrl, 'eth_call', [{ to: chain.usdc.address, data: `0x70a08231${word(owner)}` }, 'latest']));
}

/** The relayer's key as .dev.vars holds it. */
function relayerKeyIn(checkout: string): `0x${string}` {
  const match = /^RELAYER_PRIVATE_KEY=(0x[0-9a-f]{64})$/m.exec(readFileSync(join(checkout, '.dev.vars'), 'utf8'));
  if (!match) throw new Error('no RELAYER_PRIVATE_KEY in .dev.vars');
  return match[1] as `0x${string}`;
}

/** isRelayer(address) of a recurring-debit contract (contracts/Mandates.sol). */
async function isRelayer(rpcUrl: string, contract: string, relayer: string): Promise<boolean> {
  const data = `${toFunctionSelector('isRelayer(address)')}${word(relayer)}`;
  return BigInt(await rpc<string>(rpcUrl, 'eth_call', [{ to: contract, data }, 'latest'])) === 1n;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The environment of a developer's shell, without anything that would point the scripts elsewhere. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['API_BASE', 'RPC_URL', 'SK', 'STRIPE_SECRET_KEY', 'PORT', 'CHAIN_PORT']) delete env[name];
  return { ...env, WRANGLER_SEND_METRICS: 'false', ...extra };
}

/** Runs one of scripts/ with a developer's clean environment, to its exit. */
function runScript(script: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A checkout of its own: a copy of scripts/ (their ROOT is where they are) beside links to the rest. */
function throwawayCheckout(): string {
  const dir = tempDir('dev-scripts-checkout-');
  cpSync(join(ROOT, 'scripts'), join(dir, 'scripts'), { recursive: true });
  for (const name of ['node_modules', 'src', 'migrations', 'public', 'contracts', 'wrangler.toml', 'package.json', 'tsconfig.json']) {
    symlinkSync(join(ROOT, name), join(dir, name));
  }
  return dir;
}

describe('the local chain kept in a file (scripts/local-chain.mjs, statePath)', () => {
  it('is loaded on the next start, with its blocks, balances and token: the token is found, not deployed again', async () => {
    const statePath = join(tempDir('local-chain-state-'), 'local-chain', 'anvil-state.json');
    const first = await startLocalChain({ statePath });
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : first.stop()));
    expect(first.state).toMatchObject({ path: statePath, loaded: false });
    expect(first.usdcDeployed).toBe(true);
    const payer = first.accounts[0]!.address;
    const payee = first.accounts[1]!.address;
    // A usdc transfer (transfer(address,uint256)), then blocks on top of it.
    const tx = await rpc<string>(first.rpcUrl, 'eth_sendTransaction', [
      { from: payer, to: first.usdc.address, data: `0xa9059cbb${word(payee)}${word(1_234_567n)}` },
    ]);
    await rpc(first.rpcUrl, 'anvil_mine', ['0x10']);
    const head = BigInt(await rpc<string>(first.rpcUrl, 'eth_blockNumber'));
    const hashOf3 = (await rpc<{ hash: string }>(first.rpcUrl, 'eth_getBlockByNumber', ['0x3', false])).hash;
    const nonce = await rpc<string>(first.rpcUrl, 'eth_getTransactionCount', [payer, 'latest']);
    await first.stop();
    stopped = true;
    expect(existsSync(statePath)).toBe(true);

    const second = await startLocalChain({ statePath });
    cleanups.push(() => second.stop());
    expect(second.state).toMatchObject({ path: statePath, loaded: true, headAtStart: head });
    expect(second.usdcDeployed).toBe(false);
    expect(second.usdc.address).toBe(first.usdc.address);
    expect((await rpc<{ hash: string }>(second.rpcUrl, 'eth_getBlockByNumber', ['0x3', false])).hash).toBe(hashOf3);
    expect(await rpc(second.rpcUrl, 'eth_getTransactionReceipt', [tx])).toMatchObject({ status: '0x1' });
    expect(await usdcBalance(second, payee)).toBe(1_234_567n);
    // Nothing was sent at start: no second deployment or mint.
    expect(await rpc(second.rpcUrl, 'eth_getTransactionCount', [payer, 'latest'])).toBe(nonce);
    expect(await usdcBalance(second, payer)).toBe(1_000_000n * 10n ** 6n - 1_234_567n);
  });

  it('names a state file it cannot read (cut short by a hard kill mid-write)', async () => {
    const statePath = join(tempDir('local-chain-state-'), 'anvil-state.json');
    writeFileSync(statePath, '{"block": {"number": ');
    const error = await startLocalChain({ statePath }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreadableChainState);
    expect((error as UnreadableChainState).statePath).toBe(statePath);
    expect((error as Error).message).toContain(statePath);
  });
});

describe('one npm run dev per checkout (scripts/dev-lock.mjs)', () => {
  it('refuses a second holder with the first one’s URLs, and takes over a lock whose process is gone or was replaced', async () => {
    const path = join(tempDir('dev-lock-'), 'dev.lock');
    const holderSource = `
      import(${JSON.stringify(pathToFileURL(join(ROOT, 'scripts', 'dev-lock.mjs')).href)}).then(({ acquireDevLock }) => {
        const lock = acquireDevLock(process.argv[1], { apiBase: 'http://127.0.0.1:8797', rpcUrl: 'http://127.0.0.1:8557' });
        console.log(lock.acquired ? 'acquired' : 'refused');
        setInterval(() => {}, 1000);
      });`;
    const holder = spawn(process.execPath, ['-e', holderSource, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => holder.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', (chunk: Buffer) => (chunk.toString().includes('acquired') ? resolve() : reject(new Error(String(chunk)))));
    });

    expect(acquireDevLock(path, { apiBase: 'http://127.0.0.1:8798' })).toEqual({
      acquired: false,
      holder: expect.objectContaining({ pid: holder.pid, apiBase: 'http://127.0.0.1:8797', rpcUrl: 'http://127.0.0.1:8557' }),
    });

    // Killed without a chance to clean up: the file stays, and is stale.
    const gone = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await gone;
    expect(existsSync(path)).toBe(true);
    const taken = acquireDevLock(path, { apiBase: 'http://127.0.0.1:8798' });
    expect(taken).toMatchObject({ acquired: true, staleHolderReplaced: true });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, apiBase: 'http://127.0.0.1:8798' });
    if (taken.acquired) taken.release();
    expect(existsSync(path)).toBe(false);

    // A pid in use by another process than the one that wrote the lock (reused): stale too, where
    // start times are known (Linux).
    if (existsSync(`/proc/${process.pid}/stat`)) {
      writeFileSync(path, JSON.stringify({ pid: process.pid, startTime: '1', startedAt: '2020-01-01T00:00:00.000Z' }));
      const again = acquireDevLock(path);
      expect(again).toMatchObject({ acquired: true, staleHolderReplaced: true });
      if (again.acquired) again.release();
    }
  });
});

describe('scripts/pay-intent.mjs on a server that is not on the default ports', () => {
  let chain: LocalChain;
  let api: Server;
  let apiBase: string;
  const due = 10_990_000n;
  const deposit = '0x1111111111111111111111111111111111111111';

  beforeAll(async () => {
    chain = await startLocalChain();
    // The payment-intent API, reduced to what the script reads: the intent, funded as the chain says.
    api = createHttpServer(async (req, res) => {
      if (req.url !== '/v1/payment_intents/pi_test' || req.headers.authorization !== 'Bearer sk_test_saved') {
        res.writeHead(404).end(JSON.stringify({ error: { message: `unexpected ${req.url}` } }));
        return;
      }
      const paid = await usdcBalance(chain, deposit);
      const waiting = paid < due;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'pi_test',
          status: waiting ? 'requires_action' : 'succeeded',
          amount_received: waiting ? 0 : 1099,
          cancellation_reason: null,
          next_action: waiting
            ? {
                type: 'crypto_transfer',
                crypto_transfer: {
                  network: 'local',
                  chain_id: chain.chainId,
                  token: 'usdc',
                  token_address: chain.usdc.address,
                  deposit_address: deposit,
                  amount: due.toString(),
                  amount_display: '10.99',
                  amount_remaining: (due - paid).toString(),
                  amount_remaining_display: (Number(due - paid) / 1e6).toFixed(2),
                  expires_at: Math.floor(Date.now() / 1000) + 900,
                },
              }
            : null,
          crypto: { amount_seen: paid.toString(), amount_confirmed: paid.toString() },
        }),
      );
    });
    await new Promise<void>((resolve) => api.listen(0, HOST, resolve));
    apiBase = `http://${HOST}:${(api.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => api?.close(resolve));
    await chain?.stop();
  });

  function payIntent(checkout: string, args: string[], env: Record<string, string> = {}) {
    return runScript(join(checkout, 'scripts', 'pay-intent.mjs'), args, env);
  }

  it('pays on the chain saved in .dev-merchant.json, and its "pays the rest" command carries the URLs', async () => {
    const checkout = tempDir('pay-intent-checkout-');
    cpSync(join(ROOT, 'scripts'), join(checkout, 'scripts'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
    // What `npm run dev` saves: the merchant's keys, and where this run serves it.
    writeFileSync(
      join(checkout, '.dev-merchant.json'),
      JSON.stringify({ id: 'acct_test', keys: { test: { secret: 'sk_test_saved' } }, dev: { api_base: apiBase, rpc_url: chain.rpcUrl } }),
    );

    const partial = await payIntent(checkout, ['pi_test', '--amount', '5000000']);
    expect(partial.stdout).toContain(`on local (${chain.rpcUrl})`);
    expect(await usdcBalance(chain, deposit)).toBe(5_000_000n);
    const rerun = `API_BASE=${apiBase} RPC_URL=${chain.rpcUrl} node scripts/pay-intent.mjs pi_test`;
    expect(partial.stderr).toContain(`partially paid: 5990000 base units still due (${rerun} pays the rest)`);

    // The printed command works as it is, from anywhere (no .dev-merchant.json URLs needed).
    writeFileSync(join(checkout, '.dev-merchant.json'), JSON.stringify({ keys: { test: { secret: 'sk_test_saved' } } }));
    const rest = await payIntent(checkout, ['pi_test'], { API_BASE: apiBase, RPC_URL: chain.rpcUrl });
    expect(rest.stderr).toBe('');
    expect(rest.stdout).toMatch(/succeeded/);
    expect(rest.code).toBe(0);
    expect(await usdcBalance(chain, deposit)).toBe(due);
  });
});

describe('scripts/pay-intent.mjs pays an escrow intent (next_action.crypto_escrow_deposit)', () => {
  let chain: LocalChain;
  let api: Server;
  let apiBase: string;
  let escrow: Address;
  let checkout: string;
  /** Each intent's deadline and valid_before (unix s), fixed when the API first renders it, from the chain's time. */
  const terms = new Map<string, { deadline: bigint; validBefore: bigint }>();
  const amount = 7_250_000n;
  // anvil's accounts: 0 is the scripts' payer, 1 the relayer, 3 the merchant, 5 the escrow's owner.
  let payer: Address;
  let relayer: Address;
  let merchant: Address;
  // Ids as the service makes them (src/lib/ids.ts): `pi_` and 26 characters.
  const DIRECT = 'pi_0000000000ESCROWDIRECT00';
  const SIGNED = 'pi_0000000000ESCROWSIGNED00';
  const PERMIT = 'pi_0000000000ESCROWPERMIT00';
  /** A USDC-like token with EIP-2612 (test/contracts/fixtures/EscrowTokens.sol PermitToken), for the PERMIT intent. */
  let permitToken: Address;

  const client = () => createPublicClient({ transport: http(chain.rpcUrl), cacheTime: 0 });
  const escrowOf = (intent: string) =>
    client().readContract({ address: escrow, abi: ESCROW_ABI, functionName: 'escrowOf', args: [escrowIdOf(intent), payer] });

  beforeAll(async () => {
    chain = await startLocalChain();
    [payer, relayer, merchant] = [0, 1, 3].map((i) => chain.accounts[i]!.address) as [Address, Address, Address];
    escrow = (await deployEscrow({ rpcUrl: chain.rpcUrl, deployer: chain.accounts[5]!.address, relayers: [relayer] })).address;
    const file = 'test/contracts/fixtures/EscrowTokens.sol';
    const { contracts } = compileSolidity({
      name: 'escrow-test-fixtures',
      sources: { [file]: readFileSync(join(ROOT, file), 'utf8') },
      outputs: { [file]: { '*': ['abi', 'evm.bytecode.object'] } },
    });
    const { abi, evm } = contracts[file]!.PermitToken!;
    const wallet = createWalletClient({ transport: http(chain.rpcUrl) });
    const deployed = await client().waitForTransactionReceipt({
      hash: await wallet.deployContract({
        account: chain.accounts[5]!.address,
        chain: null,
        abi: abi!,
        bytecode: `0x${evm!.bytecode!.object}`,
      }),
    });
    permitToken = getAddress(deployed.contractAddress!);
    await client().waitForTransactionReceipt({
      hash: await wallet.writeContract({
        account: chain.accounts[5]!.address,
        chain: null,
        address: permitToken,
        abi: parseAbi(['function mint(address to, uint256 amount)']),
        functionName: 'mint',
        args: [payer, amount],
      }),
    });
    // The payment-intent API, reduced to what the script reads: an escrow intent asks for its deposit
    // (the Stripe wire's next_action.crypto_escrow_deposit) until escrowOf says it is locked.
    api = createHttpServer(async (req, res) => {
      const id = /^\/v1\/payment_intents\/(pi_\w+)$/.exec(req.url ?? '')?.[1];
      if (!id || req.headers.authorization !== 'Bearer sk_test_escrow') {
        res.writeHead(404).end(JSON.stringify({ error: { message: `unexpected ${req.url}` } }));
        return;
      }
      if (!terms.has(id)) {
        const now = (await client().getBlock()).timestamp;
        terms.set(id, { deadline: now + 3_600n, validBefore: now + 600n });
      }
      const { deadline, validBefore } = terms.get(id)!;
      const held = await escrowOf(id).catch((error: Error) => error);
      if (held instanceof Error) {
        res.writeHead(500).end(JSON.stringify({ error: { message: held.message } }));
        return;
      }
      const waiting = held.status === 0;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id,
          status: waiting ? 'requires_action' : 'requires_capture',
          capture_method: 'manual',
          cancellation_reason: null,
          next_action: waiting
            ? {
                type: 'crypto_escrow_deposit',
                crypto_escrow_deposit: {
                  contract: escrow,
                  escrow_id: escrowIdOf(id),
                  token: id === PERMIT ? permitToken : chain.usdc.address,
                  amount: amount.toString(),
                  merchant,
                  deadline: Number(deadline),
                  valid_before: Number(validBefore),
                },
              }
            : null,
        }),
      );
    });
    await new Promise<void>((resolve) => api.listen(0, HOST, resolve));
    apiBase = `http://${HOST}:${(api.address() as { port: number }).port}`;
    // A checkout of its own (no .dev-merchant.json): the environment names the server, chain and key.
    checkout = mkdtempSync(join(tmpdir(), 'pay-escrow-checkout-'));
    cpSync(join(ROOT, 'scripts'), join(checkout, 'scripts'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
  });

  afterAll(async () => {
    await new Promise((resolve) => api?.close(resolve));
    await chain?.stop();
    if (checkout) rmSync(checkout, { recursive: true, force: true });
  });

  const payIntent = (args: string[]) =>
    runScript(join(checkout, 'scripts', 'pay-intent.mjs'), args, { API_BASE: apiBase, RPC_URL: chain.rpcUrl, SK: 'sk_test_escrow' });

  it('deposits into the escrow itself and waits for the service to see it; --reclaim takes it back from the deadline on', async () => {
    const before = await usdcBalance(chain, payer);
    const paid = await payIntent([DIRECT]);
    expect(paid.stderr).toBe('');
    expect(paid.stdout).toContain(
      `${DIRECT}: depositing ${amount} base units of ${chain.usdc.address} for ${merchant} into the escrow ${escrow}`,
    );
    expect(paid.stdout).toMatch(/requires_capture/);
    expect(paid.code).toBe(0);
    const { deadline } = terms.get(DIRECT)!;
    expect(await escrowOf(DIRECT)).toMatchObject({ status: 1, payer, merchant, amount, deadline });
    expect(await usdcBalance(chain, payer)).toBe(before - amount);

    // Before the deadline nothing moves; from it on the payer's deposit comes back (found from its Locked log).
    const early = await payIntent([DIRECT, '--reclaim']);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(
      `the deposit of ${amount} base units can be reclaimed from ${new Date(Number(deadline) * 1000).toISOString()}`,
    );
    expect((await escrowOf(DIRECT)).status).toBe(1);
    await rpc(chain.rpcUrl, 'evm_increaseTime', [3_601]);
    await rpc(chain.rpcUrl, 'evm_mine');
    const reclaimed = await payIntent([DIRECT, '--reclaim']);
    expect(reclaimed.stderr).toBe('');
    expect(reclaimed.stdout).toContain(`${DIRECT}: reclaimed ${amount} base units of ${chain.usdc.address} from the escrow ${escrow}`);
    expect(reclaimed.code).toBe(0);
    expect((await escrowOf(DIRECT)).status).toBe(4);
    expect(await usdcBalance(chain, payer)).toBe(before);
    const again = await payIntent([DIRECT, '--reclaim']);
    expect(again.stderr).toContain('(reclaimed): nothing to reclaim');
  });

  it('--escrow sign prints the Deposit signature as JSON only (no permit, and an on-chain approve, for a token without EIP-2612), which a relayer can post', async () => {
    const signed = await payIntent([SIGNED, '--escrow', 'sign']);
    expect(signed.code).toBe(0);
    const printed = JSON.parse(signed.stdout) as { signature: Hex; signerAddress: Address };
    // No permit key at all: the APIs take it as optional, not null.
    expect(Object.keys(printed).sort()).toEqual(['signature', 'signerAddress']);
    expect(printed.signerAddress).toBe(payer);
    const deposit = {
      intentId: escrowIdOf(SIGNED),
      payer,
      token: chain.usdc.address,
      amount,
      merchant,
      ...terms.get(SIGNED)!,
    };
    const typed = depositTypedData(chain.chainId, escrow, deposit);
    expect(await verifyTypedData({ ...typed, address: payer, signature: printed.signature })).toBe(true);
    // The demo USDC has no EIP-2612 permit: the payer approved the escrow on chain instead, and says so.
    expect(signed.stderr).toContain('has no EIP-2612 permit');
    expect((await escrowOf(SIGNED)).status).toBe(0);

    // The merchant posts it; the relayer (anvil account 1) sends it and pays the gas.
    const wallet = createWalletClient({ transport: http(chain.rpcUrl) });
    const call = depositWithSignatureCall(escrow, deposit, printed.signature);
    const hash = await wallet.sendTransaction({ account: relayer, chain: null, to: call.to, data: call.data });
    expect((await client().waitForTransactionReceipt({ hash })).status).toBe('success');
    expect(await escrowOf(SIGNED)).toMatchObject({ status: 1, payer, amount });
  });

  it('--escrow sign with an EIP-2612 token signs a permit too: the payer sends no transaction at all', async () => {
    const payerNonce = await client().getTransactionCount({ address: payer });
    const signed = await payIntent([PERMIT, '--escrow', 'sign']);
    expect(signed.code).toBe(0);
    const printed = JSON.parse(signed.stdout) as {
      signature: Hex;
      signerAddress: Address;
      permit: { deadline: number; v: number; r: Hex; s: Hex };
    };
    const { deadline, validBefore } = terms.get(PERMIT)!;
    expect(printed.permit).toEqual({
      deadline: Number(validBefore),
      v: expect.any(Number),
      r: expect.any(String),
      s: expect.any(String),
    });
    expect(await client().getTransactionCount({ address: payer })).toBe(payerNonce);

    const deposit = { intentId: escrowIdOf(PERMIT), payer, token: permitToken, amount, merchant, deadline, validBefore };
    const call = depositWithPermitCall(escrow, deposit, printed.signature, {
      ...printed.permit,
      deadline: BigInt(printed.permit.deadline),
    });
    const hash = await createWalletClient({ transport: http(chain.rpcUrl) }).sendTransaction({ account: relayer, chain: null, ...call });
    expect((await client().waitForTransactionReceipt({ hash })).status).toBe('success');
    expect(await escrowOf(PERMIT)).toMatchObject({ status: 1, payer, token: permitToken, amount });
    expect(await client().getTransactionCount({ address: payer })).toBe(payerNonce);
  });
});

describe('scripts/refund-intent.mjs sends a crypto refund from a stand-in merchant wallet', () => {
  let chain: LocalChain;
  let api: Server;
  let apiBase: string;
  let fromBlock: bigint;
  const amount = 5_000_000n;
  const destination = '0x2222222222222222222222222222222222222222';
  const elsewhere = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
  const merchantWallet = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'; // anvil account 1
  const confirmations = 2;

  beforeAll(async () => {
    // A block a second, as `npm run dev` has a block every 2 s: confirmations come by themselves.
    chain = await startLocalChain({ blockTime: 1 });
    fromBlock = BigInt(await rpc<string>(chain.rpcUrl, 'eth_blockNumber'));
    const client = createPublicClient({ transport: http(chain.rpcUrl), cacheTime: 0 });
    // The refunds API, reduced to what the script reads, settled as the watcher settles it: a transfer
    // of exactly the amount to the destination after from_block, succeeded with its confirmations.
    api = createHttpServer(async (req, res) => {
      if (req.headers.authorization !== 'Bearer sk_test_saved') {
        res.writeHead(401).end(JSON.stringify({ error: { message: 'no key' } }));
      } else if (req.url === '/v1/payment_intents/pi_test') {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ id: 'pi_test', crypto: { confirmations_required: confirmations } }));
      } else if (req.url === '/v1/refunds/re_test') {
        const head = await client.getBlockNumber();
        // anvil refuses a range that starts past its head.
        const transfers =
          head > fromBlock
            ? await client.getLogs({
                address: chain.usdc.address,
                event: parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)'),
                args: { to: destination },
                fromBlock: fromBlock + 1n,
                toBlock: head,
              })
            : [];
        const paying = transfers.find((t) => t.args.value === amount);
        const succeeded = paying !== undefined && head - paying.blockNumber + 1n >= BigInt(confirmations);
        const crypto = { source: 'payment', network: 'local', destination, amount: amount.toString() };
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: 're_test',
            object: 'refund',
            payment_intent: 'pi_test',
            status: succeeded ? 'succeeded' : 'pending',
            next_action: succeeded
              ? null
              : {
                  type: 'crypto_refund',
                  crypto_refund: {
                    ...crypto,
                    chain_id: chain.chainId,
                    token: { symbol: 'usdc', decimals: 6, address: chain.usdc.address },
                    from_block: fromBlock.toString(),
                  },
                },
            destination_details: { type: 'crypto', crypto: { ...crypto, transaction_hash: paying?.transactionHash ?? null } },
          }),
        );
      } else {
        res.writeHead(404).end(JSON.stringify({ error: { message: `unexpected ${req.url}` } }));
      }
    });
    await new Promise<void>((resolve) => api.listen(0, HOST, resolve));
    apiBase = `http://${HOST}:${(api.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => api?.close(resolve));
    await chain?.stop();
  });

  it('funds the wallet once, shows a wrong amount or address not counted, sends exactly what is asked, and never prints a key', async () => {
    // From a copy of scripts/: the checkout's own .dev-merchant.json is not read.
    const checkout = tempDir('refund-intent-checkout-');
    cpSync(join(ROOT, 'scripts'), join(checkout, 'scripts'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
    const refundIntent = (args: string[]) =>
      runScript(join(checkout, 'scripts', 'refund-intent.mjs'), ['re_test', ...args], {
        API_BASE: apiBase,
        RPC_URL: chain.rpcUrl,
        SK: 'sk_test_saved',
      });
    const keys = chain.accounts.slice(0, 2).map((a) => a.privateKey.slice(2).toLowerCase());
    const printed = (run: { stdout: string; stderr: string }) => `${run.stdout}${run.stderr}`.toLowerCase();

    // One base unit short: sent (by the wallet, funded first from the payer), not counted.
    const short = await refundIntent(['--amount', '4999999']);
    expect(short.stderr).toBe('');
    expect(short.code).toBe(0);
    expect(short.stdout).toContain(`from the merchant's wallet: ${merchantWallet} (anvil account 1`);
    expect(short.stdout).toContain(
      `the merchant's wallet held 0 usdc: funded it with 1000 usdc from the demo payer ${chain.accounts[0]!.address}`,
    );
    expect(short.stdout).toMatch(/not counted: re_test is still pending with \d+ confirmations/);
    expect(await usdcBalance(chain, destination)).toBe(4_999_999n);

    // The right amount to another address: not counted either; no funding needed now.
    const misdirected = await refundIntent(['--to', elsewhere]);
    expect(misdirected.code).toBe(0);
    expect(misdirected.stdout).not.toContain('funded');
    expect(misdirected.stdout).toContain('not counted');
    expect(await usdcBalance(chain, elsewhere)).toBe(amount);

    // As asked: the refund succeeds with the transfer the script sent, from the merchant's wallet.
    const sent = await refundIntent([]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const hash = /tx (0x[0-9a-f]{64})/.exec(sent.stdout)?.[1];
    expect(sent.stdout).toContain(`succeeded  transaction_hash=${hash}`);
    expect(await rpc(chain.rpcUrl, 'eth_getTransactionReceipt', [hash])).toMatchObject({
      from: merchantWallet.toLowerCase(),
      status: '0x1',
    });
    expect(await usdcBalance(chain, destination)).toBe(4_999_999n + amount);
    expect(await usdcBalance(chain, merchantWallet)).toBe(1_000n * 10n ** 6n - 4_999_999n - 2n * amount);

    // Settled: nothing more is sent.
    const again = await refundIntent([]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`re_test is succeeded (transaction ${hash}): nothing to send`);
    expect(await usdcBalance(chain, destination)).toBe(4_999_999n + amount);

    for (const run of [short, misdirected, sent, again]) for (const key of keys) expect(printed(run)).not.toContain(key);
  }, 120_000);
});

describe('npm run dev (scripts/dev.mjs) in a checkout of its own', () => {
  interface Dev {
    child: ChildProcess;
    output: () => string;
    exited: Promise<number | null>;
  }
  const running: Dev[] = [];

  function startDev(checkout: string, port: number, chainPort: number): Dev {
    // Its own process group, so that wrangler, workerd and anvil go with it.
    const child = spawn(process.execPath, [join(checkout, 'scripts', 'dev.mjs')], {
      cwd: checkout,
      env: cleanEnv({ PORT: String(port), CHAIN_PORT: String(chainPort) }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const dev = { child, output: () => output, exited };
    running.push(dev);
    return dev;
  }

  /**
   * The README's shop (scripts/checkout-server.mjs, the official SDK with the keys `npm run dev` saved): its
   * "Check out" makes a Checkout Session and redirects to the hosted page, which this server serves; paid there
   * (the page's form, as without JavaScript), the shop's success page reads the session back as complete and paid.
   */
  async function shopChecksOut(checkout: string, apiBase: string): Promise<void> {
    const shopPort = await freePort();
    const shop = spawn(process.execPath, [join(checkout, 'scripts', 'checkout-server.mjs')], {
      cwd: checkout,
      env: cleanEnv({ SHOP_PORT: String(shopPort) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => void shop.kill());
    let said = '';
    shop.stdout!.on('data', (chunk: Buffer) => (said += chunk));
    shop.stderr!.on('data', (chunk: Buffer) => (said += chunk));
    const deadline = Date.now() + 20_000;
    while (!said.includes(`shop on http://${HOST}:${shopPort} (API ${apiBase})`)) {
      if (shop.exitCode !== null || Date.now() > deadline) throw new Error(`checkout-server.mjs did not start:\n${said}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const checkoutRes = await fetch(`http://${HOST}:${shopPort}/checkout`, { method: 'POST', redirect: 'manual' });
    expect(checkoutRes.status).toBe(303);
    const hosted = new URL(checkoutRes.headers.get('location')!);
    expect(hosted.origin).toBe(apiBase);
    expect(hosted.pathname).toMatch(/^\/pay\/pi_/);
    const page = await fetch(hosted);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Espresso beans');
    // Followed as a browser does: the page, once paid, sends the payer on to the shop's success_url.
    const thanks = await fetch(`${apiBase}${hosted.pathname}`, {
      method: 'POST',
      body: new URLSearchParams({ client_secret: hosted.searchParams.get('client_secret')!, payment_method: 'pm_card_visa' }),
    });
    expect(new URL(thanks.url).origin).toBe(`http://${HOST}:${shopPort}`);
    expect(await thanks.text()).toMatch(/Session <code>cs_test_\w+<\/code> is <b>complete<\/b>, payment <b>paid<\/b>/);
    shop.kill();
  }

  async function until(dev: Dev, text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!dev.output().includes(text)) {
      if (dev.child.exitCode !== null) throw new Error(`npm run dev exited (${dev.child.exitCode}):\n${dev.output()}`);
      if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${dev.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Ctrl-C, as a terminal sends it: to the whole process group. */
  async function stop(dev: Dev): Promise<number | null> {
    if (dev.child.exitCode === null) process.kill(-dev.child.pid!, 'SIGINT');
    const timer = setTimeout(() => process.kill(-dev.child.pid!, 'SIGKILL'), 20_000);
    const code = await dev.exited;
    clearTimeout(timer);
    return code;
  }

  afterAll(async () => {
    for (const dev of running) {
      try {
        if (dev.child.exitCode === null) await stop(dev);
      } catch {
        // gone
      }
    }
  });

  it('refuses a second server on the same state with the first one’s URLs; prints commands with its own; keeps its chain, its recurring-debit contracts and its relayer across a restart', async () => {
    const checkout = throwawayCheckout();
    const [port, chainPort, otherPort, otherChainPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const apiBase = `http://${HOST}:${port}`;
    const rpcUrl = `http://${HOST}:${chainPort}`;

    const first = startDev(checkout, port, chainPort);
    await until(first, 'Ready in', 150_000);
    // Every printed helper command carries this run's URLs.
    expect(first.output()).toContain(`curl ${apiBase}/v1/payment_intents -u sk_test_`);
    expect(first.output()).toContain(`API_BASE=${apiBase} RPC_URL=${rpcUrl} node scripts/pay-intent.mjs pi_…`);
    expect(first.output()).toContain('new, kept in .wrangler/state/local-chain/anvil-state.json');
    expect(first.output()).toContain(`API_BASE=${apiBase} node scripts/checkout-server.mjs   then open http://127.0.0.1:4242`);

    // Issue 13: both recurring-debit contracts deployed by anvil account 8 (their owner), the relayer of the
    // key written to .dev.vars allowed on both and funded, and the key itself never printed.
    const owner = '0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f'; // anvil account 8
    const connectedWallets = getContractAddress({ from: owner, nonce: 0n });
    const virtualAccounts = getContractAddress({ from: owner, nonce: 1n });
    const relayerKey = relayerKeyIn(checkout);
    const relayer = privateKeyToAccount(relayerKey).address;
    expect(first.output()).toContain(
      `ConnectedWallets ${connectedWallets} (deployed now), VirtualAccounts ${virtualAccounts} (deployed now)`,
    );
    expect(first.output()).toContain(`     ConnectedWallets: ${connectedWallets}`);
    expect(first.output()).toContain(`     VirtualAccounts:  ${virtualAccounts}`);
    expect(first.output()).toContain(
      `relayer ${relayer}: allowed now on ConnectedWallets and VirtualAccounts, balance 100 eth (funded 100 eth from anvil account 9)`,
    );
    expect(first.output()).toContain(`(RELAYER_PRIVATE_KEY in .dev.vars): ${relayer}, 100 eth`);
    expect(first.output().toLowerCase()).not.toContain(relayerKey.slice(2).toLowerCase());
    for (const contract of [connectedWallets, virtualAccounts]) {
      expect(await rpc<string>(rpcUrl, 'eth_getCode', [contract, 'latest'])).not.toBe('0x');
      expect(await isRelayer(rpcUrl, contract, relayer)).toBe(true);
    }
    expect(BigInt(await rpc<string>(rpcUrl, 'eth_getBalance', [relayer, 'latest']))).toBe(100n * 10n ** 18n);
    // Two deployments and two setRelayer calls.
    expect(await rpc(rpcUrl, 'eth_getTransactionCount', [owner, 'latest'])).toBe('0x4');
    // Issue 15: the escrow (contracts/Escrow.sol), deployed by anvil account 6 (its owner), the relayer allowed.
    const escrowOwner = '0x976EA74026E726554dB657fA54763abd0C3a0aa9'; // anvil account 6
    const escrow = getContractAddress({ from: escrowOwner, nonce: 0n });
    expect(first.output()).toContain(
      `escrow contract (owner: anvil account 6, ${escrowOwner}): ${escrow} (deployed now), relayer allowed now`,
    );
    expect(first.output()).toContain(`   escrow (owner: anvil account 6, ${escrowOwner}): ${escrow}`);
    expect(await isRelayer(rpcUrl, escrow, relayer)).toBe(true);
    expect(JSON.parse(readFileSync(join(checkout, '.dev-merchant.json'), 'utf8')).dev).toEqual({ api_base: apiBase, rpc_url: rpcUrl });
    await shopChecksOut(checkout, apiBase);
    expect(JSON.parse(readFileSync(join(checkout, '.wrangler', 'state', 'dev.lock'), 'utf8'))).toMatchObject({
      pid: first.child.pid,
      apiBase,
      rpcUrl,
    });

    // A second one in the same checkout, on other ports (as a port clash would suggest): refused at once.
    const second = startDev(checkout, otherPort, otherChainPort);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`another \`npm run dev\` is running in this checkout (pid ${first.child.pid}, since `);
    expect(second.output()).toContain(`: ${apiBase}, chain ${rpcUrl}.`);
    expect(second.output()).toContain(`API_BASE=${apiBase} RPC_URL=${rpcUrl} node scripts/pay-intent.mjs pi_…`);
    expect(second.output()).toContain(`kill -INT ${first.child.pid}`);
    // Before anything: no migration, no chain, no server.
    expect(second.output()).not.toMatch(/\[dev\] (D1|local chain|starting wrangler)/);
    expect(await fetch(`http://${HOST}:${otherPort}/health`).catch(() => null)).toBeNull();
    // The first one is unharmed.
    expect((await fetch(`${apiBase}/health`)).status).toBe(200);

    const head = BigInt(await rpc<string>(rpcUrl, 'eth_blockNumber'));
    expect(await stop(first)).toBe(0);
    expect(existsSync(join(checkout, '.wrangler', 'state', 'dev.lock'))).toBe(false);
    expect(existsSync(join(checkout, '.wrangler', 'state', 'local-chain', 'anvil-state.json'))).toBe(true);

    // Started again: the chain is the one it was, the token found there.
    const again = startDev(checkout, port, chainPort);
    await until(again, 'Ready in', 150_000);
    const loaded = /loaded from \.wrangler\/state\/local-chain\/anvil-state\.json at block (\d+)/.exec(again.output());
    expect(loaded, again.output()).not.toBeNull();
    expect(BigInt(loaded![1]!)).toBeGreaterThanOrEqual(head);
    expect(again.output()).toContain('usdc at 0x5FbDB2315678afecb367f032d93F642f64180aa3');
    // The contracts found where they were, the relayer's key kept: nothing deployed, allowed or funded again.
    expect(relayerKeyIn(checkout)).toBe(relayerKey);
    expect(again.output()).toContain('RELAYER_PRIVATE_KEY: using the one in .dev.vars');
    expect(again.output()).toContain(`ConnectedWallets ${connectedWallets} (found), VirtualAccounts ${virtualAccounts} (found)`);
    expect(again.output()).toContain(`relayer ${relayer}: allowed on both, balance 100 eth`);
    expect(again.output()).not.toContain('funded');
    expect(again.output().toLowerCase()).not.toContain(relayerKey.slice(2).toLowerCase());
    expect(await rpc(rpcUrl, 'eth_getTransactionCount', [owner, 'latest'])).toBe('0x4');
    expect(again.output()).toContain(`escrow contract (owner: anvil account 6, ${escrowOwner}): ${escrow} (found), relayer allowed`);
    expect(await rpc(rpcUrl, 'eth_getTransactionCount', [escrowOwner, 'latest'])).toBe('0x2');
    expect(again.output()).not.toContain('"level":"error"');
    expect(await stop(again)).toBe(0);

    // A new .dev.vars (its relayer key gone): a new key, allowed on the contracts found there by their owner, and funded.
    writeFileSync(join(checkout, '.dev.vars'), readFileSync(join(checkout, '.dev.vars'), 'utf8').replace(/^RELAYER_PRIVATE_KEY=.*\n/m, ''));
    const third = startDev(checkout, port, chainPort);
    await until(third, 'Ready in', 150_000);
    const newKey = relayerKeyIn(checkout);
    const newRelayer = privateKeyToAccount(newKey).address;
    expect(newRelayer).not.toBe(relayer);
    expect(third.output()).toContain(`ConnectedWallets ${connectedWallets} (found), VirtualAccounts ${virtualAccounts} (found)`);
    expect(third.output()).toContain(`relayer ${newRelayer}: allowed now on ConnectedWallets and VirtualAccounts, balance 100 eth (funded`);
    expect(third.output().toLowerCase()).not.toContain(newKey.slice(2).toLowerCase());
    expect(third.output()).toContain(`${escrow} (found), relayer allowed now`);
    for (const contract of [connectedWallets, virtualAccounts, escrow]) expect(await isRelayer(rpcUrl, contract, newRelayer)).toBe(true);
    expect(await rpc(rpcUrl, 'eth_getTransactionCount', [owner, 'latest'])).toBe('0x6');
    expect(await stop(third)).toBe(0);
  }, 480_000);
});
