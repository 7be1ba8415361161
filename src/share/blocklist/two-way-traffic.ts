// Addresses that carry substantial established two-way traffic with our hosts (a CDN many of
// them use, a customer, an update server): one aggregate over the flow store, DuckDB and
// ClickHouse through the Dialect, values bound as parameters.

import type { IpRange } from '../../core/ip.js';
import { ipKey, num, readKey, TCP, windowWhere } from '../../detect/flow-sql.js';
import type { Store } from '../../store/store.js';
import type { SafetyConfig } from './blocklist-criteria.js';

/** What an address exchanged with internal peers, both ways, over the window. */
export interface TwoWayStats {
  /** Distinct internal peers with ACK-carrying TCP bytes in both directions. */
  readonly peers: number;
  /** Flows from the address to those peers. */
  readonly flows: number;
  /** IP bytes from the address to them, and from them to it. */
  readonly bytesOut: number;
  readonly bytesIn: number;
}

/** The window and the internal networks the measure runs over. */
export interface TwoWayOptions {
  readonly from: number;
  readonly to: number;
  /** Internal networks (empty: every peer counts). */
  readonly internal: readonly IpRange[];
}

/**
 * Every address meeting the substantial-traffic thresholds, with its counts. Per (address, peer)
 * pair the TCP flows carrying ACK are summed each way; pairs with bytes both ways are
 * established conversations; per address their peers, flows and bytes are totalled and kept
 * when `minPeers` is reached, or `minFlows` with `minBytes` each way. A flow seen from both
 * ends (a bidirectional export, or a Zeek connection split in two) counts once per direction.
 */
export async function substantialTwoWay(store: Store, safety: SafetyConfig, options: TwoWayOptions): Promise<Map<string, TwoWayStats>> {
  const d = store.dialect;
  const q = d.quote;
  const params = d.newParams();
  const base = `${windowWhere(d, params, options.from, options.to)} AND ${q('proto')} = 6 AND ${d.bitAnd(q('tcp_flags'), String(TCP.ACK))} <> 0 AND ${q('bytes')} > 0`;
  const inside = (column: string) =>
    options.internal.length === 0 ? '' : ` AND (${options.internal.map((r) => d.ipInRange(column, r, params)).join(' OR ')})`;
  // `bytes * 0` keeps one column type on both sides of the UNION (ClickHouse is strict about it).
  const sent = `SELECT ${ipKey(d, 'src')} AS a, ${ipKey(d, 'dst')} AS p, ${q('bytes')} AS o, ${q('bytes')} * 0 AS i, 1 AS n FROM flows WHERE ${base}${inside('dst')}`;
  const received = `SELECT ${ipKey(d, 'dst')} AS a, ${ipKey(d, 'src')} AS p, ${q('bytes')} * 0 AS o, ${q('bytes')} AS i, 0 AS n FROM flows WHERE ${base}${inside('src')}`;
  const pairs = `SELECT a, p, SUM(o) AS bo, SUM(i) AS bi, SUM(n) AS fl FROM (${sent} UNION ALL ${received}) AS x GROUP BY a, p HAVING SUM(o) > 0 AND SUM(i) > 0`;
  const minPeers = params.bind('i64', safety.minPeers);
  const minFlows = params.bind('i64', safety.minFlows);
  const minBytesOut = params.bind('i64', safety.minBytes);
  const minBytesIn = params.bind('i64', safety.minBytes);
  const sql =
    `SELECT a, COUNT(*) AS peers, SUM(fl) AS flows, SUM(bo) AS bytes_out, SUM(bi) AS bytes_in FROM (${pairs}) AS y GROUP BY a ` +
    `HAVING COUNT(*) >= ${minPeers} OR (SUM(fl) >= ${minFlows} AND SUM(bo) >= ${minBytesOut} AND SUM(bi) >= ${minBytesIn})`;
  const out = new Map<string, TwoWayStats>();
  for (const r of await store.execute(sql, params.params)) {
    out.set(readKey(d, r.a), { peers: num(r, 'peers'), flows: num(r, 'flows'), bytesOut: num(r, 'bytes_out'), bytesIn: num(r, 'bytes_in') });
  }
  return out;
}

/** Every address seen in flows over the window (as source or destination), for `seenOnly`. */
export async function seenAddresses(store: Store, from: number, to: number): Promise<Set<string>> {
  const d = store.dialect;
  const params = d.newParams();
  const win = windowWhere(d, params, from, to);
  const sql = `SELECT DISTINCT ${ipKey(d, 'src')} AS a FROM flows WHERE ${win} UNION DISTINCT SELECT DISTINCT ${ipKey(d, 'dst')} AS a FROM flows WHERE ${win}`;
  const out = new Set<string>();
  for (const r of await store.execute(sql, params.params)) out.add(readKey(d, r.a));
  return out;
}
