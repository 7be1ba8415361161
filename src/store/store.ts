// The store interface every backend implements, and the Dialect through which SQL is written
// once per backend. Callers (query, import, detections, API) depend on these types only.

import type { ColumnKind, FlowRecord } from '../core/columns.js';
import type { Ip, IpRange } from '../core/ip.js';
import type { AddressLookups, Enricher } from '../enrich/enricher.js';

/**
 * Flows per `appendFlows` call that writers should aim for: DuckDB's row-group size, so each
 * append fills whole row groups (which compress best); large enough for ClickHouse parts too.
 */
export const PREFERRED_BATCH = 122_880;

/** A value bound to a query parameter, with its logical kind so the backend can type it. */
export interface BoundParam {
  readonly kind: ColumnKind | 'i64' | 'f64' | 'u128';
  readonly value: number | bigint | string;
}

/** Collects parameters while SQL is written; returns the placeholder to splice in. */
export interface ParamSink {
  bind(kind: BoundParam['kind'], value: BoundParam['value']): string;
}

/** One output column of a query as the caller sees it, and where its values sit in the SQL row. */
export interface OutputField {
  readonly name: string;
  /** `ip` values come back in one or more SQL columns, decoded by the dialect. */
  readonly kind: ColumnKind | 'count';
  /** SQL aliases that carry this field's value(s), in order. */
  readonly aliases: readonly string[];
}

/** SQL and parameters ready to run, plus how to turn raw rows into records. */
export interface CompiledQuery {
  readonly sql: string;
  readonly params: readonly BoundParam[];
  readonly outputs: readonly OutputField[];
}

/** A decoded result row: field name to JSON-ready value. */
export type ResultRow = Record<string, string | number | bigint | boolean | null | readonly string[]>;

/**
 * The SQL differences between backends. Everything a compiler or a detector needs to write
 * portable SQL goes through here, so one AST compiles to DuckDB and ClickHouse alike.
 */
export interface Dialect {
  readonly name: 'duckdb' | 'clickhouse';
  /** Quotes an identifier. */
  quote(identifier: string): string;
  /** The SQL expressions that hold an `ip` column, in the order `decodeIp` expects them. */
  ipColumns(column: string): readonly string[];
  /** Turns the raw values of `ipColumns` back into an address (null when absent). */
  decodeIp(values: readonly unknown[]): Ip | null;
  /** Condition: column equals the address. */
  ipEquals(column: string, ip: Ip, params: ParamSink): string;
  /** Condition: column lies in the range. */
  ipInRange(column: string, range: IpRange, params: ParamSink): string;
  /**
   * Condition: an address column of the flows table itself lies in the range (equals it, for a
   * range of one). The flows table may keep a narrower copy of the column to test instead
   * (ClickHouse's IPv4 `src4`), which other tables and subqueries do not have.
   */
  flowsIpInRange(column: string, range: IpRange, params: ParamSink): string;
  /** Condition: an address column of the flows table itself is one of the addresses (false for none). */
  flowsIpIn(column: string, ips: readonly Ip[], params: ParamSink): string;
  /**
   * One comparable expression for an address given as the expressions of its columns (what
   * `ipColumns` names, or their aliases): ClickHouse's one IPv6 column as is; DuckDB's IPv4 column
   * mapped into ::ffff:0:0/96 as a 128-bit key, else its IPv6 column. Both sort addresses alike.
   */
  ipKeyOf(exprs: readonly string[]): string;
  /** Condition: column holds an address of this family. */
  ipIsFamily(column: string, family: 4 | 6): string;
  /** A time column as epoch milliseconds (an integer expression). */
  timeMs(column: string): string;
  /** Integer division, truncating, of two integer expressions. */
  intDiv(dividend: string, divisor: string): string;
  /** An integer expression widened to 128 bits, for products that can pass 2^63 (bytes x 8000). */
  int128(expr: string): string;
  /** Bitwise AND of two integer expressions. */
  bitAnd(a: string, b: string): string;
  /** A time column floored to a bucket of `intervalMs`, as epoch ms. */
  timeBucket(column: string, intervalMs: number, params: ParamSink): string;
  /** Number of distinct values of a field (for `ip` fields, of the address). */
  countDistinct(column: string, kind: ColumnKind): string;
  /** Condition: a tags column contains the value. */
  tagsContain(column: string, value: string, params: ParamSink): string;
  /** Creates a fresh parameter sink for one statement. */
  newParams(): ParamSink & { readonly params: BoundParam[] };
}

/**
 * A pre-aggregated copy of the flow table: per time bucket and per value combination of its
 * dimensions, the sums `flows`, `packets` and `bytes`. The planner answers a query from it when
 * every field the query touches is a dimension and the time bounds fall on bucket edges.
 */
export interface RollupTable {
  readonly table: string;
  readonly bucketMs: number;
  readonly dimensions: readonly string[];
  /** Dimensions kept exactly only below `from`: values `from`..`max` are all stored as `from`. */
  readonly coarsened?: Readonly<Record<string, { readonly from: number; readonly max: number }>>;
}

/** Counts reported after an append or by `stats()`. */
export interface StoreStats {
  readonly flows: number;
  /** Bytes used on disk by the store, where the backend can tell. */
  readonly bytesOnDisk?: number;
  readonly firstFlow?: number;
  readonly lastFlow?: number;
}

/**
 * A flow store. `open()` creates or migrates the schema idempotently; `close()` flushes and
 * releases it. A single-node DuckDB file may be opened by one process only.
 */
export interface Store {
  readonly dialect: Dialect;
  /** Where the data lives, for messages (no credentials). */
  readonly location: string;
  /** Rollup tables the planner may use, coarsest last; empty when the backend keeps none. */
  readonly rollups: readonly RollupTable[];
  open(): Promise<void>;
  /** Appends a batch of flows in one efficient write (data chunks, RowBinary...). */
  appendFlows(records: readonly FlowRecord[]): Promise<void>;
  /**
   * Appends encoded flow chunks (collect/flow-codec.ts: the collector's batches) in one write,
   * enriched on the way, without building a record per flow. Optional: a backend without it is
   * given the decoded records through `appendFlows` (see `appendEncoded`).
   */
  appendEncodedFlows?(chunks: readonly Uint8Array[], enricher?: Enricher & AddressLookups): Promise<void>;
  /** How many `appendEncodedFlows` calls may run at once (default 1: one after the other). */
  readonly appendConcurrency?: number;
  /** Runs a compiled query and decodes its rows. */
  run(query: CompiledQuery): Promise<ResultRow[]>;
  /** Runs raw SQL with bound parameters (migrations, detectors); rows as objects. */
  execute(sql: string, params?: readonly BoundParam[]): Promise<Record<string, unknown>[]>;
  stats(): Promise<StoreStats>;
  /**
   * Drops flows older than the configured retention, as of `now`; returns how many went (when
   * the backend can tell). DuckDB deletes; ClickHouse applies its TTL.
   */
  enforceRetention(now?: number): Promise<number | undefined>;
  /** Deletes flows starting at or after `startMs`, with their rollup rows (the bucket holding `startMs` refilled). */
  deleteFlowsSince(startMs: number): Promise<void>;
  close(): Promise<void>;
}
