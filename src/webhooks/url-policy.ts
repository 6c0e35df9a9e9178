/**
 * Which webhook endpoint URLs we accept. Deliveries leave from our servers, so a URL must not
 * point back into a private network, at loopback, or at a cloud metadata service. Live mode
 * accepts only https to public hosts; test mode also accepts http or https to loopback, so a
 * developer can receive events on their own machine.
 *
 * Everything is judged on the URL as the WHATWG parser normalizes it, which is also what fetch
 * will connect to: `http://2130706433/`, `http://0x7f.1/` and `http://127.1/` all become
 * `127.0.0.1`, `[::ffff:10.0.0.1]` becomes `[::ffff:a00:1]`, `loc%61lhost` and full-width
 * letters become `localhost`. Host names are checked by name only; what they resolve to is the
 * delivery side's concern.
 */
export type WebhookUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2048;

export function checkWebhookUrl(raw: string, livemode: boolean): WebhookUrlCheck {
  if (raw.length > MAX_URL_LENGTH) return refuse(`URL must be at most ${MAX_URL_LENGTH} characters.`);
  // The parser would silently drop tabs, newlines and surrounding spaces; refuse them instead.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this refuses
  if (/[\s\x00-\x1f\x7f]/.test(raw)) return refuse('URL must not contain spaces or control characters.');
  const url = parseUrl(raw);
  if (!url) return refuse('URL must be an absolute URL, such as https://example.com/webhooks.');
  if (url.href.length > MAX_URL_LENGTH) return refuse(`URL must be at most ${MAX_URL_LENGTH} characters.`);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse('URL must use https.');
  if (url.username !== '' || url.password !== '') return refuse('URL must not contain a username or password.');
  // `hash` is empty for a bare trailing '#', so look at the serialization.
  if (url.href.includes('#')) return refuse('URL must not contain a fragment (#).');

  const host = classifyHost(url.hostname);
  if (host.kind === 'loopback') {
    if (!livemode) return { ok: true, url };
    return refuse(`URL host ${url.hostname} is a loopback address; loopback URLs are allowed only in test mode.`);
  }
  if (host.kind === 'refused') return refuse(`URL host ${url.hostname} ${host.what}.`);
  if (url.protocol !== 'https:') {
    return refuse(livemode ? 'URL must use https.' : 'URL must use https; http is allowed only to localhost in test mode.');
  }
  return { ok: true, url };
}

function refuse(reason: string): WebhookUrlCheck {
  return { ok: false, reason };
}

function parseUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

type HostClass = { kind: 'public' } | { kind: 'loopback' } | { kind: 'refused'; what: string };

const PUBLIC: HostClass = { kind: 'public' };
const LOOPBACK: HostClass = { kind: 'loopback' };
const refused = (what: string): HostClass => ({ kind: 'refused', what });

function classifyHost(hostname: string): HostClass {
  if (hostname.startsWith('[')) {
    const address = parseIPv6(hostname.slice(1, -1));
    return address === undefined ? refused('is not a valid IPv6 address') : classifyIPv6(address);
  }
  const ipv4 = parseIPv4(hostname);
  return ipv4 === undefined ? classifyName(hostname) : classifyIPv4(ipv4);
}

// ---- Names ----

const METADATA_HOSTS = new Set(['metadata', 'metadata.google.internal', 'instance-data']);
const LOCAL_SUFFIXES = ['.internal', '.local', '.localdomain', '.home.arpa', 'localhost'];

function classifyName(hostname: string): HostClass {
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name === 'localhost' || name.endsWith('.localhost')) return LOOPBACK;
  if (METADATA_HOSTS.has(name)) return refused('is a cloud metadata service');
  if (LOCAL_SUFFIXES.some((suffix) => name.endsWith(suffix))) return refused('is a local network name');
  if (!name.includes('.')) return refused('is not a public domain name');
  return PUBLIC;
}

// ---- IP literals: addresses as bigints, ranges as (base, prefix length) ----

interface Cidr {
  base: bigint;
  prefix: number;
}

function parseCidr(cidr: string, bits: 32 | 128): Cidr {
  const [address = '', prefix = ''] = cidr.split('/');
  const base = bits === 32 ? parseIPv4(address) : parseIPv6(address);
  if (base === undefined) throw new Error(`bad range ${cidr}`);
  return { base, prefix: Number(prefix) };
}

function inCidr(address: bigint, bits: 32 | 128, cidr: Cidr): boolean {
  const shift = BigInt(bits - cidr.prefix);
  return address >> shift === cidr.base >> shift;
}

const IPV4_RANGES = (
  [
    ['0.0.0.0/8', refused('is an unspecified address')],
    ['10.0.0.0/8', refused('is a private network address')],
    ['100.64.0.0/10', refused('is a carrier-grade NAT address')],
    ['127.0.0.0/8', LOOPBACK],
    ['169.254.0.0/16', refused('is a link-local address')],
    ['172.16.0.0/12', refused('is a private network address')],
    ['192.0.0.0/24', refused('is a reserved address')],
    ['192.0.2.0/24', refused('is a documentation address')],
    ['192.168.0.0/16', refused('is a private network address')],
    ['198.18.0.0/15', refused('is a benchmarking address')],
    ['198.51.100.0/24', refused('is a documentation address')],
    ['203.0.113.0/24', refused('is a documentation address')],
    ['224.0.0.0/4', refused('is a multicast address')],
    ['240.0.0.0/4', refused('is a reserved address')],
  ] as const
).map(([cidr, hostClass]) => ({ ...parseCidr(cidr, 32), hostClass }));

const IPV6_RANGES = (
  [
    ['::/128', refused('is an unspecified address')],
    ['::1/128', LOOPBACK],
    ['64:ff9b:1::/48', refused('is a local-use NAT64 address')],
    ['100::/64', refused('is a discard-only address')],
    ['2001:db8::/32', refused('is a documentation address')],
    ['fc00::/7', refused('is a unique-local address')],
    ['fe80::/10', refused('is a link-local address')],
    ['fec0::/10', refused('is a site-local address')],
    ['ff00::/8', refused('is a multicast address')],
  ] as const
).map(([cidr, hostClass]) => ({ ...parseCidr(cidr, 128), hostClass }));

/** IPv6 forms that carry an IPv4 address, judged by that address; `shift` finds its 32 bits. */
const IPV6_CARRYING_IPV4 = (
  [
    ['::ffff:0:0/96', 0n], // IPv4-mapped
    ['64:ff9b::/96', 0n], // NAT64
    ['::/96', 0n], // IPv4-compatible (deprecated)
    ['2002::/16', 80n], // 6to4
  ] as const
).map(([cidr, shift]) => ({ ...parseCidr(cidr, 128), shift }));

function classifyIPv4(address: bigint): HostClass {
  return IPV4_RANGES.find((range) => inCidr(address, 32, range))?.hostClass ?? PUBLIC;
}

function classifyIPv6(address: bigint): HostClass {
  const listed = IPV6_RANGES.find((range) => inCidr(address, 128, range));
  if (listed) return listed.hostClass;
  const carrier = IPV6_CARRYING_IPV4.find((range) => inCidr(address, 128, range));
  if (!carrier) return PUBLIC;
  const ipv4 = (address >> carrier.shift) & 0xffffffffn;
  const inner = classifyIPv4(ipv4);
  return inner.kind === 'refused' ? refused(`${inner.what} (IPv4 ${formatIPv4(ipv4)})`) : inner;
}

/** Dotted-decimal IPv4, the only form the URL parser leaves in a host. */
function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.reduce((value, part) => (value << 8n) | BigInt(part), 0n);
}

function formatIPv4(address: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((address >> shift) & 0xffn)).join('.');
}

/** IPv6 in hex groups with at most one `::`, the form the URL parser serializes. */
function parseIPv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string | undefined) => (part ? part.split(':') : []);
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  const zeros = 8 - head.length - tail.length;
  if (halves.length === 1 ? zeros !== 0 : zeros < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? zeros : 0).fill('0'), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}
