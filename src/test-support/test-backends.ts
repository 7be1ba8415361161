// The store backends tests run against: DuckDB always, embedded ClickHouse (chdb) when its package
// is installed (`npm run setup:chdb`); CI requires it through VANTAGE_REQUIRE_ALL=1.

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ClickHouseStore } from '../store/clickhouse/clickhouse-store.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';
import type { Store } from '../store/store.js';

/** True when the chdb package can be loaded; prints a notice (or throws in CI) otherwise. */
export function chdbAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('chdb/connection');
    return true;
  } catch {
    if (process.env.VANTAGE_REQUIRE_ALL === '1') throw new Error("package 'chdb' is missing and VANTAGE_REQUIRE_ALL=1 (run npm run setup:chdb)");
    console.warn("[skip] package 'chdb' is missing (npm run setup:chdb): ClickHouse tests are skipped");
    return false;
  }
}

/** Store settings a test may vary. */
export interface TestStoreOptions {
  readonly retentionDays?: number;
}

/** A named factory for a fresh store whose files live under `dir`. */
export type BackendFactory = [name: string, make: (dir: string, options?: TestStoreOptions) => Store];

/** The backends to run a suite against, as [name, factory] pairs for describe.each. */
export function testBackends(): BackendFactory[] {
  const backends: BackendFactory[] = [['duckdb', (dir, options = {}) => new DuckDbStore({ path: join(dir, 'flows.duckdb'), ...options })]];
  if (chdbAvailable()) {
    backends.push(['clickhouse', (dir, options = {}) => new ClickHouseStore({ target: { kind: 'chdb', path: join(dir, 'chdb') }, database: 'vantage', ...options })]);
  }
  return backends;
}
