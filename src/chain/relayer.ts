/**
 * One relayer per (network, relayer key): a Durable Object named `${network}:${address}`, the only
 * sender of that key's transactions on that network. Whatever needs a transaction on chain (a
 * mandate's debit, registering a mandate, a payee's cancel) asks it to `send` one under an id of its
 * own (its attempt id); the relayer signs it locally with RELAYER_PRIVATE_KEY (a Worker secret, never
 * logged, never stored, never in an answer) and broadcasts it with eth_sendRawTransaction, so any
 * node will do.
 *
 * What it guarantees, all in the object's own SQLite (versioned below):
 * - One id, one transaction: an attempt is written down — its nonce and the signed transaction —
 *   before it is broadcast, and the same id again returns what was written (broadcasting it if it
 *   never was: an eviction between the two). Re-prices reuse the nonce, so at most one of an
 *   attempt's transactions can ever be mined.
 * - One nonce, one attempt: sends run one at a time (and so does the alarm); the next nonce is kept
 *   in storage (viem's nonce manager is in memory only), taken from the node's pending count on
 *   first use, and resynced when the node says "nonce too low". "Already known" counts as sent.
 * - Pending transactions are watched by a timer (a row, one alarm): a receipt makes the attempt
 *   mined (or failed: reverted) with its block; it is final at the network's confirmations. A
 *   transaction not mined after RELAYER_REPRICE_AFTER_SECONDS is re-priced with the same nonce (fees
 *   up at least 12.5 %, nodes ask 10 %) and the replacement hash recorded; one the node no longer
 *   knows is broadcast again; a reorg that drops its block puts it back to pending and broadcasts it
 *   again; a nonce used by another transaction of this key (sent outside the relayer) makes it
 *   `replaced`, final, and is never sent again. Callers poll `status(id)`.
 * - Gas money: before each send the balance is checked against gas × max fee + value. Short, the
 *   send is refused with `relayer_out_of_funds` (never a payer's shortfall), one error line is
 *   logged, and GET /health/ready names the network and the relayer's address until a top-up.
 */
import { DurableObject } from 'cloudflare:workers';
import {
  BaseError,
  createPublicClient,
  defineChain,
  fallback,
  getAddress,
  http,
  isAddress,
  keccak256,
  type Address,
  type Hash,
  type Hex,
  type PublicClient,
} from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { z } from 'zod';
import { backOffMs, type Migration, migrateSchema } from '../durable/entity.js';
import type { Env } from '../env.js';
import { logError, logInfo, logWarn } from '../lib/log.js';
import { chainsConfig } from './registry.js';

/** What a caller asks to send. `id` is the caller's attempt id: the same id is never sent twice. */
export interface SendRequest {
  id: string;
  to: Address;
  data: Hex;
  /** Wei sent along; default 0. */
  value?: bigint;
  /** Gas limit; estimated by the node when left out. */
  gas?: bigint;
}

/**
 * pending: not (or no longer) in a block; mined: in a block, succeeded; failed: in a block, reverted;
 * replaced: its nonce was used by another transaction of this key, so it can never be mined.
 */
export type RelayedStatus = 'pending' | 'mined' | 'failed' | 'replaced';

export interface RelayedTransaction {
  id: string;
  network: string;
  from: Address;
  to: Address;
  nonce: number;
  /** The transaction last signed for the attempt (the mined one once mined). */
  hash: Hash;
  /** Every transaction signed for it, oldest first: all share one nonce, so at most one is ever mined. */
  hashes: Hash[];
  status: RelayedStatus;
  /** Whether a node has taken it at least once. */
  broadcast: boolean;
  blockNumber: bigint | null;
  blockHash: Hash | null;
  /** Blocks on top of and including its block. */
  confirmations: number;
  /** Nothing changes any more: mined or failed with the network's confirmations, or replaced. */
  final: boolean;
  gas: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  createdAt: number;
}

export type SendResult =
  | { ok: true; transaction: RelayedTransaction }
  | {
      ok: false;
      /** The relayer cannot pay the gas: an operator must top it up. Never the payer's shortfall. */
      error: 'relayer_out_of_funds';
      message: string;
      network: string;
      relayer: Address;
      balance: bigint;
      required: bigint;
    }
  | {
      ok: false;
      /**
       * chain_unavailable: the node could not be asked (nonce, fees, gas, balance): send again.
       * transaction_would_revert: the node's gas estimate reverted (send it with `gas` to have it mined anyway).
       * Nothing was written down for either.
       */
      error: 'chain_unavailable' | 'transaction_would_revert';
      message: string;
    }
  | {
      ok: false;
      /**
       * A caller's bug: the request is malformed, or its id was sent with other parameters; `param` names
       * the field. Nothing was written down.
       */
      error: 'invalid_request';
      param: keyof SendRequest;
      message: string;
    };

const sendRequest = z.strictObject({
  id: z.string().min(1, 'must not be empty').max(255, 'must be at most 255 characters'),
  to: z.string().refine((value) => isAddress(value, { strict: false }), 'must be an address (0x and 40 hex digits)'),
  data: z.string().regex(/^0x(?:[0-9a-fA-F]{2})*$/, 'must be hex bytes (0x…)'),
  value: z.bigint().nonnegative('must not be negative').optional(),
  gas: z.bigint().positive('must be positive').optional(),
});

/** Fee bump of a re-price, in thousandths: nodes want at least 10 %, this leaves a margin. */
const REPRICE_BUMP_PER_MILLE = 1_125n;
const DEFAULT_REPRICE_AFTER_SECONDS = 60;
/** Longest wait between checks after repeated chain faults. */
const FAULT_BACKOFF_CAP_MS = 60_000;

const ALREADY_KNOWN = /already known|known transaction|already imported|transaction already exists|already in (the )?(mem)?pool/i;
const NONCE_TAKEN = /nonce too low|nonce has already been used|oldnonce|replacement transaction underpriced|already used nonce/i;
const INSUFFICIENT_FUNDS = /insufficient funds/i;

/** Amounts are digit strings; the signed transaction (`raw`) is public once broadcast, and carries no key. */
const MIGRATIONS: readonly Pick<Migration, 'version' | 'up'>[] = [
  {
    version: 1,
    up: (sql) =>
      sql.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE attempts (
          id TEXT PRIMARY KEY,
          nonce INTEGER NOT NULL UNIQUE,
          to_address TEXT NOT NULL,
          data TEXT NOT NULL,
          value TEXT NOT NULL,
          gas TEXT NOT NULL,
          max_fee TEXT NOT NULL,
          priority_fee TEXT NOT NULL,
          raw TEXT NOT NULL,
          hash TEXT NOT NULL,
          hashes TEXT NOT NULL,
          status TEXT NOT NULL,
          broadcast INTEGER NOT NULL DEFAULT 0,
          sent_at INTEGER,
          block_number INTEGER,
          block_hash TEXT,
          confirmations INTEGER NOT NULL DEFAULT 0,
          final INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX attempts_open ON attempts (final, nonce);
        CREATE TABLE timers (kind TEXT PRIMARY KEY, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);
      `),
  },
];

interface AttemptRow {
  [column: string]: SqlStorageValue;
  id: string;
  nonce: number;
  to_address: string;
  data: string;
  value: string;
  gas: string;
  max_fee: string;
  priority_fee: string;
  raw: string;
  hash: string;
  hashes: string;
  status: string;
  broadcast: number;
  sent_at: number | null;
  block_number: number | null;
  block_hash: string | null;
  confirmations: number;
  final: number;
  created_at: number;
}

interface OutOfFunds {
  balance: string;
  required: string;
  since: number;
}

export class Relayer extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private tail: Promise<unknown> = Promise.resolve();
  private client: PublicClient | undefined;
  private signer: PrivateKeyAccount | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    // A relayer only asked about its health (readiness) writes nothing: tables appear on the first send.
    ctx.blockConcurrencyWhile(async () => {
      if (this.hasTables()) this.ctx.storage.transactionSync(() => this.migrate());
    });
  }

  // --- RPC -----------------------------------------------------------------------------------

  /** Sends a transaction once per id (see the top of this file); the same id again returns it. */
  async send(network: string, request: SendRequest): Promise<SendResult> {
    const parsed = sendRequest.safeParse(request);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const param = String(issue.path[0] ?? 'id') as keyof SendRequest;
      return { ok: false, error: 'invalid_request', param, message: `${param} ${issue.message}` };
    }
    this.bindNetwork(network);
    return this.serialized(() => this.sendNow(network, request));
  }

  /** What became of an attempt; null for an id never sent. */
  async status(id: string): Promise<RelayedTransaction | null> {
    if (!this.hasTables()) return null;
    const row = this.row(id);
    return row ? this.toTransaction(row) : null;
  }

  /** The attempts not final yet, by nonce. */
  async pending(): Promise<RelayedTransaction[]> {
    if (!this.hasTables()) return [];
    return this.sql
      .exec<AttemptRow>('SELECT * FROM attempts WHERE final = 0 ORDER BY nonce')
      .toArray()
      .map((row) => this.toTransaction(row));
  }

  /**
   * The readiness problem of this relayer, or null: out of gas money since a send was refused, until
   * its balance covers that send again (read now, so a top-up is seen without another send).
   */
  async problem(network: string): Promise<string | null> {
    if (!this.hasTables()) return null;
    const short = this.outOfFunds();
    if (!short) return null;
    const address = this.account().address;
    try {
      const balance = await this.chain(network).getBalance({ address });
      if (balance >= BigInt(short.required)) {
        this.sql.exec(`DELETE FROM meta WHERE key = 'out_of_funds'`);
        logInfo('relayer topped up; sends resume', { network, relayer: address, balance: balance.toString() });
        return null;
      }
    } catch (error) {
      logWarn('relayer balance could not be read for readiness', { network, relayer: address, error: rpcMessage(error) });
    }
    return `the relayer ${address} on ${network} is out of gas money (balance ${short.balance} wei, a send needs ${short.required}): top it up`;
  }

  // --- the alarm -----------------------------------------------------------------------------

  override async alarm(): Promise<void> {
    if (!this.hasTables()) return;
    await this.serialized(async () => {
      const timer = this.sql.exec<{ attempts: number }>(`SELECT attempts FROM timers WHERE kind = 'watch'`).toArray()[0];
      if (!timer) return;
      const network = this.network();
      try {
        await this.watchPending(network);
        this.sql.exec(`UPDATE timers SET attempts = 0 WHERE kind = 'watch'`);
        this.scheduleWatch(network, Date.now());
      } catch (error) {
        const attempt = timer.attempts + 1;
        const delay = Math.min(backOffMs(attempt), FAULT_BACKOFF_CAP_MS);
        this.sql.exec(`UPDATE timers SET due_at = ?, attempts = ? WHERE kind = 'watch'`, Date.now() + delay, attempt);
        logWarn('relayer check failed; retrying', { network, attempt, retryInMs: delay, error: rpcMessage(error) });
      }
      await this.armAlarm();
    });
  }

  // --- sending -------------------------------------------------------------------------------

  private async sendNow(network: string, request: SendRequest): Promise<SendResult> {
    const existing = this.row(request.id);
    if (existing) {
      const reused = differsFrom(existing, request);
      if (reused) {
        return { ok: false, error: 'invalid_request', param: reused, message: `id ${request.id} was sent with another ${reused}` };
      }
      if (existing.status === 'pending' && existing.broadcast === 0) await this.broadcast(network, existing);
      return { ok: true, transaction: this.toTransaction(this.row(request.id)!) };
    }
    const client = this.chain(network);
    const { address } = this.account();
    const to = getAddress(request.to);
    const value = request.value ?? 0n;
    let nonce: number;
    let fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
    let gas: bigint;
    let balance: bigint;
    try {
      nonce = this.storedNonce() ?? (await client.getTransactionCount({ address, blockTag: 'pending' }));
      fees = await client.estimateFeesPerGas();
      gas = request.gas ?? (await client.estimateGas({ account: address, to, data: request.data, value }));
      balance = await client.getBalance({ address });
    } catch (error) {
      const message = rpcMessage(error);
      if (/revert/i.test(message))
        return { ok: false, error: 'transaction_would_revert', message: `the node says it would revert: ${message}` };
      return { ok: false, error: 'chain_unavailable', message: `${network}: ${message}` };
    }
    const required = gas * fees.maxFeePerGas + value;
    if (balance < required) return this.refuseOutOfFunds(network, balance, required);
    if (this.outOfFunds()) {
      this.sql.exec(`DELETE FROM meta WHERE key = 'out_of_funds'`);
      logInfo('relayer topped up; sends resume', { network, relayer: address, balance: balance.toString() });
    }
    const raw = await this.sign(network, { nonce, to, data: request.data, value, gas, ...fees });
    const now = Date.now();
    // Written down before it is broadcast: an eviction in between is finished by the alarm or the same id again.
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO attempts (id, nonce, to_address, data, value, gas, max_fee, priority_fee, raw, hash, hashes, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
        request.id,
        nonce,
        to,
        request.data,
        value.toString(),
        gas.toString(),
        fees.maxFeePerGas.toString(),
        fees.maxPriorityFeePerGas.toString(),
        raw,
        keccak256(raw),
        JSON.stringify([keccak256(raw)]),
        now,
      );
      this.setNextNonce(nonce + 1);
      this.scheduleWatch(network, now);
    });
    await this.armAlarm();
    await this.broadcast(network, this.row(request.id)!);
    return { ok: true, transaction: this.toTransaction(this.row(request.id)!) };
  }

  /**
   * Broadcasts the attempt's last signed transaction. "Already known" is sent; a nonce taken (too
   * low, or held by another pending transaction) is resynced; any other failure is left to the alarm.
   */
  private async broadcast(network: string, row: AttemptRow, resynced = false): Promise<void> {
    try {
      await this.broadcastRaw(network, row.raw as Hex);
    } catch (error) {
      const message = rpcMessage(error);
      if (ALREADY_KNOWN.test(message)) {
        // Sent before (an eviction before it was recorded): the node has it.
      } else if (NONCE_TAKEN.test(message) && !resynced) {
        await this.nonceTaken(network, row);
        return;
      } else {
        if (INSUFFICIENT_FUNDS.test(message)) {
          const balance = await this.chain(network)
            .getBalance({ address: this.account().address })
            .catch(() => 0n);
          this.refuseOutOfFunds(network, balance, BigInt(row.gas) * BigInt(row.max_fee) + BigInt(row.value));
        }
        logWarn('relayer broadcast failed; the alarm tries again', { network, id: row.id, nonce: row.nonce, error: message });
        return;
      }
    }
    this.sql.exec('UPDATE attempts SET broadcast = 1, sent_at = ? WHERE id = ?', Date.now(), row.id);
  }

  /**
   * The node says the attempt's nonce is used. If one of its own transactions has it, it was sent.
   * If no node ever took it, none of it can be mined (its nonce is used): it is signed again with the
   * node's next nonce. Otherwise another transaction of this key took the nonce: it is `replaced`, final.
   */
  private async nonceTaken(network: string, row: AttemptRow): Promise<void> {
    const client = this.chain(network);
    const { address } = this.account();
    for (const hash of JSON.parse(row.hashes) as Hash[]) {
      if (await client.getTransaction({ hash }).catch(() => null)) {
        this.sql.exec('UPDATE attempts SET broadcast = 1, sent_at = COALESCE(sent_at, ?) WHERE id = ?', Date.now(), row.id);
        return;
      }
    }
    const onChain = await client.getTransactionCount({ address, blockTag: 'pending' });
    // Once a node has taken one of its transactions, the attempt is done with this nonce: it is never signed anew.
    if (row.sent_at !== null) {
      this.markReplaced(network, row);
      return;
    }
    const nonce = Math.max(onChain, this.storedNonce() ?? 0);
    logWarn('relayer nonce was behind the chain (a transaction sent outside the relayer?); resynced', {
      network,
      id: row.id,
      stored: row.nonce,
      resynced: nonce,
    });
    const raw = await this.sign(network, {
      nonce,
      to: row.to_address as Address,
      data: row.data as Hex,
      value: BigInt(row.value),
      gas: BigInt(row.gas),
      maxFeePerGas: BigInt(row.max_fee),
      maxPriorityFeePerGas: BigInt(row.priority_fee),
    });
    const hash = keccak256(raw);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        'UPDATE attempts SET nonce = ?, raw = ?, hash = ?, hashes = ? WHERE id = ?',
        nonce,
        raw,
        hash,
        JSON.stringify([hash]),
        row.id,
      );
      this.setNextNonce(nonce + 1);
    });
    await this.broadcast(network, this.row(row.id)!, true);
  }

  /** The one place the object talks to the node to broadcast (a seam the eviction tests replace). */
  protected async broadcastRaw(network: string, raw: Hex): Promise<void> {
    await this.chain(network).request({ method: 'eth_sendRawTransaction', params: [raw] });
  }

  // --- watching ------------------------------------------------------------------------------

  private async watchPending(network: string): Promise<void> {
    const rows = this.sql.exec<AttemptRow>('SELECT * FROM attempts WHERE final = 0 ORDER BY nonce').toArray();
    if (rows.length === 0) return;
    const client = this.chain(network);
    const confirmationsRequired = chainsConfig(this.env).get(network)?.confirmations ?? 1;
    const head = await client.getBlockNumber({ cacheTime: 0 });
    for (const row of rows) {
      if (row.status === 'pending') await this.checkPending(network, row, head, confirmationsRequired);
      else await this.checkMined(network, row, head, confirmationsRequired);
    }
  }

  private async checkPending(network: string, row: AttemptRow, head: bigint, confirmationsRequired: number): Promise<void> {
    if (row.broadcast === 0) {
      await this.broadcast(network, row);
      return;
    }
    if (await this.recordReceipt(network, row, head, confirmationsRequired)) return;
    const client = this.chain(network);
    const { address } = this.account();
    const used = await client.getTransactionCount({ address, blockTag: 'latest' });
    if (used > row.nonce) {
      // Mined just now, between the receipt check and the count? Otherwise another transaction has the nonce.
      if (await this.recordReceipt(network, row, await client.getBlockNumber({ cacheTime: 0 }), confirmationsRequired)) return;
      this.markReplaced(network, row);
      return;
    }
    const known = await client.getTransaction({ hash: row.hash as Hash }).catch(() => null);
    if (!known) {
      logWarn('relayer transaction no longer known to the node; broadcast again', {
        network,
        id: row.id,
        nonce: row.nonce,
        hash: row.hash,
      });
      await this.broadcast(network, row);
      return;
    }
    if (Date.now() - (row.sent_at ?? row.created_at) >= this.repriceAfterMs()) await this.reprice(network, row);
  }

  /** A stuck transaction signed again with the same nonce and higher fees, recorded before it is broadcast. */
  private async reprice(network: string, row: AttemptRow): Promise<void> {
    const current = await this.chain(network).estimateFeesPerGas();
    const bump = (fee: bigint) => (fee * REPRICE_BUMP_PER_MILLE + 999n) / 1_000n;
    const maxPriorityFeePerGas = max(bump(BigInt(row.priority_fee)), current.maxPriorityFeePerGas);
    const maxFeePerGas = max(bump(BigInt(row.max_fee)), current.maxFeePerGas, maxPriorityFeePerGas);
    const raw = await this.sign(network, {
      nonce: row.nonce,
      to: row.to_address as Address,
      data: row.data as Hex,
      value: BigInt(row.value),
      gas: BigInt(row.gas),
      maxFeePerGas,
      maxPriorityFeePerGas,
    });
    const hash = keccak256(raw);
    const hashes = [...(JSON.parse(row.hashes) as Hash[]), hash];
    this.sql.exec(
      'UPDATE attempts SET raw = ?, hash = ?, hashes = ?, max_fee = ?, priority_fee = ?, broadcast = 0 WHERE id = ?',
      raw,
      hash,
      JSON.stringify(hashes),
      maxFeePerGas.toString(),
      maxPriorityFeePerGas.toString(),
      row.id,
    );
    logWarn('relayer transaction not mined in time; re-priced with the same nonce', {
      network,
      id: row.id,
      nonce: row.nonce,
      replaces: row.hash,
      hash,
      maxFeePerGas: maxFeePerGas.toString(),
    });
    await this.broadcast(network, this.row(row.id)!);
  }

  /** Looks for a receipt of any of the attempt's transactions; records it and returns true when there is one. */
  private async recordReceipt(network: string, row: AttemptRow, head: bigint, confirmationsRequired: number): Promise<boolean> {
    const client = this.chain(network);
    for (const hash of JSON.parse(row.hashes) as Hash[]) {
      const receipt = await client.getTransactionReceipt({ hash }).catch(() => null);
      if (!receipt) continue;
      const confirmations = Number(head - receipt.blockNumber + 1n);
      this.sql.exec(
        'UPDATE attempts SET status = ?, hash = ?, broadcast = 1, block_number = ?, block_hash = ?, confirmations = ?, final = ? WHERE id = ?',
        receipt.status === 'success' ? 'mined' : 'failed',
        hash,
        Number(receipt.blockNumber),
        receipt.blockHash,
        Math.max(confirmations, 0),
        confirmations >= confirmationsRequired ? 1 : 0,
        row.id,
      );
      return true;
    }
    return false;
  }

  /** A mined attempt short of its confirmations: still in its block, or dropped by a reorg? */
  private async checkMined(network: string, row: AttemptRow, head: bigint, confirmationsRequired: number): Promise<void> {
    const client = this.chain(network);
    const block = await client.getBlock({ blockNumber: BigInt(row.block_number!) }).catch(() => null);
    if (block?.hash === row.block_hash) {
      const confirmations = Number(head) - row.block_number! + 1;
      this.sql.exec(
        'UPDATE attempts SET confirmations = ?, final = ? WHERE id = ?',
        confirmations,
        confirmations >= confirmationsRequired ? 1 : 0,
        row.id,
      );
      return;
    }
    // Re-included elsewhere already? Otherwise back to pending, and the signed transaction goes out again.
    if (await this.recordReceipt(network, row, head, confirmationsRequired)) return;
    logWarn('relayer transaction dropped by a reorg; broadcast again', { network, id: row.id, nonce: row.nonce, block: row.block_number });
    this.sql.exec(
      `UPDATE attempts SET status = 'pending', block_number = NULL, block_hash = NULL, confirmations = 0, broadcast = 0 WHERE id = ?`,
      row.id,
    );
    await this.broadcast(network, this.row(row.id)!);
  }

  private markReplaced(network: string, row: AttemptRow): void {
    this.sql.exec(`UPDATE attempts SET status = 'replaced', final = 1 WHERE id = ?`, row.id);
    logWarn('relayer nonce used by another transaction of this key; the attempt can never be mined', {
      network,
      id: row.id,
      nonce: row.nonce,
    });
  }

  // --- gas money -----------------------------------------------------------------------------

  private refuseOutOfFunds(network: string, balance: bigint, required: bigint): SendResult {
    const relayer = this.account().address;
    const message = `The relayer ${relayer} on ${network} cannot pay for gas (balance ${balance} wei, needs ${required}); an operator must top it up.`;
    if (!this.outOfFunds()) {
      const record: OutOfFunds = { balance: balance.toString(), required: required.toString(), since: Date.now() };
      this.sql.exec(
        `INSERT INTO meta (key, value) VALUES ('out_of_funds', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        JSON.stringify(record),
      );
      logError(
        'relayer out of gas money; sends are refused until it is topped up',
        { network, relayer, balance: balance.toString(), required: required.toString() },
        new Error('relayer_out_of_funds'),
      );
    }
    return { ok: false, error: 'relayer_out_of_funds', message, network, relayer, balance, required };
  }

  private outOfFunds(): OutOfFunds | null {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'out_of_funds'`).toArray()[0];
    return row ? (JSON.parse(row.value) as OutOfFunds) : null;
  }

  // --- helpers -------------------------------------------------------------------------------

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async sign(
    network: string,
    tx: { nonce: number; to: Address; data: Hex; value: bigint; gas: bigint; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  ): Promise<Hex> {
    const chainId = chainsConfig(this.env).get(network)!.chainId;
    return this.account().signTransaction({ type: 'eip1559', chainId, ...tx });
  }

  /** The key's account, derived in memory only. */
  private account(): PrivateKeyAccount {
    this.signer ??= relayerAccount(this.env);
    if (!this.signer) throw new Error('RELAYER_PRIVATE_KEY is not set: this deployment has no relayer');
    return this.signer;
  }

  /** This object's own client: one must not be shared between Durable Objects. */
  private chain(network: string): PublicClient {
    if (this.client) return this.client;
    const config = chainsConfig(this.env).get(network);
    if (!config) throw new Error(`the network ${network} is not in CHAINS`);
    const chain = defineChain({
      id: config.chainId,
      name: network,
      nativeCurrency: {
        name: config.nativeCurrency.symbol,
        symbol: config.nativeCurrency.symbol.toUpperCase(),
        decimals: config.nativeCurrency.decimals,
      },
      rpcUrls: { default: { http: config.rpcUrls } },
    });
    const transports = config.rpcUrls.map((url) => http(url, { timeout: config.rpcTimeoutMs, retryCount: 0 }));
    this.client = createPublicClient({ chain, transport: fallback(transports, { retryCount: 0 }), cacheTime: 0 });
    return this.client;
  }

  private repriceAfterMs(): number {
    const raw = this.env.RELAYER_REPRICE_AFTER_SECONDS;
    const seconds = raw && /^\d+$/.test(raw) ? Number(raw) : DEFAULT_REPRICE_AFTER_SECONDS;
    return seconds * 1000;
  }

  /** The next check: now for attempts never broadcast, else after the network's poll interval; none when all are final. */
  private scheduleWatch(network: string, now: number): void {
    const open = this.sql
      .exec<{ n: number; unsent: number }>('SELECT COUNT(*) AS n, COALESCE(SUM(broadcast = 0), 0) AS unsent FROM attempts WHERE final = 0')
      .one();
    if (open.n === 0) {
      this.sql.exec(`DELETE FROM timers WHERE kind = 'watch'`);
      return;
    }
    const interval = chainsConfig(this.env).get(network)?.pollIntervalMs ?? FAULT_BACKOFF_CAP_MS;
    this.sql.exec(
      `INSERT INTO timers (kind, due_at) VALUES ('watch', ?) ON CONFLICT (kind) DO UPDATE SET due_at = excluded.due_at`,
      now + (open.unsent > 0 ? backOffMs(1) : interval),
    );
  }

  private async armAlarm(): Promise<void> {
    const next = this.sql.exec<{ at: number | null }>('SELECT MIN(due_at) AS at FROM timers').one().at;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  private row(id: string): AttemptRow | undefined {
    return this.sql.exec<AttemptRow>('SELECT * FROM attempts WHERE id = ?', id).toArray()[0];
  }

  private storedNonce(): number | null {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'next_nonce'`).toArray()[0];
    return row ? Number(row.value) : null;
  }

  private setNextNonce(nonce: number): void {
    this.sql.exec(
      `INSERT INTO meta (key, value) VALUES ('next_nonce', ?) ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(meta.value AS INTEGER), excluded.value)`,
      String(nonce),
    );
  }

  private toTransaction(row: AttemptRow): RelayedTransaction {
    return {
      id: row.id,
      network: this.network(),
      from: this.account().address,
      to: row.to_address as Address,
      nonce: row.nonce,
      hash: row.hash as Hash,
      hashes: JSON.parse(row.hashes) as Hash[],
      status: row.status as RelayedStatus,
      broadcast: row.broadcast === 1,
      blockNumber: row.block_number === null ? null : BigInt(row.block_number),
      blockHash: row.block_hash as Hash | null,
      confirmations: row.confirmations,
      final: row.final === 1,
      gas: BigInt(row.gas),
      maxFeePerGas: BigInt(row.max_fee),
      maxPriorityFeePerGas: BigInt(row.priority_fee),
      createdAt: row.created_at,
    };
  }

  /** The network this relayer sends on, kept at the first send (alarms carry no name). */
  private network(): string {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'network'`).toArray()[0];
    if (!row) throw new Error('a relayer that never sent anything has no network');
    return row.value;
  }

  private bindNetwork(network: string): void {
    if (!chainsConfig(this.env).has(network)) throw new Error(`the network ${network} is not in CHAINS`);
    if (!this.hasTables()) this.ctx.storage.transactionSync(() => this.migrate());
    const known = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'network'`).toArray()[0];
    if (known && known.value !== network) throw new Error(`this relayer sends on ${known.value}, not ${network}`);
    if (!known) this.sql.exec(`INSERT INTO meta (key, value) VALUES ('network', ?)`, network);
  }

  private hasTables(): boolean {
    return this.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).toArray().length > 0;
  }

  /** Brings the schema to the newest version, in order; run inside a transaction. */
  private migrate(): void {
    migrateSchema(this.sql, MIGRATIONS);
  }
}

/** The relayer's account from RELAYER_PRIVATE_KEY; undefined when unset. A malformed key throws without quoting it. */
export function relayerAccount(env: { RELAYER_PRIVATE_KEY?: string }): PrivateKeyAccount | undefined {
  const key = env.RELAYER_PRIVATE_KEY?.trim();
  if (!key) return undefined;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error('RELAYER_PRIVATE_KEY must be 0x followed by 64 hex digits');
  return privateKeyToAccount(key as Hex);
}

/** The relayer of this deployment's key on `network` (one per network and key). */
export function relayer(env: Env, network: string): DurableObjectStub<Relayer> {
  const account = relayerAccount(env);
  if (!account) throw new Error('RELAYER_PRIVATE_KEY is not set: this deployment has no relayer');
  return env.RELAYERS.get(env.RELAYERS.idFromName(`${network}:${account.address}`));
}

/** Readiness: each network's relayer out of gas money, named with its address (never the key). */
export async function relayerProblems(env: Env): Promise<string[]> {
  let account: PrivateKeyAccount | undefined;
  try {
    account = relayerAccount(env);
  } catch (error) {
    return [(error as Error).message];
  }
  if (!account) return [];
  const networks = [...chainsConfig(env).keys()];
  const answers = await Promise.all(
    networks.map((network) =>
      relayer(env, network)
        .problem(network)
        .catch((error: unknown) => {
          logError('relayer does not answer', { network, relayer: account.address }, error);
          return `the relayer ${account.address} on ${network} does not answer`;
        }),
    ),
  );
  return answers.filter((problem): problem is string => problem !== null);
}

/** The first field in which a request under a recorded id differs from what was recorded (gas only when given). */
function differsFrom(row: AttemptRow, request: SendRequest): keyof SendRequest | null {
  if (getAddress(row.to_address) !== getAddress(request.to)) return 'to';
  if (row.data.toLowerCase() !== request.data.toLowerCase()) return 'data';
  if (row.value !== (request.value ?? 0n).toString()) return 'value';
  if (request.gas !== undefined && row.gas !== request.gas.toString()) return 'gas';
  return null;
}

/** A node's or viem's message, never an RPC URL (it may carry an API key; viem's long messages name it). */
function rpcMessage(error: unknown): string {
  if (error instanceof BaseError) {
    const details = error.walk(
      (e) => e instanceof BaseError && typeof (e as BaseError).details === 'string' && (e as BaseError).details !== '',
    ) as BaseError | null;
    return details?.details || error.shortMessage;
  }
  return error instanceof Error ? error.message : String(error);
}

function max(...values: bigint[]): bigint {
  // biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigints
  return values.reduce((a, b) => (b > a ? b : a));
}
