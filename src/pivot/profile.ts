// Entity profiles: everything the store knows about one address, network, domain or AS number
// (ASN/geo, intelligence with provenance, passive DNS both ways, flows with peers, ports and a
// timeline, findings), as one JSON-ready object whose sections are empty rather than missing.

import { VantageError } from '../core/errors.js';
import { formatIp, parseIp, rangeContains, singleRange, type Ip } from '../core/ip.js';
import { protocolName } from '../core/protocols.js';
import { FindingsRepository } from '../detect/findings-repository.js';
import type { Finding } from '../detect/finding.js';
import { ipKey, num, readKey } from '../detect/flow-sql.js';
import { loadIntelIndex } from '../enrich/create-enricher.js';
import type { GeoDatabase } from '../enrich/geo-database.js';
import { matchRecord } from '../intel/describe-match.js';
import type { StoredIndicator } from '../intel/indicator.js';
import type { IndexMatch, IntelIndex } from '../intel/intel-index.js';
import { ensureHttpRequestTable, httpRequestTable } from '../store/http-request-table.js';
import { certificatesNaming, certificatesOf, type CertificateRow } from '../store/certificate-tables.js';
import { passiveDnsByAnswer, passiveDnsByName, type PassiveDnsRow } from '../store/passive-dns-table.js';
import { servicesOf } from '../store/services-table.js';
import { tlsClientsNaming, tlsClientsOf, type TlsClientRow } from '../store/tls-client-table.js';
import type { Dialect, ParamSink, Store } from '../store/store.js';
import type { Entity } from './entity.js';

/** Options of {@link buildProfile}. */
export interface ProfileOptions {
  /** Flows starting at or after (epoch ms); default: all stored. */
  readonly from?: number;
  /** Flows starting before (epoch ms, exclusive). */
  readonly to?: number;
  /** Rows per list section (peers, ports, names...); default 10. */
  readonly limit?: number;
  /** ASN/country database; without it the context section is empty. */
  readonly geo?: GeoDatabase;
  /** The intelligence index, when the caller holds one; else loaded from the store. */
  readonly intel?: IntelIndex<StoredIndicator>;
  readonly now?: number;
}

/** An indicator that names the entity, with its provenance. */
export interface ProfileIntel {
  readonly indicator: string;
  readonly type: string;
  /** threat or allow. */
  readonly kind: string;
  /** exact, covering-prefix, address-port, parent-domain, url-host, within-prefix, or asn (listed by AS number). */
  readonly how: string;
  readonly source: string;
  readonly feed: string;
  readonly family: string | null;
  readonly tag: string;
  readonly confidence: number | null;
  readonly reference: string | null;
  readonly first_seen: string | null;
  readonly last_seen: string | null;
}

/** A passive-DNS record summed over sensors. */
export interface ProfileDnsRecord {
  /** The queried name (for `names`) or the answer (for `answers`). */
  readonly value: string;
  readonly type: string;
  readonly first: string;
  readonly last: string;
  readonly count: number;
  /** For address answers: what the ASN/country database says about it. */
  readonly asn?: number | null;
  readonly as_org?: string | null;
  readonly country?: string | null;
}

/** Traffic between the entity and one other address. */
export interface ProfilePeer {
  readonly peer: string;
  /** Destination ports of these flows, most flows first (at most 10). */
  readonly ports: number[];
  readonly flows: number;
  readonly bytes: number;
  readonly packets: number;
}

/** One address inside the entity (network, AS, resolved addresses of a domain) and its traffic. */
export interface ProfileMember {
  readonly address: string;
  readonly flows: number;
  readonly bytes: number;
  readonly packets: number;
}

/** A destination port and protocol seen with the entity. */
export interface ProfilePort {
  readonly proto: string;
  readonly port: number;
  readonly flows: number;
  readonly bytes: number;
}

/** HTTP requests (from captures and Zeek http.log) the entity made, served, or was named in. */
export interface ProfileHttp {
  readonly host: string;
  /** client: the entity sent them; server: it received them; host: a domain named in the Host header. */
  readonly role: 'client' | 'server' | 'host';
  readonly requests: number;
  readonly first: string;
  readonly last: string;
  /** Request URIs, most requested first (at most 5). */
  readonly uris: string[];
}

/** A finding that involves the entity. */
export interface ProfileFinding {
  readonly id: string;
  readonly kind: string;
  readonly subkind: string;
  readonly severity: string;
  readonly score: number;
  readonly status: string;
  readonly first: string;
  readonly last: string;
  readonly summary: string;
  /** The roles the entity plays in it (from the finding's entities; src/dst otherwise). */
  readonly roles: string[];
  /** For a domain: the resolved address through which the finding involves it. */
  readonly via?: string;
}

/** The profile. */
export interface Profile {
  readonly entity: { readonly type: string; readonly value: string };
  readonly window: { readonly from: string | null; readonly to: string | null };
  readonly context: { readonly asn: { readonly number: number; readonly org: string | null } | null; readonly country: string | null };
  readonly intel: ProfileIntel[];
  readonly dns: {
    /** Names whose answers held the entity (an address's names, a name's CNAME/NS/MX sources). */
    readonly names: ProfileDnsRecord[];
    /** What a domain resolved to. */
    readonly answers: ProfileDnsRecord[];
    /** Names below a domain that were seen, with their own counts. */
    readonly subdomains: ProfileDnsRecord[];
  };
  readonly flows: { readonly query: string | null; readonly flows: number; readonly bytes: number; readonly packets: number; readonly first: string | null; readonly last: string | null };
  readonly peers: { readonly asSource: ProfilePeer[]; readonly asDestination: ProfilePeer[] };
  readonly members: ProfileMember[];
  readonly ports: { readonly asSource: ProfilePort[]; readonly asDestination: ProfilePort[] };
  readonly timeline: { readonly interval: 'hour' | 'day'; readonly buckets: { time: string; flows: number; bytes: number; packets: number }[] };
  readonly http: ProfileHttp[];
  /** Services seen on an address (scans, and derived from flows). */
  readonly services: ProfileService[];
  /** Certificates an address presented, or that name a domain (Zeek ssl.log + x509.log, captures). */
  readonly certificates: ProfileCertificate[];
  /** TLS clients (from captures) the address was part of, or that asked for the domain (SNI), with JA3/JA4. */
  readonly tlsClients: ProfileTlsClient[];
  readonly findings: ProfileFinding[];
}

/** A service seen on the address. */
export interface ProfileService {
  readonly port: number;
  readonly transport: string;
  readonly service: string;
  readonly product: string;
  readonly banner: string;
  readonly source: string;
  readonly first: string | null;
  readonly last: string | null;
  readonly count: number;
}

/** A certificate of the entity, with where it was seen. */
export interface ProfileCertificate {
  readonly ref: string;
  readonly sha256: string;
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly names: readonly string[];
  readonly notAfter: string | null;
  /** Addresses only: the port and the server name (SNI) it was presented for. */
  readonly port: number | null;
  readonly serverName: string;
  readonly first: string | null;
  readonly last: string | null;
  readonly count: number;
}

/** A TLS client seen in captures: who said hello to whom, asking for what name, with which fingerprints. */
export interface ProfileTlsClient {
  readonly client: string;
  readonly server: string;
  readonly port: number;
  readonly serverName: string;
  readonly ja3: string;
  readonly ja4: string;
  /** For an address: whether it was the client or the server. */
  readonly role: 'client' | 'server' | 'name';
  readonly first: string | null;
  readonly last: string | null;
  readonly count: number;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Spans up to a week get hourly buckets (at most 168), longer ones daily. */
const HOURLY_UP_TO = 7 * DAY;
/** A domain's flows are looked up through at most this many resolved addresses. */
const MAX_RESOLVED = 256;
const PORTS_PER_PEER = 10;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Throws a USAGE error for entities that parse but cannot be profiled yet (certificate hashes). */
export function assertProfilable(entity: Entity): void {
  if (entity.type === 'cert') {
    throw new VantageError('USAGE', `certificate profiles are not supported yet (${entity.algorithm} ${entity.value}): profile the server address or domain instead`);
  }
}

/** Builds the profile of an entity over the store. Certificate hashes are recognised but not profiled yet. */
export async function buildProfile(store: Store, entity: Entity, options: ProfileOptions = {}): Promise<Profile> {
  assertProfilable(entity);
  const limit = Math.max(1, Math.floor(options.limit ?? 10));
  const index = options.intel ?? (await loadIntelIndex(store, options.now));
  const geo = options.geo;

  const dns = await dnsSection(store, entity, limit, geo);
  const addresses = entity.type === 'domain' ? dns.resolved.slice(0, MAX_RESOLVED) : [];
  const subject = subjectOf(entity, addresses);
  const flows = new FlowSections(store, subject, options, limit);
  const summary = await flows.summary();

  return {
    entity: { type: entity.type, value: entity.value },
    window: { from: iso(options.from ?? null), to: iso(options.to ?? null) },
    context: contextOf(entity, geo),
    intel: intelOf(entity, index, geo),
    dns: { names: dns.names, answers: dns.answers, subdomains: dns.subdomains },
    flows: { query: queryText(entity), ...summary },
    peers: { asSource: await flows.peers('src'), asDestination: await flows.peers('dst') },
    members: entity.type === 'ip' ? [] : await flows.members(),
    ports: { asSource: await flows.ports('src'), asDestination: await flows.ports('dst') },
    timeline: await flows.timeline(summary),
    http: await httpOf(store, entity, options, limit),
    services: await servicesSection(store, entity, limit),
    certificates: await certificatesSection(store, entity, limit),
    tlsClients: await tlsClientsSection(store, entity, limit),
    findings: await findingsOf(store, entity, addresses, options, limit),
  };
}

async function servicesSection(store: Store, entity: Entity, limit: number): Promise<ProfileService[]> {
  if (entity.type !== 'ip') return [];
  return (await servicesOf(store, entity.value, { limit })).map((r) => ({
    port: r.port,
    transport: r.transport,
    service: r.service,
    product: r.product,
    banner: r.banner,
    source: r.source,
    first: iso(r.firstSeen),
    last: iso(r.lastSeen),
    count: r.count,
  }));
}

async function certificatesSection(store: Store, entity: Entity, limit: number): Promise<ProfileCertificate[]> {
  const of = (c: CertificateRow) => ({
    ref: c.ref,
    sha256: c.sha256,
    subject: c.subject,
    issuer: c.issuer,
    serial: c.serial,
    names: [...new Set([c.cn, ...c.sanDns].filter((n) => n !== ''))],
    notAfter: iso(c.notAfter),
  });
  if (entity.type === 'ip') {
    return (await certificatesOf(store, entity.ip))
      .filter((s) => s.certificate !== undefined)
      .slice(0, limit)
      .map((s) => ({ ...of(s.certificate!), port: s.port, serverName: s.serverName, first: iso(s.firstSeen), last: iso(s.lastSeen), count: s.count }));
  }
  if (entity.type === 'domain') {
    return (await certificatesNaming(store, entity.value)).slice(0, limit).map((c) => ({ ...of(c), port: null, serverName: '', first: iso(c.firstSeen), last: iso(c.lastSeen), count: c.count }));
  }
  return [];
}

async function tlsClientsSection(store: Store, entity: Entity, limit: number): Promise<ProfileTlsClient[]> {
  const of = (r: TlsClientRow, role: ProfileTlsClient['role']): ProfileTlsClient => ({
    client: formatIp(r.src),
    server: formatIp(r.dst),
    port: r.dport,
    serverName: r.serverName,
    ja3: r.ja3,
    ja4: r.ja4,
    role,
    first: iso(r.firstSeen),
    last: iso(r.lastSeen),
    count: r.count,
  });
  if (entity.type === 'ip') {
    const own = formatIp(entity.ip);
    return (await tlsClientsOf(store, entity.ip, { limit })).map((r) => of(r, formatIp(r.src) === own ? 'client' : 'server'));
  }
  if (entity.type === 'domain') return (await tlsClientsNaming(store, entity.value, limit)).map((r) => of(r, 'name'));
  return [];
}

/** The Vantage query showing the entity's flows (none for a domain: its addresses vary over time). */
function queryText(entity: Entity): string | null {
  switch (entity.type) {
    case 'ip':
      return `host ${entity.value}`;
    case 'cidr':
      return `net ${entity.value}`;
    case 'asn':
      return `as ${entity.asn}`;
    default:
      return null;
  }
}

// ---- context and intelligence ----

function contextOf(entity: Entity, geo: GeoDatabase | undefined): Profile['context'] {
  const none = { asn: null, country: null };
  if (!geo) return none;
  const of = (ip: Ip) => geo.lookup(ip);
  switch (entity.type) {
    case 'ip': {
      const g = of(entity.ip);
      return { asn: g.asn === null ? null : { number: g.asn, org: g.asOrg }, country: g.country };
    }
    case 'cidr': {
      // A network is reported only when both its ends agree (a /8 may span many ASes).
      const a = of(entity.range.first);
      const b = of(entity.range.last);
      return { asn: a.asn !== null && a.asn === b.asn ? { number: a.asn, org: a.asOrg } : null, country: a.country === b.country ? a.country : null };
    }
    case 'asn': {
      const i = geo.asNumbers.indexOf(entity.asn);
      return { asn: { number: entity.asn, org: i >= 0 ? geo.asOrgs[i]! : null }, country: null };
    }
    default:
      return none;
  }
}

function intelRecord(m: IndexMatch<StoredIndicator>, how: string = m.how): ProfileIntel {
  const r = matchRecord(m.indicator, how);
  return {
    indicator: r.indicator,
    type: r.type,
    kind: r.kind,
    how: r.how,
    source: r.source,
    feed: r.feed,
    family: r.family,
    tag: r.flow_tag,
    confidence: r.confidence,
    reference: r.reference,
    first_seen: r.first_seen,
    last_seen: r.last_seen,
  };
}

function intelOf(entity: Entity, index: IntelIndex<StoredIndicator>, geo: GeoDatabase | undefined): ProfileIntel[] {
  switch (entity.type) {
    case 'ip': {
      const own = index.matchAddress(entity.ip).map((m) => intelRecord(m));
      // Feeds that list whole ASes (Spamhaus ASN-DROP) speak about every address in them.
      const asn = geo?.lookup(entity.ip).asn ?? null;
      const viaAsn = asn === null ? [] : index.matchValue(`AS${asn}`).matches.map((m) => intelRecord(m, 'asn'));
      return [...own, ...viaAsn];
    }
    case 'cidr':
      return index.matchNetwork(entity.range).map((m) => intelRecord(m));
    case 'domain':
      return index.matchDomain(entity.value).map((m) => intelRecord(m));
    case 'asn':
      return index.matchValue(entity.value).matches.map((m) => intelRecord(m));
    default:
      return [];
  }
}

// ---- passive DNS ----

/** Sums rows over sensors, per (key, type). */
function sumRows(rows: readonly PassiveDnsRow[], key: (r: PassiveDnsRow) => string): { value: string; type: string; first: number; last: number; count: number }[] {
  const out = new Map<string, { value: string; type: string; first: number; last: number; count: number }>();
  for (const r of rows) {
    const k = `${key(r)}\u0000${r.rrtype}`;
    const had = out.get(k);
    if (had) {
      had.first = Math.min(had.first, r.firstSeen);
      had.last = Math.max(had.last, r.lastSeen);
      had.count += r.count;
    } else out.set(k, { value: key(r), type: r.rrtype, first: r.firstSeen, last: r.lastSeen, count: r.count });
  }
  // Most seen first; then the latest; then by value so equal rows keep one order on every backend.
  return [...out.values()].sort((a, b) => b.count - a.count || b.last - a.last || (a.value < b.value ? -1 : a.value > b.value ? 1 : a.type.localeCompare(b.type)));
}

const dnsRecord = (r: { value: string; type: string; first: number; last: number; count: number }): ProfileDnsRecord => ({
  value: r.value,
  type: r.type,
  first: iso(r.first)!,
  last: iso(r.last)!,
  count: r.count,
});

async function dnsSection(
  store: Store,
  entity: Entity,
  limit: number,
  geo: GeoDatabase | undefined,
): Promise<{ names: ProfileDnsRecord[]; answers: ProfileDnsRecord[]; subdomains: ProfileDnsRecord[]; resolved: Ip[] }> {
  if (entity.type === 'ip') {
    const names = sumRows(await passiveDnsByAnswer(store, entity.value), (r) => r.rrname);
    return { names: names.slice(0, limit).map(dnsRecord), answers: [], subdomains: [], resolved: [] };
  }
  if (entity.type !== 'domain') return { names: [], answers: [], subdomains: [], resolved: [] };
  const rows = await passiveDnsByName(store, entity.value, { includeSubdomains: true });
  const own = sumRows(
    rows.filter((r) => r.rrname === entity.value),
    (r) => r.rdata,
  );
  const below = sumRows(
    rows.filter((r) => r.rrname !== entity.value),
    (r) => r.rrname,
  );
  // One entry per subdomain, whatever record types it had.
  const subdomains = new Map<string, { value: string; type: string; first: number; last: number; count: number }>();
  for (const s of below) {
    const had = subdomains.get(s.value);
    if (had) {
      had.first = Math.min(had.first, s.first);
      had.last = Math.max(had.last, s.last);
      had.count += s.count;
      if (!had.type.split(',').includes(s.type)) had.type = [...had.type.split(','), s.type].sort().join(',');
    } else subdomains.set(s.value, { ...s });
  }
  const resolved: Ip[] = [];
  for (const a of own) {
    if (a.type !== 'A' && a.type !== 'AAAA') continue;
    const ip = parseIp(a.value);
    if (ip !== undefined) resolved.push(ip);
  }
  const answers = own.slice(0, limit).map((a) => {
    const ip = a.type === 'A' || a.type === 'AAAA' ? parseIp(a.value) : undefined;
    if (ip === undefined || !geo) return dnsRecord(a);
    const g = geo.lookup(ip);
    return { ...dnsRecord(a), asn: g.asn, as_org: g.asOrg, country: g.country };
  });
  const names = sumRows(await passiveDnsByAnswer(store, entity.value), (r) => r.rrname).filter((r) => r.value !== entity.value);
  const sortedSubs = [...subdomains.values()].sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  return { names: names.slice(0, limit).map(dnsRecord), answers, subdomains: sortedSubs.slice(0, limit).map(dnsRecord), resolved };
}

// ---- flows ----

/** SQL conditions on the flows table for "the entity is the source" and "the entity is the destination". */
interface Subject {
  side(d: Dialect, params: ParamSink, column: 'src' | 'dst'): string;
}

function subjectOf(entity: Entity, addresses: readonly Ip[]): Subject | undefined {
  switch (entity.type) {
    case 'ip':
      return { side: (d, p, c) => d.flowsIpInRange(c, singleRange(entity.ip), p) };
    case 'cidr':
      return { side: (d, p, c) => d.flowsIpInRange(c, entity.range, p) };
    case 'asn':
      return { side: (d, p, c) => `${d.quote(`${c}_as`)} = ${p.bind('u32', entity.asn)}` };
    case 'domain':
      if (addresses.length === 0) return undefined;
      return { side: (d, p, c) => d.flowsIpIn(c, addresses, p) };
    default:
      return undefined;
  }
}

type Summary = Omit<Profile['flows'], 'query'>;

/** The flow sections: every value bound as a parameter, the window applied to flow start. */
class FlowSections {
  private readonly d: Dialect;

  constructor(
    private readonly store: Store,
    private readonly subject: Subject | undefined,
    private readonly options: ProfileOptions,
    private readonly limit: number,
  ) {
    this.d = store.dialect;
  }

  /** `start >= from AND start < to` for the bounds given, or TRUE. */
  private window(params: ParamSink): string {
    const q = this.d.quote;
    const parts: string[] = [];
    if (this.options.from !== undefined) parts.push(`${q('start')} >= ${params.bind('time', this.options.from)}`);
    if (this.options.to !== undefined) parts.push(`${q('start')} < ${params.bind('time', this.options.to)}`);
    return parts.length > 0 ? parts.join(' AND ') : '1 = 1';
  }

  private either(params: ParamSink): string {
    return `(${this.subject!.side(this.d, params, 'src')} OR ${this.subject!.side(this.d, params, 'dst')})`;
  }

  async summary(): Promise<Summary> {
    if (!this.subject) return { flows: 0, bytes: 0, packets: 0, first: null, last: null };
    const d = this.d;
    const p = d.newParams();
    const sql =
      `SELECT count(*) AS n_flows, sum(${d.quote('bytes')}) AS n_bytes, sum(${d.quote('packets')}) AS n_packets, ` +
      `min(${d.timeMs('start')}) AS first_ms, max(${d.timeMs('end')}) AS last_ms FROM flows WHERE ${this.window(p)} AND ${this.either(p)}`;
    const [r] = await this.store.execute(sql, p.params);
    const flows = num(r ?? {}, 'n_flows');
    return {
      flows,
      bytes: num(r ?? {}, 'n_bytes'),
      packets: num(r ?? {}, 'n_packets'),
      first: flows > 0 ? iso(num(r!, 'first_ms')) : null,
      last: flows > 0 ? iso(num(r!, 'last_ms')) : null,
    };
  }

  /** The other ends of the entity's flows when it is on `side`, most bytes first, with their ports. */
  async peers(side: 'src' | 'dst'): Promise<ProfilePeer[]> {
    if (!this.subject) return [];
    const d = this.d;
    const other = side === 'src' ? 'dst' : 'src';
    const p = d.newParams();
    const top = await this.store.execute(
      `SELECT ${ipKey(d, other)} AS peer, count(*) AS n_flows, sum(${d.quote('bytes')}) AS n_bytes, sum(${d.quote('packets')}) AS n_packets ` +
        `FROM flows WHERE ${this.window(p)} AND ${this.subject.side(d, p, side)} GROUP BY peer ORDER BY n_bytes DESC, n_flows DESC, peer LIMIT ${this.limit}`,
      p.params,
    );
    if (top.length === 0) return [];
    const peers = top.map((r) => ({ peer: readKey(d, r.peer), flows: num(r, 'n_flows'), bytes: num(r, 'n_bytes'), packets: num(r, 'n_packets') }));
    const pp = d.newParams();
    const inPeers = d.flowsIpIn(other, peers.map((x) => parseIp(x.peer)!), pp);
    const ports = await this.store.execute(
      `SELECT ${ipKey(d, other)} AS peer, ${d.quote('dport')} AS port, count(*) AS n_flows, sum(${d.quote('bytes')}) AS n_bytes ` +
        `FROM flows WHERE ${this.window(pp)} AND ${this.subject.side(d, pp, side)} AND ${inPeers} GROUP BY peer, port`,
      pp.params,
    );
    const byPeer = new Map<string, { port: number; flows: number; bytes: number }[]>();
    for (const r of ports) {
      const key = readKey(d, r.peer);
      const list = byPeer.get(key) ?? [];
      list.push({ port: num(r, 'port'), flows: num(r, 'n_flows'), bytes: num(r, 'n_bytes') });
      byPeer.set(key, list);
    }
    return peers.map((x) => ({
      peer: x.peer,
      ports: (byPeer.get(x.peer) ?? [])
        .sort((a, b) => b.flows - a.flows || b.bytes - a.bytes || a.port - b.port)
        .slice(0, PORTS_PER_PEER)
        .map((e) => e.port),
      flows: x.flows,
      bytes: x.bytes,
      packets: x.packets,
    }));
  }

  /** Addresses on the entity's side (inside the network or AS, or resolved from the domain), most bytes first. */
  async members(): Promise<ProfileMember[]> {
    if (!this.subject) return [];
    const d = this.d;
    const p = d.newParams();
    const part = (side: 'src' | 'dst') =>
      `SELECT ${ipKey(d, side)} AS a, count(*) AS f, sum(${d.quote('bytes')}) AS b, sum(${d.quote('packets')}) AS k ` +
      `FROM flows WHERE ${this.window(p)} AND ${this.subject!.side(d, p, side)} GROUP BY a`;
    const rows = await this.store.execute(
      `SELECT a, sum(f) AS n_flows, sum(b) AS n_bytes, sum(k) AS n_packets FROM (${part('src')} UNION ALL ${part('dst')}) AS t ` +
        `GROUP BY a ORDER BY n_bytes DESC, n_flows DESC, a LIMIT ${this.limit}`,
      p.params,
    );
    return rows.map((r) => ({ address: readKey(d, r.a), flows: num(r, 'n_flows'), bytes: num(r, 'n_bytes'), packets: num(r, 'n_packets') }));
  }

  /** Destination ports of the entity's flows when it is on `side`, most flows first. */
  async ports(side: 'src' | 'dst'): Promise<ProfilePort[]> {
    if (!this.subject) return [];
    const d = this.d;
    const p = d.newParams();
    const rows = await this.store.execute(
      `SELECT ${d.quote('proto')} AS proto, ${d.quote('dport')} AS port, count(*) AS n_flows, sum(${d.quote('bytes')}) AS n_bytes ` +
        `FROM flows WHERE ${this.window(p)} AND ${this.subject.side(d, p, side)} GROUP BY proto, port ORDER BY n_flows DESC, n_bytes DESC, proto, port LIMIT ${this.limit}`,
      p.params,
    );
    return rows.map((r) => ({ proto: protocolName(num(r, 'proto')), port: num(r, 'port'), flows: num(r, 'n_flows'), bytes: num(r, 'n_bytes') }));
  }

  /** Flows per hour (spans up to a week) or per day, over the window or else the flows' own span. */
  async timeline(summary: Summary): Promise<Profile['timeline']> {
    const first = this.options.from ?? (summary.first ? Date.parse(summary.first) : undefined);
    const last = this.options.to ?? (summary.last ? Date.parse(summary.last) : undefined);
    const interval = first !== undefined && last !== undefined && last - first > HOURLY_UP_TO ? 'day' : 'hour';
    if (!this.subject || summary.flows === 0) return { interval, buckets: [] };
    const d = this.d;
    const p = d.newParams();
    const bucket = d.timeBucket('start', interval === 'day' ? DAY : HOUR, p);
    const rows = await this.store.execute(
      `SELECT ${bucket} AS t, count(*) AS n_flows, sum(${d.quote('bytes')}) AS n_bytes, sum(${d.quote('packets')}) AS n_packets ` +
        `FROM flows WHERE ${this.window(p)} AND ${this.either(p)} GROUP BY t ORDER BY t`,
      p.params,
    );
    return { interval, buckets: rows.map((r) => ({ time: iso(num(r, 't'))!, flows: num(r, 'n_flows'), bytes: num(r, 'n_bytes'), packets: num(r, 'n_packets') })) };
  }
}

// ---- HTTP requests ----

const URIS_PER_HOST = 5;

async function httpOf(store: Store, entity: Entity, options: ProfileOptions, limit: number): Promise<ProfileHttp[]> {
  if (entity.type !== 'ip' && entity.type !== 'cidr' && entity.type !== 'domain') return [];
  await ensureHttpRequestTable(store);
  const d = store.dialect;
  const p = d.newParams();
  const ts = d.timeMs('ts');
  const window = [
    ...(options.from !== undefined ? [`${ts} >= ${p.bind('i64', options.from)}`] : []),
    ...(options.to !== undefined ? [`${ts} < ${p.bind('i64', options.to)}`] : []),
  ];
  const part = (role: ProfileHttp['role'], condition: string) =>
    `SELECT host, uri, ${p.bind('string', role)} AS role, count(*) AS n, min(${ts}) AS first_ms, max(${ts}) AS last_ms FROM ${httpRequestTable(store)} ` +
    `WHERE ${[...window, condition].join(' AND ')} GROUP BY host, uri`;
  let sql: string;
  if (entity.type === 'domain') {
    const ends = d.name === 'duckdb' ? 'ends_with' : 'endsWith';
    sql = part('host', `(lower(host) = ${p.bind('string', entity.value)} OR ${ends}(lower(host), ${p.bind('string', `.${entity.value}`)}))`);
  } else {
    const side = (c: 'src' | 'dst') => (entity.type === 'ip' ? d.ipEquals(c, entity.ip, p) : d.ipInRange(c, entity.range, p));
    sql = `${part('client', side('src'))} UNION ALL ${part('server', side('dst'))}`;
  }
  const rows = await store.execute(`SELECT * FROM (${sql}) AS t ORDER BY n DESC, host, uri LIMIT 10000`, p.params);
  const byHost = new Map<string, { host: string; role: ProfileHttp['role']; requests: number; first: number; last: number; uris: [string, number][] }>();
  for (const r of rows) {
    const role = String(r.role) as ProfileHttp['role'];
    const key = `${role}\u0000${String(r.host)}`;
    const n = num(r, 'n');
    const had = byHost.get(key) ?? { host: String(r.host), role, requests: 0, first: Infinity, last: -Infinity, uris: [] };
    had.requests += n;
    had.first = Math.min(had.first, num(r, 'first_ms'));
    had.last = Math.max(had.last, num(r, 'last_ms'));
    had.uris.push([String(r.uri), n]);
    byHost.set(key, had);
  }
  return [...byHost.values()]
    .sort((a, b) => b.requests - a.requests || (a.host < b.host ? -1 : a.host > b.host ? 1 : a.role.localeCompare(b.role)))
    .slice(0, limit)
    .map((h) => ({
      host: h.host,
      role: h.role,
      requests: h.requests,
      first: iso(h.first)!,
      last: iso(h.last)!,
      uris: h.uris
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, URIS_PER_HOST)
        .map(([u]) => u),
    }));
}

// ---- findings ----

async function findingsOf(store: Store, entity: Entity, addresses: readonly Ip[], options: ProfileOptions, limit: number): Promise<ProfileFinding[]> {
  const repository = new FindingsRepository(store);
  await repository.ensureTables();
  const all = await repository.list({ since: options.from, limit: 100_000 });
  const resolved = new Set(addresses.map((ip) => formatIp(ip)));
  const out: ProfileFinding[] = [];
  for (const f of all) {
    if (options.to !== undefined && Date.parse(f.first) >= options.to) continue;
    const hit = involvement(f, entity, resolved);
    if (!hit) continue;
    out.push({
      id: f.id,
      kind: f.kind,
      subkind: f.subkind,
      severity: f.severity,
      score: f.score,
      status: f.status,
      first: f.first,
      last: f.last,
      summary: f.summary,
      roles: hit.roles,
      ...(hit.via ? { via: hit.via } : {}),
    });
    if (out.length >= limit) break;
  }
  return out;
}

/** Whether and how a finding involves the entity. */
function involvement(f: Finding, entity: Entity, resolved: ReadonlySet<string>): { roles: string[]; via?: string } | undefined {
  const matchIp = (text: string | null): boolean => {
    if (text === null) return false;
    const ip = parseIp(text);
    if (ip === undefined) return false;
    if (entity.type === 'ip') return formatIp(ip) === entity.value;
    if (entity.type === 'cidr') return rangeContains(entity.range, ip);
    return false;
  };
  const roles = new Set<string>();
  let via: string | undefined;
  for (const e of f.entities) {
    if (e.type === 'ip' && matchIp(e.value)) roles.add(e.role);
    else if (e.type === 'asn' && entity.type === 'asn' && e.value.replace(/^AS/i, '') === String(entity.asn)) roles.add(e.role);
    else if (e.type === 'domain' && entity.type === 'domain' && (e.value === entity.value || e.value.endsWith(`.${entity.value}`))) roles.add(e.role);
    else if (e.type === 'ip' && entity.type === 'domain' && resolved.has(e.value)) {
      roles.add(e.role);
      via ??= e.value;
    }
  }
  if (roles.size === 0) {
    // Findings written without entities still name their src and dst.
    if (matchIp(f.src) || (entity.type === 'domain' && f.src !== null && resolved.has(f.src))) roles.add('src');
    if (matchIp(f.dst) || (entity.type === 'domain' && f.dst !== null && resolved.has(f.dst))) roles.add('dst');
    if (entity.type === 'domain' && roles.size > 0) via = roles.has('src') ? f.src! : f.dst!;
  }
  return roles.size > 0 ? { roles: [...roles].sort(), ...(via ? { via } : {}) } : undefined;
}
