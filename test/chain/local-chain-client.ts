/**
 * Test-side handles on the local anvil chains (test/local-chain.ts), from inside workerd: signed
 * transactions from anvil's default accounts with viem, mining and history rewrites, and fresh
 * watch-only deposit addresses under the xpub of anvil's own mnemonic.
 *
 * Two chains run: `localChain` (the adapter tests, CHAINS network `local`) and `cryptoChain` (the
 * payment-intent tests, networks `testnet`, `deep` and `flaky`). Each rewrites its own history
 * (anvil_reorg, evm_revert) without touching the other's transactions.
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  erc20Abi,
  http,
  type Address,
  type Hash,
  type TransactionReceipt,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { inject } from 'vitest';
import { depositAddress } from '../../src/chain/addresses.js';

type ChainInfo = ReturnType<typeof inject<'localChain'>>;

export function chainClient(info: ChainInfo) {
  const chain = defineChain({
    id: info.chainId,
    name: 'local',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [info.rpcUrl] } },
  });
  const { usdc } = info;
  const publicClient = createPublicClient({ chain, transport: http(info.rpcUrl), cacheTime: 0, pollingInterval: 50 });

  /** A wallet for anvil's default account `index` (0 holds the USDC), signing locally. */
  function wallet(index = 0) {
    const { privateKey } = info.accounts[index]!;
    return createWalletClient({ chain, account: privateKeyToAccount(privateKey), transport: http(info.rpcUrl) });
  }

  /** Automine puts each transaction in its own block, but the receipt can lag the send by a moment. */
  function mined(hash: Hash): Promise<TransactionReceipt> {
    return publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20, timeout: 10_000 });
  }

  async function rpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const res = await fetch(info.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const body = (await res.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  }

  return {
    info,
    usdc,
    publicClient,
    wallet,
    mined,
    rpc,
    /** Sends `value` base units of the demo USDC from account `fromIndex`; resolves with the mined receipt. */
    async payUsdc(to: Address, value: bigint, fromIndex = 0): Promise<TransactionReceipt> {
      const hash = await wallet(fromIndex).writeContract({
        address: usdc.address,
        abi: erc20Abi,
        functionName: 'transfer',
        args: [to, value],
      });
      return mined(hash);
    },
    /** Sends `value` wei from account `fromIndex`. `gas` skips estimation, so a failing send is still mined. */
    async payEth(
      to: Address,
      value: bigint,
      { fromIndex = 0, gas }: { fromIndex?: number; gas?: bigint } = {},
    ): Promise<TransactionReceipt> {
      return mined(await wallet(fromIndex).sendTransaction({ to, value, gas }));
    },
    /** Mines `blocks` empty blocks: confirmations. */
    mine(blocks: number): Promise<unknown> {
      return rpc('anvil_mine', [`0x${blocks.toString(16)}`]);
    },
  };
}

const local = chainClient(inject('localChain'));
export const localChain = local.info;
export const { usdc, publicClient, wallet, mined, rpc, payUsdc, payEth, mine } = local;

/** The xpub of anvil's mnemonic at m/44'/60'/0', as a merchant would hand it over. */
export const ANVIL_XPUB = HDKey.fromMasterSeed(mnemonicToSeedSync(localChain.mnemonic)).derive("m/44'/60'/0'").publicExtendedKey;

/** A deposit address no other test uses: a random index under ANVIL_XPUB, past anvil's funded 0…9. */
export function freshDepositAddress(): Address {
  const random = crypto.getRandomValues(new Uint32Array(1))[0]!;
  return depositAddress(ANVIL_XPUB, 1000 + (random % (2 ** 31 - 1000)));
}

/** A merchant's account xpub (m/44'/60'/0') from a random seed: its deposit addresses are nobody else's. */
export function randomXpub(): string {
  return HDKey.fromMasterSeed(crypto.getRandomValues(new Uint8Array(32))).derive("m/44'/60'/0'").publicExtendedKey;
}
