// ARP sweeps: one sender asking who has many addresses of its LAN (nmap host discovery on a local
// segment, arp-scan, netdiscover). ARP never reaches flow records, so this reads the arp_requests
// table that the pcap import fills: distinct targets per sender over the window, how many of them
// fell in its busiest minute, and the /24s they cover. Called by the scan detector.

import { z } from 'zod';
import { formatIp, parseIp } from '../../core/ip.js';
import { arpRequestTable, ensureArpRequestTable } from '../../store/arp-request-table.js';
import type { Dialect, ParamSink } from '../../store/store.js';
import { threatIntel } from '../corroborate.js';
import type { DetectionContext, NewFinding } from '../detector.js';
import { findingId, isoTime, roundScore, severityFor } from '../finding.js';
import { evidence, findingWindow, ipKey, num, readIpText, readKey, selectIp } from '../flow-sql.js';

/** Settings of the ARP sweep, to merge into the scan detector's config; docs/detections.md gives the reasoning. */
export const arpSweepConfig = z.object({
  /** Distinct addresses a sender must ask for (gratuitous ARP and 0.0.0.0 probes left out) in the window. */
  minArpTargets: z.number().int().min(2).default(32),
  /** Distinct addresses asked for within one minute that make the rate sub-score 1. */
  arpRateSaturation: z.number().int().min(1).default(60),
  /** ARP sweeps below this score are not reported. */
  arpMinScore: z.number().min(0).max(1).default(0.4),
});
export type ArpSweepConfig = z.infer<typeof arpSweepConfig>;

/** The sub-scores of an ARP sweep, each 0..1. */
export interface ArpSweepSubscores {
  /** log2(targets) / log2(256): a whole /24 scores 1. */
  readonly breadth: number;
  /** Distinct targets of the busiest minute / arpRateSaturation, at most 1. */
  readonly rate: number;
}

/** Breadth of a sweep from its distinct targets: 2 score 0.125, 32 score 0.625, 256 and more score 1. */
export function arpBreadthScore(targets: number): number {
  if (targets <= 1) return 0;
  return Math.min(1, Math.log2(targets) / 8);
}

/** Rate of a sweep from the distinct targets of its busiest minute. */
export function arpRateScore(peakPerMinute: number, saturation: number): number {
  return Math.min(1, Math.max(0, peakPerMinute) / saturation);
}

/**
 * score = breadth · (0.5 + 0.5·rate): breadth says how much of the LAN was asked for, and speed
 * can at most halve it, since a router or a busy server ends up asking for many addresses too,
 * but only as traffic calls for them, a few a minute. Worked examples (saturation 60/min):
 * - all 255 other addresses of a /24 within one minute (nmap -sn, arp-scan): breadth
 *   log2 255 / 8 = 7.9944 / 8 = 0.9993, rate 1: score 0.9993 (high).
 * - the same /24 at one address every 5 s (12 a minute): 0.9993 · (0.5 + 0.5·0.2) = 0.600 (low).
 * - a gateway asking for 40 hosts over an hour, never 2 in one minute: breadth log2 40 / 8 =
 *   5.3219 / 8 = 0.6652, rate 1/60: 0.6652 · 0.5083 = 0.338 (under the default arpMinScore 0.4).
 * - 32 addresses in one minute, the smallest sweep reported by default: 0.625 · (0.5 + 0.5·32/60)
 *   = 0.625 · 0.7667 = 0.479 (low).
 */
export function arpSweepScore(s: ArpSweepSubscores): number {
  return s.breadth * (0.5 + 0.5 * s.rate);
}

interface Sweep {
  readonly sender: string;
  readonly requests: number;
  readonly targets: number;
  readonly first: number;
  readonly last: number;
  peak: number;
  macs: string[];
  prefixes: { prefix: string; targets: number }[];
}

const MINUTE_MS = 60_000;
/** Senders per query when reading their details. */
const SENDERS_PER_QUERY = 100;
/** /24s and MACs listed per finding. */
const MAX_LISTED = 50;

/**
 * Rows that count: in the window, not gratuitous (an announcement of the sender's own address),
 * not an RFC 5227 probe from 0.0.0.0 (duplicate-address detection, and switches' device
 * tracking, which probe known hosts from 0.0.0.0 by design).
 */
function requestsWhere(d: Dialect, params: ParamSink, context: DetectionContext): string {
  const q = d.quote;
  return (
    `${q('ts')} >= ${params.bind('time', context.from)} AND ${q('ts')} < ${params.bind('time', context.to)} ` +
    `AND NOT ${q('gratuitous')} AND NOT (${d.ipEquals('src', 0, params)})`
  );
}

async function candidates(context: DetectionContext, config: ArpSweepConfig): Promise<Sweep[]> {
  const store = context.store;
  const d = store.dialect;
  const params = d.newParams();
  const targets = d.countDistinct('dst', 'ip');
  const sql =
    `SELECT ${ipKey(d, 'src')} AS s, SUM(${d.quote('requests')}) AS requests, ${targets} AS targets, ` +
    `MIN(${d.timeMs('ts')}) AS first, MAX(${d.timeMs('ts_last')}) AS last ` +
    `FROM ${arpRequestTable(store)} WHERE ${requestsWhere(d, params, context)} GROUP BY s HAVING ${targets} >= ${params.bind('i64', config.minArpTargets)}`;
  const out: Sweep[] = [];
  for (const r of await store.execute(sql, params.params)) {
    out.push({ sender: readKey(d, r.s), requests: num(r, 'requests'), targets: num(r, 'targets'), first: num(r, 'first'), last: num(r, 'last'), peak: 0, macs: [], prefixes: [] });
  }
  return out.sort((a, b) => b.targets - a.targets || (a.sender < b.sender ? -1 : 1));
}

/** The /24 of a target address, as an SQL expression, and how to read it back as text. */
function prefix24(d: Dialect): { sql: string; read: (v: unknown) => string } {
  if (d.name === 'duckdb') {
    return { sql: d.intDiv(d.ipColumns('dst')[0]!, '256'), read: (v) => `${formatIp(Number(v) * 256)}/24` };
  }
  // The IPv4-mapped address with its last IPv4 byte cut: '::ffff:192.168.1.0'.
  return {
    sql: `cutIPv6(${d.quote('dst')}, 0, 1)`,
    read: (v) => {
      const ip = parseIp(String(v));
      return ip === undefined ? String(v) : `${formatIp(typeof ip === 'bigint' && ip >> 32n === 0xffffn ? Number(ip & 0xffffffffn) : ip)}/24`;
    },
  };
}

/** Fills each sweep's busiest minute, sender MACs and target /24s. */
async function describeSweeps(context: DetectionContext, sweeps: readonly Sweep[]): Promise<void> {
  const store = context.store;
  const d = store.dialect;
  const table = arpRequestTable(store);
  const bySender = new Map(sweeps.map((s) => [s.sender, s]));
  for (let at = 0; at < sweeps.length; at += SENDERS_PER_QUERY) {
    const list = sweeps.slice(at, at + SENDERS_PER_QUERY);
    const run = async (select: (where: string, params: ParamSink) => string) => {
      const params = d.newParams();
      const where = `${requestsWhere(d, params, context)} AND (${list.map((s) => d.ipEquals('src', parseIp(s.sender)!, params)).join(' OR ')})`;
      return store.execute(select(where, params), params.params);
    };
    const perMinute = await run(
      (where, params) =>
        `SELECT s, MAX(n) AS peak FROM (SELECT ${ipKey(d, 'src')} AS s, ${d.timeBucket('ts', MINUTE_MS, params)} AS m, ${d.countDistinct('dst', 'ip')} AS n ` +
        `FROM ${table} WHERE ${where} GROUP BY s, m) AS per_minute GROUP BY s`,
    );
    for (const r of perMinute) {
      const s = bySender.get(readKey(d, r.s));
      if (s) s.peak = num(r, 'peak');
    }
    const macs = await run((where) => `SELECT ${ipKey(d, 'src')} AS s, ${d.quote('src_mac')} AS mac, SUM(${d.quote('requests')}) AS n FROM ${table} WHERE ${where} GROUP BY s, mac ORDER BY n DESC, mac`);
    for (const r of macs) bySender.get(readKey(d, r.s))?.macs.push(String(r.mac));
    const p = prefix24(d);
    const prefixes = await run(
      (where) => `SELECT ${ipKey(d, 'src')} AS s, ${p.sql} AS p, ${d.countDistinct('dst', 'ip')} AS n FROM ${table} WHERE ${where} GROUP BY s, p ORDER BY n DESC, p`,
    );
    for (const r of prefixes) bySender.get(readKey(d, r.s))?.prefixes.push({ prefix: p.read(r.p), targets: num(r, 'n') });
  }
  for (const s of sweeps) {
    s.macs = s.macs.slice(0, MAX_LISTED);
    s.prefixes = s.prefixes.slice(0, MAX_LISTED);
  }
}

/** The first requests of a sweep, for the evidence (the flow sample cannot show ARP). */
async function requestSample(context: DetectionContext, sweep: Sweep): Promise<Record<string, unknown>[]> {
  if (context.sampleSize <= 0) return [];
  const store = context.store;
  const d = store.dialect;
  const params = d.newParams();
  const sql =
    `SELECT ${d.timeMs('ts')} AS t, ${d.timeMs('ts_last')} AS t_last, ${selectIp(d, 'dst', 'd')}, ${d.quote('src_mac')} AS mac, ${d.quote('requests')} AS n ` +
    `FROM ${arpRequestTable(store)} WHERE ${requestsWhere(d, params, context)} AND ${d.ipEquals('src', parseIp(sweep.sender)!, params)} ` +
    `ORDER BY t, d0 LIMIT ${Math.floor(context.sampleSize)}`;
  return (await store.execute(sql, params.params)).map((r) => ({
    first: isoTime(num(r, 't')),
    last: isoTime(num(r, 't_last')),
    target: readIpText(d, r, 'd'),
    src_mac: String(r.mac),
    requests: num(r, 'n'),
  }));
}

function summary(s: Sweep, score: number): string {
  const span = Math.max(1, Math.round((s.last - s.first) / 1000));
  const where = s.prefixes.length === 1 ? `of ${s.prefixes[0]!.prefix}` : `across ${s.prefixes.length} /24s (most in ${s.prefixes[0]?.prefix ?? '?'})`;
  return `${s.sender} ARP sweep: ${s.targets} addresses ${where}, ${s.requests} requests in ${span} s (score ${score.toFixed(2)})`;
}

/**
 * ARP sweep findings over the window: one per sender that asked for at least `minArpTargets`
 * distinct addresses (gratuitous ARP and 0.0.0.0 probes left out) and scores at least
 * `arpMinScore`. Reads the arp_requests table (created empty when missing: stores fed by flow
 * exports only simply have no ARP to show).
 */
export async function arpSweepFindings(context: DetectionContext, config: ArpSweepConfig): Promise<NewFinding[]> {
  await ensureArpRequestTable(context.store);
  const sweeps = await candidates(context, config);
  if (sweeps.length === 0) return [];
  await describeSweeps(context, sweeps);
  const findings: NewFinding[] = [];
  for (const s of sweeps) {
    const subscores: ArpSweepSubscores = { breadth: roundScore(arpBreadthScore(s.targets)), rate: roundScore(arpRateScore(s.peak, config.arpRateSaturation)) };
    const score = roundScore(arpSweepScore({ breadth: arpBreadthScore(s.targets), rate: arpRateScore(s.peak, config.arpRateSaturation) }));
    if (score < config.arpMinScore) continue;
    const table = arpRequestTable(context.store);
    const details = {
      arpRequests: {
        table,
        where: `src = ${s.sender} and not gratuitous`,
        senderMacs: s.macs,
        sample: await requestSample(context, s),
      },
      targetPrefixes: s.prefixes,
      peakTargetsPerMinute: s.peak,
    };
    findings.push({
      id: findingId('scan', 'arp-sweep', s.sender),
      kind: 'scan',
      subkind: 'arp-sweep',
      score,
      subscores: { ...subscores },
      severity: severityFor(score),
      src: s.sender,
      dst: null,
      dport: null,
      proto: null,
      entities: [{ role: 'scanner', type: 'ip', value: s.sender }],
      first: isoTime(s.first),
      last: isoTime(s.last),
      summary: summary(s, score),
      // The flow query language cannot read ARP: the query shows the sender's IP traffic of the
      // sweep's span (often its next step), and details.arpRequests says where the ARP rows are.
      evidence: await evidence(context, `src ip ${s.sender}`, findingWindow(context, s.first, s.last), { requests: s.requests, targets: s.targets }, details),
      intel: threatIntel(context.intel, s.sender),
    });
  }
  return findings;
}
