// The runs of saved monitors, one row per (monitor, scheduled time), DuckDB and ClickHouse side
// by side. The row is written when a run completes, so a slot with a row is done and is never
// run again; a run cut short by a crash has no row and runs again on restart.

import { storeDatabase } from '../../intel/indicator-table.js';
import type { DocumentStore } from '../../store/document-table.js';

/** Table name (in the store's database for ClickHouse). */
export const MONITOR_RUNS_TABLE = 'monitor_runs';

/** One completed run. */
export interface MonitorRun {
  readonly monitor: string;
  /** The scheduled time (epoch ms); manual runs use the time they were asked for. */
  readonly slot: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** ok or error. */
  readonly status: 'ok' | 'error';
  /** Rows (query), nodes (pivot), findings (detect), changes (watch). */
  readonly rows: number;
  readonly newValues: readonly string[];
  readonly anomalies: readonly MonitorAnomaly[];
  /** The answer, capped (`truncated` says so). */
  readonly result: unknown;
  readonly truncated: boolean;
  readonly error?: string;
  /** Findings this run raised or updated. */
  readonly findings: readonly string[];
}

/** A value outside its expected range. */
export interface MonitorAnomaly {
  /** `total`, or the key of a row (its dimension values). */
  readonly key: string;
  readonly metric: string;
  readonly value: number;
  readonly median: number;
  readonly low: number;
  readonly high: number;
}

/** The runs table over a store. */
export class MonitorRunTable {
  private readonly name: string;

  constructor(private readonly store: DocumentStore) {
    this.name = store.dialect.name === 'clickhouse' ? `${storeDatabase(store)}.${MONITOR_RUNS_TABLE}` : MONITOR_RUNS_TABLE;
  }

  async ensureTable(): Promise<void> {
    await this.store.execute(
      this.store.dialect.name === 'duckdb'
        ? `CREATE TABLE IF NOT EXISTS ${this.name} (monitor VARCHAR NOT NULL, slot BIGINT NOT NULL, finished_at BIGINT NOT NULL, body VARCHAR NOT NULL, PRIMARY KEY (monitor, slot))`
        : `CREATE TABLE IF NOT EXISTS ${this.name} (monitor String, slot Int64, finished_at Int64, body String CODEC(ZSTD(3))) ENGINE = ReplacingMergeTree(finished_at) ORDER BY (monitor, slot)`,
    );
  }

  /** Records a completed run. On DuckDB a second row for one slot is refused (the primary key). */
  async insert(run: MonitorRun): Promise<void> {
    const d = this.store.dialect.name;
    await this.store.execute(d === 'duckdb' ? `INSERT INTO ${this.name} VALUES ($1, $2, $3, $4)` : `INSERT INTO ${this.name} SELECT {p1:String}, {p2:Int64}, {p3:Int64}, {p4:String}`, [
      { kind: 'string', value: run.monitor },
      { kind: 'i64', value: run.slot },
      { kind: 'i64', value: run.finishedAt },
      { kind: 'string', value: JSON.stringify(run) },
    ]);
  }

  /** True when the slot has a completed run. */
  async has(monitor: string, slot: number): Promise<boolean> {
    const d = this.store.dialect.name;
    const rows = await this.store.execute(
      d === 'duckdb' ? `SELECT 1 AS x FROM ${this.name} WHERE monitor = $1 AND slot = $2` : `SELECT 1 AS x FROM ${this.name} FINAL WHERE monitor = {p1:String} AND slot = {p2:Int64}`,
      [
        { kind: 'string', value: monitor },
        { kind: 'i64', value: slot },
      ],
    );
    return rows.length > 0;
  }

  /** The latest runs of a monitor, newest first. */
  async history(monitor: string, limit = 50): Promise<MonitorRun[]> {
    const d = this.store.dialect.name;
    const rows = await this.store.execute(
      d === 'duckdb'
        ? `SELECT body FROM ${this.name} WHERE monitor = $1 ORDER BY slot DESC LIMIT ${Math.max(1, Math.floor(limit))}`
        : `SELECT body FROM ${this.name} FINAL WHERE monitor = {p1:String} ORDER BY slot DESC LIMIT ${Math.max(1, Math.floor(limit))}`,
      [{ kind: 'string', value: monitor }],
    );
    return rows.map((r) => JSON.parse(String(r.body)) as MonitorRun);
  }

  /** Forgets a monitor's runs (when the monitor is removed). */
  async removeMonitor(monitor: string): Promise<void> {
    const d = this.store.dialect.name;
    await this.store.execute(
      d === 'duckdb' ? `DELETE FROM ${this.name} WHERE monitor = $1` : `DELETE FROM ${this.name} WHERE monitor = {p1:String}`,
      [{ kind: 'string', value: monitor }],
    );
  }
}
