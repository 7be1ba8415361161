// The safety check every block list entry passes: allow-listed (warninglists, analysts' false
// positives), watched (our perimeter, partners, suppliers, peers), substantial legitimate
// two-way traffic, reserved space, too broad, expired. It returns every rule that holds an
// entry back, so the reason shown is complete.

import { parseIp, type IpRange } from '../../core/ip.js';
import type { StoredIndicator } from '../../intel/indicator.js';
import type { IntelIndex } from '../../intel/intel-index.js';
import type { WatchIndex } from '../../monitor/watchlists/watch-index.js';
import { memberRange } from '../../monitor/watchlists/watchlist.js';
import type { SafetyConfig } from './blocklist-criteria.js';
import type { HoldReason } from './blocklist.js';
import { prefixLength, rangesOverlap, reservedOverlaps } from './reserved-ranges.js';
import type { TwoWayStats } from './two-way-traffic.js';

/** What the check consults. */
export interface SafetyContext {
  readonly intel: IntelIndex<StoredIndicator>;
  readonly watch: WatchIndex;
  /** Addresses with substantial two-way traffic (from `substantialTwoWay`). */
  readonly twoWay: ReadonlyMap<string, TwoWayStats>;
  readonly safety: SafetyConfig;
  /** The lookback, for messages (`30d`). */
  readonly lookback: string;
  readonly now: number;
}

/** A candidate as the check sees it. */
export interface SafetyCandidate {
  readonly value: string;
  readonly range: IpRange;
  /** Epoch ms, or null for never. */
  readonly expires: number | null;
}

function single(range: IpRange): boolean {
  return range.first === range.last;
}

function allowReasons(c: SafetyCandidate, intel: IntelIndex<StoredIndicator>): HoldReason[] {
  const matches = single(c.range) ? intel.matchAddress(c.range.first) : intel.matchNetwork(c.range);
  const out: HoldReason[] = [];
  const seen = new Set<string>();
  for (const m of matches) {
    const i = m.indicator;
    if (i.kind !== 'allow') continue;
    const key = `${i.source}\u0000${i.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ref = i.reference ? ` (${i.source.startsWith('analyst:') ? 'finding ' : ''}${i.reference})` : '';
    out.push({ rule: 'allow-listed', detail: `${i.value} is on the allow list ${i.source}${ref}` });
  }
  return out;
}

function watchReasons(c: SafetyCandidate, watch: WatchIndex): HoldReason[] {
  if (watch.empty) return [];
  const out: HoldReason[] = [];
  const seen = new Set<string>();
  const add = (watchlist: string, kind: string, member: string) => {
    if (seen.has(watchlist)) return;
    seen.add(watchlist);
    out.push({ rule: 'watched', detail: `watchlist ${watchlist} (${kind}) covers it: member ${member}` });
  };
  if (single(c.range)) {
    for (const hit of watch.matchIp(c.value)) add(hit.watchlist, hit.kind, hit.member);
    return out;
  }
  // A network overlapping a watched network or host would block some of it: held too.
  for (const list of watch.watchlists) {
    for (const member of list.members) {
      const r = memberRange(member);
      if (r && rangesOverlap(r, c.range)) add(list.name, list.kind, member.value);
    }
  }
  return out;
}

function twoWayReasons(c: SafetyCandidate, ctx: SafetyContext): HoldReason[] {
  const describe = (address: string, s: TwoWayStats) =>
    `${address} exchanged TCP both ways with ${s.peers} internal peer${s.peers === 1 ? '' : 's'} in the last ${ctx.lookback} of flows: ` +
    `${s.flows} flows, ${s.bytesOut} bytes out, ${s.bytesIn} bytes in (thresholds: ${ctx.safety.minPeers} peers, or ${ctx.safety.minFlows} flows with ${ctx.safety.minBytes} bytes each way)`;
  if (single(c.range)) {
    const s = ctx.twoWay.get(c.value);
    return s ? [{ rule: 'legitimate-traffic', detail: describe(c.value, s) }] : [];
  }
  const out: HoldReason[] = [];
  for (const [address, s] of ctx.twoWay) {
    const ip = parseIp(address);
    if (ip === undefined || !rangesOverlap(c.range, { family: c.range.family, first: ip, last: ip } as IpRange)) continue;
    out.push({ rule: 'legitimate-traffic', detail: describe(address, s) });
    if (out.length >= 5) break;
  }
  return out;
}

/** Every rule that holds the candidate back (empty: it may be blocked). */
export function holdReasons(c: SafetyCandidate, ctx: SafetyContext): HoldReason[] {
  const out: HoldReason[] = [...allowReasons(c, ctx.intel), ...watchReasons(c, ctx.watch), ...twoWayReasons(c, ctx)];
  if (!ctx.safety.allowReserved) {
    for (const r of reservedOverlaps(c.range)) out.push({ rule: 'reserved', detail: `${c.value} lies in ${r.cidr}, ${r.what}` });
  }
  const bits = prefixLength(c.range);
  const floor = c.range.family === 4 ? ctx.safety.minPrefixV4 : ctx.safety.minPrefixV6;
  if (!ctx.safety.allowBroad && bits < floor) out.push({ rule: 'too-broad', detail: `/${bits} is broader than /${floor} (${c.range.family === 4 ? 'minPrefixV4' : 'minPrefixV6'})` });
  if (c.expires !== null && c.expires <= ctx.now) out.push({ rule: 'expired', detail: `expired at ${new Date(c.expires).toISOString()} (last activity plus the expiry)` });
  return out;
}
