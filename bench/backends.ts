// The Vantage backends the benchmark feeds: embedded DuckDB and embedded ClickHouse (chdb), each
// behind the same `Store` interface, plus what differs per backend when an import is finished
// (DuckDB CHECKPOINT; ClickHouse background merges) and how bytes on disk are measured.

import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ClickHouseStore } from '../src/store/clickhouse/clickhouse-store.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import type { Store } from '../src/store/store.js';

export type BackendName = 'duckdb' | 'clickhouse';
export const BACKEND_NAMES: readonly BackendName[] = ['duckdb', 'clickhouse'];
export const BACKEND_LABEL: Record<BackendName, string> = { duckdb: 'DuckDB', clickhouse: 'ClickHouse (chdb)' };
export const BACKEND_SHORT: Record<BackendName, string> = { duckdb: 'DuckDB', clickhouse: 'ClickHouse' };

/** The ClickHouse database the bench store uses. */
export const CH_DATABASE = 'vantage';

/** The installed chdb package version, or undefined when `npm run setup:chdb` has not been run. */
export function chdbVersion(): string | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve('chdb/connection');
    // .../node_modules/chdb/dist/connection/index.js -> .../node_modules/chdb/package.json
    const pkg = join(dirname(entry), '..', '..', 'package.json');
    return existsSync(pkg) ? String((JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version ?? '?') : '?';
  } catch {
    return undefined;
  }
}

/** Where a backend's files go in the work directory; removes leftovers of an earlier --keep run. */
export function backendPath(name: BackendName, work: string): string {
  if (name === 'duckdb') {
    const path = join(work, 'vantage.duckdb');
    for (const p of [path, `${path}.wal`]) rmSync(p, { force: true });
    return path;
  }
  const path = join(work, 'clickhouse');
  rmSync(path, { recursive: true, force: true });
  return path;
}

export function newStore(name: BackendName, path: string): Store {
  return name === 'duckdb' ? new DuckDbStore({ path }) : new ClickHouseStore({ target: { kind: 'chdb', path }, database: CH_DATABASE });
}

export async function engineVersion(name: BackendName, store: Store): Promise<string> {
  const [row] = await store.execute('SELECT version() AS v');
  return name === 'duckdb' ? `DuckDB ${String(row?.v)}` : `ClickHouse ${String(row?.v)} (chdb ${chdbVersion() ?? '?'})`;
}

/** Total size of the files under a directory (the whole chdb data directory, metadata included). */
export function directoryBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(p);
    else if (entry.isFile()) total += statSync(p).size;
  }
  return total;
}

/** Active parts of one ClickHouse table, from system.parts. */
export interface PartsRow {
  readonly table: string;
  readonly parts: number;
  readonly rows: number;
  readonly bytesOnDisk: number;
  readonly uncompressedBytes: number;
}

export async function clickHouseParts(store: Store): Promise<PartsRow[]> {
  const rows = await store.execute(
    `SELECT table, count() AS parts, sum(rows) AS rows, sum(bytes_on_disk) AS b, sum(data_uncompressed_bytes) AS u ` +
      `FROM system.parts WHERE active AND database = '${CH_DATABASE}' GROUP BY table ORDER BY table`,
  );
  return rows.map((r) => ({ table: String(r.table), parts: Number(r.parts), rows: Number(r.rows), bytesOnDisk: Number(r.b), uncompressedBytes: Number(r.u) }));
}

async function clickHouseMerges(store: Store): Promise<number> {
  const [row] = await store.execute(`SELECT count() AS n FROM system.merges WHERE database = '${CH_DATABASE}'`);
  return Number(row?.n ?? 0);
}

/**
 * Waits until ClickHouse's background merges are done: no merge running and the active part
 * count unchanged for 3 polls a second apart, or `maxMs`. Not charged to the import: the
 * inserts are durable parts when `appendFlows` returns. No OPTIMIZE ... FINAL.
 */
export async function settleClickHouse(
  store: Store,
  maxMs: number,
  onPoll?: (parts: number, merges: number) => void,
): Promise<{ ms: number; waitedMs: number; timedOut: boolean; merges: number }> {
  const t0 = performance.now();
  let lastParts = -1;
  let lastChange = t0;
  let stable = 0;
  let merges = 0;
  for (;;) {
    const now = performance.now();
    merges = await clickHouseMerges(store);
    const parts = (await clickHouseParts(store)).reduce((s, p) => s + p.parts, 0);
    onPoll?.(parts, merges);
    if (merges === 0 && parts === lastParts) stable++;
    else {
      stable = 0;
      lastChange = now;
    }
    lastParts = parts;
    // `ms`: until the last change seen (merges running or part count moving); `waitedMs`: all of it.
    if (stable >= 3) return { ms: lastChange - t0, waitedMs: performance.now() - t0, timedOut: false, merges };
    if (performance.now() - t0 >= maxMs) return { ms: performance.now() - t0, waitedMs: performance.now() - t0, timedOut: true, merges };
    await new Promise((r) => setTimeout(r, 1000));
  }
}
