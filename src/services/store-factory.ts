// Picks and builds the store backend from a URL, flags and environment: the one place that
// knows which implementations exist.

import { resolve } from 'node:path';
import { VantageError } from '../core/errors.js';
import { ClickHouseStore } from '../store/clickhouse/clickhouse-store.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';
import type { Store } from '../store/store.js';

/** Default embedded store file, relative to the working directory. */
export const DEFAULT_DB_PATH = './data/vantage.duckdb';

/** How the user named the store: `--store URL`, `--db PATH`, or neither. */
export interface StoreSelection {
  readonly store?: string;
  readonly db?: string;
}

/**
 * Resolves the store URL: `--store` wins, then `--db`, then VANTAGE_STORE, then VANTAGE_DB,
 * then the default file.
 */
export function resolveStoreUrl(selection: StoreSelection, env: NodeJS.ProcessEnv = process.env): string {
  // An empty flag is a mistake (an unset shell variable), not a request for the default file.
  // An empty environment variable counts as unset, as it does for most tools.
  if (selection.store !== undefined && selection.store.trim() === '') throw new VantageError('USAGE', '--store is empty: give a store URL such as duckdb:PATH, chdb:PATH or clickhouse://HOST:PORT/DATABASE');
  if (selection.db !== undefined && selection.db.trim() === '') throw new VantageError('USAGE', '--db is empty: give the path of a DuckDB file');
  if (selection.store) return selection.store;
  if (selection.db) return `duckdb:${selection.db}`;
  if (env.VANTAGE_STORE) return env.VANTAGE_STORE;
  if (env.VANTAGE_DB) return `duckdb:${env.VANTAGE_DB}`;
  return `duckdb:${DEFAULT_DB_PATH}`;
}

/** Store options beyond the URL (ClickHouse credentials, retention, cluster). */
export interface StoreOptions {
  readonly user?: string;
  readonly password?: string;
  readonly retentionDays?: number;
  readonly cluster?: string;
  readonly asyncInsert?: boolean;
  /** DuckDB's memory limit (e.g. '256MB'); DuckDB's own default (80% of RAM) when unset. */
  readonly duckdbMemoryLimit?: string;
  /** DuckDB's worker threads; DuckDB's own default (one per core) when unset. */
  readonly duckdbThreads?: number;
}

function positiveFromEnv(name: string, text: string, unit: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new VantageError('USAGE', `${name} must be a positive whole number of ${unit}, got '${text}'`);
  return n;
}

/** Store options from the environment, for whatever the flags left unset. */
export function storeOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StoreOptions {
  return {
    user: env.VANTAGE_CLICKHOUSE_USER,
    password: env.VANTAGE_CLICKHOUSE_PASSWORD,
    retentionDays: env.VANTAGE_RETENTION_DAYS ? positiveFromEnv('VANTAGE_RETENTION_DAYS', env.VANTAGE_RETENTION_DAYS, 'days') : undefined,
    cluster: env.VANTAGE_CLICKHOUSE_CLUSTER,
    duckdbMemoryLimit: env.VANTAGE_DUCKDB_MEMORY_LIMIT,
    duckdbThreads: env.VANTAGE_DUCKDB_THREADS ? positiveFromEnv('VANTAGE_DUCKDB_THREADS', env.VANTAGE_DUCKDB_THREADS, 'threads') : undefined,
  };
}

/** Builds (does not open) the store a URL names. */
export function createStore(url: string, options: StoreOptions = storeOptionsFromEnv()): Store {
  const colon = url.indexOf(':');
  const scheme = colon > 0 ? url.slice(0, colon) : '';
  const rest = colon > 0 ? url.slice(colon + 1) : url;
  switch (scheme) {
    case 'duckdb': {
      const path = rest.startsWith('//') ? rest.slice(2) : rest;
      if (!path) throw new VantageError('STORE_URL', `store URL '${url}' names no file: use duckdb:PATH`);
      return new DuckDbStore({ path: path === ':memory:' ? path : resolve(path), retentionDays: options.retentionDays, memoryLimit: options.duckdbMemoryLimit, threads: options.duckdbThreads });
    }
    case 'clickhouse':
    case 'clickhouses': {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new VantageError('STORE_URL', `cannot read store URL '${url}': use clickhouse://[USER:PASSWORD@]HOST:PORT/DATABASE`);
      }
      const database = parsed.pathname.replace(/^\//, '') || 'vantage';
      const protocol = scheme === 'clickhouses' ? 'https' : 'http';
      return new ClickHouseStore({
        target: {
          kind: 'http',
          url: `${protocol}://${parsed.hostname}:${parsed.port || (protocol === 'https' ? 8443 : 8123)}`,
          username: decodeURIComponent(parsed.username) || options.user,
          password: decodeURIComponent(parsed.password) || options.password,
        },
        database,
        retentionDays: options.retentionDays,
        cluster: options.cluster,
        asyncInsert: options.asyncInsert,
      });
    }
    case 'chdb': {
      if (!rest) throw new VantageError('STORE_URL', `store URL '${url}' names no folder: use chdb:PATH`);
      return new ClickHouseStore({ target: { kind: 'chdb', path: rest === ':memory:' ? rest : resolve(rest) }, database: 'vantage', retentionDays: options.retentionDays });
    }
    default:
      throw new VantageError('STORE_URL', `unknown store '${url}': use duckdb:PATH, chdb:PATH or clickhouse://HOST:PORT/DATABASE`);
  }
}
