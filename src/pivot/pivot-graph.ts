// The pivot engine: from one entity, a typed graph of what the datasets connect it to, expanded
// breadth first to a depth. Each node type has its relations (an address talked to addresses,
// was the answer of names, exposes services, served certificates, sits in an AS, is named by
// indicators; a certificate was served by addresses and names domains; a name resolved to addresses
// and names); every step keeps the strongest edges of each relation and counts the rest, and the
// whole expansion stops at a deadline, so a busy address cannot make a pivot run away.

import { createHash } from 'node:crypto';
import { VantageError } from '../core/errors.js';
import { formatIp, parseIp, type Ip } from '../core/ip.js';
import { ipKey, num, readKey } from '../detect/flow-sql.js';
import { loadIntelIndex } from '../enrich/create-enricher.js';
import type { GeoDatabase } from '../enrich/geo-database.js';
import type { StoredIndicator } from '../intel/indicator.js';
import { indicatorTag } from '../intel/indicator-tag.js';
import type { IndexMatch, IntelIndex } from '../intel/intel-index.js';
import { passiveDnsByAnswer, passiveDnsByName, type PassiveDnsRow } from '../store/passive-dns-table.js';
import { certificatesNaming, certificatesOf, ipsServing, type CertificateRow } from '../store/certificate-tables.js';
import { servicesOf } from '../store/services-table.js';
import type { Dialect, ParamSink, Store } from '../store/store.js';
import type { Entity } from './entity.js';

/** Node types of the graph. */
export type PivotNodeType = 'ip' | 'domain' | 'asn' | 'indicator' | 'service' | 'cert';

/** A node: `id` is `type:value` (indicators: `indicator:source:value`). */
export interface PivotNode {
  readonly id: string;
  readonly type: PivotNodeType;
  readonly value: string;
  /** Intelligence tags (`maltrail:emotet`, `drop`...) and, for an AS, its organisation. */
  readonly tags: readonly string[];
  /** How many steps from the root. */
  readonly depth: number;
}

/** An edge, oriented as the relation reads (`domain resolved-to ip`, `ip in-asn asn`). */
export interface PivotEdge {
  readonly from: string;
  readonly to: string;
  readonly relation: 'talked-to' | 'resolved-to' | 'in-asn' | 'tagged' | 'exposes' | 'served' | 'names';
  /** Flows, DNS observations, or 1 for facts (an AS, an indicator). */
  readonly count: number;
  /** ISO 8601 UTC, when the source says. */
  readonly first: string | null;
  readonly last: string | null;
  /** talked-to: service ports (at most 5) and bytes both ways. */
  readonly ports?: readonly number[];
  readonly bytes?: number;
}

/** Edges a step did not keep: the strongest `shown` of `total`. */
export interface PivotTruncation {
  readonly node: string;
  readonly relation: PivotEdge['relation'];
  readonly shown: number;
  readonly total: number;
}

/** A pivot's answer. */
export interface PivotGraph {
  readonly root: string;
  readonly depth: number;
  readonly nodes: PivotNode[];
  readonly edges: PivotEdge[];
  readonly truncated: PivotTruncation[];
  /** True when the deadline stopped the expansion early (the graph is what was reached). */
  readonly timedOut: boolean;
  readonly ms: number;
}

/** Options of {@link pivot}. */
export interface PivotOptions {
  /** Steps from the root (default 2, at most 4). */
  readonly depth?: number;
  /** Edges kept per node and relation, strongest first (default 10). */
  readonly limit?: number;
  /** Flows starting at or after / before (epoch ms); default all stored. */
  readonly from?: number;
  readonly to?: number;
  /** Stop expanding after this long (default 10 s); the graph so far is returned. */
  readonly deadlineMs?: number;
  readonly geo?: GeoDatabase;
  readonly intel?: IntelIndex<StoredIndicator>;
}

interface Step {
  readonly node: Omit<PivotNode, 'depth'>;
  readonly edge: Omit<PivotEdge, 'from' | 'to'> & { readonly outward: boolean };
}

interface Expansion {
  readonly relation: PivotEdge['relation'];
  readonly steps: Step[];
  readonly total: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ipNode = (ip: string, tags: readonly string[] = []): Omit<PivotNode, 'depth'> => ({ id: `ip:${ip}`, type: 'ip', value: ip, tags });
const domainNode = (name: string): Omit<PivotNode, 'depth'> => ({ id: `domain:${name}`, type: 'domain', value: name, tags: [] });

/** The service-port list of a group, DuckDB and ClickHouse side by side (at most 5, ascending). */
function portList(d: Dialect, port: string): string {
  return d.name === 'duckdb' ? `list_sort(list_distinct(list(${port})))[1:5]` : `arraySlice(arraySort(groupUniqArray(${port})), 1, 5)`;
}

function portsOf(value: unknown): number[] {
  const items = Array.isArray(value) ? value : ((value as { items?: readonly unknown[] } | null)?.items ?? []);
  return items.map(Number);
}

/**
 * A certificate's node. Zeek logs either its SHA-256 or, in older versions, a file id per
 * connection, so a certificate without a fingerprint is keyed by issuer and serial (unique per
 * X.509), and its value says what it is.
 */
function certNode(c: Pick<CertificateRow, 'sha256' | 'issuer' | 'serial' | 'cn' | 'subject'>): Omit<PivotNode, 'depth'> {
  const key = c.sha256 !== '' ? c.sha256 : createHash('sha256').update(`${c.issuer}\u0000${c.serial}`).digest('hex').slice(0, 32);
  const name = c.cn !== '' ? c.cn : c.subject;
  return { id: `cert:${key}`, type: 'cert', value: c.sha256 !== '' ? c.sha256 : `serial ${c.serial} of ${c.issuer}`, tags: name !== '' ? [name] : [] };
}

/**
 * Edges of one relation gathered from rows that may name one node several times (several
 * sensors, sources or ports): one edge per node, counts summed, the span widened, node tags and
 * ports merged. The strongest edges come first: most observations, then the most recent.
 */
class EdgeTally {
  private readonly byNode = new Map<string, { node: Omit<PivotNode, 'depth'>; count: number; first: number; last: number; ports: Set<number> }>();

  add(node: Omit<PivotNode, 'depth'>, count: number, first: number, last: number, port?: number): void {
    const m = this.byNode.get(node.id);
    if (!m) {
      this.byNode.set(node.id, { node, count, first, last, ports: new Set(port === undefined ? [] : [port]) });
      return;
    }
    m.count += count;
    m.first = Math.min(m.first, first);
    m.last = Math.max(m.last, last);
    if (port !== undefined) m.ports.add(port);
    if (node.tags.some((t) => !m.node.tags.includes(t))) m.node = { ...m.node, tags: [...new Set([...m.node.tags, ...node.tags])] };
  }

  expansion(relation: PivotEdge['relation'], outward: boolean, limit: number): Expansion {
    const all = [...this.byNode.values()].sort((a, b) => b.count - a.count || b.last - a.last || a.node.id.localeCompare(b.node.id));
    return {
      relation,
      total: all.length,
      steps: all.slice(0, limit).map((m) => ({
        node: m.node,
        edge: {
          relation,
          outward,
          count: m.count,
          first: iso(m.first),
          last: iso(m.last),
          ...(m.ports.size > 0 ? { ports: [...m.ports].sort((a, b) => a - b).slice(0, 5) } : {}),
        },
      })),
    };
  }
}

/** Relations read from the store and the indexes, per node type. */
class Relations {
  /** A ssl.log reference (fingerprint or file id) of each certificate node, for its lookups. */
  private readonly certRefs = new Map<string, { ref: string; names: readonly string[] }>();

  constructor(
    private readonly store: Store,
    private readonly options: Required<Pick<PivotOptions, 'limit'>> & PivotOptions,
    private readonly intel: IntelIndex<StoredIndicator>,
  ) {}

  private window(d: Dialect, params: ParamSink): string {
    const q = d.quote;
    const parts: string[] = [];
    if (this.options.from !== undefined) parts.push(`${q('start')} >= ${params.bind('time', this.options.from)}`);
    if (this.options.to !== undefined) parts.push(`${q('start')} < ${params.bind('time', this.options.to)}`);
    return parts.length > 0 ? parts.join(' AND ') : '1 = 1';
  }

  /** The address's peers over flows, most bytes first; the service port is the lower of a TCP/UDP pair. */
  async talkedTo(ip: Ip): Promise<Expansion> {
    const d = this.store.dialect;
    const q = d.quote;
    const p = d.newParams();
    const isSrc = d.ipEquals('src', ip, p);
    const isDst = d.ipEquals('dst', ip, p);
    const port = `CASE WHEN ${q('proto')} IN (6, 17, 132) AND ${q('sport')} < ${q('dport')} THEN ${q('sport')} ELSE ${q('dport')} END`;
    const peer = `CASE WHEN ${isSrc} THEN ${ipKey(d, 'dst')} ELSE ${ipKey(d, 'src')} END`;
    const sql =
      `SELECT peer, n_flows, n_bytes, first_ms, last_ms, ports, COUNT(*) OVER () AS total FROM (` +
      `SELECT ${peer} AS peer, COUNT(*) AS n_flows, SUM(${q('bytes')}) AS n_bytes, MIN(${d.timeMs('start')}) AS first_ms, MAX(${d.timeMs('end')}) AS last_ms, ${portList(d, port)} AS ports ` +
      `FROM flows WHERE ${this.window(d, p)} AND (${isSrc} OR ${isDst}) GROUP BY peer) AS peers ` +
      `ORDER BY n_bytes DESC, n_flows DESC, peer LIMIT ${this.options.limit}`;
    const rows = await this.store.execute(sql, p.params);
    return {
      relation: 'talked-to',
      total: rows.length > 0 ? num(rows[0]!, 'total') : 0,
      steps: rows.map((r) => ({
        node: ipNode(readKey(d, r.peer), this.tagsOf(readKey(d, r.peer))),
        edge: { relation: 'talked-to', outward: true, count: num(r, 'n_flows'), bytes: num(r, 'n_bytes'), first: iso(num(r, 'first_ms')), last: iso(num(r, 'last_ms')), ports: portsOf(r.ports) },
      })),
    };
  }

  /** Names whose answers were this address (edges point from the name). */
  async namesOf(ip: Ip): Promise<Expansion> {
    return this.dnsSteps(await passiveDnsByAnswer(this.store, formatIp(ip)), (r) => domainNode(r.rrname), false);
  }

  /** What a name resolved to: addresses (A/AAAA) and names (CNAME...). */
  async answersOf(name: string): Promise<Expansion> {
    return this.dnsSteps(await passiveDnsByName(this.store, name), (r) => {
      const ip = parseIp(r.rdata);
      return ip === undefined ? domainNode(r.rdata) : ipNode(formatIp(ip), this.tagsOf(formatIp(ip)));
    }, true);
  }

  private dnsSteps(rows: readonly PassiveDnsRow[], target: (r: PassiveDnsRow) => Omit<PivotNode, 'depth'>, outward: boolean): Expansion {
    // Several sensors may report one (name, answer): one edge, their counts summed.
    const edges = new EdgeTally();
    for (const r of rows) edges.add(target(r), r.count, r.firstSeen, r.lastSeen);
    return edges.expansion('resolved-to', outward, this.options.limit);
  }

  /** The services the address offers (scans, and flows it answered), one node per port and transport. */
  async exposes(ip: Ip): Promise<Expansion> {
    const address = formatIp(ip);
    const edges = new EdgeTally();
    for (const r of await servicesOf(this.store, address)) {
      const value = `${address}:${r.port}/${r.transport}`;
      const tags = [r.service, r.product, `source:${r.source}`].filter((t) => t !== '');
      edges.add({ id: `service:${value}`, type: 'service', value, tags }, r.count, r.firstSeen, r.lastSeen);
    }
    return edges.expansion('exposes', true, this.options.limit);
  }

  /** Certificates the address presented (ssl.log sightings joined with x509.log), one edge per certificate. */
  async served(ip: Ip): Promise<Expansion> {
    const edges = new EdgeTally();
    for (const s of await certificatesOf(this.store, ip)) {
      if (!s.certificate) continue;
      const node = certNode(s.certificate);
      this.certRefs.set(node.id, { ref: s.ref, names: [s.certificate.cn, ...s.certificate.sanDns].filter((n) => n !== '') });
      edges.add(node, s.count, s.firstSeen, s.lastSeen, s.port);
    }
    return edges.expansion('served', true, this.options.limit);
  }

  /** Addresses that presented the certificate (edges point from the address). */
  async servers(node: PivotNode): Promise<Expansion> {
    const known = this.certRefs.get(node.id);
    const edges = new EdgeTally();
    for (const s of known ? await ipsServing(this.store, known.ref) : []) {
      const ip = formatIp(s.ip);
      edges.add(ipNode(ip, this.tagsOf(ip)), s.count, s.firstSeen, s.lastSeen);
    }
    return edges.expansion('served', false, this.options.limit);
  }

  /** The names a certificate carries (subject CN and DNS SANs). */
  names(node: PivotNode): Expansion {
    const names = [...new Set(this.certRefs.get(node.id)?.names ?? [])];
    return {
      relation: 'names',
      total: names.length,
      steps: names.slice(0, this.options.limit).map((n) => ({ node: domainNode(n), edge: { relation: 'names', outward: true, count: 1, first: null, last: null } })),
    };
  }

  /** Certificates that name the domain (CN or SAN, one-label wildcards); edges point from the certificate. */
  async certificatesNaming(name: string): Promise<Expansion> {
    const seen = new Map<string, Step>();
    for (const c of await certificatesNaming(this.store, name)) {
      const node = certNode(c);
      this.certRefs.set(node.id, { ref: c.ref, names: [c.cn, ...c.sanDns].filter((n) => n !== '') });
      if (!seen.has(node.id)) seen.set(node.id, { node, edge: { relation: 'names', outward: false, count: c.count, first: iso(c.firstSeen), last: iso(c.lastSeen) } });
    }
    const steps = [...seen.values()];
    return { relation: 'names', total: steps.length, steps: steps.slice(0, this.options.limit) };
  }

  /** The AS the address is announced from (enrichment database). */
  asnOf(ip: Ip): Expansion {
    const geo = this.options.geo?.lookup(ip);
    if (!geo || geo.asn === null) return { relation: 'in-asn', total: 0, steps: [] };
    const node = { id: `asn:AS${geo.asn}`, type: 'asn' as const, value: `AS${geo.asn}`, tags: geo.asOrg ? [geo.asOrg] : [] };
    return { relation: 'in-asn', total: 1, steps: [{ node, edge: { relation: 'in-asn', outward: true, count: 1, first: null, last: null } }] };
  }

  /** Indicators that name the address or domain, with their source. */
  tagged(matches: readonly IndexMatch<StoredIndicator>[]): Expansion {
    const seen = new Map<string, Step>();
    for (const m of matches) {
      const i = m.indicator;
      const id = `indicator:${i.source}:${i.value}`;
      if (seen.has(id)) continue;
      seen.set(id, {
        node: { id, type: 'indicator', value: i.value, tags: [indicatorTag(i), ...(i.family ? [i.family] : [])] },
        edge: { relation: 'tagged', outward: true, count: 1, first: i.firstSeen === null ? null : iso(i.firstSeen), last: i.lastSeen === null ? null : iso(i.lastSeen) },
      });
    }
    const steps = [...seen.values()];
    return { relation: 'tagged', total: steps.length, steps: steps.slice(0, this.options.limit) };
  }

  tagsOf(ip: string): string[] {
    const address = parseIp(ip);
    if (address === undefined) return [];
    return [...new Set(this.intel.matchAddress(address).map((m) => indicatorTag(m.indicator)))];
  }

  /** Every relation of a node. */
  async expand(node: PivotNode): Promise<Expansion[]> {
    switch (node.type) {
      case 'ip': {
        const ip = parseIp(node.value)!;
        return [await this.talkedTo(ip), await this.namesOf(ip), await this.exposes(ip), await this.served(ip), this.asnOf(ip), this.tagged(this.intel.matchAddress(ip))];
      }
      case 'domain':
        return [await this.answersOf(node.value), await this.certificatesNaming(node.value), this.tagged(this.intel.matchDomain(node.value))];
      case 'cert':
        return [await this.servers(node), this.names(node)];
      default:
        return [];
    }
  }
}

/** The root node of an entity the graph can start from. */
function rootNode(entity: Entity, intel: IntelIndex<StoredIndicator>): Omit<PivotNode, 'depth'> {
  switch (entity.type) {
    case 'ip':
      return ipNode(entity.value, [...new Set(intel.matchAddress(entity.ip).map((m) => indicatorTag(m.indicator)))]);
    case 'domain':
      return domainNode(entity.value);
    default:
      throw new VantageError('USAGE', `pivot starts from an address or a domain; ${entity.type} '${entity.value}' is not supported yet (vantage profile describes it)`);
  }
}

/** Checks that the graph can start from the entity, before any store is opened. */
export function assertPivotable(entity: Entity): void {
  if (entity.type !== 'ip' && entity.type !== 'domain') rootNode(entity, { matchAddress: () => [] } as unknown as IntelIndex<StoredIndicator>);
}

/**
 * Expands the graph breadth first. Nodes of the last level are not expanded; an edge found from
 * both of its ends is kept once. An entity with no edge at all is an error: "nothing known
 * about X", not an empty success.
 */
export async function pivot(store: Store, entity: Entity, options: PivotOptions = {}): Promise<PivotGraph> {
  const started = performance.now();
  const depth = Math.min(4, Math.max(1, Math.floor(options.depth ?? 2)));
  const limit = Math.max(1, Math.floor(options.limit ?? 10));
  const deadline = started + (options.deadlineMs ?? 10_000);
  const intel = options.intel ?? (await loadIntelIndex(store));
  const relations = new Relations(store, { ...options, limit }, intel);
  const root = { ...rootNode(entity, intel), depth: 0 };
  const nodes = new Map<string, PivotNode>([[root.id, root]]);
  const edges = new Map<string, PivotEdge>();
  const truncated: PivotTruncation[] = [];
  let frontier: PivotNode[] = [root];
  let timedOut = false;
  for (let level = 0; level < depth && frontier.length > 0 && !timedOut; level++) {
    const next: PivotNode[] = [];
    for (const node of frontier) {
      if (performance.now() > deadline) {
        timedOut = true;
        break;
      }
      for (const expansion of await relations.expand(node)) {
        if (expansion.total > expansion.steps.length) truncated.push({ node: node.id, relation: expansion.relation, shown: expansion.steps.length, total: expansion.total });
        for (const step of expansion.steps) {
          let target = nodes.get(step.node.id);
          if (!target) {
            target = { ...step.node, depth: level + 1 };
            nodes.set(target.id, target);
            next.push(target);
          }
          const [from, to] = step.edge.outward ? [node.id, target.id] : [target.id, node.id];
          // talked-to has no direction worth two edges: A–B and B–A are one conversation.
          const key = step.edge.relation === 'talked-to' ? `talked-to ${[from, to].sort().join(' ')}` : `${step.edge.relation} ${from} ${to}`;
          if (edges.has(key)) continue;
          const { outward: _outward, ...edge } = step.edge;
          edges.set(key, { ...edge, from, to });
        }
      }
    }
    frontier = next;
  }
  if (edges.size === 0) throw new VantageError('NOT_FOUND', `nothing known about ${entity.value}: no flows, passive DNS, AS or intelligence connect it to anything`);
  return { root: root.id, depth, nodes: [...nodes.values()], edges: [...edges.values()], truncated, timedOut, ms: Math.round(performance.now() - started) };
}
