// Values handed from globalSetup modules (running in Node) to tests through `inject()`.
export {};

declare module 'vitest' {
  interface ProvidedContext {
    /** Port of the webhook receiver on 127.0.0.1 (test/webhook-receiver.ts). */
    webhookReceiverPort: number;
    /** The local anvil chain with the demo USDC (test/local-chain.ts). */
    localChain: LocalChainInfo;
    /** A second such chain, for the payment-intent tests (CHAINS networks testnet, deep, flaky). */
    cryptoChain: LocalChainInfo;
    /** A third, for the fault matrix (CHAINS network faulty, behind the receiver's mailbox rpc-faults). */
    faultChain: LocalChainInfo;
    /** A third, moved backwards by test/crypto/chain-rewind.test.ts (CHAINS network rewind). */
    rewindChain: LocalChainInfo;
    /** A fifth, for the chain watcher's tests (CHAINS networks watched and watched-b, behind the mailboxes rpc-watched and rpc-watched-b). */
    watcherChain: LocalChainInfo;
    /** A sixth, with chain id 31344, for the relayer's tests (CHAINS network relay; it toggles automine and reorgs). */
    relayerChain: LocalChainInfo;
    /** A seventh, chain id 31345, with both debit contracts deployed, for the mandates' tests (CHAINS network mandates). */
    mandatesChain: LocalChainInfo;
    /** An eighth, chain id 31348, with contracts/Escrow.sol deployed, for the escrow's test (CHAINS network escrow). */
    escrowChain: LocalChainInfo;
    /** A ninth, chain id 31347, for the crypto refunds' tests (CHAINS network refunds; they revert it). */
    refundsChain: LocalChainInfo;
    /**
     * A tenth, chain id 31350, with contracts/Escrow.sol deployed and the test relayer allowed, for the escrow
     * intents' tests (test/escrow/, CHAINS network escrowpay; they move its clock and reorg it).
     */
    escrowIntentsChain: LocalChainInfo;
    /** An eleventh, chain id 31351, the same for Finternet's escrow test (CHAINS network escrowfin; it moves its clock). */
    finternetEscrowChain: LocalChainInfo;
    /** An ERC-1271 wallet on the mandates' chain, owned by anvil's account `ownerIndex`. */
    mandatesWallet: { address: `0x${string}`; ownerIndex: number };
    /** Port of the OpenAPI validator on 127.0.0.1 (test/openapi-validator.ts). */
    openapiValidatorPort: number;
    /** FUZZ_SEED, FUZZ_ONLY and FUZZ_SCALE for test/http/bad-input ('' when unset). */
    fuzzSeed: string;
    fuzzOnly: string;
    fuzzScale: string;
  }
}

interface LocalChainInfo {
  rpcUrl: string;
  chainId: number;
  usdc: { address: `0x${string}`; decimals: number };
  /** anvil's default accounts, funded with 10,000 ETH each; the first holds 1,000,000 USDC. */
  accounts: { address: `0x${string}`; privateKey: `0x${string}` }[];
  mnemonic: string;
  /** The CHAINS JSON for the chain, as the worker gets it. */
  chains: string;
  /** The recurring-debit contracts (contracts/), where test/local-chain.ts deployed them (the watcher's chain). */
  mandateContracts?: { connectedWallets: `0x${string}`; virtualAccounts: `0x${string}` };
}
