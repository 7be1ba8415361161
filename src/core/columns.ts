// The ONE flow column table: it drives the store DDL of every backend, the query language's
// fields, the JSON field names and the FlowRecord type.

import type { Ip } from './ip.js';

/** Logical column kinds; each store backend maps them to its own physical types. */
export type ColumnKind = 'time' | 'ip' | 'u8' | 'u16' | 'u32' | 'u64' | 'string' | 'country' | 'tags';

/** One flow column. `name` is the public name: SQL column, JSON field and query field alike. */
export interface ColumnDef {
  readonly name: string;
  readonly kind: ColumnKind;
  /** One line for the docs and the query language's field list. */
  readonly doc: string;
  /** Present in every record; the others default to null/0. */
  readonly required?: boolean;
  /** Few distinct values: backends may dictionary-encode it. */
  readonly lowCardinality?: boolean;
}

/**
 * The flow schema. Packets and bytes are estimated totals: sampled exports are scaled by
 * their sampling rate at ingest (as nfdump does), and `sampling` keeps the rate applied.
 * ICMP type and code also appear in `dport` as type*256+code, the NetFlow/nfdump convention,
 * so `port` filters behave as analysts expect from nfdump.
 */
export const FLOW_COLUMNS = [
  { name: 'start', kind: 'time', required: true, doc: 'first packet of the flow (UTC, ms)' },
  { name: 'end', kind: 'time', required: true, doc: 'last packet of the flow (UTC, ms)' },
  { name: 'src', kind: 'ip', required: true, doc: 'source address (IPv4 or IPv6)' },
  { name: 'dst', kind: 'ip', required: true, doc: 'destination address (IPv4 or IPv6)' },
  { name: 'sport', kind: 'u16', required: true, doc: 'source port' },
  { name: 'dport', kind: 'u16', required: true, doc: 'destination port (ICMP: type*256+code)' },
  { name: 'proto', kind: 'u8', required: true, lowCardinality: true, doc: 'IP protocol number' },
  { name: 'tcp_flags', kind: 'u8', required: true, doc: 'cumulative TCP flags (FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32 ECE=64 CWR=128)' },
  { name: 'packets', kind: 'u64', required: true, doc: 'packets (scaled by sampling)' },
  { name: 'bytes', kind: 'u64', required: true, doc: 'bytes (scaled by sampling)' },
  { name: 'exporter', kind: 'ip', lowCardinality: true, doc: 'address of the exporting device' },
  { name: 'in_if', kind: 'u32', doc: 'input interface index' },
  { name: 'out_if', kind: 'u32', doc: 'output interface index' },
  { name: 'sampling', kind: 'u32', doc: 'sampling rate applied (1 = unsampled)' },
  { name: 'src_as', kind: 'u32', doc: 'source autonomous system' },
  { name: 'dst_as', kind: 'u32', doc: 'destination autonomous system' },
  { name: 'next_hop', kind: 'ip', doc: 'IP next hop' },
  { name: 'src_vlan', kind: 'u16', doc: 'source VLAN' },
  { name: 'dst_vlan', kind: 'u16', doc: 'destination VLAN' },
  { name: 'icmp_type', kind: 'u8', doc: 'ICMP type' },
  { name: 'icmp_code', kind: 'u8', doc: 'ICMP code' },
  { name: 'tos', kind: 'u8', doc: 'IP type of service / DSCP byte' },
  { name: 'direction', kind: 'u8', doc: 'flow direction: 0 ingress, 1 egress' },
  { name: 'end_reason', kind: 'u8', doc: 'flow end reason (IPFIX IE 136)' },
  { name: 'src_country', kind: 'country', lowCardinality: true, doc: 'source country (ISO 3166 alpha-2)' },
  { name: 'dst_country', kind: 'country', lowCardinality: true, doc: 'destination country (ISO 3166 alpha-2)' },
  { name: 'tags', kind: 'tags', doc: 'intelligence tags attached at ingest' },
] as const satisfies readonly ColumnDef[];

/** The TS type that stands for each column kind in a record. */
export interface KindValue {
  time: number;
  ip: Ip;
  u8: number;
  u16: number;
  u32: number;
  u64: number;
  string: string;
  /** ISO 3166 alpha-2 code, upper case. */
  country: string;
  tags: readonly string[];
}

type Columns = (typeof FLOW_COLUMNS)[number];
type RequiredColumn = Extract<Columns, { required: true }>;
type OptionalColumn = Exclude<Columns, { required: true }>;

/** A flow record, derived from the column table. */
export type FlowRecord = { [C in RequiredColumn as C['name']]: KindValue[C['kind']] } & {
  [C in OptionalColumn as C['name']]?: KindValue[C['kind']] | null;
};

/** Public column names. */
export type FlowField = Columns['name'];

const byName = new Map<string, ColumnDef>(FLOW_COLUMNS.map((c) => [c.name, c]));

/** Looks a column up by its public name. */
export function flowColumn(name: string): ColumnDef | undefined {
  return byName.get(name);
}

/** A two-letter country code as a 16-bit number (first letter in the high byte), or undefined. */
export function countryCode(text: string): number | undefined {
  if (text.length !== 2) return undefined;
  const a = text.charCodeAt(0);
  const b = text.charCodeAt(1);
  return a < 128 && b < 128 ? (a << 8) | b : undefined;
}

/** The two letters of a `countryCode` number. */
export function countryText(code: number): string {
  return String.fromCharCode(code >> 8, code & 255);
}

/** TCP flag bits, in the order nfdump prints them (CWR ECE URG ACK PSH RST SYN FIN). */
export const TCP_FLAG_BITS = { C: 128, E: 64, U: 32, A: 16, P: 8, R: 4, S: 2, F: 1 } as const;
