// Builds a block list now: the attacker-side addresses of stored findings and the address and
// network indicators of chosen feeds, merged per value with their evidence, confidence, activity
// span and expiry, then passed through the safety check (entries beside held entries).

import { VantageError } from '../../core/errors.js';
import { formatIp, parseCidr, parseIp, singleRange, type IpRange } from '../../core/ip.js';
import { parseDuration } from '../../core/time.js';
import { FindingsRepository } from '../../detect/findings-repository.js';
import { isoTime } from '../../detect/finding.js';
import { loadIntelIndex } from '../../enrich/create-enricher.js';
import type { GeoDatabase } from '../../enrich/geo-database.js';
import { parseValue, type StoredIndicator } from '../../intel/indicator.js';
import { loadWatchIndex } from '../../monitor/watchlists/load-watch-index.js';
import { WatchIndex } from '../../monitor/watchlists/watch-index.js';
import type { Store } from '../../store/store.js';
import { expireMs, type BlocklistCriteria } from './blocklist-criteria.js';
import type { BlockEntry, BlockEvidence, BlockList, HeldEntry } from './blocklist.js';
import { rangeText } from './reserved-ranges.js';
import { holdReasons, type SafetyContext } from './safety-check.js';
import { seenAddresses, substantialTwoWay } from './two-way-traffic.js';

/** How to build. */
export interface BuildOptions {
  /** The saved list's name, shown in the output. */
  readonly name?: string;
  /** Build time: expiry is judged against it (tests pin it). */
  readonly now?: number;
  /** Opened when a watchlist has AS members. */
  readonly geo?: () => GeoDatabase | undefined;
}

interface Candidate {
  value: string;
  range: IpRange;
  first: number;
  last: number;
  confidence: number | null;
  evidence: BlockEvidence[];
}

const INTEL_TYPES = new Set(['ip', 'cidr', 'ip-port']);

/** True when the indicator's source is one of the feeds (a name, or a prefix before `:`). */
export function feedSelected(source: string, feeds: readonly string[]): boolean {
  return feeds.length === 0 || feeds.some((f) => source === f || source.startsWith(`${f}:`));
}

/** The network an indicator names for blocking (an address:port blocks the address). */
function indicatorRange(i: StoredIndicator): IpRange | undefined {
  const v = parseValue(i.type, i.value);
  if (!v) return undefined;
  if (v.type === 'ip' || v.type === 'ip-port' || v.type === 'cidr') return v.range;
  return undefined;
}

/** Seen addresses per family, sorted, so a network's test is one binary search. */
function sortedAddresses(seen: ReadonlySet<string>): { v4: number[]; v6: bigint[] } {
  const v4: number[] = [];
  const v6: bigint[] = [];
  for (const t of seen) {
    const ip = parseIp(t);
    if (typeof ip === 'number') v4.push(ip);
    else if (typeof ip === 'bigint') v6.push(ip);
  }
  v4.sort((a, b) => a - b);
  v6.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { v4, v6 };
}

/** True when a sorted address list holds one inside the range. */
function anyWithin(sorted: { v4: number[]; v6: bigint[] }, range: IpRange): boolean {
  const list: (number | bigint)[] = range.family === 4 ? sorted.v4 : sorted.v6;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < range.first) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length && list[lo]! <= range.last;
}

/** A block list's reason line: the finding kinds and roles (best score) and the feeds (best confidence). */
export function reasonLine(evidence: readonly BlockEvidence[]): string {
  const findings = new Map<string, number>();
  const feeds = new Map<string, number | null>();
  for (const e of evidence) {
    if (e.type === 'finding') {
      const key = `${e.kind} ${e.role}`;
      findings.set(key, Math.max(findings.get(key) ?? 0, e.score));
    } else {
      const prior = feeds.get(e.source);
      feeds.set(e.source, prior === undefined ? e.confidence : e.confidence === null ? prior : Math.max(prior ?? 0, e.confidence));
    }
  }
  const parts = [...findings].map(([k, score]) => `${k} (score ${score.toFixed(2)})`);
  if (feeds.size > 0) parts.push(`listed by ${[...feeds].map(([s, c]) => (c === null ? s : `${s} (confidence ${c})`)).join(', ')}`);
  return parts.join('; ');
}

function compareRanges(a: IpRange, b: IpRange): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.first !== b.first) return a.first < b.first ? -1 : 1;
  return a.last > b.last ? -1 : a.last < b.last ? 1 : 0;
}

/** Our networks for the two-way measure: the configured ones, else the perimeter watchlists'. */
function internalRanges(criteria: BlocklistCriteria, watch: WatchIndex): IpRange[] {
  const configured = criteria.safety.internalNetworks.map((t) => parseCidr(t)!);
  if (configured.length > 0) return configured;
  return watch.watchlists.filter((w) => w.kind === 'perimeter').flatMap((w) => WatchIndex.networksOf(w).map((t) => parseCidr(t.includes('/') ? t : `${t}/${t.includes(':') ? 128 : 32}`)!));
}

/** Builds the block list the criteria describe, from the store as it is now. */
export async function buildBlocklist(store: Store, criteria: BlocklistCriteria, options: BuildOptions = {}): Promise<BlockList> {
  const now = options.now ?? Date.now();
  const lookbackMs = parseDuration(criteria.safety.lookback)!;
  const stats = await store.stats();
  const window = stats.lastFlow !== undefined ? { from: stats.lastFlow + 1 - lookbackMs, to: stats.lastFlow + 1 } : null;
  const intel = await loadIntelIndex(store, now);
  const watch = await loadWatchIndex(store, { geo: options.geo });
  const candidates = new Map<string, Candidate>();
  const add = (range: IpRange, first: number, last: number, confidence: number | null, evidence: BlockEvidence) => {
    const value = rangeText(range);
    const c = candidates.get(value);
    if (!c) {
      candidates.set(value, { value, range, first, last, confidence, evidence: [evidence] });
      return;
    }
    c.first = Math.min(c.first, first);
    c.last = Math.max(c.last, last);
    c.confidence = confidence === null ? c.confidence : Math.max(c.confidence ?? 0, confidence);
    c.evidence.push(evidence);
  };

  if (criteria.fromFindings) {
    const repo = new FindingsRepository(store);
    await repo.ensureTables();
    const roles = new Set<string>(criteria.roles);
    for (const f of await repo.list({ kind: criteria.kinds, limit: 10_000_000 })) {
      if (f.score < criteria.minScore) continue;
      const first = Date.parse(f.first);
      const last = Date.parse(f.last);
      const done = new Set<string>();
      for (const e of f.entities) {
        if (e.type !== 'ip' || !roles.has(e.role) || done.has(e.value)) continue;
        const ip = parseIp(e.value);
        if (ip === undefined) continue;
        done.add(e.value);
        add(singleRange(ip), first, last, Math.round(f.score * 100), {
          type: 'finding',
          id: f.id,
          kind: f.kind,
          subkind: f.subkind,
          role: e.role,
          score: f.score,
          summary: f.summary,
          query: f.evidence.query,
          from: f.evidence.from,
          to: f.evidence.to,
        });
      }
    }
  }

  if (criteria.fromIntel) {
    checkFeeds(criteria, [...new Set(intel.indicators.map((i) => i.source))]);
    const seen = criteria.seenOnly ? (window ? await seenAddresses(store, window.from, window.to) : new Set<string>()) : undefined;
    const seenSorted = seen ? sortedAddresses(seen) : undefined;
    const tags = new Set(criteria.tags);
    for (const i of intel.indicators) {
      if (i.kind !== 'threat' || !i.detect || !INTEL_TYPES.has(i.type) || !feedSelected(i.source, criteria.feeds)) continue;
      if (tags.size > 0 && !i.tags.some((t) => tags.has(t))) continue;
      if (criteria.minConfidence !== undefined && (i.confidence === null || i.confidence < criteria.minConfidence)) continue;
      const range = indicatorRange(i);
      if (!range) continue;
      if (seen && seenSorted) {
        const hit = range.first === range.last ? seen.has(formatIp(range.first)) : anyWithin(seenSorted, range);
        if (!hit) continue;
      }
      add(range, i.firstSeen ?? i.loadedFirst, i.lastSeen ?? i.loadedLast, i.confidence, {
        type: 'indicator',
        source: i.source,
        indicator: i.value,
        confidence: i.confidence,
        tags: [...i.tags],
        file: i.file,
        line: i.line,
        raw: i.raw,
      });
    }
  }

  const internal = internalRanges(criteria, watch);
  const twoWay = window ? await substantialTwoWay(store, criteria.safety, { ...window, internal }) : new Map();
  const context: SafetyContext = { intel, watch, twoWay, safety: criteria.safety, lookback: criteria.safety.lookback, now };
  const expiry = expireMs(criteria);
  const entries: BlockEntry[] = [];
  const held: HeldEntry[] = [];
  const sorted = [...candidates.values()].sort((a, b) => compareRanges(a.range, b.range));
  for (const c of sorted) {
    const expires = expiry === null ? null : c.last + expiry;
    const entry: BlockEntry = {
      value: c.value,
      family: c.range.family,
      reason: reasonLine(c.evidence),
      confidence: c.confidence,
      firstSeen: isoTime(c.first),
      lastSeen: isoTime(c.last),
      expires: expires === null ? null : isoTime(expires),
      evidence: c.evidence,
    };
    const reasons = holdReasons({ value: c.value, range: c.range, expires }, context);
    if (reasons.length > 0) held.push({ ...entry, held: reasons });
    else entries.push(entry);
  }
  return {
    ...(options.name ? { name: options.name } : {}),
    builtAt: isoTime(now),
    criteria,
    window: window ? { from: isoTime(window.from), to: isoTime(window.to) } : null,
    entries,
    held,
  };
}

/** Throws when the list would be built over nothing the caller asked for (a typo in a feed name). */
export function checkFeeds(criteria: BlocklistCriteria, sources: readonly string[]): void {
  for (const f of criteria.feeds) {
    if (!sources.some((s) => feedSelected(s, [f]))) throw new VantageError('USAGE', `no loaded feed '${f}': loaded are ${sources.join(', ') || 'none'} (vantage intel list)`);
  }
}
