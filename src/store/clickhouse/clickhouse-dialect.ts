// ClickHouse's SQL dialect: native IPv6 addresses (IPv4 as IPv4-mapped), DateTime64(3) times,
// `{name:Type}` query parameters.

import type { ColumnKind } from '../../core/columns.js';
import { formatIpv4, formatIpv6, parseIp, singleRange, toV6Space, type Ip, type IpRange } from '../../core/ip.js';
import type { BoundParam, Dialect, ParamSink } from '../store.js';
import { FLOW_V4_COPIES } from './clickhouse-schema.js';

/** ClickHouse parameter type per bound kind. */
const PARAM_TYPE: Record<BoundParam['kind'], string> = {
  time: 'Int64',
  ip: 'IPv6',
  u8: 'UInt8',
  u16: 'UInt16',
  u32: 'UInt32',
  u64: 'UInt64',
  u128: 'UInt128',
  i64: 'Int64',
  f64: 'Float64',
  string: 'String',
  country: 'String',
  tags: 'String',
};

/** An address as ClickHouse's IPv6 text: IPv4 as ::ffff:a.b.c.d. */
export function clickHouseIpText(ip: Ip): string {
  return typeof ip === 'number' ? `::ffff:${formatIpv4(ip)}` : formatIpv6(ip);
}

function quote(identifier: string): string {
  return `\`${identifier.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/** Collects `{pN:Type}` parameters; times are bound as epoch ms and converted in SQL. */
export class ClickHouseParams implements ParamSink {
  readonly params: BoundParam[] = [];
  bind(kind: BoundParam['kind'], value: BoundParam['value']): string {
    this.params.push({ kind, value });
    const placeholder = `{p${this.params.length}:${PARAM_TYPE[kind]}}`;
    return kind === 'time' ? `fromUnixTimestamp64Milli(${placeholder}, 'UTC')` : placeholder;
  }
}

/** Query parameters as the client sends them: names p1..pN, addresses as IPv6 text. */
export function clickHouseQueryParams(params: readonly BoundParam[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  params.forEach((p, i) => {
    out[`p${i + 1}`] = p.kind === 'ip' ? clickHouseIpText(p.value as Ip) : typeof p.value === 'bigint' ? p.value.toString() : p.value;
  });
  return out;
}

const V4_LOW = "toIPv6('::ffff:0.0.0.0')";
const V4_HIGH = "toIPv6('::ffff:255.255.255.255')";
const MAPPED_FIRST = toV6Space(0);
const MAPPED_LAST = toV6Space(0xffffffff);

/** Condition: the column holds an IPv4 address (stored mapped into ::ffff:0:0/96). */
function inV4(column: string): string {
  return `(${quote(column)} BETWEEN ${V4_LOW} AND ${V4_HIGH})`;
}

/**
 * True when an IPv6 range covers part of ::ffff:0:0/96, where this schema keeps IPv4 addresses.
 * An IPv6 range matches no IPv4 address (as `rangeContains` has it, and as on DuckDB, whose IPv6
 * column holds none), so such a range leaves that block out.
 */
function reachesV4(range: IpRange): boolean {
  return range.family === 6 && (range.first as bigint) <= MAPPED_LAST && (range.last as bigint) >= MAPPED_FIRST;
}

/** The ClickHouse dialect. */
export const clickHouseDialect: Dialect = {
  name: 'clickhouse',
  quote,
  ipColumns: (column) => [quote(column)],
  decodeIp(values) {
    const v = values[0];
    if (v === null || v === undefined) return null;
    return parseIp(String(v)) ?? null;
  },
  ipEquals(column, ip, params) {
    const test = `${quote(column)} = ${params.bind('ip', ip)}`;
    return reachesV4(singleRange(ip)) ? `(${test} AND NOT ${inV4(column)})` : test;
  },
  ipInRange(column, range: IpRange, params) {
    const test = `${quote(column)} BETWEEN ${params.bind('ip', range.first)} AND ${params.bind('ip', range.last)}`;
    return reachesV4(range) ? `(${test} AND NOT ${inV4(column)})` : test;
  },
  flowsIpInRange(column, range: IpRange, params) {
    const copy = FLOW_V4_COPIES[column];
    // 0 in the copy stands for an IPv6 address too: a range from 0.0.0.0 tests the IPv6 column.
    if (copy !== undefined && typeof range.first === 'number' && typeof range.last === 'number' && range.first > 0) {
      if (range.first === range.last) return `${quote(copy)} = ${params.bind('u32', range.first)}`;
      return `${quote(copy)} BETWEEN ${params.bind('u32', range.first)} AND ${params.bind('u32', range.last)}`;
    }
    return range.first === range.last ? clickHouseDialect.ipEquals(column, range.first, params) : clickHouseDialect.ipInRange(column, range, params);
  },
  flowsIpIn(column, ips: readonly Ip[], params) {
    const copy = FLOW_V4_COPIES[column];
    const wide: Ip[] = [];
    const narrow: number[] = [];
    for (const ip of ips) {
      // An IPv6 address inside ::ffff:0:0/96 matches no flow: only IPv4 addresses are kept there.
      if (reachesV4(singleRange(ip))) continue;
      // 0 in the copy stands for an IPv6 address too: 0.0.0.0 tests the IPv6 column.
      if (copy !== undefined && typeof ip === 'number' && ip > 0) narrow.push(ip);
      else wide.push(ip);
    }
    const parts = [
      ...(narrow.length > 0 ? [`${quote(copy!)} IN (${narrow.map((ip) => params.bind('u32', ip)).join(', ')})`] : []),
      ...(wide.length > 0 ? [`${quote(column)} IN (${wide.map((ip) => params.bind('ip', ip)).join(', ')})`] : []),
    ];
    return parts.length === 0 ? '1 = 0' : parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
  },
  ipKeyOf: (exprs) => exprs[0]!,
  ipIsFamily(column, family) {
    return family === 4 ? inV4(column) : `(NOT ${inV4(column)})`;
  },
  timeMs: (column) => `toUnixTimestamp64Milli(${quote(column)})`,
  intDiv: (a, b) => `intDiv(${a}, ${b})`,
  int128: (e) => `toInt128(${e})`,
  bitAnd: (a, b) => `bitAnd(${a}, ${b})`,
  timeBucket(column, intervalMs, params) {
    const p = params.bind('i64', intervalMs);
    return `(intDiv(toUnixTimestamp64Milli(${quote(column)}), ${p}) * ${p})`;
  },
  countDistinct(column, kind: ColumnKind) {
    // A flow without tags holds [] here and NULL on DuckDB, where COUNT(DISTINCT) skips it.
    if (kind === 'tags') return `uniqExactIf(${quote(column)}, notEmpty(${quote(column)}))`;
    return `uniqExact(${quote(column)})`;
  },
  tagsContain(column, value, params) {
    return `has(${quote(column)}, ${params.bind('string', value)})`;
  },
  newParams: () => new ClickHouseParams(),
};
