#!/usr/bin/env node
/**
 * The contracts (contracts/): the recurring-debit ones, ConnectedWallets and VirtualAccounts, and the
 * Escrow for delivery versus payment, compiled with solc-js (cached like the local chain's token) and
 * deployed with viem.
 *
 *   import { compileContracts, deployContracts, deployEscrow } from './scripts/contracts.mjs';
 *   const { ConnectedWallets, VirtualAccounts, Escrow } = compileContracts(); // { abi, bytecode } each
 *   const deployed = await deployContracts({ rpcUrl, deployer, relayers }); // deployer: a viem account or an unlocked address
 *   deployed.connectedWallets.address, deployed.virtualAccounts.address, deployed.chainsConfig
 *   const escrow = await deployEscrow({ rpcUrl, deployer, relayers });   // escrow.address, escrow.chainsConfig
 *
 *   DEPLOYER_KEY=0x… node scripts/contracts.mjs deploy --rpc-url <url> --private-key-env DEPLOYER_KEY [--relayer 0x…]…
 *
 * The CLI deploys all three to a real network and prints their addresses in the CHAINS shape
 * (`connected_wallets_contract`, `virtual_accounts_contract`, `escrow_contract`). The deployer becomes
 * the owner who allows relayers: keep it cold. The key is read from the environment variable named, never from
 * the command line (it would land in shell history and `ps`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPublicClient, createWalletClient, getAddress, http, isAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { compileSolidity } from './local-chain.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONTRACT_NAMES = ['ConnectedWallets', 'VirtualAccounts', 'Escrow'];
/** What deployContracts deploys: the recurring-debit pair. */
const DEBIT_CONTRACTS = ['ConnectedWallets', 'VirtualAccounts'];

/** { ConnectedWallets, VirtualAccounts, Escrow }, each { abi, bytecode }: compiled once, then cached. */
export function compileContracts() {
  const sources = Object.fromEntries(
    readdirSync(join(ROOT, 'contracts'))
      .filter((file) => file.endsWith('.sol'))
      .sort()
      .map((file) => [`contracts/${file}`, readFileSync(join(ROOT, 'contracts', file), 'utf8')]),
  );
  const { contracts } = compileSolidity({
    name: 'mandate-contracts',
    sources,
    outputs: Object.fromEntries(CONTRACT_NAMES.map((name) => [`contracts/${name}.sol`, { [name]: ['abi', 'evm.bytecode.object'] }])),
  });
  return Object.fromEntries(
    CONTRACT_NAMES.map((name) => {
      const { abi, evm } = contracts[`contracts/${name}.sol`][name];
      return [name, { abi, bytecode: `0x${evm.bytecode.object}` }];
    }),
  );
}

/**
 * Deploys both contracts from `deployer` (a viem account, or the address of an unlocked anvil account)
 * and allows each of `relayers`. Waits for every receipt; throws when one reverted.
 */
export async function deployContracts({ rpcUrl, deployer, relayers = [], chain }) {
  const deployed = await deployEach({ rpcUrl, deployer, relayers, chain, names: DEBIT_CONTRACTS });
  return {
    chainId: deployed.chainId,
    connectedWallets: deployed.ConnectedWallets,
    virtualAccounts: deployed.VirtualAccounts,
    /** The two fields of a network in CHAINS. */
    chainsConfig: {
      connected_wallets_contract: deployed.ConnectedWallets.address,
      virtual_accounts_contract: deployed.VirtualAccounts.address,
    },
  };
}

/** Deploys the Escrow from `deployer` (its owner) and allows each of `relayers`, as deployContracts does. */
export async function deployEscrow({ rpcUrl, deployer, relayers = [], chain }) {
  const deployed = await deployEach({ rpcUrl, deployer, relayers, chain, names: ['Escrow'] });
  return { chainId: deployed.chainId, ...deployed.Escrow, chainsConfig: { escrow_contract: deployed.Escrow.address } };
}

async function deployEach({ rpcUrl, deployer, relayers, chain, names }) {
  const compiled = compileContracts();
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ transport, chain, cacheTime: 0 });
  const chainId = chain?.id ?? (await publicClient.getChainId());
  const walletChain = chain ?? {
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: 'coin', symbol: 'coin', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  };
  const wallet = createWalletClient({ account: deployer, transport, chain: walletChain });

  const confirm = async (hash, what) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`${what} reverted (${hash})`);
    return receipt;
  };

  const deployed = {};
  for (const name of names) {
    const { abi, bytecode } = compiled[name];
    const receipt = await confirm(await wallet.deployContract({ abi, bytecode }), `deploying ${name}`);
    const address = getAddress(receipt.contractAddress);
    for (const relayer of relayers) {
      const hash = await wallet.writeContract({ address, abi, functionName: 'setRelayer', args: [getAddress(relayer), true] });
      await confirm(hash, `allowing relayer ${relayer} on ${name}`);
    }
    deployed[name] = { address, abi, deployGas: receipt.gasUsed };
  }
  return { chainId, ...deployed };
}

// --- CLI -----------------------------------------------------------------------------------------

const USAGE = 'usage: node scripts/contracts.mjs deploy --rpc-url <url> --private-key-env <VARIABLE> [--relayer <address>]...';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const fail = (message) => {
    process.stderr.write(`error: ${message}\n${USAGE}\n`);
    process.exit(2);
  };
  const flagValue = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  if (args[0] !== 'deploy') fail('the only command is deploy');
  if (args.includes('--private-key')) fail('--private-key is refused: name an environment variable with --private-key-env');
  const rpcUrl = flagValue('--rpc-url');
  const keyVariable = flagValue('--private-key-env');
  if (!rpcUrl || !/^https?:\/\//.test(rpcUrl)) fail('--rpc-url must be an http(s) URL');
  if (!keyVariable) fail('--private-key-env names the environment variable holding the deployer key');
  const key = process.env[keyVariable];
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) fail(`the environment variable ${keyVariable} must hold a 0x-prefixed 32-byte private key`);
  const relayers = args.flatMap((arg, i) => (arg === '--relayer' ? [args[i + 1]] : []));
  for (const relayer of relayers) if (!isAddress(relayer ?? '')) fail(`--relayer ${relayer} is not an address`);
  try {
    const deployer = privateKeyToAccount(key);
    const deployed = await deployContracts({ rpcUrl, deployer, relayers });
    const escrow = await deployEscrow({ rpcUrl, deployer, relayers });
    const chainsConfig = { ...deployed.chainsConfig, ...escrow.chainsConfig };
    process.stdout.write(
      `Deployed on chain ${deployed.chainId} by ${deployer.address} (the owner, who allows relayers)` +
        `${relayers.length > 0 ? `; relayers allowed: ${relayers.join(', ')}` : ''}.\n` +
        `Add to the network's entry in CHAINS:\n${JSON.stringify(chainsConfig, null, 2)}\n`,
    );
  } catch (error) {
    process.stderr.write(`error: ${error.shortMessage ?? error.message}\n`);
    process.exit(1);
  }
}
