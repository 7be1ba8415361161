// A sorted table of disjoint address ranges with a value each: what an ASN or country database
// becomes in memory, searched with the same /16-block binary search as the indicator index.
// IPv6 bounds are kept as high/low 64-bit halves in typed arrays, so a table saves to and loads
// from a cache file without converting a million bigints.

import { buildV4Blocks, searchV4 } from '../intel/sorted-search.js';

const LOW64 = (1n << 64n) - 1n;

/** Collects ranges in any order; `build()` sorts them and drops overlaps (the first added wins). */
export class RangeTableBuilder {
  private v4: number[] = [];
  private readonly v6: [bigint, bigint, number][] = [];

  /** Adds an inclusive range of one family with a value index (>= 0). */
  add(first: number | bigint, last: number | bigint, value: number): void {
    if (typeof first === 'number') this.v4.push(first, last as number, value);
    else this.v6.push([first, last as bigint, value]);
  }

  get size(): number {
    return this.v4.length / 3 + this.v6.length;
  }

  build(): RangeTable {
    const n4 = this.v4.length / 3;
    const order = Array.from({ length: n4 }, (_, i) => i).sort((a, b) => this.v4[a * 3]! - this.v4[b * 3]!);
    const s4: number[] = [];
    const e4: number[] = [];
    const val4: number[] = [];
    for (const i of order) {
      const first = this.v4[i * 3]!;
      if (s4.length > 0 && first <= e4[e4.length - 1]!) continue;
      s4.push(first);
      e4.push(this.v4[i * 3 + 1]!);
      val4.push(this.v4[i * 3 + 2]!);
    }
    this.v6.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const v6 = this.v6.filter((r, i, all) => i === 0 || r[0] > all[i - 1]![1]);
    return new RangeTable({
      v4Starts: Uint32Array.from(s4),
      v4Ends: Uint32Array.from(e4),
      v4Values: Int32Array.from(val4),
      v6StartHi: BigUint64Array.from(v6, (r) => r[0] >> 64n),
      v6StartLo: BigUint64Array.from(v6, (r) => r[0] & LOW64),
      v6EndHi: BigUint64Array.from(v6, (r) => r[1] >> 64n),
      v6EndLo: BigUint64Array.from(v6, (r) => r[1] & LOW64),
      v6Values: Int32Array.from(v6, (r) => r[2]),
    });
  }
}

/** The arrays of a table (what the cache file stores). */
export interface RangeTableArrays {
  readonly v4Starts: Uint32Array;
  readonly v4Ends: Uint32Array;
  readonly v4Values: Int32Array;
  readonly v6StartHi: BigUint64Array;
  readonly v6StartLo: BigUint64Array;
  readonly v6EndHi: BigUint64Array;
  readonly v6EndLo: BigUint64Array;
  readonly v6Values: Int32Array;
}

/** The table. `lookup*` return the value index of the range holding the address, or -1. */
export class RangeTable {
  private readonly v4Blocks: Uint32Array;

  constructor(readonly arrays: RangeTableArrays) {
    this.v4Blocks = buildV4Blocks(arrays.v4Starts);
  }

  lookupV4(ip: number): number {
    const a = this.arrays;
    const i = searchV4(a.v4Starts, this.v4Blocks, ip);
    return i >= 0 && ip <= a.v4Ends[i]! ? a.v4Values[i]! : -1;
  }

  lookupV6(ip: bigint): number {
    const a = this.arrays;
    const hi = ip >> 64n;
    const lo = ip & LOW64;
    let l = 0;
    let h = a.v6StartHi.length - 1;
    const le = (i: number) => a.v6StartHi[i]! < hi || (a.v6StartHi[i] === hi && a.v6StartLo[i]! <= lo);
    if (h < 0 || !le(0)) return -1;
    while (l < h) {
      const mid = (l + h + 1) >>> 1;
      if (le(mid)) l = mid;
      else h = mid - 1;
    }
    const inside = hi < a.v6EndHi[l]! || (hi === a.v6EndHi[l] && lo <= a.v6EndLo[l]!);
    return inside ? a.v6Values[l]! : -1;
  }

  lookup(ip: number | bigint): number {
    return typeof ip === 'number' ? this.lookupV4(ip) : this.lookupV6(ip);
  }

  get size(): { v4: number; v6: number } {
    return { v4: this.arrays.v4Starts.length, v6: this.arrays.v6StartHi.length };
  }
}
