// ClickHouse DDL generated from the column table: the flow table (MergeTree partitioned by day,
// or ReplicatedMergeTree + Distributed on a cluster) and idempotent migrations.

import { FLOW_COLUMNS, type ColumnDef } from '../../core/columns.js';

/** Schema options: retention and, for a cluster, its name and the replication path. */
export interface ClickHouseSchemaOptions {
  /** Database holding the tables. */
  readonly database: string;
  /** Drop flows older than this many days (TTL); undefined keeps everything. */
  readonly retentionDays?: number;
  /** Cluster name from remote_servers: creates ReplicatedMergeTree local tables and a Distributed table. */
  readonly cluster?: string;
}

/** The ClickHouse type of a column. */
export function clickHouseType(column: ColumnDef): string {
  const base = ((): string => {
    switch (column.kind) {
      case 'time':
        return "DateTime64(3, 'UTC')";
      case 'ip':
        return 'IPv6';
      case 'u8':
        return 'UInt8';
      case 'u16':
        return 'UInt16';
      case 'u32':
        return 'UInt32';
      case 'u64':
        return 'UInt64';
      case 'string':
      case 'country':
        return 'String';
      case 'tags':
        return 'Array(LowCardinality(String))';
    }
  })();
  if (column.kind === 'tags') return base;
  const nullable = column.required ? base : `Nullable(${base})`;
  return column.lowCardinality && (column.kind === 'string' || column.kind === 'country') ? `LowCardinality(${nullable})` : nullable;
}

// ZSTD(1) stores flows in ~40% less space than the default LZ4 for little insert CPU; times
// are delta-coded first since flows arrive nearly in order. The packet and byte counters, which
// every total reads, are T64 (bit-transposed, unused high bits dropped) then LZ4: decompressing
// them was most of a filtered count's time; on 2M bench flows a filtered sum took 30 ms
// instead of 43 ms, for 0.4 bytes/flow more. (New tables; existing ones keep their codecs.)
function codec(column: ColumnDef): string {
  if (column.kind === 'time') return 'CODEC(Delta, ZSTD(1))';
  if (column.kind === 'u64') return 'CODEC(T64, LZ4)';
  return 'CODEC(ZSTD(1))';
}

const COLUMN_LIST = FLOW_COLUMNS.map((c) => `\`${c.name}\` ${clickHouseType(c)} ${codec(c)}`);

/**
 * An IPv4 copy of the flows table's source address: `src4` holds it as a UInt32 when it is IPv4
 * (::ffff:0:0/96), else 0, computed by ClickHouse on insert. Filters on IPv4 addresses and
 * networks read it, 4 bytes a row instead of the 16 of the IPv6 column (decompressing that was
 * most of such a filter's time). On 20M bench flows: `dst port 443 and src net 10.0.0.0/8` 111 ->
 * 79 ms, a /16 126 -> 48 ms, one address 19 -> 9 ms, for 1.95 bytes a flow (LZ4: ZSTD saves
 * 0.1). `src` is in the sort key, so its copy compresses well. A `dst4` would cost 3.5 bytes a
 * flow (random addresses, any codec) for 25% on destination filters, so there is none.
 */
export const FLOW_V4_COPIES: Readonly<Record<string, string>> = { src: 'src4' };

const V4_COPY_LIST = Object.entries(FLOW_V4_COPIES).map(([column, copy]) => {
  const value = `toUInt128(\`${column}\`)`;
  return `\`${copy}\` UInt32 MATERIALIZED if(bitShiftRight(${value}, 32) = 65535, toUInt32(bitAnd(${value}, 4294967295)), 0) CODEC(LZ4)`;
});

/** Adds the columns a flows table made by an older version lacks (the IPv4 copy of old parts is computed when read, until merged). */
function addMissingColumns(table: string, on?: string): string[] {
  const alter = `ALTER TABLE ${table} ${on ? `${on} ` : ''}ADD COLUMN IF NOT EXISTS`;
  return [...FLOW_COLUMNS.map((c) => `${alter} \`${c.name}\` ${clickHouseType(c)}`), ...V4_COPY_LIST.map((definition) => `${alter} ${definition}`)];
}

/**
 * The retention TTL, the same on the flows and on both rollups: whole hours go, those that ended
 * `days` ago, so that a rollup bucket leaves with exactly its flows (a TTL on the flow's own time
 * would leave rollup rows counting flows already deleted). DuckDB's retention cuts at the same hour.
 */
export function retentionTtl(days: number): string {
  return `TTL toStartOfHour(\`start\`) + INTERVAL 1 HOUR + INTERVAL ${Math.floor(days)} DAY DELETE`;
}

function tableSettings(options: ClickHouseSchemaOptions, engine: string): string {
  const ttl = options.retentionDays ? `\n${retentionTtl(options.retentionDays)}` : '';
  return (
    `ENGINE = ${engine}\nPARTITION BY toDate(\`start\`)\n` +
    // Time first so ranges prune parts; then the fields most hunts filter on.
    `ORDER BY (toStartOfHour(\`start\`), \`dport\`, \`src\`, \`dst\`)${ttl}\nSETTINGS index_granularity = 8192`
  );
}

function ident(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid ClickHouse identifier '${name}'`);
  return name;
}

/** Dimensions kept by the rollups: what dashboards and long-range hunts group and filter on. */
export const ROLLUP_DIMENSIONS = ['proto', 'dport', 'exporter', 'in_if', 'out_if', 'src_as', 'dst_as', 'src_country', 'dst_country'] as const;

/**
 * Dimensions the rollups keep exactly only below a value: from it up, every value is stored as
 * it. Destination ports from 32768 (the ephemeral range where Linux starts; Windows' starts at
 * 49152) are the reply side of connections, a different one each: kept exactly, they made the
 * per-minute rollup hold half as many rows as the flows (2M bench flows: 1,016,511 rows, 406,659
 * with this; per hour 756,974 and 118,377), so it cost as much to insert as the flows and saved
 * little reading. The planner answers from a rollup only when the query cannot tell those values
 * apart (`chooseRollup`); akvorado's rollups leave the ports out altogether.
 */
export const ROLLUP_COARSENED: Readonly<Record<string, { readonly from: number; readonly max: number }>> = { dport: { from: 32768, max: 65535 } };

/** A rollup dimension as the views select it from the flows. */
function rolledUp(dimension: string): string {
  const coarse = ROLLUP_COARSENED[dimension];
  return coarse ? `if(\`${dimension}\` < ${coarse.from}, \`${dimension}\`, ${coarse.from}) AS \`${dimension}\`` : `\`${dimension}\``;
}

/** The rollup tables: per minute and per hour. */
export const ROLLUPS = [
  { table: 'flows_1m', bucketMs: 60_000, bucket: 'toStartOfMinute' },
  { table: 'flows_1h', bucketMs: 3_600_000, bucket: 'toStartOfHour' },
] as const;

/** The query of rollup `index`'s view: the finest reads the flows (`source`), each other the finer rollup. */
function rollupViewQuery(db: string, index: number, source: string, replicated: boolean): string {
  const dimList = ROLLUP_DIMENSIONS.map((d) => `\`${d}\``).join(', ');
  const finer = index === 0 ? undefined : replicated ? `${ROLLUPS[index - 1]!.table}_local` : ROLLUPS[index - 1]!.table;
  const counts = finer ? 'sum(`flows`)' : 'count()';
  // Only the finest coarsens: the others read values already coarsened.
  const selected = finer ? dimList : ROLLUP_DIMENSIONS.map(rolledUp).join(', ');
  return (
    `SELECT ${ROLLUPS[index]!.bucket}(\`start\`) AS \`start\`, ${selected}, ${counts} AS \`flows\`, sum(\`packets\`) AS \`packets\`, sum(\`bytes\`) AS \`bytes\`\n` +
    `FROM ${db}.${finer ?? source} GROUP BY \`start\`, ${dimList}`
  );
}

function rollupStatements(db: string, source: string, on: string, replicated: boolean, cluster?: string, retentionDays?: number): string[] {
  const byName = new Map(FLOW_COLUMNS.map((c) => [c.name as string, c]));
  const dims = ROLLUP_DIMENSIONS.map((d) => `\`${d}\` ${clickHouseType(byName.get(d)!)}`);
  const dimList = ROLLUP_DIMENSIONS.map((d) => `\`${d}\``).join(', ');
  return ROLLUPS.flatMap(({ table }, index) => {
    const local = replicated ? `${table}_local` : table;
    const engine = replicated ? `ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/${db}/${local}', '{replica}')` : 'SummingMergeTree';
    const statements = [
      `CREATE TABLE IF NOT EXISTS ${db}.${local} ${on} (\`start\` DateTime64(3, 'UTC'), ${dims.join(', ')}, \`flows\` UInt64, \`packets\` UInt64, \`bytes\` UInt64)\n` +
        `ENGINE = ${engine}((\`flows\`, \`packets\`, \`bytes\`))\nPARTITION BY toDate(\`start\`)\nORDER BY (\`start\`, ${dimList})\n` +
        `${retentionDays ? `${retentionTtl(retentionDays)}\n` : ''}SETTINGS allow_nullable_key = 1`,
      // Each coarser rollup is fed from the finer one: it reads far fewer rows than the flows.
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${local}_mv ${on} TO ${db}.${local} AS\n${rollupViewQuery(db, index, source, replicated)}`,
    ];
    if (replicated) statements.push(`CREATE TABLE IF NOT EXISTS ${db}.${table} ${on} AS ${db}.${local}\nENGINE = Distributed(${cluster}, ${db}, ${local}, rand())`);
    return statements;
  });
}

/** A rollup view to bring up to date when its stored query lacks one of `markers` (as ClickHouse prints them). */
export interface RollupViewUpdate {
  readonly database: string;
  readonly view: string;
  readonly markers: readonly string[];
  readonly statement: string;
}

/**
 * The per-minute view as older versions made it kept every destination port: it takes the
 * current query in one atomic step (`MODIFY QUERY`, for views with a TO table; servers before
 * 24.1 need `allow_experimental_alter_materialized_view_structure`). Its rows stay valid, since
 * the planner only asks what coarsened rows also answer. Run only where a marker is missing.
 */
export function rollupViewUpdates(options: ClickHouseSchemaOptions): RollupViewUpdate[] {
  const db = ident(options.database);
  const replicated = options.cluster !== undefined;
  const view = `${ROLLUPS[0]!.table}${replicated ? '_local' : ''}_mv`;
  const on = replicated ? `ON CLUSTER ${ident(options.cluster!)} ` : '';
  const markers = Object.entries(ROLLUP_COARSENED).map(([d, c]) => `if(${d} < ${c.from}, ${d}, ${c.from})`);
  const query = rollupViewQuery(db, 0, replicated ? 'flows_local' : 'flows', replicated);
  return [{ database: db, view, markers, statement: `ALTER TABLE ${db}.${view} ${on}MODIFY QUERY\n${query}` }];
}

/**
 * Fills the rollups from the flows, finest first: when they are empty while flows are not
 * (rollups added to an existing store), or for the rows `where` picks (a SQL condition on the flows).
 */
export function rollupBackfills(database: string, where = ''): { table: string; sql: string }[] {
  const db = ident(database);
  const dimList = ROLLUP_DIMENSIONS.map((d) => `\`${d}\``).join(', ');
  return ROLLUPS.map(({ table, bucket }) => ({
    table,
    sql:
      `INSERT INTO ${db}.${table} SELECT ${bucket}(\`start\`) AS \`start\`, ${ROLLUP_DIMENSIONS.map(rolledUp).join(', ')}, count(), sum(\`packets\`), sum(\`bytes\`) ` +
      `FROM ${db}.flows ${where ? `WHERE ${where} ` : ''}GROUP BY \`start\`, ${dimList}`,
  }));
}

/** The statements that create or migrate the schema; each is safe to run again. */
export function clickHouseMigrations(options: ClickHouseSchemaOptions): string[] {
  const db = ident(options.database);
  const indexes = ['INDEX src_bf `src` TYPE bloom_filter(0.01) GRANULARITY 4', 'INDEX dst_bf `dst` TYPE bloom_filter(0.01) GRANULARITY 4'];
  const body = `(\n  ${[...COLUMN_LIST, ...V4_COPY_LIST, ...indexes].join(',\n  ')}\n)`;
  if (!options.cluster) {
    return [
      `CREATE DATABASE IF NOT EXISTS ${db}`,
      `CREATE TABLE IF NOT EXISTS ${db}.flows ${body}\n${tableSettings(options, 'MergeTree')}`,
      ...addMissingColumns(`${db}.flows`),
      ...rollupStatements(db, 'flows', '', false, undefined, options.retentionDays),
      // A retention given later applies to the existing tables too.
      ...(options.retentionDays
        ? ['flows', ...ROLLUPS.map((r) => r.table)].map((table) => `ALTER TABLE ${db}.${table} MODIFY ${retentionTtl(options.retentionDays!)}`)
        : []),
    ];
  }
  const cluster = ident(options.cluster);
  const on = `ON CLUSTER ${cluster}`;
  const engine = `ReplicatedMergeTree('/clickhouse/tables/{shard}/${db}/flows_local', '{replica}')`;
  return [
    `CREATE DATABASE IF NOT EXISTS ${db} ${on}`,
    `CREATE TABLE IF NOT EXISTS ${db}.flows_local ${on} ${body}\n${tableSettings(options, engine)}`,
    ...addMissingColumns(`${db}.flows_local`, on),
    // Queries and inserts go through the Distributed table; rows spread across shards at random
    // so collectors need no knowledge of the topology.
    `CREATE TABLE IF NOT EXISTS ${db}.flows ${on} AS ${db}.flows_local\nENGINE = Distributed(${cluster}, ${db}, flows_local, rand())`,
    ...addMissingColumns(`${db}.flows`, on),
    // Each shard rolls up its own rows; the Distributed rollup tables sum across shards.
    ...rollupStatements(db, 'flows_local', on, true, cluster, options.retentionDays),
  ];
}
