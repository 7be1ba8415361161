// masscan's JSON output (`masscan -oJ`): a JSON array of {ip, timestamp, ports: [{port, proto,
// status, reason, ttl, service?: {name, banner}}]} written one object per line, with the quirks
// of its versions (a comma after every object including the last, a closing `{finished: 1}`,
// unquoted keys). Objects are cut out of the text by brace depth, so pretty-printed arrays read too.

import { epochNumberToMs, parseTimeText } from '../logs/field-parsers.js';
import { fieldProblem, jsonLineProblem, recordProblem, type LineProblem, type LineResult } from '../logs/log-parser.js';
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

/** Cuts top-level objects out of the text of a JSON array fed in pieces. */
class ObjectCutter {
  private depth = 0;
  private quote = false;
  private escaped = false;
  private parts: string[] = [];
  /** Line the object being cut started on. */
  startLine = 0;

  get open(): boolean {
    return this.depth > 0;
  }

  /** Feeds one line; calls `done` with each object's text and first line; returns a problem for stray text. */
  feed(text: string, line: number, done: (object: string, line: number) => void): LineProblem | undefined {
    let from = -1;
    if (this.depth > 0) from = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.depth === 0) {
        // Between objects: the array's brackets, commas and blanks.
        if (c === 123) {
          this.depth = 1;
          this.startLine = line;
          from = i;
        } else if (c !== 91 && c !== 93 && c !== 44 && c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff) {
          return recordProblem(line, `unexpected text between objects: '${text.slice(i, i + 20)}'`);
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
      else if (c === 123 || c === 91) this.depth++;
      else if (c === 125 || c === 93) {
        this.depth--;
        if (this.depth === 0) {
          this.parts.push(text.slice(from, i + 1));
          const object = this.parts.join('\n');
          this.parts = [];
          from = -1;
          done(object, this.startLine);
        }
      }
    }
    if (this.depth > 0 && from >= 0) this.parts.push(text.slice(from));
    return undefined;
  }
}

/** True when the first lines open a JSON array whose first object has `ip` and `ports`. */
export function detectMasscanJson(head: readonly string[]): boolean {
  const first = head.find((l) => l.trim() !== '')?.replace(/^\ufeff/, '').trimStart();
  if (!first?.startsWith('[')) return false;
  const cutter = new ObjectCutter();
  let found: string | undefined;
  for (let i = 0; i < head.length && found === undefined; i++) {
    if (cutter.feed(head[i]!, i + 1, (o) => (found ??= o))) return false;
  }
  if (found === undefined) return false;
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

  parseLine(text: string, line: number, out: ServiceObservation[]): LineResult {
    let result: LineResult = false;
    const stray = this.cutter.feed(text, line, (object, first) => {
      const r = this.record(object, first, out);
      if (typeof r === 'object') {
        if (typeof result !== 'object') result = r;
      } else if (r && result === false) result = true;
    });
    return stray && typeof result !== 'object' ? stray : result;
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
    if (ip === undefined) return fieldProblem(line, o.ip === undefined ? 'missing value' : 'bad address', 'ip', o.ip === undefined ? '' : String(o.ip));
    const time = timeOf(o.timestamp);
    if (Number.isNaN(time)) return fieldProblem(line, o.timestamp === undefined ? 'missing value' : 'bad time', 'timestamp', o.timestamp === undefined ? '' : String(o.timestamp));
    if (!Array.isArray(o.ports)) return fieldProblem(line, 'missing value', 'ports', o.ports === undefined ? '' : JSON.stringify(o.ports));
    const found: ServiceObservation[] = [];
    for (const p of o.ports as Record<string, unknown>[]) {
      if (p === null || typeof p !== 'object') return fieldProblem(line, 'missing value', 'ports', JSON.stringify(p));
      const port = typeof p.port === 'number' ? p.port : typeof p.port === 'string' && /^\d+$/.test(p.port) ? Number(p.port) : NaN;
      if (!isPort(port)) return fieldProblem(line, p.port === undefined ? 'missing value' : 'bad number', 'port', p.port === undefined ? '' : String(p.port));
      const transport = normalizeTransport(typeof p.proto === 'string' ? p.proto : '');
      if (!transport) return fieldProblem(line, p.proto === undefined ? 'missing value' : 'bad protocol', 'proto', p.proto === undefined ? '' : String(p.proto));
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
    return this.cutter.open ? recordProblem(this.cutter.startLine, `truncated file: the object opened at line ${this.cutter.startLine} is not closed (last line ${lastLine})`) : undefined;
  }
}
