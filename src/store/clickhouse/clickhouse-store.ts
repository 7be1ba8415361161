// The ClickHouse flow store, over HTTP to a server or cluster (clickhouse://) or embedded through
// chdb (chdb:PATH), both through the official @clickhouse/client.

import { closeSync, existsSync, openSync, rmSync, writevSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { FLOW_COLUMNS, type FlowRecord } from '../../core/columns.js';
import { VantageError } from '../../core/errors.js';
import type { BoundParam, CompiledQuery, ResultRow, Store, StoreStats } from '../store.js';
import { decodeColumns } from '../decode-rows.js';
import { formatIpv4, formatIpv6 } from '../../core/ip.js';
import { clickHouseDialect, clickHouseQueryParams } from './clickhouse-dialect.js';
import { clickHouseMigrations, ROLLUP_COARSENED, ROLLUP_DIMENSIONS, ROLLUPS, rollupBackfills, rollupViewUpdates } from './clickhouse-schema.js';
import { NativeBlockEncoder } from './clickhouse-native-block.js';

/** Where the ClickHouse store lives. */
export type ClickHouseTarget =
  | { readonly kind: 'http'; readonly url: string; readonly username?: string; readonly password?: string }
  | { readonly kind: 'chdb'; readonly path: string };

/** Options for the ClickHouse store. */
export interface ClickHouseStoreConfig {
  readonly target: ClickHouseTarget;
  readonly database: string;
  readonly retentionDays?: number;
  readonly cluster?: string;
  /** Let the server buffer small inserts (async_insert); for many small collectors. */
  readonly asyncInsert?: boolean;
}

// The chdb package is installed on demand (see README): its lockfile entries break `npm ci`.
const CHDB_MODULE = 'chdb/connection';

/**
 * AS 4294967295, reserved (RFC 7300), is stored as no AS, as DuckDB's packed AS column (AS + 1
 * in 32 bits) has to: an exporter sending it gets the same answers from both backends.
 */
const RESERVED_LAST_AS = 4294967295;
const AS_COLUMNS: ReadonlySet<string> = new Set(['src_as', 'dst_as']);

// Where embedded inserts stage their Native block: memory-backed when the system has it.
const STAGING_DIR = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
let stagingSequence = 0;

function tsvText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
}

function tsvField(kind: string, value: unknown): string {
  if (value === null || value === undefined) return kind === 'tags' ? '[]' : '\\N';
  switch (kind) {
    case 'time': {
      const ms = value as number;
      // Epoch seconds.millis parse about 2.5x faster than date text, but ClickHouse reads short
      // numbers as dates: before September 2001 (fewer than 10 digits of seconds) use the text.
      if (ms >= 1e12) return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
      return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
    }
    case 'ip':
      // An IPv6 column reads dotted IPv4 as its mapped form; the short text is cheaper to parse.
      return typeof value === 'number' ? formatIpv4(value) : formatIpv6(value as bigint);
    case 'string':
    case 'country':
      return tsvText(value as string);
    case 'tags':
      return `[${(value as string[]).map((t) => `'${tsvText(t).replace(/'/g, "\\'")}'`).join(',')}]`;
    default:
      return String(value);
  }
}

/** A result in JSONColumnsWithMetadata: values column by column. */
interface ColumnsResult {
  readonly meta: readonly { readonly name: string }[];
  readonly data: Record<string, unknown[]>;
  readonly rows: number;
}

/**
 * Why a ping failed, in words: an aggregate connect error (several addresses tried) keeps its
 * causes in `errors`, and a server that answers HTTP with an error and no text (something
 * other than ClickHouse on that port) leaves the message empty.
 */
function pingFailure(error: Error | undefined): string {
  if (error === undefined) return 'no answer';
  if (error.message) return error.message;
  const inner = error instanceof AggregateError ? error.errors.map((e: Error) => e.message).filter(Boolean) : [];
  if (inner.length > 0) return [...new Set(inner)].join('; ');
  const code = (error as { code?: string }).code;
  return code ?? 'an HTTP error with no text came back: is this ClickHouse\'s HTTP port?';
}

/** The ClickHouse implementation of `Store`. */
export class ClickHouseStore implements Store {
  readonly dialect = clickHouseDialect;
  readonly location: string;
  readonly rollups = ROLLUPS.map((r) => ({ table: r.table, bucketMs: r.bucketMs, dimensions: ROLLUP_DIMENSIONS, coarsened: ROLLUP_COARSENED }));
  private client?: ClickHouseClient;
  private readonly native = new NativeBlockEncoder();

  constructor(private readonly config: ClickHouseStoreConfig) {
    this.location = config.target.kind === 'chdb' ? `chdb:${config.target.path}` : `${config.target.url.replace(/\/\/[^@/]*@/, '//')}/${config.database}`;
  }

  async open(): Promise<void> {
    const { target } = this.config;
    const settings: ClickHouseSettings = { output_format_json_quote_64bit_integers: 1, ...(this.config.asyncInsert ? { async_insert: 1, wait_for_async_insert: 1 } : {}) };
    if (target.kind === 'chdb') {
      let mod: { createChdbConnection(o: { path: string }): unknown };
      try {
        mod = (await import(CHDB_MODULE)) as typeof mod;
      } catch {
        throw new VantageError('STORE_OPEN', `embedded ClickHouse (chdb) is not installed: run 'npm run setup:chdb'`);
      }
      let connection: unknown;
      try {
        connection = mod.createChdbConnection({ path: target.path });
      } catch (err) {
        throw new VantageError('STORE_OPEN', `cannot open embedded ClickHouse at ${target.path}: ${(err as Error).message}`);
      }
      this.client = createClient({ connection: connection as never, clickhouse_settings: settings, log: { level: ClickHouseLogLevel.OFF } });
    } else {
      // The client's own log lines would repeat, less clearly, the one-line error we report.
      this.client = createClient({
        url: target.url,
        username: target.username,
        password: target.password,
        clickhouse_settings: { ...settings, send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' },
        request_timeout: 300_000,
        log: { level: ClickHouseLogLevel.OFF },
      });
      const ping = await this.client.ping();
      if (!ping.success) {
        const cause = pingFailure((ping as { error?: Error }).error);
        // A caller may retry open(): leave no client behind.
        await this.client.close();
        this.client = undefined;
        throw new VantageError('STORE_OPEN', `cannot reach ClickHouse at ${this.location}: ${cause}`);
      }
    }
    for (const statement of clickHouseMigrations(this.config)) await this.command(statement);
    await this.updateRollupViews();
    if (!this.config.cluster) await this.backfillRollups();
  }

  /** Views an older version made get the current query (see `rollupViewUpdates`); current ones are left alone. */
  private async updateRollupViews(): Promise<void> {
    for (const { database, view, markers, statement } of rollupViewUpdates(this.config)) {
      const [row] = await this.execute('SELECT as_select FROM system.tables WHERE database = {p1:String} AND name = {p2:String}', [
        { kind: 'string', value: database },
        { kind: 'string', value: view },
      ]);
      if (!row || markers.every((m) => String(row.as_select).includes(m))) continue;
      try {
        await this.command(statement);
      } catch (err) {
        // Answers stay right with the old view (its exact ports answer every query the planner
        // sends to a rollup); only its cheaper inserts are missed. So say so, and open anyway.
        process.stderr.write(`vantage: the rollup view ${database}.${view} keeps its older query (every destination port): ${(err as Error).message.split('\n')[0]}\n`);
      }
    }
  }

  /** Rollups only see inserts made after they exist: fill new ones from the flows already stored. */
  private async backfillRollups(): Promise<void> {
    const [flows] = await this.execute('SELECT count() AS n FROM flows');
    if (Number(flows!.n) === 0) return;
    for (const { table, sql } of rollupBackfills(this.config.database)) {
      const [rolled] = await this.execute(`SELECT count() AS n FROM ${table}`);
      if (Number(rolled!.n) === 0) await this.command(sql);
    }
  }

  private get ch(): ClickHouseClient {
    if (!this.client) throw new VantageError('STORE_OPEN', 'store is not open');
    return this.client;
  }

  private table(): string {
    return `${this.config.database}.flows`;
  }

  private async command(query: string): Promise<void> {
    try {
      await this.ch.command({ query });
    } catch (err) {
      throw this.explain(err);
    }
  }

  /** Turns client errors into one clear line: unreachable, credentials, missing database. */
  private explain(err: unknown): VantageError {
    const message = (err as Error).message ?? String(err);
    const code = (err as { code?: string }).code;
    if (code === '516' || /Authentication failed|password is incorrect/i.test(message)) {
      return new VantageError('STORE_OPEN', `ClickHouse at ${this.location} refused the credentials: ${message.split('\n')[0]}`);
    }
    if (code === '81' || /Database .* does not exist/i.test(message)) {
      return new VantageError('STORE_OPEN', `ClickHouse database '${this.config.database}' does not exist at ${this.location}`);
    }
    if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|socket hang up/i.test(message)) {
      return new VantageError('STORE_OPEN', `cannot reach ClickHouse at ${this.location}: ${message.split('\n')[0]}`);
    }
    return new VantageError('STORE_QUERY', `ClickHouse query failed: ${message.split('\n')[0]}`);
  }

  async appendFlows(records: readonly FlowRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.config.target.kind === 'chdb') await this.appendNative(records);
    else await this.appendText(records);
  }

  /**
   * Embedded ClickHouse: the batch as one binary Native block in a staging file, read with
   * file(). chdb's insert entry points take text only, and parsing TabSeparated text was most of
   * the insert time; Native columns are copied, not parsed.
   */
  private async appendNative(records: readonly FlowRecord[]): Promise<void> {
    const block = this.native.encode(records as unknown as readonly Record<string, unknown>[]);
    const path = join(STAGING_DIR, `vantage-flows-${process.pid}-${++stagingSequence}.native`);
    try {
      const fd = openSync(path, 'w', 0o600);
      try {
        const size = block.pieces.reduce((n, p) => n + p.byteLength, 0);
        const written = writevSync(fd, block.pieces);
        if (written !== size) throw new VantageError('STORE_QUERY', `short write of the staged insert ${path}: ${written} of ${size} bytes`);
      } finally {
        closeSync(fd);
      }
      const columns = block.columns.map((c) => `\`${c}\``).join(', ');
      const values = block.columns.map((c) => (AS_COLUMNS.has(c) ? `nullIf(\`${c}\`, ${RESERVED_LAST_AS}) AS \`${c}\`` : `\`${c}\``)).join(', ');
      await this.ch.command({
        // Every staged file is new: caching its schema would only fill the cache.
        query: `INSERT INTO ${this.table()} (${columns}) SELECT ${values} FROM file({path:String}, 'Native') SETTINGS schema_inference_use_cache_for_file = 0`,
        query_params: { path },
      });
    } catch (err) {
      throw err instanceof VantageError ? err : this.explain(err);
    } finally {
      rmSync(path, { force: true });
    }
  }

  /** A ClickHouse server: the batch as TabSeparated text in the request body. */
  private async appendText(records: readonly FlowRecord[]): Promise<void> {
    const kinds = FLOW_COLUMNS.map((c) => [c.name, c.kind] as const);
    const lines: string[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as unknown as Record<string, unknown>;
      lines[i] = kinds.map(([name, kind]) => tsvField(kind, AS_COLUMNS.has(name) && r[name] === RESERVED_LAST_AS ? null : r[name])).join('\t');
    }
    const body = Buffer.from(`${lines.join('\n')}\n`);
    try {
      await this.ch.insert({
        table: this.table(),
        columns: FLOW_COLUMNS.map((c) => c.name) as [string, ...string[]],
        values: Readable.from([body], { objectMode: false }),
        format: 'TabSeparated',
      });
    } catch (err) {
      throw this.explain(err);
    }
  }

  async run(query: CompiledQuery): Promise<ResultRow[]> {
    const result = await this.select<ColumnsResult>(query.sql, query.params, 'JSONColumnsWithMetadata');
    const names = result.meta.map((m) => m.name);
    return decodeColumns(this.dialect, query.outputs, names, names.map((name) => result.data[name] ?? []), result.rows);
  }

  async execute(sql: string, params: readonly BoundParam[] = []): Promise<Record<string, unknown>[]> {
    if (!/^\s*(SELECT|WITH|SHOW|DESCRIBE|EXPLAIN)\b/i.test(sql)) {
      try {
        await this.ch.command({ query: this.qualify(sql), query_params: clickHouseQueryParams(params) });
      } catch (err) {
        throw this.explain(err);
      }
      return [];
    }
    return this.select<Record<string, unknown>[]>(sql, params, 'JSONEachRow');
  }

  /** Unqualified `flows` in compiled SQL refers to this store's database. */
  private qualify(sql: string): string {
    return sql.replace(/(FROM|INTO|TABLE|UPDATE)\s+`?(flows(?:_1m|_1h)?)`?(?=[\s;]|$)/gi, `$1 ${this.config.database}.$2`);
  }

  private async select<T>(sql: string, params: readonly BoundParam[], format: 'JSONEachRow' | 'JSONColumnsWithMetadata'): Promise<T> {
    try {
      const result = await this.ch.query({ query: this.qualify(sql), query_params: clickHouseQueryParams(params), format });
      return (await result.json()) as T;
    } catch (err) {
      throw this.explain(err);
    }
  }

  async stats(): Promise<StoreStats> {
    const [row] = await this.execute(
      `SELECT count() AS n, toUnixTimestamp64Milli(min(\`start\`)) AS first, toUnixTimestamp64Milli(max(\`start\`)) AS last FROM flows`,
    );
    const [disk] = await this.execute(
      `SELECT sum(bytes_on_disk) AS b FROM system.parts WHERE active AND database = {p1:String} AND table IN ('flows', 'flows_local')`,
      [{ kind: 'string', value: this.config.database }],
    );
    const n = Number(row!.n);
    return {
      flows: n,
      bytesOnDisk: Number(disk?.b ?? 0),
      firstFlow: n === 0 ? undefined : Number(row!.first),
      lastFlow: n === 0 ? undefined : Number(row!.last),
    };
  }

  async enforceRetention(): Promise<number | undefined> {
    // The TTL drops old parts during merges; this applies it now rather than at the next merge,
    // to the rollups too, which share it.
    if (!this.config.retentionDays) return undefined;
    for (const table of ['flows', ...ROLLUPS.map((r) => r.table)]) {
      await this.command(`ALTER TABLE ${this.config.database}.${table} MATERIALIZE TTL SETTINGS mutations_sync = 2`);
    }
    return undefined;
  }

  async deleteFlowsSince(startMs: number): Promise<void> {
    const since = "`start` >= fromUnixTimestamp64Milli({p1:Int64}, 'UTC')";
    await this.execute(`DELETE FROM flows WHERE ${since}`, [{ kind: 'i64', value: startMs }]);
    // Rollups are filled on insert only: every bucket from the one holding startMs goes, and
    // that bucket is refilled from the flows kept before startMs. Finest first: the refill of a
    // rollup feeds the coarser one's view, whose rows are deleted and refilled next.
    const refills = rollupBackfills(this.config.database, since);
    for (const [k, { table, bucketMs }] of ROLLUPS.entries()) {
      const bucketStart = Math.floor(startMs / bucketMs) * bucketMs;
      const at: BoundParam[] = [{ kind: 'i64', value: bucketStart }];
      await this.execute(`DELETE FROM ${table} WHERE ${since}`, at);
      if (bucketStart < startMs) await this.execute(refills[k]!.sql, at);
    }
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = undefined;
  }
}
