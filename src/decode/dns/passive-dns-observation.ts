// One passive-DNS observation (a name, a record type, one answer, when and how often it was
// seen, by which sensor) and the normal forms of names and answers that make them comparable.

import { formatIp, parseIp } from '../../core/ip.js';

/**
 * A resource record seen `count` times between `firstSeen` and `lastSeen` (epoch ms, UTC) by one
 * sensor. A Zeek row yields observations with count 1 and first = last; a COF record carries
 * its own counts and times.
 */
export interface PassiveDnsObservation {
  /** The owner name, lower case, without the trailing dot. */
  readonly rrname: string;
  /** The record type in upper case (A, AAAA, CNAME, PTR, TXT...; UNKNOWN when the log does not say). */
  readonly rrtype: string;
  /** One answer: an address in canonical text, a name in normal form, or text as logged. */
  readonly rdata: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly count: number;
  readonly sensor: string;
}

/** A name as stored and looked up: lower case, no trailing dot, surrounding blanks removed. */
export function normalizeDnsName(name: string): string {
  const n = name.trim().toLowerCase();
  return n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n;
}

/** Types whose answers are names (normalized like owner names). */
const NAME_TYPES = new Set(['CNAME', 'PTR', 'NS', 'MX', 'SRV', 'DNAME']);

/**
 * An answer as stored: addresses in canonical text (so `2001:DB8::1` and `2001:db8::1` meet),
 * names of name-valued types normalized, anything else as given.
 */
export function normalizeRdata(rrtype: string, rdata: string): string {
  const ip = parseIp(rdata.trim());
  if (ip !== undefined) return formatIp(ip);
  return NAME_TYPES.has(rrtype) ? normalizeDnsName(rdata) : rdata;
}

/** Record type names of the numeric types COF writers sometimes send (RFC 1035, 3596, 2782...). */
const TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 39: 'DNAME', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 64: 'SVCB', 65: 'HTTPS',
};

/** A record type as stored: upper-case name, numeric types named (RFC 3597 `TYPEn` when unknown). */
export function normalizeRrtype(rrtype: string | number): string {
  if (typeof rrtype === 'number') return TYPE_NAMES[rrtype] ?? `TYPE${rrtype}`;
  const t = rrtype.trim().toUpperCase();
  return /^\d+$/.test(t) ? normalizeRrtype(Number(t)) : t;
}
