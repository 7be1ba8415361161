// Per-template record readers: straight-line code generated from a compiled template (constant
// offsets, lengths known in advance), with a table-driven interpreter as the fallback.

import type { DecodedFlow } from '../decoded-flow.js';
import { readIpv6, readMac, readUint } from '../read-bytes.js';
import { extraValue } from './extra-value.js';
import { Op, type ValueKind } from './information-elements.js';
import type { RecordScratch } from './record-scratch.js';

/**
 * Reads one data record starting at `p` (set ends at `end`) into `flow` and `s`; returns the
 * offset after the record, or -1 when a field runs past `end`.
 */
export type RecordReader = (view: DataView, bytes: Uint8Array, p: number, end: number, flow: DecodedFlow, s: RecordScratch) => number;

/** What a reader needs from a compiled template. */
export interface ReaderPlan {
  readonly ops: Uint8Array;
  readonly lengths: Uint16Array;
  readonly kinds: readonly ValueKind[];
  readonly extraSlots: Int16Array;
}

const VARIABLE = 65535;
/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2208988800;

/** An NTP timestamp (seconds since 1900, 32-bit fraction) as epoch milliseconds. */
export function ntpToMs(view: DataView, offset: number): number {
  return (view.getUint32(offset) - NTP_UNIX_OFFSET) * 1000 + Math.floor((view.getUint32(offset + 4) * 1000) / 4294967296);
}

/** True when the 16 bytes at `offset` are zero: the unset family of a mixed v4/v6 template. */
export function isZero16(view: DataView, offset: number): boolean {
  return (view.getUint32(offset) | view.getUint32(offset + 4) | view.getUint32(offset + 8) | view.getUint32(offset + 12)) === 0;
}

/** The MPLS label of a 3-octet label stack entry (20-bit label, then TC and bottom-of-stack bits). */
export function mplsLabel(view: DataView, offset: number, length: number): number {
  return length >= 3 ? (view.getUint16(offset) * 256 + view.getUint8(offset + 2)) >>> 4 : 0;
}

/**
 * The table-driven reader: one switch per field. Used when code generation is unavailable and as
 * the reference the generated readers must agree with (the tests run both).
 */
export function interpretRecord(plan: ReaderPlan, view: DataView, bytes: Uint8Array, p: number, end: number, flow: DecodedFlow, s: RecordScratch): number {
  const { ops, lengths } = plan;
  let q = p;
  for (let i = 0; i < ops.length; i++) {
    let len = lengths[i]!;
    if (len === VARIABLE) {
      if (q >= end) return -1;
      len = bytes[q]!;
      q++;
      if (len === 255) {
        if (q + 2 > end) return -1;
        len = view.getUint16(q);
        q += 2;
      }
    }
    if (q + len > end) return -1;
    if (len !== 0) applyField(plan, i, ops[i]!, view, bytes, q, len, flow, s);
    q += len;
  }
  return q;
}

// The case labels are number literals on purpose: V8 compiles a switch over dense small-integer
// literals to a jump table, while labels read from an object are compared one by one.
function applyField(plan: ReaderPlan, i: number, op: number, view: DataView, bytes: Uint8Array, q: number, len: number, flow: DecodedFlow, s: RecordScratch): void {
  switch (op) {
    case 1 /* EXTRA */:
    case 73 /* REV_EXTRA */:
      s.extra![plan.extraSlots[i]!] = extraValue(plan.kinds[i]!, view, bytes, q, len);
      return;
    case 2 /* BYTES */:
      s.bytes = readUint(view, q, len);
      return;
    case 3 /* PACKETS */:
      s.packets = readUint(view, q, len);
      return;
    case 4 /* OCTET_TOTAL */:
      s.octetTotal = readUint(view, q, len);
      return;
    case 5 /* PACKET_TOTAL */:
      s.packetTotal = readUint(view, q, len);
      return;
    case 6 /* INIT_OCTETS */:
      s.initOctets = readUint(view, q, len);
      return;
    case 7 /* INIT_PACKETS */:
      s.initPackets = readUint(view, q, len);
      return;
    case 8 /* PROTO */:
      s.proto = readUint(view, q, len) & 255;
      return;
    case 9 /* TOS */:
      flow.tos = readUint(view, q, len) & 255;
      return;
    case 10 /* TCP_FLAGS */:
      s.tcpFlags = readUint(view, q, len) & 255;
      return;
    case 11 /* SPORT */:
      s.sport = readUint(view, q, len) & 0xffff;
      return;
    case 12 /* DPORT */:
      s.dport = readUint(view, q, len) & 0xffff;
      return;
    case 13 /* SPORT_ALT */:
      s.sportAlt = readUint(view, q, len) & 0xffff;
      return;
    case 14 /* DPORT_ALT */:
      s.dportAlt = readUint(view, q, len) & 0xffff;
      return;
    case 15 /* SRC4 */:
      s.src4 = view.getUint32(q);
      return;
    case 16 /* DST4 */:
      s.dst4 = view.getUint32(q);
      return;
    case 17 /* SRC6 */:
      if (!isZero16(view, q)) s.src6 = readIpv6(view, q);
      return;
    case 18 /* DST6 */:
      if (!isZero16(view, q)) s.dst6 = readIpv6(view, q);
      return;
    case 19 /* SRC_MASK */:
      flow.src_mask = readUint(view, q, len);
      return;
    case 20 /* DST_MASK */:
      flow.dst_mask = readUint(view, q, len);
      return;
    case 21 /* IN_IF */:
      flow.in_if = readUint(view, q, len);
      return;
    case 22 /* OUT_IF */:
      flow.out_if = readUint(view, q, len);
      return;
    case 23 /* IN_PHYS */:
      s.inPhys = readUint(view, q, len);
      return;
    case 24 /* OUT_PHYS */:
      s.outPhys = readUint(view, q, len);
      return;
    case 25 /* NEXT_HOP4 */:
      flow.next_hop = view.getUint32(q);
      return;
    case 26 /* NEXT_HOP6 */:
      if (flow.next_hop === null || !isZero16(view, q)) flow.next_hop = readIpv6(view, q);
      return;
    case 27 /* BGP_NH4 */:
      s.bgpNh = view.getUint32(q);
      return;
    case 28 /* BGP_NH6 */:
      if (s.bgpNh === null || !isZero16(view, q)) s.bgpNh = readIpv6(view, q);
      return;
    case 29 /* SRC_AS */:
      flow.src_as = readUint(view, q, len);
      return;
    case 30 /* DST_AS */:
      flow.dst_as = readUint(view, q, len);
      return;
    case 31 /* FIRST_UPTIME */:
      s.firstUp = readUint(view, q, len);
      return;
    case 32 /* LAST_UPTIME */:
      s.lastUp = readUint(view, q, len);
      return;
    case 33 /* START_SEC */:
      s.startMs = readUint(view, q, len) * 1000;
      return;
    case 34 /* END_SEC */:
      s.endMs = readUint(view, q, len) * 1000;
      return;
    case 35 /* START_MS */:
      s.startMs = readUint(view, q, len);
      return;
    case 36 /* END_MS */:
      s.endMs = readUint(view, q, len);
      return;
    case 37 /* START_NTP */:
      s.startMs = ntpToMs(view, q);
      return;
    case 38 /* END_NTP */:
      s.endMs = ntpToMs(view, q);
      return;
    case 39 /* START_DELTA_US */:
      s.startDeltaUs = readUint(view, q, len);
      return;
    case 40 /* END_DELTA_US */:
      s.endDeltaUs = readUint(view, q, len);
      return;
    case 41 /* DURATION_MS */:
      s.durationMs = readUint(view, q, len);
      return;
    case 42 /* DURATION_US */:
      s.durationMs = Math.floor(readUint(view, q, len) / 1000);
      return;
    case 43 /* SYS_INIT */:
      s.sysInit = readUint(view, q, len);
      return;
    case 44 /* ICMP_TC */:
      s.icmpTc = readUint(view, q, len) & 0xffff;
      return;
    case 45 /* ICMP_TYPE */:
      s.icmpType = readUint(view, q, len) & 255;
      return;
    case 46 /* ICMP_CODE */:
      s.icmpCode = readUint(view, q, len) & 255;
      return;
    case 47 /* SAMPLING_INTERVAL */:
      s.samplingInterval = readUint(view, q, len);
      return;
    case 48 /* SAMPLER_ID */:
      s.samplerId = readUint(view, q, len);
      return;
    case 49 /* PKT_INTERVAL */:
      s.pktInterval = readUint(view, q, len);
      return;
    case 50 /* PKT_SPACE */:
      s.pktSpace = readUint(view, q, len);
      return;
    case 51 /* SAMPLING_SIZE */:
      s.samplingSize = readUint(view, q, len);
      return;
    case 52 /* SAMPLING_POP */:
      s.samplingPop = readUint(view, q, len);
      return;
    case 53 /* SRC_MAC */:
      flow.src_mac = readMac(view, q);
      return;
    case 54 /* DST_MAC */:
      flow.dst_mac = readMac(view, q);
      return;
    case 55 /* POST_SRC_MAC */:
      s.postSrcMac = readMac(view, q);
      return;
    case 56 /* POST_DST_MAC */:
      s.postDstMac = readMac(view, q);
      return;
    case 57 /* VLAN */: {
      const vlan = readUint(view, q, len) & 0x0fff;
      if (!flow.src_vlan) flow.src_vlan = vlan;
      return;
    }
    case 58 /* POST_VLAN */: {
      const vlan = readUint(view, q, len) & 0x0fff;
      if (!flow.dst_vlan) flow.dst_vlan = vlan;
      return;
    }
    case 59 /* DIRECTION */:
      flow.direction = readUint(view, q, len) & 255;
      return;
    case 60 /* END_REASON */:
      flow.end_reason = readUint(view, q, len) & 255;
      return;
    case 61 /* MPLS_LABEL */: {
      // Unused positions of the ten label IEs come as zeros, which is why label 0 is not kept.
      const label = mplsLabel(view, q, len);
      if (label > 0) (s.mpls ??= []).push(label);
      return;
    }
    case 62 /* SRC_NAT4 */:
      flow.src_nat = view.getUint32(q);
      return;
    case 63 /* DST_NAT4 */:
      flow.dst_nat = view.getUint32(q);
      return;
    case 64 /* SRC_NAT6 */:
      flow.src_nat = readIpv6(view, q);
      return;
    case 65 /* DST_NAT6 */:
      flow.dst_nat = readIpv6(view, q);
      return;
    case 66 /* SRC_NAT_PORT */:
      flow.src_nat_port = readUint(view, q, len) & 0xffff;
      return;
    case 67 /* DST_NAT_PORT */:
      flow.dst_nat_port = readUint(view, q, len) & 0xffff;
      return;
    case 68 /* DATALINK */:
      s.frameOffset = q;
      s.frameLength = len;
      s.frameLink = 1;
      return;
    case 69 /* IP_HEADER */:
      if (s.frameOffset < 0) {
        s.frameOffset = q;
        s.frameLength = len;
        s.frameLink = 101;
      }
      return;
    case 70 /* REV_BYTES */:
      s.revBytes = readUint(view, q, len);
      return;
    case 71 /* REV_PACKETS */:
      s.revPackets = readUint(view, q, len);
      return;
    case 72 /* REV_TCP_FLAGS */:
      s.revFlags = readUint(view, q, len) & 255;
      return;
    case 75 /* TCP_FLAGS_OR */:
      s.tcpFlags = (s.tcpFlags < 0 ? 0 : s.tcpFlags) | (readUint(view, q, len) & 255);
      return;
    case 76 /* REV_TCP_FLAGS_OR */:
      s.revFlags = (s.revFlags < 0 ? 0 : s.revFlags) | (readUint(view, q, len) & 255);
      return;
    default:
    // SKIP, and SCOPE (options-only fields never reach a data record).
  }
}

/** Code reading an unsigned integer of `len` bytes at `at` (`len` a literal when known). */
function uintCode(at: string, len: number | 'len'): string {
  switch (len) {
    case 1:
      return `view.getUint8(${at})`;
    case 2:
      return `view.getUint16(${at})`;
    case 4:
      return `view.getUint32(${at})`;
    case 8:
      return `(view.getUint32(${at}) * 4294967296 + view.getUint32(${at} + 4))`;
    default:
      return `readUint(view, ${at}, ${len})`;
  }
}

/** Code applying one field, mirroring {@link applyField} case by case. */
function fieldCode(plan: ReaderPlan, i: number, at: string, len: number | 'len'): string {
  const u = uintCode(at, len);
  switch (plan.ops[i]!) {
    case Op.EXTRA:
    case Op.REV_EXTRA:
      // Small unsigned values (most vendor counters and ids) need no rendering call.
      if (plan.kinds[i] === 'uint' && typeof len === 'number' && len <= 6) return `s.extra[${plan.extraSlots[i]}] = ${u};`;
      return `s.extra[${plan.extraSlots[i]}] = extraValue(kinds[${i}], view, bytes, ${at}, ${len});`;
    case Op.BYTES:
      return `s.bytes = ${u};`;
    case Op.PACKETS:
      return `s.packets = ${u};`;
    case Op.OCTET_TOTAL:
      return `s.octetTotal = ${u};`;
    case Op.PACKET_TOTAL:
      return `s.packetTotal = ${u};`;
    case Op.INIT_OCTETS:
      return `s.initOctets = ${u};`;
    case Op.INIT_PACKETS:
      return `s.initPackets = ${u};`;
    case Op.PROTO:
      return `s.proto = ${u} & 255;`;
    case Op.TOS:
      return `flow.tos = ${u} & 255;`;
    case Op.TCP_FLAGS:
      return `s.tcpFlags = ${u} & 255;`;
    case Op.SPORT:
      return `s.sport = ${u} & 65535;`;
    case Op.DPORT:
      return `s.dport = ${u} & 65535;`;
    case Op.SPORT_ALT:
      return `s.sportAlt = ${u} & 65535;`;
    case Op.DPORT_ALT:
      return `s.dportAlt = ${u} & 65535;`;
    case Op.SRC4:
      return `s.src4 = view.getUint32(${at});`;
    case Op.DST4:
      return `s.dst4 = view.getUint32(${at});`;
    case Op.SRC6:
      return `if (!isZero16(view, ${at})) s.src6 = readIpv6(view, ${at});`;
    case Op.DST6:
      return `if (!isZero16(view, ${at})) s.dst6 = readIpv6(view, ${at});`;
    case Op.SRC_MASK:
      return `flow.src_mask = ${u};`;
    case Op.DST_MASK:
      return `flow.dst_mask = ${u};`;
    case Op.IN_IF:
      return `flow.in_if = ${u};`;
    case Op.OUT_IF:
      return `flow.out_if = ${u};`;
    case Op.IN_PHYS:
      return `s.inPhys = ${u};`;
    case Op.OUT_PHYS:
      return `s.outPhys = ${u};`;
    case Op.NEXT_HOP4:
      return `flow.next_hop = view.getUint32(${at});`;
    case Op.NEXT_HOP6:
      return `if (flow.next_hop === null || !isZero16(view, ${at})) flow.next_hop = readIpv6(view, ${at});`;
    case Op.BGP_NH4:
      return `s.bgpNh = view.getUint32(${at});`;
    case Op.BGP_NH6:
      return `if (s.bgpNh === null || !isZero16(view, ${at})) s.bgpNh = readIpv6(view, ${at});`;
    case Op.SRC_AS:
      return `flow.src_as = ${u};`;
    case Op.DST_AS:
      return `flow.dst_as = ${u};`;
    case Op.FIRST_UPTIME:
      return `s.firstUp = ${u};`;
    case Op.LAST_UPTIME:
      return `s.lastUp = ${u};`;
    case Op.START_SEC:
      return `s.startMs = ${u} * 1000;`;
    case Op.END_SEC:
      return `s.endMs = ${u} * 1000;`;
    case Op.START_MS:
      return `s.startMs = ${u};`;
    case Op.END_MS:
      return `s.endMs = ${u};`;
    case Op.START_NTP:
      return `s.startMs = ntpToMs(view, ${at});`;
    case Op.END_NTP:
      return `s.endMs = ntpToMs(view, ${at});`;
    case Op.START_DELTA_US:
      return `s.startDeltaUs = ${u};`;
    case Op.END_DELTA_US:
      return `s.endDeltaUs = ${u};`;
    case Op.DURATION_MS:
      return `s.durationMs = ${u};`;
    case Op.DURATION_US:
      return `s.durationMs = Math.floor(${u} / 1000);`;
    case Op.SYS_INIT:
      return `s.sysInit = ${u};`;
    case Op.ICMP_TC:
      return `s.icmpTc = ${u} & 65535;`;
    case Op.ICMP_TYPE:
      return `s.icmpType = ${u} & 255;`;
    case Op.ICMP_CODE:
      return `s.icmpCode = ${u} & 255;`;
    case Op.SAMPLING_INTERVAL:
      return `s.samplingInterval = ${u};`;
    case Op.SAMPLER_ID:
      return `s.samplerId = ${u};`;
    case Op.PKT_INTERVAL:
      return `s.pktInterval = ${u};`;
    case Op.PKT_SPACE:
      return `s.pktSpace = ${u};`;
    case Op.SAMPLING_SIZE:
      return `s.samplingSize = ${u};`;
    case Op.SAMPLING_POP:
      return `s.samplingPop = ${u};`;
    case Op.SRC_MAC:
      return `flow.src_mac = readMac(view, ${at});`;
    case Op.DST_MAC:
      return `flow.dst_mac = readMac(view, ${at});`;
    case Op.POST_SRC_MAC:
      return `s.postSrcMac = readMac(view, ${at});`;
    case Op.POST_DST_MAC:
      return `s.postDstMac = readMac(view, ${at});`;
    case Op.VLAN:
      return `{ const vlan = ${u} & 4095; if (!flow.src_vlan) flow.src_vlan = vlan; }`;
    case Op.POST_VLAN:
      return `{ const vlan = ${u} & 4095; if (!flow.dst_vlan) flow.dst_vlan = vlan; }`;
    case Op.DIRECTION:
      return `flow.direction = ${u} & 255;`;
    case Op.END_REASON:
      return `flow.end_reason = ${u} & 255;`;
    case Op.MPLS_LABEL:
      return `{ const label = mplsLabel(view, ${at}, ${len}); if (label > 0) (s.mpls ??= []).push(label); }`;
    case Op.SRC_NAT4:
      return `flow.src_nat = view.getUint32(${at});`;
    case Op.DST_NAT4:
      return `flow.dst_nat = view.getUint32(${at});`;
    case Op.SRC_NAT6:
      return `flow.src_nat = readIpv6(view, ${at});`;
    case Op.DST_NAT6:
      return `flow.dst_nat = readIpv6(view, ${at});`;
    case Op.SRC_NAT_PORT:
      return `flow.src_nat_port = ${u} & 65535;`;
    case Op.DST_NAT_PORT:
      return `flow.dst_nat_port = ${u} & 65535;`;
    case Op.DATALINK:
      return `s.frameOffset = ${at}; s.frameLength = ${len}; s.frameLink = 1;`;
    case Op.IP_HEADER:
      return `if (s.frameOffset < 0) { s.frameOffset = ${at}; s.frameLength = ${len}; s.frameLink = 101; }`;
    case Op.REV_BYTES:
      return `s.revBytes = ${u};`;
    case Op.REV_PACKETS:
      return `s.revPackets = ${u};`;
    case Op.REV_TCP_FLAGS:
      return `s.revFlags = ${u} & 255;`;
    case Op.TCP_FLAGS_OR:
      return `s.tcpFlags = (s.tcpFlags < 0 ? 0 : s.tcpFlags) | (${u} & 255);`;
    case Op.REV_TCP_FLAGS_OR:
      return `s.revFlags = (s.revFlags < 0 ? 0 : s.revFlags) | (${u} & 255);`;
    default:
      return '';
  }
}

/**
 * Generates the reader of a template: runs of fixed-length fields become one bounds check and
 * reads at constant offsets; each variable-length field reads its length prefix and checks it.
 * The generated text holds only numbers and the snippets above (no template-supplied text), and
 * is built once per template. Returns undefined when the runtime forbids code generation.
 */
export function compileRecordReader(plan: ReaderPlan): RecordReader | undefined {
  const { ops, lengths } = plan;
  const lines: string[] = ['let q = p;', 'let len = 0;'];
  let i = 0;
  while (i < ops.length) {
    if (lengths[i] === VARIABLE) {
      lines.push(
        'if (q >= end) return -1;',
        'len = bytes[q++];',
        'if (len === 255) { if (q + 2 > end) return -1; len = view.getUint16(q); q += 2; }',
        'if (q + len > end) return -1;',
      );
      const code = fieldCode(plan, i, 'q', 'len');
      if (code) lines.push(`if (len !== 0) { ${code} }`);
      lines.push('q += len;');
      i++;
      continue;
    }
    // A run of fixed-length fields: one check, then constant offsets from q.
    let runLength = 0;
    const run: string[] = [];
    while (i < ops.length && lengths[i] !== VARIABLE) {
      const length = lengths[i]!;
      if (length !== 0) {
        const code = fieldCode(plan, i, `q + ${runLength}`, length);
        if (code) run.push(code);
      }
      runLength += length;
      i++;
    }
    if (runLength > 0) {
      lines.push(`if (q + ${runLength} > end) return -1;`, ...run, `q += ${runLength};`);
    }
  }
  lines.push('return q;');
  try {
    const factory = new Function(
      'readUint',
      'readIpv6',
      'readMac',
      'extraValue',
      'isZero16',
      'ntpToMs',
      'mplsLabel',
      'kinds',
      `'use strict';\nreturn function readRecord(view, bytes, p, end, flow, s) {\n${lines.join('\n')}\n};`,
    ) as (...deps: unknown[]) => RecordReader;
    return factory(readUint, readIpv6, readMac, extraValue, isZero16, ntpToMs, mplsLabel, plan.kinds);
  } catch {
    return undefined;
  }
}

/** The interpreter bound to a plan, as a reader. */
export function interpreterFor(plan: ReaderPlan): RecordReader {
  return (view, bytes, p, end, flow, s) => interpretRecord(plan, view, bytes, p, end, flow, s);
}

/** The reader for a template: generated when possible, else the interpreter. */
export function recordReaderFor(plan: ReaderPlan): RecordReader {
  return compileRecordReader(plan) ?? interpreterFor(plan);
}
