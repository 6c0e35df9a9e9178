/// <reference types="node" />
/**
 * A real local EVM chain for the tests: anvil with the demo USDC (scripts/local-chain.mjs), started
 * once per run as a vitest `globalSetup` in Node. vitest.config.ts passes its CHAINS value to the
 * worker as a binding; tests reach the chain itself through `inject('localChain')`.
 *
 * One chain serves every test file. A test that rewrites history (anvil_reorg, evm_revert) also
 * rewrites it for any other file sending transactions at that moment: keep such tests together.
 */
import type { TestProject } from 'vitest/node';
import { readFileSync } from 'node:fs';
import { createPublicClient, createWalletClient, encodeDeployData, getAddress, type Hex, http } from 'viem';
import { deployContracts, deployEscrow } from '../scripts/contracts.mjs';
import { compileSolidity, startLocalChain } from '../scripts/local-chain.mjs';

const RELAYER_CHAIN_ID = 31_344;
const MANDATES_CHAIN_ID = 31_345;
const ESCROW_CHAIN_ID = 31_348;
const REFUNDS_CHAIN_ID = 31_347;
const ESCROW_INTENTS_CHAIN_ID = 31_350;
const FINTERNET_ESCROW_CHAIN_ID = 31_351;
/** anvil's default account 7: the test relayer (RELAYER_PRIVATE_KEY in vitest.config.ts). */
const RELAYER_ACCOUNT = 7;
/** anvil's default account 2 owns the smart-contract wallet (ERC-1271) deployed on the mandates' chain. */
const WALLET_OWNER = 2;

/** A smart-contract wallet (test/contracts/fixtures/TestWallets.sol OwnedWallet): valid signatures are its owner's. */
async function deployOwnedWallet(rpcUrl: string, deployer: Hex, owner: Hex): Promise<{ address: Hex; ownerIndex: number }> {
  const file = 'test/contracts/fixtures/TestWallets.sol';
  const { contracts } = compileSolidity({
    name: 'mandate-test-fixtures',
    sources: { [file]: readFileSync(file, 'utf8') },
    outputs: { [file]: { OwnedWallet: ['abi', 'evm.bytecode.object'] } },
  });
  const { abi, evm } = contracts[file]!.OwnedWallet!;
  const transport = http(rpcUrl);
  const hash = await createWalletClient({ account: deployer, transport }).sendTransaction({
    chain: null,
    data: encodeDeployData({ abi: abi!, bytecode: `0x${evm!.bytecode!.object}`, args: [owner] }),
  });
  const receipt = await createPublicClient({ transport }).waitForTransactionReceipt({ hash });
  return { address: getAddress(receipt.contractAddress!), ownerIndex: WALLET_OWNER };
}

export async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  // Five chains: one for the chain adapter's tests, one for the payment-intent tests, one for the
  // fault matrix (test/faults/), one that test/crypto/chain-rewind.test.ts moves backwards
  // (evm_revert: a reset chain), one for the chain watcher's tests (test/chain/watcher.test.ts,
  // which reorgs it). Each file rewrites history only on its own chain, so no other file's
  // transactions vanish under it.
  // A sixth, the relayer's (test/chain/relayer*.test.ts), with a chain id of its own (31344): the
  // relayer signs transactions for its network's chain id, and CHAINS ids must differ from `local`'s 31337.
  // A seventh, the mandates' (test/mandates/*.test.ts, chain id 31345): both debit contracts deployed,
  // the test relayer allowed; its files move its clock forward and reorg it.
  // An eighth, the escrow's (test/chain/escrow.test.ts, chain id 31348): contracts/Escrow.sol deployed
  // by account 0, the test relayer allowed; its file stops automine and reverts it.
  // A ninth, the crypto refunds' (test/crypto-refunds/, chain id 31347), which reverts it (a reorg).
  // A tenth, the escrow intents' (test/escrow/, chain id 31350): contracts/Escrow.sol deployed by account 0,
  // the test relayer allowed; its file moves its clock (evm_increaseTime, then evm_revert) and reorgs it.
  // An eleventh, Finternet's escrow (test/compat/finternet/escrow.test.ts, chain id 31351), the same again:
  // that file moves its clock too, and two files that rewind one chain's clock would break each other's deposits.
  const [chain, second, third, fourth, fifth, sixth, seventh, eighth, ninth, tenth, eleventh] = await Promise.all([
    startLocalChain(),
    startLocalChain(),
    startLocalChain(),
    startLocalChain(),
    startLocalChain(),
    startLocalChain({ chainId: RELAYER_CHAIN_ID }),
    startLocalChain({ chainId: MANDATES_CHAIN_ID }),
    startLocalChain({ chainId: ESCROW_CHAIN_ID }),
    startLocalChain({ chainId: REFUNDS_CHAIN_ID }),
    startLocalChain({ chainId: ESCROW_INTENTS_CHAIN_ID }),
    startLocalChain({ chainId: FINTERNET_ESCROW_CHAIN_ID }),
  ]);
  const mandateContracts = await deployContracts({
    rpcUrl: seventh.rpcUrl,
    deployer: seventh.accounts[0]!.address,
    relayers: [seventh.accounts[RELAYER_ACCOUNT]!.address],
  });
  const { timings } = chain;
  if (process.env.LOCAL_CHAIN_TIMINGS) {
    console.log(
      `[local-chain] ${chain.rpcUrl} ready in ${Math.round(timings.totalMs)} ms (anvil ${Math.round(timings.anvilMs)} ms, ` +
        `USDC ${timings.compileCached ? 'cached' : `compiled in ${Math.round(timings.compileMs)} ms`}, deploy+mint ${Math.round(timings.deployMs)} ms)`,
    );
  }
  provide('localChain', {
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    usdc: chain.usdc,
    accounts: chain.accounts,
    mnemonic: chain.mnemonic,
    // Polled every 500 ms (the dev chain: 1000), so crypto tests wait less.
    chains: JSON.stringify({ local: { ...chain.chainsConfig.local, pollIntervalMs: 500 } }),
  });
  provide('cryptoChain', {
    rpcUrl: second.rpcUrl,
    chainId: second.chainId,
    usdc: second.usdc,
    accounts: second.accounts,
    mnemonic: second.mnemonic,
    chains: JSON.stringify({ local: { ...second.chainsConfig.local, pollIntervalMs: 500 } }),
  });
  provide('faultChain', {
    rpcUrl: third.rpcUrl,
    chainId: third.chainId,
    usdc: third.usdc,
    accounts: third.accounts,
    mnemonic: third.mnemonic,
    chains: JSON.stringify({ local: { ...third.chainsConfig.local, pollIntervalMs: 500 } }),
  });
  provide('rewindChain', {
    rpcUrl: fourth.rpcUrl,
    chainId: fourth.chainId,
    usdc: fourth.usdc,
    accounts: fourth.accounts,
    mnemonic: fourth.mnemonic,
    chains: JSON.stringify({ local: { ...fourth.chainsConfig.local, pollIntervalMs: 500 } }),
  });
  // The mandate contracts on the watcher's chain, for test/chain/watcher-mandates.test.ts: deployed by
  // account 9 (which nothing else there sends from), no relayer (its tests debit as the payee).
  const fifthMandates = await deployContracts({ rpcUrl: fifth.rpcUrl, deployer: fifth.accounts[9]!.address });
  provide('watcherChain', {
    rpcUrl: fifth.rpcUrl,
    chainId: fifth.chainId,
    usdc: fifth.usdc,
    accounts: fifth.accounts,
    mnemonic: fifth.mnemonic,
    chains: JSON.stringify({ local: { ...fifth.chainsConfig.local, ...fifthMandates.chainsConfig, pollIntervalMs: 500 } }),
    mandateContracts: {
      connectedWallets: fifthMandates.connectedWallets.address,
      virtualAccounts: fifthMandates.virtualAccounts.address,
    },
  });
  provide('relayerChain', {
    rpcUrl: sixth.rpcUrl,
    chainId: sixth.chainId,
    usdc: sixth.usdc,
    accounts: sixth.accounts,
    mnemonic: sixth.mnemonic,
    chains: JSON.stringify({ local: { ...sixth.chainsConfig.local, pollIntervalMs: 500 } }),
  });
  provide('mandatesWallet', await deployOwnedWallet(seventh.rpcUrl, seventh.accounts[0]!.address, seventh.accounts[WALLET_OWNER]!.address));
  provide('mandatesChain', {
    rpcUrl: seventh.rpcUrl,
    chainId: seventh.chainId,
    usdc: seventh.usdc,
    accounts: seventh.accounts,
    mnemonic: seventh.mnemonic,
    chains: JSON.stringify({ local: { ...seventh.chainsConfig.local, pollIntervalMs: 500, ...mandateContracts.chainsConfig } }),
  });
  const escrow = await deployEscrow({
    rpcUrl: eighth.rpcUrl,
    deployer: eighth.accounts[0]!.address,
    relayers: [eighth.accounts[RELAYER_ACCOUNT]!.address],
  });
  provide('escrowChain', {
    rpcUrl: eighth.rpcUrl,
    chainId: eighth.chainId,
    usdc: eighth.usdc,
    accounts: eighth.accounts,
    mnemonic: eighth.mnemonic,
    chains: JSON.stringify({ local: { ...eighth.chainsConfig.local, pollIntervalMs: 500, ...escrow.chainsConfig } }),
  });
  provide('refundsChain', {
    rpcUrl: ninth.rpcUrl,
    chainId: ninth.chainId,
    usdc: ninth.usdc,
    accounts: ninth.accounts,
    mnemonic: ninth.mnemonic,
    chains: JSON.stringify({ local: { ...ninth.chainsConfig.local, pollIntervalMs: 500 } }),
  });
  const escrowIntents = await deployEscrow({
    rpcUrl: tenth.rpcUrl,
    deployer: tenth.accounts[0]!.address,
    relayers: [tenth.accounts[RELAYER_ACCOUNT]!.address],
  });
  provide('escrowIntentsChain', {
    rpcUrl: tenth.rpcUrl,
    chainId: tenth.chainId,
    usdc: tenth.usdc,
    accounts: tenth.accounts,
    mnemonic: tenth.mnemonic,
    chains: JSON.stringify({ local: { ...tenth.chainsConfig.local, pollIntervalMs: 500, ...escrowIntents.chainsConfig } }),
  });
  const finternetEscrow = await deployEscrow({
    rpcUrl: eleventh.rpcUrl,
    deployer: eleventh.accounts[0]!.address,
    relayers: [eleventh.accounts[RELAYER_ACCOUNT]!.address],
  });
  provide('finternetEscrowChain', {
    rpcUrl: eleventh.rpcUrl,
    chainId: eleventh.chainId,
    usdc: eleventh.usdc,
    accounts: eleventh.accounts,
    mnemonic: eleventh.mnemonic,
    chains: JSON.stringify({ local: { ...eleventh.chainsConfig.local, pollIntervalMs: 500, ...finternetEscrow.chainsConfig } }),
  });
  return async () => {
    await Promise.all([
      chain.stop(),
      second.stop(),
      third.stop(),
      fourth.stop(),
      fifth.stop(),
      sixth.stop(),
      seventh.stop(),
      eighth.stop(),
      ninth.stop(),
      tenth.stop(),
      eleventh.stop(),
    ]);
  };
}
