// Parses Argus `.binetflow` CSV (ra output as the Stratosphere/CTU data sets ship it): each row is
// one bidirectional Argus record, imported as a source->destination flow and its reverse.

import { TCP_FLAG_BITS, type FlowRecord } from '../../core/columns.js';
import { parseIp } from '../../core/ip.js';
import { isIcmp, protocolNumber } from '../../core/protocols.js';
import { biflowRecords, parseTimeMicros } from './biflow-records.js';
import { parseDecimalRange, parseUintText } from './field-parsers.js';
import { fieldProblem, formatProblem, recordProblem, type LineProblem, type LineResult, type LogParser } from './log-parser.js';

/** Columns a binetflow header must name (in any order); `Dir`, `sTos`, `dTos`, `SrcPkts`, `Label` are optional. */
export const ARGUS_REQUIRED = ['StartTime', 'Dur', 'Proto', 'SrcAddr', 'Sport', 'DstAddr', 'Dport', 'State', 'TotPkts', 'TotBytes', 'SrcBytes'] as const;
const OPTIONAL = ['SrcPkts', 'sTos', 'dTos'] as const;
type Field = (typeof ARGUS_REQUIRED)[number] | (typeof OPTIONAL)[number];

/** Argus protocol names that are not IP: their records have no IP flow to import. */
const NON_IP = new Set(['arp', 'rarp', 'llc', 'ipx/spx', 'man', 'lldp', 'stp', 'mpls']);
/** Names Argus prints for UDP flows it recognised as an application protocol (ra man page: rtp). */
const UDP_APPS = new Set(['rtp', 'rtcp', 'udt']);
/** Protocols whose ports must be present. */
const PORTED = new Set([6, 17, 132, 33, 136]);

/** True when a header line names the binetflow columns (format detection). */
export function isArgusBinetflowHeader(line: string): boolean {
  if (!line.startsWith('StartTime')) return false;
  const names = new Set(line.split(',').map((n) => n.trim()));
  return ARGUS_REQUIRED.every((n) => names.has(n));
}

/**
 * TCP flags from an Argus state printed with `ra -Z b` ("S_RA", "FSPA_FSPA"): source letters
 * before the `_`, destination letters after; F S R P A U as named, `7` and `8` the 7th and 8th
 * bits (ECE, CWR). Returned as source | destination << 8. Argus's status words (printed without
 * `-Z b`) and the Zeek connection states Slips writes into the same column say which side
 * sent what as well, so they map to the flags those exchanges carry (`STATUS_FLAGS`); any
 * other state (INT, OTH...) carries no flag bits: 0.
 */
export function argusStateFlags(state: string): number {
  const status = STATUS_FLAGS[state];
  if (status !== undefined) return status;
  const bar = state.indexOf('_');
  if (bar < 0 || state.indexOf('_', bar + 1) >= 0) return 0;
  let src = 0;
  let dst = 0;
  for (let i = 0; i < state.length; i++) {
    if (i === bar) continue;
    const bit = ARGUS_FLAG_BITS[state[i]!];
    if (bit === undefined) return 0;
    if (i < bar) src |= bit;
    else dst |= bit;
  }
  return src | (dst << 8);
}

const { F, S, R, A } = TCP_FLAG_BITS;
/**
 * Status words, as source | destination << 8. Argus (ra(1)): REQ a SYN with no answer, ACC
 * the SYN answered with SYN-ACK, CON and CLO/FIN an established (and closed) connection, RST
 * reset. Zeek conn_state (Slips' binetflow): S0 a SYN unanswered, REJ a SYN refused with RST,
 * RSTOS0/SH the originator's SYN then RST/FIN with no answer, SF/S1/S2/S3/RSTO/RSTR established.
 */
const STATUS_FLAGS: Readonly<Record<string, number>> = {
  REQ: S,
  ACC: S | ((S | A) << 8),
  CON: S | A | ((S | A) << 8),
  CLO: S | A | F | ((S | A | F) << 8),
  FIN: S | A | F | ((S | A | F) << 8),
  RST: S | A | R | ((S | A) << 8),
  S0: S,
  REJ: S | ((R | A) << 8),
  RSTOS0: S | R,
  SH: S | F,
  S1: S | A | ((S | A) << 8),
  SF: S | A | F | ((S | A | F) << 8),
  S2: S | A | F | ((S | A) << 8),
  S3: S | A | ((S | A | F) << 8),
  RSTO: S | A | R | ((S | A) << 8),
  RSTR: S | A | ((S | A | R) << 8),
};

const ARGUS_FLAG_BITS: Readonly<Record<string, number>> = {
  F: TCP_FLAG_BITS.F,
  S: TCP_FLAG_BITS.S,
  R: TCP_FLAG_BITS.R,
  P: TCP_FLAG_BITS.P,
  A: TCP_FLAG_BITS.A,
  U: TCP_FLAG_BITS.U,
  '7': TCP_FLAG_BITS.E,
  '8': TCP_FLAG_BITS.C,
};

/**
 * The source's packets when the file has no SrcPkts column (Argus gives TotPkts and SrcBytes
 * only). Exact when one side sent no bytes (every packet is the other side's); otherwise an
 * estimate: half each, the odd packet to the side that sent more bytes, at least one each.
 * On the Slips files that do carry SrcPkts this matches all 155 records.
 */
export function estimateSrcPackets(totPkts: number, totBytes: number, srcBytes: number): number {
  const dstBytes = totBytes - srcBytes;
  if (srcBytes === 0) return 0;
  if (dstBytes === 0 || totPkts <= 1) return totPkts;
  const half = Math.floor(totPkts / 2);
  const src = totPkts % 2 === 1 && srcBytes > dstBytes ? half + 1 : half;
  return Math.min(Math.max(src, 1), totPkts - 1);
}

/**
 * Parser for Argus binetflow CSV. The first line is the header; columns are found by name.
 * A later copy of the header (concatenated files) is skipped. Non-IP records (arp, llc...)
 * yield no flow and are not counted. `Dir` and `Label` are not read.
 */
export class ArgusBinetflowParser implements LogParser {
  readonly format = 'argus-binetflow' as const;
  private header: string | undefined;
  private columns = 0;
  private index: Record<Field, number> | undefined;

  parseLine(text: string, line: number, out: FlowRecord[]): LineResult {
    if (text.length === 0) return false;
    if (this.index === undefined) return this.readHeader(text, line);
    if (text === this.header) return false;
    return this.readRecord(text, line, out);
  }

  finish(): LineProblem | undefined {
    return undefined;
  }

  private readHeader(text: string, line: number): LineResult {
    const names = text.split(',').map((n) => n.trim());
    if (names[0] !== 'StartTime') {
      return formatProblem(line, `unknown header: expected an Argus binetflow header ('StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,...'), got '${text.slice(0, 40)}'`);
    }
    const missing = ARGUS_REQUIRED.filter((n) => !names.includes(n));
    if (missing.length > 0) return formatProblem(line, `unknown header: Argus binetflow header lacks column(s) ${missing.join(', ')}`);
    const index = {} as Record<Field, number>;
    for (const f of [...ARGUS_REQUIRED, ...OPTIONAL]) index[f] = names.indexOf(f);
    this.header = text;
    this.columns = names.length;
    this.index = index;
    return false;
  }

  private readRecord(text: string, line: number, out: FlowRecord[]): LineResult {
    const cells = text.split(',');
    if (cells.length !== this.columns) {
      return recordProblem(
        line,
        cells.length < this.columns
          ? `truncated line: expected ${this.columns} columns, got ${cells.length}`
          : `wrong column count: expected ${this.columns} columns, got ${cells.length}`,
      );
    }
    const ix = this.index!;
    const cell = (f: Field): string => cells[ix[f]]!.trim();

    const protoText = cell('Proto').toLowerCase();
    if (NON_IP.has(protoText)) return false;
    let proto = protocolNumber(protoText);
    if (proto < 0 && UDP_APPS.has(protoText)) proto = 17;
    if (proto < 0) return fieldProblem(line, 'bad protocol', 'Proto', cell('Proto'));

    const startUs = parseTimeMicros(cell('StartTime'));
    if (Number.isNaN(startUs)) return fieldProblem(line, 'bad time', 'StartTime', cell('StartTime'));
    const dur = cell('Dur');
    const durUs = parseDecimalRange(dur, 0, dur.length, 6);
    if (durUs < 0) return fieldProblem(line, 'bad number', 'Dur', dur);
    const src = parseIp(cell('SrcAddr'));
    if (src === undefined) return fieldProblem(line, 'bad address', 'SrcAddr', cell('SrcAddr'));
    const dst = parseIp(cell('DstAddr'));
    if (dst === undefined) return fieldProblem(line, 'bad address', 'DstAddr', cell('DstAddr'));

    // Ports: decimal, or 0x hex (Argus prints ICMP "ports" so); empty for portless protocols.
    const sport = this.port(cell('Sport'), proto);
    if (sport < 0) return this.portProblem(line, 'Sport', cell('Sport'), sport);
    const dport = this.port(cell('Dport'), proto);
    if (dport < 0) return this.portProblem(line, 'Dport', cell('Dport'), dport);

    const totPkts = this.count(cell('TotPkts'));
    if (totPkts < 0) return this.countProblem(line, 'TotPkts', cell('TotPkts'), totPkts);
    const totBytes = this.count(cell('TotBytes'));
    if (totBytes < 0) return this.countProblem(line, 'TotBytes', cell('TotBytes'), totBytes);
    const srcBytes = this.count(cell('SrcBytes'));
    if (srcBytes < 0) return this.countProblem(line, 'SrcBytes', cell('SrcBytes'), srcBytes);
    if (srcBytes > totBytes) return fieldProblem(line, 'value out of range', 'SrcBytes', cell('SrcBytes'));
    let srcPkts: number;
    if (ix.SrcPkts >= 0) {
      srcPkts = this.count(cell('SrcPkts'));
      if (srcPkts < 0) return this.countProblem(line, 'SrcPkts', cell('SrcPkts'), srcPkts);
      if (srcPkts > totPkts) return fieldProblem(line, 'value out of range', 'SrcPkts', cell('SrcPkts'));
    } else {
      srcPkts = estimateSrcPackets(totPkts, totBytes, srcBytes);
    }
    const srcTos = this.tos(ix.sTos >= 0 ? cell('sTos') : '');
    if (srcTos === -1) return this.tosProblem(line, 'sTos', cell('sTos'));
    const dstTos = this.tos(ix.dTos >= 0 ? cell('dTos') : '');
    if (dstTos === -1) return this.tosProblem(line, 'dTos', cell('dTos'));

    const flags = proto === 6 ? argusStateFlags(cell('State')) : 0;
    // Argus lays ICMP type and code over the source port, read as a little-endian 16-bit
    // number (0x0008 = echo request: type 8, code 0); the "destination port" is the ICMP id.
    const icmp = isIcmp(proto);
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
        srcPackets: srcPkts,
        srcBytes,
        srcFlags: flags & 255,
        srcTos: srcTos >= 0 ? srcTos : undefined,
        dstPackets: totPkts - srcPkts,
        dstBytes: totBytes - srcBytes,
        dstFlags: flags >> 8,
        dstTos: dstTos >= 0 ? dstTos : undefined,
        icmpType: icmp ? sport & 255 : undefined,
        icmpCode: icmp ? sport >> 8 : undefined,
      },
      out,
    );
    return true;
  }

  /** A port 0-65535; 0 when empty for a portless protocol; -1 malformed, -2 too large, -3 missing. */
  private port(text: string, proto: number): number {
    if (text === '') return PORTED.has(proto) ? -3 : 0;
    const v = parseUintText(text);
    return v < 0 ? -1 : v > 65535 ? -2 : v;
  }

  private portProblem(line: number, field: Field, text: string, code: number): LineProblem {
    return fieldProblem(line, code === -3 ? 'missing value' : code === -2 ? 'value out of range' : 'bad number', field, text);
  }

  /** A counter; -1 malformed, -3 empty. */
  private count(text: string): number {
    if (text === '') return -3;
    return parseUintText(text);
  }

  private countProblem(line: number, field: Field, text: string, code: number): LineProblem {
    return fieldProblem(line, code === -3 ? 'missing value' : 'bad number', field, text);
  }

  /** A TOS byte; -2 when empty (Argus leaves dTos empty when the destination sent nothing), -1 when bad. */
  private tos(text: string): number {
    if (text === '') return -2;
    const v = parseUintText(text);
    return v < 0 || v > 255 ? -1 : v;
  }

  private tosProblem(line: number, field: Field, text: string): LineProblem {
    return fieldProblem(line, parseUintText(text) >= 0 ? 'value out of range' : 'bad number', field, text);
  }
}
