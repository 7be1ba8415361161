// The DDoS detector on both backends: real attack captures (StopDDoS, SOURCES.md 2.5) checked
// against their measured ground truth, the CIC-IDS2017 LOIC sample, real busy hosts that must
// stay quiet, and a synthetic busy web server with a learned baseline, flooded and not.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCaptureFiles } from '../../cli/commands/import-capture.js';
import { importFiles } from '../../cli/commands/import.js';
import type { FlowRecord } from '../../core/columns.js';
import { parseIp, type Ip } from '../../core/ip.js';
import type { StoredIndicator } from '../../intel/indicator.js';
import { IntelIndex } from '../../intel/intel-index.js';
import type { Store } from '../../store/store.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { testBackends, type BackendFactory } from '../../test-support/test-backends.js';
import type { DetectionContext, NewFinding } from '../detector.js';
import { findingId } from '../finding.js';
import { ddosConfig, type DdosConfig } from './ddos-config.js';
import { ddosDetector } from './ddos-detector.js';

const quiet = { stderr: { write: () => true } };
const noIntel = new IntelIndex<StoredIndicator>([]);
const ALL_TIME = { from: 0, to: Date.UTC(2100, 0, 1) };

interface Details {
  peakPps: number;
  peakBps: number;
  durationS: number;
  sources: number;
  vectors: { vector: string; packets: number; bytes: number; flows: number; sources: number; share: number; solicitedShare?: number }[];
  attackStart: string;
  baseline: { kind: string; buckets: number; expected: { pps: number; bps: number; sources: number } };
}

const details = (f: NewFinding) => f.evidence.details as unknown as Details;
const vectorOf = (f: NewFinding, name: string) => details(f).vectors.find((v) => v.vector === name);

async function detect(store: Store, window: { from: number; to: number }, config: Partial<DdosConfig> = {}, sampleSize = 3) {
  const context: DetectionContext = { store, from: window.from, to: window.to, intel: noIntel, sampleSize };
  return ddosDetector.run(context, ddosConfig.parse(config));
}

/** A fresh store per describe block, filled by `load`. */
function withStore(make: BackendFactory[1], load: (store: Store) => Promise<unknown>): () => Store {
  let dir = '';
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-ddos-'));
    store = make(dir);
    await store.open();
    await load(store);
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => store;
}

const capture = (name: string) => sharedDataPath(`pcap-malicious/stopddos/${name}`);
const ISAKMP = capture('amp.UDP.isakmp.pcap');
const DNS = capture('amp.dns.RRSIG.fragmented.pcap');
const SYN = capture('pkt.TCP.synflood.spoofed.pcap');
const CIC = sharedDataPath('labeled-flows/cicids2017-improved-sample/DDoS_2500.csv');
const ZEEK_008 = sharedDataPath('labeled-flows/stratosphere-security-datasets/008-zeek-mixed/data/conn.log.labeled');

describe.each(testBackends())('ddos detector (%s)', (_backend, make) => {
  describe.skipIf(!ISAKMP)('IKE/ISAKMP reflection capture', () => {
    const store = withStore(make, (s) => importCaptureFiles(s, [ISAKMP!], { format: 'pcap' }, quiet));

    it('finds the reflection on 10.10.10.10 from its 2,767 reflectors', async () => {
      const { findings } = await detect(store(), ALL_TIME);
      expect(findings).toHaveLength(1);
      const f = findings[0]!;
      expect(f).toMatchObject({ kind: 'ddos', subkind: 'isakmp-reflection', dst: '10.10.10.10', src: null, dport: null, proto: 17 });
      // SOURCES.md 2.5: 3,984 packets from 2,767 reflectors (UDP source port 4500) in 0.41 s.
      const d = details(f);
      expect(d.sources).toBe(2_767);
      expect(vectorOf(f, 'isakmp-reflection')).toMatchObject({ packets: 3_984, sources: 2_767, share: 1, solicitedShare: 0 });
      expect(d.durationS).toBeCloseTo(0.41, 2);
      // 3,984 packets within 0.41 s, spread over the 1 s minimum span.
      expect(d.peakPps).toBe(3_984);
      expect(d.baseline.kind).toBe('none');
      // rate: max(3,984 / 1,000, min(2,767 / 100, 3,984 / 50)) = 27.67 -> 0.5 + 0.5 x log10(27.67) > 1 -> 1;
      // fan-in log10(2,767) / 3 > 1 -> 1; vector 1 (all of it, unsolicited); duration
      // ln(1.409) / ln(601) = 0.054. Score 1 x (0.5 + 0.3 + 0.2 x 0.054) = 0.8108.
      expect(f.subscores).toEqual({ rate: 1, fanIn: 1, vector: 1, duration: 0.054 });
      expect(f.score).toBe(0.811);
      expect(f.severity).toBe('medium');
      expect(f.entities[0]).toEqual({ role: 'victim', type: 'ip', value: '10.10.10.10' });
      expect(f.entities.slice(1).every((e) => e.role === 'reflector')).toBe(true);
      expect(f.entities).toHaveLength(11);
      expect(f.evidence.query).toBe('dst ip 10.10.10.10 and proto udp and src port 4500');
      expect(f.evidence.sample).toHaveLength(3);
      expect(f.evidence.sample.every((r) => r.sport === 4500 && r.dst === '10.10.10.10')).toBe(true);
      expect(f.summary).toContain('2,767 reflectors');
    });
  });

  describe.skipIf(!DNS)('DNS amplification capture (fragmented RRSIG answers, mixed TCP)', () => {
    const store = withStore(make, (s) => importCaptureFiles(s, [DNS!], { format: 'pcap' }, quiet));

    it('names DNS amplification the main vector, fragments credited to it', async () => {
      const { findings } = await detect(store(), ALL_TIME);
      expect(findings).toHaveLength(1);
      const f = findings[0]!;
      // tshark -o ip.defragment:FALSE -Y 'udp.srcport==53': 523 of the 543 answers go to port 22.
      expect(f).toMatchObject({ subkind: 'dns-amplification', dst: '10.10.10.10', src: null, dport: 22, proto: 17 });
      const d = details(f);
      // SOURCES.md 2.5 counts 240 sources over the whole capture: 237 IPv4 sources, all sending to
      // 10.10.10.10 (tshark -T fields -e ip.src, outer header), and 3 IPv6 hosts talking to others.
      expect(d.sources).toBe(240 - 3);
      // tshark -o ip.defragment:FALSE -Y 'udp.srcport==53 and ip.dst==10.10.10.10': 50 distinct sources.
      expect(vectorOf(f, 'dns-amplification')).toMatchObject({ sources: 50, solicitedShare: 0 });
      // Later fragments whose first fragment (with the ports) is not in the capture: port-less flows.
      expect(vectorOf(f, 'fragment-flood')!.packets).toBeGreaterThan(0);
      expect(f.entities.slice(1).every((e) => e.role === 'reflector')).toBe(true);
      expect(f.evidence.query).toBe('dst ip 10.10.10.10 and proto udp and src port 53 and dst port 22');
      expect(f.score).toBeGreaterThanOrEqual(0.4);
      expect(f.severity).toBe('low');
    });
  });

  describe.skipIf(!SYN)('spoofed SYN flood capture', () => {
    const store = withStore(make, (s) => importCaptureFiles(s, [SYN!], { format: 'pcap' }, quiet));

    it('finds the SYN flood on 10.10.10.10:25565 from 37,623 spoofed sources', async () => {
      const { findings } = await detect(store(), ALL_TIME);
      expect(findings).toHaveLength(1);
      const f = findings[0]!;
      expect(f).toMatchObject({ subkind: 'syn-flood', dst: '10.10.10.10', src: null, dport: 25565, proto: 6 });
      // SOURCES.md 2.5: 37,841 SYNs from 37,623 distinct sources in 23.7 s. Flow assembly merges
      // a source's retransmitted SYNs into one flow, so packets are counted, not flows.
      const d = details(f);
      expect(d.sources).toBe(37_623);
      expect(vectorOf(f, 'syn-flood')).toMatchObject({ packets: 37_841, sources: 37_623, share: 1 });
      expect(d.durationS).toBeCloseTo(23.7, 1);
      // rate: 37,841 packets / 23.684 s = 1,597.7 pps; min(37,623 / 100, 1,597.7 / 50 = 31.95) = 31.95
      // -> 1; fan-in 1; vector 1; duration ln(24.684) / ln(601) = 0.501.
      // Score 0.5 + 0.3 + 0.2 x 0.501 = 0.9002.
      expect(f.subscores).toEqual({ rate: 1, fanIn: 1, vector: 1, duration: 0.501 });
      expect(f.score).toBe(0.9);
      expect(f.severity).toBe('high');
      expect(f.entities.slice(1).every((e) => e.role === 'attacker')).toBe(true);
      expect(f.evidence.query).toBe('dst ip 10.10.10.10 and proto tcp and dst port 25565 and flags S and not flags A');
    });
  });

  describe.skipIf(!CIC)('CIC-IDS2017 LOIC HTTP flood (random sample of flows)', () => {
    const store = withStore(make, (s) => importFiles(s, [CIC!], { format: 'cicflowmeter', strict: false, batch: 10_000 } as never, quiet as never));

    it("stays under the default floors at the sample's rates", async () => {
      // The sample keeps 2,500 of the 95,144 DDoS flows (its README): 1 in 38. Its busiest minute
      // (19:10) holds 1,240 forward packets: 20.7 pps, where the attack ran at ~790 pps.
      const { findings, stats } = await detect(store(), ALL_TIME);
      expect(findings).toEqual([]);
      expect(stats?.candidates).toBe(0);
    });

    it('finds the HTTP flood from 172.16.0.1 once floors are scaled to the sample', async () => {
      // A 5 pps floor at the sample's scale is ~190 pps for the whole attack: a small web server's.
      // No history and 21 minutes of data (under the 30 needed for a median): floors only.
      // rate: 20.67 / 5 = 4.133 -> 0.5 + 0.5 x log10(4.133) = 0.808; one source: fan-in 0; HTTP
      // sessions of 8 packets: vector 0.5 x 1; 19.5 minutes: duration 1.
      // Score 0.808 x (0.5 x 0.5 + 0 + 0.2 x 1) = 0.3636, hence a 0.3 reporting threshold.
      const { findings } = await detect(store(), ALL_TIME, { floorPps: 5, minScore: 0.3 });
      // The server's answers to 172.16.0.1 are not a flood of 172.16.0.1 (answers weigh 0.2 < 0.25).
      expect(findings).toHaveLength(1);
      const f = findings[0]!;
      expect(f).toMatchObject({ subkind: 'http-flood', dst: '192.168.10.50', src: '172.16.0.1', dport: 80, proto: 6 });
      expect(f.subscores).toEqual({ rate: 0.808, fanIn: 0, vector: 0.5, duration: 1 });
      expect(f.score).toBe(0.364);
      expect(f.entities).toEqual([
        { role: 'victim', type: 'ip', value: '192.168.10.50' },
        { role: 'attacker', type: 'ip', value: '172.16.0.1' },
      ]);
      expect(details(f).sources).toBe(1);
      expect(vectorOf(f, 'http-flood')).toMatchObject({ flows: 2_500, sources: 1 });
    });
  });

  describe.skipIf(!CIC)('CIC-IDS2017 LOIC HTTP flood imported with its sampling declared (--sampling 38)', () => {
    const store = withStore(make, (s) => importFiles(s, [CIC!], { format: 'cicflowmeter', strict: false, batch: 10_000, sampling: 38 } as never, quiet as never));

    it('finds the one-source session flood with the default settings', async () => {
      const { findings } = await detect(store(), ALL_TIME);
      expect(findings).toHaveLength(1);
      const f = findings[0]!;
      expect(f).toMatchObject({ subkind: 'http-flood', dst: '192.168.10.50', src: '172.16.0.1', dport: 80, proto: 6, severity: 'low' });
      // Busiest minute 19:10: 156 sampled connections x 38 = 5,928 a minute over the full minute;
      // no baseline (21 minutes of data): level 1,000, ratio 5.928, rate 0.5 + 0.5 x log10(5.928)
      // = 0.886. Fan-in 0. Sessions of 8 packets, sizes CV 0.089: vector 0.911 x share 1.
      // 18:56:43 to 19:16:11: duration 1. Score 0.886 x (0.5 x 0.911 + 0.2 x 1) = 0.5808.
      expect(f.subscores).toEqual({ rate: 0.886, fanIn: 0, vector: 0.911, duration: 1 });
      expect(f.score).toBe(0.581);
      const d = f.evidence.details as Record<string, unknown>;
      // 2,500 connections x 38 = 95,000: the 95,144 of the full file, estimated.
      expect(d).toMatchObject({ peakConnectionsPerMinute: 5_928, connections: 95_000, allConnections: 95_000, sources: 1, sessionSizeCv: 0.089, packetsPerFlow: 8 });
      expect(f.entities).toEqual([
        { role: 'victim', type: 'ip', value: '192.168.10.50' },
        { role: 'attacker', type: 'ip', value: '172.16.0.1' },
      ]);
      expect(f.evidence.query).toBe('dst ip 192.168.10.50 and proto tcp and dst port 80 and src ip 172.16.0.1');
      expect(f.evidence.sample.length).toBeGreaterThan(0);
    });
  });

  describe('session floods: one flooding client, and a busy proxy at the same connection rate', () => {
    // Ten minutes from 12:00. 203.0.113.7 opens 3,000 connections a minute (one every 20 ms) to
    // 192.0.2.50:80, sessions of 2 s alternating 8 packets / 600 bytes and 9 packets / 652 bytes
    // (a retransmitted segment). 198.51.100.9, a proxy, opens as many to 192.0.2.60:443, sizes
    // 400 x 2^k bytes (k = 0..7 in turn, packets bytes / 500 + 4): pages, images, videos.
    const t0 = Date.UTC(2024, 2, 6, 12);
    const MINUTE = 60_000;
    const flows = (src: string, dst: string, dport: number, size: (i: number) => { packets: number; bytes: number }): FlowRecord[] =>
      Array.from({ length: 10 * 3_000 }, (_, i) => ({
        start: t0 + Math.floor(i / 3_000) * MINUTE + (i % 3_000) * 20,
        end: t0 + Math.floor(i / 3_000) * MINUTE + (i % 3_000) * 20 + 2_000,
        src: parseIp(src)!,
        dst: parseIp(dst)!,
        sport: 1_024 + (i % 60_000),
        dport,
        proto: 6,
        tcp_flags: 0x1b,
        ...size(i),
      }));
    const flood = flows('203.0.113.7', '192.0.2.50', 80, (i) => (i % 2 === 0 ? { packets: 8, bytes: 600 } : { packets: 9, bytes: 652 }));
    const proxy = flows('198.51.100.9', '192.0.2.60', 443, (i) => ({ packets: (400 * 2 ** (i % 8)) / 500 + 4, bytes: 400 * 2 ** (i % 8) }));
    const store = withStore(make, async (s) => {
      await s.appendFlows(flood);
      await s.appendFlows(proxy);
    });
    const window = { from: t0 - 60 * MINUTE, to: t0 + 60 * MINUTE };

    it('reports the flooding client and not the proxy', async () => {
      const { findings } = await detect(store(), window);
      expect(findings).toHaveLength(1);
      const f = findings[0]!;
      expect(f).toMatchObject({ subkind: 'http-flood', dst: '192.0.2.50', src: '203.0.113.7', dport: 80, proto: 6, severity: 'low' });
      // Each minute: 3,000 connections from the first start to the last end (61.98 s, the bucket's
      // 60 s at most): 3,000 a minute. No baseline (10 minutes of data): level 1,000, ratio 3,
      // rate 0.5 + 0.5 x log10(3) = 0.7386. Sizes 600 and 652: CV 26 / 626 = 0.0415, 8.5 packets a
      // flow: vector 0.9585. 12:00:00 to 12:10:01.98: duration 1.
      // Score 0.7386 x (0.5 x 0.9585 + 0.2) = 0.5017.
      expect(f.subscores).toEqual({ rate: 0.739, fanIn: 0, vector: 0.958, duration: 1 });
      expect(f.score).toBe(0.502);
      expect(f.entities[1]).toEqual({ role: 'attacker', type: 'ip', value: '203.0.113.7' });
      expect(f.first).toBe('2024-03-06T12:00:00.000Z');
    });

    it('scores the proxy far below minScore when nothing is filtered', async () => {
      // The proxy's 1,475 pps also make a volumetric episode (sessions of 29.5 packets: score 0.25,
      // unreported); floors out of its reach leave the session score alone to see.
      const { findings } = await detect(store(), window, { minScore: 0, minVector: 0, floorPps: 1e9, floorBps: 1e12, floorSources: 1e6 });
      const p = findings.find((f) => f.dst === '192.0.2.60')!;
      // The same rate 0.7386 and duration 1; sizes 400 x 2^k: CV 1.299, regularity 0: vector 0.
      // Score 0.7386 x 0.2 = 0.1477.
      expect(p).toMatchObject({ subkind: 'http-flood', src: '198.51.100.9', dport: 443 });
      expect(p.subscores).toEqual({ rate: 0.739, fanIn: 0, vector: 0, duration: 1 });
      expect(p.score).toBe(0.148);
    });
  });

  describe('a load balancer opening 1,500 alike connections a minute to its backend', () => {
    // 10.1.0.1 -> 10.2.0.8:8080, one connection every 40 ms, 6 packets / 900 bytes each, for two
    // hours (11:00 to 13:00).
    const t0 = Date.UTC(2024, 2, 6, 11);
    const MINUTE = 60_000;
    const store = withStore(make, (s) =>
      s.appendFlows(
        Array.from({ length: 120 * 1_500 }, (_, i) => ({
          start: t0 + i * 40,
          end: t0 + i * 40 + 300,
          src: parseIp('10.1.0.1')!,
          dst: parseIp('10.2.0.8')!,
          sport: 1_024 + (i % 60_000),
          dport: 8080,
          proto: 6,
          tcp_flags: 0x1b,
          packets: 6,
          bytes: 900,
        })),
      ),
    );
    const lastQuarter = { from: t0 + 105 * MINUTE, to: t0 + 120 * MINUTE };

    it('is its normal: cleared by the hour of history before the window', async () => {
      // History 12:00-12:45 (45 buckets) at 1,500 a minute, MAD 0: level max(1,000, 2 x 1,500) = 3,000.
      const { findings, stats } = await detect(store(), lastQuarter, { baselineHours: 1 });
      expect(stats?.sessionCandidates).toBe(1);
      expect(findings).toEqual([]);
    });

    it('would be reported on the floors alone, without history', async () => {
      // 15 minutes (under 30 for a median): level 1,000, ratio 1.5, rate 0.588; CV 0, 6 packets:
      // vector 1; 15 minutes: duration 1. 0.588 x (0.5 + 0.2) = 0.4116.
      const { findings } = await detect(store(), lastQuarter, { baselineHours: 0 });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ subkind: 'http-flood', src: '10.1.0.1', dport: 8080, score: 0.412 });
    });
  });

  describe.skipIf(!ZEEK_008)('a Windows host on the Internet, probed by 1,599 sources in a day (Stratosphere 008)', () => {
    const store = withStore(make, (s) => importFiles(s, [ZEEK_008!], { format: 'zeek-tsv', strict: false, batch: 10_000 } as never, quiet as never));

    it('raises nothing: fan-in spread over a day at a few packets a second is no flood', async () => {
      const { findings, stats } = await detect(store(), ALL_TIME);
      expect(findings).toEqual([]);
      expect(stats?.candidates).toBe(0);
    });
  });

  describe('a busy web server with a learned baseline', () => {
    // 192.0.2.80:443 serves 300 clients a minute, one 20-packet 10 kB session each, all day:
    // 6,000 packets a minute over a full 60 s span = 100 pps, 300 x 10,000 x 8 / 60 = 400,000
    // bit/s, 300 sources. From 23:58 to 00:02 (five minutes) a SYN flood adds 12,000 one-packet
    // 40-byte SYNs a minute from 12,000 spoofed sources never seen twice.
    const midnight = Date.UTC(2024, 2, 6);
    const MINUTE = 60_000;
    const server = parseIp('192.0.2.80')!;
    const client0 = parseIp('172.16.1.0') as number;
    const spoofed0 = parseIp('100.0.0.0') as number;
    const web = (m: number): FlowRecord[] =>
      Array.from({ length: 300 }, (_, i) => ({
        start: m + i * 200,
        end: m + i * 200 + 400,
        src: client0 + i,
        dst: server,
        sport: 40_000 + i,
        dport: 443,
        proto: 6,
        tcp_flags: 0x1b,
        packets: 20,
        bytes: 10_000,
      }));
    const syn = (m: number, first: number): FlowRecord[] =>
      Array.from({ length: 12_000 }, (_, j) => ({
        start: m + 5 * j,
        end: m + 5 * j,
        src: spoofed0 + first + j,
        dst: server,
        sport: 1_024 + (j % 60_000),
        dport: 443,
        proto: 6,
        tcp_flags: 2,
        packets: 1,
        bytes: 40,
      }));
    async function load(store: Store, attack: boolean) {
      for (let m = midnight - 3 * 60 * MINUTE; m < midnight + 60 * MINUTE; m += MINUTE) {
        const k = (m - midnight) / MINUTE;
        await store.appendFlows(attack && k >= -2 && k <= 2 ? [...web(m), ...syn(m, (k + 2) * 12_000)] : web(m));
      }
    }
    // Two hours of history keep the test quick; the default is 24.
    const config = { baselineHours: 2 };

    describe('steady', () => {
      const store = withStore(make, (s) => load(s, false));

      it('is examined (it passes the fan-in floor) and cleared by its baseline', async () => {
        // Candidate pass: 300 flows >= 100 and 100 pps >= 50: hot. Baseline: median 300 sources (MAD
        // 0) -> level max(100, 300, 2 x 300) = 600; 300 / 600 = 0.5 < 1.
        const { findings, stats } = await detect(store(), { from: midnight - 60 * MINUTE, to: midnight }, config);
        expect(stats?.candidates).toBe(1);
        expect(findings).toEqual([]);
      });

      it("is cleared by the window's own median without history", async () => {
        const { findings, stats } = await detect(store(), { from: midnight - 60 * MINUTE, to: midnight }, { baselineHours: 0 });
        expect(stats?.candidates).toBe(1);
        expect(findings).toEqual([]);
      });
    });

    describe('flooded across midnight', () => {
      const store = withStore(make, (s) => load(s, true));

      it('scores the flood against the baseline, and keeps one finding across runs', async () => {
        const before = await detect(store(), { from: midnight - 60 * MINUTE, to: midnight }, config);
        expect(before.findings).toHaveLength(1);
        const f = before.findings[0]!;
        expect(f).toMatchObject({ subkind: 'syn-flood', dst: '192.0.2.80', dport: 443, src: null, proto: 6 });
        // Attack minutes: 6,000 + 12,000 = 18,000 packets / 60 s = 300 pps; 12,300 sources.
        // Baseline (120 minutes of history): 100 pps, 300 sources, MAD 0 -> levels 1,000 pps (the
        // floor), 600 sources. Ratio max(300 / 1,000, min(12,300 / 600 = 20.5, 300 / 50 = 6)) = 6:
        // rate 0.5 + 0.5 x log10(6) = 0.889.
        // Vectors over 23:58-23:59: SYN 24,000 of 36,000 packets (0.667), bytes 960,000 of
        // 6,960,000; sessions 12,000 packets, 6,000,000 bytes (0.862 x 0.5 = 0.431): SYN leads, 0.667.
        // Fan-in 24,000 -> 1. Duration 23:58:00 to 00:00:00.2 = 120.2 s: ln(121.2) / ln(601) = 0.750.
        // Score 0.889 x (0.5 x 0.667 + 0.3 + 0.2 x 0.75) = 0.889 x 0.7835 = 0.6965.
        expect(f.subscores).toEqual({ rate: 0.889, fanIn: 1, vector: 0.667, duration: 0.75 });
        expect(f.score).toBe(0.697);
        const d = details(f);
        expect(d.baseline).toMatchObject({ kind: 'history', buckets: 120, expected: { pps: 1_000, bps: 100_000_000, sources: 600 } });
        expect(d.sources).toBe(24_300);
        expect(d.peakPps).toBe(300);
        expect(vectorOf(f, 'syn-flood')).toMatchObject({ packets: 24_000, flows: 24_000, sources: 24_000 });
        expect(f.entities[1]).toEqual({ role: 'attacker', type: 'ip', value: '100.0.0.0' });
        expect(f.first).toBe('2024-03-05T23:58:00.000Z');

        // The next hour sees the flood still on at its start; looking back through the history it
        // finds the start at 23:58 on the 5th, so the finding keeps its id.
        const after = await detect(store(), { from: midnight, to: midnight + 60 * MINUTE }, config);
        expect(after.findings).toHaveLength(1);
        const g = after.findings[0]!;
        expect(details(g).attackStart).toBe('2024-03-05T23:58:00.000Z');
        expect(g.first).toBe('2024-03-06T00:00:00.000Z');
        expect(g.id).toBe(f.id);
        expect(g.id).toBe(findingId('ddos', '192.0.2.80', 'syn-flood', '2024-03-05'));
        // 00:00 to 00:02:00.2 = 180.2 s: ln(181.2) / ln(601) = 0.813;
        // 0.889 x (0.3335 + 0.3 + 0.1626) = 0.7077.
        expect(g.score).toBe(0.708);
      });
    });
  });

  describe('an IPv6 victim without history', () => {
    // 2,000 SYNs from 2,000 IPv6 sources to [2001:db8::80]:80 within 1,999 ms.
    const t0 = Date.UTC(2024, 2, 6, 12);
    const victim = parseIp('2001:db8::80') as Ip;
    const base = parseIp('2001:db8:1::') as bigint;
    const store = withStore(make, (s) =>
      s.appendFlows(
        Array.from({ length: 2_000 }, (_, j) => ({ start: t0 + j, end: t0 + j, src: base + BigInt(j), dst: victim, sport: 30_000 + j, dport: 80, proto: 6, tcp_flags: 2, packets: 1, bytes: 60 })),
      ),
    );

    it('finds the flood against the floors alone', async () => {
      const { findings } = await detect(store(), { from: t0 - 3_600_000, to: t0 + 3_600_000 });
      expect(findings).toHaveLength(1);
      const f = findings[0]!;
      expect(f).toMatchObject({ subkind: 'syn-flood', dst: '2001:db8::80', dport: 80, proto: 6 });
      expect(details(f).sources).toBe(2_000);
      // 2,000 packets / 1.999 s = 1,000.5 pps; ratio min(2,000 / 100, 1,000.5 / 50) = 20 -> rate 1;
      // fan-in 1; vector 1; duration ln(2.999) / ln(601) = 0.172. Score 0.5 + 0.3 + 0.0344 = 0.8344.
      expect(f.subscores).toEqual({ rate: 1, fanIn: 1, vector: 1, duration: 0.172 });
      expect(f.score).toBe(0.834);
      expect(f.entities[1]).toEqual({ role: 'attacker', type: 'ip', value: '2001:db8:1::' });
    });
  });
});
