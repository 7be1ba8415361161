// Parses query text into the AST: nfdump's filter syntax (see `man nfdump`, FILTER) followed by
// `| stage` pipeline steps. Errors carry the column of the offending token.

import { flowColumn } from '../../core/columns.js';
import { VantageError } from '../../core/errors.js';
import { parseCidr, parseIp, type IpRange } from '../../core/ip.js';
import { protocolNumber } from '../../core/protocols.js';
import { parseDuration } from '../../core/time.js';
import type { Comparator, Direction, FieldRef, Filter, Metric, Query, Stage } from './ast.js';
import { tokenize, type Token } from './lexer.js';

/** Field aliases analysts coming from nfdump and other tools type. */
const FIELD_ALIASES: Record<string, string> = {
  srcip: 'src', dstip: 'dst', sa: 'src', da: 'dst', srcaddr: 'src', dstaddr: 'dst',
  srcport: 'sport', dstport: 'dport', sp: 'sport', dp: 'dport', src_port: 'sport', dst_port: 'dport',
  protocol: 'proto', pr: 'proto', flags: 'tcp_flags', srcas: 'src_as', dstas: 'dst_as',
  router: 'exporter', inif: 'in_if', outif: 'out_if', first: 'start', last: 'end', pkts: 'packets',
};

/** Metrics that aggregation stages add to every row; `sort` may name them too. */
export const METRICS: readonly Metric[] = ['flows', 'packets', 'bytes'];

const COMPARATORS: Record<string, Comparator> = {
  '=': '=', '==': '=', eq: '=', '>': '>', gt: '>', '<': '<', lt: '<', '>=': '>=', ge: '>=', '<=': '<=', le: '<=',
};

// nfdump's scaling factors are decimal (1k = 1000), checked against nfdump 1.7.
const SCALE: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

const FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, C: 128, X: 63 };

/** Resolves a field name or alias to a flow column name, or undefined. */
export function resolveField(name: string): string | undefined {
  const lower = name.toLowerCase();
  const canonical = FIELD_ALIASES[lower] ?? lower;
  return flowColumn(canonical) ? canonical : undefined;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.pos++;
    return t;
  }
  private isWord(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'word' && t.text.toLowerCase() === text;
  }
  private fail(message: string, token: Token = this.peek(), code: 'QUERY_SYNTAX' | 'QUERY_FIELD' | 'QUERY_VALUE' = 'QUERY_SYNTAX'): never {
    throw new VantageError(code, message, { column: token.column, source: this.source });
  }
  private describe(t: Token): string {
    return t.kind === 'end' ? 'end of query' : `'${t.text}'`;
  }
  private expectWord(text: string): Token {
    if (!this.isWord(text)) this.fail(`expected '${text}' but found ${this.describe(this.peek())}`);
    return this.next();
  }
  private expectPunct(text: string): Token {
    const t = this.peek();
    if (t.kind !== 'punct' || t.text !== text) this.fail(`expected '${text}' but found ${this.describe(t)}`);
    return this.next();
  }

  parseQuery(): Query {
    let filter: Filter;
    const first = this.peek();
    if (first.kind === 'end' || (first.kind === 'punct' && first.text === '|')) filter = { type: 'any', column: first.column };
    else filter = this.parseOr();
    const stages: Stage[] = [];
    while (this.peek().kind === 'punct' && this.peek().text === '|') {
      this.next();
      stages.push(this.parseStage());
    }
    const rest = this.peek();
    if (rest.kind !== 'end') {
      this.fail(rest.kind === 'punct' && rest.text === ')' ? "unbalanced ')'" : `unexpected ${this.describe(rest)}: expected 'and', 'or' or '|'`, rest);
    }
    return { filter, stages, source: this.source };
  }

  private parseOr(): Filter {
    let left = this.parseAnd();
    while (this.isWord('or') || (this.peek().kind === 'op' && this.peek().text === '||')) {
      const op = this.next();
      left = { type: 'or', left, right: this.parseAnd(), column: op.column };
    }
    return left;
  }

  private parseAnd(): Filter {
    let left = this.parseNot();
    while (this.isWord('and') || (this.peek().kind === 'op' && this.peek().text === '&&')) {
      const op = this.next();
      left = { type: 'and', left, right: this.parseNot(), column: op.column };
    }
    return left;
  }

  private parseNot(): Filter {
    const t = this.peek();
    if (this.isWord('not') || (t.kind === 'op' && t.text === '!')) {
      this.next();
      return { type: 'not', operand: this.parseNot(), column: t.column };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Filter {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '(') {
      this.next();
      const inner = this.parseOr();
      const close = this.peek();
      if (close.kind !== 'punct' || close.text !== ')') this.fail(`expected ')' to close the '(' at column ${t.column}, found ${this.describe(close)}`, close);
      this.next();
      return inner;
    }
    if (t.kind !== 'word') this.fail(`expected a filter such as 'ip', 'port', 'proto' or 'any' but found ${this.describe(t)}`);
    return this.parsePrimitive();
  }

  private parsePrimitive(): Filter {
    const start = this.peek();
    const column = start.column;
    let dir: Direction = 'any';
    if (this.isWord('src') || this.isWord('dst')) {
      dir = this.next().text.toLowerCase() as Direction;
      // nfdump also accepts `src or dst` / `src and dst` before a primitive as "either".
      if ((this.isWord('or') || this.isWord('and')) && (this.isWord('src', 1) || this.isWord('dst', 1))) {
        this.next();
        this.next();
        dir = 'any';
      }
    }
    let io: 'in' | 'out' | undefined;
    if (dir === 'any' && (this.isWord('in') || this.isWord('out')) && !this.isWord('[', 1)) {
      io = this.next().text.toLowerCase() as 'in' | 'out';
    }
    const kw = this.next();
    const word = kw.text.toLowerCase();
    const sides = (base: string[]): string[] => (dir === 'src' ? [base[0]!] : dir === 'dst' ? [base[1]!] : base);
    const directional = ['ip', 'host', 'net', 'port', 'as', 'vlan', 'country', 'geo'];
    if (dir !== 'any' && !directional.includes(word)) this.fail(`'${start.text}' cannot qualify '${kw.text}'`, kw);
    if (io && !['if', 'packets', 'bytes'].includes(word)) this.fail(`'${io}' cannot qualify '${kw.text}'`, kw);

    switch (word) {
      case 'any':
        return { type: 'any', column };
      case 'ipv4':
      case 'inet':
        return { type: 'family', family: 4, column };
      case 'ipv6':
      case 'inet6':
        return { type: 'family', family: 6, column };
      case 'ip':
      case 'host': {
        if (this.isWord('in')) {
          this.next();
          return { type: 'ip', field: 'addr', dir, ranges: this.parseList((tok) => this.addressOrNetwork(tok)), column };
        }
        return { type: 'ip', field: 'addr', dir, ranges: [this.address(this.next())], column };
      }
      case 'net': {
        const tok = this.next();
        let mask: string | undefined;
        if (!tok.text.includes('/') && this.peek().kind === 'word' && /^\d+\.\d+\.\d+\.\d+$/.test(this.peek().text)) mask = this.next().text;
        const range = tok.kind === 'word' ? parseCidr(tok.text, mask) : undefined;
        if (!range) this.fail(`'${tok.text}' is not a network: use CIDR such as 10.0.0.0/8 or 2001:db8::/32`, tok, 'QUERY_VALUE');
        return { type: 'ip', field: 'addr', dir, ranges: [range], column };
      }
      case 'router':
      case 'next': {
        this.expectWord('ip');
        return { type: 'ip', field: word === 'router' ? 'exporter' : 'next_hop', dir: 'any', ranges: [this.address(this.next())], column };
      }
      case 'port':
        return this.numericPrimitive(sides(['sport', 'dport']), column, 65535);
      case 'as':
        return this.numericPrimitive(sides(['src_as', 'dst_as']), column, 4294967295);
      case 'vlan':
        return this.numericPrimitive(sides(['src_vlan', 'dst_vlan']), column, 4095);
      case 'if':
        return this.numericPrimitive(io === 'in' ? ['in_if'] : io === 'out' ? ['out_if'] : ['in_if', 'out_if'], column, 4294967295);
      case 'tos':
        return this.numericPrimitive(['tos'], column, 255);
      case 'packets':
      case 'bytes': {
        if (io === 'out') this.fail(`'out ${word}' needs bidirectional records, which this store does not keep`, start, 'QUERY_FIELD');
        return this.numericPrimitive([word], column, Number.MAX_SAFE_INTEGER, true);
      }
      case 'icmp-type':
      case 'icmp-code': {
        const cmp = this.numericPrimitive([word === 'icmp-type' ? 'icmp_type' : 'icmp_code'], column, 255);
        // nfdump: an ICMP field test implies an ICMP protocol.
        const icmp: Filter = { type: 'in', fields: ['proto'], values: [1, 58], column };
        return { type: 'and', left: icmp, right: cmp, column };
      }
      case 'proto': {
        const tok = this.next();
        const n = tok.kind === 'word' ? protocolNumber(tok.text) : -1;
        if (n < 0) this.fail(`unknown protocol ${this.describe(tok)}: use a name such as tcp, udp, icmp or a number 0-255`, tok, 'QUERY_VALUE');
        return { type: 'compare', fields: ['proto'], op: '=', value: n, column };
      }
      case 'flags': {
        const tok = this.next();
        let mask = 0;
        if (tok.kind !== 'word' || tok.text.length === 0) this.fail('expected TCP flags such as S, SA or AFRPU', tok, 'QUERY_VALUE');
        for (let i = 0; i < tok.text.length; i++) {
          const bit = FLAG_BITS[tok.text[i]!.toUpperCase()];
          if (bit === undefined) {
            throw new VantageError('QUERY_VALUE', `unknown TCP flag '${tok.text[i]}': use A S F R P U E C or X`, { column: tok.column + i, source: this.source });
          }
          mask |= bit;
        }
        return { type: 'flags', mask, column };
      }
      case 'flowdir': {
        const tok = this.next();
        const v = { ingress: 0, egress: 1, '0': 0, '1': 1 }[tok.text.toLowerCase()];
        if (v === undefined) this.fail(`flow direction must be ingress, egress, 0 or 1, not ${this.describe(tok)}`, tok, 'QUERY_VALUE');
        return { type: 'compare', fields: ['direction'], op: '=', value: v, column };
      }
      case 'duration':
      case 'pps':
      case 'bps':
      case 'bpp': {
        const op = this.comparator();
        const value = this.number(this.next(), Number.MAX_SAFE_INTEGER, word !== 'duration');
        return { type: 'derived', measure: word, op, value, column };
      }
      case 'country':
      case 'geo': {
        const tok = this.next();
        if (tok.kind !== 'word' || !/^[A-Za-z]{2}$/.test(tok.text)) this.fail('expected a 2-letter country code', tok, 'QUERY_VALUE');
        return { type: 'text', fields: sides(['src_country', 'dst_country']), value: tok.text.toUpperCase(), column };
      }
      case 'tag': {
        const tok = this.next();
        if (tok.kind !== 'word' && tok.kind !== 'string') this.fail('expected a tag name', tok, 'QUERY_VALUE');
        return { type: 'tag', value: tok.text, column };
      }
      default:
        return this.fail(`unknown filter ${this.describe(kw)}: expected ip, net, port, proto, flags, bytes, packets, as, if, any...`, kw);
    }
  }

  private address(tok: Token): IpRange {
    const ip = tok.kind === 'word' ? parseIp(tok.text) : undefined;
    if (ip === undefined) {
      if (tok.kind === 'word' && tok.text.includes('/')) this.fail(`'${tok.text}' is a network: use 'net ${tok.text}'`, tok, 'QUERY_VALUE');
      this.fail(`${this.describe(tok)} is not an IP address`, tok, 'QUERY_VALUE');
    }
    return typeof ip === 'number' ? { family: 4, first: ip, last: ip } : { family: 6, first: ip, last: ip };
  }

  private addressOrNetwork(tok: Token): IpRange {
    if (tok.kind === 'word' && tok.text.includes('/')) {
      const range = parseCidr(tok.text);
      if (!range) this.fail(`'${tok.text}' is not a network`, tok, 'QUERY_VALUE');
      return range;
    }
    return this.address(tok);
  }

  private parseList<T>(item: (tok: Token) => T): T[] {
    this.expectPunct('[');
    const items: T[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'punct' && t.text === ']') break;
      if (t.kind === 'punct' && t.text === ',') {
        this.next();
        continue;
      }
      if (t.kind === 'end') this.fail("expected ']' to close the list");
      items.push(item(this.next()));
    }
    const close = this.next();
    if (items.length === 0) this.fail('empty list', close, 'QUERY_VALUE');
    return items;
  }

  private comparator(): Comparator {
    const t = this.peek();
    if (t.kind === 'op' && t.text === '!=') this.fail("nfdump has no '!=': write 'not port 80'", t);
    const op = (t.kind === 'op' || t.kind === 'word') ? COMPARATORS[t.text.toLowerCase()] : undefined;
    if (op) {
      this.next();
      return op;
    }
    return '=';
  }

  private number(tok: Token, max: number, scaled = false): number {
    const m = tok.kind === 'word' ? /^(\d+)([kmgtKMGT])?$/.exec(tok.text) : null;
    if (!m || (m[2] && !scaled)) this.fail(`expected a number but found ${this.describe(tok)}`, tok, 'QUERY_VALUE');
    const value = Number(m[1]) * (m[2] ? SCALE[m[2].toLowerCase()]! : 1);
    if (value > max) this.fail(`${tok.text} is out of range (at most ${max})`, tok, 'QUERY_VALUE');
    return value;
  }

  private numericPrimitive(fields: string[], column: number, max: number, scaled = false): Filter {
    if (this.isWord('in') && this.peek(1).kind === 'punct' && this.peek(1).text === '[') {
      this.next();
      return { type: 'in', fields, values: this.parseList((tok) => this.number(tok, max, scaled)), column };
    }
    const op = this.comparator();
    return { type: 'compare', fields, op, value: this.number(this.next(), max, scaled), column };
  }

  // ---- pipeline stages ----

  private field(tok: Token): FieldRef {
    const name = tok.kind === 'word' ? resolveField(tok.text) : undefined;
    if (!name) this.fail(`unknown field ${this.describe(tok)}`, tok, 'QUERY_FIELD');
    return { name, column: tok.column };
  }

  /** A column, or a name that aggregation stages produce (flows, time, distinct_dst...). */
  private outputField(tok: Token): FieldRef {
    const lower = tok.text.toLowerCase();
    if (tok.kind === 'word' && (METRICS.includes(lower as Metric) || lower === 'time' || lower.startsWith('distinct_'))) {
      return { name: lower, column: tok.column };
    }
    return this.field(tok);
  }

  private fieldList(read: (tok: Token) => FieldRef = (tok) => this.field(tok)): FieldRef[] {
    const fields = [read(this.next())];
    while (this.peek().kind === 'punct' && this.peek().text === ',') {
      this.next();
      fields.push(read(this.next()));
    }
    return fields;
  }

  private positive(tok: Token): number {
    if (tok.kind !== 'word' || !/^\d+$/.test(tok.text) || Number(tok.text) < 1) this.fail(`expected a positive number but found ${this.describe(tok)}`, tok, 'QUERY_VALUE');
    return Number(tok.text);
  }

  private parseStage(): Stage {
    const kw = this.next();
    const column = kw.column;
    switch (kw.kind === 'word' ? kw.text.toLowerCase() : '') {
      case 'count': {
        if (this.isWord('distinct')) {
          this.next();
          const field = this.field(this.next());
          const by = this.isWord('by') ? (this.next(), this.fieldList()) : [];
          return { type: 'count-distinct', field, by, column };
        }
        const by = this.isWord('by') ? (this.next(), this.fieldList()) : [];
        return { type: 'count', by, column };
      }
      case 'top': {
        const n = this.positive(this.next());
        const field = this.field(this.next());
        let metric: Metric = 'flows';
        if (this.isWord('by')) {
          this.next();
          const m = this.next();
          if (!METRICS.includes(m.text.toLowerCase() as Metric)) this.fail(`'top' ranks by flows, packets or bytes, not ${this.describe(m)}`, m, 'QUERY_FIELD');
          metric = m.text.toLowerCase() as Metric;
        }
        return { type: 'top', n, field, metric, column };
      }
      case 'timeline': {
        const tok = this.next();
        const intervalMs = tok.kind === 'word' ? parseDuration(tok.text) : undefined;
        if (!intervalMs) this.fail(`expected an interval such as 5m, 1h or 1d but found ${this.describe(tok)}`, tok, 'QUERY_VALUE');
        return { type: 'timeline', intervalMs, column };
      }
      case 'sort': {
        const field = this.outputField(this.next());
        let descending = false;
        if (this.isWord('desc') || this.isWord('asc')) descending = this.next().text.toLowerCase() === 'desc';
        return { type: 'sort', field, descending, column };
      }
      case 'limit':
        return { type: 'limit', n: this.positive(this.next()), column };
      case 'fields':
        return { type: 'fields', fields: this.fieldList((tok) => this.outputField(tok)), column };
      default:
        return this.fail(`unknown stage ${this.describe(kw)}: expected count, top, timeline, sort, limit or fields`, kw);
    }
  }
}

/** Parses a query; throws VantageError(QUERY_*) with the column of the problem. */
export function parseQuery(source: string): Query {
  return new Parser(tokenize(source), source).parseQuery();
}
