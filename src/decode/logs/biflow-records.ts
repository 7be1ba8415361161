// Turns one bidirectional flow record (an Argus or CICFlowMeter row) into one-way flow records:
// the source->destination flow always, the reverse flow when the destination sent packets.

import type { FlowRecord } from '../../core/columns.js';
import type { Ip } from '../../core/ip.js';
import { isIcmp } from '../../core/protocols.js';
import { parseTimeText } from './field-parsers.js';

/** One bidirectional record, typed. "src" is the side that opened the flow. */
export interface Biflow {
  readonly startMs: number;
  readonly endMs: number;
  readonly src: Ip;
  readonly dst: Ip;
  readonly sport: number;
  readonly dport: number;
  readonly proto: number;
  readonly srcPackets: number;
  readonly srcBytes: number;
  readonly srcFlags: number;
  readonly srcTos?: number;
  readonly dstPackets: number;
  readonly dstBytes: number;
  readonly dstFlags: number;
  readonly dstTos?: number;
  /** ICMP type and code of the source's messages, when the record tells them. */
  readonly icmpType?: number;
  readonly icmpCode?: number;
}

/** ICMP request types and their reply types (RFC 792, RFC 4443), both ways, as `zeek-conn.ts` pairs them. */
const ICMP4_PAIRS = new Map([[8, 0], [0, 8], [13, 14], [14, 13], [15, 16], [16, 15], [10, 9], [9, 10], [17, 18], [18, 17]]);
const ICMP6_PAIRS = new Map([[128, 129], [129, 128], [130, 131], [131, 130], [133, 134], [134, 133], [135, 136], [136, 135], [139, 140], [140, 139]]);

/**
 * Appends the flows of one record to `out` and returns how many (1 or 2). The source flow is
 * always written (its packets may be 0), so record counts match the input, as for Zeek; the
 * reverse flow only when dstPackets > 0, with ports swapped. For ICMP with a known type both
 * flows get sport 0 and dport type*256+code; the reverse flow carries the reply type for a
 * request/reply pair (echo 8 -> 0 ...), else the same type and code.
 */
export function biflowRecords(b: Biflow, out: FlowRecord[]): number {
  let sport = b.sport;
  let dport = b.dport;
  let rsport = b.dport;
  let rdport = b.sport;
  let type: number | undefined;
  let code: number | undefined;
  let rtype: number | undefined;
  let rcode: number | undefined;
  if (isIcmp(b.proto) && b.icmpType !== undefined) {
    type = b.icmpType;
    code = b.icmpCode ?? 0;
    const reply = (b.proto === 1 ? ICMP4_PAIRS : ICMP6_PAIRS).get(type);
    rtype = reply ?? type;
    rcode = reply === undefined ? code : 0;
    sport = rsport = 0;
    dport = type * 256 + code;
    rdport = rtype * 256 + rcode;
  }
  out.push({
    start: b.startMs,
    end: b.endMs,
    src: b.src,
    dst: b.dst,
    sport,
    dport,
    proto: b.proto,
    tcp_flags: b.srcFlags,
    packets: b.srcPackets,
    bytes: b.srcBytes,
    icmp_type: type,
    icmp_code: code,
    tos: b.srcTos,
    // Filled by enrichment at ingest: present from the start, so that it overwrites them in place.
    src_as: null,
    dst_as: null,
    src_country: null,
    dst_country: null,
    tags: null,
  });
  if (b.dstPackets <= 0) return 1;
  out.push({
    start: b.startMs,
    end: b.endMs,
    src: b.dst,
    dst: b.src,
    sport: rsport,
    dport: rdport,
    proto: b.proto,
    tcp_flags: b.dstFlags,
    packets: b.dstPackets,
    bytes: b.dstBytes,
    icmp_type: rtype,
    icmp_code: rcode,
    tos: b.dstTos,
    src_as: null,
    dst_as: null,
    src_country: null,
    dst_country: null,
    tags: null,
  });
  return 2;
}

/**
 * A date-time as UTC epoch microseconds, keeping the sub-millisecond digits that
 * `parseTimeText` truncates: start + duration then lands on the right millisecond
 * (47.672448 s + 63.822830 s ends at .495, not .494). NaN when malformed.
 */
export function parseTimeMicros(text: string): number {
  const ms = parseTimeText(text);
  if (Number.isNaN(ms)) return NaN;
  const frac = /:\d\d[.,](\d{4,})/.exec(text);
  return ms * 1000 + (frac ? Number(frac[1]!.slice(3, 6).padEnd(3, '0')) : 0);
}
