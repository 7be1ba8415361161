// The pivot engine: from one entity, a typed graph of what the datasets connect it to, expanded
// breadth first to a depth. Each node type has its relations (an address talked to addresses,
// was the answer of names, exposes services, served certificates, sits in an AS, is named by
// indicators, answered with a JA3S, sent JA3/JA4 hellos, shows banners; a certificate was served
// by addresses and names domains; a name resolved to addresses and names; an AS announces
// prefixes and holds busy addresses; a network contains active addresses; a fingerprint or a
// banner is shared by addresses); every step keeps the strongest edges of each relation and
// counts the rest, and the whole expansion stops at a deadline, so a busy address cannot make a
// pivot run away. A step expands its whole frontier at once: the flow relation reads all of the
// frontier's addresses in one scan.

import { createHash } from 'node:crypto';
import { VantageError } from '../core/errors.js';
import { formatIp, parseCidr, parseIp, rangeContains, type Ip, type IpRange } from '../core/ip.js';
import { loadIntelIndex } from '../enrich/create-enricher.js';
import type { GeoDatabase } from '../enrich/geo-database.js';
import type { StoredIndicator } from '../intel/indicator.js';
import { indicatorTag } from '../intel/indicator-tag.js';
import type { IndexMatch, IntelIndex } from '../intel/intel-index.js';
import { passiveDnsByAnswer, passiveDnsByName, type PassiveDnsRow } from '../store/passive-dns-table.js';
import { certificate, certificatesNaming, certificatesOf, ipsServing, tlsSightingsIn, tlsSightingsOf, type CertificateRow, type SightingRow } from '../store/certificate-tables.js';
import { everyService, servicesOf, type ServiceRow } from '../store/services-table.js';
import { tlsClientsOf } from '../store/tls-client-table.js';
import type { Store } from '../store/store.js';
import { asnOrganisation, asnPrefixes, prefixIndexOf } from './asn-prefixes.js';
import type { Entity } from './entity.js';
import { activeAddresses, certificateRefsByHash, datasetPresence, type DatasetPresence, clientsWithFingerprint, hostsWithBanner, inAs, inNetwork, peersOf, serversWithJa3s, type ActivityRow, type PeerRow } from './pivot-reads.js';

/** Node types of the graph. */
export const PIVOT_NODE_TYPES = ['ip', 'domain', 'asn', 'indicator', 'service', 'cert', 'cidr', 'ja3s', 'ja3', 'ja4', 'banner'] as const;
export type PivotNodeType = (typeof PIVOT_NODE_TYPES)[number];

/** Relations of the graph. */
export const PIVOT_RELATIONS = ['talked-to', 'resolved-to', 'in-asn', 'tagged', 'exposes', 'served', 'names', 'announces', 'contains', 'ja3s', 'ja3', 'ja4', 'banner'] as const;
export type PivotRelation = (typeof PIVOT_RELATIONS)[number];

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
  readonly relation: PivotRelation;
  /** Flows, DNS observations, TLS sightings, service observations, or 1 for facts (an AS, an indicator). */
  readonly count: number;
  /** ISO 8601 UTC, when the source says. */
  readonly first: string | null;
  readonly last: string | null;
  /** talked-to: service ports (at most 5) and bytes both ways; served: ports; announces, contains, in-asn from an AS: bytes. */
  readonly ports?: readonly number[];
  readonly bytes?: number;
}

/** Edges a step did not keep: the strongest `shown` of `total`. */
export interface PivotTruncation {
  readonly node: string;
  readonly relation: PivotRelation;
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

/** One edge a node's expansion found, and the node at its other end. */
export interface PivotStep {
  readonly node: Omit<PivotNode, 'depth'>;
  readonly edge: Omit<PivotEdge, 'from' | 'to'> & { readonly outward: boolean };
}

/** The strongest edges of one relation of one node, and how many there were. */
export interface PivotExpansion {
  readonly relation: PivotRelation;
  readonly steps: PivotStep[];
  readonly total: number;
}

/** The relations expanded from each node type, in the order the graph lists them. */
export const RELATIONS_OF: Readonly<Record<PivotNodeType, readonly PivotRelation[]>> = {
  ip: ['talked-to', 'resolved-to', 'exposes', 'served', 'in-asn', 'tagged', 'ja3s', 'ja3', 'ja4', 'banner'],
  domain: ['resolved-to', 'names', 'tagged'],
  cert: ['served', 'names'],
  asn: ['announces', 'in-asn'],
  cidr: ['contains'],
  ja3s: ['ja3s'],
  ja3: ['ja3'],
  ja4: ['ja4'],
  banner: ['banner'],
  service: [],
  indicator: [],
};

/** Addresses of an AS read to rank its prefixes by traffic. */
const AS_ADDRESS_CAP = 100_000;

const iso = (ms: number) => new Date(ms).toISOString();
const ipNode = (ip: string, tags: readonly string[] = []): Omit<PivotNode, 'depth'> => ({ id: `ip:${ip}`, type: 'ip', value: ip, tags });
const domainNode = (name: string): Omit<PivotNode, 'depth'> => ({ id: `domain:${name}`, type: 'domain', value: name, tags: [] });
const none = (relation: PivotRelation): PivotExpansion => ({ relation, total: 0, steps: [] });

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

/** The banner text a service row is known by: its banner, else its product ('' = none). */
function bannerText(r: Pick<ServiceRow, 'banner' | 'product'>): string {
  return r.banner !== '' ? r.banner : r.product;
}

/** A banner node's value, `443/tcp nginx`, read back. */
function parseBannerValue(value: string): { port: number; transport: string; text: string } | undefined {
  const m = /^(\d+)\/(\w+) ([\s\S]+)$/.exec(value);
  return m ? { port: Number(m[1]), transport: m[2]!, text: m[3]! } : undefined;
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

  expansion(relation: PivotRelation, outward: boolean, limit: number): PivotExpansion {
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

/** Per-expansion memo of the reads several relations of one address share. */
interface AddressReads {
  services?: Promise<ServiceRow[]>;
  sightings?: Promise<SightingRow[]>;
}

/** Relations read from the store and the indexes, per node type. */
class Relations {
  /** A ssl.log reference (fingerprint or file id) of each certificate node, for its lookups. */
  readonly certRefs = new Map<string, { ref: string; names: readonly string[] }>();
  /** Edges kept per node and relation in the expansion under way. */
  limit: number;
  /** talked-to answers of the step under way, by address, read for the whole frontier at once. */
  private peers = new Map<string, PeerRow[]>();
  private reads = new Map<string, AddressReads>();

  constructor(
    private readonly store: Store,
    private readonly options: PivotOptions,
    private readonly intel: IntelIndex<StoredIndicator>,
    limit: number,
    private readonly has: DatasetPresence,
  ) {
    this.limit = limit;
  }

  private get window() {
    return { from: this.options.from, to: this.options.to };
  }

  /** Reads what a whole frontier needs in batches before its nodes are expanded one by one. */
  async prefetch(nodes: readonly PivotNode[], wanted: ReadonlySet<PivotRelation> | undefined): Promise<void> {
    this.peers = new Map();
    this.reads = new Map();
    if (wanted && !wanted.has('talked-to')) return;
    const ips = nodes.filter((n) => n.type === 'ip').map((n) => parseIp(n.value)!);
    if (ips.length === 0) return;
    for (const ip of ips) this.peers.set(formatIp(ip), []);
    for (const row of await peersOf(this.store, ips, this.window, this.limit)) this.peers.get(row.node)?.push(row);
  }

  private addressReads(address: string): AddressReads {
    let r = this.reads.get(address);
    if (!r) this.reads.set(address, (r = {}));
    return r;
  }

  private servicesOf(address: string): Promise<ServiceRow[]> {
    const r = this.addressReads(address);
    return (r.services ??= this.has.services ? servicesOf(this.store, address) : Promise.resolve([]));
  }

  private sightingsOf(address: string): Promise<SightingRow[]> {
    const r = this.addressReads(address);
    return (r.sightings ??= this.has.sightings ? tlsSightingsOf(this.store, address) : Promise.resolve([]));
  }

  /** The address's peers over flows, most bytes first; the service port is the lower of a TCP/UDP pair. */
  async talkedTo(ip: Ip): Promise<PivotExpansion> {
    const address = formatIp(ip);
    let rows = this.peers.get(address);
    if (!rows) rows = await peersOf(this.store, [ip], this.window, this.limit);
    return {
      relation: 'talked-to',
      total: rows.length > 0 ? rows[0]!.total : 0,
      steps: rows.map((r) => ({
        node: ipNode(r.peer, this.tagsOf(r.peer)),
        edge: { relation: 'talked-to', outward: true, count: r.flows, bytes: r.bytes, first: iso(r.first), last: iso(r.last), ports: r.ports },
      })),
    };
  }

  /** Names whose answers were this address (edges point from the name). */
  async namesOf(ip: Ip): Promise<PivotExpansion> {
    return this.dnsSteps(this.has.passiveDns ? await passiveDnsByAnswer(this.store, formatIp(ip)) : [], (r) => domainNode(r.rrname), false);
  }

  /** What a name resolved to: addresses (A/AAAA) and names (CNAME...). */
  async answersOf(name: string): Promise<PivotExpansion> {
    return this.dnsSteps(this.has.passiveDns ? await passiveDnsByName(this.store, name) : [], (r) => {
      const ip = parseIp(r.rdata);
      return ip === undefined ? domainNode(r.rdata) : ipNode(formatIp(ip), this.tagsOf(formatIp(ip)));
    }, true);
  }

  private dnsSteps(rows: readonly PassiveDnsRow[], target: (r: PassiveDnsRow) => Omit<PivotNode, 'depth'>, outward: boolean): PivotExpansion {
    // Several sensors may report one (name, answer): one edge, their counts summed.
    const edges = new EdgeTally();
    for (const r of rows) edges.add(target(r), r.count, r.firstSeen, r.lastSeen);
    return edges.expansion('resolved-to', outward, this.limit);
  }

  /** The services the address offers (scans, and flows it answered), one node per port and transport. */
  async exposes(ip: Ip): Promise<PivotExpansion> {
    const address = formatIp(ip);
    const edges = new EdgeTally();
    for (const r of await this.servicesOf(address)) {
      const value = `${address}:${r.port}/${r.transport}`;
      const tags = [r.service, r.product, `source:${r.source}`].filter((t) => t !== '');
      edges.add({ id: `service:${value}`, type: 'service', value, tags }, r.count, r.firstSeen, r.lastSeen);
    }
    return edges.expansion('exposes', true, this.limit);
  }

  /** Certificates the address presented (ssl.log sightings joined with x509.log), one edge per certificate. */
  async served(ip: Ip): Promise<PivotExpansion> {
    const edges = new EdgeTally();
    for (const s of this.has.sightings ? await certificatesOf(this.store, ip) : []) {
      if (!s.certificate) continue;
      const node = certNode(s.certificate);
      this.certRefs.set(node.id, { ref: s.ref, names: [s.certificate.cn, ...s.certificate.sanDns].filter((n) => n !== '') });
      edges.add(node, s.count, s.firstSeen, s.lastSeen, s.port);
    }
    return edges.expansion('served', true, this.limit);
  }

  /** Addresses that presented the certificate (edges point from the address): the "same certificate" pivot. */
  async servers(node: PivotNode): Promise<PivotExpansion> {
    const known = this.certRefs.get(node.id);
    const edges = new EdgeTally();
    for (const s of known && this.has.sightings ? await ipsServing(this.store, known.ref) : []) {
      const ip = formatIp(s.ip);
      edges.add(ipNode(ip, this.tagsOf(ip)), s.count, s.firstSeen, s.lastSeen);
    }
    return edges.expansion('served', false, this.limit);
  }

  /** The names a certificate carries (subject CN and DNS SANs). */
  names(node: PivotNode): PivotExpansion {
    const names = [...new Set(this.certRefs.get(node.id)?.names ?? [])];
    return {
      relation: 'names',
      total: names.length,
      steps: names.slice(0, this.limit).map((n) => ({ node: domainNode(n), edge: { relation: 'names', outward: true, count: 1, first: null, last: null } })),
    };
  }

  /** Certificates that name the domain (CN or SAN, one-label wildcards); edges point from the certificate. */
  async certificatesNaming(name: string): Promise<PivotExpansion> {
    const seen = new Map<string, PivotStep>();
    for (const c of this.has.certificates ? await certificatesNaming(this.store, name) : []) {
      const node = certNode(c);
      this.certRefs.set(node.id, { ref: c.ref, names: [c.cn, ...c.sanDns].filter((n) => n !== '') });
      if (!seen.has(node.id)) seen.set(node.id, { node, edge: { relation: 'names', outward: false, count: c.count, first: iso(c.firstSeen), last: iso(c.lastSeen) } });
    }
    const steps = [...seen.values()];
    return { relation: 'names', total: steps.length, steps: steps.slice(0, this.limit) };
  }

  /** The AS the address is announced from (enrichment database). */
  asnOf(ip: Ip): PivotExpansion {
    const geo = this.options.geo?.lookup(ip);
    if (!geo || geo.asn === null) return none('in-asn');
    const node = { id: `asn:AS${geo.asn}`, type: 'asn' as const, value: `AS${geo.asn}`, tags: geo.asOrg ? [geo.asOrg] : [] };
    return { relation: 'in-asn', total: 1, steps: [{ node, edge: { relation: 'in-asn', outward: true, count: 1, first: null, last: null } }] };
  }

  /** Indicators that name the address or domain, with their source. */
  tagged(matches: readonly IndexMatch<StoredIndicator>[]): PivotExpansion {
    const seen = new Map<string, PivotStep>();
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
    return { relation: 'tagged', total: steps.length, steps: steps.slice(0, this.limit) };
  }

  /** The JA3S fingerprints the address answered TLS hellos with (certificate sightings). */
  async ja3sOf(ip: Ip): Promise<PivotExpansion> {
    const edges = new EdgeTally();
    for (const s of await this.sightingsOf(formatIp(ip))) if (s.ja3s !== '') edges.add({ id: `ja3s:${s.ja3s}`, type: 'ja3s', value: s.ja3s, tags: [] }, s.count, s.firstSeen, s.lastSeen, s.port);
    return edges.expansion('ja3s', true, this.limit);
  }

  /** The JA3 or JA4 fingerprints of the hellos the address sent (tls_clients). */
  async clientFingerprints(ip: Ip, kind: 'ja3' | 'ja4'): Promise<PivotExpansion> {
    const edges = new EdgeTally();
    for (const c of this.has.tlsClients ? await tlsClientsOf(this.store, ip, { role: 'client', limit: 10_000 }) : []) {
      const fp = c[kind];
      if (fp !== '') edges.add({ id: `${kind}:${fp}`, type: kind, value: fp, tags: [] }, c.count, c.firstSeen, c.lastSeen);
    }
    return edges.expansion(kind, true, this.limit);
  }

  /** The banners (or products) the address shows on each port, from the services table. */
  async bannersOf(ip: Ip): Promise<PivotExpansion> {
    const edges = new EdgeTally();
    for (const r of await this.servicesOf(formatIp(ip))) {
      const text = bannerText(r);
      if (text === '') continue;
      const value = `${r.port}/${r.transport} ${text}`;
      edges.add({ id: `banner:${value}`, type: 'banner', value, tags: r.service !== '' ? [r.service] : [] }, r.count, r.firstSeen, r.lastSeen);
    }
    return edges.expansion('banner', true, this.limit);
  }

  /** Addresses sharing a fingerprint or a banner (edges point from the address): sibling infrastructure. */
  async sharing(node: PivotNode): Promise<PivotExpansion> {
    const relation = node.type as 'ja3s' | 'ja3' | 'ja4' | 'banner';
    let found: { rows: ActivityRow[]; total: number };
    const present = node.type === 'ja3s' ? this.has.sightings : node.type === 'banner' ? this.has.services : this.has.tlsClients;
    if (!present) return none(relation);
    if (node.type === 'ja3s') found = await serversWithJa3s(this.store, node.value, this.limit);
    else if (node.type === 'ja3' || node.type === 'ja4') found = await clientsWithFingerprint(this.store, node.type, node.value, this.limit);
    else {
      const b = parseBannerValue(node.value);
      if (!b) return none(relation);
      found = await hostsWithBanner(this.store, b.port, b.transport, b.text, this.limit);
    }
    return this.activitySteps(relation, found, false);
  }

  private activitySteps(relation: PivotRelation, found: { rows: readonly ActivityRow[]; total: number }, outward: boolean): PivotExpansion {
    return {
      relation,
      total: found.total,
      steps: found.rows.map((r) => ({
        node: ipNode(r.ip, this.tagsOf(r.ip)),
        edge: { relation, outward, count: r.count, ...(r.bytes !== undefined ? { bytes: r.bytes } : {}), first: iso(r.first), last: iso(r.last) },
      })),
    };
  }

  /**
   * An AS's prefixes (enrichment database), those whose addresses had flows first (most bytes),
   * then the rest in address order; and its busiest addresses (flows whose `src_as`/`dst_as` is
   * the AS), edges pointing from the address.
   */
  async asnRelations(node: PivotNode, wanted: (r: PivotRelation) => boolean): Promise<PivotExpansion[]> {
    const asn = Number(node.value.replace(/^AS/i, ''));
    const out: PivotExpansion[] = [];
    const announces = wanted('announces') && this.options.geo ? asnPrefixes(this.options.geo, asn) : [];
    // Ranking prefixes needs every active address of the AS; the busiest alone need `limit`.
    const cap = announces.length > 0 ? AS_ADDRESS_CAP : this.limit;
    const active = wanted('announces') || wanted('in-asn') ? await activeAddresses(this.store, this.window, inAs(asn), cap) : { rows: [], total: 0 };
    if (wanted('announces')) {
      const traffic = new Map<number, { flows: number; bytes: number; first: number; last: number }>();
      for (const a of active.rows) {
        const i = prefixIndexOf(announces, parseIp(a.ip)!);
        if (i < 0) continue;
        const t = traffic.get(i) ?? { flows: 0, bytes: 0, first: Infinity, last: -Infinity };
        t.flows += a.count;
        t.bytes += a.bytes ?? 0;
        t.first = Math.min(t.first, a.first);
        t.last = Math.max(t.last, a.last);
        traffic.set(i, t);
      }
      const busy = [...traffic.entries()].sort((x, y) => y[1].bytes - x[1].bytes || y[1].flows - x[1].flows || x[0] - y[0]);
      const quiet = announces.map((_p, i) => i).filter((i) => !traffic.has(i));
      const steps = [...busy.map(([i]) => i), ...quiet].slice(0, this.limit).map((i): PivotStep => {
        const p = announces[i]!;
        const t = traffic.get(i);
        return {
          node: { id: `cidr:${p.cidr}`, type: 'cidr', value: p.cidr, tags: [] },
          edge: { relation: 'announces', outward: true, count: t?.flows ?? 0, bytes: t?.bytes ?? 0, first: t ? iso(t.first) : null, last: t ? iso(t.last) : null },
        };
      });
      out.push({ relation: 'announces', total: announces.length, steps });
    }
    if (wanted('in-asn')) out.push(this.activitySteps('in-asn', { rows: active.rows.slice(0, this.limit), total: active.total }, false));
    return out;
  }

  /**
   * A network's addresses that had flows (most bytes first), then those known only from the
   * services table or TLS sightings (most observations first).
   */
  async contains(range: IpRange): Promise<PivotExpansion> {
    const flows = await activeAddresses(this.store, this.window, inNetwork(range), this.limit);
    const seenOnly = new EdgeTally();
    const inside = (text: string) => {
      const ip = parseIp(text);
      return ip !== undefined && rangeContains(range, ip);
    };
    for (const s of this.has.services ? await everyService(this.store) : []) if (inside(s.ip)) seenOnly.add(ipNode(formatIp(parseIp(s.ip)!)), s.count, s.firstSeen, s.lastSeen);
    for (const s of this.has.sightings ? await tlsSightingsIn(this.store, [range]) : []) seenOnly.add(ipNode(formatIp(s.ip)), s.count, s.firstSeen, s.lastSeen);
    let services = seenOnly.expansion('contains', true, Number.MAX_SAFE_INTEGER).steps;
    if (services.length > 0) {
      // Addresses with services that also had flows are counted with the flows.
      const ips = services.map((s) => parseIp(s.node.value)!);
      const withFlows = await activeAddresses(this.store, this.window, (d, p, side) => d.flowsIpIn(side, ips, p), ips.length);
      const active = new Set(withFlows.rows.map((r) => r.ip));
      services = services.filter((s) => !active.has(s.node.value));
    }
    const steps = [...this.activitySteps('contains', flows, true).steps, ...services.map((s) => ({ node: { ...s.node, tags: this.tagsOf(s.node.value) }, edge: s.edge }))];
    return { relation: 'contains', total: flows.total + services.length, steps: steps.slice(0, this.limit) };
  }

  tagsOf(ip: string): string[] {
    const address = parseIp(ip);
    if (address === undefined) return [];
    return [...new Set(this.intel.matchAddress(address).map((m) => indicatorTag(m.indicator)))];
  }

  /** The relations of a node (those wanted, or all), in {@link RELATIONS_OF} order. */
  async expand(node: PivotNode, only?: ReadonlySet<PivotRelation>): Promise<PivotExpansion[]> {
    const wanted = (r: PivotRelation) => !only || only.has(r);
    const out: PivotExpansion[] = [];
    switch (node.type) {
      case 'ip': {
        const ip = parseIp(node.value)!;
        if (wanted('talked-to')) out.push(await this.talkedTo(ip));
        if (wanted('resolved-to')) out.push(await this.namesOf(ip));
        if (wanted('exposes')) out.push(await this.exposes(ip));
        if (wanted('served')) out.push(await this.served(ip));
        if (wanted('in-asn')) out.push(this.asnOf(ip));
        if (wanted('tagged')) out.push(this.tagged(this.intel.matchAddress(ip)));
        if (wanted('ja3s')) out.push(await this.ja3sOf(ip));
        if (wanted('ja3')) out.push(await this.clientFingerprints(ip, 'ja3'));
        if (wanted('ja4')) out.push(await this.clientFingerprints(ip, 'ja4'));
        if (wanted('banner')) out.push(await this.bannersOf(ip));
        return out;
      }
      case 'domain':
        if (wanted('resolved-to')) out.push(await this.answersOf(node.value));
        if (wanted('names')) out.push(await this.certificatesNaming(node.value));
        if (wanted('tagged')) out.push(this.tagged(this.intel.matchDomain(node.value)));
        return out;
      case 'cert':
        if (wanted('served')) out.push(await this.servers(node));
        if (wanted('names')) out.push(this.names(node));
        return out;
      case 'asn':
        return this.asnRelations(node, wanted);
      case 'cidr': {
        const range = parseCidr(node.value);
        if (range && wanted('contains')) out.push(await this.contains(range));
        return out;
      }
      case 'ja3s':
      case 'ja3':
      case 'ja4':
      case 'banner':
        if (wanted(node.type)) out.push(await this.sharing(node));
        return out;
      default:
        return [];
    }
  }
}

/** The root node of an entity (a certificate is looked up in the store: its node is keyed as the graph keys it). */
async function rootNode(store: Store, entity: Entity, relations: Relations, intel: IntelIndex<StoredIndicator>, geo: GeoDatabase | undefined): Promise<Omit<PivotNode, 'depth'>> {
  switch (entity.type) {
    case 'ip':
      return ipNode(entity.value, [...new Set(intel.matchAddress(entity.ip).map((m) => indicatorTag(m.indicator)))]);
    case 'domain':
      return domainNode(entity.value);
    case 'asn': {
      const org = geo ? asnOrganisation(geo, entity.asn) : null;
      return { id: `asn:${entity.value}`, type: 'asn', value: entity.value, tags: org ? [org] : [] };
    }
    case 'cidr':
      return { id: `cidr:${entity.value}`, type: 'cidr', value: entity.value, tags: [] };
    case 'cert': {
      for (const ref of await certificateRefsByHash(store, entity.value)) {
        const c = await certificate(store, ref);
        if (!c) continue;
        const node = certNode(c);
        relations.certRefs.set(node.id, { ref: c.ref, names: [c.cn, ...c.sanDns].filter((n) => n !== '') });
        return node;
      }
      // Sightings may name a certificate x509.log never described: its servers are still known.
      const node = { id: `cert:${entity.value}`, type: 'cert' as const, value: entity.value, tags: [] };
      relations.certRefs.set(node.id, { ref: entity.value, names: [] });
      return node;
    }
  }
}

/** Checks that the graph can start from the entity, before any store is opened: every entity type can. */
export function assertPivotable(entity: Entity): void {
  if (!['ip', 'domain', 'asn', 'cidr', 'cert'].includes(entity.type)) throw new VantageError('USAGE', `pivot cannot start from ${entity.type} '${entity.value}'`);
}

/** Options of one expansion step of {@link PivotEngine}. */
export interface ExpandOptions {
  /** Only these relations (default: every relation of each node's type). */
  readonly relations?: ReadonlySet<PivotRelation>;
  /** Edges kept per node and relation (default: the engine's limit). */
  readonly limit?: number;
  /** Stop before expanding nodes once this time (performance.now()) has passed. */
  readonly deadline?: number;
}

/** One node of a step and what its relations found. */
export interface NodeExpansion {
  readonly node: PivotNode;
  readonly expansions: PivotExpansion[];
}

/** The pivot engine over one store and entity: its root and the one-step expansion that pivots and playbooks repeat. */
export interface PivotEngine {
  readonly root: PivotNode;
  /** Expands nodes, in order; `timedOut` when the deadline left some unexpanded. */
  expand(nodes: readonly PivotNode[], options?: ExpandOptions): Promise<{ results: NodeExpansion[]; timedOut: boolean }>;
}

/** Opens the engine for an entity: the intelligence index is loaded and a certificate root looked up. */
export async function createPivotEngine(store: Store, entity: Entity, options: PivotOptions = {}): Promise<PivotEngine> {
  assertPivotable(entity);
  const limit = Math.max(1, Math.floor(options.limit ?? 10));
  const intel = options.intel ?? (await loadIntelIndex(store));
  const relations = new Relations(store, options, intel, limit, await datasetPresence(store));
  const root = { ...(await rootNode(store, entity, relations, intel, options.geo)), depth: 0 };
  return {
    root,
    async expand(nodes, opts = {}) {
      relations.limit = Math.max(1, Math.floor(opts.limit ?? limit));
      const results: NodeExpansion[] = [];
      if (opts.deadline !== undefined && performance.now() > opts.deadline) return { results, timedOut: nodes.length > 0 };
      await relations.prefetch(nodes, opts.relations);
      for (const node of nodes) {
        if (opts.deadline !== undefined && performance.now() > opts.deadline) return { results, timedOut: true };
        results.push({ node, expansions: await relations.expand(node, opts.relations) });
      }
      return { results, timedOut: false };
    },
  };
}

/** The graph as steps add to it: a node keeps the depth it was first reached at, an edge found from both ends is kept once. */
export class PivotGraphBuilder {
  readonly nodes = new Map<string, PivotNode>();
  readonly edges = new Map<string, PivotEdge>();
  readonly truncated: PivotTruncation[] = [];

  constructor(readonly root: PivotNode) {
    this.nodes.set(root.id, root);
  }

  /** Records a relation's truncation, if any, for a node. */
  noteTruncation(node: PivotNode, expansion: PivotExpansion, shown = expansion.steps.length): void {
    if (expansion.total > shown) this.truncated.push({ node: node.id, relation: expansion.relation, shown, total: expansion.total });
  }

  /** Adds one step from a node; returns the node at the other end and whether it is new to the graph. */
  add(from: PivotNode, step: PivotStep, depth: number): { target: PivotNode; added: boolean } {
    let target = this.nodes.get(step.node.id);
    const added = !target;
    if (!target) {
      target = { ...step.node, depth };
      this.nodes.set(target.id, target);
    }
    const [a, b] = step.edge.outward ? [from.id, target.id] : [target.id, from.id];
    // talked-to has no direction worth two edges: A–B and B–A are one conversation.
    const key = step.edge.relation === 'talked-to' ? `talked-to ${[a, b].sort().join(' ')}` : `${step.edge.relation} ${a} ${b}`;
    if (!this.edges.has(key)) {
      const { outward: _outward, ...edge } = step.edge;
      this.edges.set(key, { ...edge, from: a, to: b });
    }
    return { target, added };
  }
}

/**
 * Expands the graph breadth first. Nodes of the last level are not expanded; an edge found from
 * both of its ends is kept once. An entity with no edge at all is an error: "nothing known
 * about X", not an empty success.
 */
export async function pivot(store: Store, entity: Entity, options: PivotOptions = {}): Promise<PivotGraph> {
  const started = performance.now();
  const depth = Math.min(4, Math.max(1, Math.floor(options.depth ?? 2)));
  const deadline = started + (options.deadlineMs ?? 10_000);
  const engine = await createPivotEngine(store, entity, options);
  const graph = new PivotGraphBuilder(engine.root);
  let frontier: PivotNode[] = [engine.root];
  let timedOut = false;
  for (let level = 0; level < depth && frontier.length > 0 && !timedOut; level++) {
    const next: PivotNode[] = [];
    const step = await engine.expand(frontier, { deadline });
    timedOut = step.timedOut;
    for (const { node, expansions } of step.results) {
      for (const expansion of expansions) {
        graph.noteTruncation(node, expansion);
        for (const s of expansion.steps) {
          const { target, added } = graph.add(node, s, level + 1);
          if (added) next.push(target);
        }
      }
    }
    frontier = next;
  }
  if (graph.edges.size === 0) throw new VantageError('NOT_FOUND', `nothing known about ${entity.value}: no flows, passive DNS, services, certificates, AS or intelligence connect it to anything`);
  return { root: engine.root.id, depth, nodes: [...graph.nodes.values()], edges: [...graph.edges.values()], truncated: graph.truncated, timedOut, ms: Math.round(performance.now() - started) };
}
