import { describe, expect, it } from 'vitest';
import { checkWebhookUrl } from '../../src/webhooks/url-policy.js';

const OK = 'ok';
const HTTPS_ONLY = 'URL must use https.';
const HTTPS_OR_LOCAL = 'URL must use https; http is allowed only to localhost in test mode.';
const LOOPBACK_LIVE = 'is a loopback address; loopback URLs are allowed only in test mode.';
const PRIVATE = 'is a private network address.';

// [url, in live mode, in test mode]: OK, or a fragment of the refusal reason.
const cases: [url: string, live: string, test: string][] = [
  // Public https endpoints.
  ['https://example.com/webhooks', OK, OK],
  ['https://hooks.example.com:8443/stripe?account=1', OK, OK],
  ['https://93.184.216.34/hook', OK, OK],
  ['https://[2606:2800:220:1:248:1893:25c8:1946]/hook', OK, OK],
  ['https://例え.jp/hook', OK, OK],
  ['HTTPS://EXAMPLE.COM/hook', OK, OK],

  // Parsing and length.
  ['not a url', 'URL must not contain spaces', 'URL must not contain spaces'],
  ['example.com/webhooks', 'URL must be an absolute URL', 'URL must be an absolute URL'],
  ['/webhooks', 'URL must be an absolute URL', 'URL must be an absolute URL'],
  ['https://', 'URL must be an absolute URL', 'URL must be an absolute URL'],
  ['https://999.1.1.1/', 'URL must be an absolute URL', 'URL must be an absolute URL'],
  [' https://example.com/', 'URL must not contain spaces', 'URL must not contain spaces'],
  ['https://exa\tmple.com/', 'URL must not contain spaces', 'URL must not contain spaces'],
  ['https://example.com/\n', 'URL must not contain spaces', 'URL must not contain spaces'],
  [`https://example.com/${'a'.repeat(2048 - 'https://example.com/'.length)}`, OK, OK],
  [`https://example.com/${'a'.repeat(2049 - 'https://example.com/'.length)}`, 'at most 2048 characters', 'at most 2048 characters'],
  [`https://example.com/${'é'.repeat(500)}`, 'at most 2048 characters', 'at most 2048 characters'], // 500 raw, 3020 once percent-encoded

  // Scheme.
  ['http://example.com/hook', HTTPS_ONLY, HTTPS_OR_LOCAL],
  ['ftp://example.com/hook', HTTPS_ONLY, HTTPS_ONLY],
  ['wss://example.com/hook', HTTPS_ONLY, HTTPS_ONLY],
  ['javascript:alert(1)', HTTPS_ONLY, HTTPS_ONLY],

  // Credentials and fragments.
  ['https://user:pass@example.com/hook', 'username or password', 'username or password'],
  ['https://user@example.com/hook', 'username or password', 'username or password'],
  ['https://:pass@example.com/hook', 'username or password', 'username or password'],
  ['http://user:pass@localhost/hook', 'username or password', 'username or password'],
  ['https://example.com/hook#section', 'fragment', 'fragment'],
  ['https://example.com/hook#', 'fragment', 'fragment'],

  // Loopback: only in test mode, where http is also allowed.
  ['http://localhost:8787/hook', LOOPBACK_LIVE, OK],
  ['https://localhost/hook', LOOPBACK_LIVE, OK],
  ['http://LOCALHOST./hook', LOOPBACK_LIVE, OK],
  ['http://app.localhost/hook', LOOPBACK_LIVE, OK],
  ['http://127.0.0.1:3000/hook', LOOPBACK_LIVE, OK],
  ['http://127.8.9.10/hook', LOOPBACK_LIVE, OK],
  ['http://[::1]:3000/hook', LOOPBACK_LIVE, OK],
  ['http://[0:0:0:0:0:0:0:1]/hook', LOOPBACK_LIVE, OK],
  ['http://[::ffff:127.0.0.1]/hook', LOOPBACK_LIVE, OK],
  // Spellings the URL parser turns into loopback.
  ['http://2130706433/hook', LOOPBACK_LIVE, OK],
  ['http://0x7f.1/hook', LOOPBACK_LIVE, OK],
  ['http://0177.0.0.1/hook', LOOPBACK_LIVE, OK],
  ['http://127.1/hook', LOOPBACK_LIVE, OK],
  ['http://127.0.0.1./hook', LOOPBACK_LIVE, OK],
  ['http://loc%61lhost/hook', LOOPBACK_LIVE, OK],
  ['http://ｌｏｃａｌｈｏｓｔ/hook', LOOPBACK_LIVE, OK],

  // IPv4 ranges that are never a webhook receiver.
  ['https://10.0.0.1/', PRIVATE, PRIVATE],
  ['https://10.255.255.255/', PRIVATE, PRIVATE],
  ['https://172.16.0.1/', PRIVATE, PRIVATE],
  ['https://172.31.255.255/', PRIVATE, PRIVATE],
  ['https://172.32.0.1/', OK, OK],
  ['https://172.15.255.255/', OK, OK],
  ['https://192.168.1.1/', PRIVATE, PRIVATE],
  ['http://192.168.1.1/', PRIVATE, PRIVATE],
  ['https://167772161/', PRIVATE, PRIVATE], // 10.0.0.1 as one number
  ['https://0xa.0.0.1/', PRIVATE, PRIVATE],
  ['https://100.64.0.1/', 'carrier-grade NAT', 'carrier-grade NAT'],
  ['https://100.127.255.255/', 'carrier-grade NAT', 'carrier-grade NAT'],
  ['https://100.128.0.1/', OK, OK],
  ['https://169.254.169.254/latest/meta-data/', 'link-local', 'link-local'],
  ['https://0.0.0.0/', 'unspecified', 'unspecified'],
  ['https://0/', 'unspecified', 'unspecified'],
  ['https://0.1.2.3/', 'unspecified', 'unspecified'],
  ['https://192.0.0.8/', 'reserved', 'reserved'],
  ['https://192.0.2.1/', 'documentation', 'documentation'],
  ['https://198.51.100.1/', 'documentation', 'documentation'],
  ['https://203.0.113.1/', 'documentation', 'documentation'],
  ['https://198.18.0.1/', 'benchmarking', 'benchmarking'],
  ['https://224.0.0.1/', 'multicast', 'multicast'],
  ['https://239.255.255.250/', 'multicast', 'multicast'],
  ['https://240.0.0.1/', 'reserved', 'reserved'],
  ['https://255.255.255.255/', 'reserved', 'reserved'],

  // IPv6 ranges.
  ['https://[::]/', 'unspecified', 'unspecified'],
  ['https://[fe80::1]/', 'link-local', 'link-local'],
  ['https://[febf:ffff::1]/', 'link-local', 'link-local'],
  ['https://[fc00::1]/', 'unique-local', 'unique-local'],
  ['https://[fd12:3456:789a::1]/', 'unique-local', 'unique-local'],
  ['https://[fec0::1]/', 'site-local', 'site-local'],
  ['https://[ff02::1]/', 'multicast', 'multicast'],
  ['https://[2001:db8::1]/', 'documentation', 'documentation'],
  ['https://[100::1]/', 'discard-only', 'discard-only'],
  ['https://[64:ff9b:1::a]/', 'local-use NAT64', 'local-use NAT64'],
  // IPv6 forms carrying a refused IPv4 address are judged by it.
  ['https://[::ffff:10.0.0.1]/', `${PRIVATE.slice(0, -1)} (IPv4 10.0.0.1).`, `${PRIVATE.slice(0, -1)} (IPv4 10.0.0.1).`],
  ['https://[::ffff:a00:1]/', 'private network address (IPv4 10.0.0.1)', 'private network address (IPv4 10.0.0.1)'],
  ['https://[::ffff:169.254.169.254]/', 'link-local address (IPv4 169.254.169.254)', 'link-local address (IPv4 169.254.169.254)'],
  ['https://[::ffff:192.168.0.1]/', 'private network address (IPv4 192.168.0.1)', 'private network address (IPv4 192.168.0.1)'],
  ['https://[::10.0.0.1]/', 'private network address (IPv4 10.0.0.1)', 'private network address (IPv4 10.0.0.1)'],
  ['https://[64:ff9b::10.0.0.1]/', 'private network address (IPv4 10.0.0.1)', 'private network address (IPv4 10.0.0.1)'],
  ['https://[2002:a00:1::1]/', 'private network address (IPv4 10.0.0.1)', 'private network address (IPv4 10.0.0.1)'],
  ['https://[::ffff:93.184.216.34]/', OK, OK],
  ['https://[2002:5db8:d822::1]/', OK, OK],

  // Names of internal services.
  ['https://metadata.google.internal/computeMetadata/v1/', 'cloud metadata service', 'cloud metadata service'],
  ['https://metadata.google.internal./computeMetadata/v1/', 'cloud metadata service', 'cloud metadata service'],
  ['https://metadata/computeMetadata/v1/', 'cloud metadata service', 'cloud metadata service'],
  ['https://instance-data/latest/', 'cloud metadata service', 'cloud metadata service'],
  ['https://ip-10-0-0-1.ec2.internal/', 'local network name', 'local network name'],
  ['https://printer.local/', 'local network name', 'local network name'],
  ['https://nas.home.arpa/', 'local network name', 'local network name'],
  ['https://localhost.localdomain/', 'local network name', 'local network name'],
  ['https://notlocalhost/', 'local network name', 'local network name'],
  ['https://intranet/', 'not a public domain name', 'not a public domain name'],
  ['https://internal.example.com/', OK, OK],
  ['https://local.example.com/', OK, OK],
];

describe.each([
  ['live mode', true],
  ['test mode', false],
] as const)('checkWebhookUrl in %s', (_mode, livemode) => {
  it.each(cases.map(([url, live, test]) => [url, livemode ? live : test] as const))('%s → %s', (url, expected) => {
    const result = checkWebhookUrl(url, livemode);
    if (expected === OK) {
      expect(result).toMatchObject({ ok: true });
    } else {
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.reason).toContain(expected);
    }
  });
});

describe('checkWebhookUrl', () => {
  it('returns the URL as the parser normalized it, which is what will be fetched', () => {
    const result = checkWebhookUrl('HTTPS://Example.COM:443/hooks/./a/../b?x=1', true);
    expect(result.ok && result.url.href).toBe('https://example.com/hooks/b?x=1');
  });

  it('names the host as it was understood, not as it was written', () => {
    expect(checkWebhookUrl('http://0x7f.1/', true)).toEqual({
      ok: false,
      reason: 'URL host 127.0.0.1 is a loopback address; loopback URLs are allowed only in test mode.',
    });
    expect(checkWebhookUrl('https://[::ffff:10.0.0.1]/', true)).toEqual({
      ok: false,
      reason: 'URL host [::ffff:a00:1] is a private network address (IPv4 10.0.0.1).',
    });
  });

  it('reasons are single sentences', () => {
    for (const [url] of cases) {
      const result = checkWebhookUrl(url, true);
      if (!result.ok) expect(result.reason).toMatch(/^URL [^\n]+\.$/);
    }
  });
});
