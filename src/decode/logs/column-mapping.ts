// The generic column mapping for CSV and JSON-lines imports: which input column feeds which flow
// field (Vantage names, common aliases, --map overrides), and the conversion of raw values.

import { countryCode, FLOW_COLUMNS, type FlowField, type FlowRecord } from '../../core/columns.js';
import { VantageError } from '../../core/errors.js';
import { parseIp, type Ip } from '../../core/ip.js';
import { epochNumberToMs, parseDecimalRange, parseTcpFlags, parseTimeText, parseUintText } from './field-parsers.js';
import { isIcmp, protocolNumber } from '../../core/protocols.js';
import { fieldProblem, recordProblem, type LineProblem } from './log-parser.js';

/** A field the generic mapping can fill: a flow column, or `duration` (seconds) to derive `end`. */
export type MappedField = FlowField | 'duration';

/** Every mappable field, in a fixed order: a field's position is its slot in a values array. */
export const MAPPED_FIELDS: readonly MappedField[] = [...FLOW_COLUMNS.map((c) => c.name), 'duration'];

/**
 * Accepted input names per field, in order of preference, written normalised (lower case,
 * letters and digits only: `Src IP`, `src_ip`, `srcIp` and `src-ip` are all `srcip`). The
 * Vantage name comes first. When several columns name one field the most preferred wins:
 * e.g. `SrcBytes` (one direction) beats `TotBytes` (both directions) in Argus output.
 */
export const FIELD_ALIASES: Readonly<Record<MappedField, readonly string[]>> = {
  start: ['start', 'ts', 'first', 'firstseen', 'datefirstseen', 'starttime', 'stime', 'timestart', 'flowstart', 'flowstartmilliseconds', 'flowstartseconds', 'eventstart', 'firstswitched', 'timestamp', 'time', 'date'],
  end: ['end', 'te', 'last', 'lastseen', 'endtime', 'ltime', 'timeend', 'flowend', 'flowendmilliseconds', 'flowendseconds', 'eventend', 'lastswitched'],
  duration: ['duration', 'dur', 'td'],
  src: ['src', 'srcip', 'srcaddr', 'sa', 'srcaddress', 'srcipaddr', 'source', 'sourceip', 'sourceaddress', 'sourceipaddress', 'sourceipv4address', 'sourceipv6address', 'saddr', 'ipsrc', 'src4addr', 'src6addr', 'idorigh', 'origh', 'clientip'],
  dst: ['dst', 'dstip', 'dstaddr', 'da', 'dstaddress', 'dstipaddr', 'destination', 'destinationip', 'destinationaddress', 'destinationipaddress', 'destinationipv4address', 'destinationipv6address', 'dest', 'destip', 'daddr', 'ipdst', 'dst4addr', 'dst6addr', 'idresph', 'resph', 'serverip'],
  sport: ['sport', 'srcport', 'sp', 'sourceport', 'sourcetransportport', 'l4srcport', 'srcpt', 'spt', 'idorigp', 'origp', 'clientport'],
  dport: ['dport', 'dstport', 'dp', 'destport', 'destinationport', 'destinationtransportport', 'l4dstport', 'dstpt', 'dpt', 'idrespp', 'respp', 'serverport'],
  proto: ['proto', 'protocol', 'pr', 'ipproto', 'protocolidentifier', 'prot', 'l4proto', 'transport', 'networktransport'],
  tcp_flags: ['tcpflags', 'flags', 'flg', 'tcpcontrolbits'],
  packets: ['packets', 'pkts', 'ipkt', 'inpkts', 'inpackets', 'dpkts', 'packetdeltacount', 'packettotalcount', 'srcpkts', 'sourcepackets', 'origpkts', 'totalfwdpackets', 'totalfwdpacket', 'totpkts', 'networkpackets'],
  bytes: ['bytes', 'octets', 'ibyt', 'byt', 'inbytes', 'inoctets', 'doctets', 'octetdeltacount', 'octettotalcount', 'srcbytes', 'sourcebytes', 'origipbytes', 'totallengthoffwdpackets', 'totallengthoffwdpacket', 'totbytes', 'networkbytes'],
  exporter: ['exporter', 'router', 'ra', 'exporterip', 'exporteraddress', 'exporteripv4address', 'exporteripv6address', 'ip4router', 'ip6router', 'agent', 'agentaddress', 'sampleraddress'],
  in_if: ['inif', 'input', 'in', 'inputsnmp', 'ingressinterface', 'inputinterface', 'ifin', 'snmpin'],
  out_if: ['outif', 'output', 'out', 'outputsnmp', 'egressinterface', 'outputinterface', 'ifout', 'snmpout'],
  sampling: ['sampling', 'samplingrate', 'samplinginterval', 'samplerate'],
  src_as: ['srcas', 'sas', 'srcasn', 'sourceas', 'sourceasn', 'sourceasnumber', 'bgpsourceasnumber'],
  dst_as: ['dstas', 'das', 'dstasn', 'destas', 'destinationas', 'destinationasn', 'destinationasnumber', 'bgpdestinationasnumber'],
  next_hop: ['nexthop', 'nh', 'ipnexthop', 'ip4nexthop', 'ip6nexthop', 'ipnexthopipv4address', 'ipnexthopipv6address'],
  src_vlan: ['srcvlan', 'svln', 'sourcevlan', 'vlan', 'vlanid'],
  dst_vlan: ['dstvlan', 'dvln', 'destinationvlan', 'postvlanid'],
  icmp_type: ['icmptype'],
  icmp_code: ['icmpcode'],
  tos: ['tos', 'stos', 'srctos', 'iptos', 'ipclassofservice'],
  direction: ['direction', 'flowdirection'],
  end_reason: ['endreason', 'flowendreason'],
  src_country: ['srccountry', 'sourcecountry', 'srccc', 'sourcegeocountryisocode'],
  dst_country: ['dstcountry', 'destinationcountry', 'dstcc', 'destinationgeocountryisocode'],
  tags: ['tags'],
};

/** Lower case, letters and digits only: the form aliases are compared in. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

const SLOT = new Map<MappedField, number>(MAPPED_FIELDS.map((f, i) => [f, i]));
/** Normalised alias -> [slot, preference]; earlier aliases are preferred. */
const ALIAS = new Map<string, readonly [number, number]>();
for (const field of MAPPED_FIELDS) {
  FIELD_ALIASES[field].forEach((alias, preference) => {
    if (!ALIAS.has(alias)) ALIAS.set(alias, [SLOT.get(field)!, preference]);
  });
}
const FIELD_BY_NORMAL = new Map<string, MappedField>(MAPPED_FIELDS.map((f) => [normalizeName(f), f]));

/** Explicit column choices from `--map field=column,...`. */
export type ColumnOverrides = ReadonlyMap<MappedField, string>;

/**
 * Parses `--map dst=target_ip,src=source_ip`. Field names are Vantage columns (or `duration`),
 * in any case or punctuation (`tcp_flags`, `tcpflags`); a column name is taken as written.
 */
export function parseMapSpec(spec: string): ColumnOverrides {
  const map = new Map<MappedField, string>();
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1) {
      throw new VantageError('USAGE', `--map: '${part}' is not field=column (e.g. --map dst=target_ip,src=source_ip)`);
    }
    const fieldName = part.slice(0, eq).trim();
    const field = FIELD_BY_NORMAL.get(normalizeName(fieldName));
    if (!field) throw new VantageError('USAGE', `--map: '${fieldName}' is not a flow field (one of ${MAPPED_FIELDS.join(', ')})`);
    if (map.has(field)) throw new VantageError('USAGE', `--map: field '${field}' is mapped twice`);
    map.set(field, part.slice(eq + 1).trim());
  }
  return map;
}

/** How an input column name maps: a slot and a preference (lower wins; overrides are -1). */
export interface ColumnTarget {
  readonly slot: number;
  readonly preference: number;
}

/**
 * Resolves input column names to field slots, honouring overrides: a column named in --map
 * feeds only its field, and a field with an override takes no other column.
 */
export class ColumnResolver {
  private readonly overriddenSlots = new Set<number>();
  private readonly byExact = new Map<string, number>();
  private readonly cache = new Map<string, ColumnTarget | null>();

  constructor(readonly overrides: ColumnOverrides = new Map()) {
    for (const [field, column] of overrides) {
      const slot = SLOT.get(field)!;
      this.overriddenSlots.add(slot);
      this.byExact.set(column, slot);
    }
  }

  /** The target of a column name, or null when the name feeds nothing. */
  resolve(name: string): ColumnTarget | null {
    let target = this.cache.get(name);
    if (target !== undefined) return target;
    const exact = this.byExact.get(name);
    if (exact !== undefined) target = { slot: exact, preference: -1 };
    else {
      const alias = ALIAS.get(normalizeName(name));
      target = alias && !this.overriddenSlots.has(alias[0]) ? { slot: alias[0], preference: alias[1] } : null;
    }
    this.cache.set(name, target);
    return target;
  }

  /** For a header: the column index feeding each slot (-1 for none), best preference first. */
  columnsFor(names: readonly string[]): Int32Array {
    const column = new Int32Array(MAPPED_FIELDS.length).fill(-1);
    const best = new Float64Array(MAPPED_FIELDS.length).fill(Infinity);
    names.forEach((name, i) => {
      const t = this.resolve(name);
      if (t && t.preference < best[t.slot]!) {
        best[t.slot] = t.preference;
        column[t.slot] = i;
      }
    });
    return column;
  }

  /** Override columns the input does not have, for an early, clear error. */
  missingOverrides(names: readonly string[]): string[] {
    const have = new Set(names);
    return [...this.overrides.values()].filter((c) => !have.has(c));
  }
}

/** The slot of a field. */
export function slotOf(field: MappedField): number {
  return SLOT.get(field)!;
}

/** A help text for a field without a column: what was looked for. */
export function aliasHint(field: MappedField): string {
  const names = FIELD_ALIASES[field].slice(0, 8).join(', ');
  return `no column for '${field}' (looked for ${names}, ...; name one with --map ${field}=COLUMN)`;
}

const S = {
  start: slotOf('start'),
  end: slotOf('end'),
  duration: slotOf('duration'),
  src: slotOf('src'),
  dst: slotOf('dst'),
  sport: slotOf('sport'),
  dport: slotOf('dport'),
  proto: slotOf('proto'),
  tcp_flags: slotOf('tcp_flags'),
  packets: slotOf('packets'),
  bytes: slotOf('bytes'),
  icmp_type: slotOf('icmp_type'),
  icmp_code: slotOf('icmp_code'),
};

const MAX_BY_KIND: Record<string, number> = { u8: 255, u16: 65535, u32: 4294967295, u64: Number.MAX_SAFE_INTEGER };

/** True for the values that mean "no value" in the logs we read. */
function isAbsent(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === '-' || v === '(empty)';
}

/** Reads a time: JSON numbers and digit strings by magnitude (s, ms, us, ns), or ISO 8601. */
function toTime(v: unknown): number {
  if (typeof v === 'number') return epochNumberToMs(v);
  if (typeof v === 'string') return parseTimeText(v);
  return NaN;
}

function toUint(v: unknown): number {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : -1;
  if (typeof v === 'string') return parseUintText(v);
  return -1;
}

/** Addresses as text, or IPv4 as an integer (some exporters write them so). */
function toIp(v: unknown): Ip | undefined {
  if (typeof v === 'string') return parseIp(v.trim());
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 4294967295) return v;
  return undefined;
}

/** Duration in seconds (decimal, e.g. 0.084) to milliseconds; -1 when malformed. */
function toDurationMs(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.floor(Math.round(v * 1e6) / 1000) : -1;
  if (typeof v === 'string') {
    const us = parseDecimalRange(v, 0, v.length, 6);
    return us < 0 ? -1 : Math.floor(us / 1000);
  }
  return -1;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
}

/**
 * Builds a flow from raw values by slot (strings from CSV; strings, numbers, arrays from JSON).
 * Required: start, src, dst. Defaults: end = start + duration (or start), ports, proto, flags,
 * packets and bytes 0. For ICMP, a missing type/code is read from dport (type*256+code) and a
 * missing dport is made from type and code. `names` gives the input column per slot for messages.
 */
export function buildGenericRecord(values: readonly unknown[], names: readonly string[], line: number, out: FlowRecord[]): true | LineProblem {
  const name = (slot: number): string => names[slot] || MAPPED_FIELDS[slot]!;
  const vStart = values[S.start];
  if (isAbsent(vStart)) return recordProblem(line, `missing value in field '${name(S.start)}'`);
  const start = toTime(vStart);
  if (Number.isNaN(start)) return fieldProblem(line, 'bad time', name(S.start), show(vStart));
  let end = start;
  const vEnd = values[S.end];
  if (!isAbsent(vEnd)) {
    end = toTime(vEnd);
    if (Number.isNaN(end)) return fieldProblem(line, 'bad time', name(S.end), show(vEnd));
  } else if (!isAbsent(values[S.duration])) {
    const d = toDurationMs(values[S.duration]);
    if (d < 0) return fieldProblem(line, 'bad number', name(S.duration), show(values[S.duration]));
    end = start + d;
  }
  const vSrc = values[S.src];
  if (isAbsent(vSrc)) return recordProblem(line, `missing value in field '${name(S.src)}'`);
  const src = toIp(vSrc);
  if (src === undefined) return fieldProblem(line, 'bad address', name(S.src), show(vSrc));
  const vDst = values[S.dst];
  if (isAbsent(vDst)) return recordProblem(line, `missing value in field '${name(S.dst)}'`);
  const dst = toIp(vDst);
  if (dst === undefined) return fieldProblem(line, 'bad address', name(S.dst), show(vDst));

  let proto = 0;
  const vProto = values[S.proto];
  if (!isAbsent(vProto)) {
    proto = typeof vProto === 'number' ? (Number.isInteger(vProto) && vProto >= 0 && vProto <= 255 ? vProto : -1) : typeof vProto === 'string' ? protocolNumber(vProto) : -1;
    if (proto < 0) return fieldProblem(line, 'bad protocol', name(S.proto), show(vProto));
  }
  let flags = 0;
  const vFlags = values[S.tcp_flags];
  if (!isAbsent(vFlags)) {
    flags = typeof vFlags === 'number' ? (Number.isInteger(vFlags) && vFlags >= 0 && vFlags <= 255 ? vFlags : -1) : typeof vFlags === 'string' ? parseTcpFlags(vFlags) : -1;
    if (flags < 0) return fieldProblem(line, 'bad TCP flags', name(S.tcp_flags), show(vFlags));
  }

  // The enrichment columns are present from the start (null unless mapped), so that enriching
  // overwrites them in place rather than growing every record.
  const record: Record<string, unknown> = { start, end, src, dst, sport: 0, dport: 0, proto, tcp_flags: flags, packets: 0, bytes: 0, src_as: null, dst_as: null, src_country: null, dst_country: null, tags: null };
  for (let slot = 0; slot < MAPPED_FIELDS.length; slot++) {
    if (slot === S.start || slot === S.end || slot === S.duration || slot === S.src || slot === S.dst || slot === S.proto || slot === S.tcp_flags) continue;
    const v = values[slot];
    if (isAbsent(v)) continue;
    const field = MAPPED_FIELDS[slot] as FlowField;
    const kind = FLOW_COLUMNS[slot]!.kind;
    switch (kind) {
      case 'ip': {
        const ip = toIp(v);
        if (ip === undefined) return fieldProblem(line, 'bad address', name(slot), show(v));
        record[field] = ip;
        break;
      }
      case 'country':
        if (typeof v !== 'string' || countryCode(v.trim()) === undefined) return fieldProblem(line, 'bad country', name(slot), show(v));
        record[field] = v.trim().toUpperCase();
        break;
      case 'tags':
        record[field] = Array.isArray(v) ? v.map(String) : String(v).split(/[;|,]/).map((t) => t.trim()).filter((t) => t !== '');
        break;
      default: {
        const n = toUint(v);
        if (n < 0) return fieldProblem(line, 'bad number', name(slot), show(v));
        if (n > MAX_BY_KIND[kind]!) return fieldProblem(line, 'value out of range', name(slot), show(v));
        record[field] = n;
      }
    }
  }
  if (isIcmp(proto)) {
    if (record.icmp_type !== undefined && isAbsent(values[S.dport])) {
      record.dport = (record.icmp_type as number) * 256 + ((record.icmp_code as number | undefined) ?? 0);
    } else if (record.icmp_type === undefined) {
      record.icmp_type = (record.dport as number) >> 8;
      record.icmp_code = (record.dport as number) & 255;
    }
  }
  out.push(record as FlowRecord);
  return true;
}
