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
import { startLocalChain } from '../scripts/local-chain.mjs';

export async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const chain = await startLocalChain();
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
    chains: JSON.stringify(chain.chainsConfig),
  });
  return () => chain.stop();
}
