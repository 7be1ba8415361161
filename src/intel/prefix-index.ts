// The in-memory prefix index for IPv4 and IPv6: address ranges (single addresses and CIDRs, any
// nesting or overlap) cut into elementary intervals, each pointing at the set of ranges covering
// it, most specific first. One binary search answers both longest-prefix and all-covering.

import type { Ip, IpRange } from '../core/ip.js';
import { buildV4Blocks, searchV4, searchV6 } from './sorted-search.js';

/** A range to index and the caller's id for it. */
export interface PrefixEntry {
  readonly range: IpRange;
  readonly id: number;
}

const V4_END = 2 ** 32;
const V6_END = 1n << 128n;

/** Cover sets, shared across intervals: `members(set)` lists entry ids, most specific first. */
class CoverSets {
  readonly starts: number[] = [0];
  readonly ids: number[] = [];
  private readonly byKey = new Map<string, number>();

  /** The set id of these entry ids (already ordered), creating it on first sight. */
  intern(ids: readonly number[]): number {
    if (ids.length === 0) return -1;
    const key = ids.join(',');
    let set = this.byKey.get(key);
    if (set === undefined) {
      set = this.starts.length - 1;
      this.ids.push(...ids);
      this.starts.push(this.ids.length);
      this.byKey.set(key, set);
    }
    return set;
  }

  get count(): number {
    return this.starts.length - 1;
  }
}

/** Sweep over boundary events: the covering set of each elementary interval, merged when equal. */
function sweep<T extends number | bigint>(
  entries: readonly PrefixEntry[],
  end: T,
  sets: CoverSets,
  size: (e: PrefixEntry) => T,
): { bounds: T[]; setOf: number[] } {
  const events: { at: T; id: number; open: boolean }[] = [];
  for (const e of entries) {
    events.push({ at: e.range.first as T, id: e.id, open: true });
    const last = e.range.last;
    const after = (typeof last === 'bigint' ? last + 1n : last + 1) as T;
    if (after < end) events.push({ at: after, id: e.id, open: false });
  }
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const sizes = new Map<number, T>(entries.map((e) => [e.id, size(e)]));
  const active = new Map<number, number>(); // id -> open count (an entry may be listed twice)
  const bounds: T[] = [(typeof end === 'bigint' ? 0n : 0) as T];
  const setOf: number[] = [-1];
  let i = 0;
  while (i < events.length) {
    const at = events[i]!.at;
    for (; i < events.length && events[i]!.at === at; i++) {
      const ev = events[i]!;
      const n = (active.get(ev.id) ?? 0) + (ev.open ? 1 : -1);
      if (n <= 0) active.delete(ev.id);
      else active.set(ev.id, n);
    }
    const ids = [...active.keys()].sort((a, b) => {
      const sa = sizes.get(a)!;
      const sb = sizes.get(b)!;
      return sa < sb ? -1 : sa > sb ? 1 : a - b;
    });
    const set = sets.intern(ids);
    if (bounds[bounds.length - 1] === at) setOf[setOf.length - 1] = set;
    else if (setOf[setOf.length - 1] !== set) {
      bounds.push(at);
      setOf.push(set);
    }
  }
  return { bounds, setOf };
}

/** The prefix index. Build once from all ranges; lookups allocate nothing. */
export class PrefixIndex {
  private readonly v4Bounds: Uint32Array;
  private readonly v4Sets: Int32Array;
  private readonly v4Blocks: Uint32Array;
  private readonly v6Bounds: bigint[];
  private readonly v6Sets: Int32Array;
  private readonly setStarts: Int32Array;
  private readonly setIds: Int32Array;
  private readonly ranges = new Map<number, IpRange>();

  private constructor(entries: readonly PrefixEntry[]) {
    const sets = new CoverSets();
    const v4 = entries.filter((e) => e.range.family === 4);
    const v6 = entries.filter((e) => e.range.family === 6);
    for (const e of entries) this.ranges.set(e.id, e.range);
    const a = sweep<number>(v4, V4_END, sets, (e) => (e.range.last as number) - (e.range.first as number));
    const b = sweep<bigint>(v6, V6_END, sets, (e) => (e.range.last as bigint) - (e.range.first as bigint));
    this.v4Bounds = Uint32Array.from(a.bounds);
    this.v4Sets = Int32Array.from(a.setOf);
    this.v4Blocks = buildV4Blocks(this.v4Bounds);
    this.v6Bounds = b.bounds;
    this.v6Sets = Int32Array.from(b.setOf);
    this.setStarts = Int32Array.from(sets.starts);
    this.setIds = Int32Array.from(sets.ids);
  }

  /** Builds the index over ranges; ids are the caller's (e.g. positions in its entry list). */
  static build(entries: readonly PrefixEntry[]): PrefixIndex {
    return new PrefixIndex(entries);
  }

  /** The cover set of an IPv4 address (-1 when no range covers it). */
  lookupV4(ip: number): number {
    return this.v4Sets[searchV4(this.v4Bounds, this.v4Blocks, ip)]!;
  }

  /** The IPv4 cover sets as a step function: set `values[i]` from `points[i]` to the next point (for merging with other tables). */
  v4Steps(): { readonly points: Uint32Array; readonly values: Int32Array } {
    return { points: this.v4Bounds, values: this.v4Sets };
  }

  /** The cover set of an IPv6 address (-1 when no range covers it). */
  lookupV6(ip: bigint): number {
    const i = searchV6(this.v6Bounds, ip);
    return i < 0 ? -1 : this.v6Sets[i]!;
  }

  /** The cover set of an address of either family. */
  lookup(ip: Ip): number {
    return typeof ip === 'number' ? this.lookupV4(ip) : this.lookupV6(ip);
  }

  /** Entry ids of a cover set, most specific (longest prefix) first. */
  members(set: number): Int32Array {
    return set < 0 ? new Int32Array(0) : this.setIds.subarray(this.setStarts[set]!, this.setStarts[set + 1]!);
  }

  /** The longest-prefix entry covering an address, or -1. */
  longest(ip: Ip): number {
    const set = this.lookup(ip);
    return set < 0 ? -1 : this.setIds[this.setStarts[set]!]!;
  }

  /** Every entry covering an address, most specific first. */
  covering(ip: Ip): number[] {
    return Array.from(this.members(this.lookup(ip)));
  }

  /** Entries whose range lies inside `range` (more specific than or equal to it). */
  within(range: IpRange, limit = 1000): number[] {
    const out = new Set<number>();
    const v4 = range.family === 4;
    const bounds = v4 ? this.v4Bounds : this.v6Bounds;
    const setsOf = v4 ? this.v4Sets : this.v6Sets;
    let i = v4 ? searchV4(this.v4Bounds, this.v4Blocks, range.first as number) : Math.max(0, searchV6(this.v6Bounds, range.first as bigint));
    for (; i < bounds.length && bounds[i]! <= range.last && out.size < limit; i++) {
      for (const id of this.members(setsOf[i]!)) {
        const r = this.ranges.get(id)!;
        if (r.first >= range.first && r.last <= range.last) out.add(id);
      }
    }
    return [...out];
  }

  /** Sizes, for `intel stats` and the benchmark. */
  get stats(): { v4Intervals: number; v6Intervals: number; coverSets: number; ranges: number } {
    return { v4Intervals: this.v4Bounds.length, v6Intervals: this.v6Bounds.length, coverSets: this.setStarts.length - 1, ranges: this.ranges.size };
  }
}
