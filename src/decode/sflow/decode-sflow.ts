// sFlow version 5 (sflow.org/sflow_version_5.txt): flow samples and expanded flow samples become
// one flow each (raw packet headers decoded, sampling rate applied); counter samples are counted.

import { formatIp, type Ip } from '../../core/ip.js';
import type { DecodeResult } from '../decode-result.js';
import { newDecodedFlow, type DecodedFlow } from '../decoded-flow.js';
import type { DecoderState } from '../decoder-state.js';
import { decodeFrame, LINKTYPE } from '../packet/decode-packet.js';
import { PacketInfo } from '../packet/packet-info.js';
import { readIpv6, readMac } from '../read-bytes.js';

/** ifIndex value sFlow uses for traffic that starts or ends in the agent itself. */
const INTERFACE_LOCAL = 0x3fffffff;
const packet = new PacketInfo();

/** What one sample's records said, gathered before the flow is built. */
interface SampleFacts {
  l3Length: number;
  frameLength: number;
}

/**
 * Decodes an sFlow v5 datagram. The exporter of the records is the agent address from the
 * datagram (what the switch calls itself), not the UDP source. Packets = sampling rate, bytes =
 * L3 length of the sampled packet x sampling rate; start = end = receive time (sFlow carries only
 * the agent's uptime).
 */
export function decodeSflow(bytes: Uint8Array, view: DataView, receivedAt: number, state: DecoderState, result: DecodeResult): void {
  result.version = 'sflow5';
  const length = bytes.length;
  if (length < 28) {
    result.errors.push({ code: 'DECODE_TRUNCATED', offset: 0 });
    return;
  }
  const addressType = view.getUint32(4);
  let agent: Ip;
  let p: number;
  if (addressType === 1) {
    agent = view.getUint32(8);
    p = 12;
  } else if (addressType === 2) {
    if (length < 40) {
      result.errors.push({ code: 'DECODE_TRUNCATED', offset: 0 });
      return;
    }
    agent = readIpv6(view, 8);
    p = 24;
  } else {
    result.errors.push({ code: 'DECODE_SFLOW_BAD_ADDRESS', offset: 4 });
    return;
  }
  if (p + 16 > length) {
    result.errors.push({ code: 'DECODE_TRUNCATED', offset: p });
    return;
  }
  const subAgent = view.getUint32(p);
  const samples = view.getUint32(p + 12);
  p += 16;
  for (let s = 0; s < samples; s++) {
    if (p + 8 > length) {
      result.errors.push({ code: 'DECODE_TRUNCATED', offset: p });
      return;
    }
    const tag = view.getUint32(p);
    const sampleLength = view.getUint32(p + 4);
    const body = p + 8;
    if (sampleLength > length - body) {
      result.errors.push({ code: 'DECODE_BAD_LENGTH', offset: p + 4 });
      return;
    }
    const end = body + sampleLength;
    if (tag >>> 12 === 0) {
      switch (tag & 0xfff) {
        case 1:
          decodeFlowSample(view, body, end, false, agent, subAgent, receivedAt, state, result);
          break;
        case 3:
          decodeFlowSample(view, body, end, true, agent, subAgent, receivedAt, state, result);
          break;
        case 2:
        case 4:
          result.counterSamples++;
          break;
        default:
          result.errors.push({ code: 'DECODE_SFLOW_UNKNOWN_SAMPLE', offset: p });
      }
    }
    // Vendor (non-zero enterprise) samples are legal and skipped quietly.
    p = end;
  }
}

function decodeFlowSample(
  view: DataView,
  start: number,
  end: number,
  expanded: boolean,
  agent: Ip,
  subAgent: number,
  receivedAt: number,
  state: DecoderState,
  result: DecodeResult,
): void {
  const headerLength = expanded ? 44 : 32;
  if (start + headerLength > end) {
    result.errors.push({ code: 'DECODE_TRUNCATED', offset: start });
    return;
  }
  const flow = newDecodedFlow('sflow5', agent, subAgent, null, state.freeRecords);
  let rate: number;
  let inFormat: number;
  let inValue: number;
  let outFormat: number;
  let outValue: number;
  let records: number;
  let sourceId: string;
  if (expanded) {
    sourceId = `${view.getUint32(start + 4)}:${view.getUint32(start + 8)}`;
    rate = view.getUint32(start + 12);
    inFormat = view.getUint32(start + 24);
    inValue = view.getUint32(start + 28);
    outFormat = view.getUint32(start + 32);
    outValue = view.getUint32(start + 36);
    records = view.getUint32(start + 40);
  } else {
    const id = view.getUint32(start + 4);
    sourceId = `${id >>> 24}:${id & 0xffffff}`;
    rate = view.getUint32(start + 8);
    const input = view.getUint32(start + 20);
    const output = view.getUint32(start + 24);
    inFormat = input >>> 30;
    inValue = input & 0x3fffffff;
    outFormat = output >>> 30;
    outValue = output & 0x3fffffff;
    records = view.getUint32(start + 28);
  }
  // Interface formats: 0 = ifIndex, 1 = dropped (value = reason), 2 = several output interfaces.
  flow.in_if = inFormat === 0 && inValue !== INTERFACE_LOCAL ? inValue : 0;
  flow.out_if = outFormat === 0 && outValue !== INTERFACE_LOCAL ? outValue : 0;
  const extra: Record<string, number | string | number[]> = { sourceId };
  if (outFormat === 1) extra.discardReason = outValue;
  else if (outFormat === 2) extra.outputInterfaces = outValue;
  flow.extra = extra;

  const facts: SampleFacts = { l3Length: 0, frameLength: 0 };
  let q = start + headerLength;
  for (let r = 0; r < records; r++) {
    if (q + 8 > end) {
      result.errors.push({ code: 'DECODE_TRUNCATED', offset: q });
      return;
    }
    const tag = view.getUint32(q);
    const recordLength = view.getUint32(q + 4);
    const body = q + 8;
    if (recordLength > end - body) {
      result.errors.push({ code: 'DECODE_BAD_LENGTH', offset: q + 4 });
      return;
    }
    const recordEnd = body + recordLength;
    if (tag >>> 12 === 0) decodeFlowRecord(view, tag & 0xfff, body, recordEnd, flow, extra, facts, state);
    q = recordEnd;
  }

  const sampling = rate > 0 ? rate : 1;
  flow.sampling = sampling;
  flow.packets = sampling;
  const l3 = facts.l3Length > 0 ? facts.l3Length : facts.frameLength;
  flow.bytes = l3 * sampling;
  flow.start = receivedAt;
  flow.end = receivedAt;
  if ((flow.proto === 1 || flow.proto === 58) && flow.icmp_type != null) flow.dport = flow.icmp_type * 256 + (flow.icmp_code ?? 0);
  result.records.push(flow);
}

function decodeFlowRecord(
  view: DataView,
  format: number,
  start: number,
  end: number,
  flow: DecodedFlow,
  extra: Record<string, number | string | number[]>,
  facts: SampleFacts,
  state: DecoderState,
): void {
  const length = end - start;
  switch (format) {
    case 1: {
      // Raw packet header: protocol, frame length, stripped, header length, header bytes.
      if (length < 16) return;
      const protocol = view.getUint32(start);
      const frameLength = view.getUint32(start + 4);
      const stripped = view.getUint32(start + 8);
      const headerLength = view.getUint32(start + 12);
      if (headerLength > length - 16) return;
      facts.frameLength = frameLength > stripped ? frameLength - stripped : frameLength;
      const linkType = protocol === 1 ? LINKTYPE.ETHERNET : protocol === 11 || protocol === 12 ? LINKTYPE.RAW : -1;
      if (linkType < 0) return;
      decodeFrame(view, start + 16, start + 16 + headerLength, linkType, packet, state.options);
      applyPacket(flow, extra, facts);
      return;
    }
    case 2: {
      // Ethernet frame data: length, source and destination MAC (each padded to 8), type.
      if (length < 24) return;
      if (facts.l3Length === 0) facts.l3Length = Math.max(0, view.getUint32(start) - 16);
      flow.src_mac = readMac(view, start + 4);
      flow.dst_mac = readMac(view, start + 12);
      return;
    }
    case 3: {
      // Sampled IPv4: length, protocol, src, dst, ports, TCP flags, ToS.
      if (length < 32) return;
      facts.l3Length = view.getUint32(start);
      flow.proto = view.getUint32(start + 4) & 255;
      flow.src = view.getUint32(start + 8);
      flow.dst = view.getUint32(start + 12);
      flow.sport = view.getUint32(start + 16) & 0xffff;
      flow.dport = view.getUint32(start + 20) & 0xffff;
      flow.tcp_flags = view.getUint32(start + 24) & 255;
      flow.tos = view.getUint32(start + 28) & 255;
      return;
    }
    case 4: {
      // Sampled IPv6: length, protocol, src, dst, ports, TCP flags, priority.
      if (length < 56) return;
      facts.l3Length = view.getUint32(start);
      flow.proto = view.getUint32(start + 4) & 255;
      flow.src = readIpv6(view, start + 8);
      flow.dst = readIpv6(view, start + 24);
      flow.sport = view.getUint32(start + 40) & 0xffff;
      flow.dport = view.getUint32(start + 44) & 0xffff;
      flow.tcp_flags = view.getUint32(start + 48) & 255;
      flow.tos = view.getUint32(start + 52) & 255;
      return;
    }
    case 1001: {
      // Extended switch: VLANs (values above 4095 mean "unknown").
      if (length < 16) return;
      const srcVlan = view.getUint32(start);
      const dstVlan = view.getUint32(start + 8);
      if (srcVlan < 4096) flow.src_vlan = srcVlan;
      if (dstVlan < 4096) flow.dst_vlan = dstVlan;
      return;
    }
    case 1002: {
      // Extended router: next hop, source and destination prefix lengths.
      const at = readAddress(view, start, end);
      if (at.next < 0 || at.next + 8 > end) return;
      flow.next_hop = at.ip;
      flow.src_mask = view.getUint32(at.next);
      flow.dst_mask = view.getUint32(at.next + 4);
      return;
    }
    case 1003: {
      decodeGateway(view, start, end, flow, extra);
      return;
    }
    default:
    // Extended user, URL, MPLS, NAT, tunnel... records: not read, no error (they are optional).
  }
}

/** Copies what the packet decoder found in a sampled header onto the flow. */
function applyPacket(flow: DecodedFlow, extra: Record<string, number | string | number[]>, facts: SampleFacts): void {
  if (packet.srcMac >= 0) flow.src_mac = packet.srcMac;
  if (packet.dstMac >= 0) flow.dst_mac = packet.dstMac;
  // The frame's tag is the VLAN on both sides unless an extended switch record says otherwise.
  if (packet.vlan >= 0) {
    if (flow.src_vlan === null) flow.src_vlan = packet.vlan;
    if (flow.dst_vlan === null) flow.dst_vlan = packet.vlan;
  }
  if (packet.mplsLabels !== null) flow.mpls_labels = packet.mplsLabels;
  if (packet.vni >= 0) {
    extra.vxlanVni = packet.vni;
    if (packet.outerSrc !== null) extra.outerSource = formatIp(packet.outerSrc);
    if (packet.outerDst !== null) extra.outerDestination = formatIp(packet.outerDst);
  }
  if (packet.ipVersion === 0) return;
  facts.l3Length = packet.ipLength;
  flow.src = packet.src!;
  flow.dst = packet.dst!;
  flow.proto = packet.proto;
  flow.tos = packet.tos;
  if (packet.sport >= 0) flow.sport = packet.sport;
  if (packet.dport >= 0) flow.dport = packet.dport;
  if (packet.tcpFlags >= 0) flow.tcp_flags = packet.tcpFlags;
  if (packet.icmpType >= 0) {
    flow.icmp_type = packet.icmpType;
    flow.icmp_code = packet.icmpCode;
  }
}

/** Reads an sFlow address (type, then 4 or 16 bytes); `next` is -1 when it does not fit. */
function readAddress(view: DataView, at: number, end: number): { ip: Ip; next: number } {
  if (at + 4 > end) return { ip: 0, next: -1 };
  const type = view.getUint32(at);
  if (type === 1 && at + 8 <= end) return { ip: view.getUint32(at + 4), next: at + 8 };
  if (type === 2 && at + 20 <= end) return { ip: readIpv6(view, at + 4), next: at + 20 };
  return { ip: 0, next: -1 };
}

/** Extended gateway: BGP next hop, own/source/peer AS, destination AS path and communities. */
function decodeGateway(view: DataView, start: number, end: number, flow: DecodedFlow, extra: Record<string, number | string | number[]>): void {
  const at = readAddress(view, start, end);
  if (at.next < 0 || at.next + 16 > end) return;
  let q = at.next;
  // The extended router record's next hop is the forwarding one; the gateway's is the BGP one.
  if (flow.next_hop === null) flow.next_hop = at.ip;
  flow.bgp_next_hop = at.ip;
  const routerAs = view.getUint32(q);
  const srcAs = view.getUint32(q + 4);
  const segments = view.getUint32(q + 12);
  q += 16;
  // The router's own AS stands in for both ends until the source AS and path say otherwise.
  flow.src_as = srcAs > 0 ? srcAs : routerAs;
  flow.dst_as = routerAs;
  const path: number[] = [];
  for (let s = 0; s < segments; s++) {
    if (q + 8 > end) return;
    const count = view.getUint32(q + 4);
    q += 8;
    if (count > (end - q) / 4) return;
    for (let i = 0; i < count; i++) path.push(view.getUint32(q + i * 4));
    q += count * 4;
  }
  if (path.length > 0) {
    flow.dst_as = path[path.length - 1]!;
    extra.asPath = path;
  }
  if (q + 4 > end) return;
  const communities = view.getUint32(q);
  q += 4;
  if (communities > 0 && communities <= (end - q) / 4) {
    const list: number[] = [];
    for (let i = 0; i < communities; i++) list.push(view.getUint32(q + i * 4));
    extra.communities = list;
  }
}
