// Findings seen through the watchlists: every finding is marked with the watchlists its
// entities belong to, and a watched partner's (supplier's, peer's) host that talks to C2,
// beacons or scans outward raises one "partner likely compromised" finding per partner host,
// carrying the direct connections we have with that host (which of our hosts and services
// exchanged traffic with it, on which ports, lately) and the findings that triggered it.

import type { DetectionContext, NewFinding } from '../../detect/detector.js';
import { findingId, isoTime, maxSeverity, roundScore, type FindingEntity, type FindingIntel, type FindingWatch, type Severity } from '../../detect/finding.js';
import { runQuery } from '../../query/run-query.js';
import { THIRD_PARTY_KINDS, type WatchlistKind } from './watchlist.js';
import type { WatchIndex } from './watch-index.js';

/** The finding kind this raises. */
export const PARTNER_COMPROMISED = 'partner-compromised';

/** The role a host has in a finding that means it misbehaves (talks to C2, beacons, scans, attacks). */
export const MISBEHAVING_ROLES: Readonly<Record<string, string>> = {
  c2: 'infected',
  beacon: 'client',
  scan: 'scanner',
  bruteforce: 'attacker',
  exfil: 'client',
};

/** Settings. */
export interface WatchFindingsOptions {
  /** How far before a partner finding's last activity its connections with us are read (default 7 days). */
  readonly lookbackMs?: number;
  /** Connections listed per partner host (default 20). */
  readonly connections?: number;
}

const DAY_MS = 86_400_000;

/** One conversation between a partner host and another address, as the evidence lists it. */
export interface PartnerConnection {
  readonly peer: string;
  /** Where the partner host stood: it initiated (`out`) or answered (`in`). */
  readonly direction: 'out' | 'in';
  readonly port: number;
  readonly proto: number;
  readonly flows: number;
  readonly bytes: number;
  /** Watchlists of our own perimeter the peer belongs to. */
  readonly ours: readonly string[];
}

/** Marks findings with their watchlists and appends the partner-compromised findings they imply. */
export async function watchFindings(index: WatchIndex, findings: readonly NewFinding[], context: DetectionContext, options: WatchFindingsOptions = {}): Promise<NewFinding[]> {
  if (index.empty) return [...findings];
  const marked = findings.map((f) => {
    const watched = watchedEntities(index, f.entities);
    return watched.length > 0 ? { ...f, watched } : f;
  });
  const partnerHosts = new Map<string, { hit: FindingWatch; listKind: WatchlistKind; triggers: NewFinding[] }>();
  for (const f of marked) {
    const role = MISBEHAVING_ROLES[f.kind];
    if (!role) continue;
    for (const e of f.entities) {
      if (e.role !== role || e.type !== 'ip') continue;
      for (const hit of f.watched ?? []) {
        if (hit.value !== e.value || !THIRD_PARTY_KINDS.has(hit.kind as WatchlistKind)) continue;
        const key = `${hit.watchlist}\u0000${e.value}`;
        const entry = partnerHosts.get(key) ?? { hit, listKind: hit.kind as WatchlistKind, triggers: [] };
        entry.triggers.push(f);
        partnerHosts.set(key, entry);
      }
    }
  }
  const derived: NewFinding[] = [];
  for (const { hit, triggers } of partnerHosts.values()) derived.push(await partnerCompromised(index, hit, triggers, context, options));
  return [...marked, ...derived];
}

/** The watchlist memberships of a finding's entities. */
export function watchedEntities(index: WatchIndex, entities: readonly FindingEntity[]): FindingWatch[] {
  const out: FindingWatch[] = [];
  const seen = new Set<string>();
  for (const e of entities) {
    const hits = e.type === 'ip' ? index.matchIp(e.value) : e.type === 'domain' ? index.matchDomain(e.value) : e.type === 'asn' ? index.matchAsn(Number(e.value.replace(/^AS/i, ''))) : [];
    for (const h of hits) {
      const key = `${h.watchlist}\u0000${h.value}`;
      if (!seen.has(key)) out.push(h);
      seen.add(key);
    }
  }
  return out;
}

async function partnerCompromised(index: WatchIndex, hit: FindingWatch, triggers: NewFinding[], context: DetectionContext, options: WatchFindingsOptions): Promise<NewFinding> {
  const list = index.watchlists.find((w) => w.name === hit.watchlist)!;
  const host = hit.value;
  triggers.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  const counterparts = [...new Set(triggers.flatMap((t) => t.entities.filter((e) => e.type === 'ip' && e.value !== host && t.kind !== 'scan').map((e) => e.value)))];
  const first = triggers.reduce((m, t) => (t.first < m ? t.first : m), triggers[0]!.first);
  const last = triggers.reduce((m, t) => (t.last > m ? t.last : m), triggers[0]!.last);
  const lookbackFrom = Date.parse(last) - (options.lookbackMs ?? 7 * DAY_MS);
  const connections = await connectionsWith(index, host, counterparts, lookbackFrom, context.to, options.connections ?? 20, context);
  const ours = connections.filter((c) => c.ours.length > 0);
  const kinds = [...new Set(triggers.map((t) => t.kind))].sort();
  const score = roundScore(Math.max(...triggers.map((t) => t.score)));
  const raised: Severity = list.criticality === 'high' || list.criticality === 'critical' ? 'critical' : 'high';
  const severity = triggers.reduce<Severity>((s, t) => maxSeverity(s, t.severity), raised);
  const doing = kinds.map((k) => ({ c2: 'talks to C2', beacon: 'beacons', scan: 'scans outward', bruteforce: 'brute-forces logins', exfil: 'uploads to' })[k] ?? k).join(', ');
  const peers = new Set(connections.map((c) => c.peer));
  const intel = dedupeIntel(triggers.flatMap((t) => t.intel));
  const entities: FindingEntity[] = [
    { role: 'compromised', type: 'ip', value: host },
    ...counterparts.slice(0, 10).map((v) => ({ role: triggers.some((t) => t.kind === 'c2') ? 'c2' : 'server', type: 'ip' as const, value: v })),
    ...[...new Set(ours.map((c) => c.peer))].slice(0, 10).map((v) => ({ role: 'our-host', type: 'ip' as const, value: v })),
  ];
  return {
    id: findingId(PARTNER_COMPROMISED, list.name, host),
    kind: PARTNER_COMPROMISED,
    subkind: kinds.join('+'),
    score,
    subscores: { trigger: score },
    severity,
    src: host,
    dst: counterparts[0] ?? null,
    dport: triggers[0]!.dport,
    proto: triggers[0]!.proto,
    entities,
    first,
    last,
    summary:
      `${list.kind} ${list.name}${list.owner ? ` (${list.owner})` : ''} likely compromised: ${host} ${doing}` +
      (counterparts.length > 0 ? ` (${counterparts.slice(0, 3).join(', ')}${counterparts.length > 3 ? ', ...' : ''})` : '') +
      `; it exchanged traffic with ${peers.size} other address${peers.size === 1 ? '' : 'es'}${ours.length > 0 ? `, ${new Set(ours.map((c) => c.peer)).size} of them ours` : ''} since ${isoTime(lookbackFrom).slice(0, 10)}`,
    evidence: {
      counts: { triggers: triggers.length, connections: connections.length, peers: peers.size, ourHosts: new Set(ours.map((c) => c.peer)).size, flows: connections.reduce((n, c) => n + c.flows, 0) },
      query: `host ${host}${counterparts.map((c) => ` and not host ${c}`).join('')}`,
      from: isoTime(lookbackFrom),
      to: isoTime(context.to),
      sample: [],
      details: {
        watchlist: list.name,
        watchlistKind: list.kind,
        owner: list.owner,
        contacts: list.contacts,
        criticality: list.criticality,
        member: hit.member,
        triggers: triggers.map((t) => ({ id: t.id, kind: t.kind, subkind: t.subkind, score: t.score, summary: t.summary, query: t.evidence.query })),
        connections,
      },
    },
    intel,
    watched: [hit, ...dedupeWatch(triggers.flatMap((t) => t.watched ?? []).filter((w) => w.value !== host || w.watchlist !== hit.watchlist))],
  };
}

/** The partner host's traffic with everyone but the counterparts of its findings, busiest first. */
async function connectionsWith(index: WatchIndex, host: string, exclude: readonly string[], from: number, to: number, limit: number, context: DetectionContext): Promise<PartnerConnection[]> {
  const filter = `host ${host}${exclude.map((c) => ` and not host ${c}`).join('')}`;
  const { rows } = await runQuery(context.store, `${filter} | count by src,dst,dport,proto | limit ${limit * 2}`, { from: Math.max(0, from), to });
  const out: PartnerConnection[] = [];
  for (const r of rows) {
    const out1 = String(r.src) === host;
    const peer = String(out1 ? r.dst : r.src);
    out.push({
      peer,
      direction: out1 ? 'out' : 'in',
      port: Number(r.dport),
      proto: Number(r.proto),
      flows: Number(r.flows),
      bytes: Number(r.bytes),
      ours: index.matchIp(peer).filter((w) => w.kind === 'perimeter').map((w) => w.watchlist),
    });
  }
  // Our own hosts first (they are what the partner could reach), then by volume.
  out.sort((a, b) => Number(b.ours.length > 0) - Number(a.ours.length > 0) || b.flows - a.flows || b.bytes - a.bytes);
  return out.slice(0, limit);
}

function dedupeIntel(items: readonly FindingIntel[]): FindingIntel[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const key = `${i.value}\u0000${i.indicator}\u0000${i.source}\u0000${i.tag}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function dedupeWatch(items: readonly FindingWatch[]): FindingWatch[] {
  const seen = new Set<string>();
  return items.filter((w) => {
    const key = `${w.watchlist}\u0000${w.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
