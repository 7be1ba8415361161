// Parses Zeek conn.log written as JSON (one object per line, LogAscii::use_json=T) into flows.

import type { FlowRecord } from '../../core/columns.js';
import { parseIp } from '../../core/ip.js';
import { epochNumberToMs, parseDecimalRange, parseTimeText, parseUintText } from './field-parsers.js';
import { FirstRecordCheck } from './first-record-check.js';
import { fieldProblem, jsonLineProblem, jsonValueText, recordProblem, type LineProblem, type LineResult, type LogParser } from './log-parser.js';
import { ZEEK_CONN_PATHS, zeekConnFlows, zeekProtocol, type ZeekConn } from './zeek-conn.js';

type ZeekObject = Record<string, unknown>;

/**
 * Parser for Zeek JSON conn logs. Accepts flattened id keys (`id.orig_h`, Zeek's default) and
 * nested ones (`"id": {"orig_h": ...}`); `ts` as epoch seconds or ISO 8601 (JSON::TS_ISO8601).
 * Absent counters (Zeek omits unset fields) count as 0. The file is taken for a conn log once
 * one of its first lines is a connection object (see `FirstRecordCheck`): when none is, a
 * `_path` other than a conn log, or objects without connection fields, refuse the file.
 */
export class ZeekJsonParser implements LogParser {
  readonly format = 'zeek-json' as const;
  private readonly check = new FirstRecordCheck('a Zeek conn object');

  parseLine(text: string, line: number, out: FlowRecord[]): LineResult {
    if (text.length === 0 || text.trim().length === 0) return false;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      return this.check.fault(line, `expected Zeek JSON (one object per line), got '${text.slice(0, 40)}'`, jsonLineProblem(line, err as Error, text));
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      return this.check.fault(line, `expected Zeek JSON (one object per line), got '${text.slice(0, 40)}'`, recordProblem(line, 'malformed JSON: expected an object'));
    }
    const o = obj as ZeekObject;
    if (!this.check.passed) {
      const reason = notConn(o);
      if (reason) {
        // Rejected as a later line would be, by its own fields; a row of another log, as that.
        const own = typeof o._path === 'string' ? true : this.convert(o, text, line, []);
        return this.check.fault(line, reason, typeof own === 'object' ? own : recordProblem(line, reason));
      }
      this.check.pass();
    }
    return this.convert(o, text, line, out);
  }

  finish(): LineProblem | undefined {
    return this.check.finish();
  }

  private convert(o: ZeekObject, text: string, line: number, out: FlowRecord[]): LineResult {
    const shown = (v: unknown): string => jsonValueText(v, text);
    const ts = o.ts;
    let tsUs: number;
    if (typeof ts === 'number') {
      const ms = epochNumberToMs(ts);
      if (Number.isNaN(ms)) return fieldProblem(line, 'bad time', 'ts', shown(ts));
      tsUs = ts < 1e11 ? Math.round(ts * 1e6) : ms * 1000;
    } else if (typeof ts === 'string') {
      const ms = parseTimeText(ts);
      if (Number.isNaN(ms)) return fieldProblem(line, 'bad time', 'ts', ts);
      // Epoch seconds as text keep their microseconds; ISO times are read to the millisecond.
      const us = parseDecimalRange(ts, 0, ts.length, 6);
      tsUs = us >= 0 && us < 1e17 ? us : ms * 1000;
    } else if (ts === undefined || ts === null) {
      return recordProblem(line, "missing value in field 'ts'");
    } else {
      return fieldProblem(line, 'bad time', 'ts', shown(ts));
    }

    const origText = get(o, 'id.orig_h');
    const respText = get(o, 'id.resp_h');
    const origH = typeof origText === 'string' ? parseIp(origText) : undefined;
    if (origH === undefined) return origText === undefined || origText === null ? recordProblem(line, "missing value in field 'id.orig_h'") : fieldProblem(line, 'bad address', 'id.orig_h', shown(origText));
    const respH = typeof respText === 'string' ? parseIp(respText) : undefined;
    if (respH === undefined) return respText === undefined || respText === null ? recordProblem(line, "missing value in field 'id.resp_h'") : fieldProblem(line, 'bad address', 'id.resp_h', shown(respText));

    const origP = count(get(o, 'id.orig_p'), 65535);
    if (origP < 0) return countProblem(line, o, text, 'id.orig_p', origP);
    const respP = count(get(o, 'id.resp_p'), 65535);
    if (respP < 0) return countProblem(line, o, text, 'id.resp_p', respP);
    const ipProto = o.ip_proto === undefined || o.ip_proto === null ? -2 : count(o.ip_proto, 255);
    if (ipProto === -1 || ipProto === -3) return countProblem(line, o, text, 'ip_proto', ipProto);
    const protoText = typeof o.proto === 'string' ? o.proto : typeof o.proto === 'number' ? String(o.proto) : '';
    const proto = zeekProtocol(protoText, ipProto, origH);
    if (proto < 0) return fieldProblem(line, 'bad protocol', 'proto', typeof o.proto === 'string' || typeof o.proto === 'number' ? shown(o.proto) : protoText);

    let durationUs = 0;
    const d = o.duration;
    if (typeof d === 'number') {
      if (!(d >= 0) || !Number.isFinite(d)) return fieldProblem(line, 'bad number', 'duration', shown(d));
      durationUs = Math.round(d * 1e6);
    } else if (typeof d === 'string' && d !== '-') {
      durationUs = parseDecimalRange(d, 0, d.length, 6);
      if (durationUs < 0) return fieldProblem(line, 'bad number', 'duration', d);
    } else if (d !== undefined && d !== null && d !== '-') {
      return fieldProblem(line, 'bad number', 'duration', shown(d));
    }
    const max = Number.MAX_SAFE_INTEGER;
    const origPkts = count(o.orig_pkts, max);
    if (origPkts < 0) return countProblem(line, o, text, 'orig_pkts', origPkts);
    const origIpBytes = count(o.orig_ip_bytes, max);
    if (origIpBytes < 0) return countProblem(line, o, text, 'orig_ip_bytes', origIpBytes);
    const respPkts = count(o.resp_pkts, max);
    if (respPkts < 0) return countProblem(line, o, text, 'resp_pkts', respPkts);
    const respIpBytes = count(o.resp_ip_bytes, max);
    if (respIpBytes < 0) return countProblem(line, o, text, 'resp_ip_bytes', respIpBytes);
    const history = typeof o.history === 'string' ? o.history : '';

    zeekConnFlows(
      { tsUs, durationUs, origH, origP, respH, respP, proto, origPkts, origIpBytes, respPkts, respIpBytes, history },
      out,
    );
    return true;
  }
}

/** A field by its flattened name, or from the nested `id` object. */
function get(o: ZeekObject, key: string): unknown {
  const v = o[key];
  if (v !== undefined) return v;
  if (key.startsWith('id.')) {
    const id = o.id;
    if (id !== null && typeof id === 'object') return (id as Record<string, unknown>)[key.slice(3)];
  }
  return undefined;
}

/** A JSON counter: 0 when absent, -1 when malformed, -3 when above `max`. */
function count(v: unknown, max: number): number {
  if (v === undefined || v === null || v === '-') return 0;
  let n: number;
  if (typeof v === 'number') n = Number.isSafeInteger(v) && v >= 0 ? v : -1;
  else if (typeof v === 'string') n = parseUintText(v);
  else return -1;
  if (n < 0) return -1;
  return n > max ? -3 : n;
}

function countProblem(line: number, o: ZeekObject, text: string, key: string, code: number): LineProblem {
  return fieldProblem(line, code === -3 ? 'value out of range' : 'bad number', key, jsonValueText(get(o, key), text));
}

/** Why an object is not a Zeek connection (another log's `_path`, no connection fields), or undefined. */
function notConn(o: ZeekObject): string | undefined {
  const path = o._path;
  if (typeof path === 'string' && !ZEEK_CONN_PATHS.has(path)) return `this Zeek log is '${path}', not a conn log`;
  if (get(o, 'id.orig_h') === undefined) return "Zeek JSON object has no 'id.orig_h' (not a conn log?)";
  if (path === undefined && !('conn_state' in o) && !('orig_pkts' in o) && !('history' in o) && !('duration' in o)) {
    return 'Zeek JSON object has no conn_state, orig_pkts, history or duration (not a conn log?)';
  }
  return undefined;
}
