// The embedded DuckDB flow store: one file, schema migrated on open, flows appended through
// data chunks (the fastest path the node API offers), queries with bound parameters.

import { mkdirSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { dirname } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import {
  BIGINT,
  DOUBLE,
  DuckDBAppender,
  DuckDBConnection,
  DuckDBInstance,
  HUGEINT,
  LIST,
  UBIGINT,
  UHUGEINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  VARCHAR,
  type DuckDBType,
} from '@duckdb/node-api';
import { asChunkError, decodeFlowChunkAt, decodeFlowRowAt, readChunkHeader } from '../../collect/flow-codec.js';
import type { FlowRecord } from '../../core/columns.js';
import { VantageError } from '../../core/errors.js';
import type { AddressLookups, Enricher } from '../../enrich/enricher.js';
import type { BoundParam, CompiledQuery, ResultRow, Store, StoreStats } from '../store.js';
import { decodeColumns } from '../decode-rows.js';
import { hasIpv6Address } from '../flow-batches.js';
import { duckDbDialect, type PhysicalColumn } from './duckdb-dialect.js';
import { duckDbMigrations, FLOW_ROW_TABLES, FLOW_ROWS6_TABLE, FLOW_ROWS_TABLE, layoutRewrite, needsRewrite } from './duckdb-schema.js';
import { CHUNK_ROWS, ChunkWriter, EncodedRows } from './duckdb-chunk-writer.js';

const PARAM_TYPES: Record<BoundParam['kind'], DuckDBType> = {
  time: BIGINT,
  ip: UHUGEINT,
  u8: UTINYINT,
  u16: USMALLINT,
  u32: UINTEGER,
  u64: BIGINT,
  u128: UHUGEINT,
  i64: BIGINT,
  f64: DOUBLE,
  string: VARCHAR,
  country: USMALLINT,
  tags: VARCHAR,
};

function chunkType(column: PhysicalColumn): DuckDBType {
  switch (column.sqlType) {
    case 'BIGINT':
      return BIGINT;
    case 'UTINYINT':
      return UTINYINT;
    case 'USMALLINT':
      return USMALLINT;
    case 'UINTEGER':
      return UINTEGER;
    case 'UBIGINT':
      return UBIGINT;
    case 'UHUGEINT':
      return UHUGEINT;
    case 'HUGEINT':
      return HUGEINT;
    case 'VARCHAR':
      return VARCHAR;
    case 'VARCHAR[]':
      return LIST(VARCHAR);
    default:
      throw new Error(`no chunk type for ${column.sqlType}`);
  }
}

/** A chunk writer for one of the row tables. */
function chunkWriter(table: string): ChunkWriter {
  const { columns } = FLOW_ROW_TABLES.find((t) => t.name === table)!;
  return new ChunkWriter(columns.map(chunkType), columns);
}

/** A batch split by row table (`flow_rows6` for the flows with an IPv6 address in any address column); the batch itself when it has none. */
function byRowTable(records: readonly FlowRecord[]): { v4: readonly FlowRecord[]; v6: FlowRecord[] } {
  if (!records.some(hasIpv6Address)) return { v4: records, v6: [] };
  const v4: FlowRecord[] = [];
  const v6: FlowRecord[] = [];
  for (const r of records) (hasIpv6Address(r) ? v6 : v4).push(r);
  return { v4, v6 };
}

/**
 * Rows an encoded append fills and flushes between two turns of the event loop. Filling and
 * flushing a batch of 122,880 flows in one go kept the collector's main thread from taking the
 * decode workers' chunks for ~100 ms or more under load; at 1M flows/s the workers then paused
 * (their chunks in flight at the bound) and the receiver dropped datagrams.
 */
const SLICE_ROWS = 8 * CHUNK_ROWS;

/** Block size of new database files (DuckDB's default is 256 KiB). */
const BLOCK_SIZE = 65_536;

/**
 * Runs `fill` on an appender of `table`, then closes it. When `fill` throws, the rows the appender
 * still buffers are dropped, and `fill`'s error is the one passed on. Closing flushes: after a
 * failed flush it only reports that the transaction is aborted (which hid the out-of-memory error
 * that aborted it), and the rows stay buffered in the appender and reached a later transaction
 * of its connection: a batch that failed twice and then went in was stored with 32,768 rows too
 * many (the two failed slices).
 */
async function withAppender(conn: DuckDBConnection, table: string, fill: (appender: DuckDBAppender) => Promise<void> | void): Promise<void> {
  const appender = await conn.createAppender(table);
  try {
    await fill(appender);
  } catch (err) {
    try {
      appender.clear();
      appender.closeSync();
    } catch {
      // The failure above, reported once more.
    }
    throw err;
  }
  appender.closeSync();
}

/** How DuckDB says an operation found no room within its memory limit. */
const OUT_OF_MEMORY = /out of memory|failed to pin block|could not allocate block/i;

/** DuckDB's own default limit: 80% of RAM. A limit grown after running out stops there. */
const DUCKDB_DEFAULT_LIMIT_BYTES = Math.floor(0.8 * totalmem());

const MEMORY_UNITS: Record<string, number> = { bytes: 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 };

/** A DuckDB memory setting as it reports it ('45.7 MiB') in bytes, or undefined. */
function duckDbBytes(text: string): number | undefined {
  const m = /^([\d.]+)\s*([a-z]+)?$/i.exec(text.trim());
  const unit = MEMORY_UNITS[(m?.[2] ?? 'b').toLowerCase()];
  return m && unit ? Math.round(Number(m[1]) * unit) : undefined;
}

/** Options for the DuckDB store. */
export interface DuckDbStoreConfig {
  /** Database file, or ':memory:'. */
  readonly path: string;
  /** DuckDB memory limit, e.g. '4GB'. */
  readonly memoryLimit?: string;
  readonly threads?: number;
  /** Flows older than this many days are deleted at open and by `enforceRetention`. */
  readonly retentionDays?: number;
}

/** The embedded DuckDB implementation of `Store`. */
export class DuckDbStore implements Store {
  readonly dialect = duckDbDialect;
  readonly location: string;
  // DuckDB scans a week of flows fast enough that rollups would only cost ingest time.
  readonly rollups = [];
  private instance?: DuckDBInstance;
  private connection?: DuckDBConnection;
  /**
   * Encoded batches (the collector's) commit while the next one is filled: each append in flight
   * has a connection of its own (DuckDB lets concurrent transactions append to one table) and a
   * chunk writer of its own. A commit took ~0.3 µs a flow on a thread of DuckDB's, during which
   * the main thread waited; the fill and flush before it ~0.45 µs on the main thread.
   */
  readonly appendConcurrency = 2;
  private readonly idleLanes: { conn: DuckDBConnection; writer: ChunkWriter }[] = [];
  /** A chunk writer per row table, by table name. */
  private readonly chunks = new Map(FLOW_ROW_TABLES.map(({ name }) => [name, chunkWriter(name)]));

  constructor(private readonly config: DuckDbStoreConfig) {
    this.location = `duckdb:${config.path}`;
  }

  async open(): Promise<void> {
    const { path } = this.config;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      // New files get 64 KiB blocks instead of 256 KiB: every append commits its own row group,
      // and the partly filled block each commit leaves behind costs up to a block. Measured on
      // 1.2M bench flows in 122,880-row appends: 26.25 -> 24.28 bytes/flow, same append time.
      // Existing files keep the block size they were created with.
      const options: Record<string, string> = { default_block_size: String(BLOCK_SIZE) };
      if (this.config.memoryLimit) options.memory_limit = this.config.memoryLimit;
      if (this.config.threads) options.threads = String(this.config.threads);
      this.instance = await DuckDBInstance.create(path, options);
      this.connection = await this.instance.connect();
    } catch (err) {
      throw new VantageError('STORE_OPEN', `cannot open DuckDB store ${path}: ${(err as Error).message}`);
    }
    await this.rewriteLegacyLayout();
    for (const statement of duckDbMigrations()) await this.connection.run(statement);
    await this.enforceRetention();
  }

  /** Brings a store of an older layout (`flows-v1` to `flows-v6`) to the current one: once, at the first open. */
  private async rewriteLegacyLayout(): Promise<void> {
    const reader = await this.conn.runAndReadAll(
      "SELECT table_name, c.column_name FROM duckdb_columns() c JOIN duckdb_tables() t USING (database_name, schema_name, table_name) WHERE database_name = current_database() AND schema_name = 'main' AND table_name IN ('flows', 'flow_rows', 'flow_rows6')",
    );
    const found = new Map<string, Set<string>>();
    for (const [table, column] of reader.getRows()) {
      const columns = found.get(String(table)) ?? new Set<string>();
      columns.add(String(column));
      found.set(String(table), columns);
    }
    const tables = [...found].map(([name, columns]) => ({ name, columns }));
    if (!needsRewrite(tables)) return;
    // The layout the store records tells where its packed fields are.
    const rewrite = layoutRewrite(tables, await this.storedLayout());
    try {
      for (const statement of rewrite) await this.conn.run(statement);
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw new VantageError('STORE_OPEN', `cannot bring DuckDB store ${this.config.path} to the current layout: ${(err as Error).message}`);
    }
    await this.conn.run('CHECKPOINT');
  }

  /** The layout the store says it has (`vantage_meta`), or undefined for a new store. */
  private async storedLayout(): Promise<string | undefined> {
    // No vantage_meta table yet: a new store.
    const reader = await this.conn.runAndReadAll("SELECT value FROM vantage_meta WHERE key = 'schema'").catch(() => undefined);
    const value = reader?.getRows()[0]?.[0];
    return value === undefined || value === null ? undefined : String(value);
  }

  async enforceRetention(now: number = Date.now()): Promise<number | undefined> {
    if (!this.config.retentionDays) return 0;
    // Whole hours go, as ClickHouse's TTL takes them (its rollups expire by the hour).
    const cutoff = Math.floor((now - this.config.retentionDays * 86_400_000) / 3_600_000) * 3_600_000;
    return this.deleteFlows('"start" < $1', cutoff);
  }

  private get openInstance(): DuckDBInstance {
    if (!this.instance) throw new VantageError('STORE_OPEN', 'store is not open');
    return this.instance;
  }

  private get conn(): DuckDBConnection {
    if (!this.connection) throw new VantageError('STORE_OPEN', 'store is not open');
    return this.connection;
  }

  appendFlows(records: readonly FlowRecord[]): Promise<void> {
    return this.growingMemory(() => this.appendRecords(records));
  }

  private async appendRecords(records: readonly FlowRecord[]): Promise<void> {
    if (records.length === 0) return;
    const { v4, v6 } = byRowTable(records);
    if (v6.length === 0) return this.append(FLOW_ROWS_TABLE, v4);
    // One transaction, so that a failed batch leaves nothing behind (the collector spools it whole).
    await this.conn.run('BEGIN TRANSACTION');
    try {
      await this.append(FLOW_ROWS_TABLE, v4);
      await this.append(FLOW_ROWS6_TABLE, v6);
      await this.conn.run('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * The collector's batches, read straight from their bytes into data chunks: no record per flow
   * (decoding them took the collector's main thread a quarter of its time, and the records most
   * of its heap). Rows with an IPv6 address, and chunks of another build's columns, take the
   * record path.
   */
  appendEncodedFlows(chunks: readonly Uint8Array[], enricher?: Enricher & AddressLookups): Promise<void> {
    return this.growingMemory(() => this.appendEncoded(chunks, enricher));
  }

  private async appendEncoded(chunks: readonly Uint8Array[], enricher?: Enricher & AddressLookups): Promise<void> {
    const lane = this.idleLanes.pop() ?? { conn: await this.openInstance.connect(), writer: chunkWriter(FLOW_ROWS_TABLE) };
    const { conn, writer } = lane;
    const others: FlowRecord[] = [];
    try {
      await conn.run('BEGIN TRANSACTION');
      try {
        await withAppender(conn, FLOW_ROWS_TABLE, async (appender) => {
          let unflushed = 0;
          for (const bytes of chunks) {
            const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
            for (let at = 0; at < bytes.length; ) {
              const header = readChunkHeader(bytes, view, at);
              if (!header.current) {
                at = decodeFlowChunkAt(bytes, view, at, others);
                continue;
              }
              const rows = new EncodedRows(bytes, view, header);
              while (rows.rows > 0) {
                const chunk = writer.fillEncoded(rows, enricher);
                if (!chunk) continue;
                appender.appendDataChunk(chunk);
                if ((unflushed += CHUNK_ROWS) < SLICE_ROWS) continue;
                // The rows so far go into the transaction (the row group it is filling goes on
                // filling), and the event loop runs before the next slice.
                appender.flushSync();
                unflushed = 0;
                await setImmediate();
              }
              at = rows.p;
              for (const p of rows.v6) decodeFlowRowAt(bytes, view, p, others);
            }
          }
          const last = writer.takeEncoded(enricher);
          if (last) appender.appendDataChunk(last);
          appender.flushSync();
        }).catch((err: unknown) => {
          writer.discardEncoded();
          throw asChunkError(err);
        });
        if (others.length > 0) {
          enricher?.enrich(others);
          const { v4, v6 } = byRowTable(others);
          await this.append(FLOW_ROWS_TABLE, v4, conn);
          await this.append(FLOW_ROWS6_TABLE, v6, conn);
        }
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      if (this.instance) this.idleLanes.push(lane);
      else lane.conn.closeSync();
    }
  }

  /**
   * Runs an append. When DuckDB ran out of memory within a limit set small on purpose (the
   * collector's: it only appends, and DuckDB keeps the blocks it wrote cached up to its limit),
   * the limit is doubled before the error goes on, so that the batch's next attempt (the collector
   * spools and replays it) finds room. Short of memory, DuckDB first spills, which only slows
   * appends; this keeps a limit that proves too small from failing them for good.
   */
  private async growingMemory(append: () => Promise<void>): Promise<void> {
    try {
      await append();
    } catch (err) {
      if (this.config.memoryLimit && err instanceof Error && OUT_OF_MEMORY.test(err.message)) {
        const grown = await this.growMemoryLimit().catch(() => undefined);
        // DuckDB's advice (lines on raising the limit) gives way to what was done.
        if (grown !== undefined) err.message = `${err.message.split('\n')[0]} (DuckDB's memory limit is now ${(grown / 1024 ** 2).toFixed(0)} MiB, for the next attempt)`;
      }
      throw err;
    }
  }

  /** Doubles DuckDB's memory limit, up to DuckDB's own default; the new limit in bytes, or undefined if it stayed. */
  private async growMemoryLimit(): Promise<number | undefined> {
    const reader = await this.conn.runAndReadAll("SELECT current_setting('memory_limit')");
    const now = duckDbBytes(String(reader.getRows()[0]?.[0]));
    if (now === undefined || now >= DUCKDB_DEFAULT_LIMIT_BYTES) return undefined;
    const next = Math.min(DUCKDB_DEFAULT_LIMIT_BYTES, 2 * now);
    await this.conn.run(`SET memory_limit = '${next}B'`);
    return next;
  }

  /**
   * Appends records to one row table. The table's chunk writer is shared by every connection:
   * safe, because each chunk is filled and appended in one synchronous loop.
   */
  private async append(table: string, records: readonly FlowRecord[], conn = this.conn): Promise<void> {
    if (records.length === 0) return;
    const chunks = this.chunks.get(table)!;
    await withAppender(conn, table, (appender) => {
      for (let offset = 0; offset < records.length; offset += CHUNK_ROWS) {
        appender.appendDataChunk(chunks.chunk(records, offset, Math.min(CHUNK_ROWS, records.length - offset)));
      }
      appender.flushSync();
    });
  }

  /** Deletes the flows matching a condition on the row tables' own columns from both; returns how many. */
  private async deleteFlows(where: string, value: number): Promise<number> {
    let deleted = 0;
    for (const { name } of FLOW_ROW_TABLES) {
      const reader = await this.runReader(`DELETE FROM ${name} WHERE ${where}`, [{ kind: 'time', value }]);
      deleted += Number(reader.getRows()[0]?.[0] ?? 0);
    }
    return deleted;
  }

  async run(query: CompiledQuery): Promise<ResultRow[]> {
    const reader = await this.runReader(query.sql, query.params);
    return decodeColumns(this.dialect, query.outputs, reader.columnNames(), reader.getColumns(), reader.currentRowCount);
  }

  async execute(sql: string, params: readonly BoundParam[] = []): Promise<Record<string, unknown>[]> {
    const reader = await this.runReader(sql, params);
    return reader.getRowObjects();
  }

  private async runReader(sql: string, params: readonly BoundParam[]) {
    try {
      return await this.conn.runAndReadAll(
        sql,
        params.map((p) => (p.kind === 'u128' || p.kind === 'ip' || p.kind === 'u64' || p.kind === 'i64' || p.kind === 'time' ? BigInt(p.value) : p.value)),
        params.map((p) => PARAM_TYPES[p.kind]),
      );
    } catch (err) {
      throw new VantageError('STORE_QUERY', `DuckDB query failed: ${(err as Error).message}`);
    }
  }

  async stats(): Promise<StoreStats> {
    const [row] = await this.execute('SELECT COUNT(*) AS n, MIN("start") AS first, MAX("start") AS last FROM flows');
    let bytesOnDisk: number | undefined;
    if (this.config.path !== ':memory:') {
      await this.conn.run('CHECKPOINT');
      bytesOnDisk = statSync(this.config.path).size;
    }
    return {
      flows: Number(row!.n),
      bytesOnDisk,
      firstFlow: row!.first === null ? undefined : Number(row!.first),
      lastFlow: row!.last === null ? undefined : Number(row!.last),
    };
  }

  async deleteFlowsSince(startMs: number): Promise<void> {
    await this.deleteFlows('"start" >= $1', startMs);
  }

  async close(): Promise<void> {
    if (!this.connection) return;
    // Closing checkpoints what the write-ahead log holds, synchronously (60-75 ms of the event
    // loop after 5M collector flows): checkpointing first, on DuckDB's thread, halves that.
    await this.connection.run('CHECKPOINT').catch(() => undefined);
    for (const lane of this.idleLanes.splice(0)) lane.conn.closeSync();
    this.connection.closeSync();
    this.instance?.closeSync();
    this.connection = undefined;
    this.instance = undefined;
  }
}
