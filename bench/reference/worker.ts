/**
 * The bench's reference: the least durable I/O each kind of route needs, and nothing else (no
 * framework, no auth, no validation), so bench/run.mjs can say how close a product route is to what
 * this stack allows on the same machine in the same run.
 *
 *   GET  /health  no storage: this process's floor, as GET /health is the product's
 *   POST /write   what a create must do at least: a new Durable Object (found by name, as an intent's
 *                 is) inserts one row in its SQLite, then, as the product's object projects its intent,
 *                 inserts one row in D1; answered after both
 *   GET  /select  what a list must do at least: one indexed D1 select of the list's shape
 */
import { DurableObject } from 'cloudflare:workers';

interface ReferenceEnv {
  DB: D1Database;
  OBJECTS: DurableObjectNamespace<ReferenceObject>;
}

export class ReferenceObject extends DurableObject<ReferenceEnv> {
  async write(id: string, merchantId: string, createdAt: number, record: string): Promise<void> {
    // A new object has no table yet, like a new intent's object before its first migration.
    this.ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS state (id TEXT PRIMARY KEY, record TEXT NOT NULL)');
    this.ctx.storage.sql.exec('INSERT INTO state (id, record) VALUES (?, ?)', id, record);
    await this.env.DB.prepare('INSERT INTO rows (id, merchant_id, livemode, created_at, record) VALUES (?, ?, 0, ?, ?)')
      .bind(id, merchantId, createdAt, record)
      .run();
  }
}

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    const merchantId = url.searchParams.get('merchant');
    if (url.pathname === '/health') return Response.json({ ok: true });
    if (!merchantId) return Response.json({ error: 'merchant is required' }, { status: 400 });
    if (url.pathname === '/write' && request.method === 'POST') {
      const record = await request.text();
      const id = `ref_${crypto.randomUUID()}`;
      await env.OBJECTS.get(env.OBJECTS.idFromName(id)).write(id, merchantId, Date.now(), record);
      return Response.json({ id });
    }
    if (url.pathname === '/select' && request.method === 'GET') {
      // The list's query for limit=10 (src/db/intents.ts): one row more than the page, to know has_more.
      const { results } = await env.DB.prepare(
        'SELECT record FROM rows WHERE merchant_id = ? AND livemode = 0 ORDER BY created_at DESC, id DESC LIMIT 11',
      )
        .bind(merchantId)
        .all<{ record: string }>();
      return new Response(`[${results.map((r) => r.record).join(',')}]`, { headers: { 'content-type': 'application/json' } });
    }
    return Response.json({ error: 'not found' }, { status: 404 });
  },
} satisfies ExportedHandler<ReferenceEnv>;
