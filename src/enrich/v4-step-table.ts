// Every IPv4 lookup of enrichment in one table: the ASN, country and indicator tables merged into
// one sorted list of boundaries, each with the value of every source that holds from it to the
// next. An address then costs one search instead of one per source, which is most of what
// enrichment spends on a flow whose addresses are not in its cache.

/** A step function over the IPv4 space: `values[i]` holds from `points[i]` up to the next point; -1 before the first. */
export interface V4Steps {
  readonly points: Uint32Array;
  readonly values: Int32Array;
}

const V4_END = 2 ** 32;

/** Words per row of the merged table: the start and three values (16 bytes, four rows a cache line). */
const ROW_WORDS = 4;

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

/** Bits of the address that pick an entry of the index: one per /20 (4 MiB). */
const INDEX_BITS = 20;

/** Rows of a /20 walked one by one; more are binary-searched (four rows share a cache line). */
const LINEAR_ROWS = 8;

/**
 * Several step functions merged: `lookup` gives where an address's row holds its values, the
 * value of source k at `values[lookup(ip) + k]`. Each row is four 32-bit words, its start
 * then three values (-1 past the last source), so the row that answers a search is in the
 * cache line the search read last. A per-/20 index narrows the search to the rows that start inside that /20: with
 * the bundled ASN and country database, a looked-up address's /20 holds 0.6 rows on average
 * (its /16, 10), and a lookup of the benchmark's external addresses took 21-33 ns instead of
 * 40-54 ns with a per-/16 index and a binary search.
 */
export class MergedV4Table {
  /** Per /20, the first word of the last row starting at or before its first address. */
  private readonly index: Uint32Array;
  /** The rows, four words each: start (unsigned bits), then the sources' values. */
  readonly values: Int32Array;
  readonly size: number;

  constructor(sources: readonly V4Steps[]) {
    const k = sources.length;
    if (k > ROW_WORDS - 1) throw new Error(`at most ${ROW_WORDS - 1} sources, got ${k}`);
    const next = new Int32Array(k); // per source, its next point not yet passed
    const current = new Int32Array(k).fill(-1);
    const capacity = 1 + sources.reduce((n, s) => n + s.points.length, 0);
    const rows = new Int32Array(capacity * ROW_WORDS).fill(-1);
    rows[0] = 0;
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
      const row = rows[(n - 1) * ROW_WORDS]! >>> 0 === at ? n - 1 : n++;
      rows[row * ROW_WORDS] = at | 0;
      rows.set(current, row * ROW_WORDS + 1);
    }
    const values = rows.slice(0, n * ROW_WORDS);
    const entries = 2 ** INDEX_BITS;
    const index = new Uint32Array(entries + 1);
    let row = 0;
    for (let e = 0; e <= entries; e++) {
      const edge = e * 2 ** (32 - INDEX_BITS);
      while (row + 1 < n && values[(row + 1) * ROW_WORDS]! >>> 0 <= edge) row++;
      index[e] = row * ROW_WORDS;
    }
    this.values = values;
    this.index = index;
    this.size = n;
  }

  /** Where the values of the row holding an address start (the first row starts at 0, so there always is one). */
  lookup(ip: number): number {
    const e = ip >>> (32 - INDEX_BITS);
    const rows = this.values;
    let at = this.index[e]!;
    const last = this.index[e + 1]!;
    const address = ip >>> 0;
    if (last - at > LINEAR_ROWS * ROW_WORDS) {
      // A dense /20 (a feed listing many single addresses there): binary search over its rows.
      let lo = at / ROW_WORDS;
      let hi = last / ROW_WORDS;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (rows[mid * ROW_WORDS]! >>> 0 <= address) lo = mid;
        else hi = mid - 1;
      }
      return lo * ROW_WORDS + 1;
    }
    // The rows starting inside this /20, in order: usually none or one.
    while (at < last && rows[at + ROW_WORDS]! >>> 0 <= address) at += ROW_WORDS;
    return at + 1;
  }
}
