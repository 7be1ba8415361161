// Zeek dns.log, TSV or JSON: detection from the first lines, and a line parser that turns each
// response into passive-DNS observations (one per distinct answer), reporting bad lines as
// file:line problems without losing the good ones.

import { parseIp } from '../../core/ip.js';
import { epochNumberToMs, parseTimeText } from '../logs/field-parsers.js';
import { FIRST_RECORD_LINES } from '../logs/first-record-check.js';
import { fieldProblem, formatProblem, jsonLineProblem, recordProblem, type LineProblem, type LineResult } from '../logs/log-parser.js';
import { normalizeDnsName, normalizeRdata, normalizeRrtype, type PassiveDnsObservation } from './passive-dns-observation.js';
import { unescapeZeek, ZeekTsvHeader } from '../logs/zeek-tsv-header.js';

/** The two layouts Zeek writes dns.log in. */
export type ZeekDnsLayout = 'tsv' | 'json';

/** The format name imports report for a Zeek dns.log. */
export const ZEEK_DNS_FORMAT = 'zeek-dns';

const REQUIRED = ['ts', 'query'] as const;

/**
 * Tells a Zeek dns.log from its first lines: TSV with `#path dns` (or, without `#path`, a
 * `#fields` line naming query and qtype_name), or JSON objects with `query` and `qtype_name`
 * keys. Undefined for anything else.
 */
export function detectZeekDns(head: readonly string[]): ZeekDnsLayout | undefined {
  let sawFields = false;
  // A JSON line cut short does not decide for the file (the parser rejects it by number).
  let unparsed = 0;
  for (const raw of head) {
    const line = raw.charCodeAt(0) === 0xfeff ? raw.slice(1).trim() : raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const path = /^#path\s+(\S+)$/.exec(line);
      if (path) return path[1] === 'dns' ? 'tsv' : undefined;
      if (line.startsWith('#fields')) {
        const fields = line.slice('#fields'.length).trim().split(/\s+/);
        sawFields = ['query', 'qtype_name'].every((f) => fields.includes(f));
      }
      continue;
    }
    if (sawFields) return 'tsv';
    if (!line.startsWith('{')) return undefined;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
      // Zeek leaves unset fields out of JSON: a row without qtype_name (a response with no
      // question) is still a dns.log row, so look on while rows lack one.
      if (!('query' in o) && !('qtype_name' in o)) return undefined;
      if ('query' in o && 'qtype_name' in o) return 'json';
    } catch {
      if (++unparsed >= FIRST_RECORD_LINES) return undefined;
    }
  }
  return sawFields ? 'tsv' : undefined;
}

/** Query types whose answers are addresses or text: a name among their answers is a CNAME of the chain. */
const DATA_TYPES = new Set(['A', 'AAAA', 'TXT']);

/**
 * The strings of a Zeek TXT answer, `TXT <length> <text>` repeated (one per character string of
 * the record), joined by a space; undefined when the answer is not one.
 */
export function zeekTxtText(answer: string): string | undefined {
  if (!answer.startsWith('TXT ')) return undefined;
  const parts: string[] = [];
  let at = 0;
  while (at < answer.length) {
    const m = /^TXT (\d+) /.exec(answer.slice(at, at + 16));
    // An empty string prints as "TXT 0 " or "TXT 0" at the end.
    if (!m) {
      if (/^TXT 0$/.test(answer.slice(at))) break;
      // Not length-prefixed as expected (another Zeek version): keep the text after the first prefix.
      return parts.length === 0 ? answer.replace(/^TXT \d+ ?/, '') : undefined;
    }
    const len = Number(m[1]);
    const start = at + m[0].length;
    parts.push(answer.slice(start, start + len));
    at = start + len;
    if (answer.charCodeAt(at) === 32) at++;
  }
  return parts.join(' ');
}

/** The record type and normalized data of one answer of a response to a `qtype` query. */
function classify(qtype: string, answer: string): { rrtype: string; rdata: string } | undefined {
  const a = answer.trim();
  if (a === '') return undefined;
  const ip = parseIp(a);
  if (ip !== undefined) return { rrtype: typeof ip === 'number' ? 'A' : 'AAAA', rdata: normalizeRdata('A', a) };
  const txt = zeekTxtText(a);
  if (txt !== undefined) return { rrtype: 'TXT', rdata: txt };
  // A name: the target of a CNAME chain under an address or text query, else data of the
  // queried name-valued type (PTR, NS, MX, SRV, CNAME). Zeek does not log each answer's type,
  // so a CNAME ahead of a PTR/MX answer is stored under the queried type; under an ANY query
  // or none (mDNS announcements) a name's type is UNKNOWN.
  const rrtype = qtype === '' || qtype === '*' ? 'UNKNOWN' : DATA_TYPES.has(qtype) ? 'CNAME' : qtype;
  return { rrtype, rdata: normalizeRdata('CNAME', a) };
}

/** Rcodes whose answers are kept: NOERROR, and unset (mDNS responses carry none). */
function answersCount(rcode: string, opcode: string): boolean {
  // Dynamic updates log their prerequisites and updates as "answers": not resolutions.
  if (opcode !== '' && opcode !== 'query') return false;
  return rcode === '' || rcode === 'NOERROR';
}

/**
 * A line parser for one Zeek dns.log. `parseLine` appends the observations of a data row to
 * `out` and returns true (a row without usable answers, e.g. NXDOMAIN, yields none); header,
 * comment and blank lines return false; a bad row returns its problem.
 */
export class ZeekDnsParser {
  private readonly header = new ZeekTsvHeader('dns', (fields) => REQUIRED.filter((f) => !fields.includes(f)));
  readonly format = ZEEK_DNS_FORMAT;

  /** `sensor` names the observer of every observation (the importing file's name). */
  constructor(
    readonly layout: ZeekDnsLayout,
    readonly sensor: string,
  ) {}

  parseLine(text: string, line: number, out: PassiveDnsObservation[]): LineResult {
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

  private parseTsv(text: string, line: number, out: PassiveDnsObservation[]): LineResult {
    const values = this.header.split(text, line);
    if (!Array.isArray(values)) return values;
    const fields = this.header.fields!;
    const raw = (name: string): string => {
      const i = fields.indexOf(name);
      if (i < 0) return '';
      const v = values[i]!;
      return v === this.header.unset || v === this.header.empty ? '' : v;
    };
    const get = (name: string): string => unescapeZeek(raw(name));
    const tsText = get('ts');
    const answersText = raw('answers');
    // Split before unescaping: a separator inside an element is written escaped (\x2c).
    const answers = answersText === '' ? [] : answersText.split(this.header.setSeparator).map(unescapeZeek);
    return this.observe(line, tsText, parseTimeText(tsText), get, answers, out);
  }

  private parseJson(text: string, line: number, out: PassiveDnsObservation[]): LineResult {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      return jsonLineProblem(line, err as Error, text);
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return recordProblem(line, 'not a JSON object');
    const get = (name: string): string => {
      const v = o[name];
      return v === undefined || v === null ? '' : String(v);
    };
    const ts = o.ts;
    const tsText = typeof ts === 'number' ? String(ts) : typeof ts === 'string' ? ts : '';
    const tsMs = typeof ts === 'number' ? epochNumberToMs(ts) : parseTimeText(tsText);
    const a = o.answers;
    if (a !== undefined && a !== null && !Array.isArray(a)) return recordProblem(line, `bad value in field 'answers': expected an array, got '${String(a).slice(0, 40)}'`);
    const answers = Array.isArray(a) ? a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [];
    return this.observe(line, tsText, tsMs, get, answers, out);
  }

  /** The observations of one row, or the problem with it. */
  private observe(line: number, tsText: string, ts: number, get: (name: string) => string, answers: readonly string[], out: PassiveDnsObservation[]): LineResult {
    if (tsText === '') return fieldProblem(line, 'missing value', 'ts', '');
    if (Number.isNaN(ts)) return fieldProblem(line, 'bad time', 'ts', tsText);
    const rrname = normalizeDnsName(get('query'));
    if (rrname === '' || answers.length === 0 || !answersCount(get('rcode_name'), get('opcode_name'))) return true;
    const qtypeText = get('qtype_name');
    const qtype = qtypeText === '' ? '' : normalizeRrtype(qtypeText);
    const seen = new Set<string>();
    for (const answer of answers) {
      const c = classify(qtype, answer);
      if (!c) continue;
      // One response counts once per answer, however often it repeats the record.
      const key = `${c.rrtype}\u0000${c.rdata}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ rrname, rrtype: c.rrtype, rdata: c.rdata, firstSeen: ts, lastSeen: ts, count: 1, sensor: this.sensor });
    }
    return true;
  }
}
