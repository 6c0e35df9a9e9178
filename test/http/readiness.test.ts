/** /health/ready checks the configuration a deployment runs with, naming each problem. */
import { env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { expectErrorLogs } from '../expected-logs.js';
import { createMerchant } from '../helpers.js';

const app = createApp();
const ready = (vars: Record<string, string | undefined> = {}) => app.request('http://pay.test/health/ready', {}, { ...env, ...vars });

describe('/health/ready', () => {
  it('lists the configured networks when everything is valid', async () => {
    const res = await ready();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      networks: [
        'local',
        'testnet',
        'deep',
        'flaky',
        'faulty',
        'rewind',
        'watched',
        'watched-b',
        'watched-mandates',
        'relay',
        'mandates',
        'escrow',
        'escrowpay',
        'escrowfin',
        'refunds',
        'refunds-flaky',
      ],
    });
  });

  it('answers 503 naming each CHAINS problem, without echoing an RPC URL', async () => {
    const chains = JSON.stringify({
      base: {
        chainId: 8453,
        rpcUrls: ['https://rpc.example/KEY-abc123'],
        confirmations: 0,
        pollIntervalMs: 4000,
        nativeCurrency: { symbol: 'eth', decimals: 18 },
      },
    });
    const logs = expectErrorLogs((log) => log.msg === 'configuration is invalid');
    try {
      const res = await ready({ CHAINS: chains });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { ok: boolean; problems: string[] };
      expect(body).toEqual({ ok: false, problems: ['CHAINS.base.confirmations: must be a whole number from 1 to 1000'] });
      expect(JSON.stringify(body)).not.toContain('KEY-abc123');
      // The operator's log names the same problems, and does not echo the RPC URL either.
      expect(logs.caught).toEqual([expect.objectContaining({ problems: body.problems })]);
      expect(JSON.stringify(logs.caught)).not.toContain('KEY-abc123');
    } finally {
      logs.restore();
    }
  });

  it('answers 503 for a malformed RELAYER_PRIVATE_KEY, without echoing it', async () => {
    const res = await ready({ RELAYER_PRIVATE_KEY: '0xnot-a-key-s3cr3t' });
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body).toEqual({ ok: false, problems: ['RELAYER_PRIVATE_KEY must be 0x followed by 64 hex digits'] });
    expect(JSON.stringify(body)).not.toContain('s3cr3t');
  });

  it('answers 503 for a malformed variable', async () => {
    const logs = expectErrorLogs((log) => log.msg === 'configuration is invalid');
    try {
      const res = await ready({ WEBHOOK_TIMEOUT_MS: 'soon', CHAINS: '' });
      expect(res.status).toBe(503);
      const { problems } = (await res.json()) as { problems: string[] };
      expect(problems[0]).toMatch(/^WEBHOOK_TIMEOUT_MS/);
      expect(logs.caught).toEqual([expect.objectContaining({ problems })]);
    } finally {
      logs.restore();
    }
  });

  it('answers 503 when the directory or a shard does not answer, naming each binding, without the driver message', async () => {
    const brokenDb = {
      prepare: () => {
        throw new Error('D1_ERROR: internal error; reference = secret-ref-123');
      },
    };
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await ready({ DIRECTORY: brokenDb as unknown as string, SHARD_1: brokenDb as unknown as string });
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body).toEqual({
        ok: false,
        problems: ['D1 (binding DIRECTORY) does not answer a query', 'D1 (binding SHARD_1) does not answer a query'],
      });
      expect(JSON.stringify(body)).not.toContain('secret-ref-123');
      expect(logged).toHaveBeenCalledWith(expect.stringContaining('D1 does not answer'));
    } finally {
      logged.mockRestore();
    }
  });

  it('answers 503 when a shard merchants are on, or one open to new merchants, is not bound', async () => {
    await createMerchant('On some shard'); // the directory now knows both open shards
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await ready({ SHARD_1: undefined });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        ok: false,
        problems: [
          'merchants are assigned to the shard SHARD_1, which is not bound (a D1 binding SHARD_1)',
          'OPEN_SHARDS names SHARD_1, which is not a bound shard (a D1 binding SHARD_<n>)',
        ],
      });
      const typo = await ready({ OPEN_SHARDS: 'SHARD_0,SHARD_9' });
      expect(((await typo.json()) as { problems: string[] }).problems).toEqual([
        'OPEN_SHARDS names SHARD_9, which is not a bound shard (a D1 binding SHARD_<n>)',
      ]);
    } finally {
      logged.mockRestore();
    }
    // A shard closed to new merchants is still served: closing one is how a full shard is retired from assignment.
    expect((await ready({ OPEN_SHARDS: 'SHARD_1' })).status).toBe(200);
  });

  it.each([
    ['unset', undefined, /PUBLIC_BASE_URL is not set/],
    ['not a URL', 'pay.example.com', /PUBLIC_BASE_URL must be an absolute http\(s\) URL/],
    ['with credentials', 'https://user:pw@pay.example.com', /without query, fragment or credentials/],
  ])('answers 503 when PUBLIC_BASE_URL is %s: links are built on it', async (_name, value, problem) => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await ready({ PUBLIC_BASE_URL: value });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { problems: string[] }).problems[0]).toMatch(problem);
    } finally {
      logged.mockRestore();
    }
  });

  it('answers 503 when a deployment kept the local-development PUBLIC_BASE_URL (a loopback origin): its links would point at the payer', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await ready({ PUBLIC_BASE_URL: 'http://127.0.0.1:8787' });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { problems: string[] }).problems[0]).toMatch(
        /PUBLIC_BASE_URL is http:\/\/127\.0\.0\.1:8787, a loopback origin, but this deployment is reached as pay\.test/,
      );
      // Locally, where the service is reached on loopback too, that same value is right.
      const local = await app.request('http://127.0.0.1:8787/health/ready', {}, { ...env, PUBLIC_BASE_URL: 'http://127.0.0.1:8787' });
      expect(local.status).toBe(200);
    } finally {
      logged.mockRestore();
    }
  });
});
