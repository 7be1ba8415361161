// The repeat-attacker detector: sources that attacked on several distinct days (failed
// connection attempts: scans, exploit probes, password guessing), with the days, the targets
// and the intelligence that names them. It looks back further than the run's window, since
// "again" needs history.

import { z } from 'zod';
import { parseCidr, type IpRange } from '../../core/ip.js';
import { VantageError } from '../../core/errors.js';
import { threatIntel } from '../corroborate.js';
import type { Detector, NewFinding } from '../detector.js';
import { findingId, isoTime, roundScore, severityFor } from '../finding.js';
import { evidence, ipKey, num, readKey, TCP, windowWhere } from '../flow-sql.js';
import { daysScore, intensityScore, repeatScore, type RepeatSubscores } from './score.js';

const DAY_MS = 86_400_000;
const HALF_DAY_MS = DAY_MS / 2;

/** Settings; docs/detections.md gives the reasoning behind each default. */
export const repeatConfig = z.object({
  /** Days before the window's end searched for earlier attacks. */
  lookbackDays: z.number().int().min(1).max(3650).default(30),
  /** Failed attempts (SYN without ACK) a source must make on a day for the day to count. */
  minProbesPerDay: z.number().int().min(1).default(5),
  /** Distinct attack days that make a repeat attacker. */
  minDays: z.number().int().min(2).default(2),
  /** Our networks: when given, only attempts from outside them towards them count. */
  perimeter: z.array(z.string()).default([]),
  /** Sources reported, most persistent first. */
  maxFindings: z.number().int().min(1).default(1000),
});
export type RepeatConfig = z.infer<typeof repeatConfig>;

function perimeterOf(config: RepeatConfig): IpRange[] {
  return config.perimeter.map((n) => {
    const range = parseCidr(n);
    if (!range) throw new VantageError('DETECT_CONFIG', `repeat.perimeter: '${n}' is not a network`);
    return range;
  });
}

/** The repeat-attacker detector. */
export const repeatDetector: Detector<RepeatConfig> = {
  kind: 'repeat',
  description: 'sources that attacked (failed connection attempts) on several distinct days, with the days and targets',
  config: repeatConfig,
  async run(context, config) {
    const d = context.store.dialect;
    const q = d.quote;
    const params = d.newParams();
    const from = Math.min(context.from, context.to - config.lookbackDays * DAY_MS);
    const perimeter = perimeterOf(config);
    const inside = (column: string) => (perimeter.length === 0 ? '' : `(${perimeter.map((r) => d.ipInRange(column, r, params)).join(' OR ')})`);
    const where = [
      windowWhere(d, params, from, context.to),
      `${q('proto')} = 6`,
      `${d.bitAnd(q('tcp_flags'), String(TCP.SYN))} <> 0`,
      `${d.bitAnd(q('tcp_flags'), String(TCP.ACK))} = 0`,
      ...(perimeter.length > 0 ? [inside('dst'), `NOT ${inside('src')}`] : []),
    ].join(' AND ');
    const day = d.intDiv(d.timeMs('start'), String(DAY_MS));
    const perDay =
      `SELECT ${ipKey(d, 'src')} AS s, ${day} AS day, COUNT(*) AS probes, COUNT(DISTINCT ${ipKey(d, 'dst')}) AS hosts, ` +
      `MIN(${d.timeMs('start')}) AS first, MAX(${d.timeMs('end')}) AS last FROM flows WHERE ${where} GROUP BY s, day HAVING COUNT(*) >= ${params.bind('i64', config.minProbesPerDay)}`;
    const rows = await context.store.execute(
      `SELECT s, day, probes, hosts, first, last FROM (${perDay}) AS days WHERE s IN (SELECT s FROM (${perDay}) AS again GROUP BY s HAVING COUNT(*) >= ${params.bind('i64', config.minDays)}) ORDER BY s, day`,
      params.params,
    );
    const bySource = new Map<string, { day: number; probes: number; hosts: number; first: number; last: number }[]>();
    for (const r of rows) {
      const s = readKey(d, r.s);
      const list = bySource.get(s) ?? [];
      list.push({ day: num(r, 'day'), probes: num(r, 'probes'), hosts: num(r, 'hosts'), first: num(r, 'first'), last: num(r, 'last') });
      bySource.set(s, list);
    }
    // A source counts when it attacked inside the window too: an old attacker gone quiet is history, not news.
    // Distinct UTC days alone would count one attack from 23:00 to 01:00 twice: the attacks must
    // also span at least 12 hours per extra day.
    const active = [...bySource.entries()].filter(
      ([, days]) => days.some((x) => x.last >= context.from) && days[days.length - 1]!.last - days[0]!.first >= (config.minDays - 1) * HALF_DAY_MS,
    );
    active.sort((a, b) => b[1].length - a[1].length || b[1].reduce((n, x) => n + x.probes, 0) - a[1].reduce((n, x) => n + x.probes, 0));
    const findings: NewFinding[] = [];
    for (const [src, days] of active.slice(0, config.maxFindings)) {
      const probes = days.reduce((n, x) => n + x.probes, 0);
      const intel = threatIntel(context.intel, src);
      const subscores: RepeatSubscores = { days: roundScore(daysScore(days.length)), intensity: roundScore(intensityScore(probes)), intel: intel.length > 0 ? 1 : 0 };
      const score = roundScore(repeatScore(subscores));
      const first = days[0]!.first;
      const last = days[days.length - 1]!.last;
      const dayList = days.map((x) => isoTime(x.day * DAY_MS).slice(0, 10));
      findings.push({
        id: findingId('repeat', src),
        kind: 'repeat',
        subkind: 'repeat-attacker',
        score,
        subscores: { ...subscores },
        severity: severityFor(score),
        src,
        dst: null,
        dport: null,
        proto: 6,
        entities: [{ role: 'attacker', type: 'ip', value: src }],
        first: isoTime(first),
        last: isoTime(last),
        summary: `${src} attacked on ${days.length} days (${dayList.join(', ')}): ${probes} failed connection attempts${intel.length > 0 ? `; named by ${[...new Set(intel.map((i) => i.tag))].join(', ')}` : ''}`,
        evidence: await evidence(context, `src ip ${src} and proto tcp and flags S and not flags A`, { from, to: context.to }, { days: days.length, probes }, {
          days: days.map((x) => ({ day: isoTime(x.day * DAY_MS).slice(0, 10), probes: x.probes, hosts: x.hosts, first: isoTime(x.first), last: isoTime(x.last) })),
        }),
        intel,
      });
    }
    return { findings, stats: { sources: bySource.size, findings: findings.length } };
  },
};
