// Parses CICFlowMeter CSV (CIC-IDS2017 and its re-labelled "improved" release, CSE-CIC-IDS2018):
// each row is one bidirectional flow, imported as a forward flow and, if answered, a backward flow.

import type { FlowRecord } from '../../core/columns.js';
import { parseIp } from '../../core/ip.js';
import { isIcmp, protocolNumber } from '../../core/protocols.js';
import { normalizeName } from './column-mapping.js';
import { splitDelimited } from './csv-parser.js';
import { biflowRecords, parseTimeMicros } from './biflow-records.js';
import { daysFromCivil, parseDecimalRange, parseUintText } from './field-parsers.js';
import { fieldProblem, formatProblem, recordProblem, type FieldFault, type LineProblem, type LineResult, type LogParser } from './log-parser.js';

/**
 * The columns read, each with its accepted header names (normalised: lower case, letters and
 * digits only) across CICFlowMeter versions: "Src IP" (improved CIC-IDS2017, 2018),
 * "Source IP" (original CIC-IDS2017), "Tot Fwd Pkts" (CICFlowMeter-V4)...
 */
const COLUMNS = {
  src: ['srcip', 'sourceip'],
  sport: ['srcport', 'sourceport'],
  dst: ['dstip', 'destinationip'],
  dport: ['dstport', 'destinationport'],
  proto: ['protocol'],
  time: ['timestamp'],
  duration: ['flowduration'],
  fwdPkts: ['totalfwdpacket', 'totalfwdpackets', 'totfwdpkts'],
  bwdPkts: ['totalbwdpackets', 'totalbwdpacket', 'totalbackwardpackets', 'totbwdpkts'],
  fwdLen: ['totallengthoffwdpacket', 'totallengthoffwdpackets', 'totlenfwdpkts'],
  bwdLen: ['totallengthofbwdpacket', 'totallengthofbwdpackets', 'totlenbwdpkts'],
  fwdHdr: ['fwdheaderlength', 'fwdheaderlen'],
  bwdHdr: ['bwdheaderlength', 'bwdheaderlen'],
  fin: ['finflagcount', 'finflagcnt'],
  syn: ['synflagcount', 'synflagcnt'],
  rst: ['rstflagcount', 'rstflagcnt'],
  psh: ['pshflagcount', 'pshflagcnt'],
  ack: ['ackflagcount', 'ackflagcnt'],
  urg: ['urgflagcount', 'urgflagcnt'],
  cwr: ['cwrflagcount', 'cweflagcount', 'cwrflagcnt', 'cweflagcnt'],
  ece: ['eceflagcount', 'eceflagcnt'],
  fwdPsh: ['fwdpshflags'],
  bwdPsh: ['bwdpshflags'],
  fwdUrg: ['fwdurgflags'],
  bwdUrg: ['bwdurgflags'],
  fwdRst: ['fwdrstflags'],
  bwdRst: ['bwdrstflags'],
  icmpType: ['icmptype'],
  icmpCode: ['icmpcode'],
} as const;
type Column = keyof typeof COLUMNS;
const REQUIRED: readonly Column[] = ['src', 'sport', 'dst', 'dport', 'proto', 'time', 'duration', 'fwdPkts', 'bwdPkts', 'fwdLen', 'bwdLen'];
const COLUMN_OF = new Map<string, Column>(Object.entries(COLUMNS).flatMap(([c, names]) => names.map((n) => [n, c as Column] as const)));

/** True when a header line names CICFlowMeter's columns (format detection). */
export function isCicFlowMeterHeader(line: string): boolean {
  if (!line.includes(',')) return false;
  const names = new Set(line.split(',').map((n) => COLUMN_OF.get(normalizeName(n))));
  return REQUIRED.every((c) => names.has(c));
}

/**
 * CICFlowMeter's own time format, day first: `7/7/2017 1:04`, `07/07/2017 01:04:00 PM`, as UTC
 * epoch microseconds; NaN when it is not one. A 12-hour clock without AM/PM is read as is.
 */
export function parseDayFirstTime(text: string): number {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:\s*([AaPp])[Mm])?$/.exec(text.trim());
  if (!m) return NaN;
  const [day, month, year, minute, second] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[5]), Number(m[6] ?? 0)];
  let hour = Number(m[4]);
  if (m[8]) {
    if (hour < 1 || hour > 12) return NaN;
    hour = (hour % 12) + (m[8].toLowerCase() === 'p' ? 12 : 0);
  }
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate() || hour > 23 || minute > 59 || second > 59) return NaN;
  const micros = m[7] ? Number(m[7].slice(0, 6).padEnd(6, '0')) : 0;
  return ((daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second) * 1000 + Math.floor(micros / 1000)) * 1000 + (micros % 1000);
}

/** Per-packet IP header bytes CICFlowMeter leaves out of its counts (no options or extension headers). */
function ipHeaderBytes(addr: unknown): number {
  return typeof addr === 'bigint' ? 40 : 20;
}

/** Per-packet transport header bytes assumed when the header-length columns are absent or negative. */
function minTransportHeader(proto: number): number {
  return proto === 6 ? 20 : proto === 17 || isIcmp(proto) ? 8 : 0;
}

/**
 * Parser for CICFlowMeter CSV. Columns are found by name (any spacing or case), so the
 * original and improved CIC-IDS2017 layouts and CICFlowMeter-V4's abbreviations all work;
 * `Label` and the statistics columns are not read. Times are read as UTC (see
 * docs/import-formats.md for why that is right for the improved CIC-IDS2017).
 */
export class CicFlowMeterParser implements LogParser {
  readonly format = 'cicflowmeter' as const;
  private header: string | undefined;
  private columns = 0;
  private names: string[] = [];
  private readonly at = new Map<Column, number>();

  parseLine(text: string, line: number, out: FlowRecord[]): LineResult {
    if (text.length === 0) return false;
    if (this.header === undefined) return this.readHeader(text, line);
    if (text === this.header) return false;
    return this.readRecord(text, line, out);
  }

  finish(): LineProblem | undefined {
    return undefined;
  }

  private readHeader(text: string, line: number): LineResult {
    const names = splitDelimited(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, ',') ?? [];
    const at = new Map<Column, number>();
    names.forEach((n, i) => {
      const c = COLUMN_OF.get(normalizeName(n));
      // The original CIC-IDS2017 prints "Fwd Header Length" twice: the first one counts.
      if (c !== undefined && !at.has(c)) at.set(c, i);
    });
    const missing = REQUIRED.filter((c) => !at.has(c));
    if (missing.length === REQUIRED.length) {
      return formatProblem(line, `unknown header: expected a CICFlowMeter header ('Flow ID,Src IP,Src Port,Dst IP,...'), got '${text.slice(0, 40)}'`);
    }
    if (missing.length > 0) {
      return formatProblem(line, `unknown header: CICFlowMeter header lacks column(s) ${missing.map((c) => `'${COLUMNS[c][0]}'`).join(', ')} (names compared in lower case, letters and digits only)`);
    }
    this.header = text;
    this.columns = names.length;
    this.names = names.map((n) => n.trim());
    for (const [c, i] of at) this.at.set(c, i);
    return false;
  }

  private readRecord(text: string, line: number, out: FlowRecord[]): LineResult {
    const cells = splitDelimited(text, ',');
    if (cells === null) return recordProblem(line, 'truncated line: a quoted value is not closed');
    if (cells.length !== this.columns) {
      return recordProblem(
        line,
        cells.length < this.columns
          ? `truncated line: expected ${this.columns} columns, got ${cells.length}`
          : `wrong column count: expected ${this.columns} columns, got ${cells.length}`,
      );
    }
    const cell = (c: Column): string => cells[this.at.get(c)!]!.trim();
    const problem = (fault: FieldFault, c: Column): LineProblem => fieldProblem(line, fault, this.names[this.at.get(c)!]!, cell(c));

    const src = parseIp(cell('src'));
    if (src === undefined) return problem('bad address', 'src');
    const dst = parseIp(cell('dst'));
    if (dst === undefined) return problem('bad address', 'dst');
    const sport = parseUintText(cell('sport'));
    if (sport < 0 || sport > 65535) return problem(sport < 0 ? 'bad number' : 'value out of range', 'sport');
    const dport = parseUintText(cell('dport'));
    if (dport < 0 || dport > 65535) return problem(dport < 0 ? 'bad number' : 'value out of range', 'dport');
    const proto = protocolNumber(cell('proto'));
    if (proto < 0) return problem('bad protocol', 'proto');
    const timeText = cell('time');
    const startUs = timeText.includes('/') && timeText.indexOf('/') < 3 ? parseDayFirstTime(timeText) : parseTimeMicros(timeText);
    if (Number.isNaN(startUs)) return problem('bad time', 'time');
    const durText = cell('duration');
    const durUs = parseDecimalRange(durText, 0, durText.length, 0);
    if (durUs < 0) return problem('bad number', 'duration');

    const counts = {} as Record<Column, number>;
    for (const c of ['fwdPkts', 'bwdPkts', 'fwdLen', 'bwdLen'] as const) {
      const v = parseUintText(cell(c));
      if (v < 0) return problem('bad number', c);
      counts[c] = v;
    }
    // Optional counters: -1 when the column is absent, or negative (the original CIC-IDS2017
    // has negative header lengths from an overflow): the value is then unknown, not an error.
    for (const c of ['fwdHdr', 'bwdHdr', 'fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'cwr', 'ece', 'fwdPsh', 'bwdPsh', 'fwdUrg', 'bwdUrg', 'fwdRst', 'bwdRst'] as const) {
      if (!this.at.has(c)) {
        counts[c] = -1;
        continue;
      }
      const t = cell(c);
      const v = parseUintText(t);
      if (v < 0 && !/^-\d+(\.0*)?$/.test(t)) return problem('bad number', c);
      counts[c] = v;
    }
    let icmpType: number | undefined;
    let icmpCode: number | undefined;
    if (isIcmp(proto) && this.at.has('icmpType')) {
      const t = Number(cell('icmpType'));
      const k = this.at.has('icmpCode') ? Number(cell('icmpCode')) : 0;
      // -1 is CICFlowMeter's "not ICMP / not seen".
      if (Number.isInteger(t) && t >= 0 && t <= 255) icmpType = t;
      if (Number.isInteger(k) && k >= 0 && k <= 255) icmpCode = k;
      if (icmpType === undefined) icmpCode = undefined;
    }

    const ipHeader = ipHeaderBytes(src);
    const transport = minTransportHeader(proto);
    const bytes = (pkts: number, payload: number, headers: number): number => payload + (headers >= 0 ? headers : transport * pkts) + ipHeader * pkts;
    const flags = directionFlags(counts);
    const startMs = Math.floor(startUs / 1000);
    biflowRecords(
      {
        startMs,
        endMs: Math.floor((startUs + durUs) / 1000),
        src,
        dst,
        sport,
        dport,
        proto,
        srcPackets: counts.fwdPkts,
        srcBytes: bytes(counts.fwdPkts, counts.fwdLen, counts.fwdHdr),
        srcFlags: proto === 6 ? flags & 255 : 0,
        dstPackets: counts.bwdPkts,
        dstBytes: bytes(counts.bwdPkts, counts.bwdLen, counts.bwdHdr),
        dstFlags: proto === 6 ? flags >> 8 : 0,
        icmpType,
        icmpCode,
      },
      out,
    );
    return true;
  }
}

const FIN = 1;
const SYN = 2;
const RST = 4;
const PSH = 8;
const ACK = 16;
const URG = 32;
const ECE = 64;
const CWR = 128;

/**
 * TCP flags per direction, as forward | backward << 8, from counts that are mostly kept for the
 * whole flow. A direction gets a flag only when it certainly sent one: from the per-direction
 * columns (Fwd/Bwd PSH, URG, RST Flags) when present; from a flow-wide count when the other
 * direction sent no packets, or when the count exceeds the other direction's packets. SYN also
 * goes to the forward direction whenever it was seen: CICFlowMeter names as forward the sender
 * of a flow's first packet, which for a handshake is the SYN. Counts of -1 are unknown.
 */
export function directionFlags(c: Readonly<Record<string, number>>): number {
  const fwdPkts = c.fwdPkts!;
  const bwdPkts = c.bwdPkts!;
  let fwd = 0;
  let bwd = 0;
  const place = (bit: number, total: number | undefined, fwdCount?: number, bwdCount?: number): void => {
    if (fwdCount !== undefined && fwdCount >= 0 && bwdCount !== undefined && bwdCount >= 0) {
      if (fwdCount > 0) fwd |= bit;
      if (bwdCount > 0) bwd |= bit;
      return;
    }
    if (total === undefined || total <= 0) return;
    if (total > bwdPkts) fwd |= bit;
    if (total > fwdPkts) bwd |= bit;
  };
  place(FIN, c.fin);
  place(SYN, c.syn);
  place(RST, c.rst, c.fwdRst, c.bwdRst);
  place(PSH, c.psh, c.fwdPsh, c.bwdPsh);
  place(ACK, c.ack);
  place(URG, c.urg, c.fwdUrg, c.bwdUrg);
  place(ECE, c.ece);
  place(CWR, c.cwr);
  if ((c.syn ?? 0) > 0) fwd |= SYN;
  return fwd | (bwd << 8);
}
