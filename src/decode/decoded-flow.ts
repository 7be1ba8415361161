// The record every export decoder emits: a FlowRecord plus what the export said about itself.

import type { FlowRecord } from '../core/columns.js';
import { formatIp, type Ip } from '../core/ip.js';

/** Export protocol of a record, as `vantage decode` prints it. */
export type ExportVersion = 5 | 9 | 10 | 'sflow5';

/** Values kept for elements without a column: numbers, text (strings, hex, addresses) or lists. */
export type ExtraValue = number | string | readonly number[];

/**
 * A decoded flow record. The FlowRecord part follows the column table (packets and bytes already
 * multiplied by `sampling`); the rest is what only the decoder knows. Absent values are null, so
 * that every record has the same shape (one hidden class on the hot path).
 */
export type DecodedFlow = FlowRecord & {
  version: ExportVersion;
  /** v9 source id, IPFIX observation domain id, sFlow sub-agent id; 0 for v5. */
  observation_domain: number;
  /** v9/IPFIX template id the record was decoded with; null for v5 and sFlow. */
  template_id: number | null;
  /** Sampler / selector id named by the record (v9 48, IPFIX 48/302). */
  sampler_id: number | null;
  /** Post-NAT source and destination addresses and ports (IPFIX 225-228, 281-282). */
  src_nat: Ip | null;
  dst_nat: Ip | null;
  src_nat_port: number | null;
  dst_nat_port: number | null;
  /** MPLS label values, top of the stack first (20-bit labels, no TC/S/TTL bits). */
  mpls_labels: number[] | null;
  src_mask: number | null;
  dst_mask: number | null;
  /** MAC addresses as 48-bit integers. */
  src_mac: number | null;
  dst_mac: number | null;
  bgp_next_hop: Ip | null;
  /**
   * Elements without a column, by IANA name when the decoder knows it, else as `"pen.id"` (pen 0
   * for IANA elements and v9 field types, e.g. `"0.56701"`; `"5951.130"` for enterprise ones).
   * Null when there are none.
   */
  extra: Record<string, ExtraValue> | null;
};

/**
 * The record class: every field assigned in the constructor, in one order, so that all records
 * share a hidden class. A class rather than an object literal: V8 tracks literals through
 * allocation sites that may switch to old-space allocation when records live long (they do, in
 * batches), which made record creation several times slower after a warm-up on other templates.
 */
class DecodedFlowRecord {
  start = 0;
  end = 0;
  src: Ip = 0;
  dst: Ip = 0;
  sport = 0;
  dport = 0;
  proto = 0;
  tcp_flags = 0;
  packets = 0;
  bytes = 0;
  in_if: number | null = null;
  out_if: number | null = null;
  sampling = 1;
  src_as: number | null = null;
  dst_as: number | null = null;
  next_hop: Ip | null = null;
  src_vlan: number | null = null;
  dst_vlan: number | null = null;
  icmp_type: number | null = null;
  icmp_code: number | null = null;
  tos: number | null = null;
  direction: number | null = null;
  end_reason: number | null = null;
  src_country: string | null = null;
  dst_country: string | null = null;
  tags: readonly string[] | null = null;
  sampler_id: number | null = null;
  src_nat: Ip | null = null;
  dst_nat: Ip | null = null;
  src_nat_port: number | null = null;
  dst_nat_port: number | null = null;
  mpls_labels: number[] | null = null;
  src_mask: number | null = null;
  dst_mask: number | null = null;
  src_mac: number | null = null;
  dst_mac: number | null = null;
  bgp_next_hop: Ip | null = null;
  extra: Record<string, ExtraValue> | null = null;

  constructor(
    public exporter: Ip,
    public version: ExportVersion,
    public observation_domain: number,
    public template_id: number | null,
  ) {}
}

/** The fields a new record starts with, other than the constructor's. */
const FRESH: Record<string, unknown> = { ...new DecodedFlowRecord(0, 5, 0, null) };
for (const key of ['exporter', 'version', 'observation_domain', 'template_id']) delete FRESH[key];
for (const [key, value] of Object.entries(FRESH)) {
  if (!/^[a-z_][a-z0-9_]*$/.test(key) || (value !== null && typeof value !== 'number')) throw new Error(`decoded flow field ${key} cannot be reset`);
}

/** Gives a used record the fields of a new one: generated from a new record, so it follows the class. */
const resetFields = new Function('f', Object.entries(FRESH).map(([key, value]) => `f.${key} = ${String(value)};`).join('\n')) as (flow: DecodedFlow) => void;

/**
 * A new record with every field present (absent values null): the decoders fill it in place.
 * With `free`, a record from it is reused (its fields reset) when it has one: the collector
 * hands records back once it has encoded them, and a record allocated per flow was ~450 of the
 * ~545 bytes of garbage its decode worker made a flow.
 */
export function newDecodedFlow(version: ExportVersion, exporter: Ip, domain: number, templateId: number | null, free?: DecodedFlow[]): DecodedFlow {
  const used = free?.pop();
  if (used === undefined) return new DecodedFlowRecord(exporter, version, domain, templateId);
  resetFields(used);
  used.exporter = exporter;
  used.version = version;
  used.observation_domain = domain;
  used.template_id = templateId;
  return used;
}

/** A 48-bit MAC integer as aa:bb:cc:dd:ee:ff. */
export function formatMac(mac: number): string {
  let text = '';
  for (let shift = 40; shift >= 0; shift -= 8) {
    const byte = Math.floor(mac / 2 ** shift) & 255;
    text += (shift === 40 ? '' : ':') + byte.toString(16).padStart(2, '0');
  }
  return text;
}

/** Epoch milliseconds as ISO 8601 UTC with milliseconds; out-of-range times print as null. */
export function formatTime(ms: number): string | null {
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? d.toISOString() : null;
}

const FIELD_ORDER = [
  'exporter', 'version', 'observation_domain', 'template_id', 'src', 'dst', 'sport', 'dport', 'proto',
  'packets', 'bytes', 'start', 'end', 'tcp_flags', 'in_if', 'out_if', 'sampling', 'sampler_id',
  'src_as', 'dst_as', 'next_hop', 'bgp_next_hop', 'src_mask', 'dst_mask', 'src_vlan', 'dst_vlan',
  'src_mac', 'dst_mac', 'icmp_type', 'icmp_code', 'tos', 'direction', 'end_reason', 'src_nat',
  'dst_nat', 'src_nat_port', 'dst_nat_port', 'mpls_labels', 'extra',
] as const;

/** Fields printed even when null: the ones `vantage decode` promises on every line. */
const ALWAYS = new Set<string>(['exporter', 'version', 'src', 'dst', 'sport', 'dport', 'proto', 'packets', 'bytes', 'start', 'end', 'tcp_flags', 'in_if', 'out_if', 'sampling']);

/**
 * The JSON form of a record: addresses as text, times as ISO 8601 UTC, MACs as aa:bb:..;
 * decoder-only fields that are null are left out to keep lines short.
 */
export function decodedFlowToJson(flow: DecodedFlow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of FIELD_ORDER) {
    const value = flow[key];
    if (value === null || value === undefined) {
      if (ALWAYS.has(key)) out[key] = null;
      continue;
    }
    switch (key) {
      case 'exporter':
      case 'src':
      case 'dst':
      case 'next_hop':
      case 'bgp_next_hop':
      case 'src_nat':
      case 'dst_nat':
        out[key] = formatIp(value as Ip);
        break;
      case 'start':
      case 'end':
        out[key] = formatTime(value as number);
        break;
      case 'src_mac':
      case 'dst_mac':
        out[key] = formatMac(value as number);
        break;
      default:
        out[key] = value;
    }
  }
  return out;
}
