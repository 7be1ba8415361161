// Which watchlists an address, domain or AS number belongs to: networks and hosts by range,
// AS numbers through the enrichment database, domains by suffix, and addresses that passive DNS
// saw a watched domain resolve to (a partner known only by name is still recognised in flows).

import { parseIp, rangeContains, type Ip, type IpRange } from '../../core/ip.js';
import type { FindingWatch } from '../../detect/finding.js';
import { memberRange, type Watchlist, type WatchMember } from './watchlist.js';

/** What the index needs to place an address in an AS (the enrichment database's lookup). */
export type AsnOf = (ip: Ip) => number | null;

/** How the index was built beyond the watchlists themselves. */
export interface WatchIndexOptions {
  readonly asnOf?: AsnOf;
  /** Addresses watched domains resolved to (address text -> the domains), from passive DNS. */
  readonly resolved?: ReadonlyMap<string, readonly string[]>;
}

interface RangeEntry {
  readonly range: IpRange;
  readonly list: Watchlist;
  readonly member: WatchMember;
}

/** Watchlist membership lookups. Build once per detection run or monitor pass. */
export class WatchIndex {
  private readonly ranges: RangeEntry[] = [];
  private readonly asns = new Map<number, { list: Watchlist; member: WatchMember }[]>();
  private readonly domains = new Map<string, { list: Watchlist; member: WatchMember }[]>();

  constructor(
    readonly watchlists: readonly Watchlist[],
    private readonly options: WatchIndexOptions = {},
  ) {
    for (const list of watchlists) {
      for (const member of list.members) {
        const range = memberRange(member);
        if (range) this.ranges.push({ range, list, member });
        else if (member.type === 'asn') push(this.asns, Number(member.value.slice(2)), { list, member });
        else if (member.type === 'domain') push(this.domains, member.value, { list, member });
      }
    }
  }

  /** True when nothing is watched. */
  get empty(): boolean {
    return this.ranges.length === 0 && this.asns.size === 0 && this.domains.size === 0;
  }

  /** The watched domains (passive DNS resolves them to addresses when the index is loaded). */
  get watchedDomains(): string[] {
    return [...this.domains.keys()];
  }

  /** Every watchlist membership of an address (one hit per watchlist, the most specific member). */
  matchIp(text: string): FindingWatch[] {
    const ip = parseIp(text);
    if (ip === undefined) return [];
    const hits = new Map<string, FindingWatch>();
    const add = (list: Watchlist, member: string) => {
      if (!hits.has(list.name)) hits.set(list.name, { watchlist: list.name, kind: list.kind, criticality: list.criticality, value: text, member });
    };
    // Most specific first: a host member before its network, a network before the AS.
    const covering = this.ranges.filter((e) => rangeContains(e.range, ip)).sort((a, b) => size(a.range) - size(b.range));
    for (const e of covering) add(e.list, e.member.value);
    for (const domain of this.options.resolved?.get(text) ?? []) {
      for (const e of this.domainEntries(domain)) add(e.list, e.member.value);
    }
    const asn = this.asns.size > 0 ? this.options.asnOf?.(ip) : null;
    if (asn !== null && asn !== undefined) for (const e of this.asns.get(asn) ?? []) add(e.list, e.member.value);
    return [...hits.values()];
  }

  /** Watchlist memberships of a domain (a watched domain covers its subdomains). */
  matchDomain(name: string): FindingWatch[] {
    const hits = new Map<string, FindingWatch>();
    for (const e of this.domainEntries(name.toLowerCase().replace(/\.$/, ''))) {
      if (!hits.has(e.list.name)) hits.set(e.list.name, { watchlist: e.list.name, kind: e.list.kind, criticality: e.list.criticality, value: name, member: e.member.value });
    }
    return [...hits.values()];
  }

  /** Watchlist memberships of an AS number. */
  matchAsn(asn: number): FindingWatch[] {
    return (this.asns.get(asn) ?? []).map((e) => ({ watchlist: e.list.name, kind: e.list.kind, criticality: e.list.criticality, value: `AS${asn}`, member: e.member.value }));
  }

  /** The AS of an address (null when unknown), or undefined when the index has no AS database. */
  asnOfIp(ip: Ip): number | null | undefined {
    return this.options.asnOf ? this.options.asnOf(ip) : undefined;
  }

  /** The networks (CIDR text) a watchlist's network and host members cover. */
  static networksOf(list: Watchlist): string[] {
    return list.members.filter((m) => m.type === 'network' || m.type === 'host').map((m) => m.value);
  }

  private domainEntries(name: string): { list: Watchlist; member: WatchMember }[] {
    const out: { list: Watchlist; member: WatchMember }[] = [];
    for (let suffix = name; ; suffix = suffix.slice(suffix.indexOf('.') + 1)) {
      out.push(...(this.domains.get(suffix) ?? []));
      if (!suffix.includes('.')) break;
    }
    return out;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function size(range: IpRange): number {
  return Number(BigInt(range.last) - BigInt(range.first));
}
