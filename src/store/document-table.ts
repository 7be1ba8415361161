// Small named documents beside the flows (watchlists, saved monitors, block lists): one row per
// name with a JSON body, DuckDB and ClickHouse side by side. DuckDB replaces the row (delete then
// insert); ClickHouse appends versions to a ReplacingMergeTree keyed by name and reads the newest
// with FINAL, a removal being a version marked deleted, so both read the same.

import { VantageError } from '../core/errors.js';
import { storeDatabase } from '../intel/indicator-table.js';
import type { Store } from './store.js';

/** What a document table needs of a store. */
export type DocumentStore = Pick<Store, 'execute' | 'dialect' | 'location'>;

/** A stored document: its name, body and when it last changed (epoch ms). */
export interface StoredDocument<T> {
  readonly name: string;
  readonly body: T;
  readonly updatedAt: number;
}

/** One table of JSON documents keyed by name. */
export class DocumentTable<T> {
  private readonly qualified: string;

  /** `table` is a fixed identifier of ours (never user text). */
  constructor(
    private readonly store: DocumentStore,
    private readonly table: string,
  ) {
    this.qualified = store.dialect.name === 'clickhouse' ? `${storeDatabase(store)}.${table}` : table;
  }

  async ensureTable(): Promise<void> {
    await this.store.execute(
      this.store.dialect.name === 'duckdb'
        ? `CREATE TABLE IF NOT EXISTS ${this.table} (name VARCHAR NOT NULL PRIMARY KEY, body VARCHAR NOT NULL, updated_at BIGINT NOT NULL)`
        : `CREATE TABLE IF NOT EXISTS ${this.qualified} (name String, body String, updated_at Int64, deleted UInt8) ENGINE = ReplacingMergeTree(updated_at) ORDER BY name`,
    );
  }

  /** Every live document, by name. */
  async list(): Promise<StoredDocument<T>[]> {
    const rows = await this.store.execute(
      this.store.dialect.name === 'duckdb'
        ? `SELECT name, body, updated_at FROM ${this.table} ORDER BY name`
        : `SELECT name, body, updated_at FROM ${this.qualified} FINAL WHERE deleted = 0 ORDER BY name`,
    );
    return rows.map((r) => this.decode(r));
  }

  /** One document, or undefined. */
  async get(name: string): Promise<StoredDocument<T> | undefined> {
    const rows = await this.store.execute(
      this.store.dialect.name === 'duckdb'
        ? `SELECT name, body, updated_at FROM ${this.table} WHERE name = $1`
        : `SELECT name, body, updated_at FROM ${this.qualified} FINAL WHERE name = {p1:String} AND deleted = 0`,
      [{ kind: 'string', value: name }],
    );
    return rows[0] ? this.decode(rows[0]) : undefined;
  }

  /**
   * Creates or replaces a document. On ClickHouse the version written is after every stored one
   * of the name (removals too), so two writes in one millisecond still order.
   */
  async put(name: string, body: T, now: number = Date.now()): Promise<void> {
    const text = JSON.stringify(body);
    if (this.store.dialect.name === 'duckdb') {
      await this.store.execute(`INSERT OR REPLACE INTO ${this.table} VALUES ($1, $2, $3)`, [
        { kind: 'string', value: name },
        { kind: 'string', value: text },
        { kind: 'i64', value: now },
      ]);
      return;
    }
    await this.writeVersion(name, text, await this.nextVersion(name, now), 0);
  }

  /** Removes a document; false when there was none. */
  async remove(name: string, now: number = Date.now()): Promise<boolean> {
    const old = await this.get(name);
    if (!old) return false;
    if (this.store.dialect.name === 'duckdb') await this.store.execute(`DELETE FROM ${this.table} WHERE name = $1`, [{ kind: 'string', value: name }]);
    else await this.writeVersion(name, '{}', await this.nextVersion(name, now), 1);
    return true;
  }

  /** ClickHouse: a version after every stored one of the name. */
  private async nextVersion(name: string, now: number): Promise<number> {
    const rows = await this.store.execute(`SELECT max(updated_at) AS v, count() AS n FROM ${this.qualified} WHERE name = {p1:String}`, [{ kind: 'string', value: name }]);
    const latest = Number(rows[0]?.n ?? 0) > 0 ? Number(rows[0]!.v) : -Infinity;
    return Math.max(now, latest + 1);
  }

  private async writeVersion(name: string, body: string, now: number, deleted: 0 | 1): Promise<void> {
    await this.store.execute(`INSERT INTO ${this.qualified} SELECT {p1:String}, {p2:String}, {p3:Int64}, {p4:UInt8}`, [
      { kind: 'string', value: name },
      { kind: 'string', value: body },
      { kind: 'i64', value: now },
      { kind: 'u8', value: deleted },
    ]);
  }

  private decode(row: Record<string, unknown>): StoredDocument<T> {
    try {
      return { name: String(row.name), body: JSON.parse(String(row.body)) as T, updatedAt: Number(row.updated_at) };
    } catch {
      throw new VantageError('STORE_QUERY', `${this.table} '${String(row.name)}' in ${this.store.location} is not valid JSON`);
    }
  }
}
