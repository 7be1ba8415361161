// Every IPv4 lookup of enrichment in one table: the ASN, country and indicator tables merged into
// one sorted list of boundaries, each with the value of every source that holds from it to the
// next. An address then costs one block-table binary search instead of one per source, which
// is most of what enrichment spends on a flow whose addresses are not in its cache.

import { buildV4Blocks, searchV4 } from '../intel/sorted-search.js';

/** A step function over the IPv4 space: `values[i]` holds from `points[i]` up to the next point; -1 before the first. */
export interface V4Steps {
  readonly points: Uint32Array;
  readonly values: Int32Array;
}

const V4_END = 2 ** 32;

/** The steps of a table of disjoint, sorted, inclusive ranges (-1 between them). */
export function rangeSteps(starts: Uint32Array, ends: Uint32Array, values: Int32Array): V4Steps {
  const points = new Uint32Array(2 * starts.length);
  const out = new Int32Array(2 * starts.length);
  let n = 0;
  for (let i = 0; i < starts.length; i++) {
    points[n] = starts[i]!;
    out[n++] = values[i]!;
    const after = ends[i]! + 1;
    if (after < V4_END && (i + 1 === starts.length || starts[i + 1] !== after)) {
      points[n] = after;
      out[n++] = -1;
    }
  }
  return { points: points.subarray(0, n), values: out.subarray(0, n) };
}

/** Several step functions merged: `lookup` gives a row whose value of source k is `values[row * width + k]`. */
export class MergedV4Table {
  private readonly starts: Uint32Array;
  private readonly blocks: Uint32Array;
  /** Sources, and each row's values, one after the other (a row's values share a cache line). */
  readonly width: number;
  readonly values: Int32Array;

  constructor(sources: readonly V4Steps[]) {
    const k = sources.length;
    const next = new Int32Array(k); // per source, its next point not yet passed
    const current = new Int32Array(k).fill(-1);
    const capacity = 1 + sources.reduce((n, s) => n + s.points.length, 0);
    const starts = new Uint32Array(capacity);
    const rows = new Int32Array(capacity * k).fill(-1);
    let n = 1; // row 0 starts at address 0, every source empty
    for (;;) {
      let at = V4_END;
      for (let s = 0; s < k; s++) {
        const p = next[s]! < sources[s]!.points.length ? sources[s]!.points[next[s]!]! : V4_END;
        if (p < at) at = p;
      }
      if (at === V4_END) break;
      let changed = false;
      for (let s = 0; s < k; s++) {
        const { points, values } = sources[s]!;
        while (next[s]! < points.length && points[next[s]!] === at) {
          if (current[s] !== values[next[s]!]) changed = true;
          current[s] = values[next[s]!]!;
          next[s]!++;
        }
      }
      if (!changed) continue;
      // A boundary at 0 replaces the initial all-empty row.
      const row = starts[n - 1] === at ? n - 1 : n++;
      starts[row] = at;
      rows.set(current, row * k);
    }
    this.starts = starts.slice(0, n);
    this.blocks = buildV4Blocks(this.starts);
    this.width = k;
    this.values = rows.slice(0, n * k);
  }

  /** The row holding an address (the first row starts at 0, so there always is one). */
  lookup(ip: number): number {
    return searchV4(this.starts, this.blocks, ip);
  }

  get size(): number {
    return this.starts.length;
  }
}
