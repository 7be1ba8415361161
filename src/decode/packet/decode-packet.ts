// Packet header decoding shared by sFlow, IPFIX IE 315 and the capture readers: link layer
// (Ethernet, 802.1Q/QinQ, MPLS with pseudowire control word, PPPoE, Linux cooked, raw IP),
// IPv4/IPv6 with extension headers, TCP/UDP/SCTP/ICMP/ICMPv6, and the inner frame of VXLAN.

import { readIpv6 } from '../read-bytes.js';
import type { PacketInfo } from './packet-info.js';

/** pcap/pcapng link-layer header types this decoder reads (www.tcpdump.org/linktypes.html). */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW_12: 12,
  RAW_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const SUPPORTED_LINKTYPES = new Set<number>(Object.values(LINKTYPE));

/** True for the link types {@link decodeFrame} reads. */
export function isSupportedLinkType(linkType: number): boolean {
  return SUPPORTED_LINKTYPES.has(linkType);
}

/** The UDP port VXLAN uses (RFC 7348). */
export const VXLAN_PORT = 4789;

/** Options of {@link decodeFrame}. */
export interface PacketDecodeOptions {
  /** Decode the inner frame of VXLAN (UDP/4789); the outer addresses go to outerSrc/outerDst. */
  readonly decapsulateVxlan?: boolean;
  /** Decode the inner packet of IP-in-IP (protocol 4 / 41, e.g. SRv6 encapsulation) likewise. */
  readonly decapsulateIpInIp?: boolean;
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
const ETH_MPLS = 0x8847;
const ETH_MPLS_MC = 0x8848;
const ETH_PPPOE = 0x8864;
/** Bounds the label stack and the tag/extension-header loops against crafted input. */
const MAX_LABELS = 16;
const MAX_TAGS = 8;
const MAX_EXT_HEADERS = 16;
const MAX_DEPTH = 4;

/**
 * Decodes one captured frame of a given link type into `info` (reset first). Returns true when an
 * IP header was found. Never throws: malformed or short input stops decoding and sets `truncated`.
 */
export function decodeFrame(view: DataView, offset: number, end: number, linkType: number, info: PacketInfo, options: PacketDecodeOptions = {}): boolean {
  info.reset();
  end = Math.min(end, view.byteLength);
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      decodeEthernet(view, offset, end, info, options, 0);
      break;
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_12:
    case LINKTYPE.RAW_14:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      decodeIp(view, offset, end, info, options, 0);
      break;
    case LINKTYPE.LINUX_SLL:
      if (offset + 16 > end) info.truncated = true;
      else decodeEtherType(view, view.getUint16(offset + 14), offset + 16, end, info, options, 0);
      break;
    case LINKTYPE.LINUX_SLL2:
      if (offset + 20 > end) info.truncated = true;
      else decodeEtherType(view, view.getUint16(offset), offset + 20, end, info, options, 0);
      break;
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP:
      // A 4-byte address family (host order for NULL, network order for LOOP); the IP version
      // nibble tells the family just as well and spares guessing the writer's byte order.
      if (offset + 4 > end) info.truncated = true;
      else decodeIp(view, offset + 4, end, info, options, 0);
      break;
    default:
      return false;
  }
  return info.ipVersion !== 0;
}

/** Decodes an Ethernet II frame (with VLAN tags, MPLS, PPPoE) into `info`. */
export function decodeEthernet(view: DataView, offset: number, end: number, info: PacketInfo, options: PacketDecodeOptions, depth: number): void {
  if (offset + 14 > end) {
    info.truncated = true;
    return;
  }
  // Over MPLS (EVPN / pseudowires) the outer MACs are the ones kept: they name the provider's
  // link the packet was observed on, as akvorado reports them. VXLAN resets them (resetInner).
  if (info.dstMac < 0) {
    info.dstMac = view.getUint16(offset) * 4294967296 + view.getUint32(offset + 2);
    info.srcMac = view.getUint16(offset + 6) * 4294967296 + view.getUint32(offset + 8);
  }
  decodeEtherType(view, view.getUint16(offset + 12), offset + 14, end, info, options, depth);
}

function decodeEtherType(view: DataView, etherType: number, offset: number, end: number, info: PacketInfo, options: PacketDecodeOptions, depth: number): void {
  let tags = 0;
  while (etherType === ETH_VLAN || etherType === ETH_QINQ || etherType === ETH_QINQ_OLD) {
    if (offset + 4 > end || tags++ >= MAX_TAGS) {
      info.truncated = true;
      return;
    }
    const vlan = view.getUint16(offset) & 0x0fff;
    if (info.vlanCount === 0) info.outerVlan = vlan;
    info.vlan = vlan;
    info.vlanCount++;
    etherType = view.getUint16(offset + 2);
    offset += 4;
  }
  if (etherType === ETH_PPPOE) {
    // PPPoE session header (6 bytes) then the PPP protocol field.
    if (offset + 8 > end) {
      info.truncated = true;
      return;
    }
    const ppp = view.getUint16(offset + 6);
    offset += 8;
    if (ppp === 0x0021) etherType = ETH_IPV4;
    else if (ppp === 0x0057) etherType = ETH_IPV6;
    else return;
  }
  info.etherType = etherType;
  if (etherType === ETH_IPV4 || etherType === ETH_IPV6) {
    decodeIp(view, offset, end, info, options, depth);
  } else if (etherType === ETH_MPLS || etherType === ETH_MPLS_MC) {
    decodeMpls(view, offset, end, info, options, depth);
  }
}

function decodeMpls(view: DataView, offset: number, end: number, info: PacketInfo, options: PacketDecodeOptions, depth: number): void {
  const labels: number[] = info.mplsLabels ?? [];
  info.mplsLabels = labels;
  for (let i = 0; ; i++) {
    if (offset + 4 > end || i >= MAX_LABELS) {
      info.truncated = true;
      return;
    }
    const entry = view.getUint32(offset);
    labels.push(entry >>> 12);
    offset += 4;
    if ((entry & 0x100) !== 0) break; // bottom of stack
  }
  if (offset >= end) {
    info.truncated = true;
    return;
  }
  const nibble = view.getUint8(offset) >> 4;
  if (nibble === 4 || nibble === 6) {
    decodeIp(view, offset, end, info, options, depth);
  } else if (nibble === 0 && depth < MAX_DEPTH) {
    // Pseudowire control word (RFC 4385) then an Ethernet frame: Ethernet over MPLS / EVPN.
    decodeEthernet(view, offset + 4, end, info, options, depth + 1);
  }
}

/** Decodes an IPv4 or IPv6 packet (told by its version nibble) into `info`. */
export function decodeIp(view: DataView, offset: number, end: number, info: PacketInfo, options: PacketDecodeOptions, depth: number): void {
  if (offset >= end) {
    info.truncated = true;
    return;
  }
  const version = view.getUint8(offset) >> 4;
  if (version === 4) decodeIpv4(view, offset, end, info, options, depth);
  else if (version === 6) decodeIpv6(view, offset, end, info, options, depth);
}

function decodeIpv4(view: DataView, offset: number, end: number, info: PacketInfo, options: PacketDecodeOptions, depth: number): void {
  if (offset + 20 > end) {
    info.truncated = true;
    return;
  }
  const ihl = (view.getUint8(offset) & 0x0f) * 4;
  if (ihl < 20) return;
  info.ipVersion = 4;
  info.ipOffset = offset;
  info.tos = view.getUint8(offset + 1);
  info.ipLength = view.getUint16(offset + 2);
  info.fragmentId = view.getUint16(offset + 4);
  const flagsOffset = view.getUint16(offset + 6);
  info.moreFragments = (flagsOffset & 0x2000) !== 0;
  info.fragmentOffset = (flagsOffset & 0x1fff) * 8;
  info.ttl = view.getUint8(offset + 8);
  info.proto = view.getUint8(offset + 9);
  info.src = view.getUint32(offset + 12);
  info.dst = view.getUint32(offset + 16);
  // The declared length bounds the payload (Ethernet pads short frames); the capture may cut it.
  const ipEnd = info.ipLength >= ihl ? Math.min(end, offset + info.ipLength) : end;
  if (offset + ihl > ipEnd) {
    info.truncated = true;
    return;
  }
  info.ipPayloadOffset = offset + ihl;
  info.ipPayloadEnd = ipEnd;
  if (info.fragmentOffset === 0) decodeL4(view, offset + ihl, ipEnd, info, options, depth);
}

function decodeIpv6(view: DataView, offset: number, end: number, info: PacketInfo, options: PacketDecodeOptions, depth: number): void {
  if (offset + 40 > end) {
    info.truncated = true;
    return;
  }
  const first = view.getUint32(offset);
  info.ipVersion = 6;
  info.ipOffset = offset;
  info.tos = (first >>> 20) & 0xff;
  info.flowLabel = first & 0xfffff;
  const payloadLength = view.getUint16(offset + 4);
  info.ipLength = payloadLength + 40;
  let next = view.getUint8(offset + 6);
  info.ttl = view.getUint8(offset + 7);
  info.src = readIpv6(view, offset + 8);
  info.dst = readIpv6(view, offset + 24);
  // A zero payload length is a jumbogram (RFC 2675): then only the capture bounds the packet.
  const ipEnd = payloadLength > 0 ? Math.min(end, offset + 40 + payloadLength) : end;
  let p = offset + 40;
  for (let i = 0; i < MAX_EXT_HEADERS; i++) {
    if (next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140) {
      // Hop-by-hop, routing, destination options, mobility, HIP, shim6: length in 8-octet units.
      if (p + 2 > ipEnd) {
        info.truncated = true;
        info.proto = next;
        return;
      }
      const len = (view.getUint8(p + 1) + 1) * 8;
      next = view.getUint8(p);
      p += len;
    } else if (next === 44) {
      if (p + 8 > ipEnd) {
        info.truncated = true;
        info.proto = next;
        return;
      }
      const fragment = view.getUint16(p + 2);
      info.fragmentOffset = fragment & 0xfff8;
      info.moreFragments = (fragment & 1) !== 0;
      info.fragmentId = view.getUint32(p + 4);
      next = view.getUint8(p);
      p += 8;
    } else if (next === 51) {
      // Authentication header: length in 4-octet units, minus 2.
      if (p + 2 > ipEnd) {
        info.truncated = true;
        info.proto = next;
        return;
      }
      const len = (view.getUint8(p + 1) + 2) * 4;
      next = view.getUint8(p);
      p += len;
    } else {
      break;
    }
  }
  info.proto = next;
  if (p > ipEnd) {
    info.truncated = true;
    return;
  }
  info.ipPayloadOffset = p;
  info.ipPayloadEnd = ipEnd;
  if (info.fragmentOffset === 0) decodeL4(view, p, ipEnd, info, options, depth);
}

/**
 * Reads the source and destination ports that open TCP, UDP and SCTP headers. False (and the
 * packet marked truncated) when fewer than `headerBytes` remain; the ports are kept even then
 * when they fit, since a flow needs them more than the rest of the header.
 */
function readPorts(view: DataView, offset: number, end: number, headerBytes: number, info: PacketInfo): boolean {
  if (offset + 4 <= end) {
    info.sport = view.getUint16(offset);
    info.dport = view.getUint16(offset + 2);
  }
  if (offset + headerBytes > end) {
    info.truncated = true;
    return false;
  }
  return true;
}

function decodeL4(view: DataView, offset: number, end: number, info: PacketInfo, options: PacketDecodeOptions, depth: number): void {
  info.l4Offset = offset;
  switch (info.proto) {
    case 6: // TCP
      if (!readPorts(view, offset, end, 14, info)) return;
      info.tcpFlags = view.getUint8(offset + 13);
      info.payloadOffset = Math.min(end, offset + (view.getUint8(offset + 12) >> 4) * 4);
      info.payloadEnd = end;
      return;
    case 17: // UDP
    case 136: // UDP-Lite
      if (!readPorts(view, offset, end, 8, info)) return;
      info.payloadOffset = offset + 8;
      {
        // The UDP length bounds the payload too (when sane), for trailers after the datagram.
        const udpLength = view.getUint16(offset + 4);
        info.payloadEnd = udpLength >= 8 && info.proto === 17 ? Math.min(end, offset + udpLength) : end;
      }
      if (options.decapsulateVxlan && info.dport === VXLAN_PORT && depth < MAX_DEPTH) decodeVxlan(view, info.payloadOffset, info.payloadEnd, info, options, depth);
      return;
    case 132: // SCTP
      if (!readPorts(view, offset, end, 4, info)) return;
      info.payloadOffset = Math.min(end, offset + 12);
      info.payloadEnd = end;
      return;
    case 1: // ICMP
    case 58: // ICMPv6
      if (offset + 2 > end) {
        info.truncated = true;
        return;
      }
      info.icmpType = view.getUint8(offset);
      info.icmpCode = view.getUint8(offset + 1);
      info.payloadOffset = Math.min(end, offset + 8);
      info.payloadEnd = end;
      return;
    case 4: // IPv4 in IP
    case 41: // IPv6 in IP (also what SRv6 carries after its routing header)
      info.payloadOffset = offset;
      info.payloadEnd = end;
      if (options.decapsulateIpInIp && depth < MAX_DEPTH) {
        const outerSrc = info.src;
        const outerDst = info.dst;
        info.resetInner();
        info.outerSrc = outerSrc;
        info.outerDst = outerDst;
        decodeIp(view, offset, end, info, options, depth + 1);
      }
      return;
    default:
      info.payloadOffset = offset;
      info.payloadEnd = end;
  }
}

function decodeVxlan(view: DataView, offset: number, end: number, info: PacketInfo, options: PacketDecodeOptions, depth: number): void {
  // VXLAN header: flags (I bit 0x08 = VNI valid), 3 reserved, 24-bit VNI, 1 reserved.
  if (offset + 8 + 14 > end || (view.getUint8(offset) & 0x08) === 0) return;
  const vni = view.getUint32(offset + 4) >>> 8;
  const outerSrc = info.src;
  const outerDst = info.dst;
  info.resetInner();
  info.vni = vni;
  info.outerSrc = outerSrc;
  info.outerDst = outerDst;
  decodeEthernet(view, offset + 8, end, info, options, depth + 1);
}
