// Change monitoring of watched assets: a snapshot of what our watchlists' networks, hosts and
// domains look like (services, TLS certificates, passive-DNS answers, contacts with listed
// threats, the AS that originates each watched network), and the difference between two
// snapshots as findings that show before and after.

import { formatIp, parseCidr, parseIp, type IpRange } from '../../core/ip.js';
import type { NewFinding } from '../../detect/detector.js';
import { findingId, isoTime, type FindingEntity } from '../../detect/finding.js';
import { loadIntelIndex } from '../../enrich/create-enricher.js';
import { retroHunt } from '../../intel/retro-hunt.js';
import { tlsSightingsIn } from '../../store/certificate-tables.js';
import { passiveDnsByName } from '../../store/passive-dns-table.js';
import { everyService } from '../../store/services-table.js';
import type { Store } from '../../store/store.js';
import type { WatchIndex } from '../watchlists/watch-index.js';
import { memberRange } from '../watchlists/watchlist.js';

/** The categories of watched facts. */
export const ASSET_CATEGORIES = ['service', 'certificate', 'dns', 'threat-peer', 'origin'] as const;
export type AssetCategory = (typeof ASSET_CATEGORIES)[number];

/**
 * What was true of the watched assets: per category, the asset (an address:port, a name, a
 * network) and its current value (a product, a certificate, answers, an AS). Plain JSON, kept
 * in the monitor's state.
 */
export type AssetSnapshot = Record<AssetCategory, Record<string, string>>;

/** One difference between two snapshots. */
export interface AssetChange {
  readonly category: AssetCategory;
  readonly change: 'new' | 'gone' | 'changed';
  readonly asset: string;
  readonly before: string | null;
  readonly after: string | null;
  readonly watchlists: readonly string[];
}

/** Reads the snapshot of the watched assets as the store shows them over [from, to). */
export async function snapshotWatchedAssets(store: Store, watch: WatchIndex, window: { from: number; to: number }): Promise<AssetSnapshot> {
  const snapshot: AssetSnapshot = { service: {}, certificate: {}, dns: {}, 'threat-peer': {}, origin: {} };
  if (watch.empty) return snapshot;
  const ranges: IpRange[] = watch.watchlists.flatMap((w) => w.members.map(memberRange).filter((r): r is IpRange => r !== undefined));
  for (const s of await everyService(store)) {
    if (watch.matchIp(s.ip).length === 0) continue;
    snapshot.service[`${s.ip}:${s.port}/${s.transport}`] = [s.product, s.service].filter(Boolean).join(' ') || 'open';
  }
  for (const s of await tlsSightingsIn(store, ranges)) {
    if (s.ref === '') continue;
    const key = `${formatIp(s.ip)}:${s.port}`;
    const refs = new Set((snapshot.certificate[key] ?? '').split(' ').filter(Boolean));
    refs.add(s.ref);
    snapshot.certificate[key] = [...refs].sort().join(' ');
  }
  for (const domain of watch.watchedDomains) {
    const answers = new Map<string, Set<string>>();
    for (const row of await passiveDnsByName(store, domain, { includeSubdomains: true })) {
      if (row.lastSeen < window.from) continue;
      const key = `${row.rrname} ${row.rrtype}`;
      const set = answers.get(key) ?? new Set<string>();
      set.add(row.rdata);
      answers.set(key, set);
    }
    for (const [key, set] of answers) snapshot.dns[key] = [...set].sort().join(' ');
  }
  const intel = await loadIntelIndex(store);
  const { sightings } = await retroHunt(store, intel, { since: window.from, until: window.to });
  for (const s of sightings) {
    if (s.allowed.length > 0) continue;
    const ours = s.side === 'dst' ? s.src : s.dst;
    const threat = s.side === 'dst' ? s.dst : s.src;
    if (watch.matchIp(ours).length === 0) continue;
    const key = `${ours} ${threat}`;
    const tags = new Set((snapshot['threat-peer'][key] ?? '').split(' ').filter(Boolean));
    tags.add(s.tag);
    snapshot['threat-peer'][key] = [...tags].sort().join(' ');
  }
  for (const w of watch.watchlists) {
    for (const m of w.members) {
      if (m.type !== 'network') continue;
      const range = parseCidr(m.value)!;
      const asn = watch.asnOfIp(range.first);
      if (asn !== undefined) snapshot.origin[m.value] = asn === null ? 'none' : `AS${asn}`;
    }
  }
  return snapshot;
}

/** The changes from `before` to `after`, and one finding per change (its id stable per change). */
export function diffSnapshots(before: AssetSnapshot, after: AssetSnapshot, watch: WatchIndex, at: number): { changes: AssetChange[]; findings: NewFinding[] } {
  const changes: AssetChange[] = [];
  for (const category of ASSET_CATEGORIES) {
    const b = before[category] ?? {};
    const a = after[category] ?? {};
    for (const [asset, value] of Object.entries(a)) {
      if (!(asset in b)) changes.push({ category, change: 'new', asset, before: null, after: value, watchlists: listsOf(watch, asset) });
      else if (b[asset] !== value) changes.push({ category, change: 'changed', asset, before: b[asset]!, after: value, watchlists: listsOf(watch, asset) });
    }
    // Threat contacts that stop are good news, and a name nobody looked up in the window has
    // not changed: neither is a change to raise.
    if (category === 'threat-peer' || category === 'dns') continue;
    for (const [asset, value] of Object.entries(b)) {
      if (!(asset in a)) changes.push({ category, change: 'gone', asset, before: value, after: null, watchlists: listsOf(watch, asset) });
    }
  }
  return { changes, findings: changes.map((c) => changeFinding(c, at)) };
}

/** The watchlists an asset key belongs to (its address, name or network). */
function listsOf(watch: WatchIndex, asset: string): string[] {
  const head = asset.split(' ')[0]!;
  const address = head.startsWith('[') ? head.slice(1, head.indexOf(']')) : head.replace(/:\d+(\/\w+)?$/, '');
  const hits = parseIp(address) !== undefined ? watch.matchIp(address) : head.includes('/') ? watch.matchIp(head.split('/')[0]!) : watch.matchDomain(head);
  return [...new Set(hits.map((h) => h.watchlist))];
}

const WORDS: Record<AssetCategory, string> = {
  service: 'service',
  certificate: 'TLS certificate',
  dns: 'passive-DNS answer',
  'threat-peer': 'contact with a listed threat',
  origin: 'originating AS',
};

const SCORES: Record<AssetCategory, number> = { service: 0.5, certificate: 0.5, dns: 0.5, 'threat-peer': 0.8, origin: 0.7 };

function changeFinding(c: AssetChange, at: number): NewFinding {
  const score = c.change === 'gone' ? 0.4 : SCORES[c.category];
  const head = c.asset.split(' ')[0]!;
  const address = head.replace(/:\d+(\/\w+)?$/, '');
  const entities: FindingEntity[] =
    parseIp(address) !== undefined
      ? [{ role: 'asset', type: 'ip', value: address }]
      : head.includes('/')
        ? []
        : [{ role: 'asset', type: 'domain', value: head }];
  if (c.category === 'threat-peer') entities.push({ role: 'c2', type: 'ip', value: c.asset.split(' ')[1]! });
  const text =
    c.change === 'new' ? `new ${WORDS[c.category]} on ${c.asset}: ${c.after}` : c.change === 'gone' ? `${WORDS[c.category]} gone from ${c.asset} (was ${c.before})` : `${WORDS[c.category]} of ${c.asset} changed: ${c.before} -> ${c.after}`;
  return {
    id: findingId('asset-change', c.category, c.change, c.asset, c.before, c.after),
    kind: 'asset-change',
    subkind: `${c.category}-${c.change}`,
    score,
    subscores: { change: score },
    severity: score >= 0.7 ? 'medium' : score >= 0.4 ? 'low' : 'info',
    src: entities[0]?.type === 'ip' ? entities[0].value : null,
    dst: c.category === 'threat-peer' ? c.asset.split(' ')[1]! : null,
    dport: /:(\d+)/.exec(head) ? Number(/:(\d+)/.exec(head)![1]) : null,
    proto: null,
    entities,
    first: isoTime(at - 1),
    last: isoTime(at - 1),
    summary: `${c.watchlists.length > 0 ? `[${c.watchlists.join(', ')}] ` : ''}${text}`,
    evidence: {
      counts: {},
      query: entities[0]?.type === 'ip' ? `host ${entities[0].value}` : '',
      from: isoTime(at - 1),
      to: isoTime(at),
      sample: [],
      details: { category: c.category, change: c.change, asset: c.asset, before: c.before, after: c.after, watchlists: c.watchlists },
    },
    intel: [],
  };
}
