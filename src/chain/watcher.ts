/**
 * One watcher per network: a Durable Object named by the network key in CHAINS, the only reader of
 * that chain for payments. Whatever waits for a payment (a crypto intent, a crypto refund's
 * destination; escrows later) registers a watch — an address, a token contract or the native coin, the
 * block to look from, until when, and which object to tell — and the watcher reads each new block
 * range once for all of them: one eth_getLogs for the Transfer logs of every watched token to every
 * watched address (src/chain/viem-adapter.ts chunks the address list at 1,000), and each block's
 * transactions once when a native-coin watch exists. RPC calls per minute grow with blocks, not
 * with watches. A mandate (issue 13) registers its id on its contract instead: one more eth_getLogs
 * per read covers the `Debited` and `MandateCancelled` logs of every watched mandate of every mandate
 * contract (topic1 the ids, chunked like the addresses).
 *
 * Correctness comes from a cursor and re-reads, all in the object's own SQLite (versioned below):
 * - every read re-scans the last `confirmations + REORG_MARGIN` blocks for logs (in the same one
 *   call), and re-checks the hash of each block holding a native transfer that is not yet final,
 *   so a reorg drops what it dropped and a re-included transfer is found again;
 * - a watch registered with a start block below the cursor is caught up from that block;
 * - a head below the last block read is a chain that went backwards past the watcher (reset, a
 *   reorg deeper than the re-checked blocks, a node far behind): nothing is claimed while it lasts,
 *   every watch is told once (`behind`), and once the head is past that block again everything is
 *   scanned again from before the lowest start block, so only what is on chain then counts;
 * - a chain fault (`ChainUnavailable`) backs off, honouring the node's Retry-After.
 *
 * What a watch is told is a delivery: every transfer to its address (of its token) still on chain,
 * with the head and the time the head was read (which vouches for the time: the domain decides an
 * expiry on it). A watch is told when its transfers changed, when one of them is short of its
 * confirmations and the head moved, when its `notifyAt` time has come (an intent's expiry), and
 * about a chain that went backwards. Deliveries are rows, sent concurrently from the alarm, each
 * retried with back-off until the subscriber answers: a busy or evicted subscriber never holds up
 * the others. Alarms are at-least-once and every step is idempotent: a delivery repeats what the
 * subscriber already knows, which it ignores. A mandate's watch is told (`mandate_logs`) when its
 * logs changed or one of them is short of its confirmations and the head moved; while the chain is
 * behind it is told nothing, and after the re-scan it is told what is on chain then.
 */
import { DurableObject } from 'cloudflare:workers';
import { type Address, getAddress, type Hex } from 'viem';
import type { CryptoTransfer } from '../domain/crypto.js';
import { backOffMs, type Migration, migrateSchema } from '../durable/entity.js';
import type { Env } from '../env.js';
import { logError } from '../lib/log.js';
import { ChainUnavailable, type ChainReader, type MandateContractLog, type Transfer } from './port.js';
import { chainsConfig, newChainReader } from './registry.js';

/** Blocks past the deepest required confirmations that are still re-read on every read (re-inclusions). */
export const REORG_MARGIN = 3n;
/** Scan calls per read; a longer backlog continues at once in the next read. */
const MAX_SCANS_PER_READ = 20;
/** The longest wait between reads after repeated chain faults. */
const FAULT_BACKOFF_CAP_MS = 60_000;
/** Deliveries in flight at once, and how long one may take before it counts as failed (and is retried). */
const DELIVERY_CONCURRENCY = 16;
const DELIVERY_TIMEOUT_MS = 5_000;

/**
 * Who is told: the kind of object and its name. Each kind maps to a Durable Object namespace whose
 * objects implement `chainObserved` (see `subscriberStub`): 'payment_intent' → INTENTS, 'mandate' →
 * MANDATES (`idFromName(id)`). A crypto refund ('refund', id `pi_…:re_…`) is told through its
 * intent's object (`refundObserved`): each refund its own watch, so two refunds to one address
 * are registered, and unregistered, apart.
 */
export interface Subscriber {
  kind: 'payment_intent' | 'mandate' | 'refund';
  id: string;
}

/** The subscriber of a crypto refund's watch. */
export function refundSubscriber(intentId: string, refundId: string): Subscriber {
  return { kind: 'refund', id: `${intentId}:${refundId}` };
}

/**
 * A mandate's registration: the `Debited` and `MandateCancelled` logs of its id on its contract,
 * from a block on, until unregistered (or the subscriber answers that it no longer watches).
 */
export interface MandateLogWatch {
  subscriber: Subscriber;
  /** The mandate's contract (ConnectedWallets or VirtualAccounts of the network). */
  contract: Address;
  /** The mandate's bytes32 id: topic1 of both events. */
  onchainId: Hex;
  /** The first block a log can be in: the block the mandate's authorize was sent at (or the head then). */
  fromBlock: bigint;
  /** Blocks on top of and including a log's before it is final for the subscriber. */
  confirmations: number;
}

/** A log of the watched mandate, with its confirmations at the delivery's head. */
export type MandateLog =
  | {
      event: 'Debited';
      amount: bigint;
      period: number;
      used: number;
      txHash: Hex;
      logIndex: number;
      blockNumber: bigint;
      blockHash: Hex;
      confirmations: number;
    }
  | { event: 'MandateCancelled'; by: Address; txHash: Hex; logIndex: number; blockNumber: bigint; blockHash: Hex; confirmations: number };

/** A registration: what to look for, from which block, until when, and whom to tell. */
export interface Watch {
  subscriber: Subscriber;
  address: Address;
  /** The ERC-20 contract; null for the native coin. */
  token: Address | null;
  /** The first block a payment can be in (the head when the address was handed out). */
  fromBlock: bigint;
  /** Blocks on top of and including a transfer's before it is final for the subscriber. */
  confirmations: number;
  /** When the watch ends by itself (ms); null: until unregistered. */
  until: number | null;
  /** A time the subscriber must hear from the chain at or after (ms), even if nothing changed. */
  notifyAt: number | null;
}

/** What a subscriber is told. */
export type WatchDelivery =
  | {
      kind: 'observed';
      network: string;
      address: Address;
      token: Address | null;
      /** Every transfer to the address (of the token) in blocks up to `head`, in chain order. */
      transfers: CryptoTransfer[];
      head: bigint;
      /** When the head was read: every block up to it has been scanned. */
      observedAt: number;
      /** Set on the first delivery after the chain came back past the watcher (see the top of this file). */
      rescanned: { from: bigint; lastRead: bigint; since: number } | null;
    }
  | {
      kind: 'behind';
      network: string;
      address: Address;
      token: Address | null;
      head: bigint;
      lastRead: bigint;
      rescanFrom: bigint;
    }
  | {
      /**
       * A mandate's logs. Not sent while the chain is behind the watcher (see the top of this file):
       * once it is past again and scanned again, every mandate watch is told what is on chain then.
       */
      kind: 'mandate_logs';
      network: string;
      contract: Address;
      onchainId: Hex;
      /** Every Debited / MandateCancelled log of the id still on chain up to `head`, in chain order. */
      logs: MandateLog[];
      head: bigint;
      /** When the head was read: every block up to it has been scanned. */
      observedAt: number;
    };

/** A subscriber's answer: false when it no longer needs the watch (the watcher drops it). */
export interface DeliveryAck {
  watching: boolean;
}

interface WatchRow {
  [column: string]: SqlStorageValue;
  subscriber: string;
  address: string;
  token: string;
  from_block: number;
  confirmations: number;
  until: number | null;
  notify_at: number | null;
  scanned: number;
  delivered: string;
  delivered_head: number | null;
}

interface MandateWatchRow {
  [column: string]: SqlStorageValue;
  subscriber: string;
  onchain_id: string;
  contract: string;
  from_block: number;
  confirmations: number;
  scanned: number;
  delivered: string;
  delivered_head: number | null;
}

interface MandateLogRow {
  [column: string]: SqlStorageValue;
  contract: string;
  onchain_id: string;
  tx_hash: string;
  log_index: number;
  block_number: number;
  block_hash: string;
  event: string;
  amount: string | null;
  period: number | null;
  used: number | null;
  by_address: string | null;
}

interface MandateDeliveryRow {
  [column: string]: SqlStorageValue;
  subscriber: string;
  onchain_id: string;
  due_at: number;
  attempts: number;
}

interface TransferRow {
  [column: string]: SqlStorageValue;
  address: string;
  token: string;
  tx_hash: string;
  log_index: number;
  block_number: number;
  block_hash: string;
  at: number;
  sender: string;
  value: string;
}

interface CursorRow {
  [column: string]: SqlStorageValue;
  next_block: number | null;
  head: number | null;
  observed_at: number | null;
  rewind: string | null;
  faults: number;
  read_at: number | null;
}

/** The chain went backwards past the watcher; stored as JSON in `cursor.rewind`. */
interface Rewind {
  /** The last block read before the head went below it: nothing is claimed until the head is here again. */
  lastRead: number;
  /** Where everything is scanned again from once it is. */
  rescanFrom: number;
  /** Where that scan has got to (it may take several reads). */
  scanFrom: number;
  /** When the head was first seen below lastRead (ms). */
  since: number;
  /** The head last seen below lastRead. */
  head: number;
}

/**
 * The watcher's own schema, in version order. Block numbers are SQLite integers: no chain is
 * anywhere near 2^53 blocks, and ranges are compared in SQL. Amounts stay digit strings. A watch's
 * token is '' for the native coin (a key column cannot be NULL).
 */
const MIGRATIONS: readonly Pick<Migration, 'version' | 'up'>[] = [
  {
    version: 1,
    up: (sql) =>
      sql.exec(`
        CREATE TABLE cursor (
          singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
          next_block INTEGER,
          head INTEGER,
          observed_at INTEGER,
          rewind TEXT,
          faults INTEGER NOT NULL DEFAULT 0,
          read_at INTEGER
        );
        INSERT INTO cursor (singleton) VALUES (1);
        CREATE TABLE watches (
          subscriber TEXT NOT NULL,
          address TEXT NOT NULL,
          token TEXT NOT NULL,
          from_block INTEGER NOT NULL,
          confirmations INTEGER NOT NULL,
          until INTEGER,
          notify_at INTEGER,
          scanned INTEGER NOT NULL DEFAULT 0,
          delivered TEXT NOT NULL DEFAULT '',
          delivered_head INTEGER,
          PRIMARY KEY (subscriber, address, token)
        );
        CREATE INDEX watches_by_address ON watches (address, token);
        CREATE TABLE transfers (
          address TEXT NOT NULL,
          token TEXT NOT NULL,
          tx_hash TEXT NOT NULL,
          log_index INTEGER NOT NULL,
          block_number INTEGER NOT NULL,
          block_hash TEXT NOT NULL,
          at INTEGER NOT NULL,
          sender TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (address, token, tx_hash, log_index)
        );
        CREATE INDEX transfers_by_block ON transfers (block_number);
        CREATE TABLE deliveries (
          subscriber TEXT NOT NULL,
          address TEXT NOT NULL,
          token TEXT NOT NULL,
          due_at INTEGER NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          rescanned TEXT,
          PRIMARY KEY (subscriber, address, token)
        );
      `),
  },
  {
    // Mandates' logs (issue 13): watches by mandate id, the logs found, and their deliveries. A
    // Debited log has amount (digits), period and used; a MandateCancelled log has by_address.
    version: 2,
    up: (sql) =>
      sql.exec(`
        CREATE TABLE mandate_watches (
          subscriber TEXT NOT NULL,
          onchain_id TEXT NOT NULL,
          contract TEXT NOT NULL,
          from_block INTEGER NOT NULL,
          confirmations INTEGER NOT NULL,
          scanned INTEGER NOT NULL DEFAULT 0,
          delivered TEXT NOT NULL DEFAULT '',
          delivered_head INTEGER,
          PRIMARY KEY (subscriber, onchain_id)
        );
        CREATE TABLE mandate_logs (
          contract TEXT NOT NULL,
          onchain_id TEXT NOT NULL,
          tx_hash TEXT NOT NULL,
          log_index INTEGER NOT NULL,
          block_number INTEGER NOT NULL,
          block_hash TEXT NOT NULL,
          event TEXT NOT NULL,
          amount TEXT,
          period INTEGER,
          used INTEGER,
          by_address TEXT,
          PRIMARY KEY (contract, onchain_id, tx_hash, log_index)
        );
        CREATE INDEX mandate_logs_by_block ON mandate_logs (block_number);
        CREATE TABLE mandate_deliveries (
          subscriber TEXT NOT NULL,
          onchain_id TEXT NOT NULL,
          due_at INTEGER NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (subscriber, onchain_id)
        );
      `),
  },
];

export class ChainWatcher extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private reader: ChainReader | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => this.ctx.storage.transactionSync(() => this.migrate()));
  }

  // --- RPC -----------------------------------------------------------------------------------

  /**
   * Registers (or updates) a watch. Idempotent: the same registration again changes nothing; a
   * start block lower than before is caught up from.
   */
  async watch(network: string, watch: Watch): Promise<void> {
    this.assertNetwork(network);
    const subscriber = subscriberKey(watch.subscriber);
    const address = getAddress(watch.address);
    const token = watch.token === null ? '' : getAddress(watch.token);
    const fromBlock = Number(watch.fromBlock);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO watches (subscriber, address, token, from_block, confirmations, until, notify_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (subscriber, address, token) DO UPDATE SET
           scanned = CASE WHEN excluded.from_block < watches.from_block THEN 0 ELSE watches.scanned END,
           from_block = MIN(excluded.from_block, watches.from_block),
           confirmations = excluded.confirmations, until = excluded.until, notify_at = excluded.notify_at`,
        subscriber,
        address,
        token,
        fromBlock,
        watch.confirmations,
        watch.until,
        watch.notifyAt,
      );
      const cursor = this.cursor();
      if (cursor.read_at === null) this.sql.exec('UPDATE cursor SET read_at = ?', Date.now());
    });
    await this.armAlarm();
  }

  /** Drops a watch (and what was found for it). Idempotent. */
  async unwatch(network: string, subscriber: Subscriber, address: Address, token: Address | null): Promise<void> {
    this.assertNetwork(network);
    this.ctx.storage.transactionSync(() =>
      this.dropWatch(subscriberKey(subscriber), getAddress(address), token === null ? '' : getAddress(token)),
    );
    await this.armAlarm();
  }

  /**
   * Registers (or updates) a mandate's watch. Idempotent: the same registration again changes
   * nothing; a start block lower than before is caught up from.
   */
  async watchMandate(network: string, watch: MandateLogWatch): Promise<void> {
    this.assertNetwork(network);
    const onchainId = watch.onchainId.toLowerCase();
    if (!/^0x[0-9a-f]{64}$/.test(onchainId)) throw new Error(`a mandate's onchainId is a bytes32, not ${JSON.stringify(watch.onchainId)}`);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO mandate_watches (subscriber, onchain_id, contract, from_block, confirmations) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (subscriber, onchain_id) DO UPDATE SET
           scanned = CASE WHEN excluded.from_block < mandate_watches.from_block OR excluded.contract != mandate_watches.contract
             THEN 0 ELSE mandate_watches.scanned END,
           from_block = MIN(excluded.from_block, mandate_watches.from_block),
           contract = excluded.contract, confirmations = excluded.confirmations`,
        subscriberKey(watch.subscriber),
        onchainId,
        getAddress(watch.contract),
        Number(watch.fromBlock),
        watch.confirmations,
      );
      const cursor = this.cursor();
      if (cursor.read_at === null) this.sql.exec('UPDATE cursor SET read_at = ?', Date.now());
    });
    await this.armAlarm();
  }

  /** Drops a mandate's watch (and its logs, unless another watch has the id). Idempotent. */
  async unwatchMandate(network: string, subscriber: Subscriber, onchainId: Hex): Promise<void> {
    this.assertNetwork(network);
    this.ctx.storage.transactionSync(() => this.dropMandateWatch(subscriberKey(subscriber), onchainId.toLowerCase()));
    await this.armAlarm();
  }

  /** The watches and the cursor, for tests and support tooling. */
  async inspect(): Promise<{
    watches: WatchRow[];
    mandateWatches: MandateWatchRow[];
    cursor: CursorRow;
    deliveries: number;
    mandateDeliveries: number;
  }> {
    return {
      watches: this.sql.exec<WatchRow>('SELECT * FROM watches ORDER BY subscriber').toArray(),
      mandateWatches: this.sql.exec<MandateWatchRow>('SELECT * FROM mandate_watches ORDER BY subscriber, onchain_id').toArray(),
      cursor: this.cursor(),
      deliveries: this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM deliveries').one().n,
      mandateDeliveries: this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM mandate_deliveries').one().n,
    };
  }

  // --- the alarm -----------------------------------------------------------------------------

  /** Reads the chain when due, then sends the due deliveries; re-arms for the earliest next thing. */
  override async alarm(): Promise<void> {
    const network = this.network();
    const readAt = this.cursor().read_at;
    if (readAt !== null && readAt <= Date.now()) await this.read(network);
    await this.deliver(network);
    await this.armAlarm();
  }

  private async read(network: string): Promise<void> {
    this.dropEnded();
    const watches = this.sql.exec<WatchRow>('SELECT * FROM watches').toArray();
    const mandates = this.sql.exec<MandateWatchRow>('SELECT * FROM mandate_watches').toArray();
    if (watches.length === 0 && mandates.length === 0) {
      this.sql.exec('UPDATE cursor SET read_at = NULL, faults = 0');
      return;
    }
    const config = chainsConfig(this.env).get(network);
    const cursor = this.cursor();
    try {
      this.reader ??= newChainReader(this.env, network);
      if (!config || !this.reader) throw new ChainUnavailable('http-error', `the network ${network} is no longer in CHAINS`);
      const caughtUp = await this.scan(this.reader, watches, mandates, cursor);
      this.sql.exec('UPDATE cursor SET read_at = ?, faults = 0', caughtUp ? Date.now() + config.pollIntervalMs : Date.now());
    } catch (error) {
      const fault = error instanceof ChainUnavailable ? error : undefined;
      const interval = config?.pollIntervalMs ?? FAULT_BACKOFF_CAP_MS;
      const delay = Math.max(fault?.retryAfterMs ?? 0, Math.min(interval * 2 ** cursor.faults, FAULT_BACKOFF_CAP_MS));
      this.sql.exec('UPDATE cursor SET read_at = ?, faults = faults + 1', Date.now() + delay);
      logError(
        'chain poll failed; retrying',
        { network, watches: watches.length + mandates.length, attempt: cursor.faults, fault: fault?.fault ?? 'bug', retryInMs: delay },
        error,
      );
    }
  }

  /**
   * One read: the head, the chain-went-backwards check, the re-checks, the scans; then the found
   * transfers replace what was held for the scanned blocks, and deliveries are queued. True when
   * every block up to the head has been read.
   */
  private async scan(reader: ChainReader, watches: WatchRow[], mandates: MandateWatchRow[], cursor: CursorRow): Promise<boolean> {
    const observedAt = Date.now();
    const head = Number(await reader.head());
    const all = [...watches, ...mandates];
    const depth = Math.max(...all.map((w) => w.confirmations)) + Number(REORG_MARGIN);
    const lowestStart = Math.min(...all.map((w) => w.from_block));
    let rewind = cursor.rewind ? (JSON.parse(cursor.rewind) as Rewind) : null;
    const lastRead = rewind?.lastRead ?? (cursor.next_block === null ? null : cursor.next_block - 1);

    if (lastRead !== null && head < lastRead) {
      // Below the lowest head seen, a reset chain may hold payments; before the start blocks, a
      // reorg deeper than the watches' age may. The margin covers a fork a few blocks lower.
      const rescanFrom = Math.max(0, Math.min(lowestStart, head + 1) - depth);
      const first = rewind === null;
      const lowest = rewind ? Math.min(rewind.rescanFrom, rescanFrom) : rescanFrom;
      rewind = { lastRead, rescanFrom: lowest, scanFrom: lowest, since: rewind?.since ?? observedAt, head };
      this.ctx.storage.transactionSync(() => {
        this.sql.exec('UPDATE cursor SET rewind = ?', JSON.stringify(rewind));
        // Each watch hears of it once per episode; meanwhile nothing else is delivered. A mandate's
        // watch hears nothing until the chain is scanned again (then it is told what is on chain).
        if (first) for (const w of watches) this.queueDelivery(w, observedAt, null);
        this.sql.exec('DELETE FROM mandate_deliveries');
      });
      return true;
    }

    const unscanned = watches.filter((w) => w.scanned === 0);
    const catchUp = unscanned.length > 0 ? Math.min(...unscanned.map((w) => w.from_block)) : Number.POSITIVE_INFINITY;
    const logFrom = Math.min(
      catchUp,
      rewind ? rewind.scanFrom : cursor.next_block === null ? lowestStart : Math.max(0, cursor.next_block - depth),
    );
    let coinFrom = Math.min(catchUp, rewind ? rewind.scanFrom : (cursor.next_block ?? lowestStart));
    const unscannedMandates = mandates.filter((m) => m.scanned === 0);
    const mandateFrom = Math.min(
      ...unscannedMandates.map((m) => m.from_block),
      rewind ? rewind.scanFrom : cursor.next_block === null ? lowestStart : Math.max(0, cursor.next_block - depth),
    );

    const tokenWatches = watches.filter((w) => w.token !== '');
    const coinWatches = watches.filter((w) => w.token === '');
    const found: Transfer[] = [];
    const replaced: { token: 'logs' | 'coin'; from: number; to: number }[] = [];
    const foundLogs: MandateContractLog[] = [];
    const replacedLogs: { from: number; to: number }[] = [];
    let reached = head;

    if (tokenWatches.length > 0) {
      const tokens = unique(tokenWatches.map((w) => w.token)) as Address[];
      const to = unique(tokenWatches.map((w) => w.address)) as Address[];
      let from = logFrom;
      for (let scans = 0; scans < MAX_SCANS_PER_READ && from <= head; scans++) {
        const result = await reader.erc20Transfers({ tokens, to, fromBlock: BigInt(from), toBlock: BigInt(head) });
        const last = Number(result.toBlock);
        if (last < from) break;
        found.push(...result.transfers);
        replaced.push({ token: 'logs', from, to: last });
        from = last + 1;
      }
      reached = Math.min(reached, from - 1);
    }
    if (coinWatches.length > 0) {
      // A native transfer not yet final is re-checked against its block's hash (a different hash:
      // a reorg replaced the block), and the blocks from there are read again.
      const recent = this.sql
        .exec<{ block_number: number; block_hash: string }>(
          `SELECT DISTINCT block_number, block_hash FROM transfers WHERE token = '' AND block_number > ?`,
          rewind ? -1 : head - depth,
        )
        .toArray();
      for (const block of recent) {
        if (block.block_number >= coinFrom) continue;
        if ((await reader.blockHash(BigInt(block.block_number))) !== block.block_hash) coinFrom = block.block_number;
      }
      const to = unique(coinWatches.map((w) => w.address)) as Address[];
      let from = coinFrom;
      for (let scans = 0; scans < MAX_SCANS_PER_READ && from <= head; scans++) {
        const result = await reader.nativeTransfers({ to, fromBlock: BigInt(from), toBlock: BigInt(head) });
        const last = Number(result.toBlock);
        if (last < from) break;
        found.push(...result.transfers);
        replaced.push({ token: 'coin', from, to: last });
        from = last + 1;
      }
      reached = Math.min(reached, from - 1);
    }

    if (mandates.length > 0) {
      // One call per range for every watched mandate of every contract (chunked by id in the adapter).
      const contracts = unique(mandates.map((m) => m.contract)) as Address[];
      const ids = unique(mandates.map((m) => m.onchain_id)) as Hex[];
      let from = mandateFrom;
      for (let scans = 0; scans < MAX_SCANS_PER_READ && from <= head; scans++) {
        const result = await reader.getMandateLogs({ contracts, ids, fromBlock: BigInt(from), toBlock: BigInt(head) });
        const last = Number(result.toBlock);
        if (last < from) break;
        foundLogs.push(...result.logs);
        replacedLogs.push({ from, to: last });
        from = last + 1;
      }
      reached = Math.min(reached, from - 1);
    }

    const caughtUp = reached >= head;
    this.ctx.storage.transactionSync(() => {
      this.storeMandateLogs(foundLogs, replacedLogs, unscannedMandates);
      // The watches as they are now: one dropped while the chain was read keeps none of its transfers.
      const wanted = new Set(
        this.sql
          .exec<{ key: string }>(`SELECT DISTINCT address || '|' || token AS key FROM watches`)
          .toArray()
          .map((r) => r.key),
      );
      for (const r of replaced) {
        this.sql.exec(
          `DELETE FROM transfers WHERE block_number BETWEEN ? AND ? AND ${r.token === 'coin' ? "token = ''" : "token != ''"}`,
          r.from,
          r.to,
        );
      }
      for (const t of found) {
        const token = t.token ?? '';
        if (!wanted.has(`${t.to}|${token}`)) continue;
        this.sql.exec(
          `INSERT INTO transfers (address, token, tx_hash, log_index, block_number, block_hash, at, sender, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash, at = excluded.at`,
          t.to,
          token,
          t.txHash,
          t.logIndex,
          Number(t.blockNumber),
          t.blockHash,
          t.at,
          t.from,
          t.value.toString(),
        );
      }
      for (const w of unscanned) {
        this.sql.exec(
          'UPDATE watches SET scanned = 1 WHERE subscriber = ? AND address = ? AND token = ? AND from_block >= ?',
          w.subscriber,
          w.address,
          w.token,
          w.from_block,
        );
      }
      if (!caughtUp) {
        // The scan stopped short of the head: what was read is kept, nothing is delivered yet (it
        // could not vouch for the time), and the next read, at once, goes on from here.
        if (rewind) this.sql.exec('UPDATE cursor SET rewind = ?', JSON.stringify({ ...rewind, scanFrom: reached + 1 }));
        else this.sql.exec('UPDATE cursor SET next_block = ?', reached + 1);
        return;
      }
      this.sql.exec('UPDATE cursor SET next_block = ?, head = ?, observed_at = ?, rewind = NULL', head + 1, head, observedAt);
      const rescanned = rewind && JSON.stringify({ from: rewind.rescanFrom, lastRead: rewind.lastRead, since: rewind.since });
      for (const w of watches) {
        const held = this.transfersOf(w.address, w.token, head);
        const due =
          rescanned !== null ||
          digest(held) !== w.delivered ||
          (w.notify_at !== null && w.notify_at <= observedAt) ||
          // Short of its confirmations when last told: the subscriber counts them on the new head.
          (w.delivered_head !== null &&
            head !== w.delivered_head &&
            held.some((t) => w.delivered_head! - t.block_number + 1 < w.confirmations));
        if (due) this.queueDelivery(w, Date.now(), rescanned);
      }
      for (const m of this.sql.exec<MandateWatchRow>('SELECT * FROM mandate_watches').toArray()) {
        const held = this.mandateLogsOf(m.contract, m.onchain_id, head);
        const due =
          rescanned !== null ||
          mandateDigest(held) !== m.delivered ||
          (m.delivered_head !== null &&
            head !== m.delivered_head &&
            held.some((l) => m.delivered_head! - l.block_number + 1 < m.confirmations));
        if (due) this.queueMandateDelivery(m, Date.now());
      }
    });
    return caughtUp;
  }

  /** The found mandate logs replace what was held for the scanned blocks; run inside the scan's transaction. */
  private storeMandateLogs(found: MandateContractLog[], replaced: { from: number; to: number }[], unscanned: MandateWatchRow[]): void {
    // The watches as they are now: one dropped while the chain was read keeps none of its logs.
    const wanted = new Set(
      this.sql
        .exec<{ key: string }>(`SELECT DISTINCT contract || '|' || onchain_id AS key FROM mandate_watches`)
        .toArray()
        .map((r) => r.key),
    );
    for (const r of replaced) this.sql.exec('DELETE FROM mandate_logs WHERE block_number BETWEEN ? AND ?', r.from, r.to);
    for (const l of found) {
      const onchainId = l.onchainId.toLowerCase();
      if (!wanted.has(`${l.contract}|${onchainId}`)) continue;
      const debit = l.event === 'Debited' ? l : null;
      this.sql.exec(
        `INSERT INTO mandate_logs (contract, onchain_id, tx_hash, log_index, block_number, block_hash, event, amount, period, used, by_address)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash`,
        l.contract,
        onchainId,
        l.txHash,
        l.logIndex,
        Number(l.blockNumber),
        l.blockHash,
        l.event,
        debit ? debit.amount.toString() : null,
        debit ? debit.period : null,
        debit ? debit.used : null,
        l.event === 'MandateCancelled' ? l.by : null,
      );
    }
    for (const m of unscanned) {
      this.sql.exec(
        'UPDATE mandate_watches SET scanned = 1 WHERE subscriber = ? AND onchain_id = ? AND contract = ? AND from_block >= ?',
        m.subscriber,
        m.onchain_id,
        m.contract,
        m.from_block,
      );
    }
  }

  /** Sends every due delivery, a few at a time; a failure or a slow subscriber is retried later. */
  private async deliver(network: string): Promise<void> {
    const due = this.sql
      .exec<{ subscriber: string; address: string; token: string; due_at: number; attempts: number; rescanned: string | null }>(
        'SELECT * FROM deliveries WHERE due_at <= ? ORDER BY due_at',
        Date.now(),
      )
      .toArray();
    const dueMandates = this.sql
      .exec<MandateDeliveryRow>('SELECT * FROM mandate_deliveries WHERE due_at <= ? ORDER BY due_at', Date.now())
      .toArray();
    const sends = [
      ...due.map((d) => () => this.deliverOne(network, d)),
      ...dueMandates.map((d) => () => this.deliverMandateLogs(network, d)),
    ];
    for (let i = 0; i < sends.length; i += DELIVERY_CONCURRENCY) {
      await Promise.all(sends.slice(i, i + DELIVERY_CONCURRENCY).map((send) => send()));
    }
  }

  /**
   * Sends one delivery and answers the subscriber's ack; on a failure or a timeout `reschedule` moves
   * the delivery's row to its next try (with back-off), and the answer is null.
   */
  private async send(
    network: string,
    d: { subscriber: string; attempts: number },
    delivery: WatchDelivery,
    reschedule: (dueAt: number, attempt: number) => void,
  ): Promise<DeliveryAck | null> {
    try {
      return await withTimeout(subscriberStub(this.env, d.subscriber).chainObserved(delivery), DELIVERY_TIMEOUT_MS);
    } catch (error) {
      const attempt = d.attempts + 1;
      reschedule(Date.now() + backOffMs(attempt), attempt);
      logError('watch delivery failed; retrying', { network, subscriber: d.subscriber, attempt }, error);
      return null;
    }
  }

  private async deliverMandateLogs(network: string, d: MandateDeliveryRow): Promise<void> {
    const cursor = this.cursor();
    const watch = this.sql
      .exec<MandateWatchRow>('SELECT * FROM mandate_watches WHERE subscriber = ? AND onchain_id = ?', d.subscriber, d.onchain_id)
      .toArray()[0];
    if (!watch || cursor.rewind !== null || cursor.head === null || cursor.observed_at === null) {
      // Gone, or the chain is behind: queued again (for every mandate watch) once it is scanned again.
      this.sql.exec(
        'DELETE FROM mandate_deliveries WHERE subscriber = ? AND onchain_id = ? AND due_at = ?',
        d.subscriber,
        d.onchain_id,
        d.due_at,
      );
      return;
    }
    const head = cursor.head;
    const held = this.mandateLogsOf(watch.contract, watch.onchain_id, head);
    const delivery: WatchDelivery = {
      kind: 'mandate_logs',
      network,
      contract: watch.contract as Address,
      onchainId: watch.onchain_id as Hex,
      logs: held.map((r) => toMandateLog(r, head)),
      head: BigInt(head),
      observedAt: cursor.observed_at,
    };
    const ack = await this.send(network, d, delivery, (dueAt, attempt) =>
      this.sql.exec(
        'UPDATE mandate_deliveries SET due_at = ?, attempts = ? WHERE subscriber = ? AND onchain_id = ? AND due_at = ?',
        dueAt,
        attempt,
        d.subscriber,
        d.onchain_id,
        d.due_at,
      ),
    );
    if (ack === null) return;
    this.ctx.storage.transactionSync(() => {
      // Removed unless queued again meanwhile (then it is sent again, with what is newer).
      this.sql.exec(
        'DELETE FROM mandate_deliveries WHERE subscriber = ? AND onchain_id = ? AND due_at = ?',
        d.subscriber,
        d.onchain_id,
        d.due_at,
      );
      if (!ack.watching) this.dropMandateWatch(d.subscriber, d.onchain_id);
      else {
        this.sql.exec(
          'UPDATE mandate_watches SET delivered = ?, delivered_head = ? WHERE subscriber = ? AND onchain_id = ?',
          mandateDigest(held),
          head,
          d.subscriber,
          d.onchain_id,
        );
      }
    });
  }

  private async deliverOne(
    network: string,
    d: { subscriber: string; address: string; token: string; due_at: number; attempts: number; rescanned: string | null },
  ): Promise<void> {
    const cursor = this.cursor();
    const token = d.token === '' ? null : (d.token as Address);
    const address = d.address as Address;
    let delivery: WatchDelivery;
    let sent: { digest: string; head: number; observedAt: number } | null = null;
    if (cursor.rewind !== null) {
      const rewind = JSON.parse(cursor.rewind) as Rewind;
      delivery = {
        kind: 'behind',
        network,
        address,
        token,
        head: BigInt(rewind.head),
        lastRead: BigInt(rewind.lastRead),
        rescanFrom: BigInt(rewind.rescanFrom),
      };
    } else {
      if (cursor.head === null || cursor.observed_at === null) return;
      const held = this.transfersOf(address, d.token, cursor.head);
      const rescanned = d.rescanned ? (JSON.parse(d.rescanned) as { from: number; lastRead: number; since: number }) : null;
      delivery = {
        kind: 'observed',
        network,
        address,
        token,
        transfers: held.map(toCryptoTransfer),
        head: BigInt(cursor.head),
        observedAt: cursor.observed_at,
        rescanned: rescanned && { from: BigInt(rescanned.from), lastRead: BigInt(rescanned.lastRead), since: rescanned.since },
      };
      sent = { digest: digest(held), head: cursor.head, observedAt: cursor.observed_at };
    }
    const ack = await this.send(network, d, delivery, (dueAt, attempt) =>
      this.sql.exec(
        'UPDATE deliveries SET due_at = ?, attempts = ? WHERE subscriber = ? AND address = ? AND token = ? AND due_at = ?',
        dueAt,
        attempt,
        d.subscriber,
        d.address,
        d.token,
        d.due_at,
      ),
    );
    if (ack === null) return;
    this.ctx.storage.transactionSync(() => {
      const key = [d.subscriber, d.address, d.token];
      // Removed unless queued again meanwhile (then it is sent again, with what is newer).
      this.sql.exec('DELETE FROM deliveries WHERE subscriber = ? AND address = ? AND token = ? AND due_at = ?', ...key, d.due_at);
      if (!ack.watching) this.dropWatch(d.subscriber, d.address, d.token);
      else if (sent) {
        this.sql.exec(
          `UPDATE watches SET delivered = ?, delivered_head = ?, notify_at = CASE WHEN notify_at <= ? THEN NULL ELSE notify_at END
           WHERE subscriber = ? AND address = ? AND token = ?`,
          sent.digest,
          sent.head,
          sent.observedAt,
          ...key,
        );
      }
    });
  }

  // --- storage -------------------------------------------------------------------------------

  private queueDelivery(w: WatchRow, at: number, rescanned: string | null): void {
    this.sql.exec(
      `INSERT INTO deliveries (subscriber, address, token, due_at, rescanned) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET due_at = MIN(deliveries.due_at, excluded.due_at), rescanned = COALESCE(excluded.rescanned, deliveries.rescanned)`,
      w.subscriber,
      w.address,
      w.token,
      at,
      rescanned,
    );
  }

  private queueMandateDelivery(m: MandateWatchRow, at: number): void {
    this.sql.exec(
      `INSERT INTO mandate_deliveries (subscriber, onchain_id, due_at) VALUES (?, ?, ?)
       ON CONFLICT DO UPDATE SET due_at = MIN(mandate_deliveries.due_at, excluded.due_at)`,
      m.subscriber,
      m.onchain_id,
      at,
    );
  }

  private mandateLogsOf(contract: string, onchainId: string, head: number): MandateLogRow[] {
    return this.sql
      .exec<MandateLogRow>(
        'SELECT * FROM mandate_logs WHERE contract = ? AND onchain_id = ? AND block_number <= ? ORDER BY block_number, log_index',
        contract,
        onchainId,
        head,
      )
      .toArray();
  }

  /** Removes a mandate's watch, its pending delivery, and the logs no other watch of the id needs. */
  private dropMandateWatch(subscriber: string, onchainId: string): void {
    this.sql.exec('DELETE FROM mandate_watches WHERE subscriber = ? AND onchain_id = ?', subscriber, onchainId);
    this.sql.exec('DELETE FROM mandate_deliveries WHERE subscriber = ? AND onchain_id = ?', subscriber, onchainId);
    const others = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM mandate_watches WHERE onchain_id = ?', onchainId).one().n;
    if (others === 0) this.sql.exec('DELETE FROM mandate_logs WHERE onchain_id = ?', onchainId);
  }

  private transfersOf(address: string, token: string, head: number): TransferRow[] {
    return this.sql
      .exec<TransferRow>(
        'SELECT * FROM transfers WHERE address = ? AND token = ? AND block_number <= ? ORDER BY block_number, log_index',
        address,
        token,
        head,
      )
      .toArray();
  }

  /** Watches past their end. */
  private dropEnded(): void {
    const ended = this.sql.exec<WatchRow>('SELECT * FROM watches WHERE until IS NOT NULL AND until < ?', Date.now()).toArray();
    if (ended.length === 0) return;
    this.ctx.storage.transactionSync(() => {
      for (const w of ended) this.dropWatch(w.subscriber, w.address, w.token);
    });
  }

  /** Removes a watch, its pending delivery, and the transfers no other watch of the address needs. */
  private dropWatch(subscriber: string, address: string, token: string): void {
    this.sql.exec('DELETE FROM watches WHERE subscriber = ? AND address = ? AND token = ?', subscriber, address, token);
    this.sql.exec('DELETE FROM deliveries WHERE subscriber = ? AND address = ? AND token = ?', subscriber, address, token);
    const others = this.sql
      .exec<{ n: number }>('SELECT COUNT(*) AS n FROM watches WHERE address = ? AND token = ?', address, token)
      .one().n;
    if (others === 0) this.sql.exec('DELETE FROM transfers WHERE address = ? AND token = ?', address, token);
  }

  private cursor(): CursorRow {
    return this.sql.exec<CursorRow>('SELECT * FROM cursor').one();
  }

  private async armAlarm(): Promise<void> {
    const next = this.sql
      .exec<{ at: number | null }>(
        'SELECT MIN(at) AS at FROM (SELECT read_at AS at FROM cursor UNION ALL SELECT due_at FROM deliveries UNION ALL SELECT due_at FROM mandate_deliveries)',
      )
      .one().at;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  /** The network this object watches: its name, kept at the first registration (alarms carry no name). */
  private network(): string {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'network'`).toArray()[0];
    if (!row) throw new Error('a chain watcher without a network: nothing was ever registered with it');
    return row.value;
  }

  private assertNetwork(network: string): void {
    const known = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'network'`).toArray()[0];
    if (known && known.value !== network) throw new Error(`this watcher watches ${known.value}, not ${network}`);
    if (!known) this.sql.exec(`INSERT INTO meta (key, value) VALUES ('network', ?)`, network);
  }

  /** Brings the schema to the newest version, in order; run inside a transaction. */
  private migrate(): void {
    this.sql.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    migrateSchema(this.sql, MIGRATIONS);
  }
}

/** The watcher of `network` (one per network, named by its key). */
export function chainWatcher(env: Env, network: string): DurableObjectStub<ChainWatcher> {
  return env.CHAIN_WATCHERS.get(env.CHAIN_WATCHERS.idFromName(network));
}

function subscriberKey(s: Subscriber): string {
  return `${s.kind}:${s.id}`;
}

/** The object a subscriber key names. */
function subscriberStub(env: Env, key: string): { chainObserved(delivery: WatchDelivery): Promise<DeliveryAck> } {
  const [kind, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  if (kind === 'payment_intent') return env.INTENTS.get(env.INTENTS.idFromName(id));
  if (kind === 'refund') {
    const [intentId, refundId] = id.split(':') as [string, string];
    const intent = env.INTENTS.get(env.INTENTS.idFromName(intentId));
    return { chainObserved: (delivery) => intent.refundObserved(refundId, delivery) };
  }
  if (kind === 'mandate') {
    // Read through a narrow type: the mandate's object (src/mandates/mandate-object.ts) and its
    // binding are another part's, and this file must not depend on them being there.
    const mandates = (env as unknown as { MANDATES?: DurableObjectNamespace }).MANDATES;
    if (!mandates) throw new Error('a mandate subscriber, but this worker has no MANDATES binding (wrangler.toml)');
    return mandates.get(mandates.idFromName(id)) as unknown as { chainObserved(delivery: WatchDelivery): Promise<DeliveryAck> };
  }
  throw new Error(`unknown subscriber kind ${JSON.stringify(kind)}`);
}

function toCryptoTransfer(r: TransferRow): CryptoTransfer {
  return {
    txHash: r.tx_hash,
    logIndex: r.log_index,
    blockNumber: BigInt(r.block_number),
    blockHash: r.block_hash,
    at: r.at,
    from: r.sender,
    value: BigInt(r.value),
  };
}

function toMandateLog(r: MandateLogRow, head: number): MandateLog {
  const at = {
    txHash: r.tx_hash as Hex,
    logIndex: r.log_index,
    blockNumber: BigInt(r.block_number),
    blockHash: r.block_hash as Hex,
    confirmations: head - r.block_number + 1,
  };
  if (r.event === 'Debited') return { event: 'Debited', amount: BigInt(r.amount!), period: r.period!, used: r.used!, ...at };
  return { event: 'MandateCancelled', by: r.by_address as Address, ...at };
}

/** What a subscriber was told about its mandate's logs: a different digest means something changed. */
function mandateDigest(logs: MandateLogRow[]): string {
  return logs.map((l) => `${l.tx_hash}:${l.log_index}:${l.block_hash}`).join(',');
}

/** What a subscriber was told about its transfers: a different digest means something changed. */
function digest(transfers: TransferRow[]): string {
  return transfers.map((t) => `${t.tx_hash}:${t.log_index}:${t.block_hash}`).join(',');
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
