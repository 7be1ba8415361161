// Address space a block list must never carry by accident: the IANA special-purpose ranges
// (private, loopback, link-local, shared CGN, documentation, benchmarking, multicast, reserved)
// for IPv4 and IPv6, and the prefix-length floor below which a network is too broad to block.

import { formatIp, parseCidr, type IpRange } from '../../core/ip.js';

/** One special-purpose range and what it is. */
export interface ReservedRange {
  readonly cidr: string;
  readonly range: IpRange;
  readonly what: string;
}

// RFC 6890 and the IANA IPv4/IPv6 Special-Purpose Address Registries. Blocking any of these at
// a border either does nothing (they never arrive from the Internet) or cuts our own hosts off.
const TABLE: readonly (readonly [string, string])[] = [
  ['0.0.0.0/8', 'this network (RFC 791)'],
  ['10.0.0.0/8', 'private (RFC 1918)'],
  ['100.64.0.0/10', 'shared address space (RFC 6598)'],
  ['127.0.0.0/8', 'loopback (RFC 1122)'],
  ['169.254.0.0/16', 'link-local (RFC 3927)'],
  ['172.16.0.0/12', 'private (RFC 1918)'],
  ['192.0.0.0/24', 'IETF protocol assignments (RFC 6890)'],
  ['192.0.2.0/24', 'documentation TEST-NET-1 (RFC 5737)'],
  ['192.88.99.0/24', '6to4 relay anycast (RFC 7526)'],
  ['192.168.0.0/16', 'private (RFC 1918)'],
  ['198.18.0.0/15', 'benchmarking (RFC 2544)'],
  ['198.51.100.0/24', 'documentation TEST-NET-2 (RFC 5737)'],
  ['203.0.113.0/24', 'documentation TEST-NET-3 (RFC 5737)'],
  ['224.0.0.0/4', 'multicast (RFC 5771)'],
  ['240.0.0.0/4', 'reserved (RFC 1112), incl. broadcast'],
  ['::/128', 'unspecified (RFC 4291)'],
  ['::1/128', 'loopback (RFC 4291)'],
  ['::ffff:0:0/96', 'IPv4-mapped (RFC 4291)'],
  ['64:ff9b::/96', 'IPv4/IPv6 translation (RFC 6052)'],
  ['64:ff9b:1::/48', 'local IPv4/IPv6 translation (RFC 8215)'],
  ['100::/64', 'discard-only (RFC 6666)'],
  ['2001::/23', 'IETF protocol assignments (RFC 2928)'],
  ['2001:db8::/32', 'documentation (RFC 3849)'],
  ['2002::/16', '6to4 (RFC 3056)'],
  ['fc00::/7', 'unique local (RFC 4193)'],
  ['fe80::/10', 'link-local (RFC 4291)'],
  ['ff00::/8', 'multicast (RFC 4291)'],
];

/** The special-purpose ranges, parsed once. */
export const RESERVED_RANGES: readonly ReservedRange[] = TABLE.map(([cidr, what]) => ({ cidr, range: parseCidr(cidr)!, what }));

/** True when two ranges of one family share at least one address. */
export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  if (a.family !== b.family) return false;
  return a.first <= b.last && b.first <= a.last;
}

/** The special-purpose ranges a value (address or network) overlaps. */
export function reservedOverlaps(range: IpRange): ReservedRange[] {
  return RESERVED_RANGES.filter((r) => rangesOverlap(r.range, range));
}

/** The prefix length of a CIDR range (a single address is /32 or /128). */
export function prefixLength(range: IpRange): number {
  const size = BigInt(range.last) - BigInt(range.first) + 1n;
  let bits = range.family === 4 ? 32 : 128;
  for (let s = size; s > 1n; s >>= 1n) bits--;
  return bits;
}

/** A range as CIDR text (`192.0.2.0/24`), or the bare address when it holds one. */
export function rangeText(range: IpRange): string {
  const bits = prefixLength(range);
  return bits === (range.family === 4 ? 32 : 128) ? formatIp(range.first) : `${formatIp(range.first)}/${bits}`;
}
