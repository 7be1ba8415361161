// What the packet decoder learned about one frame: a reusable, allocation-free result holder.

import type { Ip } from '../../core/ip.js';

/**
 * Layer 2-4 facts of one decoded frame. Reused across frames (call {@link PacketInfo.reset}) so
 * that decoding a packet allocates nothing but IPv6 bigints and, when present, the MPLS label list.
 * Numeric fields are -1 when absent, except addresses (null) and `ipVersion` (0).
 */
export class PacketInfo {
  /** MAC addresses of the innermost Ethernet header, as 48-bit integers. */
  srcMac = -1;
  dstMac = -1;
  /** Innermost and outermost 802.1Q/802.1ad VLAN ids. */
  vlan = -1;
  outerVlan = -1;
  vlanCount = 0;
  /** EtherType that carried the network layer (after VLAN/MPLS). */
  etherType = -1;
  /** MPLS labels, top of the stack first; null when the frame had no MPLS. */
  mplsLabels: number[] | null = null;
  /** 4 or 6 once an IP header was read; 0 otherwise. */
  ipVersion = 0;
  src: Ip | null = null;
  dst: Ip | null = null;
  proto = -1;
  tos = -1;
  ttl = -1;
  /** Length of the IP packet as its header declares it (IPv6: payload length + 40). */
  ipLength = -1;
  /** IPv4 identification or IPv6 fragment header identification. */
  fragmentId = -1;
  /** Fragment offset in bytes; 0 for a first or unfragmented packet. */
  fragmentOffset = 0;
  moreFragments = false;
  flowLabel = -1;
  /** Offsets in the frame: IP header start, IP payload start and end (after IPv6 extension headers),
   *  L4 header start, L4 payload start and end; ends are bounded by both the header lengths and the capture. */
  ipOffset = -1;
  ipPayloadOffset = -1;
  ipPayloadEnd = -1;
  l4Offset = -1;
  payloadOffset = -1;
  payloadEnd = -1;
  sport = -1;
  dport = -1;
  tcpFlags = -1;
  icmpType = -1;
  icmpCode = -1;
  /** VXLAN network identifier when the frame was decapsulated. */
  vni = -1;
  /** Outer tunnel addresses when the frame was decapsulated (the fields above then describe the inner packet). */
  outerSrc: Ip | null = null;
  outerDst: Ip | null = null;
  /** The header ended before a layer it announced (sFlow headers are often cut at 128 bytes). */
  truncated = false;

  /** Clears every field for the next frame. */
  reset(): void {
    this.outerSrc = null;
    this.outerDst = null;
    this.vni = -1;
    this.resetInner();
  }

  /** Clears what describes the (inner) packet, keeping the tunnel facts. */
  resetInner(): void {
    this.srcMac = -1;
    this.dstMac = -1;
    this.vlan = -1;
    this.outerVlan = -1;
    this.vlanCount = 0;
    this.etherType = -1;
    this.mplsLabels = null;
    this.ipVersion = 0;
    this.src = null;
    this.dst = null;
    this.proto = -1;
    this.tos = -1;
    this.ttl = -1;
    this.ipLength = -1;
    this.fragmentId = -1;
    this.fragmentOffset = 0;
    this.moreFragments = false;
    this.flowLabel = -1;
    this.ipOffset = -1;
    this.ipPayloadOffset = -1;
    this.ipPayloadEnd = -1;
    this.l4Offset = -1;
    this.payloadOffset = -1;
    this.payloadEnd = -1;
    this.sport = -1;
    this.dport = -1;
    this.tcpFlags = -1;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.truncated = false;
  }
}
