// NetFlow v5: a 24-byte header and up to 30 fixed 48-byte records, IPv4 only.

import type { Ip } from '../../core/ip.js';
import type { DecodeResult } from '../decode-result.js';
import { newDecodedFlow, type DecodedFlow } from '../decoded-flow.js';

/** Bytes of the v5 header and of one v5 record. */
export const V5_HEADER_LENGTH = 24;
export const V5_RECORD_LENGTH = 48;

/**
 * Decodes a NetFlow v5 packet into `result`. The whole packet is rejected (DECODE_BAD_LENGTH)
 * when its record count claims more records than it holds: such a header cannot be trusted for
 * the records that do fit either. The header's sampling interval (low 14 bits) scales counters.
 * Records come from `free` when it has any (see newDecodedFlow).
 */
export function decodeNetflowV5(bytes: Uint8Array, view: DataView, exporter: Ip, result: DecodeResult, free?: DecodedFlow[]): void {
  result.version = 5;
  if (bytes.length < V5_HEADER_LENGTH) {
    result.errors.push({ code: 'DECODE_TRUNCATED', offset: 0 });
    return;
  }
  const count = view.getUint16(2);
  if (count === 0 || V5_HEADER_LENGTH + count * V5_RECORD_LENGTH > bytes.length) {
    result.errors.push({ code: 'DECODE_BAD_LENGTH', offset: 2 });
    return;
  }
  const uptime = view.getUint32(4);
  // Export time in ms: the header's seconds plus its residual nanoseconds.
  const exportMs = view.getUint32(8) * 1000 + Math.floor(view.getUint32(12) / 1_000_000);
  const engine = view.getUint16(20);
  const sampling = view.getUint16(22) & 0x3fff;
  const rate = sampling > 0 ? sampling : 1;
  const records = result.records;
  // One frozen object for all records of the packet: the engine is a header fact.
  const engineExtra = engine !== 0 ? Object.freeze({ engineType: engine >> 8, engineId: engine & 255 }) : null;
  for (let i = 0, p = V5_HEADER_LENGTH; i < count; i++, p += V5_RECORD_LENGTH) {
    const flow = newDecodedFlow(5, exporter, 0, null, free);
    flow.src = view.getUint32(p);
    flow.dst = view.getUint32(p + 4);
    flow.next_hop = view.getUint32(p + 8);
    flow.in_if = view.getUint16(p + 12);
    flow.out_if = view.getUint16(p + 14);
    flow.packets = view.getUint32(p + 16) * rate;
    flow.bytes = view.getUint32(p + 20) * rate;
    // First/Last are ms of sysUptime; the signed 32-bit distance survives the uptime wrap.
    flow.start = exportMs - ((uptime - view.getUint32(p + 24)) | 0);
    flow.end = exportMs - ((uptime - view.getUint32(p + 28)) | 0);
    flow.sport = view.getUint16(p + 32);
    flow.dport = view.getUint16(p + 34);
    flow.tcp_flags = view.getUint8(p + 37);
    flow.proto = view.getUint8(p + 38);
    flow.tos = view.getUint8(p + 39);
    flow.src_as = view.getUint16(p + 40);
    flow.dst_as = view.getUint16(p + 42);
    flow.src_mask = view.getUint8(p + 44);
    flow.dst_mask = view.getUint8(p + 45);
    flow.sampling = rate;
    if (flow.proto === 1) {
      // v5 has no ICMP field: exporters put type*256+code in the destination port.
      flow.icmp_type = flow.dport >> 8;
      flow.icmp_code = flow.dport & 255;
    }
    flow.extra = engineExtra;
    records.push(flow);
  }
}
