// SQL pieces every detector writes the same way on both backends: the time window, addresses
// selected and read back through the Dialect, and the evidence sample taken with the very
// query the finding tells the analyst to run.

import { formatIp, toV6Space, type Ip } from '../core/ip.js';
import { runQuery } from '../query/run-query.js';
import { clickHouseIpText } from '../store/side-table-rows.js';
import type { Dialect, ParamSink, Store } from '../store/store.js';
import type { DetectionContext } from './detector.js';
import { isoTime, type FindingEvidence } from './finding.js';

/** TCP flag bits as stored in `tcp_flags`. */
export const TCP = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32 } as const;

/**
 * A flow's sampling rate, 1 where none is known: what one stored flow (or packet) stands for.
 * COALESCE first: GREATEST on a ClickHouse server before 24.12 is NULL when an argument is;
 * DuckDB's (and ClickHouse's since) skips it.
 */
export function samplingRate(d: Dialect): string {
  return `GREATEST(COALESCE(${d.quote('sampling')}, 1), 1)`;
}

/** Condition: the flow starts inside the window. */
export function windowWhere(d: Dialect, params: ParamSink, from: number, to: number): string {
  const q = d.quote;
  return `${q('start')} >= ${params.bind('time', from)} AND ${q('start')} < ${params.bind('time', to)}`;
}

/** `col4 AS alias0, col6 AS alias1` (DuckDB) or `col AS alias0` (ClickHouse): an address selected. */
export function selectIp(d: Dialect, column: string, alias: string): string {
  return d
    .ipColumns(column)
    .map((c, i) => `${c} AS ${alias}${i}`)
    .join(', ');
}

/** The aliases `selectIp` produced, for GROUP BY and outer selects. */
function ipAliases(d: Dialect, alias: string): string[] {
  return d.ipColumns('x').map((_, i) => `${alias}${i}`);
}

/** Reads an address selected with `selectIp` from a result row. */
export function readIp(d: Dialect, row: Record<string, unknown>, alias: string): Ip | null {
  return d.decodeIp(ipAliases(d, alias).map((a) => row[a]));
}

/** Reads an address as text ('' when absent). */
export function readIpText(d: Dialect, row: Record<string, unknown>, alias: string): string {
  const ip = readIp(d, row, alias);
  return ip === null ? '' : formatIp(ip);
}

/** A numeric column of a result row (engines return bigint or string for 64-bit values). */
export function num(row: Record<string, unknown>, key: string): number {
  const v = row[key];
  return v === null || v === undefined ? 0 : Number(v);
}

/** The evidence of a finding: counts, the reproducing query, and its first flows from the store. */
export async function evidence(
  context: DetectionContext,
  query: string,
  window: { from: number; to: number },
  counts: Record<string, number>,
  details?: Record<string, unknown>,
): Promise<FindingEvidence> {
  const budget = context.sampleBudget;
  const sampled = context.sampleSize > 0 && (budget === undefined || budget.left > 0);
  if (sampled && budget) budget.left--;
  const sample =
    sampled
      ? (await runQuery(context.store, `${query} | sort start | limit ${context.sampleSize}`, { from: window.from, to: window.to })).rows.map((r) => ({
          ...r,
          start: typeof r.start === 'number' ? isoTime(r.start) : r.start,
          end: typeof r.end === 'number' ? isoTime(r.end) : r.end,
        }))
      : [];
  return { counts, query, from: isoTime(window.from), to: isoTime(window.to), sample: jsonSafe(sample), ...(details ? { details } : {}) };
}

/** Bigints (v6 addresses are formatted already) become numbers so findings serialise as JSON. */
function jsonSafe(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}

/** The window an evidence query should cover: the finding's time span, within the run's window. */
export function findingWindow(context: DetectionContext, firstMs: number, lastMs: number): { from: number; to: number } {
  return { from: Math.max(context.from, Math.floor(firstMs)), to: Math.min(context.to, Math.floor(lastMs) + 1) };
}

/**
 * One SQL expression per address, comparable across families: ClickHouse's IPv6 column as is;
 * on DuckDB the v4 column mapped into ::ffff:0:0/96, else the v6 column. Joins and groupings
 * on addresses use it; `readKey` turns it back into an address.
 */
export function ipKey(d: Dialect, column: string): string {
  return d.ipKeyOf(d.ipColumns(column));
}

/** A bound parameter holding an address the way `ipKey` computes it, for comparisons and IN lists. */
export function bindKey(d: Dialect, params: ParamSink, ip: Ip): string {
  if (d.name === 'clickhouse') return params.bind('ip', ip);
  return params.bind('u128', toV6Space(ip));
}


/**
 * An address as `ipKey` computes it, as text for rows bound as JSON: ClickHouse's IPv6 text,
 * DuckDB's 128-bit key in decimal (cast back with CAST(... AS UHUGEINT)).
 */
export function ipKeyText(d: Dialect, ip: Ip): string {
  return d.name === 'clickhouse' ? clickHouseIpText(ip) : toV6Space(ip).toString();
}

/** The address an `ipKey` expression returned, as text ('' when absent). */
export function readKey(d: Dialect, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (d.name === 'clickhouse') {
    const ip = d.decodeIp([value]);
    return ip === null ? '' : formatIp(ip);
  }
  const n = BigInt(value as bigint | string);
  if (n >> 32n === 0xffffn) return formatIp(Number(n & 0xffffffffn));
  return formatIp(n);
}
