/** /health/ready checks the configuration a deployment runs with, naming each problem. */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { expectErrorLogs } from '../expected-logs.js';

const app = createApp();
const ready = (vars: Record<string, string | undefined> = {}) => app.request('http://pay.test/health/ready', {}, { ...env, ...vars });

describe('/health/ready', () => {
  it('lists the configured networks when everything is valid', async () => {
    const res = await ready();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, networks: ['local', 'testnet', 'deep', 'flaky'] });
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
});
