// The exfiltration detector: one of our hosts sending much more than it receives to one outside
// server and port — a RAT's upload channel, a stolen archive leaving, a tunnel — weighed by how
// unusual the port is and how few of our hosts use that server. Directions come from ports: the
// side with the higher port is the client, so a conversation's two flow directions meet.

import { z } from 'zod';
import { parseCidr, parseIp as parseIpText, type IpRange } from '../../core/ip.js';
import { protocolName } from '../../core/protocols.js';
import { threatIntel } from '../corroborate.js';
import type { Detector, NewFinding } from '../detector.js';
import { findingId, isoTime, roundScore, severityFor } from '../finding.js';
import { bindKey, evidence, findingWindow, ipKey, num, readKey, windowWhere } from '../flow-sql.js';
import { asymmetryScore, exfilScore, rarityScore, volumeScore, type ExfilSubscores } from './score.js';

const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7', 'fe80::/10'];

/** Settings; docs/detections.md gives the reasoning behind each default. */
export const exfilConfig = z.object({
  /** Bytes a host must send to one server and port over the window (IP bytes, as flows count them). */
  minBytes: z.number().int().min(1).default(10_000_000),
  /** Our networks (clients inside, servers outside); default: private address space. */
  internalNetworks: z
    .array(z.string())
    .default([])
    .refine((list) => list.every((c) => parseCidr(c) !== undefined), { message: 'every entry must be a CIDR such as 10.0.0.0/8' }),
  /** Ports where large uploads are routine (web, mail, file transfer, SSH): they weigh 0.4. */
  commonPorts: z.array(z.number().int().min(0).max(65535)).default([20, 21, 22, 25, 80, 443, 465, 587, 853, 989, 990, 993, 995, 8080, 8443]),
  minScore: z.number().min(0).max(1).default(0.5),
  maxFindings: z.number().int().min(1).default(100),
});
export type ExfilConfig = z.infer<typeof exfilConfig>;

/** The exfiltration detector. */
export const exfilDetector: Detector<ExfilConfig> = {
  kind: 'exfil',
  description: 'hosts sending far more than they receive to one outside server and port (upload channels, stolen data leaving)',
  config: exfilConfig,
  async run(context, config) {
    const d = context.store.dialect;
    const q = d.quote;
    const params = d.newParams();
    const internal: IpRange[] = (config.internalNetworks.length > 0 ? config.internalNetworks : PRIVATE).map((c) => parseCidr(c)!);
    const inside = (column: string) => `COALESCE((${internal.map((r) => d.ipInRange(column, r, params)).join(' OR ')}), FALSE)`;
    const up = `(${q('sport')} >= ${q('dport')})`;
    // Each flow oriented: `up` when it goes from the client (the higher port) to the server.
    const oriented =
      `SELECT ${up} AS up, CASE WHEN ${up} THEN ${ipKey(d, 'src')} ELSE ${ipKey(d, 'dst')} END AS cli, ` +
      `CASE WHEN ${up} THEN ${ipKey(d, 'dst')} ELSE ${ipKey(d, 'src')} END AS srv, CASE WHEN ${up} THEN ${q('dport')} ELSE ${q('sport')} END AS port, ` +
      `${q('proto')} AS proto, ${q('bytes')} AS b, ${d.timeMs('start')} AS t, ${d.timeMs('end')} AS e FROM flows ` +
      `WHERE ${windowWhere(d, params, context.from, context.to)} AND ${q('proto')} IN (6, 17) ` +
      `AND ((${up} AND ${inside('src')} AND NOT ${inside('dst')}) OR (NOT ${up} AND ${inside('dst')} AND NOT ${inside('src')}))`;
    const sent = `SUM(CASE WHEN up THEN b ELSE 0 END)`;
    const rows = await context.store.execute(
      `SELECT cli, srv, port, proto, ${sent} AS sent, SUM(CASE WHEN up THEN 0 ELSE b END) AS received, COUNT(*) AS flows, MIN(t) AS first, MAX(e) AS last ` +
        `FROM (${oriented}) AS o GROUP BY cli, srv, port, proto HAVING ${sent} >= ${params.bind('i64', config.minBytes)} ORDER BY sent DESC LIMIT ${params.bind('i64', config.maxFindings * 10)}`,
      params.params,
    );
    if (rows.length === 0) return { findings: [], stats: { candidates: 0, findings: 0 } };
    // How many of our hosts talk to each candidate server (any port): rarity.
    const cp = d.newParams();
    const servers = [...new Set(rows.map((r) => readKey(d, r.srv)))];
    // readKey gives addresses only, so parsing them back cannot fail.
    const keys = servers.map((s) => bindKey(d, cp, parseIpText(s)!)).join(', ');
    const clientsOf = new Map<string, number>();
    for (const r of await context.store.execute(
      `SELECT ${ipKey(d, 'dst')} AS srv, COUNT(DISTINCT ${ipKey(d, 'src')}) AS n FROM flows WHERE ${windowWhere(d, cp, context.from, context.to)} AND ${ipKey(d, 'dst')} IN (${keys}) GROUP BY srv`,
      cp.params,
    )) {
      clientsOf.set(readKey(d, r.srv), num(r, 'n'));
    }
    const findings: NewFinding[] = [];
    for (const r of rows) {
      const client = readKey(d, r.cli);
      const server = readKey(d, r.srv);
      const port = num(r, 'port');
      const proto = num(r, 'proto');
      const bytesSent = num(r, 'sent');
      const bytesReceived = num(r, 'received');
      const clients = Math.max(1, clientsOf.get(server) ?? 1);
      const subscores: ExfilSubscores = {
        volume: roundScore(volumeScore(bytesSent, config.minBytes)),
        asymmetry: roundScore(asymmetryScore(bytesSent, bytesReceived)),
        port: config.commonPorts.includes(port) ? 0.4 : 1,
        rarity: roundScore(rarityScore(clients)),
      };
      const score = roundScore(exfilScore(subscores));
      if (score < config.minScore) continue;
      const first = num(r, 'first');
      const last = num(r, 'last');
      const mb = (n: number) => (n / 1e6).toFixed(1);
      const intel = threatIntel(context.intel, server);
      findings.push({
        id: findingId('exfil', client, server, port, proto),
        kind: 'exfil',
        subkind: subscores.port === 1 ? 'unusual-port' : 'common-port',
        score,
        subscores: { ...subscores },
        severity: severityFor(score),
        src: client,
        dst: server,
        dport: port,
        proto,
        entities: [
          { role: 'client', type: 'ip', value: client },
          { role: 'server', type: 'ip', value: server },
        ],
        first: isoTime(first),
        last: isoTime(last),
        summary:
          `${client} sent ${mb(bytesSent)} MB to ${server}:${port}/${protocolName(proto)} and received ${mb(bytesReceived)} MB ` +
          `(${num(r, 'flows')} flows over ${Math.round((last - first) / 60_000)} min${clients === 1 ? '; no other host of ours uses that server' : `; ${clients} of our hosts use that server`})`,
        evidence: await evidence(context, `host ${client} and host ${server} and port ${port}`, findingWindow(context, first, last), { sent: bytesSent, received: bytesReceived, flows: num(r, 'flows'), clients }),
        intel,
      });
      if (findings.length >= config.maxFindings) break;
    }
    return { findings, stats: { candidates: rows.length, findings: findings.length } };
  },
};
