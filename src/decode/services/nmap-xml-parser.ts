// nmap's XML output (`nmap -oX`), read line by line through a conforming XML tokenizer (saxes),
// yielding one observation per address and open port of each <host>, timed by the host's
// starttime/endtime or else the scan's start. Malformed XML costs the <host> it is in, never the
// hosts after it: reading starts again with a fresh tokenizer at the next line opening a <host>.

import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { epochNumberToMs } from '../logs/field-parsers.js';
import { fieldProblem, formatProblem, recordProblem, type LineProblem, type LineResult, type LineResults } from '../logs/log-parser.js';
import { isPort, normalizeServiceIp, normalizeTransport, type ServiceObservation, type ServiceTransport } from './service-observation.js';

/** The format name imports report for nmap XML. */
export const NMAP_XML_FORMAT = 'nmap-xml';

/** The source services from nmap are stored under. */
export const NMAP_SOURCE = 'nmap';

/** True when the first lines hold the `<nmaprun` root element. */
export function detectNmapXml(head: readonly string[]): boolean {
  return head.some((l) => l.includes('<nmaprun'));
}

/** nmap starts every <host> on a line of its own: where reading resumes after malformed XML. */
const HOST_LINE = /^\s*<host[\s>]/;

/** A character or entity reference: anything else after `&` is not XML. */
const ENTITY_REF = /&(?:#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z_:][\w.:-]*);/y;

/** The root a fresh tokenizer is primed with, on its line 1 before the file's text. */
const PRIMED_ROOT = '<nmaprun>';

/**
 * The tokenizer's reason without the position it prefixes (the file's line is given apart),
 * and the text where it stopped, when that is on `text` (the line being read).
 */
function xmlReason(err: Error, text: string, primed: boolean): string {
  const at = /^(?:[^:]*:)?(\d+):(\d+): /.exec(err.message);
  const reason = err.message.slice(at ? at[0].length : 0).replace(/\.$/, '');
  if (!at) return reason;
  // saxes counts lines from 1 and columns from 1, on the character it stopped at.
  const column = Number(at[2]) - (primed && at[1] === '1' ? PRIMED_ROOT.length : 0);
  const near = column >= 1 ? text.slice(column - 1, column + 29).trimEnd() : '';
  return near === '' ? reason : `${reason} at '${near}'`;
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
 * observations (`open|filtered` says nmap could not tell). Malformed XML rejects the <host> it
 * is found in (reported on the line where the tokenizer found it); a file whose XML is malformed
 * before the <nmaprun> root, or whose root is another element, is not nmap XML (IMPORT_FORMAT).
 */
export class NmapXmlParser {
  readonly format = NMAP_XML_FORMAT;
  private xml: SaxesParser;
  /** The file line that is the tokenizer's line 1: a fresh one starts at a <host> line. */
  private base = 1;
  /** The line being fed, its number, and what it gives. */
  private text = '';
  private line = 0;
  private results: LineResult[] = [];
  private out: ServiceObservation[] = [];
  /** Line of the start tag being read (tags can span lines). */
  private tagLine = 0;
  private rootSeen = false;
  /** Not nmap XML: reported once, nothing more is read. */
  private refused = false;
  /** The tokenizer found malformed XML: its events are ignored until a fresh one takes over. */
  private broken = false;
  /** While true, lines are skipped until one opens a <host>. */
  private resync = false;
  /** Set while a fresh tokenizer is given the root it would otherwise miss, and once it was. */
  private priming = false;
  private primed = false;
  /** The line a comment still open was opened on (0: none); a comment can hold `&` freely. */
  private commentLine = 0;
  private lastText = '';
  private lastTextLine = 0;
  private scanStart = NaN;
  private host: OpenHost | undefined;

  constructor() {
    this.xml = this.tokenizer();
  }

  parseLine(text: string, line: number, out: ServiceObservation[]): LineResults {
    if (this.refused) return false;
    this.results.length = 0;
    this.out = out;
    this.text = text;
    this.line = line;
    if (this.resync) {
      if (!HOST_LINE.test(text)) return false;
      this.restart(line);
    }
    this.feed(text);
    // Malformed XML found on a line that opens a <host>: that host is read afresh from here.
    if (this.broken && !this.refused && this.base !== line && HOST_LINE.test(text)) {
      this.restart(line);
      this.feed(text);
    }
    if (text.trim() !== '') {
      this.lastText = text.trimEnd();
      this.lastTextLine = line;
    }
    const r = this.results;
    return r.length === 0 ? false : r.length === 1 ? r[0]! : [...r];
  }

  /** A line skipped for its length: the open host is lost with it, and the XML resumes at the next <host>. */
  skipLine(problem: LineProblem): LineResults {
    if (this.refused) return false;
    const host = this.host;
    this.host = undefined;
    this.broken = true;
    this.resync = true;
    return host?.bad ? false : problem;
  }

  finish(lastLine: number): LineProblem | undefined {
    if (this.refused) return undefined;
    if (!this.rootSeen && !this.broken) return formatProblem(lastLine, 'not nmap XML: no <nmaprun> element');
    if (this.commentLine > 0 && !this.resync) return recordProblem(this.commentLine, `malformed XML: the comment opened at line ${this.commentLine} is not closed: the ${lastLine - this.commentLine} lines after it were read as comment`);
    if (this.host && !this.host.bad) return recordProblem(lastLine, `truncated file: the <host> opened at line ${this.host.line} is not closed`);
    if (!this.resync && this.lastText !== '' && !this.lastText.endsWith('>')) return recordProblem(this.lastTextLine, 'truncated file: a tag is not closed');
    return undefined;
  }

  /**
   * Writes a line to the tokenizer. saxes reads an entity name up to its `;`, so a bare `&`
   * would swallow the text after it, hosts and lines included, until some `;`: it is found here
   * first (entity names never span lines) and is malformed XML at once.
   */
  private feed(text: string): void {
    const amp = this.bareAmpersand(text);
    if (amp < 0) {
      this.xml.write(`${text}\n`);
      return;
    }
    this.xml.write(text.slice(0, amp));
    this.malformed(new Error(`'&' that starts no entity reference at '${text.slice(amp, amp + 30).trimEnd()}'`));
  }

  /** Where `text` has an `&` outside comments that is not `&name;` or `&#n;`, or -1. */
  private bareAmpersand(text: string): number {
    let i = 0;
    for (;;) {
      if (this.commentLine > 0) {
        const end = text.indexOf('-->', i);
        if (end < 0) return -1;
        this.commentLine = 0;
        i = end + 3;
      }
      const amp = text.indexOf('&', i);
      const comment = text.indexOf('<!--', i);
      if (comment >= 0 && (amp < 0 || comment < amp)) {
        this.commentLine = this.line;
        i = comment + 4;
        continue;
      }
      if (amp < 0) return -1;
      ENTITY_REF.lastIndex = amp;
      if (!ENTITY_REF.test(text)) return amp;
      i = amp + 1;
    }
  }

  /** A tokenizer whose events feed this parser. */
  private tokenizer(): SaxesParser {
    const xml = new SaxesParser();
    xml.on('opentagstart', () => {
      this.tagLine = this.base + xml.line - 1;
    });
    xml.on('opentag', (tag) => {
      if (!this.broken && !this.priming) this.note(this.openTag(tag, this.tagLine));
    });
    xml.on('closetag', (tag) => {
      if (!this.broken && !this.priming) this.note(this.endTag(tag.name));
    });
    xml.on('error', (err) => this.malformed(err));
    return xml;
  }

  /** A fresh tokenizer from `line` on, inside the root the file opened. */
  private restart(line: number): void {
    this.xml = this.tokenizer();
    this.base = line;
    this.commentLine = 0;
    this.broken = false;
    this.resync = false;
    this.priming = true;
    this.primed = true;
    this.xml.write(PRIMED_ROOT);
    this.priming = false;
  }

  private note(r: LineResult): void {
    if (r !== false) this.results.push(r);
  }

  /** The first well-formedness error of a tokenizer: drops the host it is in, then resynchronizes. */
  private malformed(err: Error): void {
    if (this.broken || this.priming) return;
    this.broken = true;
    this.resync = true;
    const what = `malformed XML: ${xmlReason(err, this.text, this.primed)}`;
    if (!this.rootSeen) {
      this.refused = true;
      this.results.push(formatProblem(this.line, `not nmap XML: ${what}`));
      return;
    }
    const host = this.host;
    this.host = undefined;
    // A line that opens a <host> is read again by a fresh tokenizer, which finds again what is
    // wrong in it: only a host opened on an earlier line is lost for good here.
    const again = this.base !== this.line && HOST_LINE.test(this.text);
    if (host && !host.bad && !(again && host.line === this.line)) {
      this.results.push(recordProblem(this.line, `${what} (the <host> opened at line ${host.line} is dropped)`));
    } else if (!host && !again) {
      this.results.push(recordProblem(this.line, what));
    }
  }

  private openTag(tag: SaxesTagPlain, line: number): LineResult {
    const a = tag.attributes;
    const host = this.host;
    if (!this.rootSeen) {
      this.rootSeen = true;
      if (tag.name !== 'nmaprun') {
        this.refused = true;
        return formatProblem(line, `not nmap XML: the root element is <${tag.name}>, not <nmaprun>`);
      }
      this.scanStart = epochNumberToMs(Number(a.start ?? NaN));
      return false;
    }
    switch (tag.name) {
      case 'host': {
        if (host) {
          // nmap closes every <host>: one opening inside another means the other was cut short,
          // and the tokenizer's nesting is off by one, so a fresh one reads on from this line.
          this.host = undefined;
          this.broken = true;
          this.resync = true;
          return host.bad ? false : recordProblem(host.line, `truncated record: the <host> opened at line ${host.line} is not closed before the next <host> at line ${line}`);
        }
        const start = a.starttime !== undefined ? epochNumberToMs(Number(a.starttime)) : this.scanStart;
        const end = a.endtime !== undefined ? epochNumberToMs(Number(a.endtime)) : start;
        this.host = { line, start, end: Number.isNaN(end) || end < start ? start : end, addresses: [], ports: [], bad: false };
        if (Number.isNaN(start)) return this.fail(a.starttime !== undefined ? fieldProblem(line, 'bad time', 'starttime', a.starttime) : recordProblem(line, 'no time: the host has no starttime and the scan no start'));
        return false;
      }
      case 'address': {
        if (!host || host.bad) return false;
        const type = a.addrtype ?? 'ipv4';
        if (type !== 'ipv4' && type !== 'ipv6') return false;
        const ip = normalizeServiceIp(a.addr ?? '');
        if (ip === undefined) return this.fail(fieldProblem(line, 'bad address', 'addr', a.addr ?? ''));
        host.addresses.push(ip);
        return false;
      }
      case 'port': {
        if (!host || host.bad) return false;
        host.port = { line, protocol: a.protocol ?? '', portid: a.portid ?? '', state: '', service: '', product: '' };
        return false;
      }
      case 'state': {
        if (host?.port) host.port.state = a.state ?? '';
        return false;
      }
      case 'service': {
        if (!host?.port) return false;
        const name = a.name ?? '';
        const tunnel = a.tunnel ?? '';
        host.port.service = tunnel !== '' && name !== '' ? `${tunnel}/${name}` : name;
        const extra = a.extrainfo ?? '';
        host.port.product = [a.product ?? '', a.version ?? '', extra === '' ? '' : `(${extra})`].filter((x) => x !== '').join(' ');
        return false;
      }
      default:
        return false;
    }
  }

  private endTag(name: string): LineResult {
    const host = this.host;
    const out = this.out;
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
}
