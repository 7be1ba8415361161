// The matching index over all active indicators: addresses and networks in the prefix index,
// domains by suffix, ASNs and everything else by exact value. It answers `intel match`, tags
// flows at ingest (per-set tag lists computed once) and drives the retro-hunt.

import { singleRange, type Ip, type IpRange } from '../core/ip.js';
import { classifyValue, normaliseDomain, parseValue, type Indicator, type ParsedValue } from './indicator.js';
import { indicatorTag } from './indicator-tag.js';
import { PrefixIndex, type PrefixEntry } from './prefix-index.js';

/** How an indicator matched a query. */
export type MatchHow =
  | 'exact' // the value itself is listed
  | 'covering-prefix' // a listed network contains the address or network
  | 'address-port' // the address is listed with a port (the port is in the indicator)
  | 'parent-domain' // a listed domain is a parent of the queried one
  | 'url-host' // a listed URL is hosted on the address or domain
  | 'within-prefix'; // a listed address or network lies inside the queried network

/** One indicator matching a query, and how. */
export interface IndexMatch<T extends Indicator = Indicator> {
  readonly indicator: T;
  readonly how: MatchHow;
}

/** What is known about one queried value. */
export interface ValueMatches<T extends Indicator = Indicator> {
  readonly query: string;
  /** The type the query was read as (undefined when it is no known kind of value). */
  readonly type: ParsedValue['type'] | undefined;
  readonly matches: IndexMatch<T>[];
}

/** Options for building the index. */
export interface IntelIndexOptions {
  /** Indicators past their valid_until at this time are left out (default: now). */
  readonly now?: number;
}

/** True when an indicator should tag flows and appear in hunts. */
export function detects(i: Indicator): boolean {
  return i.detect && i.kind === 'threat';
}

/** The index. Build it once per load of the indicator table; it is immutable. */
export class IntelIndex<T extends Indicator = Indicator> {
  readonly indicators: T[];
  private readonly prefix: PrefixIndex;
  /** Per prefix entry: its indicator and the port it requires (-1 for any). */
  private readonly entryIndicator: Int32Array;
  private readonly entryPort: Int32Array;
  private readonly entryHow: MatchHow[];
  private readonly domains = new Map<string, number[]>();
  private readonly urlHosts = new Map<string, number[]>();
  private readonly asns = new Map<number, number[]>();
  private readonly exact = new Map<string, number[]>();
  /** Lazily computed flow tags per cover set: port-free tags, and [port, tag] pairs. */
  private readonly setTags: (readonly string[] | undefined)[] = [];
  private readonly setPortTags: (readonly (readonly [number, string])[] | undefined)[] = [];
  private readonly asnTagCache = new Map<number, readonly string[] | null>();

  constructor(indicators: readonly T[], options: IntelIndexOptions = {}) {
    const now = options.now ?? Date.now();
    this.indicators = indicators.filter((i) => i.validUntil === null || i.validUntil > now);
    const entries: PrefixEntry[] = [];
    const entryIndicator: number[] = [];
    const entryPort: number[] = [];
    this.entryHow = [];
    const addRange = (range: IpRange, indicator: number, port: number, how: MatchHow) => {
      entries.push({ range, id: entries.length });
      entryIndicator.push(indicator);
      entryPort.push(port);
      this.entryHow.push(how);
    };
    const push = (map: Map<string | number, number[]>, key: string | number, i: number) => {
      const list = map.get(key);
      if (list) list.push(i);
      else map.set(key, [i]);
    };
    this.indicators.forEach((indicator, i) => {
      push(this.exact as Map<string | number, number[]>, `${indicator.type} ${indicator.value}`, i);
      const v = parseValue(indicator.type, indicator.value);
      if (!v) return;
      switch (v.type) {
        case 'ip':
          addRange(v.range, i, -1, 'exact');
          break;
        case 'cidr':
          addRange(v.range, i, -1, 'covering-prefix');
          break;
        case 'ip-port':
          addRange(v.range, i, v.port, 'address-port');
          break;
        case 'domain':
          push(this.domains as Map<string | number, number[]>, v.domain, i);
          break;
        case 'url':
          if (v.hostIp !== undefined) addRange(singleRange(v.hostIp), i, -1, 'url-host');
          else push(this.urlHosts as Map<string | number, number[]>, v.host, i);
          break;
        case 'asn':
          push(this.asns as Map<string | number, number[]>, v.asn, i);
          break;
      }
    });
    this.prefix = PrefixIndex.build(entries);
    this.entryIndicator = Int32Array.from(entryIndicator);
    this.entryPort = Int32Array.from(entryPort);
  }

  /** Sizes for `intel stats` and the benchmark. */
  get stats() {
    return { indicators: this.indicators.length, domains: this.domains.size, asns: this.asns.size, ...this.prefix.stats };
  }

  // ---- hot path: flow tagging ----

  /** The cover set of an IPv4 address (-1: nothing listed covers it). */
  lookupV4(ip: number): number {
    return this.prefix.lookupV4(ip);
  }

  /** The IPv4 cover sets as a step function (see PrefixIndex.v4Steps). */
  v4Steps(): { readonly points: Uint32Array; readonly values: Int32Array } {
    return this.prefix.v4Steps();
  }

  /** The cover set of an address of either family. */
  lookup(ip: Ip): number {
    return this.prefix.lookup(ip);
  }

  private tagsOfSet(set: number): readonly string[] {
    let tags = this.setTags[set];
    if (tags === undefined) {
      const out = new Set<string>();
      const ports: [number, string][] = [];
      for (const e of this.prefix.members(set)) {
        const indicator = this.indicators[this.entryIndicator[e]!]!;
        if (!indicator.detect) continue;
        const tag = indicatorTag(indicator);
        const port = this.entryPort[e]!;
        if (port < 0) out.add(tag);
        else ports.push([port, tag]);
      }
      // Sorted, so a flow's tags do not depend on the order indicators were loaded in.
      tags = [...out].sort();
      ports.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
      this.setTags[set] = tags;
      this.setPortTags[set] = ports;
    }
    return tags;
  }

  /** Adds the tags of one side of a flow (`port` is that side's port) to `into`. */
  private addSideTags(set: number, port: number, into: string[]): void {
    for (const t of this.tagsOfSet(set)) if (!into.includes(t)) into.push(t);
    for (const [p, t] of this.setPortTags[set]!) if (p === port && !into.includes(t)) into.push(t);
  }

  /**
   * The tags for a flow whose source and destination have cover sets `srcSet` and `dstSet`:
   * address and network indicators of either side, and address:port indicators whose port is
   * that side's port (a C2 at 1.2.3.4:443 tags flows to it on 443 and replies from it on 443).
   * Undefined when nothing matched.
   */
  flowTags(srcSet: number, dstSet: number, sport: number, dport: number): string[] | undefined {
    if (srcSet < 0 && dstSet < 0) return undefined;
    const out: string[] = [];
    if (srcSet >= 0) this.addSideTags(srcSet, sport, out);
    if (dstSet >= 0) this.addSideTags(dstSet, dport, out);
    return out.length > 0 ? out : undefined;
  }

  /** True when some indicator lists AS numbers (so enrichment checks them). */
  get hasAsns(): boolean {
    return this.asns.size > 0;
  }

  /** Tags of the indicators listing an AS number (Spamhaus ASN-DROP), or null. */
  asnTags(asn: number): readonly string[] | null {
    let tags = this.asnTagCache.get(asn);
    if (tags === undefined) {
      const list = (this.asns.get(asn) ?? []).map((i) => this.indicators[i]!).filter((i) => i.detect);
      tags = list.length > 0 ? [...new Set(list.map((i) => indicatorTag(i)))] : null;
      this.asnTagCache.set(asn, tags);
    }
    return tags;
  }

  // ---- queries with provenance ----

  /**
   * Indicators covering an address, most specific first: the address itself, networks holding
   * it, address:port entries (only those with `port` when a port is given), URLs hosted on it.
   */
  matchAddress(ip: Ip, port?: number): IndexMatch<T>[] {
    const out: IndexMatch<T>[] = [];
    for (const e of this.prefix.members(this.prefix.lookup(ip))) {
      const p = this.entryPort[e]!;
      if (port !== undefined && p >= 0 && p !== port) continue;
      out.push({ indicator: this.indicators[this.entryIndicator[e]!]!, how: this.entryHow[e]! });
    }
    return out;
  }

  /** Indicators about a network: those covering all of it and those inside it. */
  matchNetwork(range: IpRange): IndexMatch<T>[] {
    const covering = this.matchAddress(range.first).filter((m) => {
      const v = parseValue(m.indicator.type, m.indicator.value);
      return v && 'range' in v && v.range.first <= range.first && v.range.last >= range.last;
    });
    const seen = new Set(covering.map((m) => m.indicator));
    const inside = this.prefix
      .within(range)
      .map((e) => ({ indicator: this.indicators[this.entryIndicator[e]!]!, how: 'within-prefix' as const }))
      .filter((m) => !seen.has(m.indicator));
    return [...covering.map((m) => ({ ...m, how: (m.how === 'exact' ? 'exact' : 'covering-prefix') as MatchHow })), ...inside];
  }

  /** Indicators for a domain: itself, its listed parents (nearest first), URLs on it. */
  matchDomain(domain: string): IndexMatch<T>[] {
    const d = normaliseDomain(domain);
    if (!d) return [];
    const out: IndexMatch<T>[] = [];
    for (const i of this.urlHosts.get(d) ?? []) out.push({ indicator: this.indicators[i]!, how: 'url-host' });
    let suffix = d;
    for (;;) {
      for (const i of this.domains.get(suffix) ?? []) out.push({ indicator: this.indicators[i]!, how: suffix === d ? 'exact' : 'parent-domain' });
      const dot = suffix.indexOf('.');
      if (dot < 0) break;
      suffix = suffix.slice(dot + 1);
    }
    // Exact first, then parents from the nearest; URLs after.
    const rank: Record<string, number> = { exact: 0, 'parent-domain': 1, 'url-host': 2 };
    return out.sort((a, b) => rank[a.how]! - rank[b.how]!);
  }

  /** Indicators with exactly this canonical type and value. */
  matchExact(type: string, value: string): IndexMatch<T>[] {
    return (this.exact.get(`${type} ${value}`) ?? []).map((i) => ({ indicator: this.indicators[i]!, how: 'exact' as const }));
  }

  /** What is known about a value as an analyst types it: an address, network, address:port, domain, URL, hash... */
  matchValue(query: string): ValueMatches<T> {
    const v = classifyValue(query);
    if (!v) return { query, type: undefined, matches: [] };
    let matches: IndexMatch<T>[];
    switch (v.type) {
      case 'ip':
        matches = this.matchAddress(v.ip);
        break;
      case 'ip-port':
        matches = this.matchAddress(v.ip, v.port);
        break;
      case 'cidr':
        matches = this.matchNetwork(v.range);
        break;
      case 'domain':
        matches = this.matchDomain(v.domain);
        break;
      case 'url': {
        const host = v.hostIp !== undefined ? this.matchAddress(v.hostIp) : this.matchDomain(v.host);
        const exact = this.matchExact('url', v.value);
        const seen = new Set(exact.map((m) => m.indicator));
        matches = [...exact, ...host.filter((m) => !seen.has(m.indicator))];
        break;
      }
      case 'asn':
        matches = (this.asns.get(v.asn) ?? []).map((i) => ({ indicator: this.indicators[i]!, how: 'exact' as const }));
        break;
      default:
        matches = this.matchExact(v.type, v.value);
    }
    return { query, type: v.type, matches };
  }
}
