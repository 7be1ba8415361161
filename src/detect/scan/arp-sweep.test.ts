// ARP sweeps on every backend: the two ARP scans of shared/data (SOURCES.md, counts re-read with
// tshark: `-Y arp -T fields -e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 -e arp.opcode`) imported
// through `vantage import --format pcap`, a capture with ordinary ARP, and hand-made rows for
// what must stay quiet (a host and its gateway, a router resolving hosts slowly, 0.0.0.0 probes,
// gratuitous ARP) and for a sweep over two /24s. Scores are worked out in the comments.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importCaptureFiles } from '../../cli/commands/import-capture.js';
import { parseCidr, parseIp } from '../../core/ip.js';
import type { ArpRequest } from '../../decode/arp/arp-request.js';
import type { StoredIndicator } from '../../intel/indicator.js';
import { IntelIndex } from '../../intel/intel-index.js';
import { appendArpRequests } from '../../store/arp-request-table.js';
import type { Store } from '../../store/store.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { testBackends } from '../../test-support/test-backends.js';
import type { NewFinding } from '../detector.js';
import { findingId } from '../finding.js';
import { arpBreadthScore, arpRateScore, arpSweepConfig, arpSweepFindings, arpSweepScore, type ArpSweepConfig } from './arp-sweep.js';

const TEST8 = sharedDataPath('pcap-malicious/slips/test8-malicious.pcap');
const NMAP = sharedDataPath('pcap-malicious/zeek/nmap-vsn.pcap');
const SLL = sharedDataPath('pcap-malicious/ndpi/log4j-webapp-exploit.pcap');
const quiet = { stderr: { write: () => true } };
const FAR_FUTURE = Date.UTC(2100, 0, 1);
const T0 = Date.UTC(2024, 0, 1);

type Details = {
  arpRequests: { table: string; where: string; senderMacs: string[]; sample: Record<string, unknown>[] };
  targetPrefixes: { prefix: string; targets: number }[];
  peakTargetsPerMinute: number;
};
const details = (f: NewFinding) => f.evidence.details as unknown as Details;

describe('ARP sweep score (worked examples)', () => {
  test('breadth, rate and their blend', () => {
    expect(arpBreadthScore(1)).toBe(0);
    expect(arpBreadthScore(2)).toBe(0.125); // log2 2 / 8
    expect(arpBreadthScore(32)).toBe(0.625); // 5 / 8
    expect(arpBreadthScore(256)).toBe(1);
    expect(arpBreadthScore(65536)).toBe(1);
    expect(arpRateScore(12, 60)).toBe(0.2);
    expect(arpRateScore(255, 60)).toBe(1);
    // A whole /24 in one minute: log2 255 / 8 = 7.99435 / 8 = 0.99929, times (0.5 + 0.5) = 0.99929.
    expect(arpSweepScore({ breadth: arpBreadthScore(255), rate: 1 })).toBeCloseTo(0.99929, 5);
    // The same /24 at 12 a minute: 0.99929 · (0.5 + 0.1) = 0.59958.
    expect(arpSweepScore({ breadth: arpBreadthScore(255), rate: 0.2 })).toBeCloseTo(0.59958, 5);
    // A gateway resolving 40 hosts, one a minute at most: log2 40 / 8 = 0.66524; · (0.5 + 1/120) = 0.33816.
    expect(arpSweepScore({ breadth: arpBreadthScore(40), rate: arpRateScore(1, 60) })).toBeCloseTo(0.33816, 5);
    // The smallest default sweep, 32 in a minute: 0.625 · (0.5 + 0.5·32/60) = 0.625 · 0.76667 = 0.47917.
    expect(arpSweepScore({ breadth: 0.625, rate: arpRateScore(32, 60) })).toBeCloseTo(0.47917, 5);
  });
});

/** Hand-made rows, one per (sender, MAC, target, minute) as the pcap import groups them. */
function syntheticRows(): ArpRequest[] {
  const row = (ts: number, src: string, dst: string, mac: string, requests = 1): ArpRequest => ({
    ts,
    ts_last: ts,
    src: parseIp(src)!,
    src_mac: `02:00:00:00:00:${mac}`,
    dst: parseIp(dst)!,
    requests,
    gratuitous: src === dst,
  });
  const rows: ArpRequest[] = [];
  // An ordinary host: its gateway twice a minute for an hour, and three LAN peers once.
  for (let m = 0; m < 60; m++) rows.push({ ...row(T0 + m * 60_000, '10.0.0.5', '10.0.0.1', '05', 2), ts_last: T0 + m * 60_000 + 30_000 });
  for (const peer of ['10.0.0.20', '10.0.0.21', '10.0.0.22']) rows.push(row(T0 + 600_000, '10.0.0.5', peer, '05'));
  // The gateway resolving 40 hosts, one every 90 s: never two in one minute.
  for (let i = 0; i < 40; i++) rows.push(row(T0 + i * 90_000, '10.0.0.1', `10.0.0.${100 + i}`, '01'));
  // A switch's device tracking: 50 probes from 0.0.0.0 in one minute (RFC 5227 form).
  for (let i = 0; i < 50; i++) rows.push(row(T0 + 1000 + i * 100, '0.0.0.0', `10.0.0.${150 + i}`, '99'));
  // 50 gratuitous announcements (one row: the same target each time).
  rows.push({ ...row(T0 + 2000, '10.0.0.9', '10.0.0.9', '09', 50), ts_last: T0 + 50_000 });
  // A sweep over two /24s from two MACs: 64 addresses of 10.0.0.0/24 in one minute, then 32 of 10.0.1.0/24.
  const sweep = T0 + 7_200_000;
  for (let i = 0; i < 64; i++) rows.push(row(sweep + i * 100, '10.0.0.66', `10.0.0.${i}`, '66'));
  for (let i = 0; i < 32; i++) rows.push(row(sweep + 60_000 + i * 100, '10.0.0.66', `10.0.1.${i}`, '67'));
  return rows;
}

describe.each(testBackends())('ARP sweeps on %s', (name, make) => {
  let dir: string;
  let store: Store;
  const arpRequests: number[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-arp-sweep-'));
    store = make(dir);
    await store.open();
    for (const file of [TEST8, NMAP, SLL]) {
      if (!file) continue;
      // The last one as `vantage import --enrich` does it: a wrapping sink, the store named as httpStore.
      const { files } =
        file === SLL
          ? await importCaptureFiles({ appendFlows: (r) => store.appendFlows(r) }, [file], { format: 'pcap', httpStore: store, arpStore: store }, quiet)
          : await importCaptureFiles(store, [file], { format: 'pcap' }, quiet);
      arpRequests.push(files[0]!.arpRequests ?? -1);
    }
    await appendArpRequests(store, syntheticRows());
  }, 60_000);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (from: number, to: number, config: Partial<ArpSweepConfig> = {}, sampleSize = 3) =>
    arpSweepFindings({ store, from, to, intel: new IntelIndex<StoredIndicator>([]), sampleSize }, arpSweepConfig.parse(config));
  const table = name === 'duckdb' ? 'arp_requests' : 'vantage.arp_requests';

  test.skipIf(!TEST8 || !NMAP || !SLL)('the import counts every ARP request tshark shows', () => {
    // test8: 507 from .247, 3 from .1, 3 from .122, 1 from .245; nmap-vsn: 503 from .71; nDPI log4j: 2.
    expect(arpRequests).toEqual([514, 503, 2]);
  });

  test.skipIf(!TEST8)('Slips test8: 192.168.1.247 sweeps 192.168.1.0/24', async () => {
    const found = (await run(0, FAR_FUTURE)).filter((f) => f.src === '192.168.1.247');
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(f).toMatchObject({
      id: findingId('scan', 'arp-sweep', '192.168.1.247'),
      kind: 'scan',
      subkind: 'arp-sweep',
      // 255 addresses (every other one of the /24, .0 and .255 included) all in one minute:
      // breadth log2 255 / 8 = 0.99929, rate 1; score 0.99929 · 1.
      subscores: { breadth: 0.999, rate: 1 },
      score: 0.999,
      severity: 'high',
      src: '192.168.1.247',
      dst: null,
      dport: null,
      proto: null,
      entities: [{ role: 'scanner', type: 'ip', value: '192.168.1.247' }],
      // tshark frame.time_epoch of the first and last request: 1632214650.471083, 1632214653.764063.
      first: '2021-09-21T08:57:30.471Z',
      last: '2021-09-21T08:57:33.764Z',
      summary: '192.168.1.247 ARP sweep: 255 addresses of 192.168.1.0/24, 507 requests in 3 s (score 1.00)',
    });
    expect(f.evidence).toMatchObject({ counts: { requests: 507, targets: 255 }, query: 'src ip 192.168.1.247', from: '2021-09-21T08:57:30.471Z', to: '2021-09-21T08:57:33.765Z' });
    expect(f.evidence.sample.length).toBeLessThanOrEqual(3);
    expect(details(f)).toEqual({
      arpRequests: {
        table,
        where: 'src = 192.168.1.247 and not gratuitous',
        senderMacs: ['50:ed:3c:39:bc:d9'],
        // tshark: .0 asked at 50.471083 and 52.564334, .1 once at 50.485383, .2 at 50.485385 and 52.564337.
        sample: [
          { first: '2021-09-21T08:57:30.471Z', last: '2021-09-21T08:57:32.564Z', target: '192.168.1.0', src_mac: '50:ed:3c:39:bc:d9', requests: 2 },
          { first: '2021-09-21T08:57:30.485Z', last: '2021-09-21T08:57:30.485Z', target: '192.168.1.1', src_mac: '50:ed:3c:39:bc:d9', requests: 1 },
          { first: '2021-09-21T08:57:30.485Z', last: '2021-09-21T08:57:32.564Z', target: '192.168.1.2', src_mac: '50:ed:3c:39:bc:d9', requests: 2 },
        ],
      },
      targetPrefixes: [{ prefix: '192.168.1.0/24', targets: 255 }],
      peakTargetsPerMinute: 255,
    });
  });

  test.skipIf(!NMAP)('Zeek nmap-vsn: 192.168.1.71 host discovery, alone in its window', async () => {
    const found = await run(Date.UTC(2011, 8, 27), Date.UTC(2011, 8, 28));
    expect(found.map((f) => f.src)).toEqual(['192.168.1.71']);
    const f = found[0]!;
    expect(f).toMatchObject({
      id: findingId('scan', 'arp-sweep', '192.168.1.71'),
      // 245 addresses in one minute: log2 245 / 8 = 7.93663 / 8 = 0.99208.
      subscores: { breadth: 0.992, rate: 1 },
      score: 0.992,
      severity: 'high',
      first: '2011-09-27T18:07:20.497Z',
      last: '2011-09-27T18:07:22.602Z',
      summary: '192.168.1.71 ARP sweep: 245 addresses of 192.168.1.0/24, 503 requests in 2 s (score 0.99)',
    });
    expect(f.evidence.counts).toEqual({ requests: 503, targets: 245 });
    expect(details(f).targetPrefixes).toEqual([{ prefix: '192.168.1.0/24', targets: 245 }]);
    expect(details(f).arpRequests.senderMacs).toEqual(['c4:2c:03:3b:6c:aa']);
    expect(details(f).peakTargetsPerMinute).toBe(245);
  });

  test.skipIf(!SLL)('ordinary ARP of a capture (two lookups of one address each) gives nothing', async () => {
    // nDPI log4j-webapp-exploit.pcap: 172.16.238.10 asks for .11, 172.16.238.1 asks for .10.
    const d = store.dialect;
    const params = d.newParams();
    const stored = await store.execute(
      `SELECT COUNT(*) AS n FROM ${table} WHERE ${d.ipInRange('src', parseCidr('172.16.238.0/24')!, params)} AND ${d.ipInRange('dst', parseCidr('172.16.238.0/24')!, params)}`,
      params.params,
    );
    expect(Number(stored[0]!.n)).toBe(2);
    expect(await run(Date.UTC(2021, 11, 13), Date.UTC(2021, 11, 14))).toEqual([]);
    expect(await run(Date.UTC(2021, 11, 13), Date.UTC(2021, 11, 14), { minArpTargets: 2, arpMinScore: 0 })).toEqual([]);
  });

  test('a host and its gateway, a slow router, 0.0.0.0 probes and gratuitous ARP stay quiet; a two-/24 sweep does not', async () => {
    const found = await run(T0, T0 + 86_400_000);
    expect(found.map((f) => f.src)).toEqual(['10.0.0.66']);
    const f = found[0]!;
    expect(f).toMatchObject({
      // 96 addresses, 64 of them in the busiest minute: breadth log2 96 / 8 = 6.58496 / 8 = 0.82312, rate 1.
      subscores: { breadth: 0.823, rate: 1 },
      score: 0.823,
      severity: 'medium',
      first: '2024-01-01T02:00:00.000Z',
      last: '2024-01-01T02:01:03.100Z',
      summary: '10.0.0.66 ARP sweep: 96 addresses across 2 /24s (most in 10.0.0.0/24), 96 requests in 63 s (score 0.82)',
    });
    expect(f.evidence.counts).toEqual({ requests: 96, targets: 96 });
    expect(f.evidence.sample).toEqual([]); // no flows were stored for it
    expect(details(f).targetPrefixes).toEqual([
      { prefix: '10.0.0.0/24', targets: 64 },
      { prefix: '10.0.1.0/24', targets: 32 },
    ]);
    expect(details(f).arpRequests.senderMacs).toEqual(['02:00:00:00:00:66', '02:00:00:00:00:67']);
    expect(details(f).peakTargetsPerMinute).toBe(64);
    // With no score floor the slow router shows, at the score worked out above: 0.66524 · 0.50833 = 0.33816.
    const all = await run(T0, T0 + 86_400_000, { arpMinScore: 0 }, 0);
    expect(all.map((x) => [x.src, x.score, x.severity, x.subscores])).toEqual([
      ['10.0.0.66', 0.823, 'medium', { breadth: 0.823, rate: 1 }],
      ['10.0.0.1', 0.338, 'info', { breadth: 0.665, rate: 0.017 }],
    ]);
    expect(details(all[1]!).arpRequests.sample).toEqual([]);
    // Below minArpTargets nothing is even scored: the host's 4 targets, the router's 40 under 41.
    expect((await run(T0, T0 + 86_400_000, { arpMinScore: 0, minArpTargets: 41 })).map((x) => x.src)).toEqual(['10.0.0.66']);
  });

  test('a store without ARP rows in the window gives nothing', async () => {
    expect(await run(Date.UTC(2030, 0, 1), Date.UTC(2030, 0, 2))).toEqual([]);
  });
});
