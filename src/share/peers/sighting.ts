// Peer sightings: what our store has seen of one indicator (an address, a network or a domain),
// as aggregates a peer organisation may be told (flow, packet and byte counts, first/last seen,
// how many distinct addresses it exchanged traffic with, its top ports, passive-DNS counts) and
// never the addresses of our hosts or any raw flow. DuckDB and ClickHouse through the Dialect.

import { VantageError } from '../../core/errors.js';
import { parseIp, rangeContains, type Ip, type IpRange } from '../../core/ip.js';
import { protocolName } from '../../core/protocols.js';
import { ipKey, num } from '../../detect/flow-sql.js';
import { parseEntity, type Entity } from '../../pivot/entity.js';
import { passiveDnsByAnswer, passiveDnsByName, type PassiveDnsRow } from '../../store/passive-dns-table.js';
import type { Dialect, ParamSink, Store } from '../../store/store.js';

/** What a sighting may be asked about. */
export type SightingTarget = Extract<Entity, { type: 'ip' | 'cidr' | 'domain' }>;

/** The widest networks one may ask about (narrower is fine): a /0 would describe all our traffic. */
export const MIN_PREFIX = { 4: 8, 6: 32 } as const;

/** Service ports listed in a sighting. */
export const SIGHTING_PORTS = 5;

/** A domain's flows are counted through at most this many of its resolved addresses (as profiles do). */
const MAX_RESOLVED = 256;

/** Passive-DNS counts of a sighting. */
export interface SightingDns {
  /** Observations summed over every record (a sensor counts each time it saw one). */
  readonly records: number;
  /** Distinct names: those that resolved to the address, or the domain itself. */
  readonly names: number;
  /** Distinct answers (addresses, CNAME targets...). */
  readonly answers: number;
  readonly first: string | null;
  readonly last: string | null;
}

/** One top port of a sighting. */
export interface SightingPort {
  readonly proto: string;
  /** Destination port (for ICMP, type*256+code as in NetFlow). */
  readonly port: number;
  readonly flows: number;
}

/** What we have seen of an indicator: aggregates only. */
export interface Sighting {
  /** The indicator in its canonical form. */
  readonly value: string;
  readonly type: SightingTarget['type'];
  /** The window asked for (flow start times), ISO 8601 UTC; null when open. */
  readonly from: string | null;
  readonly to: string | null;
  readonly flows: number;
  readonly packets: number;
  readonly bytes: number;
  /** Start of the earliest flow and end of the latest, ISO 8601 UTC; null without flows. */
  readonly first: string | null;
  readonly last: string | null;
  /** Distinct addresses at the other end of its flows. */
  readonly distinctPeers: number;
  /** Destination ports of its flows, most flows first. */
  readonly ports: readonly SightingPort[];
  /** Passive-DNS counts; null for a network (answers are not searched by range). */
  readonly passiveDns: SightingDns | null;
  /** Counted only over flows and answers inside the caller's networks. */
  readonly scoped: boolean;
}

/** Options of {@link sightingOf}. */
export interface SightingOptions {
  /** Flow start at or after (epoch ms). */
  readonly from?: number;
  /** Flow start before (epoch ms). */
  readonly to?: number;
  /** The caller's networks: only flows with an end inside them, and answers inside them, count. Empty: unrestricted. */
  readonly ranges?: readonly IpRange[];
}

function prefixOf(range: IpRange): number {
  const width = range.family === 4 ? 32 : 128;
  const size = BigInt(range.last) - BigInt(range.first) + 1n;
  return width - (size.toString(2).length - 1);
}

/**
 * Reads what a peer asks about: an IPv4/IPv6 address, a network (at least /8 or /32 long) or a
 * domain. Throws a USAGE error naming the value otherwise.
 */
export function parseSightingTarget(text: string): SightingTarget {
  const entity = parseEntity(text);
  if (entity.type === 'ip' || entity.type === 'domain') return entity;
  if (entity.type === 'cidr') {
    const min = MIN_PREFIX[entity.range.family];
    if (prefixOf(entity.range) < min) throw new VantageError('USAGE', `'${text}' is too wide: ask about networks of /${min} or longer for IPv${entity.range.family}`);
    return entity;
  }
  throw new VantageError('USAGE', `'${text}' is a ${entity.type === 'asn' ? 'AS number' : 'certificate hash'}: sightings are asked about an address, a network or a domain`);
}

const iso = (ms: number): string => new Date(ms).toISOString();

function inRanges(ranges: readonly IpRange[], text: string): boolean {
  const ip = parseIp(text);
  return ip !== undefined && ranges.some((r) => rangeContains(r, ip));
}

/** Sums passive-DNS rows into the counts a sighting shows. */
export function dnsCounts(rows: readonly PassiveDnsRow[]): SightingDns {
  if (rows.length === 0) return { records: 0, names: 0, answers: 0, first: null, last: null };
  return {
    records: rows.reduce((n, r) => n + r.count, 0),
    names: new Set(rows.map((r) => r.rrname)).size,
    answers: new Set(rows.map((r) => `${r.rrtype} ${r.rdata}`)).size,
    first: iso(Math.min(...rows.map((r) => r.firstSeen))),
    last: iso(Math.max(...rows.map((r) => r.lastSeen))),
  };
}

/** Builds the sighting of one indicator over the store. */
export async function sightingOf(store: Store, target: SightingTarget, options: SightingOptions = {}): Promise<Sighting> {
  const ranges = options.ranges ?? [];
  const d = store.dialect;

  // Passive DNS: records naming the address, or the domain's own records, that overlap the
  // window; a scoped caller counts only answers inside its networks.
  let dnsRows: PassiveDnsRow[] | undefined;
  let resolved: Ip[] = [];
  if (target.type === 'ip') dnsRows = await passiveDnsByAnswer(store, target.value);
  if (target.type === 'domain') {
    dnsRows = await passiveDnsByName(store, target.value);
    const seen = new Set<string>();
    for (const r of dnsRows) {
      if ((r.rrtype !== 'A' && r.rrtype !== 'AAAA') || seen.has(r.rdata)) continue;
      const ip = parseIp(r.rdata);
      if (ip === undefined) continue;
      seen.add(r.rdata);
      resolved.push(ip);
    }
    resolved = resolved.slice(0, MAX_RESOLVED);
  }
  const visibleDns = dnsRows?.filter(
    (r) =>
      (options.from === undefined || r.lastSeen >= options.from) &&
      (options.to === undefined || r.firstSeen < options.to) &&
      (ranges.length === 0 || inRanges(ranges, r.rdata)),
  );

  const side = (p: ParamSink, column: 'src' | 'dst'): string => {
    switch (target.type) {
      case 'ip':
        return d.ipEquals(column, target.ip, p);
      case 'cidr':
        return d.ipInRange(column, target.range, p);
      case 'domain':
        return `(${resolved.map((ip) => d.ipEquals(column, ip, p)).join(' OR ')})`;
    }
  };
  const base = {
    value: target.value,
    type: target.type,
    from: options.from === undefined ? null : iso(options.from),
    to: options.to === undefined ? null : iso(options.to),
    passiveDns: visibleDns ? dnsCounts(visibleDns) : null,
    scoped: ranges.length > 0,
  };
  // A domain nobody resolved has no addresses whose flows could count.
  if (target.type === 'domain' && resolved.length === 0) return { ...base, flows: 0, packets: 0, bytes: 0, first: null, last: null, distinctPeers: 0, ports: [] };

  /** The window and the caller's scope, AND-ed to every flow condition. */
  const restrict = (p: ParamSink): string => {
    const parts: string[] = [];
    if (options.from !== undefined) parts.push(`${d.quote('start')} >= ${p.bind('time', options.from)}`);
    if (options.to !== undefined) parts.push(`${d.quote('start')} < ${p.bind('time', options.to)}`);
    if (ranges.length > 0) parts.push(scopeCondition(d, p, ranges));
    return parts.length > 0 ? ` AND ${parts.join(' AND ')}` : '';
  };
  const either = (p: ParamSink) => `(${side(p, 'src')} OR ${side(p, 'dst')})${restrict(p)}`;

  const sp = d.newParams();
  const [s] = await store.execute(
    `SELECT count(*) AS n_flows, sum(${d.quote('packets')}) AS n_packets, sum(${d.quote('bytes')}) AS n_bytes, ` +
      `min(${d.timeMs('start')}) AS first_ms, max(${d.timeMs('end')}) AS last_ms FROM flows WHERE ${either(sp)}`,
    sp.params,
  );
  const flows = num(s ?? {}, 'n_flows');
  if (flows === 0) return { ...base, flows: 0, packets: 0, bytes: 0, first: null, last: null, distinctPeers: 0, ports: [] };

  // The other end of each flow: the destination when the indicator is the source, and the
  // source when it is the destination (inside a network, both ends are each other's peers).
  const pp = d.newParams();
  const [peers] = await store.execute(
    `SELECT count(DISTINCT peer) AS n FROM (` +
      `SELECT ${ipKey(d, 'dst')} AS peer FROM flows WHERE ${side(pp, 'src')}${restrict(pp)} UNION ALL ` +
      `SELECT ${ipKey(d, 'src')} AS peer FROM flows WHERE ${side(pp, 'dst')}${restrict(pp)}) AS t`,
    pp.params,
  );

  const op = d.newParams();
  const ports = await store.execute(
    `SELECT ${d.quote('proto')} AS proto, ${d.quote('dport')} AS port, count(*) AS n_flows FROM flows WHERE ${either(op)} ` +
      `GROUP BY proto, port ORDER BY n_flows DESC, proto, port LIMIT ${SIGHTING_PORTS}`,
    op.params,
  );

  return {
    ...base,
    flows,
    packets: num(s!, 'n_packets'),
    bytes: num(s!, 'n_bytes'),
    first: iso(num(s!, 'first_ms')),
    last: iso(num(s!, 'last_ms')),
    distinctPeers: num(peers ?? {}, 'n'),
    ports: ports.map((r) => ({ proto: protocolName(num(r, 'proto')), port: num(r, 'port'), flows: num(r, 'n_flows') })),
  };
}

/** Source or destination inside one of the networks (the scope rule of the query routes). */
function scopeCondition(d: Dialect, p: ParamSink, ranges: readonly IpRange[]): string {
  return `(${ranges.flatMap((r) => [d.ipInRange('src', r, p), d.ipInRange('dst', r, p)]).join(' OR ')})`;
}
