// The passive-DNS Common Output Format (draft-dulaunoy-dnsop-passive-dns-cof): JSON lines with
// rrname, rrtype, rdata, time_first, time_last and optionally count and sensor_id; detection
// from the first lines, and a line parser yielding one observation per rdata value.

import { parseIpv4, parseIpv6 } from '../../core/ip.js';
import { epochNumberToMs, parseTimeText } from '../logs/field-parsers.js';
import { FIRST_RECORD_LINES } from '../logs/first-record-check.js';
import { fieldProblem, jsonLineProblem, jsonValueText, recordProblem, type LineProblem, type LineResult } from '../logs/log-parser.js';
import { normalizeDnsName, normalizeRdata, normalizeRrtype, type PassiveDnsObservation } from './passive-dns-observation.js';

/** The format name imports report for COF input. */
export const PASSIVE_DNS_COF_FORMAT = 'passive-dns-cof';

/**
 * True when the first data line that parses is a JSON object with `rrname` and `rrtype` keys
 * (a line cut short before it does not decide for the file: the parser rejects it by number).
 */
export function detectPassiveDnsCof(head: readonly string[]): boolean {
  let unparsed = 0;
  for (const raw of head) {
    const line = raw.charCodeAt(0) === 0xfeff ? raw.slice(1).trim() : raw.trim();
    if (line === '') continue;
    if (!line.startsWith('{')) return false;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      return o !== null && typeof o === 'object' && !Array.isArray(o) && 'rrname' in o && 'rrtype' in o;
    } catch {
      if (++unparsed >= FIRST_RECORD_LINES) return false;
    }
  }
  return false;
}

/**
 * An A or AAAA answer that is not an address of its family: stored, it would be found by
 * nothing and pollute lookups, so the record is rejected naming the value.
 */
function addressProblem(line: number, rrtype: string, rdata: string): LineProblem | undefined {
  const text = rdata.trim();
  if (rrtype === 'A' && parseIpv4(text) === undefined) return recordProblem(line, `bad address in field 'rdata': '${shorten(rdata)}' (rrtype A needs an IPv4 address)`);
  if (rrtype === 'AAAA' && parseIpv6(text) === undefined) return recordProblem(line, `bad address in field 'rdata': '${shorten(rdata)}' (rrtype AAAA needs an IPv6 address)`);
  return undefined;
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A `*_ms` field: epoch milliseconds, whatever their magnitude (NaN when not a number). */
function msOf(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : NaN;
}

/** A COF time: epoch seconds (the draft's unit), or text the log parsers read (RFC 3339...). */
function timeOf(v: unknown): number {
  if (typeof v === 'number') return epochNumberToMs(v);
  if (typeof v === 'string' && v.trim() !== '') return parseTimeText(v);
  return NaN;
}

/**
 * A line parser for COF JSON lines. Each record yields one observation per rdata value (rdata
 * may be a string or an array), with the record's count (1 when absent) and times. The sensor
 * is the record's `sensor_id`, else the `sensor` given (the importing file's name).
 */
export class CofParser {
  readonly format = PASSIVE_DNS_COF_FORMAT;

  constructor(readonly sensor: string) {}

  parseLine(text: string, line: number, out: PassiveDnsObservation[]): LineResult {
    if (text.trim() === '') return false;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      return jsonLineProblem(line, err as Error, text);
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return recordProblem(line, 'not a JSON object');
    const rrnameValue = o.rrname;
    if (typeof rrnameValue !== 'string' || rrnameValue.trim() === '') return fieldProblem(line, 'missing value', 'rrname', rrnameValue === undefined ? '' : jsonValueText(rrnameValue, text));
    const rrtypeValue = o.rrtype;
    if ((typeof rrtypeValue !== 'string' || rrtypeValue.trim() === '') && typeof rrtypeValue !== 'number') {
      return fieldProblem(line, 'missing value', 'rrtype', rrtypeValue === undefined ? '' : jsonValueText(rrtypeValue, text));
    }
    const rdataValue = o.rdata;
    const rdatas = typeof rdataValue === 'string' ? [rdataValue] : Array.isArray(rdataValue) && rdataValue.every((r) => typeof r === 'string') ? (rdataValue as string[]) : undefined;
    if (!rdatas || rdatas.length === 0) return fieldProblem(line, 'missing value', 'rdata', rdataValue === undefined ? '' : JSON.stringify(rdataValue));
    // Millisecond fields, when a writer adds them, are more precise than the mandatory seconds.
    const first = 'time_first_ms' in o ? msOf(o.time_first_ms) : timeOf(o.time_first);
    if (Number.isNaN(first)) return fieldProblem(line, o.time_first === undefined ? 'missing value' : 'bad time', 'time_first', o.time_first === undefined ? '' : jsonValueText(o.time_first, text));
    const last = 'time_last_ms' in o ? msOf(o.time_last_ms) : timeOf(o.time_last);
    if (Number.isNaN(last)) return fieldProblem(line, o.time_last === undefined ? 'missing value' : 'bad time', 'time_last', o.time_last === undefined ? '' : jsonValueText(o.time_last, text));
    if (last < first) return recordProblem(line, `time_last (${jsonValueText(o.time_last, text)}) is before time_first (${jsonValueText(o.time_first, text)})`);
    let count = 1;
    if (o.count !== undefined) {
      if (typeof o.count !== 'number' || !Number.isSafeInteger(o.count) || o.count < 1) return fieldProblem(line, 'bad number', 'count', jsonValueText(o.count, text));
      count = o.count;
    }
    const sensor = typeof o.sensor_id === 'string' && o.sensor_id !== '' ? o.sensor_id : typeof o.sensor_id === 'number' ? String(o.sensor_id) : this.sensor;
    const rrname = normalizeDnsName(rrnameValue);
    const rrtype = normalizeRrtype(rrtypeValue as string | number);
    for (const d of rdatas) {
      const problem = addressProblem(line, rrtype, d);
      if (problem) return problem;
    }
    for (const r of new Set(rdatas.map((d) => normalizeRdata(rrtype, d)))) {
      out.push({ rrname, rrtype, rdata: r, firstSeen: first, lastSeen: last, count, sensor });
    }
    return true;
  }

  finish(_lastLine: number): LineProblem | undefined {
    return undefined;
  }
}
