// The scan, brute-force, C2 and repeat detectors and the findings store on real shared data,
// against both store backends. Expected values come from SOURCES.md's ground truth and from
// the raw logs (counted by hand or with awk, as the comments say), not from Vantage's output.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCaptureFiles } from '../cli/commands/import-capture.js';
import { importFiles } from '../cli/commands/import.js';
import type { FlowRecord } from '../core/columns.js';
import { parseIp } from '../core/ip.js';
import { loadIntelIndex } from '../enrich/create-enricher.js';
import { IndicatorRepository } from '../intel/indicator-repository.js';
import { loadFeeds } from '../intel/load-feeds.js';
import type { Store } from '../store/store.js';
import { sharedDataPath } from '../test-support/shared-data.js';
import { testBackends } from '../test-support/test-backends.js';
import type { Finding } from './finding.js';
import { FALSE_POSITIVE_SOURCE, FindingsRepository } from './findings-repository.js';
import { runDetections } from './run-detections.js';

const quiet = { stderr: { write: () => true } };
const ALL_TIME = { from: Date.UTC(1970, 0, 1), to: Date.UTC(2030, 0, 1) };

const files = {
  synscan: sharedDataPath('pcap-malicious/ndpi/synscan.pcap'),
  horizontal: sharedDataPath('labeled-flows/slips/port-scans/horizontal/conn.log'),
  vertical: sharedDataPath('labeled-flows/slips/port-scans/vertical/conn.log'),
  nmap: sharedDataPath('labeled-flows/stratosphere-security-datasets/002-zeek-scenario-port-scanning/conn.log'),
  sshBrute: sharedDataPath('pcap-malicious/slips/malicious-ssh-bruteforce.pcap'),
  emotet: sharedDataPath('pcap-malicious/ndpi/emotet.pcap'),
  trickbot: sharedDataPath('pcap-malicious/ndpi/trickbot.pcap'),
  malware: sharedDataPath('pcap-malicious/ndpi/malware.pcap'),
  maltrail: sharedDataPath('threat-intel/maltrail/emotet.txt'),
  day008: sharedDataPath('labeled-flows/stratosphere-security-datasets/008-zeek-mixed/data/conn.log.labeled'),
  day010: sharedDataPath('labeled-flows/stratosphere-security-datasets/010-zeek-mixed/data/conn.log.labeled'),
};
const haveAll = Object.values(files).every((f) => f !== undefined);

function one(findings: readonly Finding[], where: Partial<Finding>): Finding {
  const hits = findings.filter((f) => Object.entries(where).every(([k, v]) => (f as unknown as Record<string, unknown>)[k] === v));
  expect(hits, JSON.stringify(where)).toHaveLength(1);
  return hits[0]!;
}

describe.skipIf(!haveAll).each(testBackends())('detectors on real data (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-detect-'));
    store = makeStore(dir);
    await store.open();
    await importCaptureFiles(store, [files.synscan!, files.sshBrute!, files.emotet!, files.trickbot!, files.malware!], { format: 'pcap' }, quiet);
    await importFiles(store, [files.horizontal!, files.vertical!, files.nmap!], { format: 'auto', strict: false } as never, quiet);
    await importFiles(store, [files.day008!, files.day010!], { format: 'zeek-tsv', strict: false } as never, quiet);
    const repo = new IndicatorRepository(store);
    await repo.ensureTables();
    await loadFeeds(repo, [files.maltrail!], {}, quiet as never);
  }, 240_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scan: every scanner of the shared data, with its kind', async () => {
    const { findings } = await runDetections(store, { kinds: ['scan'], ...ALL_TIME, sampleSize: 2 });
    // SOURCES.md 2.2: nmap SYN scan 172.16.0.8 -> 64.13.134.52, 1,000 distinct ports.
    const syn = one(findings, { src: '172.16.0.8', subkind: 'vertical' });
    expect(syn.dst).toBe('64.13.134.52');
    expect(syn.evidence.counts.ports).toBe(1000);
    expect(syn.severity).toBe('high');
    expect(syn.evidence.sample).toHaveLength(2);
    expect(syn.evidence.query).toBe('src ip 172.16.0.8 and dst ip 64.13.134.52 and proto tcp and flags S and not flags A');
    // Slips horizontal scan: 10 S0 connections from 10.0.2.112 to 10 hosts on port 80
    // (awk -F'\t' '$6==80 && $12=="S0"' conn.log: 10 rows, 10 distinct id.resp_h).
    const h = one(findings, { src: '10.0.2.112', subkind: 'horizontal' });
    expect(h.dport).toBe(80);
    expect(h.evidence.counts.hosts).toBe(10);
    // Slips vertical scan: 192.168.1.9 -> 45.33.32.156, 42 ports refused (conn_state REJ).
    const v = one(findings, { src: '192.168.1.9', subkind: 'vertical' });
    expect(v.dst).toBe('45.33.32.156');
    expect(v.evidence.counts.ports).toBe(42);
    // SOURCES.md 3.1: the single nmap scanner 172.16.1.11 sweeping three networks: a block scan.
    one(findings, { src: '172.16.1.11', subkind: 'block' });
    // The C2 and brute-force captures hold no scan.
    for (const benign of ['10.4.25.101', '10.12.29.101', '147.32.80.40']) expect(findings.filter((f) => f.src === benign)).toEqual([]);
  });

  it('bruteforce: the SSH brute force of the Slips capture', async () => {
    const { findings } = await runDetections(store, { kinds: ['bruteforce'], ...ALL_TIME, save: false });
    // SOURCES.md 2.3: 147.32.80.40 -> 147.32.80.37:902, 67 TCP connections in 12.8 s.
    const b = one(findings, { src: '147.32.80.40' });
    expect(b).toMatchObject({ dst: '147.32.80.37', dport: 902, kind: 'bruteforce' });
    expect(b.evidence.counts.connections).toBe(67);
  });

  it('bruteforce under 1-in-4 flow sampling: connections estimated from the flows kept, bytes per connection unscaled', async () => {
    // The Slips brute force again, as a 1-in-4 flow-sampling exporter would report it (from
    // another address, 147.32.80.41): every 4th of its 67 connection flows kept, with sampling 4
    // and packets and bytes x 4 (as the decoders and import --sampling scale them).
    const all: FlowRecord[] = [];
    await importCaptureFiles({ appendFlows: async (r) => void all.push(...r) }, [files.sshBrute!], { format: 'pcap', httpStore: store, tlsStore: store, arpStore: store }, quiet);
    const [attacker, victim] = [parseIp('147.32.80.40')!, parseIp('147.32.80.37')!];
    const connections = all.filter((f) => f.src === attacker && f.dst === victim && f.dport === 902 && (f.tcp_flags & 2) !== 0).sort((a, b) => a.start - b.start);
    expect(connections).toHaveLength(67);
    const kept = connections.filter((_, i) => i % 4 === 0).map((f) => ({ ...f, src: parseIp('147.32.80.41')!, sampling: 4, packets: f.packets * 4, bytes: f.bytes * 4 }));
    expect(kept).toHaveLength(17);
    await store.appendFlows(kept);
    const { findings } = await runDetections(store, { kinds: ['bruteforce'], ...ALL_TIME, save: false });
    const b = one(findings, { src: '147.32.80.41' });
    expect(b.evidence.counts).toMatchObject({ connections: 68, flows: 17 });
    // Bytes per connection: what each kept connection sent, not four times it.
    const perConnection = kept.reduce((sum, f) => sum + f.bytes / 4, 0) / kept.length;
    expect(b.evidence.counts.bytes! / b.evidence.counts.connections!).toBeCloseTo(perConnection, 6);
    expect(b.summary).toMatch(/^147\.32\.80\.41 opened ~68 connections to 147\.32\.80\.37:902\/tcp/);
  });

  it('c2: the contacts with maltrail-listed Emotet/TrickBot C2 in the nDPI captures', async () => {
    const { findings } = await runDetections(store, { kinds: ['c2'], ...ALL_TIME, save: false });
    // SOURCES.md 2.2: emotet.pcap 10.4.25.101 -> 138.197.147.101:443; trickbot.pcap
    // 10.12.29.101 -> 82.118.225.196:7080; malware.pcap 192.168.7.7 -> 144.139.247.220:80.
    const emotet = one(findings, { src: '10.4.25.101', dst: '138.197.147.101', dport: 443 });
    expect(emotet.subkind).toBe('outbound');
    expect(emotet.intel.map((i) => i.source)).toEqual(['maltrail:emotet']);
    const trickbot = one(findings, { src: '10.12.29.101', dst: '82.118.225.196', dport: 7080 });
    expect(trickbot.subkind).toBe('outbound');
    one(findings, { src: '192.168.7.7', dst: '144.139.247.220', dport: 80 });
  });

  it('repeat: 79.124.62.34 attacks in both CTU captures (SOURCES.md 3.1)', async () => {
    const { findings } = await runDetections(store, { kinds: ['repeat'], ...ALL_TIME, save: false });
    const r = one(findings, { src: '79.124.62.34' });
    expect((r.evidence.details!.days as unknown[]).length).toBeGreaterThanOrEqual(2);
    expect(r.entities).toEqual([{ role: 'attacker', type: 'ip', value: '79.124.62.34' }]);
  });

  it('findings are stored once, updated by later runs, and a false positive feeds the allow-list', async () => {
    const first = await runDetections(store, { kinds: ['bruteforce'], ...ALL_TIME });
    expect(first.saved!.added).toBeGreaterThan(0);
    const second = await runDetections(store, { kinds: ['bruteforce'], ...ALL_TIME });
    expect(second.saved).toMatchObject({ added: 0, updated: first.findings.length });
    const ssh = one(second.findings, { src: '147.32.80.40' });
    expect(ssh.runs).toBe(2);

    const repo = new FindingsRepository(store);
    expect((await repo.get(ssh.id.slice(0, 8))).id).toBe(ssh.id);
    await repo.setVerdict(ssh.id, 'false-positive', 'authorised password audit');
    const stored = await repo.get(ssh.id);
    expect(stored).toMatchObject({ status: 'false-positive', note: 'authorised password audit' });
    const index = await loadIntelIndex(store);
    const allow = index.matchAddress(parseIp('147.32.80.40')!).map((m) => m.indicator);
    expect(allow.map((i) => [i.source, i.kind, i.reference])).toEqual([[FALSE_POSITIVE_SOURCE, 'allow', ssh.id]]);
    // The next run neither re-raises nor re-opens it: the attacker is allow-listed now.
    const third = await runDetections(store, { kinds: ['bruteforce'], ...ALL_TIME });
    expect(third.findings.filter((f) => f.src === '147.32.80.40')).toEqual([]);
    expect(third.detectors[0]!.stats.allowListed).toBe(1);
    await repo.setVerdict(ssh.id, 'open', null);
    const fourth = await runDetections(store, { kinds: ['bruteforce'], ...ALL_TIME });
    expect(one(fourth.findings, { src: '147.32.80.40' }).status).toBe('open');
  });
});
