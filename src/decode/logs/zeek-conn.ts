// Turns one Zeek conn.log connection into flow records: Zeek logs both directions in one row,
// flows are one-way, so a connection becomes an originator flow and (if it answered) a responder flow.

import type { FlowRecord } from '../../core/columns.js';
import type { Ip } from '../../core/ip.js';
import { isIcmp, protocolNumber } from '../../core/protocols.js';

/** The conn.log fields the import reads, already typed. Times in microseconds. */
export interface ZeekConn {
  tsUs: number;
  /** Connection duration in microseconds; 0 when Zeek left it unset. */
  durationUs: number;
  origH: Ip;
  origP: number;
  respH: Ip;
  respP: number;
  proto: number;
  origPkts: number;
  origIpBytes: number;
  respPkts: number;
  respIpBytes: number;
  history: string;
}

/** Zeek log paths whose rows are connections. */
export const ZEEK_CONN_PATHS = new Set(['conn', 'open_conn', 'conn_long', 'conn_red', 'conn_summary']);

/**
 * The IP protocol of a conn row: Zeek 6+ logs `ip_proto`; older versions only the transport
 * name, and `icmp` then covers ICMPv6 too, told apart by the address family.
 * Returns -1 for a name that is not a protocol.
 */
export function zeekProtocol(proto: string, ipProto: number, origH: Ip): number {
  if (ipProto >= 0) return ipProto;
  if (proto === 'icmp') return typeof origH === 'bigint' ? 58 : 1;
  if (proto === 'unknown_transport') return 0;
  return protocolNumber(proto);
}

/**
 * TCP flags from a Zeek `history` string, as (originator flags) | (responder flags) << 8.
 * Upper case is the originator, lower case the responder: S = SYN, H = SYN+ACK, A and D = ACK
 * (data after the handshake rides on ACK segments), F = FIN, R = RST. The other letters
 * (C, G, T, W, I, Q, ^, ...) say nothing certain about flags and are ignored.
 */
export function historyFlags(history: string): number {
  let orig = 0;
  let resp = 0;
  for (let i = 0; i < history.length; i++) {
    switch (history.charCodeAt(i)) {
      case 83: orig |= 2; break; // S
      case 72: orig |= 18; break; // H
      case 65: case 68: orig |= 16; break; // A D
      case 70: orig |= 1; break; // F
      case 82: orig |= 4; break; // R
      case 115: resp |= 2; break; // s
      case 104: resp |= 18; break; // h
      case 97: case 100: resp |= 16; break; // a d
      case 102: resp |= 1; break; // f
      case 114: resp |= 4; break; // r
    }
  }
  return orig | (resp << 8);
}

/** ICMP request types and their reply types (RFC 792, RFC 4443), both ways, as Zeek pairs them. */
const ICMP4_PAIRS = new Map([[8, 0], [0, 8], [13, 14], [14, 13], [15, 16], [16, 15], [10, 9], [9, 10], [17, 18], [18, 17]]);
const ICMP6_PAIRS = new Map([[128, 129], [129, 128], [130, 131], [131, 130], [133, 134], [134, 133], [135, 136], [136, 135], [139, 140], [140, 139]]);

/**
 * Appends the flows of one connection to `out` and returns how many (1 or 2).
 * The originator->responder flow is always written (its packets may be 0 when Zeek missed
 * them), so connection counts match the log; the responder->originator flow only when
 * resp_pkts > 0. Bytes are the IP-level counts (orig_ip_bytes/resp_ip_bytes), so totals
 * match the wire. For ICMP Zeek puts the type in orig_p and, for request/reply types, the
 * reply type in resp_p (else the code): the flows get type*256+code as destination port.
 */
export function zeekConnFlows(c: ZeekConn, out: FlowRecord[]): number {
  const start = Math.floor(c.tsUs / 1000);
  const end = Math.floor((c.tsUs + c.durationUs) / 1000);
  const flags = c.proto === 6 ? historyFlags(c.history) : 0;
  let sport = c.origP;
  let dport = c.respP;
  let rsport = c.respP;
  let rdport = c.origP;
  let type: number | undefined;
  let code: number | undefined;
  let rtype: number | undefined;
  let rcode: number | undefined;
  if (isIcmp(c.proto)) {
    const reply = (c.proto === 1 ? ICMP4_PAIRS : ICMP6_PAIRS).get(c.origP);
    type = c.origP;
    rtype = reply === c.respP ? c.respP : c.origP;
    code = rcode = reply === c.respP ? 0 : c.respP;
    sport = rsport = 0;
    dport = type * 256 + code;
    rdport = rtype * 256 + rcode;
  }
  out.push({
    start,
    end,
    src: c.origH,
    dst: c.respH,
    sport,
    dport,
    proto: c.proto,
    tcp_flags: flags & 255,
    packets: c.origPkts,
    bytes: c.origIpBytes,
    icmp_type: type,
    icmp_code: code,
    // Filled by enrichment at ingest: present from the start, so that it overwrites them in place.
    src_as: null,
    dst_as: null,
    src_country: null,
    dst_country: null,
    tags: null,
  });
  if (c.respPkts <= 0) return 1;
  out.push({
    start,
    end,
    src: c.respH,
    dst: c.origH,
    sport: rsport,
    dport: rdport,
    proto: c.proto,
    tcp_flags: flags >> 8,
    packets: c.respPkts,
    bytes: c.respIpBytes,
    icmp_type: rtype,
    icmp_code: rcode,
    src_as: null,
    dst_as: null,
    src_country: null,
    dst_country: null,
    tags: null,
  });
  return 2;
}
