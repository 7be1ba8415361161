// Builds demo flow records the way the two border routers would export them: which router sees
// a flow, its interfaces, VLANs and ASNs, and the two unidirectional flows of a connection.

import type { FlowRecord } from '../core/columns.js';
import type { Ip } from '../core/ip.js';
import { BORDER_ROUTERS, ORG_ASN, demoIp, vlanIfIndex } from './demo-network.js';

/** Something that emits flows whose start lies in [from, to), called with consecutive windows. */
export interface FlowSource {
  emit(from: number, to: number, out: FlowRecord[]): void;
}

/** One end of a flow, with what routing needs precomputed. */
export interface Endpoint {
  readonly ip: Ip;
  readonly asn: number;
  /** Third octet (or IPv6 subnet number) of an internal address; -1 for the internet. */
  readonly subnet: number;
  /** For the internet: the router (0 or 1) whose uplink its traffic arrives on. */
  readonly uplink: number;
}

/** TCP flags. */
export const FIN = 1;
export const SYN = 2;
export const RST = 4;
export const PSH = 8;
export const ACK = 16;

/** IP protocol numbers. */
export const ICMP = 1;
export const TCP = 6;
export const UDP = 17;

/** IPFIX flowEndReason values. */
export const END_IDLE = 1;
export const END_ACTIVE = 2;
export const END_FIN = 3;

/** NetFlow active timeout of the demo routers: longer connections are cut into 5-minute flows. */
export const ACTIVE_TIMEOUT_MS = 300_000;

const MSS = 1400;

/** Sizes of one direction of a connection. */
export interface Direction {
  readonly packets: number;
  readonly bytes: number;
}

/** An internal endpoint from its text address (10.20.N.x or 2001:db8:20:N::x). */
export function internalEndpoint(text: string): Endpoint {
  const ip = demoIp(text);
  const subnet = typeof ip === 'number' ? (ip >>> 8) & 255 : Number.parseInt(text.split(':')[3]!, 10);
  return { ip, asn: ORG_ASN, subnet, uplink: -1 };
}

/** An internal IPv4 endpoint from its number: the fast path for scans over the whole /16. */
export function internalV4(ip: number): Endpoint {
  return { ip, asn: ORG_ASN, subnet: (ip >>> 8) & 255, uplink: -1 };
}

/** An internet endpoint; its uplink follows from the address, as BGP would pick a path per prefix. */
export function externalEndpoint(ip: Ip, asn: number): Endpoint {
  const low = typeof ip === 'number' ? ip : Number((ip >> 64n) & 0xffffffffn);
  return { ip, asn, subnet: -1, uplink: Math.imul(low >>> 8 || 1, 0x9e3779b1) >>> 31 };
}

/** True for IPv6 endpoints. */
export function isV6(endpoint: Endpoint): boolean {
  return typeof endpoint.ip === 'bigint';
}

/** Writes flows with the routers' view filled in. */
export class FlowFactory {
  private readonly exporters = BORDER_ROUTERS.map((r) => demoIp(r.exporter));
  private readonly uplinks = BORDER_ROUTERS.map((r) => r.uplinkIfIndex);

  /** One flow record as the responsible router exports it. */
  flow(
    start: number,
    end: number,
    src: Endpoint,
    dst: Endpoint,
    sport: number,
    dport: number,
    proto: number,
    flags: number,
    packets: number,
    bytes: number,
    endReason: number,
    icmpType: number | null = null,
  ): FlowRecord {
    // Internal sources leave through their VLAN's gateway; the internet comes in on its uplink.
    const srcInternal = src.subnet >= 0;
    const dstInternal = dst.subnet >= 0;
    const router = srcInternal ? (src.subnet & 1 ? 0 : 1) : src.uplink;
    const srcVlan = srcInternal ? vlanIfIndex(src.subnet) : 0;
    const dstVlan = dstInternal ? vlanIfIndex(dst.subnet) : 0;
    return {
      start,
      end,
      src: src.ip,
      dst: dst.ip,
      sport,
      dport,
      proto,
      tcp_flags: flags,
      packets,
      bytes,
      exporter: this.exporters[router]!,
      in_if: srcInternal ? srcVlan : this.uplinks[router]!,
      out_if: dstInternal ? dstVlan : this.uplinks[router]!,
      sampling: 1,
      src_as: src.asn,
      dst_as: dst.asn,
      src_vlan: srcVlan || null,
      dst_vlan: dstVlan || null,
      icmp_type: icmpType,
      icmp_code: icmpType === null ? null : 0,
      tos: 0,
      direction: 0,
      end_reason: endReason,
    };
  }

  /**
   * The two flows of a TCP connection that carried `request` and `response` payload bytes.
   * Packet counts include the handshake, delayed ACKs and teardown; headers are 52 bytes
   * (IPv4 + TCP with timestamps) or 72 bytes for IPv6.
   */
  tcp(
    out: FlowRecord[],
    start: number,
    durationMs: number,
    client: Endpoint,
    server: Endpoint,
    sport: number,
    dport: number,
    request: number,
    response: number,
    rttMs: number,
    reset = false,
  ): void {
    const header = isV6(client) ? 72 : 52;
    const serverData = Math.ceil(response / MSS);
    const clientData = Math.ceil(request / MSS);
    const serverPackets = serverData + 2;
    const clientPackets = clientData + 3 + (serverData >>> 1);
    const cut = durationMs >= ACTIVE_TIMEOUT_MS;
    const duration = cut ? ACTIVE_TIMEOUT_MS - 1 : durationMs;
    const endReason = cut ? END_ACTIVE : END_FIN;
    // Teardown flags: FIN normally, RST when the client aborted, neither when the router cut a long flow.
    const clientFlags = SYN | ACK | PSH | (cut ? 0 : reset ? RST : FIN);
    const serverFlags = SYN | ACK | PSH | (cut || reset ? 0 : FIN);
    const end = start + duration;
    out.push(this.flow(start, end, client, server, sport, dport, TCP, clientFlags, clientPackets, request + clientPackets * header, endReason));
    const replyStart = start + Math.min(rttMs, duration);
    out.push(this.flow(replyStart, Math.max(replyStart, end - 1), server, client, dport, sport, TCP, serverFlags, serverPackets, response + serverPackets * header, endReason));
  }

  /** The two flows of a UDP exchange (DNS, NTP, QUIC) with given packets and payload per direction. */
  udp(
    out: FlowRecord[],
    start: number,
    durationMs: number,
    client: Endpoint,
    server: Endpoint,
    sport: number,
    dport: number,
    clientPackets: number,
    request: number,
    serverPackets: number,
    response: number,
    replyDelayMs: number,
  ): void {
    const header = isV6(client) ? 48 : 28;
    const end = start + durationMs;
    out.push(this.flow(start, end, client, server, sport, dport, UDP, 0, clientPackets, request + clientPackets * header, END_IDLE));
    const replyStart = start + replyDelayMs;
    out.push(this.flow(replyStart, Math.max(replyStart, end), server, client, dport, sport, UDP, 0, serverPackets, response + serverPackets * header, END_IDLE));
  }
}
