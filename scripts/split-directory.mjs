#!/usr/bin/env node
/**
 * Moves a deployment from one D1 database to a directory and shards (README, "Sharding"): copies the
 * merchants, their API keys and the deposit counters that SHARD_0's migration 0009 set aside
 * (`*_before_directory`) into DIRECTORY, every merchant on SHARD_0, and the shard's merchant count.
 *
 *   node scripts/split-directory.mjs --remote    (or --local, for a local .wrangler/state; further
 *                                                 arguments, such as --persist-to <dir>, go to wrangler)
 *
 * Run it after `wrangler d1 migrations apply DIRECTORY` and `… SHARD_0` and before deploying this
 * release. It can be run again: rows already in the directory are kept as they are (INSERT OR IGNORE),
 * and it ends by comparing the row counts of both sides, failing if they differ.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const where = process.argv[2];
if (where !== '--remote' && where !== '--local') {
  console.error('usage: node scripts/split-directory.mjs --remote|--local [wrangler arguments]');
  process.exit(2);
}
const wranglerArgs = [where, ...process.argv.slice(3)];
const wranglerBin = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
const SHARD = 'SHARD_0';

/** Runs `wrangler d1 execute` and returns the rows of its one statement. */
function query(binding, sql) {
  const run = spawnSync(process.execPath, [wranglerBin, 'd1', 'execute', binding, ...wranglerArgs, '--json', '--command', sql], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
    maxBuffer: 1 << 30,
  });
  if (run.status !== 0) {
    process.stderr.write(run.stdout + run.stderr);
    throw new Error(`wrangler d1 execute ${binding} failed (its output is above)`);
  }
  return JSON.parse(run.stdout)[0].results;
}

function executeFile(binding, statements) {
  const dir = mkdtempSync(join(tmpdir(), 'split-directory-'));
  const file = join(dir, 'copy.sql');
  writeFileSync(file, `${statements.join(';\n')};\n`);
  try {
    const run = spawnSync(process.execPath, [wranglerBin, 'd1', 'execute', binding, ...wranglerArgs, '--file', file], {
      stdio: 'inherit',
      env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
    });
    if (run.status !== 0) throw new Error(`wrangler d1 execute ${binding} --file failed`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A SQL literal: text quoted, numbers as they are, null. */
function literal(value) {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}

function inserts(table, rows, columns) {
  return rows.map(
    (row) => `INSERT OR IGNORE INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => literal(row[c])).join(', ')})`,
  );
}

const MERCHANT_COLUMNS = ['id', 'name', 'created_at', 'crypto_xpub', 'next_deposit_index'];
const KEY_COLUMNS = ['key_hash', 'merchant_id', 'kind', 'livemode', 'hint', 'created_at', 'revoked_at'];
const COUNTER_COLUMNS = ['xpub', 'next_index'];

const merchants = query(SHARD, `SELECT ${MERCHANT_COLUMNS.join(', ')} FROM merchants_before_directory`);
const keys = query(SHARD, `SELECT ${KEY_COLUMNS.join(', ')} FROM api_keys_before_directory`);
const counters = query(SHARD, `SELECT ${COUNTER_COLUMNS.join(', ')} FROM deposit_counters_before_directory`);
console.log(`${SHARD}: ${merchants.length} merchants, ${keys.length} API keys, ${counters.length} deposit counters to copy`);

// Merchants before their keys (api_keys references merchants). A counter copied over one the
// directory already has keeps the higher value: an index handed out is never handed out again.
executeFile('DIRECTORY', [
  ...inserts(
    'merchants',
    merchants.map((m) => ({ ...m, shard: SHARD })),
    [...MERCHANT_COLUMNS, 'shard'],
  ),
  ...inserts('api_keys', keys, KEY_COLUMNS),
  ...counters.map(
    (c) =>
      `INSERT INTO deposit_counters (xpub, next_index) VALUES (${literal(c.xpub)}, ${literal(c.next_index)}) ` +
      'ON CONFLICT (xpub) DO UPDATE SET next_index = max(next_index, excluded.next_index)',
  ),
  `INSERT INTO shards (binding, merchants) VALUES ('${SHARD}', 0) ON CONFLICT (binding) DO NOTHING`,
  `UPDATE shards SET merchants = (SELECT count(*) FROM merchants WHERE shard = '${SHARD}') WHERE binding = '${SHARD}'`,
]);

const [copied] = query(
  'DIRECTORY',
  `SELECT (SELECT count(*) FROM merchants WHERE shard = '${SHARD}') AS merchants, (SELECT count(*) FROM api_keys) AS keys, (SELECT count(*) FROM deposit_counters) AS counters`,
);
if (copied.merchants < merchants.length || copied.keys < keys.length || copied.counters < counters.length) {
  throw new Error(`the directory holds fewer rows than ${SHARD} had: ${JSON.stringify(copied)}`);
}
console.log(`DIRECTORY: ${copied.merchants} merchants on ${SHARD}, ${copied.keys} API keys, ${copied.counters} deposit counters`);
