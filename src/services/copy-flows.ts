// Copies flows from one store to another window by window (DuckDB -> ClickHouse is how an install
// grows up). Resumable: a rerun drops the target's last, possibly partial, window and goes on.

import { FLOW_COLUMNS, type FlowRecord } from '../core/columns.js';
import { parseIp } from '../core/ip.js';
import { compileQuery } from '../query/compile/compile.js';
import { parseQuery } from '../query/language/parser.js';
import type { ResultRow, Store } from '../store/store.js';

/** Progress after each copied window. */
export interface CopyProgress {
  readonly windowStart: number;
  readonly copied: number;
  readonly total: number;
}

/** Options for `copyFlows`. */
export interface CopyOptions {
  /** Width of one copy window in ms: a whole number of hours (default one). */
  readonly windowMs?: number;
  readonly onProgress?: (progress: CopyProgress) => void;
}

/** Turns a result row of the flow listing back into a record. */
export function rowToFlow(row: ResultRow): FlowRecord {
  const record: Record<string, unknown> = {};
  for (const column of FLOW_COLUMNS) {
    const value = row[column.name];
    if (value === null || value === undefined) continue;
    switch (column.kind) {
      case 'time':
        record[column.name] = Date.parse(value as string);
        break;
      case 'ip':
        record[column.name] = parseIp(value as string);
        break;
      case 'tags':
        if ((value as string[]).length > 0) record[column.name] = value;
        break;
      default:
        record[column.name] = typeof value === 'bigint' ? Number(value) : value;
    }
  }
  return record as unknown as FlowRecord;
}

/**
 * Copies every flow of `source` into `target`, oldest window first. When `target` already holds
 * flows (an interrupted copy), its last window is deleted and copied again, so each flow ends up
 * there exactly once. Returns the number of flows copied in this run.
 */
export async function copyFlows(source: Store, target: Store, options: CopyOptions = {}): Promise<number> {
  const windowMs = options.windowMs ?? 3_600_000;
  const sourceStats = await source.stats();
  if (sourceStats.flows === 0 || sourceStats.firstFlow === undefined || sourceStats.lastFlow === undefined) return 0;
  let from = Math.floor(sourceStats.firstFlow / windowMs) * windowMs;
  const targetStats = await target.stats();
  let copied = 0;
  if (targetStats.flows > 0 && targetStats.lastFlow !== undefined && targetStats.lastFlow >= from) {
    from = Math.floor(targetStats.lastFlow / windowMs) * windowMs;
    await target.deleteFlowsSince(from);
  }
  const listing = parseQuery('any');
  for (; from <= sourceStats.lastFlow; from += windowMs) {
    const rows = await source.run(compileQuery(listing, source.dialect, { from, to: from + windowMs }));
    if (rows.length > 0) await target.appendFlows(rows.map(rowToFlow));
    copied += rows.length;
    options.onProgress?.({ windowStart: from, copied, total: sourceStats.flows });
  }
  return copied;
}
