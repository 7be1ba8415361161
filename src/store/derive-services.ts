// Services from flows: an address that answered at least `minClients` distinct clients on one
// port is a service (source 'flows'). Flows are oriented client-to-server as retro-hunt does:
// a TCP/UDP/SCTP flow whose source port is below its destination port is a reply, sent by the
// server from its service port. A TCP reply counts only when it shows the server accepted the
// connection (SYN+ACK, or ACK without RST: an established exchange), so the RSTs of closed
// ports and the backscatter of scans make no services.

import { formatIp } from '../core/ip.js';
import type { ServiceObservation } from '../decode/services/service-observation.js';
import { transportOfProto } from '../decode/services/service-observation.js';
import { appendServices } from './services-table.js';
import type { Store } from './store.js';

/** The source services derived from flows are stored under. */
export const FLOWS_SOURCE = 'flows';

/** Options of {@link deriveServices}. */
export interface DeriveServicesOptions {
  /** Window over flow start, epoch ms: from inclusive, to exclusive (default: all flows). */
  readonly from?: number;
  readonly to?: number;
  /** Distinct clients an address must have answered on a port (default 3). */
  readonly minClients?: number;
  /** Store what was found in the services table (default true). */
  readonly store?: boolean;
}

/** Default of {@link DeriveServicesOptions.minClients}. */
export const DEFAULT_MIN_CLIENTS = 3;

/** A service found in flows, with the distinct clients and reply flows behind it. */
export interface DerivedService extends ServiceObservation {
  readonly clients: number;
}

/**
 * Finds the services of a window and stores them (count = reply flows; first/last seen = the
 * first reply's start and the last reply's end). Deriving the same window twice adds its counts
 * twice, as importing the same scan twice does: derive each window once.
 */
export async function deriveServices(store: Pick<Store, 'execute' | 'dialect' | 'location'>, options: DeriveServicesOptions = {}): Promise<DerivedService[]> {
  const d = store.dialect;
  const q = d.quote;
  const params = d.newParams();
  const minClients = Math.max(1, Math.floor(options.minClients ?? DEFAULT_MIN_CLIENTS));
  const where = [`${q('proto')} IN (6, 17, 132)`, `${q('sport')} < ${q('dport')}`, `${q('packets')} > 0`];
  const flags = (bits: number) => d.bitAnd(q('tcp_flags'), String(bits));
  where.push(`(${q('proto')} <> 6 OR ${flags(18)} = 18 OR (${flags(16)} = 16 AND ${flags(4)} = 0))`);
  if (options.from !== undefined) where.push(`${q('start')} >= ${params.bind('time', options.from)}`);
  if (options.to !== undefined) where.push(`${q('start')} < ${params.bind('time', options.to)}`);
  const server = d.ipColumns('src');
  const keys = [...server, q('sport'), q('proto')];
  const sql =
    `SELECT ${server.map((c, i) => `${c} AS s${i}`).join(', ')}, ${q('sport')} AS port, ${q('proto')} AS proto, ` +
    `${d.countDistinct('dst', 'ip')} AS clients, count(*) AS flows, min(${d.timeMs('start')}) AS first_ms, max(${d.timeMs('end')}) AS last_ms ` +
    `FROM flows WHERE ${where.join(' AND ')} GROUP BY ${keys.join(', ')} HAVING ${d.countDistinct('dst', 'ip')} >= ${params.bind('u32', minClients)}`;
  const rows = await store.execute(sql, params.params);
  const found: DerivedService[] = [];
  for (const r of rows) {
    const ip = d.decodeIp(server.map((_, i) => r[`s${i}`]));
    const transport = transportOfProto(Number(r.proto));
    if (ip === null || !transport) continue;
    found.push({
      ip: formatIp(ip), port: Number(r.port), transport, source: FLOWS_SOURCE, service: '', product: '', banner: '',
      firstSeen: Number(r.first_ms), lastSeen: Number(r.last_ms), count: Number(r.flows), clients: Number(r.clients),
    });
  }
  found.sort((a, b) => b.clients - a.clients || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port || a.transport.localeCompare(b.transport)));
  if (options.store !== false) await appendServices(store, found.map(({ clients: _, ...o }) => o));
  return found;
}
