#!/usr/bin/env node
/**
 * What one shard holds: bytes per row of each shard table, indexes included, measured on a local D1
 * (Miniflare, the SQLite that `wrangler dev` runs). The rows are copies of a typical intent's rows
 * (scripts/shard-size-sample.json, taken from a real run: a card intent with a customer, a description
 * and three metadata entries, created and confirmed, its two events delivered once each to one
 * endpoint), each copy with its own ids, spread over 100 merchants. ROWS copies go into each table;
 * then the database file is read with the sqlite3 command-line tool's dbstat (D1 refuses PRAGMA
 * page_count): the bytes of each table's pages and of its indexes' pages.
 *
 *   node scripts/shard-size.mjs [ROWS]     (default 10000; needs `sqlite3` on the PATH)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROWS = Number(process.argv[2] ?? 10_000);
const sample = JSON.parse(readFileSync(join(ROOT, 'scripts/shard-size-sample.json'), 'utf8'));

const persist = mkdtempSync(join(tmpdir(), 'shard-size-'));
const mf = new Miniflare({
  modules: true,
  script: 'export default { fetch: () => new Response(null) }',
  d1Databases: { SHARD: 'shard-size' },
  d1Persist: persist,
});
try {
  const d1 = await mf.getD1Database('SHARD');
  const dir = join(ROOT, 'migrations/shard');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const statements = readFileSync(join(dir, file), 'utf8')
      .split('--> statement-breakpoint')
      .map((s) => s.replace(/^--.*$/gm, '').trim())
      .filter(Boolean);
    for (const statement of statements) await d1.prepare(statement).run();
  }
  /** A value of the same length as `template`, unique for `i` (ids keep their prefix). */
  const unique = (template, i) => {
    const suffix = i.toString(36).padStart(8, '0');
    return template.slice(0, template.length - suffix.length) + suffix;
  };
  const merchantOf = (i) => unique(sample.payment_intents[0].merchant_id, i % 100);
  const variants = {
    payment_intents: (row, i) => ({ ...row, id: unique(row.id, i), merchant_id: merchantOf(i), created_at: row.created_at + i }),
    payment_intent_metadata: (row, i) => ({
      ...row,
      intent_id: unique(row.intent_id, i),
      merchant_id: merchantOf(i),
      value: unique(row.value, i),
    }),
    events: (row, i) => ({
      ...row,
      id: unique(row.id, i),
      intent_id: unique(row.intent_id, i),
      merchant_id: merchantOf(i),
      created_at: row.created_at + i,
    }),
    webhook_deliveries: (row, i) => ({
      ...row,
      id: unique(row.id, i),
      event_id: unique(row.event_id, i),
      merchant_id: merchantOf(i),
      created_at: row.created_at + i,
    }),
    webhook_attempts: (row, i) => ({ ...row, delivery_id: unique(row.delivery_id, i) }),
  };

  const payloadBytes = {};
  for (const [table, vary] of Object.entries(variants)) {
    const templates = sample[table];
    const columns = Object.keys(templates[0]);
    const insert = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    for (let start = 0; start < ROWS; start += 500) {
      const batch = [];
      for (let i = start; i < Math.min(start + 500, ROWS); i++) {
        const row = vary(templates[i % templates.length], i);
        batch.push(d1.prepare(insert).bind(...columns.map((c) => row[c])));
      }
      await d1.batch(batch);
    }
    const lengths = templates.map((r) => Object.values(r).reduce((n, v) => n + String(v ?? '').length, 0));
    payloadBytes[table] = Math.round(lengths.reduce((a, b) => a + b, 0) / lengths.length);
  }
  await mf.dispose();

  const file = findSqlite(persist);
  const sql = (query) => JSON.parse(execFileSync('sqlite3', ['-json', file, query], { encoding: 'utf8' }) || '[]');
  const owner = Object.fromEntries(
    sql("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')").map((r) => [r.name, r.tbl_name]),
  );
  const pages = sql('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name');
  const results = Object.keys(variants).map((table) => {
    const data = pages.filter((p) => p.name === table).reduce((n, p) => n + p.bytes, 0);
    const indexes = pages.filter((p) => p.name !== table && owner[p.name] === table).reduce((n, p) => n + p.bytes, 0);
    return {
      table,
      rows: ROWS,
      'column bytes/row': payloadBytes[table],
      'table bytes/row': Math.round(data / ROWS),
      'index bytes/row': Math.round(indexes / ROWS),
      'total bytes/row': Math.round((data + indexes) / ROWS),
    };
  });
  console.table(results);
} finally {
  await mf.dispose().catch(() => {});
  rmSync(persist, { recursive: true, force: true });
}

/** The SQLite file Miniflare keeps the database in: the largest (the other is its Durable Object namespace's metadata). */
function findSqlite(dir) {
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.sqlite'))
    .map((f) => ({ path: join(dir, f), size: statSync(join(dir, f)).size }));
  if (files.length === 0) throw new Error(`no .sqlite file under ${dir}`);
  return files.sort((a, b) => b.size - a.size)[0].path;
}
