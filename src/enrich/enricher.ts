// Enrichment of flows in place: source/destination AS number and country from the ASN/geo
// database, and intelligence tags from the indicator index. Runs on every batch at ingest. An
// IPv4 address costs one search of a table where the ASN, country and indicator tables are
// merged, indexed per /20: cheaper than a cache in front of it was (a direct-mapped cache of
// 64K addresses cost 30 ns more a flow on the benchmark's traffic, and a larger one no less).
// IPv6 results are cached: those lookups are searches of bigint tables.

import { countryCode, type FlowRecord } from '../core/columns.js';
import type { IntelIndex } from '../intel/intel-index.js';
import type { GeoDatabase } from './geo-database.js';
import { MergedV4Table, rangeSteps } from './v4-step-table.js';

/** Anything that enriches batches of flows in place. */
export interface Enricher {
  enrich(records: FlowRecord[]): void;
}

/**
 * An enricher's results per address, for a store that fills its columns from encoded flows
 * without building records (the collector's path into DuckDB). Same results as `enrich`.
 */
export interface AddressLookups {
  /** Where in `rows` an IPv4 address's ASN index, country index and indicator set are (three words; -1: none). */
  rowV4(ip: number): number;
  /** The merged IPv4 table's words, read at what `rowV4` gives. */
  readonly rows: Int32Array;
  /** AS number per ASN index. */
  readonly asNumbers: ArrayLike<number>;
  /** `countryCode` per country index (-1 where the name is not a code). */
  readonly countryCodes: Int32Array;
  /** Whether tags can come from AS numbers alone: then `flowTags` is asked about every flow. */
  readonly checksAsns: boolean;
  /** A flow's tags (its own first) when its indicator sets or AS numbers give any (counted as tagged), else undefined. */
  flowTags(srcSet: number, dstSet: number, sport: number, dport: number, srcAs: number | null | undefined, dstAs: number | null | undefined, own: readonly string[] | null | undefined): string[] | undefined;
  /** Counts flows enriched through these lookups. */
  count(flows: number): void;
}

/**
 * The flow enricher. AS numbers and countries are filled only where the record has none (an
 * exporter's own BGP AS wins over the database; unknown ones become null); tags are added to
 * any the record carries.
 */
export class FlowEnricher implements Enricher, AddressLookups {
  readonly rows: Int32Array;
  readonly asNumbers: ArrayLike<number>;
  readonly countryCodes: Int32Array;
  readonly checksAsns: boolean;
  private readonly v6Cache = new Map<bigint, [number, number, number]>();
  /** The IPv4 lookups: rows with the ASN, country and (with intelligence) indicator-set values of each address range. */
  private readonly v4: MergedV4Table;
  /** Flows enriched, and how many got tags (for the import summary and the benchmark). */
  flows = 0;
  tagged = 0;

  constructor(
    private readonly geo: GeoDatabase,
    private readonly intel: IntelIndex | undefined,
  ) {
    this.asNumbers = geo.asNumbers;
    this.countryCodes = Int32Array.from(geo.countries, (name) => countryCode(name) ?? -1);
    this.checksAsns = intel !== undefined && intel.hasAsns;
    const steps = [geo.asn, geo.country].map(({ arrays: a }) => rangeSteps(a.v4Starts, a.v4Ends, a.v4Values));
    this.v4 = new MergedV4Table(intel ? [...steps, intel.v4Steps()] : steps);
    // The table's rows always have three value words (-1 without intelligence).
    this.rows = this.v4.values;
  }

  /** Where in `rows` an IPv4 address's values are: its row in the merged table. */
  rowV4(ip: number): number {
    return this.v4.lookup(ip);
  }

  private lookupV6(ip: bigint): [number, number, number] {
    let r = this.v6Cache.get(ip);
    if (r === undefined) {
      if (this.v6Cache.size >= 65536) this.v6Cache.clear();
      r = [this.geo.asn.lookupV6(ip), this.geo.country.lookupV6(ip), this.intel ? this.intel.lookup(ip) : -1];
      this.v6Cache.set(ip, r);
    }
    return r;
  }

  enrich(records: FlowRecord[]): void {
    const { asNumbers, countries } = this.geo;
    const rows = this.rows;
    const checkTags = this.intel !== undefined;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      let sa: number;
      let sc: number;
      let ss: number;
      let da: number;
      let dc: number;
      let ds: number;
      const src = r.src;
      if (typeof src === 'number') {
        const at = this.rowV4(src);
        sa = rows[at]!;
        sc = rows[at + 1]!;
        ss = rows[at + 2]!;
      } else [sa, sc, ss] = this.lookupV6(src);
      const dst = r.dst;
      if (typeof dst === 'number') {
        const at = this.rowV4(dst);
        da = rows[at]!;
        dc = rows[at + 1]!;
        ds = rows[at + 2]!;
      } else [da, dc, ds] = this.lookupV6(dst);
      // Every field is written, always in this order, even when it stays empty: records then
      // keep one shape (one hidden-class transition path), where conditional writes made
      // enrichment several times slower than the lookups themselves.
      const srcAs = r.src_as || (sa >= 0 ? asNumbers[sa]! : null);
      const dstAs = r.dst_as || (da >= 0 ? asNumbers[da]! : null);
      r.src_as = srcAs;
      r.dst_as = dstAs;
      r.src_country = r.src_country || (sc >= 0 ? countries[sc]! : null);
      r.dst_country = r.dst_country || (dc >= 0 ? countries[dc]! : null);
      const tags = checkTags && (ss >= 0 || ds >= 0 || this.checksAsns) ? this.flowTags(ss, ds, r.sport, r.dport, srcAs, dstAs, r.tags) : undefined;
      r.tags = tags ?? r.tags ?? null;
    }
    this.flows += records.length;
  }

  flowTags(srcSet: number, dstSet: number, sport: number, dport: number, srcAs: number | null | undefined, dstAs: number | null | undefined, own: readonly string[] | null | undefined): string[] | undefined {
    const intel = this.intel;
    if (intel === undefined) return undefined;
    let tags = srcSet >= 0 || dstSet >= 0 ? intel.flowTags(srcSet, dstSet, sport, dport) : undefined;
    if (this.checksAsns) {
      for (const asn of [srcAs, dstAs]) {
        const t = asn ? intel.asnTags(asn) : null;
        if (t) tags = [...new Set([...(tags ?? []), ...t])];
      }
    }
    if (!tags) return undefined;
    this.tagged++;
    return own && own.length > 0 ? [...new Set([...own, ...tags])] : tags;
  }

  count(flows: number): void {
    this.flows += flows;
  }
}

/** A sink that enriches each batch before handing it on (for importers that take a sink). */
export function enrichingSink<S extends { appendFlows(records: readonly FlowRecord[]): Promise<void> }>(sink: S, enricher: Enricher): Pick<S, 'appendFlows'> {
  return {
    appendFlows: (records: readonly FlowRecord[]) => {
      // Records are enriched in place: the batch array is the importer's own and is not kept.
      enricher.enrich(records as FlowRecord[]);
      return sink.appendFlows(records);
    },
  };
}
