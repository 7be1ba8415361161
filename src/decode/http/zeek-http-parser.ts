// Zeek http.log, TSV or JSON: detection from the first lines, and a line parser that turns each
// row into an HttpRequest, reporting bad lines (file:line) without losing the good ones.

import { parseIp, type Ip } from '../../core/ip.js';
import { epochNumberToMs, parseTimeText, parseUintText } from '../logs/field-parsers.js';
import { fieldProblem, formatProblem, jsonLineProblem, recordProblem, type LineProblem, type LineResult } from '../logs/log-parser.js';
import { boundText, HTTP_FIELD_LIMITS, type HttpRequest } from './http-request.js';
import { ZeekTsvHeader } from '../logs/zeek-tsv-header.js';

/** The two layouts Zeek writes http.log in. */
export type ZeekHttpLayout = 'tsv' | 'json';

/** The format name imports report for a Zeek http.log. */
export const ZEEK_HTTP_FORMAT = 'zeek-http';

const REQUIRED = ['ts', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p'] as const;
const TEXT_FIELDS = ['method', 'host', 'uri', 'user_agent'] as const;
/** Fields kept in `headers`, with the header name they stand for. */
const HEADER_FIELDS: readonly (readonly [string, string])[] = [
  ['referrer', 'Referer'],
  ['origin', 'Origin'],
  ['username', 'Zeek-Username'],
  ['password', 'Zeek-Password'],
  ['proxied', 'Zeek-Proxied'],
];

/**
 * Tells a Zeek http.log from its first lines: TSV with `#path http` (or, without `#path`, a
 * `#fields` line naming method, uri and id.orig_h), or JSON objects with `method`, `uri` and
 * `id.orig_h` keys. Undefined for anything else (a conn.log included).
 */
export function detectZeekHttp(head: readonly string[]): ZeekHttpLayout | undefined {
  let sawFields = false;
  for (const raw of head) {
    const line = raw.charCodeAt(0) === 0xfeff ? raw.slice(1).trim() : raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const path = /^#path\s+(\S+)$/.exec(line);
      if (path) return path[1] === 'http' ? 'tsv' : undefined;
      if (line.startsWith('#fields')) {
        const fields = line.slice('#fields'.length).trim().split(/\s+/);
        sawFields = ['method', 'uri', 'id.orig_h'].every((f) => fields.includes(f));
      }
      continue;
    }
    if (sawFields) return 'tsv';
    if (!line.startsWith('{')) return undefined;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
      const id = o.id as Record<string, unknown> | undefined;
      const hasOrig = 'id.orig_h' in o || (id !== null && typeof id === 'object' && 'orig_h' in id);
      // Keys only count when present: a request without a method is still an http.log row,
      // so look on while rows lack one, up to the head's end.
      if (!hasOrig || !('uri' in o)) return undefined;
      if ('method' in o) return 'json';
    } catch {
      return undefined;
    }
  }
  return sawFields ? 'tsv' : undefined;
}

interface Row {
  ts: number;
  src: Ip;
  dst: Ip;
  sport: number;
  dport: number;
}

/**
 * A line parser for one Zeek http.log. `parseLine` appends the request of a data row to `out`
 * and returns true; header, comment and blank lines return false; a bad row returns its problem.
 */
export class ZeekHttpParser {
  private readonly header = new ZeekTsvHeader('http', (fields) => REQUIRED.filter((f) => !fields.includes(f)));
  readonly format = ZEEK_HTTP_FORMAT;

  constructor(readonly layout: ZeekHttpLayout) {}

  parseLine(text: string, line: number, out: HttpRequest[]): LineResult {
    if (text.trim() === '') return false;
    if (this.layout === 'json') return this.parseJson(text, line, out);
    if (text.charCodeAt(0) === 35) return this.header.read(text, line);
    const noHeader = this.header.noHeader(text, line);
    if (noHeader) return noHeader;
    return this.parseTsv(text, line, out);
  }

  finish(_lastLine: number): LineProblem | undefined {
    return undefined;
  }

  private parseTsv(text: string, line: number, out: HttpRequest[]): LineResult {
    const values = this.header.split(text, line);
    if (!Array.isArray(values)) return values;
    const fields = this.header.fields!;
    const get = (name: string): string => {
      const i = fields.indexOf(name);
      if (i < 0) return '';
      return this.header.value(values[i]!);
    };
    const row = this.row(line, get('ts'), (n) => get(n));
    if (!('ts' in row)) return row;
    out.push(this.request(row, (n) => (n === 'proxied' ? get(n).split(this.header.setSeparator).join(', ') : get(n))));
    return true;
  }

  private parseJson(text: string, line: number, out: HttpRequest[]): LineResult {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      return jsonLineProblem(line, err as Error, text);
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return recordProblem(line, 'not a JSON object');
    const id = (o.id !== null && typeof o.id === 'object' ? o.id : {}) as Record<string, unknown>;
    const value = (name: string): unknown => (name in o ? o[name] : name.startsWith('id.') ? id[name.slice(3)] : undefined);
    const text1 = (name: string): string => {
      const v = value(name);
      if (v === undefined || v === null) return '';
      if (Array.isArray(v)) return v.map(String).join(', ');
      return String(v);
    };
    const ts = value('ts');
    const tsText = typeof ts === 'number' ? String(ts) : typeof ts === 'string' ? ts : '';
    const row = this.row(line, tsText, text1, typeof ts === 'number' ? epochNumberToMs(ts) : undefined);
    if (!('ts' in row)) return row;
    out.push(this.request(row, text1));
    return true;
  }

  /** The time, addresses and ports of a row, or the problem with them. */
  private row(line: number, tsText: string, get: (name: string) => string, tsMs?: number): Row | LineProblem {
    const ts = tsMs ?? parseTimeText(tsText);
    if (tsText === '') return fieldProblem(line, 'missing value', 'ts', '');
    if (Number.isNaN(ts)) return fieldProblem(line, 'bad time', 'ts', tsText);
    const addr = (name: string): Ip | LineProblem => {
      const t = get(name);
      if (t === '') return fieldProblem(line, 'missing value', name, t);
      return parseIp(t) ?? fieldProblem(line, 'bad address', name, t);
    };
    const port = (name: string): number | LineProblem => {
      const t = get(name);
      if (t === '') return fieldProblem(line, 'missing value', name, t);
      const n = parseUintText(t);
      if (n < 0) return fieldProblem(line, 'bad number', name, t);
      return n > 65535 ? fieldProblem(line, 'value out of range', name, t) : n;
    };
    const src = addr('id.orig_h');
    if (typeof src === 'object') return src;
    const sport = port('id.orig_p');
    if (typeof sport === 'object') return sport;
    const dst = addr('id.resp_h');
    if (typeof dst === 'object') return dst;
    const dport = port('id.resp_p');
    if (typeof dport === 'object') return dport;
    return { ts, src, dst, sport, dport };
  }

  private request(row: Row, get: (name: string) => string): HttpRequest {
    const t = Object.fromEntries(TEXT_FIELDS.map((f) => [f, get(f)])) as Record<(typeof TEXT_FIELDS)[number], string>;
    const headers = HEADER_FIELDS.map(([field, name]) => [name, get(field)] as const)
      .filter(([, v]) => v !== '')
      .map(([name, v]) => `${name}: ${v}`)
      .join('\n');
    return {
      ...row,
      method: boundText(t.method, HTTP_FIELD_LIMITS.method),
      host: boundText(t.host, HTTP_FIELD_LIMITS.host),
      uri: boundText(t.uri, HTTP_FIELD_LIMITS.uri),
      user_agent: boundText(t.user_agent, HTTP_FIELD_LIMITS.user_agent),
      headers: boundText(headers, HTTP_FIELD_LIMITS.headers),
      body: '',
      source: 'zeek-http',
    };
  }
}
