// masscan's JSON output (`masscan -oJ`): a JSON array of {ip, timestamp, ports: [{port, proto,
// status, reason, ttl, service?: {name, banner}}]} written one object per line, with the quirks
// of its versions (a comma after every object including the last, a closing `{finished: 1}`,
// unquoted keys). Objects are cut out of the text by brace depth, so pretty-printed arrays read too.

import { epochNumberToMs, parseTimeText } from '../logs/field-parsers.js';
import { fieldProblem, jsonLineProblem, jsonValueText, recordProblem, type LineProblem, type LineResult, type LineResults } from '../logs/log-parser.js';
import { isPort, normalizeServiceIp, normalizeTransport, type ServiceObservation } from './service-observation.js';

/** The format name imports report for masscan JSON. */
export const MASSCAN_JSON_FORMAT = 'masscan-json';

/** The source services from masscan are stored under. */
export const MASSCAN_SOURCE = 'masscan';

/** Quotes bare object keys (`{ip: "1.2.3.4"}`), as some masscan builds write them. */
function quoteKeys(text: string): string {
  return text.replace(/([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:/g, '$1"$2":');
}

function parseObject(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    try {
      return JSON.parse(quoteKeys(text)) as Record<string, unknown>;
    } catch {
      throw err;
    }
  }
}

/** What cutting a line gave: an object's text and first line, or a problem. */
type Cut = { readonly object: string; readonly line: number } | LineProblem;

/**
 * masscan's records open with their `ip` key (old ones close with `{finished: 1}`); no nested
 * object has either. Seen in a `{` inside an object, they mean that object was left unclosed.
 */
const RECORD_KEY = /\s*"?(?:ip|finished)"?\s*:/y;
const NON_BLANK = /\S/g;

/**
 * Cuts top-level objects out of the text of a JSON array fed in pieces. An object left open
 * (its closing braces cut off) would swallow every record after it: when a record's `ip` key
 * opens a nested object, the open one is given up as truncated and cutting restarts there.
 */
class ObjectCutter {
  private depth = 0;
  private quote = false;
  private escaped = false;
  private parts: string[] = [];
  /** Line the object being cut started on. */
  startLine = 0;
  /** Why the object being cut is already known bad: it is reported instead of parsed. */
  private broken: LineProblem | undefined;
  /** A `{` that ended a line inside an object: a record if the next line starts with its key. */
  private braceAtEnd: { readonly line: number; readonly text: string } | undefined;

  get open(): boolean {
    return this.depth > 0;
  }

  /** Marks the open object bad (a line of it could not be read). */
  spoil(problem: LineProblem): void {
    this.broken ??= problem;
  }

  /** The problem of an object still open at the end of the input. */
  unclosed(lastLine: number): LineProblem {
    return this.broken ?? recordProblem(this.startLine, `truncated file: the object opened at line ${this.startLine} is not closed (last line ${lastLine})`);
  }

  /** Feeds one line; appends each object cut (text and first line) or problem to `out`. */
  feed(text: string, line: number, out: Cut[]): void {
    let from = this.depth > 0 ? 0 : -1;
    if (this.braceAtEnd) {
      const brace = this.braceAtEnd;
      this.braceAtEnd = undefined;
      RECORD_KEY.lastIndex = 0;
      if (this.depth > 0 && RECORD_KEY.test(text)) this.restart(brace.line, [brace.text], out);
    }
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.depth === 0) {
        // Between objects: the array's brackets, commas and blanks.
        if (c === 123) {
          this.depth = 1;
          this.startLine = line;
          from = i;
        } else if (c !== 91 && c !== 93 && c !== 44 && c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff) {
          out.push(recordProblem(line, `unexpected text between objects: '${text.slice(i, i + 20)}'`));
          return;
        }
        continue;
      }
      if (this.quote) {
        if (this.escaped) this.escaped = false;
        else if (c === 92) this.escaped = true;
        else if (c === 34) this.quote = false;
        continue;
      }
      if (c === 34) this.quote = true;
      else if (c === 123) {
        RECORD_KEY.lastIndex = i + 1;
        if (RECORD_KEY.test(text)) {
          this.restart(line, [], out);
          from = i;
        } else {
          NON_BLANK.lastIndex = i + 1;
          if (!NON_BLANK.test(text)) this.braceAtEnd = { line, text: text.slice(i) };
          this.depth++;
        }
      } else if (c === 91) this.depth++;
      else if (c === 125 || c === 93) {
        this.depth--;
        if (this.depth === 0) {
          this.parts.push(text.slice(from, i + 1));
          const object = this.parts.join('\n');
          this.parts = [];
          from = -1;
          out.push(this.broken ?? { object, line: this.startLine });
          this.broken = undefined;
        }
      }
    }
    if (this.quote) {
      // A JSON string cannot hold a line break: the line was cut inside one.
      this.quote = false;
      this.escaped = false;
      if (this.depth > 0) this.spoil(recordProblem(line, 'truncated line: a string is not closed'));
    }
    if (this.depth > 0 && from >= 0) this.parts.push(text.slice(from));
  }

  /** Gives up the open object as truncated; a record starts at line `start` with `parts`. */
  private restart(start: number, parts: string[], out: Cut[]): void {
    out.push(this.broken ?? recordProblem(this.startLine, `truncated record: the object opened at line ${this.startLine} is not closed (the next one opens at line ${start})`));
    this.broken = undefined;
    this.parts = parts;
    this.startLine = start;
    this.depth = 1;
    this.quote = false;
  }
}

/** True when the first lines open a JSON array whose first object has `ip` and `ports`. */
export function detectMasscanJson(head: readonly string[]): boolean {
  const opening = head.find((l) => l.trim() !== '')?.replace(/^\ufeff/, '').trimStart();
  if (!opening?.startsWith('[')) return false;
  const cutter = new ObjectCutter();
  const cuts: Cut[] = [];
  for (let i = 0; i < head.length && cuts.length === 0; i++) cutter.feed(head[i]!, i + 1, cuts);
  const first = cuts[0];
  if (first === undefined || !('object' in first)) return false;
  const found = first.object;
  try {
    const o = parseObject(found);
    return o !== null && typeof o === 'object' && !Array.isArray(o) && 'ip' in o && 'ports' in o;
  } catch {
    return false;
  }
}

/** masscan's timestamp: epoch seconds as a string (1.x) or a number; RFC 3339 text is read too. */
function timeOf(v: unknown): number {
  if (typeof v === 'number') return epochNumberToMs(v);
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim())) return epochNumberToMs(Number(v));
  if (typeof v === 'string' && v.trim() !== '') return parseTimeText(v);
  return NaN;
}

/**
 * A line parser for masscan JSON. A record is one object (masscan writes one per port found);
 * each port whose status is `open`, or that carries a service banner (masscan's banner records
 * have no status), yields an observation.
 */
export class MasscanJsonParser {
  readonly format = MASSCAN_JSON_FORMAT;
  private readonly cutter = new ObjectCutter();

  /** What the current line cut, reused from line to line. */
  private readonly cuts: Cut[] = [];

  /** One result per object the line ends (or problem it shows); false when it ends none. */
  parseLine(text: string, line: number, out: ServiceObservation[]): LineResults {
    const cuts = this.cuts;
    cuts.length = 0;
    this.cutter.feed(text, line, cuts);
    if (cuts.length === 0) return false;
    if (cuts.length === 1) return this.result(cuts[0]!, out);
    return cuts.map((c) => this.result(c, out));
  }

  /** A line skipped for its length: it spoils the object it is part of, else it is rejected itself. */
  skipLine(problem: LineProblem): LineResults {
    if (!this.cutter.open) return problem;
    this.cutter.spoil(problem);
    return false;
  }

  private result(cut: Cut, out: ServiceObservation[]): LineResult {
    return 'object' in cut ? this.record(cut.object, cut.line, out) : cut;
  }

  private record(text: string, line: number, out: ServiceObservation[]): LineResult {
    // Old masscan closes the array with `{finished: 1}`: not a record.
    if (/^\{\s*"?finished"?\s*:\s*\d+\s*\}$/.test(text)) return false;
    let o: Record<string, unknown>;
    try {
      o = parseObject(text);
    } catch (err) {
      return jsonLineProblem(line, err as Error, text);
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return recordProblem(line, 'not a JSON object');
    const ip = typeof o.ip === 'string' ? normalizeServiceIp(o.ip) : undefined;
    if (ip === undefined) return fieldProblem(line, o.ip === undefined ? 'missing value' : 'bad address', 'ip', o.ip === undefined ? '' : jsonValueText(o.ip, text));
    const time = timeOf(o.timestamp);
    if (Number.isNaN(time)) return fieldProblem(line, o.timestamp === undefined ? 'missing value' : 'bad time', 'timestamp', o.timestamp === undefined ? '' : jsonValueText(o.timestamp, text));
    if (!Array.isArray(o.ports)) return fieldProblem(line, 'missing value', 'ports', o.ports === undefined ? '' : JSON.stringify(o.ports));
    const found: ServiceObservation[] = [];
    for (const p of o.ports as Record<string, unknown>[]) {
      if (p === null || typeof p !== 'object') return fieldProblem(line, 'missing value', 'ports', JSON.stringify(p));
      const port = typeof p.port === 'number' ? p.port : typeof p.port === 'string' && /^\d+$/.test(p.port) ? Number(p.port) : NaN;
      if (!isPort(port)) return fieldProblem(line, p.port === undefined ? 'missing value' : 'bad number', 'port', p.port === undefined ? '' : jsonValueText(p.port, text));
      const transport = normalizeTransport(typeof p.proto === 'string' ? p.proto : '');
      if (!transport) return fieldProblem(line, p.proto === undefined ? 'missing value' : 'bad protocol', 'proto', p.proto === undefined ? '' : jsonValueText(p.proto, text));
      const service = p.service !== null && typeof p.service === 'object' ? (p.service as Record<string, unknown>) : undefined;
      const status = typeof p.status === 'string' ? p.status : undefined;
      if (status !== 'open' && !(status === undefined && service)) continue;
      const name = typeof service?.name === 'string' ? service.name : '';
      const banner = typeof service?.banner === 'string' ? service.banner : '';
      found.push({ ip, port, transport, source: MASSCAN_SOURCE, service: name, product: '', banner, firstSeen: time, lastSeen: time, count: 1 });
    }
    out.push(...found);
    return true;
  }

  finish(lastLine: number): LineProblem | undefined {
    return this.cutter.open ? this.cutter.unclosed(lastLine) : undefined;
  }
}
