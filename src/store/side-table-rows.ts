// Writing the side tables that sit beside `flows` (HTTP requests, ARP requests): rows travel as
// JSON that each engine unpacks itself (DuckDB reads a JSON-lines file whose path is bound,
// ClickHouse unpacks a bound text with format(JSONEachRow)), addresses in the form each engine
// stores them, and a writer that batches what the importers find.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VantageError } from '../core/errors.js';
import { formatIp, type Ip } from '../core/ip.js';
import type { Store } from './store.js';

/** What a side table needs of a store. */
export type SideTableStore = Pick<Store, 'execute' | 'dialect' | 'location'>;

/** The sink as a store, when it is one (an importer's sink may be a plain appender). */
export function asSideTableStore(sink: unknown): SideTableStore | undefined {
  const s = sink as Partial<SideTableStore> | null;
  return s !== null && typeof s === 'object' && typeof s.execute === 'function' && s.dialect !== undefined && typeof s.location === 'string' ? (s as SideTableStore) : undefined;
}

/** An address as ClickHouse's IPv6 column reads it (IPv4 as ::ffff:a.b.c.d). */
export function clickHouseIpText(ip: Ip): string {
  return typeof ip === 'number' ? `::ffff:${formatIp(ip)}` : formatIp(ip);
}

/** An address as DuckDB's split columns `<name>4` / `<name>6` read it from JSON. */
export function duckDbIpFields(name: string, ip: Ip): Record<string, number | string | null> {
  return { [`${name}4`]: typeof ip === 'number' ? ip : null, [`${name}6`]: typeof ip === 'bigint' ? ip.toString() : null };
}

/** How one side table takes rows of type T. */
export interface JsonRowInsert<T> {
  /** What the rows are, for messages ("HTTP requests"). */
  readonly what: string;
  /** DuckDB: an INSERT reading the JSON-lines file whose path is bound as $1. */
  readonly duckdb: string;
  readonly duckdbRow: (row: T) => object;
  /** ClickHouse: an INSERT reading the JSON lines bound as {p1:String}. */
  readonly clickhouse: string;
  readonly clickhouseRow: (row: T) => object;
}

/** Rows per ClickHouse insert statement (one bound text each). */
const CLICKHOUSE_ROWS = 5000;

/** Inserts rows in one bulk write per backend. */
export async function insertJsonRows<T>(store: SideTableStore, rows: readonly T[], insert: JsonRowInsert<T>): Promise<void> {
  if (rows.length === 0) return;
  try {
    if (store.dialect.name === 'duckdb') {
      const dir = mkdtempSync(join(tmpdir(), 'vantage-rows-'));
      try {
        const file = join(dir, 'rows.jsonl');
        writeFileSync(file, rows.map((r) => JSON.stringify(insert.duckdbRow(r))).join('\n'));
        await store.execute(insert.duckdb, [{ kind: 'string', value: file }]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return;
    }
    for (let at = 0; at < rows.length; at += CLICKHOUSE_ROWS) {
      const text = rows
        .slice(at, at + CLICKHOUSE_ROWS)
        .map((r) => JSON.stringify(insert.clickhouseRow(r)))
        .join('\n');
      await store.execute(insert.clickhouse, [{ kind: 'string', value: text }]);
    }
  } catch (err) {
    if (err instanceof VantageError) throw err;
    throw new VantageError('STORE_QUERY', `cannot store ${rows.length} ${insert.what} in ${store.location}: ${(err as Error).message}`);
  }
}

/**
 * Buffers rows and appends them in batches: the importers hand rows over as they find them and
 * call {@link flush} at the end of each file.
 */
export class BatchedRowWriter<T> {
  private buffer: T[] = [];
  /** Rows appended so far. */
  written = 0;

  constructor(
    private readonly append: (rows: readonly T[]) => Promise<void>,
    private readonly batch = 10_000,
  ) {}

  /** Takes rows; appends once a batch is full. */
  async add(rows: readonly T[]): Promise<void> {
    for (const r of rows) this.buffer.push(r);
    if (this.buffer.length >= this.batch) await this.flush();
  }

  /** Appends whatever is buffered. */
  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    await this.append(rows);
    this.written += rows.length;
  }
}
