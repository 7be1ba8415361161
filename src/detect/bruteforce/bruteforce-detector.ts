// The brute-force detector: many short TCP connections from one source to one service that
// authenticates (SSH, Telnet, RDP, SMB, FTP, databases, mail, VNC, VMware...), fast and small,
// as password guessing and credential stuffing look in flows.

import { z } from 'zod';
import { threatIntel } from '../corroborate.js';
import type { Detector, NewFinding } from '../detector.js';
import { findingId, isoTime, roundScore, severityFor } from '../finding.js';
import { evidence, findingWindow, ipKey, num, readKey, samplingRate, TCP, windowWhere } from '../flow-sql.js';
import { bruteForceScore, rateScore, smallScore, volumeScore, type BruteForceSubscores } from './score.js';

/** Ports of services that take a password: where repeated short connections mean guessing. */
export const AUTH_PORTS = [21, 22, 23, 25, 110, 143, 389, 445, 465, 587, 636, 902, 993, 995, 1433, 1521, 2222, 3306, 3389, 5432, 5900, 5985, 5986, 8291, 27017];

/** Settings; docs/detections.md gives the reasoning behind each default. */
export const bruteForceConfig = z.object({
  ports: z.array(z.number().int().min(0).max(65535)).default(AUTH_PORTS),
  /** Connections (SYN-bearing flows; under 1-in-N sampling each stands for N) from one source to one service in the window. */
  minConnections: z.number().int().min(2).default(20),
  /** Flows seen at least: under sampling, an estimate from fewer is a guess. */
  minFlows: z.number().int().min(1).default(3),
  /** Bytes (both directions are not joined: the client's side) a login exchange takes at most. */
  loginBytes: z.number().int().min(1).default(20_000),
  /** Connections per minute over the active span below which it is not guessing but use. */
  minPerMinute: z.number().min(0).default(2),
  minScore: z.number().min(0).max(1).default(0.4),
});
export type BruteForceConfig = z.infer<typeof bruteForceConfig>;

/** The brute-force detector. */
export const bruteForceDetector: Detector<BruteForceConfig> = {
  kind: 'bruteforce',
  description: 'many short connections from one source to an authenticating service (SSH, RDP, SMB, Telnet, databases...)',
  config: bruteForceConfig,
  async run(context, config) {
    const d = context.store.dialect;
    const q = d.quote;
    const params = d.newParams();
    const ports = config.ports.map((p) => params.bind('u16', p)).join(', ');
    const rate = samplingRate(d);
    const sql =
      // Under 1-in-N sampling a flow seen stands for N connections, and its bytes were scaled by N
      // already (decoders, import --sampling): per connection, the bytes are divided by the estimate.
      `SELECT ${ipKey(d, 'src')} AS s, ${ipKey(d, 'dst')} AS d, ${q('dport')} AS dport, SUM(${rate}) AS connections, COUNT(*) AS flows, ` +
      `SUM(CASE WHEN ${d.bitAnd(q('tcp_flags'), String(TCP.ACK))} = 0 THEN ${rate} ELSE 0 END) AS failed, SUM(${q('bytes')}) AS bytes, ` +
      `MIN(${d.timeMs('start')}) AS first, MAX(${d.timeMs('end')}) AS last FROM flows ` +
      `WHERE ${windowWhere(d, params, context.from, context.to)} AND ${q('proto')} = 6 AND ${d.bitAnd(q('tcp_flags'), String(TCP.SYN))} <> 0 ` +
      `AND ${q('dport')} IN (${ports}) AND ${q('sport')} > ${q('dport')} ` +
      `GROUP BY s, d, dport HAVING SUM(${rate}) >= ${params.bind('i64', config.minConnections)} AND COUNT(*) >= ${params.bind('i64', config.minFlows)}`;
    const rows = await context.store.execute(sql, params.params);
    const findings: NewFinding[] = [];
    for (const r of rows) {
      const src = readKey(d, r.s);
      const dst = readKey(d, r.d);
      const dport = num(r, 'dport');
      const connections = num(r, 'connections');
      const first = num(r, 'first');
      const last = num(r, 'last');
      const minutes = Math.max(1 / 60, (last - first) / 60_000);
      const perMinute = connections / minutes;
      if (perMinute < config.minPerMinute) continue;
      const bytes = num(r, 'bytes');
      const intel = threatIntel(context.intel, src);
      const subscores: BruteForceSubscores = {
        volume: roundScore(volumeScore(connections)),
        rate: roundScore(rateScore(perMinute)),
        small: roundScore(smallScore(bytes / connections, config.loginBytes)),
        intel: intel.length > 0 ? 1 : 0,
      };
      const score = roundScore(bruteForceScore(subscores));
      if (score < config.minScore) continue;
      const failed = num(r, 'failed');
      const flows = num(r, 'flows');
      // Sampled: the counts are estimates; the flows seen say from how much.
      const sampled = flows !== connections;
      findings.push({
        id: findingId('bruteforce', src, dst, dport),
        kind: 'bruteforce',
        subkind: 'password-guessing',
        score,
        subscores: { ...subscores },
        severity: severityFor(score),
        src,
        dst,
        dport,
        proto: 6,
        entities: [
          { role: 'attacker', type: 'ip', value: src },
          { role: 'victim', type: 'ip', value: dst },
        ],
        first: isoTime(first),
        last: isoTime(last),
        summary: `${src} opened ${sampled ? '~' : ''}${connections} connections to ${dst}:${dport}/tcp in ${Math.round((last - first) / 1000)} s (${perMinute.toFixed(0)}/min, ${Math.round(bytes / connections)} bytes each; ${failed} never completed)`,
        evidence: await evidence(context, `src ip ${src} and dst ip ${dst} and dst port ${dport} and proto tcp`, findingWindow(context, first, last), { connections, failed, bytes, ...(sampled ? { flows } : {}) }, {
          perMinute: Math.round(perMinute * 10) / 10,
        }),
        intel,
      });
    }
    return { findings, stats: { candidates: rows.length, findings: findings.length } };
  },
};
