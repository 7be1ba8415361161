// nmap's XML output (`nmap -oX`): a small tag scanner fed line by line (the files can be large and
// are machine-written, well-formed XML), yielding one observation per address and open port of
// each <host>, timed by the host's starttime/endtime or else the scan's start.

import { epochNumberToMs } from '../logs/field-parsers.js';
import { fieldProblem, recordProblem, type LineProblem, type LineResult } from '../logs/log-parser.js';
import { isPort, normalizeServiceIp, normalizeTransport, type ServiceObservation, type ServiceTransport } from './service-observation.js';

/** The format name imports report for nmap XML. */
export const NMAP_XML_FORMAT = 'nmap-xml';

/** The source services from nmap are stored under. */
export const NMAP_SOURCE = 'nmap';

/** True when the first lines hold the `<nmaprun` root element. */
export function detectNmapXml(head: readonly string[]): boolean {
  return head.some((l) => l.includes('<nmaprun'));
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Attribute text with XML's predefined and numeric character references resolved. */
function unescapeXml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return ENTITIES[ref] ?? whole;
  });
}

function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) out.set(m[1]!, unescapeXml(m[2] ?? m[3] ?? ''));
  return out;
}

/** The index of the `>` closing the tag that opens at `from`, skipping quoted values; -1 if not on this text. */
function tagEnd(text: string, from: number): number {
  let quote = 0;
  for (let i = from + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) quote = c;
    else if (c === 62) return i;
  }
  return -1;
}

interface OpenPort {
  readonly line: number;
  readonly protocol: string;
  readonly portid: string;
  state: string;
  service: string;
  product: string;
}

interface OpenHost {
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly addresses: string[];
  readonly ports: { port: number; transport: ServiceTransport; service: string; product: string }[];
  /** Set once a problem was reported for the host: it is dropped, and counted once. */
  bad: boolean;
  port?: OpenPort;
}

/**
 * A line parser for nmap XML. A record is a <host>; only ports whose state is `open` yield
 * observations (`open|filtered` says nmap could not tell). A line ending one or more hosts
 * counts as one record read.
 */
export class NmapXmlParser {
  readonly format = NMAP_XML_FORMAT;
  /** A tag or comment cut by a line end, carried to the next line. */
  private carry = '';
  private carryLine = 0;
  private inComment = false;
  private scanStart = NaN;
  private host: OpenHost | undefined;

  parseLine(text: string, line: number, out: ServiceObservation[]): LineResult {
    let result: LineResult = false;
    const note = (r: LineResult): void => {
      if (typeof r === 'object') {
        if (typeof result !== 'object') result = r;
      } else if (r && result === false) result = true;
    };
    let s = text;
    let tagLine = line;
    if (this.carry !== '') {
      s = `${this.carry}\n${text}`;
      tagLine = this.carryLine;
      this.carry = '';
    }
    let at = 0;
    while (at < s.length) {
      if (this.inComment) {
        const close = s.indexOf('-->', at);
        if (close < 0) return result;
        this.inComment = false;
        at = close + 3;
        continue;
      }
      const open = s.indexOf('<', at);
      if (open < 0) break;
      if (s.startsWith('<!--', open)) {
        this.inComment = true;
        at = open + 4;
        continue;
      }
      const close = tagEnd(s, open);
      if (close < 0) {
        this.carry = s.slice(open);
        this.carryLine = open < s.length - text.length ? tagLine : line;
        return result;
      }
      // A tag carried over starts on an earlier line; one found in this line's text is on it.
      const where = open < s.length - text.length ? tagLine : line;
      note(this.tag(s.slice(open + 1, close), where, out));
      at = close + 1;
    }
    return result;
  }

  private tag(body: string, line: number, out: ServiceObservation[]): LineResult {
    if (body.startsWith('?') || body.startsWith('!')) return false;
    if (body.startsWith('/')) return this.endTag(body.slice(1).trim(), line, out);
    const name = /^[\w:.-]+/.exec(body)?.[0] ?? '';
    const selfClosing = body.endsWith('/');
    const host = this.host;
    switch (name) {
      case 'nmaprun': {
        this.scanStart = epochNumberToMs(Number(attributes(body).get('start') ?? NaN));
        return false;
      }
      case 'host': {
        const a = attributes(body);
        const start = a.has('starttime') ? epochNumberToMs(Number(a.get('starttime'))) : this.scanStart;
        const end = a.has('endtime') ? epochNumberToMs(Number(a.get('endtime'))) : start;
        this.host = { line, start, end: Number.isNaN(end) || end < start ? start : end, addresses: [], ports: [], bad: false };
        if (Number.isNaN(start)) return this.fail(a.has('starttime') ? fieldProblem(line, 'bad time', 'starttime', a.get('starttime')!) : recordProblem(line, 'no time: the host has no starttime and the scan no start'));
        return selfClosing ? this.endTag('host', line, out) : false;
      }
      case 'address': {
        if (!host || host.bad) return false;
        const a = attributes(body);
        const type = a.get('addrtype') ?? 'ipv4';
        if (type !== 'ipv4' && type !== 'ipv6') return false;
        const ip = normalizeServiceIp(a.get('addr') ?? '');
        if (ip === undefined) return this.fail(fieldProblem(line, 'bad address', 'addr', a.get('addr') ?? ''));
        host.addresses.push(ip);
        return false;
      }
      case 'port': {
        if (!host || host.bad) return false;
        const a = attributes(body);
        host.port = { line, protocol: a.get('protocol') ?? '', portid: a.get('portid') ?? '', state: '', service: '', product: '' };
        return selfClosing ? this.endTag('port', line, out) : false;
      }
      case 'state': {
        if (host?.port) host.port.state = attributes(body).get('state') ?? '';
        return false;
      }
      case 'service': {
        if (!host?.port) return false;
        const a = attributes(body);
        const name = a.get('name') ?? '';
        const tunnel = a.get('tunnel') ?? '';
        host.port.service = tunnel !== '' && name !== '' ? `${tunnel}/${name}` : name;
        const extra = a.get('extrainfo') ?? '';
        host.port.product = [a.get('product') ?? '', a.get('version') ?? '', extra === '' ? '' : `(${extra})`].filter((x) => x !== '').join(' ');
        return false;
      }
      default:
        return false;
    }
  }

  private endTag(name: string, line: number, out: ServiceObservation[]): LineResult {
    const host = this.host;
    if (name === 'port' && host?.port) {
      const p = host.port;
      host.port = undefined;
      if (host.bad || p.state !== 'open') return false;
      const transport = normalizeTransport(p.protocol);
      if (!transport) return this.fail(p.protocol === '' ? fieldProblem(p.line, 'missing value', 'protocol', '') : fieldProblem(p.line, 'bad protocol', 'protocol', p.protocol));
      const port = /^\d+$/.test(p.portid) ? Number(p.portid) : NaN;
      if (!isPort(port)) return this.fail(p.portid === '' ? fieldProblem(p.line, 'missing value', 'portid', '') : fieldProblem(p.line, 'bad number', 'portid', p.portid));
      host.ports.push({ port, transport, service: p.service, product: p.product });
      return false;
    }
    if (name !== 'host' || !host) return false;
    this.host = undefined;
    if (host.bad) return false;
    if (host.ports.length > 0 && host.addresses.length === 0) return recordProblem(host.line, 'the host has open ports but no IPv4 or IPv6 <address>');
    for (const ip of host.addresses) {
      for (const p of host.ports) {
        out.push({ ip, port: p.port, transport: p.transport, source: NMAP_SOURCE, service: p.service, product: p.product, banner: '', firstSeen: host.start, lastSeen: host.end, count: 1 });
      }
    }
    return true;
  }

  /** Marks the open host bad (its problem is reported once, on this line). */
  private fail(problem: LineProblem): LineProblem {
    if (this.host) this.host.bad = true;
    return problem;
  }

  finish(lastLine: number): LineProblem | undefined {
    if (this.host && !this.host.bad) return recordProblem(lastLine, `truncated file: the <host> opened at line ${this.host.line} is not closed`);
    if (this.carry !== '') return recordProblem(this.carryLine, 'truncated file: a tag is not closed');
    return undefined;
  }
}
