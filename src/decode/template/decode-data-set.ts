// The hot path of NetFlow v9 and IPFIX: decodes the records of one data set with a compiled
// template into DecodedFlows (times converted, sampling applied, biflows split).

import { formatIp } from '../../core/ip.js';
import type { DecodeResult } from '../decode-result.js';
import { newDecodedFlow, type DecodedFlow } from '../decoded-flow.js';
import type { DecoderState, ExportContext, TemplateDomain } from '../decoder-state.js';
import { decodeFrame } from '../packet/decode-packet.js';
import { PacketInfo } from '../packet/packet-info.js';
import type { CompiledTemplate } from './compile-template.js';
import { RecordScratch } from './record-scratch.js';

const packet = new PacketInfo();
const scratch = new RecordScratch();

/**
 * Decodes the records of a data set (bytes `start`..`end` of `view`) into `result.records`.
 * Returns the number of flows emitted. A record cut short by its set is counted as
 * DECODE_RECORD_TRUNCATED and ends the set; padding shorter than a record is ignored.
 */
export function decodeDataSet(
  state: DecoderState,
  ctx: ExportContext,
  domain: TemplateDomain,
  tpl: CompiledTemplate,
  view: DataView,
  bytes: Uint8Array,
  start: number,
  end: number,
  result: DecodeResult,
): number {
  const records = result.records;
  const samplers = domain.samplers;
  const domainRate = samplers.get(0) ?? 0;
  const stateInit = domain.systemInit;
  const readRecord = tpl.readRecord;
  const s = scratch;
  let emitted = 0;
  let p = start;
  while (p + tpl.minLength <= end) {
    const flow = newDecodedFlow(ctx.version, ctx.exporter, ctx.domain, tpl.id, state.freeRecords);
    s.reset(stateInit, tpl.extraCount);
    const next = readRecord(view, bytes, p, end, flow, s);
    if (next < 0) {
      result.errors.push({ code: 'DECODE_RECORD_TRUNCATED', offset: p, templateId: tpl.id });
      break;
    }
    p = next;
    const rate = finishRecord(state, ctx, tpl, view, flow, s, samplers, domainRate);
    records.push(flow);
    emitted++;
    if (tpl.hasReverse) {
      const reverse = reverseOf(flow, s.revBytes, s.revPackets, s.revFlags, rate);
      if (reverse) {
        records.push(reverse);
        emitted++;
      }
    }
  }
  return emitted;
}

/**
 * Turns what a record said into the flow's final fields: addresses and ports chosen, counters
 * picked and scaled by the sampling rate, times converted, ICMP folded in. Returns the rate.
 */
function finishRecord(
  state: DecoderState,
  ctx: ExportContext,
  tpl: CompiledTemplate,
  view: DataView,
  flow: DecodedFlow,
  s: RecordScratch,
  samplers: Map<number, number>,
  domainRate: number,
): number {
  if (s.extra !== null) flow.extra = tpl.makeExtra(s.extra);
  // Addresses: a record may carry both families; the non-zero one wins.
  const src4 = s.src4;
  const dst4 = s.dst4;
  flow.src = s.src6 !== null && src4 <= 0 ? s.src6 : src4 >= 0 ? src4 : 0;
  flow.dst = s.dst6 !== null && dst4 <= 0 ? s.dst6 : dst4 >= 0 ? dst4 : 0;
  flow.sport = s.sport >= 0 ? s.sport : s.sportAlt >= 0 ? s.sportAlt : 0;
  flow.dport = s.dport >= 0 ? s.dport : s.dportAlt >= 0 ? s.dportAlt : 0;
  flow.proto = s.proto >= 0 ? s.proto : 0;
  flow.tcp_flags = s.tcpFlags >= 0 ? s.tcpFlags : 0;
  if (flow.in_if === null ? s.inPhys >= 0 : flow.in_if === 0 && s.inPhys > 0) flow.in_if = s.inPhys;
  if (flow.out_if === null ? s.outPhys >= 0 : flow.out_if === 0 && s.outPhys > 0) flow.out_if = s.outPhys;
  if (flow.src_mac === null && s.postSrcMac >= 0) flow.src_mac = s.postSrcMac;
  if (flow.dst_mac === null && s.postDstMac >= 0) flow.dst_mac = s.postDstMac;
  if (s.bgpNh !== null) {
    flow.bgp_next_hop = s.bgpNh;
    if (flow.next_hop === null) flow.next_hop = s.bgpNh;
  }
  if (s.mpls !== null) flow.mpls_labels = s.mpls;
  if (s.samplerId >= 0) flow.sampler_id = s.samplerId;

  let octets = s.bytes >= 0 ? s.bytes : s.octetTotal >= 0 ? s.octetTotal : s.initOctets >= 0 ? s.initOctets : -1;
  let pkts = s.packets >= 0 ? s.packets : s.packetTotal >= 0 ? s.packetTotal : s.initPackets >= 0 ? s.initPackets : -1;
  if (s.frameOffset >= 0) {
    const l3 = applyFrame(state, flow, view, s);
    if (octets < 0 && l3 > 0) {
      octets = l3;
      if (pkts < 0) pkts = 1;
    }
  }

  // Sampling: the record's own rate, else its sampler's, else the domain's, else none. An
  // n-out-of-N pair says more than a packet interval, which Cisco sends as 1 beside it.
  let rate = s.samplingInterval;
  if (rate <= 0 && s.samplingSize > 0 && s.samplingPop > 0) rate = Math.floor(s.samplingPop / s.samplingSize);
  if (rate <= 0 && s.pktInterval > 0) rate = Math.floor((s.pktInterval + s.pktSpace) / s.pktInterval);
  if (rate <= 0 && s.samplerId >= 0) rate = samplers.get(s.samplerId) ?? 0;
  if (rate <= 0) rate = domainRate;
  if (rate < 1) rate = 1;
  flow.sampling = rate;
  flow.bytes = (octets > 0 ? octets : 0) * rate;
  flow.packets = (pkts > 0 ? pkts : 0) * rate;

  setTimes(ctx, flow, s);

  // ICMP type and code, also folded into dport as type*256+code (the NetFlow/nfdump convention).
  const proto = flow.proto;
  if (proto === 1 || proto === 58) {
    let type = -1;
    let code = 0;
    if (s.icmpTc >= 0) {
      type = s.icmpTc >> 8;
      code = s.icmpTc & 255;
    } else if (s.icmpType >= 0 || s.icmpCode >= 0) {
      type = s.icmpType >= 0 ? s.icmpType : 0;
      code = s.icmpCode >= 0 ? s.icmpCode : 0;
    } else if (flow.icmp_type != null) {
      type = flow.icmp_type;
      code = flow.icmp_code ?? 0;
    } else if (flow.sport === 0) {
      // Exporters without an ICMP element put type*256+code in the destination port (as v5 does).
      type = flow.dport >> 8;
      code = flow.dport & 255;
    }
    if (type >= 0) {
      flow.icmp_type = type;
      flow.icmp_code = code;
      flow.dport = type * 256 + code;
    }
  }
  return rate;
}

/**
 * Start and end in epoch ms. Absolute elements win; v9 First/Last are ms of sysUptime, and their
 * signed 32-bit distance to the header's uptime survives the 49.7-day wrap; IPFIX sysUpTime
 * elements count from systemInitTimeMilliseconds (record or options data) and, without it, the
 * flow is taken to end at export time with its duration kept.
 */
function setTimes(ctx: ExportContext, flow: DecodedFlow, s: RecordScratch): void {
  const exportMs = ctx.exportMs;
  const isV9 = ctx.version === 9;
  const sysInit = s.sysInit;
  let startMs = s.startMs;
  let endMs = s.endMs;
  if (startMs !== startMs) {
    if (s.firstUp >= 0) startMs = isV9 ? exportMs - ((ctx.uptime - s.firstUp) | 0) : sysInit === sysInit ? sysInit + s.firstUp : NaN;
    else if (s.startDeltaUs >= 0) startMs = exportMs - Math.floor(s.startDeltaUs / 1000);
  }
  if (endMs !== endMs) {
    if (s.lastUp >= 0) endMs = isV9 ? exportMs - ((ctx.uptime - s.lastUp) | 0) : sysInit === sysInit ? sysInit + s.lastUp : NaN;
    else if (s.endDeltaUs >= 0) endMs = exportMs - Math.floor(s.endDeltaUs / 1000);
  }
  if (!isV9 && sysInit !== sysInit && (s.firstUp >= 0 || s.lastUp >= 0) && startMs !== startMs && endMs !== endMs) {
    endMs = exportMs;
    startMs = s.firstUp >= 0 && s.lastUp >= s.firstUp ? exportMs - (s.lastUp - s.firstUp) : exportMs;
  }
  const durationMs = s.durationMs;
  if (startMs !== startMs && endMs !== endMs) {
    // No time at all: the flow ended by the time it was exported.
    endMs = exportMs;
    startMs = durationMs >= 0 ? exportMs - durationMs : exportMs;
  } else if (startMs !== startMs) {
    startMs = durationMs >= 0 ? endMs - durationMs : endMs;
  } else if (endMs !== endMs) {
    endMs = durationMs >= 0 ? startMs + durationMs : startMs;
  }
  flow.start = startMs;
  flow.end = endMs;
}

/**
 * Fills a record from a packet section (IE 315 frame or IE 313 IP header): only what the
 * record's own elements did not say. Returns the packet's L3 length for the byte count.
 */
function applyFrame(state: DecoderState, flow: DecodedFlow, view: DataView, s: RecordScratch): number {
  const hasAddresses = s.src4 >= 0 || s.src6 !== null;
  decodeFrame(view, s.frameOffset, s.frameOffset + s.frameLength, s.frameLink, packet, state.options);
  if (packet.srcMac >= 0 && flow.src_mac === null) flow.src_mac = packet.srcMac;
  if (packet.dstMac >= 0 && flow.dst_mac === null) flow.dst_mac = packet.dstMac;
  // A tagged frame was seen on that VLAN; with no VLAN elements it stands for both ends (as akvorado reports it).
  if (packet.vlan >= 0) {
    if (!flow.src_vlan) flow.src_vlan = packet.vlan;
    if (!flow.dst_vlan) flow.dst_vlan = packet.vlan;
  }
  if (packet.mplsLabels !== null && flow.mpls_labels === null) flow.mpls_labels = packet.mplsLabels;
  if (packet.ipVersion === 0) return 0;
  if (!hasAddresses) {
    flow.src = packet.src!;
    flow.dst = packet.dst!;
  }
  if (s.proto < 0) flow.proto = packet.proto;
  if (flow.tos === null) flow.tos = packet.tos;
  if (s.sport < 0 && s.dport < 0) {
    if (packet.sport >= 0) flow.sport = packet.sport;
    if (packet.dport >= 0) flow.dport = packet.dport;
  }
  if (s.tcpFlags < 0 && packet.tcpFlags >= 0) flow.tcp_flags = packet.tcpFlags;
  if (packet.icmpType >= 0 && flow.icmp_type === null) {
    flow.icmp_type = packet.icmpType;
    flow.icmp_code = packet.icmpCode;
  }
  if (packet.vni >= 0) {
    const extra = (flow.extra ??= {});
    extra.vxlanVni = packet.vni;
    if (packet.outerSrc !== null) extra.outerSource = formatIp(packet.outerSrc);
    if (packet.outerDst !== null) extra.outerDestination = formatIp(packet.outerDst);
  }
  return packet.ipLength;
}

/**
 * The reverse direction of an RFC 5103 biflow record: endpoints swapped, reverse counters. None
 * when the reverse direction carried no packet.
 */
function reverseOf(flow: DecodedFlow, revBytes: number, revPackets: number, revFlags: number, rate: number): DecodedFlow | undefined {
  if (revPackets <= 0) return undefined;
  const r = newDecodedFlow(flow.version, flow.exporter ?? 0, flow.observation_domain, flow.template_id);
  Object.assign(r, flow);
  r.src = flow.dst;
  r.dst = flow.src;
  r.sport = flow.dport;
  r.dport = flow.sport;
  r.in_if = flow.out_if;
  r.out_if = flow.in_if;
  r.src_mac = flow.dst_mac;
  r.dst_mac = flow.src_mac;
  r.src_as = flow.dst_as;
  r.dst_as = flow.src_as;
  r.src_mask = flow.dst_mask;
  r.dst_mask = flow.src_mask;
  r.src_vlan = flow.dst_vlan;
  r.dst_vlan = flow.src_vlan;
  r.src_nat = flow.dst_nat;
  r.dst_nat = flow.src_nat;
  r.src_nat_port = flow.dst_nat_port;
  r.dst_nat_port = flow.src_nat_port;
  if (flow.mpls_labels != null) r.mpls_labels = [...flow.mpls_labels];
  r.packets = revPackets * rate;
  r.bytes = (revBytes > 0 ? revBytes : 0) * rate;
  r.tcp_flags = revFlags >= 0 ? revFlags : flow.tcp_flags;
  if (r.icmp_type !== null) r.dport = flow.dport;
  // Marks the record as the reversed half of a biflow record (RFC 5103 biflowDirection-like).
  r.extra = { ...flow.extra, biflowReverse: 1 };
  return r;
}

