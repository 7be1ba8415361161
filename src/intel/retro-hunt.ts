// Retro-hunt: matches the stored flow history against every active indicator, including those
// loaded after the traffic arrived. The store lists the distinct addresses seen (one scan per
// side), the in-memory index matches them (millions a second), and the few matched addresses go
// back into the store as a table that one aggregation joins against, so the flows are read
// twice and never leave the store row by row.

import { formatIp, type Ip } from '../core/ip.js';
import type { Store } from '../store/store.js';
import type { StoredIndicator } from './indicator.js';
import { indicatorTag } from './indicator-tag.js';
import { encodeRows, huntSql, storeDatabase } from './indicator-table.js';
import { detects, type IntelIndex, type MatchHow } from './intel-index.js';

/** Bounds of the hunt. */
export interface HuntOptions {
  /** Flows starting at or after (epoch ms). */
  readonly since?: number;
  /** Flows starting before (epoch ms). */
  readonly until?: number;
  /** Only indicators of sources whose name contains this text. */
  readonly source?: string;
}

/**
 * Traffic between an indicator and a peer. Flows are oriented client to server: a flow whose
 * source port is below its destination port (TCP, UDP, SCTP) is a reply and counts towards the
 * conversation it answers, so `dport` is the service port and a C2's replies are not listed
 * under the client's ephemeral ports.
 */
export interface Sighting {
  readonly indicator: string;
  readonly type: string;
  readonly source: string;
  readonly family: string | null;
  readonly tag: string;
  readonly how: MatchHow;
  readonly confidence: number | null;
  readonly reference: string | null;
  /** Which end of the conversation the indicator is: the server (`dst`) or the client (`src`). */
  readonly side: 'dst' | 'src';
  readonly src: string;
  readonly dst: string;
  readonly dport: number;
  readonly proto: number;
  readonly first: string;
  readonly last: string;
  readonly flows: number;
  readonly bytes: number;
  readonly packets: number;
  /** Allow-list entries covering the indicator's address (an analyst must see these before blocking). */
  readonly allowed: readonly string[];
}

/** Counts of one hunt, for the report and the benchmark. */
export interface HuntStats {
  readonly addresses: number;
  readonly matchedAddresses: number;
  readonly conversations: number;
  readonly sightings: number;
  readonly ms: number;
}

const HIT_ROWS = 20_000;

function timeBounds(store: Store, options: HuntOptions, params: ReturnType<Store['dialect']['newParams']>): string {
  const q = store.dialect.quote;
  const parts: string[] = [];
  if (options.since !== undefined) parts.push(`${q('start')} >= ${params.bind('time', options.since)}`);
  if (options.until !== undefined) parts.push(`${q('start')} < ${params.bind('time', options.until)}`);
  return parts.length > 0 ? parts.join(' AND ') : '1 = 1';
}

/** The distinct addresses in one address column of the flows in range. */
async function distinctAddresses(store: Store, column: 'src' | 'dst', options: HuntOptions): Promise<Ip[]> {
  const d = store.dialect;
  const params = d.newParams();
  const cols = d.ipColumns(column);
  const sql = `SELECT DISTINCT ${cols.map((c, i) => `${c} AS a${i}`).join(', ')} FROM flows WHERE ${timeBounds(store, options, params)}`;
  const rows = await store.execute(sql, params.params);
  const out: Ip[] = [];
  for (const r of rows) {
    const ip = d.decodeIp(cols.map((_, i) => r[`a${i}`]));
    if (ip !== null) out.push(ip);
  }
  return out;
}

/** Runs the hunt; sightings come back ordered by first flow. */
export async function retroHunt(store: Store, index: IntelIndex<StoredIndicator>, options: HuntOptions = {}): Promise<{ sightings: Sighting[]; stats: HuntStats }> {
  const started = performance.now();
  const wanted = (i: StoredIndicator) => detects(i) && (options.source === undefined || i.source.includes(options.source));
  const seen = new Map<string, Ip>();
  for (const column of ['src', 'dst'] as const) for (const ip of await distinctAddresses(store, column, options)) seen.set(ip.toString(), ip);
  const hits: Ip[] = [];
  for (const ip of seen.values()) {
    if (index.lookup(ip) >= 0 && index.matchAddress(ip).some((m) => wanted(m.indicator))) hits.push(ip);
  }
  const stats = { addresses: seen.size, matchedAddresses: hits.length, conversations: 0, sightings: 0 };
  if (hits.length === 0) return { sightings: [], stats: { ...stats, ms: performance.now() - started } };

  const d = store.dialect;
  const hunt = huntSql(d, storeDatabase(store));
  const q = d.quote;
  let rows: Record<string, unknown>[];
  try {
    for (const statement of hunt.create) await store.execute(statement);
    for (let at = 0; at < hits.length; at += HIT_ROWS) {
      await store.execute(hunt.insert, [{ kind: 'string', value: encodeRows(d, hits.slice(at, at + HIT_ROWS).map((ip) => hunt.row(ip))) }]);
    }
    const params = d.newParams();
    const src = d.ipColumns('src');
    const dst = d.ipColumns('dst');
    const swap = `(${q('proto')} IN (6, 17, 132) AND ${q('sport')} < ${q('dport')})`;
    const a = src.map((c, i) => `CASE WHEN ${swap} THEN ${dst[i]} ELSE ${c} END AS a${i}`);
    const b = dst.map((c, i) => `CASE WHEN ${swap} THEN ${src[i]} ELSE ${c} END AS b${i}`);
    const keys = [...src.map((_, i) => `a${i}`), ...dst.map((_, i) => `b${i}`), 'port', 'proto'];
    const sql =
      `SELECT ${keys.join(', ')}, MIN(t0) AS first_ms, MAX(t1) AS last_ms, COUNT(*) AS flows, SUM(bytes) AS bytes, SUM(packets) AS packets FROM (` +
      `SELECT ${[...a, ...b].join(', ')}, CASE WHEN ${swap} THEN ${q('sport')} ELSE ${q('dport')} END AS port, ${q('proto')} AS proto, ` +
      `${d.timeMs('start')} AS t0, ${d.timeMs('end')} AS t1, ${q('bytes')} AS bytes, ${q('packets')} AS packets ` +
      `FROM flows WHERE ${timeBounds(store, options, params)} AND (${hunt.inSet(d, 'src')} OR ${hunt.inSet(d, 'dst')})` +
      `) AS conversations GROUP BY ${keys.join(', ')}`;
    rows = await store.execute(sql, params.params);
  } finally {
    await store.execute(hunt.drop).catch(() => undefined);
  }

  const merged = new Map<string, Sighting>();
  const allowCache = new Map<string, string[]>();
  const allowedOf = (ip: Ip): string[] => {
    const key = ip.toString();
    let tags = allowCache.get(key);
    if (!tags) {
      tags = [...new Set(index.matchAddress(ip).filter((m) => m.indicator.kind === 'allow').map((m) => indicatorTag(m.indicator)))];
      allowCache.set(key, tags);
    }
    return tags;
  };
  for (const r of rows) {
    const aIp = d.decodeIp(d.ipColumns('src').map((_, i) => r[`a${i}`]));
    const bIp = d.decodeIp(d.ipColumns('dst').map((_, i) => r[`b${i}`]));
    if (aIp === null || bIp === null) continue;
    const port = Number(r.port);
    const proto = Number(r.proto);
    const sides: ['src' | 'dst', Ip, number | undefined][] = [
      ['dst', bIp, port],
      // The client side has no known port of its own: only port-free indicators apply to it.
      ['src', aIp, -1],
    ];
    for (const [side, ip, p] of sides) {
      for (const m of index.matchAddress(ip, p)) {
        const i = m.indicator;
        if (!wanted(i)) continue;
        const key = `${i.source}\u0000${i.type}\u0000${i.value}\u0000${side}\u0000${aIp}\u0000${bIp}\u0000${port}`;
        const prev = merged.get(key);
        const first = Number(r.first_ms);
        const last = Number(r.last_ms);
        if (prev) {
          merged.set(key, {
            ...prev,
            first: new Date(Math.min(Date.parse(prev.first), first)).toISOString(),
            last: new Date(Math.max(Date.parse(prev.last), last)).toISOString(),
            flows: prev.flows + Number(r.flows),
            bytes: prev.bytes + Number(r.bytes),
            packets: prev.packets + Number(r.packets),
          });
          continue;
        }
        merged.set(key, {
          indicator: i.value,
          type: i.type,
          source: i.source,
          family: i.family,
          tag: indicatorTag(i),
          how: m.how,
          confidence: i.confidence,
          reference: i.reference,
          side,
          src: formatIp(aIp),
          dst: formatIp(bIp),
          dport: port,
          proto,
          first: new Date(first).toISOString(),
          last: new Date(last).toISOString(),
          flows: Number(r.flows),
          bytes: Number(r.bytes),
          packets: Number(r.packets),
          allowed: allowedOf(ip),
        });
      }
    }
  }
  const sightings = [...merged.values()].sort((x, y) => (x.first < y.first ? -1 : x.first > y.first ? 1 : x.indicator.localeCompare(y.indicator)));
  return { sightings, stats: { ...stats, conversations: rows.length, sightings: sightings.length, ms: performance.now() - started } };
}
