// The prefixes an AS holds according to the enrichment ASN database: its address ranges, each
// split into the fewest CIDR blocks that cover it exactly (ip-location-db ranges need not fall on
// prefix boundaries), and the lookup from an address back to the prefix holding it.

import { formatIp, type Ip } from '../core/ip.js';
import type { GeoDatabase } from '../enrich/geo-database.js';

/** One prefix of an AS: first and last address, and its `a.b.c.d/n` text. */
export interface AsnPrefix {
  readonly first: Ip;
  readonly last: Ip;
  readonly cidr: string;
}

/** Splits an inclusive range into CIDR blocks, in address order. */
export function rangeToCidrs(first: Ip, last: Ip): AsnPrefix[] {
  const width = typeof first === 'number' ? 32n : 128n;
  const v4 = typeof first === 'number';
  let at = BigInt(first);
  const end = BigInt(last);
  const out: AsnPrefix[] = [];
  while (at <= end) {
    // The largest block aligned at `at` that does not run past `end`.
    let bits = 0n;
    while (bits < width && (at & ((1n << (bits + 1n)) - 1n)) === 0n && at + (1n << (bits + 1n)) - 1n <= end) bits++;
    const blockLast = at + (1n << bits) - 1n;
    const a: Ip = v4 ? Number(at) : at;
    out.push({ first: a, last: v4 ? Number(blockLast) : blockLast, cidr: `${formatIp(a)}/${width - bits}` });
    at = blockLast + 1n;
  }
  return out;
}

/**
 * Every prefix the database gives the AS, IPv4 first then IPv6, in address order. An AS may be
 * stored under several organisation spellings (one value per spelling): all count.
 */
export function asnPrefixes(geo: GeoDatabase, asn: number): AsnPrefix[] {
  const values = new Set<number>();
  geo.asNumbers.forEach((n, i) => {
    if (n === asn) values.add(i);
  });
  if (values.size === 0) return [];
  const a = geo.asn.arrays;
  const out: AsnPrefix[] = [];
  for (let i = 0; i < a.v4Values.length; i++) if (values.has(a.v4Values[i]!)) out.push(...rangeToCidrs(a.v4Starts[i]!, a.v4Ends[i]!));
  for (let i = 0; i < a.v6Values.length; i++) {
    if (!values.has(a.v6Values[i]!)) continue;
    out.push(...rangeToCidrs((a.v6StartHi[i]! << 64n) | a.v6StartLo[i]!, (a.v6EndHi[i]! << 64n) | a.v6EndLo[i]!));
  }
  return out;
}

/** The organisation the database names for an AS, or null. */
export function asnOrganisation(geo: GeoDatabase, asn: number): string | null {
  const i = geo.asNumbers.indexOf(asn);
  return i >= 0 ? (geo.asOrgs[i] ?? null) : null;
}

/** Finds the prefix holding an address among prefixes sorted by address (per family); -1 if none. */
export function prefixIndexOf(prefixes: readonly AsnPrefix[], ip: Ip): number {
  const key = (x: Ip) => (typeof x === 'number' ? BigInt(x) : x + (1n << 128n));
  const k = key(ip);
  let lo = 0;
  let hi = prefixes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const p = prefixes[mid]!;
    if (k < key(p.first)) hi = mid - 1;
    else if (k > key(p.last)) lo = mid + 1;
    else return mid;
  }
  return -1;
}
