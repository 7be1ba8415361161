// STIX 2.1 patterning, read far enough to find what flows can match: a small parser for the
// whole grammar (observation and comparison AND/OR, FOLLOWEDBY, qualifiers, IN lists, NOT),
// turned into alternatives of matchable values plus the conditions that cannot be checked.

import { parseValue, type IndicatorType, type ParsedValue } from '../indicator.js';

/** One comparison of an object path with literal(s). */
interface Comparison {
  readonly kind: 'cmp';
  readonly path: string;
  readonly op: string;
  readonly negated: boolean;
  readonly values: readonly string[];
  readonly text: string;
}
type Node = Comparison | { readonly kind: 'and' | 'or'; readonly left: Node; readonly right: Node };

/** What a pattern yields: sets of values each of which identifies a match, and what was left out. */
export interface PatternTerms {
  /** Matchable values (each one an indicator), with the port a network-traffic test pins. */
  readonly values: { readonly value: ParsedValue; readonly port?: number }[];
  /** Conditions that narrow the pattern but cannot be checked on flows (reported, kept in attrs). */
  readonly unmatched: readonly string[];
}

/** A pattern Vantage cannot read at all. */
export class StixPatternError extends Error {}

const TOKEN = /\s*(?:(\[|\]|\(|\)|,)|(!=|<=|>=|=|<|>)|([thb]?'(?:[^'\\]|\\.)*')|(-?\d+(?:\.\d+)?)|([A-Za-z0-9_\-]+(?::[A-Za-z0-9_\-.'\[\]*]+)?))/y;

function tokenize(pattern: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < pattern.length) {
    if (/^\s*$/.test(pattern.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(pattern);
    if (!m) throw new StixPatternError(`cannot read pattern at '${pattern.slice(at, at + 20)}'`);
    tokens.push((m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5])!);
    at = TOKEN.lastIndex;
  }
  return tokens;
}

class PatternParser {
  private i = 0;
  constructor(private readonly tokens: string[]) {}

  private peek(): string | undefined {
    return this.tokens[this.i];
  }
  private next(): string {
    const t = this.tokens[this.i++];
    if (t === undefined) throw new StixPatternError('pattern ends too soon');
    return t;
  }
  private expect(t: string): void {
    const got = this.next();
    if (got !== t) throw new StixPatternError(`expected '${t}', got '${got}'`);
  }
  private keyword(...words: string[]): string | undefined {
    const t = this.peek();
    if (t !== undefined && words.includes(t.toUpperCase())) {
      this.i++;
      return t.toUpperCase();
    }
    return undefined;
  }

  parse(): { node: Node; qualifiers: string[] } {
    const qualifiers: string[] = [];
    const node = this.observations(qualifiers);
    if (this.peek() !== undefined) throw new StixPatternError(`unexpected '${this.peek()}'`);
    return { node, qualifiers };
  }

  // Observation expressions: FOLLOWEDBY and AND both need every part observed; OR needs one.
  private observations(q: string[]): Node {
    let left = this.observationAnd(q);
    while (this.keyword('OR')) left = { kind: 'or', left, right: this.observationAnd(q) };
    return left;
  }
  private observationAnd(q: string[]): Node {
    let left = this.observation(q);
    for (;;) {
      const k = this.keyword('AND', 'FOLLOWEDBY');
      if (!k) return left;
      if (k === 'FOLLOWEDBY') q.push('FOLLOWEDBY (order of observations)');
      left = { kind: 'and', left, right: this.observation(q) };
    }
  }
  private observation(q: string[]): Node {
    let node: Node;
    if (this.peek() === '[') {
      this.next();
      node = this.comparisons();
      this.expect(']');
    } else if (this.peek() === '(') {
      this.next();
      node = this.observations(q);
      this.expect(')');
    } else throw new StixPatternError(`expected '[' or '(', got '${this.peek() ?? 'end'}'`);
    for (;;) {
      const k = this.keyword('WITHIN', 'REPEATS', 'START');
      if (!k) return node;
      if (k === 'WITHIN') q.push(`WITHIN ${this.next()} ${this.next()}`);
      else if (k === 'REPEATS') q.push(`REPEATS ${this.next()} ${this.next()}`);
      else {
        const start = this.next();
        if (!this.keyword('STOP')) throw new StixPatternError('START without STOP');
        q.push(`START ${start} STOP ${this.next()}`);
      }
    }
  }
  private comparisons(): Node {
    let left = this.comparisonAnd();
    while (this.keyword('OR')) left = { kind: 'or', left, right: this.comparisonAnd() };
    return left;
  }
  private comparisonAnd(): Node {
    let left = this.test();
    while (this.keyword('AND')) left = { kind: 'and', left, right: this.test() };
    return left;
  }
  private test(): Node {
    if (this.peek() === '(') {
      this.next();
      const node = this.comparisons();
      this.expect(')');
      return node;
    }
    const start = this.i;
    let negated = !!this.keyword('NOT');
    if (this.keyword('EXISTS')) {
      const path = this.next();
      return { kind: 'cmp', path, op: 'EXISTS', negated, values: [], text: this.tokens.slice(start, this.i).join(' ') };
    }
    const path = this.next();
    if (!path.includes(':')) throw new StixPatternError(`expected an object path, got '${path}'`);
    if (this.keyword('NOT')) negated = true;
    const op = this.next().toUpperCase();
    let values: string[];
    if (op === 'IN') {
      this.expect('(');
      values = [this.literal()];
      while (this.peek() === ',') {
        this.next();
        values.push(this.literal());
      }
      this.expect(')');
    } else if (['=', '!=', '<', '>', '<=', '>=', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET'].includes(op)) {
      values = [this.literal()];
    } else throw new StixPatternError(`unknown comparison '${op}'`);
    return { kind: 'cmp', path, op, negated, values, text: this.tokens.slice(start, this.i).join(' ') };
  }
  private literal(): string {
    const t = this.next();
    const m = /^[thb]?'((?:[^'\\]|\\.)*)'$/.exec(t);
    if (m) return m[1]!.replace(/\\(.)/g, '$1');
    if (/^-?\d/.test(t) || /^(true|false)$/i.test(t)) return t;
    throw new StixPatternError(`expected a literal, got '${t}'`);
  }
}

/** Object paths whose `=` value is an indicator Vantage can match or look up. */
const VALUE_PATHS: Record<string, IndicatorType | 'address' | 'hash'> = {
  'ipv4-addr:value': 'address',
  'ipv6-addr:value': 'address',
  'network-traffic:dst_ref.value': 'address',
  'network-traffic:src_ref.value': 'address',
  'domain-name:value': 'domain',
  'url:value': 'url',
  'email-addr:value': 'email',
  'autonomous-system:number': 'asn',
  'domain-name:resolves_to_refs[*].value': 'address',
};

const HASH_NAMES: Record<string, IndicatorType> = { md5: 'md5', 'sha-1': 'sha1', sha1: 'sha1', 'sha-256': 'sha256', sha256: 'sha256', 'sha-512': 'sha512', sha512: 'sha512' };

function valueOf(path: string, literal: string): ParsedValue | undefined {
  const kind = VALUE_PATHS[path];
  if (kind === 'address') return parseValue(literal.includes('/') ? 'cidr' : 'ip', literal) ?? (literal.endsWith('/32') || literal.endsWith('/128') ? parseValue('ip', literal.split('/')[0]!) : undefined);
  if (kind) return parseValue(kind as IndicatorType, literal);
  const hash = /^(file|artifact|x509-certificate):hashes\.'?([A-Za-z0-9-]+)'?$/.exec(path);
  if (hash) {
    const t = HASH_NAMES[hash[2]!.toLowerCase()];
    if (!t) return undefined;
    const type = hash[1] === 'x509-certificate' ? (`x509-${t}` as IndicatorType) : t;
    return parseValue(type, literal);
  }
  return undefined;
}

/** A conjunction: its value tests (each an alternative set), a pinned port, and the rest. */
interface Conjunction {
  readonly values: ParsedValue[][];
  readonly ports: number[];
  readonly unmatched: string[];
}

const MAX_ALTERNATIVES = 10_000;

function dnf(node: Node): Conjunction[] {
  if (node.kind === 'or') return [...dnf(node.left), ...dnf(node.right)];
  if (node.kind === 'and') {
    const out: Conjunction[] = [];
    for (const a of dnf(node.left)) for (const b of dnf(node.right)) out.push({ values: [...a.values, ...b.values], ports: [...a.ports, ...b.ports], unmatched: [...a.unmatched, ...b.unmatched] });
    if (out.length > MAX_ALTERNATIVES) throw new StixPatternError('pattern has too many alternatives');
    return out;
  }
  const c = node as Comparison;
  const path = c.path.replace(/\s+/g, '');
  if (!c.negated && path === 'network-traffic:dst_port' && c.op === '=' && /^\d+$/.test(c.values[0]!)) return [{ values: [], ports: [Number(c.values[0])], unmatched: [] }];
  if (!c.negated && (c.op === '=' || c.op === 'IN' || (c.op === 'ISSUBSET' && VALUE_PATHS[path] === 'address'))) {
    const parsed = c.values.map((v) => valueOf(path, v));
    if (parsed.every((p) => p !== undefined)) return [{ values: [parsed as ParsedValue[]], ports: [], unmatched: [] }];
  }
  return [{ values: [], ports: [], unmatched: [c.text] }];
}

/**
 * Reads a STIX pattern into matchable terms. OR (and IN lists) give one indicator per value;
 * AND keeps every value it names (each is an IOC of the pattern) and reports the conditions
 * that flows cannot show (certificate issuers, MATCHES, NOT...). `ipv4-addr:value = X AND
 * network-traffic:dst_port = N` becomes the address:port indicator X:N.
 */
export function readStixPattern(pattern: string): PatternTerms & { qualifiers: string[] } {
  const { node, qualifiers } = new PatternParser(tokenize(pattern)).parse();
  const values: { value: ParsedValue; port?: number }[] = [];
  const unmatched = new Set<string>();
  for (const conj of dnf(node)) {
    for (const u of conj.unmatched) unmatched.add(u);
    const port = conj.ports.length === 1 ? conj.ports[0] : undefined;
    for (const alternatives of conj.values) for (const v of alternatives) values.push({ value: v, port });
    if (conj.values.length === 0 && conj.ports.length > 0) unmatched.add(`network-traffic:dst_port = ${conj.ports.join(', ')}`);
  }
  return { values, unmatched: [...unmatched], qualifiers };
}
