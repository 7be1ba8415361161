// The scan detector: horizontal (one source, many hosts on a port), vertical (many ports of one
// host), block scans (many hosts and many ports) and ARP sweeps (from captures), over TCP probes told from their flags (SYN
// without ACK: the handshake never completed), unanswered UDP probes and ICMP echo sweeps. The
// Threshold Random Walk over the source's first contacts confirms small scans; mass-scanner
// intelligence corroborates.

import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import { parseIp } from '../../core/ip.js';
import { storeDatabase } from '../../intel/indicator-table.js';
import { protocolName } from '../../core/protocols.js';
import type { Dialect, ParamSink, Store } from '../../store/store.js';
import { threatIntel } from '../corroborate.js';
import type { DetectionContext, Detector, NewFinding } from '../detector.js';
import { findingId, isoTime, roundScore, severityFor } from '../finding.js';
import { bindKey, evidence, findingWindow, ipKey, num, readKey, samplingRate, TCP, windowWhere } from '../flow-sql.js';
import { arpSweepConfig, arpSweepFindings } from './arp-sweep.js';
import { breadthScore, rateScore, scanScore, type ScanSubscores } from './score.js';
import { thresholdRandomWalk, TRW_DEFAULTS } from './trw.js';

/** Settings; docs/detections.md gives the reasoning behind each default. */
export const scanConfig = z.object({
  /** Distinct hosts probed on one port that make a horizontal scan. */
  minHosts: z.number().int().min(2).default(5),
  /** Distinct ports probed on one host that make a vertical scan. */
  minPorts: z.number().int().min(2).default(6),
  /** A block scan: at least this many hosts and this many ports from one source. */
  blockMinHosts: z.number().int().min(2).default(6),
  blockMinPorts: z.number().int().min(2).default(6),
  /** A UDP flow of at most this many packets per sampled packet counts as a probe. */
  udpProbeMaxPackets: z.number().int().min(1).default(2),
  /** Findings below this score are not reported. */
  minScore: z.number().min(0).max(1).default(0.4),
  /** Sources examined with the sequential test, most probing first. */
  maxSources: z.number().int().min(1).default(200),
  /**
   * Findings reported per run, highest score first; the others are counted in the run's stats.
   * The internet's background of slow random probes makes thousands of small sweeps a day at a
   * border: they score low (see `rate`) and fall past the cap, the repeat detector and intel
   * keep track of them.
   */
  maxFindings: z.number().int().min(1).default(200),
  ...arpSweepConfig.shape,
});
export type ScanConfig = z.infer<typeof scanConfig>;

const TCP_PROTO = 6;

/**
 * The contact attempts of the window as a derived table (s, d, dport, proto, failed, t0, t1).
 * TCP: every flow carrying SYN, failed when it carried no ACK (the handshake never completed:
 * unanswered, refused with RST, or a SYN scan's own reset) or was a single packet. UDP and ICMP: small UDP flows and
 * echo requests towards hosts that never sent the source anything back (an answered DNS query
 * to many servers is a resolver at work, not a sweep), all failed by construction.
 */
function attemptsTable(context: DetectionContext, params: ParamSink, config: ScanConfig): string {
  const d = context.store.dialect;
  const q = d.quote;
  const win = windowWhere(d, params, context.from, context.to);
  const flags = q('tcp_flags');
  const cols = `${ipKey(d, 'src')} AS s, ${ipKey(d, 'dst')} AS d, ${q('dport')} AS dport, ${q('proto')} AS proto, ${d.timeMs('start')} AS t0, ${d.timeMs('end')} AS t1`;
  // One packet (per sampled packet) cannot be a completed handshake, whatever flags it shows.
  const failed = `${d.bitAnd(flags, String(TCP.ACK))} = 0 OR ${q('packets')} <= ${samplingRate(d)}`;
  const syn = `${win} AND ${q('proto')} = 6 AND ${d.bitAnd(flags, String(TCP.SYN))} <> 0`;
  // Completed handshakes matter only as the denominators of sources that fail enough to be
  // candidates; every other source's successes (most of a network's TCP) stay out of the table.
  const failing = `SELECT ${ipKey(d, 'src')} FROM flows WHERE ${syn} AND (${failed}) GROUP BY 1 HAVING COUNT(*) >= ${Math.min(config.minHosts, config.minPorts, config.blockMinHosts)}`;
  const tcp = `SELECT ${cols}, CASE WHEN ${failed} THEN 1 ELSE 0 END AS failed FROM flows WHERE ${syn} AND ((${failed}) OR ${ipKey(d, 'src')} IN (${failing}))`;
  // Sampled exports scale packets by the rate: compare per sampled packet.
  const udp = `(${q('proto')} = 17 AND ${q('packets')} <= ${params.bind('i64', config.udpProbeMaxPackets)} * ${samplingRate(d)} AND ${q('dport')} <= ${q('sport')})`;
  const icmp = `((${q('proto')} = 1 AND ${q('dport')} = 2048) OR (${q('proto')} = 58 AND ${q('dport')} = 32768))`;
  const other = `SELECT ${cols}, 1 AS failed FROM flows WHERE ${win} AND (${udp} OR ${icmp})`;
  const answers = `SELECT DISTINCT ${ipKey(d, 'src')} AS rs, ${ipKey(d, 'dst')} AS rd FROM flows WHERE ${win} AND ${q('proto')} IN (1, 17, 58)`;
  const anti = d.name === 'duckdb' ? 'ANTI JOIN' : 'LEFT ANTI JOIN';
  return `(${tcp} UNION ALL SELECT p.s, p.d, p.dport, p.proto, p.t0, p.t1, p.failed FROM (${other}) AS p ${anti} (${answers}) AS r ON r.rs = p.d AND r.rd = p.s)`;
}

interface Candidate {
  subkind: 'horizontal' | 'vertical' | 'block';
  src: string;
  dst: string | null;
  dport: number | null;
  proto: number;
  /** Distinct targets that failed (hosts, ports or host:port pairs), and all attempted. */
  targets: number;
  attempted: number;
  hosts: number;
  ports: number;
  probes: number;
  first: number;
  last: number;
}

const FAILED = (x: string) => `COUNT(DISTINCT CASE WHEN failed = 1 THEN ${x} END)`;

/**
 * The run's attempts, written once and read by the three aggregations (each would otherwise
 * read the window's flows and redo the answered-UDP anti-join). DuckDB: a TEMP table of the
 * store's connection. ClickHouse: a Memory table with a unique name (the HTTP interface keeps
 * no session for a temporary table), dropped when the run ends.
 */
function attemptsScratch(store: Store): { name: string; create: string[]; drop: string } {
  if (store.dialect.name === 'duckdb') {
    const name = 'scan_attempts';
    return {
      name,
      create: [`CREATE TEMP TABLE IF NOT EXISTS ${name} (s UHUGEINT, d UHUGEINT, dport USMALLINT, proto UTINYINT, t0 BIGINT, t1 BIGINT, failed UTINYINT)`, `DELETE FROM ${name}`],
      drop: `DROP TABLE IF EXISTS ${name}`,
    };
  }
  const name = `${storeDatabase(store)}.scan_attempts_${randomBytes(6).toString('hex')}`;
  return {
    name,
    create: [`CREATE TABLE ${name} (s IPv6, d IPv6, dport UInt16, proto UInt8, t0 Int64, t1 Int64, failed UInt8) ENGINE = Memory`],
    drop: `DROP TABLE IF EXISTS ${name}`,
  };
}

async function candidates(context: DetectionContext, config: ScanConfig): Promise<Candidate[]> {
  const store = context.store;
  const d = store.dialect;
  const scratch = attemptsScratch(store);
  for (const statement of scratch.create) await store.execute(statement);
  try {
    const params = d.newParams();
    await store.execute(`INSERT INTO ${scratch.name} SELECT s, d, dport, proto, t0, t1, failed FROM ${attemptsTable(context, params, config)} AS a`, params.params);
    return await aggregate(store, scratch.name, config);
  } finally {
    await store.execute(scratch.drop).catch(() => undefined);
  }
}

async function aggregate(store: Store, table: string, config: ScanConfig): Promise<Candidate[]> {
  const d = store.dialect;
  const run = async (select: string, group: string, having: string) =>
    store.execute(
      `SELECT ${select}, SUM(failed) AS probes, MIN(CASE WHEN failed = 1 THEN t0 END) AS first, MAX(CASE WHEN failed = 1 THEN t1 END) AS last ` +
        `FROM ${table} AS attempts GROUP BY ${group} HAVING ${having}`,
    );
  const out: Candidate[] = [];
  const common = (r: Record<string, unknown>) => ({ src: readKey(d, r.s), proto: num(r, 'proto'), probes: num(r, 'probes'), first: num(r, 'first'), last: num(r, 'last') });
  for (const r of await run(`s, dport, proto, ${FAILED('d')} AS hosts, COUNT(DISTINCT d) AS attempted`, 's, dport, proto', `${FAILED('d')} >= ${config.minHosts}`)) {
    const hosts = num(r, 'hosts');
    out.push({ ...common(r), subkind: 'horizontal', dst: null, dport: num(r, 'dport'), targets: hosts, attempted: num(r, 'attempted'), hosts, ports: 1 });
  }
  for (const r of await run(`s, d, proto, ${FAILED('dport')} AS ports, COUNT(DISTINCT dport) AS attempted`, 's, d, proto', `${FAILED('dport')} >= ${config.minPorts}`)) {
    const ports = num(r, 'ports');
    out.push({ ...common(r), subkind: 'vertical', dst: readKey(d, r.d), dport: null, targets: ports, attempted: num(r, 'attempted'), hosts: 1, ports });
  }
  const blocks = await run(
    `s, proto, ${FAILED('d')} AS hosts, ${FAILED('dport')} AS ports, COUNT(DISTINCT d) AS hosts_all`,
    's, proto',
    `${FAILED('d')} >= ${config.blockMinHosts} AND ${FAILED('dport')} >= ${config.blockMinPorts}`,
  );
  for (const r of blocks) {
    const hosts = num(r, 'hosts');
    const ports = num(r, 'ports');
    out.push({ ...common(r), subkind: 'block', dst: null, dport: null, targets: Math.min(num(r, 'probes'), hosts * ports), attempted: num(r, 'hosts_all'), hosts, ports });
  }
  return out;
}

/**
 * A block scan stands for its source's horizontal and vertical sweeps of the same protocol only
 * when they are part of it: it needs several ports on several hosts, so a block finding
 * replaces the others of its (source, protocol), which go into its details.
 */
function mergeBlocks(all: Candidate[]): { kept: Candidate[]; parts: Map<Candidate, Candidate[]> } {
  const blocks = new Map<string, Candidate>();
  for (const c of all) if (c.subkind === 'block') blocks.set(`${c.src} ${c.proto}`, c);
  const parts = new Map<Candidate, Candidate[]>();
  const kept: Candidate[] = [];
  for (const c of all) {
    const block = c.subkind === 'block' ? undefined : blocks.get(`${c.src} ${c.proto}`);
    if (!block) {
      kept.push(c);
      continue;
    }
    const list = parts.get(block) ?? [];
    list.push(c);
    parts.set(block, list);
  }
  return { kept, parts };
}

/**
 * First-contact outcomes of TCP sources over distinct host:port targets, in time order: a
 * target counts as reached when any of the source's flows to it carried ACK (the handshake
 * completed).
 */
async function tcpOutcomes(context: DetectionContext, sources: readonly string[]): Promise<Map<string, boolean[]>> {
  const out = new Map<string, boolean[]>();
  if (sources.length === 0) return out;
  const store: Store = context.store;
  const d = store.dialect;
  const q = d.quote;
  for (let at = 0; at < sources.length; at += 100) {
    const params = d.newParams();
    const list = sources.slice(at, at + 100);
    const bySource = `${ipKey(d, 'src')} IN (${list.map((s) => bindKey(d, params, parseIp(s)!)).join(', ')})`;
    const sql =
      `SELECT ${ipKey(d, 'src')} AS s, ${ipKey(d, 'dst')} AS d, ${q('dport')} AS dport, MIN(${d.timeMs('start')}) AS t, ` +
      `MAX(CASE WHEN ${d.bitAnd(q('tcp_flags'), String(TCP.ACK))} <> 0 THEN 1 ELSE 0 END) AS ok ` +
      `FROM flows WHERE ${windowWhere(d, params, context.from, context.to)} AND ${q('proto')} = 6 AND ${d.bitAnd(q('tcp_flags'), String(TCP.SYN))} <> 0 AND (${bySource}) ` +
      `GROUP BY s, d, dport ORDER BY s, t`;
    for (const r of await store.execute(sql, params.params)) {
      const s = readKey(d, r.s);
      const list = out.get(s) ?? [];
      list.push(num(r, 'ok') === 1);
      out.set(s, list);
    }
  }
  return out;
}

function reproducingQuery(c: Candidate): string {
  const proto = protocolName(c.proto);
  const probe = c.proto === 6 ? ' and flags S and not flags A' : '';
  switch (c.subkind) {
    case 'horizontal':
      return `src ip ${c.src} and proto ${proto} and dst port ${c.dport}${probe}`;
    case 'vertical':
      return `src ip ${c.src} and dst ip ${c.dst} and proto ${proto}${probe}`;
    case 'block':
      return `src ip ${c.src} and proto ${proto}${probe}`;
  }
}

function summary(c: Candidate, score: number): string {
  const proto = protocolName(c.proto);
  const span = Math.max(1, Math.round((c.last - c.first) / 1000));
  const what =
    c.subkind === 'horizontal'
      ? `${c.hosts} hosts on ${proto}/${c.dport}`
      : c.subkind === 'vertical'
        ? `${c.ports} ${proto} ports of ${c.dst}`
        : `${c.ports} ${proto} ports across ${c.hosts} hosts`;
  return `${c.src} ${c.subkind} scan: ${what}, ${c.probes} probes in ${span} s (score ${score.toFixed(2)})`;
}

/** The scan detector. */
export const scanDetector: Detector<ScanConfig> = {
  kind: 'scan',
  description: 'horizontal, vertical and block scans from TCP SYN probes, unanswered UDP and ICMP sweeps, confirmed by TRW',
  config: scanConfig,
  async run(context, config) {
    const t0 = performance.now();
    const found = await candidates(context, config);
    const t1 = performance.now();
    const { kept, parts } = mergeBlocks(found);
    const tcpSources = [...new Set(kept.filter((c) => c.proto === TCP_PROTO).sort((a, b) => b.probes - a.probes).map((c) => c.src))].slice(0, config.maxSources);
    const outcomes = await tcpOutcomes(context, tcpSources);
    const t2 = performance.now();
    const scored = kept.flatMap((c) => {
      const walk = c.proto === TCP_PROTO ? thresholdRandomWalk(outcomes.get(c.src) ?? [], TRW_DEFAULTS) : undefined;
      const intel = threatIntel(context.intel, c.src);
      // UDP and ICMP probes are unanswered by construction: the walk would only count failures.
      const subscores: ScanSubscores = {
        rate: roundScore(rateScore(c.probes, c.last - c.first)),
        breadth: roundScore(breadthScore(c.targets)),
        failure: roundScore(c.subkind === 'block' ? 1 : c.targets / Math.max(c.targets, c.attempted)),
        trw: roundScore(walk ? walk.score : 1),
        intel: intel.length > 0 ? 1 : 0,
      };
      const score = roundScore(scanScore(subscores));
      return score < config.minScore ? [] : [{ c, walk, intel, subscores, score }];
    });
    scored.sort((a, b) => b.score - a.score || b.c.probes - a.c.probes);
    const findings: NewFinding[] = [];
    for (const { c, walk, intel, subscores, score } of scored.slice(0, config.maxFindings)) {
      const query = reproducingQuery(c);
      const merged = parts.get(c) ?? [];
      const window = findingWindow(context, c.first, c.last);
      findings.push({
        id: findingId('scan', c.subkind, c.src, c.dst, c.dport, c.proto),
        kind: 'scan',
        subkind: c.subkind,
        score,
        subscores: { ...subscores },
        severity: severityFor(score),
        src: c.src,
        dst: c.dst,
        dport: c.dport,
        proto: c.proto,
        entities: [{ role: 'scanner', type: 'ip', value: c.src }, ...(c.dst ? [{ role: 'target', type: 'ip' as const, value: c.dst }] : [])],
        first: isoTime(c.first),
        last: isoTime(c.last),
        summary: summary(c, score),
        evidence: await evidence(context, query, window, { probes: c.probes, hosts: c.hosts, ports: c.ports, attempted: c.attempted }, {
          ...(walk ? { trw: { scanner: walk.scanner, contacts: walk.contacts, failures: walk.failures, ratio: Math.round(walk.maxRatio * 100) / 100 } } : {}),
          ...(merged.length > 0 ? { sweeps: merged.map((m) => ({ type: m.subkind, dst: m.dst, dport: m.dport, targets: m.targets })).slice(0, 50) } : {}),
        }),
        intel,
      });
    }
    const t3 = performance.now();
    // ARP sweeps never reach flows: they come from the ARP requests packet captures keep.
    const arp = await arpSweepFindings(context, config);
    findings.push(...arp);
    return { findings, stats: { candidates: found.length, scored: scored.length, findings: findings.length, pastCap: Math.max(0, scored.length - findings.length - arp.length), arpSweeps: arp.length,
      candidatesMs: Math.round(t1 - t0), trwMs: Math.round(t2 - t1), evidenceMs: Math.round(t3 - t2), arpMs: Math.round(performance.now() - t3) } };
  },
};
