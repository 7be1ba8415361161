// Parses Zeek conn.log in its default TSV form: `#` header lines name the separator, the
// unset/empty markers and the fields; each data row is one connection (one or two flows).

import type { FlowRecord } from '../../core/columns.js';
import { parseIp } from '../../core/ip.js';
import { parseDecimalRange, parseTimeText, parseUintRange } from './field-parsers.js';
import { fieldProblem, formatProblem, recordProblem, type LineProblem, type LineResult, type LogParser } from './log-parser.js';
import { ZEEK_CONN_PATHS, zeekConnFlows, zeekProtocol, type ZeekConn } from './zeek-conn.js';

const REQUIRED = ['ts', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto'] as const;
const OPTIONAL = ['duration', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'history', 'ip_proto', 'conn_state'] as const;
type Field = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

/** Decodes Zeek's `\xNN` escapes in header values (`#separator \x09`). */
function unescapeZeek(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * Parser for Zeek TSV conn logs. Headers may repeat (concatenated or rotated logs): each
 * `#fields` line replaces the layout. `#path` other than a conn log is refused, as is a
 * `#fields` line without the connection id fields.
 */
export class ZeekTsvParser implements LogParser {
  readonly format = 'zeek-tsv' as const;
  private separator = '\t';
  private unset = '-';
  private empty = '(empty)';
  private path: string | undefined;
  private fields: string[] = [];
  private index: Record<Field, number> | undefined;
  private readonly conn: ZeekConn = {
    tsUs: 0,
    durationUs: 0,
    origH: 0,
    origP: 0,
    respH: 0,
    respP: 0,
    proto: 0,
    origPkts: 0,
    origIpBytes: 0,
    respPkts: 0,
    respIpBytes: 0,
    history: '',
  };

  parseLine(text: string, line: number, out: FlowRecord[]): LineResult {
    if (text.length === 0) return false;
    if (text.charCodeAt(0) === 35) return this.readHeader(text, line);
    if (!this.index) {
      return formatProblem(line, `unknown header: expected Zeek TSV headers (#separator, #fields) before data, got '${text.slice(0, 40)}'`);
    }
    return this.readRow(text, line, out);
  }

  finish(): LineProblem | undefined {
    return undefined;
  }

  private readHeader(text: string, line: number): LineResult {
    // `#separator \x09` uses a space: the separator is not known yet when it is read.
    if (text.startsWith('#separator')) {
      this.separator = unescapeZeek(text.slice('#separator'.length + 1));
      if (this.separator.length === 0) return formatProblem(line, 'unknown header: empty #separator');
      return false;
    }
    const sep = text.indexOf(this.separator);
    if (sep < 0) return false; // #open/#close in some writers, or a comment
    const key = text.slice(1, sep);
    const value = text.slice(sep + this.separator.length);
    switch (key) {
      case 'unset_field':
        this.unset = value;
        break;
      case 'empty_field':
        this.empty = value;
        break;
      case 'path':
        this.path = value;
        if (!ZEEK_CONN_PATHS.has(value)) return formatProblem(line, `unknown header: this Zeek log is '${value}', not a conn log`);
        break;
      case 'fields':
        return this.readFields(value.split(this.separator), line);
    }
    return false;
  }

  private readFields(fields: string[], line: number): LineResult {
    const index = {} as Record<Field, number>;
    for (const f of [...REQUIRED, ...OPTIONAL]) index[f] = fields.indexOf(f);
    const missing = REQUIRED.filter((f) => index[f] < 0);
    if (missing.length > 0) return formatProblem(line, `unknown header: Zeek #fields lacks ${missing.join(', ')} (not a conn log?)`);
    if (this.path === undefined && index.conn_state < 0 && index.orig_pkts < 0) {
      return formatProblem(line, 'unknown header: Zeek #fields has neither conn_state nor orig_pkts (not a conn log?)');
    }
    this.fields = fields;
    this.index = index;
    return false;
  }

  private readRow(text: string, line: number, out: FlowRecord[]): LineResult {
    const values = text.split(this.separator);
    const expected = this.fields.length;
    if (values.length !== expected) {
      return recordProblem(
        line,
        values.length < expected
          ? `truncated line: expected ${expected} columns, got ${values.length}`
          : `wrong column count: expected ${expected} columns, got ${values.length}`,
      );
    }
    const ix = this.index!;
    const c = this.conn;
    const ts = values[ix.ts]!;
    c.tsUs = parseDecimalRange(ts, 0, ts.length, 6);
    if (c.tsUs < 0) {
      const ms = parseTimeText(ts); // Zeek can be configured to write ISO 8601 times
      if (Number.isNaN(ms)) return fieldProblem(line, 'bad time', 'ts', ts);
      c.tsUs = ms * 1000;
    }
    const origH = parseIp(values[ix['id.orig_h']]!);
    if (origH === undefined) return fieldProblem(line, 'bad address', 'id.orig_h', values[ix['id.orig_h']]!);
    const respH = parseIp(values[ix['id.resp_h']]!);
    if (respH === undefined) return fieldProblem(line, 'bad address', 'id.resp_h', values[ix['id.resp_h']]!);
    c.origH = origH;
    c.respH = respH;
    const origP = this.count(values, ix['id.orig_p'], 65535);
    if (origP < 0) return this.countProblem(line, values, 'id.orig_p');
    const respP = this.count(values, ix['id.resp_p'], 65535);
    if (respP < 0) return this.countProblem(line, values, 'id.resp_p');
    c.origP = origP;
    c.respP = respP;
    const ipProto = ix.ip_proto >= 0 && values[ix.ip_proto] !== this.unset ? this.count(values, ix.ip_proto, 255) : -2;
    if (ipProto === -1) return this.countProblem(line, values, 'ip_proto');
    c.proto = zeekProtocol(values[ix.proto]!, ipProto, origH);
    if (c.proto < 0) return fieldProblem(line, 'bad protocol', 'proto', values[ix.proto]!);

    c.durationUs = 0;
    if (ix.duration >= 0) {
      const d = values[ix.duration]!;
      if (d !== this.unset) {
        c.durationUs = parseDecimalRange(d, 0, d.length, 6);
        if (c.durationUs < 0) return fieldProblem(line, 'bad number', 'duration', d);
      }
    }
    const max = Number.MAX_SAFE_INTEGER;
    c.origPkts = this.count(values, ix.orig_pkts, max);
    if (c.origPkts < 0) return this.countProblem(line, values, 'orig_pkts');
    c.origIpBytes = this.count(values, ix.orig_ip_bytes, max);
    if (c.origIpBytes < 0) return this.countProblem(line, values, 'orig_ip_bytes');
    c.respPkts = this.count(values, ix.resp_pkts, max);
    if (c.respPkts < 0) return this.countProblem(line, values, 'resp_pkts');
    c.respIpBytes = this.count(values, ix.resp_ip_bytes, max);
    if (c.respIpBytes < 0) return this.countProblem(line, values, 'resp_ip_bytes');
    const history = ix.history >= 0 ? values[ix.history]! : '';
    c.history = history === this.unset || history === this.empty ? '' : history;
    zeekConnFlows(c, out);
    return true;
  }

  /** An unsigned field up to `max`; 0 when the column is absent or unset; -1 when malformed. */
  private count(values: string[], at: number, max: number): number {
    if (at < 0) return 0;
    const text = values[at]!;
    if (text === this.unset || text === this.empty) return 0;
    const n = parseUintRange(text, 0, text.length);
    return n > max ? -1 : n;
  }

  private countProblem(line: number, values: string[], field: Field): LineProblem {
    const text = values[this.index![field]]!;
    return fieldProblem(line, parseUintRange(text, 0, text.length) >= 0 ? 'value out of range' : 'bad number', field, text);
  }
}
