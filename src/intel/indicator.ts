// The indicator model: what one piece of intelligence is, where it came from, and the canonical
// text of its value (so that the same address or domain from two feeds is the same key).

import { formatIp, parseCidr, parseIp, singleRange, type Ip, type IpRange } from '../core/ip.js';

/** What an indicator's value is. Only the address, domain and ASN types can match flows. */
export const INDICATOR_TYPES = [
  'ip',
  'cidr',
  'ip-port',
  'domain',
  'url',
  'uri-path',
  'asn',
  'md5',
  'sha1',
  'sha256',
  'sha512',
  'x509-md5',
  'x509-sha1',
  'x509-sha256',
  'ja3',
  'ja3s',
  'ja4',
  'email',
] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

/** `threat` indicators tag and hunt; `allow` entries mark what must never be blocked. */
export type IndicatorKind = 'threat' | 'allow';

/** The feed formats Vantage reads (`vantage intel load --feed KIND`). */
export const FEED_KINDS = ['feodo', 'spamhaus', 'ipsum', 'maltrail', 'threatfox', 'stix', 'misp', 'misp-warninglist', 'list'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

/**
 * One indicator with its provenance. `source` names the feed instance it was loaded from (e.g.
 * `maltrail:emotet`, `spamhaus:drop`): reloading the same source updates and expires its
 * entries; (source, type, value) is the key.
 */
export interface Indicator {
  readonly source: string;
  readonly type: IndicatorType;
  /** Canonical value: addresses formatted, domains lower case, CIDRs as network/bits. */
  readonly value: string;
  readonly kind: IndicatorKind;
  readonly feed: FeedKind;
  /** Malware family or list owner, lower case where the feed gives one. */
  readonly family: string | null;
  /** Feed-supplied labels (threat types, MISP tags...). */
  readonly tags: readonly string[];
  /** 0-100 where the feed says how sure it is; null when it does not. */
  readonly confidence: number | null;
  /** The feed's own reference for the entry: an SBL id, a report URL, an event id. */
  readonly reference: string | null;
  /** Other feed fields worth keeping (status, threat type, comments), as strings. */
  readonly attrs: Readonly<Record<string, string>>;
  /** False for context that the feed says not to detect on (MISP to_ids=false). */
  readonly detect: boolean;
  /** The file it was read from, the 1-based line where its text starts, and that text. */
  readonly file: string;
  readonly line: number;
  readonly raw: string;
  /** When the feed says it was first and last seen active (epoch ms), if it says. */
  readonly firstSeen: number | null;
  readonly lastSeen: number | null;
  /** When the feed says it stops being valid (STIX valid_until), epoch ms. */
  readonly validUntil: number | null;
}

/** An indicator as stored: the provenance plus when Vantage first and last loaded it. */
export interface StoredIndicator extends Indicator {
  readonly loadedFirst: number;
  readonly loadedLast: number;
  /** Set when a reload of its source no longer listed it. */
  readonly expiredAt: number | null;
}

/** The value of an indicator, parsed for matching. */
export type ParsedValue =
  | { readonly type: 'ip'; readonly ip: Ip; readonly range: IpRange; readonly value: string }
  | { readonly type: 'cidr'; readonly range: IpRange; readonly bits: number; readonly value: string }
  | { readonly type: 'ip-port'; readonly ip: Ip; readonly port: number; readonly range: IpRange; readonly value: string }
  | { readonly type: 'domain'; readonly domain: string; readonly value: string }
  | { readonly type: 'url'; readonly host: string; readonly hostIp: Ip | undefined; readonly value: string }
  | { readonly type: 'asn'; readonly asn: number; readonly value: string }
  | { readonly type: Exclude<IndicatorType, 'ip' | 'cidr' | 'ip-port' | 'domain' | 'url' | 'asn'>; readonly value: string };

const HEX = /^[0-9a-f]+$/;
const DOMAIN_LABEL = /^(?!-)[a-z0-9_-]{1,63}$/;

/** The prefix length of a CIDR range (its size is a power of two by construction). */
export function prefixBits(range: IpRange): number {
  if (range.family === 4) {
    const size = (range.last as number) - (range.first as number) + 1;
    return 32 - Math.round(Math.log2(size));
  }
  let size = (range.last as bigint) - (range.first as bigint) + 1n;
  let bits = 128;
  while (size > 1n) {
    size >>= 1n;
    bits--;
  }
  return bits;
}

/** Lower-cased domain without a trailing dot, or undefined when it is not a host name. */
export function normaliseDomain(text: string): string | undefined {
  let d = text.trim().toLowerCase();
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (d.startsWith('*.')) d = d.slice(2); // wildcard entries mean the domain and its subdomains, as a listed domain does
  if (d.length === 0 || d.length > 253 || !d.includes('.')) return undefined;
  const labels = d.split('.');
  if (!labels.every((l) => DOMAIN_LABEL.test(l))) return undefined;
  // A last label of digits only is an address (or a typo of one), not a domain.
  if (/^\d+$/.test(labels[labels.length - 1]!)) return undefined;
  return d;
}

function formatIpPort(ip: Ip, port: number): string {
  return typeof ip === 'number' ? `${formatIp(ip)}:${port}` : `[${formatIp(ip)}]:${port}`;
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** Splits a URL (scheme optional) into host, port and the rest; undefined when it has no host. */
function splitUrl(text: string): { scheme: string; host: string; port: string; rest: string } | undefined {
  const m = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\[[0-9a-f:.]+\]|[^/:?#\s]+)(?::(\d{1,5}))?([/?][^\s#]*)?(?:#.*)?$/i.exec(text.trim());
  if (!m) return undefined;
  return { scheme: (m[1] ?? '').toLowerCase(), host: m[2]!.toLowerCase(), port: m[3] ?? '', rest: m[4] ?? '' };
}

/**
 * Parses a value of a known type into its canonical form; undefined when it is not one.
 * URLs lose their scheme and fragment and keep host (lower case), port, path and query, the
 * form maltrail lists them in, so `http://x/a` and `x/a` are the same indicator.
 */
export function parseValue(type: IndicatorType, text: string): ParsedValue | undefined {
  const t = text.trim();
  switch (type) {
    case 'ip': {
      const ip = parseIp(t);
      return ip === undefined ? undefined : { type, ip, range: singleRange(ip), value: formatIp(ip) };
    }
    case 'cidr': {
      const range = t.includes('/') ? parseCidr(t) : undefined;
      if (!range) return undefined;
      const bits = prefixBits(range);
      return { type, range, bits, value: `${formatIp(range.first)}/${bits}` };
    }
    case 'ip-port': {
      const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(t) ?? /^([0-9.]+):(\d+)$/.exec(t);
      if (!m) return undefined;
      const ip = parseIp(m[1]!);
      const port = parsePort(m[2]!);
      if (ip === undefined || port === undefined) return undefined;
      return { type, ip, port, range: singleRange(ip), value: formatIpPort(ip, port) };
    }
    case 'domain': {
      const domain = normaliseDomain(t);
      return domain === undefined ? undefined : { type, domain, value: domain };
    }
    case 'url': {
      const u = splitUrl(t);
      if (!u) return undefined;
      const bare = u.host.startsWith('[') ? u.host.slice(1, -1) : u.host;
      const hostIp = parseIp(bare);
      const host = hostIp !== undefined ? formatIp(hostIp) : normaliseDomain(bare);
      if (host === undefined) return undefined;
      const hostText = hostIp !== undefined && typeof hostIp === 'bigint' ? `[${host}]` : host;
      return { type, host, hostIp, value: `${hostText}${u.port ? `:${u.port}` : ''}${u.rest}` };
    }
    case 'uri-path':
      return t.startsWith('/') && !/\s/.test(t) ? { type, value: t } : undefined;
    case 'asn': {
      const m = /^(?:AS)?(\d{1,10})$/i.exec(t);
      if (!m) return undefined;
      const asn = Number(m[1]);
      return asn <= 0xffffffff ? { type, asn, value: `AS${asn}` } : undefined;
    }
    case 'md5':
    case 'x509-md5':
    case 'ja3':
    case 'ja3s':
      return hexOfLength(type, t, 32);
    case 'sha1':
    case 'x509-sha1':
      return hexOfLength(type, t, 40);
    case 'sha256':
    case 'x509-sha256':
      return hexOfLength(type, t, 64);
    case 'sha512':
      return hexOfLength(type, t, 128);
    case 'ja4':
      return /^[a-z0-9]{10}_[0-9a-f]{12}_[0-9a-f]{12}$/i.test(t) ? { type, value: t.toLowerCase() } : undefined;
    case 'email':
      return /^[^@\s]+@[^@\s]+$/.test(t) ? { type, value: t.toLowerCase() } : undefined;
  }
}

function hexOfLength(type: IndicatorType, text: string, length: number): ParsedValue | undefined {
  // Fingerprints are often written with colons (AB:CD:...): the bytes are what count.
  const hex = text.replace(/:/g, '').toLowerCase();
  return hex.length === length && HEX.test(hex) ? ({ type, value: hex } as ParsedValue) : undefined;
}

/**
 * Tells the type of a bare value as analysts and plain lists write it: an address, a CIDR, an
 * address:port, a URL (with a scheme or a path), a URI path, a hash by its length, an ASN, or a
 * domain. Undefined when it is none of these.
 */
export function classifyValue(text: string): ParsedValue | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (/^[0-9a-fA-F:.]+$/.test(t) && (t.includes('.') || t.includes(':'))) {
    const ip = parseValue('ip', t);
    if (ip) return ip;
  }
  if (t.includes('/') && /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(t)) {
    const cidr = parseValue('cidr', t);
    if (!cidr) return undefined;
    // A /32 or /128 is one address: the same indicator as the address itself.
    if (cidr.type === 'cidr' && cidr.range.first === cidr.range.last) return parseValue('ip', formatIp(cidr.range.first));
    return cidr;
  }
  if (/^\[?[0-9a-fA-F:.]+\]?:\d{1,5}$/.test(t)) {
    const ipPort = parseValue('ip-port', t);
    if (ipPort) return ipPort;
  }
  if (/^AS\d+$/i.test(t)) return parseValue('asn', t);
  if (t.startsWith('/')) return parseValue('uri-path', t);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t) || /^[^/\s]+[/?]/.test(t)) return parseValue('url', t);
  if (HEX.test(t.toLowerCase())) {
    switch (t.length) {
      case 32:
        return parseValue('md5', t);
      case 40:
        return parseValue('sha1', t);
      case 64:
        return parseValue('sha256', t);
      case 128:
        return parseValue('sha512', t);
    }
  }
  if (t.includes('@')) return parseValue('email', t);
  const hostPort = /^([^:/\s]+):(\d{1,5})$/.exec(t);
  if (hostPort) return parseValue('domain', hostPort[1]!); // host:port trails: the port cannot be matched without DNS
  return parseValue('domain', t);
}

/** The key that makes an indicator unique in the store. */
export function indicatorKey(i: Pick<Indicator, 'source' | 'type' | 'value'>): string {
  return `${i.source}\u0000${i.type}\u0000${i.value}`;
}

/** Parses a feed timestamp ("2024-04-04 07:03:03", "... UTC", ISO 8601, epoch seconds) to epoch ms. */
export function parseFeedTime(text: string | number | null | undefined): number | null {
  if (text === null || text === undefined) return null;
  if (typeof text === 'number') return Number.isFinite(text) ? (text < 1e11 ? text * 1000 : text) : null;
  const t = text.trim();
  if (t === '' || t === 'None' || t === 'null') return null;
  if (/^\d{9,13}$/.test(t)) return Number(t) * (t.length <= 10 ? 1000 : 1);
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/i.exec(t);
  if (m) {
    const zone = !m[3] || /^(z|utc)$/i.test(m[3]) ? 'Z' : m[3];
    const ms = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${zone}`);
    return Number.isNaN(ms) ? null : ms;
  }
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}
