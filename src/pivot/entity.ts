// Entities an analyst pivots on, parsed from the text typed on the command line or in the UI:
// an address, a network, a domain, an AS number, or a certificate hash.

import { VantageError } from '../core/errors.js';
import { formatIp, parseCidr, parseIp, type Ip, type IpRange } from '../core/ip.js';
import { normaliseDomain } from '../intel/indicator.js';

/** Entity kinds, in the order the parser tries them. */
export const ENTITY_TYPES = ['ip', 'cidr', 'asn', 'cert', 'domain'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** A parsed entity; `value` is its canonical text (the form profiles and findings use). */
export type Entity =
  | { readonly type: 'ip'; readonly value: string; readonly ip: Ip }
  | { readonly type: 'cidr'; readonly value: string; readonly range: IpRange }
  | { readonly type: 'asn'; readonly value: string; readonly asn: number }
  | { readonly type: 'cert'; readonly value: string; readonly algorithm: 'sha1' | 'sha256' }
  | { readonly type: 'domain'; readonly value: string };

/** The forms `parseEntity` accepts, for messages. */
export const ENTITY_FORMS = 'an IPv4 or IPv6 address (192.0.2.1, 2001:db8::1), a network (10.0.0.0/8), a domain (example.com), an AS number (AS64500) or a certificate SHA-1/SHA-256 hash';

function prefixLength(range: IpRange): number {
  const width = range.family === 4 ? 32 : 128;
  const size = BigInt(range.last) - BigInt(range.first) + 1n;
  return width - (size.toString(2).length - 1);
}

/**
 * Reads entity text. A /32 or /128 network is the address itself (as intel matching treats it);
 * a bare number is not an AS number (it is too easily a port or a count): write `AS64500`.
 */
export function parseEntity(text: string): Entity {
  const t = text.trim();
  const fail = (why: string): never => {
    throw new VantageError('USAGE', `'${text}' is not an entity${why}: give ${ENTITY_FORMS}`);
  };
  if (t === '') fail('');
  if (/^[0-9a-fA-F:.]+$/.test(t) && (t.includes('.') || t.includes(':'))) {
    const ip = parseIp(t);
    if (ip !== undefined) return { type: 'ip', value: formatIp(ip), ip };
    // Digits and dots only: a mistyped address, never a domain (its last label would be numeric).
    if (t.includes(':') || /^[\d.]+$/.test(t)) fail(' (not a valid address)');
  }
  if (t.includes('/')) {
    if (!/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(t)) fail('');
    const range = parseCidr(t);
    if (!range) fail(' (not a valid network)');
    if (range!.first === range!.last) return { type: 'ip', value: formatIp(range!.first), ip: range!.first };
    return { type: 'cidr', value: `${formatIp(range!.first)}/${prefixLength(range!)}`, range: range! };
  }
  const as = /^AS(\d{1,10})$/i.exec(t);
  if (as) {
    const asn = Number(as[1]);
    if (asn > 0xffffffff) fail(' (AS numbers go up to 4294967295)');
    return { type: 'asn', value: `AS${asn}`, asn };
  }
  if (/^[0-9a-fA-F]{40}$/.test(t) || /^[0-9a-fA-F]{64}$/.test(t) || /^([0-9a-fA-F]{2}:){19}[0-9a-fA-F]{2}$/.test(t) || /^([0-9a-fA-F]{2}:){31}[0-9a-fA-F]{2}$/.test(t)) {
    const hex = t.replace(/:/g, '').toLowerCase();
    return { type: 'cert', value: hex, algorithm: hex.length === 40 ? 'sha1' : 'sha256' };
  }
  const domain = normaliseDomain(t);
  if (domain === undefined) fail('');
  return { type: 'domain', value: domain! };
}
