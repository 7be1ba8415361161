// Picks and builds the store backend from a URL, flags and environment: the one place that
// knows which implementations exist.

import { resolve } from 'node:path';
import { VantageError } from '../core/errors.js';
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
  if (selection.store) return selection.store;
  if (selection.db) return `duckdb:${selection.db}`;
  if (env.VANTAGE_STORE) return env.VANTAGE_STORE;
  if (env.VANTAGE_DB) return `duckdb:${env.VANTAGE_DB}`;
  return `duckdb:${DEFAULT_DB_PATH}`;
}

/** Builds (does not open) the store a URL names. */
export function createStore(url: string): Store {
  const colon = url.indexOf(':');
  const scheme = colon > 0 ? url.slice(0, colon) : '';
  const rest = colon > 0 ? url.slice(colon + 1) : url;
  switch (scheme) {
    case 'duckdb': {
      const path = rest.startsWith('//') ? rest.slice(2) : rest;
      if (!path) throw new VantageError('STORE_URL', `store URL '${url}' names no file: use duckdb:PATH`);
      return new DuckDbStore({ path: path === ':memory:' ? path : resolve(path) });
    }
    default:
      throw new VantageError('STORE_URL', `unknown store '${url}': use duckdb:PATH (ClickHouse: clickhouse://HOST:PORT/DB, coming)`);
  }
}
