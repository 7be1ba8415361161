// Acceptance (issue 9): a block list built from the shared labeled data never contains an
// allow-listed address, a watched partner's address or one with substantial legitimate two-way
// traffic, and each rule is proved on an address that would otherwise be listed. Data: the CTU
// Normal-40/42 days (SOURCES.md 3.1, Zeek conn logs labeled Benign/Malicious), ipsum and the
// maltrail mass-scanner and Cobalt Strike trails (SOURCES.md 5.3, 5.4). The expected sets come
// from reading the raw files here (a TSV split, as awk would), not from the builder's output.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../../cli/commands/import.js';
import { FindingsRepository } from '../../detect/findings-repository.js';
import { IndicatorRepository } from '../../intel/indicator-repository.js';
import { loadFeeds } from '../../intel/load-feeds.js';
import { runWatchedDetections } from '../../monitor/watched-detections.js';
import { WatchlistRepository } from '../../monitor/watchlists/watchlist-repository.js';
import type { Store } from '../../store/store.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { testBackends } from '../../test-support/test-backends.js';
import { BLOCK_ROLES, parseCriteria, type BlocklistCriteriaInput } from './blocklist-criteria.js';
import { formatBlocklist } from './blocklist-format.js';
import { BlocklistRepository } from './blocklist-repository.js';
import type { BlockList, HeldEntry } from './blocklist.js';
import { buildBlocklist } from './build-blocklist.js';

const files = {
  day008: sharedDataPath('labeled-flows/stratosphere-security-datasets/008-zeek-mixed/data/conn.log.labeled'),
  day010: sharedDataPath('labeled-flows/stratosphere-security-datasets/010-zeek-mixed/data/conn.log.labeled'),
  ipsum: sharedDataPath('threat-intel/ipsum/ipsum.txt'),
  massScanner: sharedDataPath('threat-intel/maltrail/mass_scanner.txt'),
  cobaltstrike: sharedDataPath('threat-intel/maltrail/cobaltstrike.txt'),
};
const haveAll = Object.values(files).every((f) => f !== undefined);
const quiet = { stderr: { write: () => true } };

/** Our two hosts (SOURCES.md 3.1: the Windows hosts of CTU-Normal-40 and -42). */
const OUR_HOSTS = ['147.32.81.167', '147.32.83.234'];
/** A partner network in the test's watchlist: it holds four of the repeat attackers of the data. */
const PARTNER_NET = '45.155.205.0/24';
/** The Microsoft connectivity-check address the Cobalt Strike trail lists (as http://13.107.4.52). */
const MSFT = '13.107.4.52';
/** The safety thresholds under test (the defaults, written out so the raw computation uses the same). */
const SAFETY = { minPeers: 10, minFlows: 20, minBytes: 10_000 };

interface Conn {
  orig: string;
  resp: string;
  history: string;
  origIpBytes: number;
  respPkts: number;
  respIpBytes: number;
  label: string;
}

/** The conn log rows, split on tabs by the `#fields` header. */
function readConns(path: string): Conn[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
  const at = (name: string) => fields.indexOf(name);
  const out: Conn[] = [];
  for (const line of lines) {
    if (line === '' || line.startsWith('#')) continue;
    const v = line.split('\t');
    if (v[at('proto')] !== 'tcp' && v[at('proto')] !== 'udp' && v[at('proto')] !== 'icmp') continue;
    out.push({
      orig: v[at('id.orig_h')]!,
      resp: v[at('id.resp_h')]!,
      history: v[at('proto')] === 'tcp' ? v[at('history')]! : '',
      origIpBytes: Number(v[at('orig_ip_bytes')]) || 0,
      respPkts: Number(v[at('resp_pkts')]) || 0,
      respIpBytes: Number(v[at('resp_ip_bytes')]) || 0,
      label: v[at('label')]!,
    });
  }
  return out;
}

/**
 * Addresses with substantial two-way traffic with our hosts, from the raw rows: a Zeek
 * connection is a flow from the originator (ACK when its history has A, D or H) and, when the
 * responder sent packets, one back (ACK when a, d or h). Per (address, our host) the bytes of
 * ACK-carrying flows are summed each way; pairs with bytes both ways count; thresholds as SAFETY.
 */
function substantialFromRaw(conns: readonly Conn[]): Set<string> {
  const pairs = new Map<string, { out: number; in: number; flows: number }>();
  const flow = (src: string, dst: string, ack: boolean, bytes: number) => {
    if (!ack || bytes <= 0) return;
    if (OUR_HOSTS.includes(dst)) {
      const p = pairs.get(`${src} ${dst}`) ?? { out: 0, in: 0, flows: 0 };
      p.out += bytes;
      p.flows++;
      pairs.set(`${src} ${dst}`, p);
    }
    if (OUR_HOSTS.includes(src)) {
      const p = pairs.get(`${dst} ${src}`) ?? { out: 0, in: 0, flows: 0 };
      p.in += bytes;
      pairs.set(`${dst} ${src}`, p);
    }
  };
  for (const c of conns) {
    if (c.history === '') continue;
    flow(c.orig, c.resp, /[ADH]/.test(c.history), c.origIpBytes);
    if (c.respPkts > 0) flow(c.resp, c.orig, /[adh]/.test(c.history), c.respIpBytes);
  }
  const per = new Map<string, { peers: number; out: number; in: number; flows: number }>();
  for (const [key, p] of pairs) {
    if (p.out === 0 || p.in === 0) continue;
    const address = key.split(' ')[0]!;
    const a = per.get(address) ?? { peers: 0, out: 0, in: 0, flows: 0 };
    a.peers++;
    a.out += p.out;
    a.in += p.in;
    a.flows += p.flows;
    per.set(address, a);
  }
  return new Set([...per].filter(([, a]) => a.peers >= SAFETY.minPeers || (a.flows >= SAFETY.minFlows && a.out >= SAFETY.minBytes && a.in >= SAFETY.minBytes)).map(([address]) => address));
}

/** ipsum.txt addresses on at least `lists` blacklists. */
function ipsumAtLeast(path: string, lists: number): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [ip, count] = line.split('\t');
    if (ip && !ip.startsWith('#') && Number(count) >= lists) out.add(ip);
  }
  return out;
}

function inPartnerNet(ip: string): boolean {
  return ip.startsWith('45.155.205.');
}

function heldBy(list: BlockList, value: string): HeldEntry | undefined {
  return list.held.find((h) => h.value === value);
}

describe.skipIf(!haveAll).each(testBackends())('block list from the shared labeled data (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;
  let conns: Conn[];
  let list: BlockList;
  let accused: Set<string>;
  let warninglisted: string;
  const criteria: BlocklistCriteriaInput = { fromFindings: true, fromIntel: true, feeds: ['ipsum'], minConfidence: 30, seenOnly: true, expire: '7d' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-blocklist-'));
    store = makeStore(dir);
    await store.open();
    conns = [...readConns(files.day008!), ...readConns(files.day010!)];
    await importFiles(store, [files.day008!, files.day010!], { format: 'zeek-tsv', strict: false } as never, quiet);
    const intel = new IndicatorRepository(store);
    await intel.ensureTables();
    await loadFeeds(intel, [files.ipsum!, files.massScanner!, files.cobaltstrike!], {}, quiet as never);
    const watch = new WatchlistRepository(store);
    await watch.ensureTables();
    await watch.put({ name: 'ctu-hosts', kind: 'perimeter', owner: 'us', members: OUR_HOSTS });
    await watch.put({ name: 'acme', kind: 'partner', owner: 'ACME hosting', criticality: 'high', members: [PARTNER_NET] });
    await runWatchedDetections(store, { kinds: ['all'], from: Date.UTC(2022, 0, 1), to: Date.UTC(2023, 0, 1), sampleSize: 0 });

    const findings = new FindingsRepository(store);
    const stored = await findings.list({ limit: 100_000 });
    accused = new Set(stored.flatMap((f) => f.entities.filter((e) => e.type === 'ip' && (BLOCK_ROLES as readonly string[]).includes(e.role)).map((e) => e.value)));
    // An analyst's verdict: the C2 "contact" is Microsoft's connectivity check.
    const msftFinding = stored.find((f) => f.kind === 'c2' && f.entities.some((e) => e.role === 'c2' && e.value === MSFT));
    expect(msftFinding, 'the c2 detector names 13.107.4.52 from the Cobalt Strike trail').toBeDefined();
    await findings.setVerdict(msftFinding!.id, 'false-positive', 'Microsoft connectivity check (www.msftconnecttest.com)');
    // A MISP warninglist (the format of github.com/MISP/misp-warninglists) naming a scanner our
    // findings accuse and ipsum lists on 9 blacklists: a research scanner we agreed to let through.
    warninglisted = '80.82.77.33';
    const wl = join(dir, 'research-scanners.json');
    writeFileSync(wl, JSON.stringify({ name: 'List of known research scanners (test)', version: 1, description: 'test', matching_attributes: ['ip-src', 'ip-dst'], type: 'cidr', list: [`${warninglisted}/32`] }));
    await loadFeeds(intel, [wl], {}, quiet as never);

    // Pinned to the data's last day, so the 7-day expiry has not run out.
    list = await buildBlocklist(store, parseCriteria(criteria), { now: Date.UTC(2022, 5, 16) });
  }, 600_000);

  afterAll(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('(a) allow-listed addresses are held back with the allow list named: a false-positive verdict and a MISP warninglist', () => {
    const msft = heldBy(list, MSFT)!;
    expect(msft.held.map((h) => h.rule)).toEqual(['allow-listed']);
    expect(msft.held[0]!.detail).toMatch(/^13\.107\.4\.52 is on the allow list analyst:false-positives \(finding [0-9a-f]{20}\)$/);
    // It was a candidate: the raw log has the host's one conversation with it, labeled Benign.
    expect(conns.filter((c) => c.resp === MSFT).map((c) => c.label)).toEqual(['Benign']);
    const scanner = heldBy(list, warninglisted)!;
    expect(scanner.held.map((h) => h.rule)).toEqual(['allow-listed']);
    expect(scanner.held[0]!.detail).toBe('80.82.77.33 is on the allow list warninglist:research-scanners-test (List of known research scanners (test))');
    // A candidate twice over: a finding accuses it, and ipsum.txt lists it on >= 3 blacklists.
    expect(accused.has(warninglisted)).toBe(true);
    expect(ipsumAtLeast(files.ipsum!, 3).has(warninglisted)).toBe(true);
    for (const v of [MSFT, warninglisted]) expect(list.entries.map((e) => e.value)).not.toContain(v);
  });

  it('(b) addresses inside a watched partner network are held back with the watchlist named', () => {
    const partnerCandidates = [...accused].filter(inPartnerNet).sort();
    // The repeat attackers of SOURCES.md 3.1 in 45.155.205.0/24, labeled Malicious in the raw logs.
    expect(partnerCandidates.length).toBeGreaterThanOrEqual(2);
    for (const ip of partnerCandidates) {
      expect(conns.some((c) => c.orig === ip && c.label === 'Malicious'), ip).toBe(true);
      const h = heldBy(list, ip)!;
      expect(h.held).toEqual([{ rule: 'watched', detail: `watchlist acme (partner) covers it: member ${PARTNER_NET}` }]);
    }
    expect(list.entries.filter((e) => inPartnerNet(e.value))).toEqual([]);
  });

  it('(c) servers with substantial legitimate two-way traffic (Benign-labeled) are held back, though findings accuse them', () => {
    const substantial = substantialFromRaw(conns);
    const candidates = new Set([...list.entries, ...list.held].map((e) => e.value));
    const legit = [...substantial].filter((a) => candidates.has(a)).sort();
    // The beacon detector accuses the update and telemetry servers the hosts poll (Microsoft,
    // ESET), which the labels call Benign: exactly those carry substantial two-way traffic.
    expect(legit.length).toBeGreaterThanOrEqual(3);
    for (const a of legit) {
      expect(accused.has(a), a).toBe(true);
      const labels = new Set(conns.filter((c) => c.orig === a || c.resp === a).map((c) => c.label));
      expect(labels.has('Benign'), a).toBe(true);
      expect(heldBy(list, a)?.held.map((h) => h.rule), a).toContain('legitimate-traffic');
    }
    const heldForTraffic = list.held.filter((h) => h.held.some((r) => r.rule === 'legitimate-traffic')).map((h) => h.value).sort();
    expect(heldForTraffic).toEqual(legit);
    expect(list.entries.filter((e) => substantial.has(e.value))).toEqual([]);
  });

  it('(d) the entries are exactly the candidates (findings and seen ipsum >= 3 lists) less the held ones; all are Malicious in the labels', () => {
    const seen = new Set(conns.flatMap((c) => [c.orig, c.resp]));
    const fromIpsum = [...ipsumAtLeast(files.ipsum!, 3)].filter((ip) => seen.has(ip));
    const candidates = new Set([...accused, ...fromIpsum]);
    const substantial = substantialFromRaw(conns);
    const held = new Set([MSFT, warninglisted, ...[...candidates].filter((c) => inPartnerNet(c) || OUR_HOSTS.includes(c) || substantial.has(c))]);
    const expected = [...candidates].filter((c) => !held.has(c)).sort();
    const got = list.entries.map((e) => e.value).sort();
    expect(got).toEqual(expected);
    expect(list.held.map((h) => h.value).sort()).toEqual([...held].filter((h) => candidates.has(h)).sort());
    const malicious = new Set(conns.filter((c) => c.label === 'Malicious').flatMap((c) => [c.orig, c.resp]));
    expect(got.filter((v) => !malicious.has(v))).toEqual([]);
    // The EDL is the same set, one per line.
    expect(formatBlocklist(list, 'plain')).toBe(list.entries.map((e) => `${e.value}\n`).join(''));
  });

  it('every entry carries its evidence, confidence and an expiry 7 days after its last activity', () => {
    for (const e of list.entries) {
      expect(e.evidence.length, e.value).toBeGreaterThan(0);
      expect(Date.parse(e.expires!) - Date.parse(e.lastSeen)).toBe(7 * 86_400_000);
      for (const ev of e.evidence) {
        if (ev.type === 'finding') expect(ev.query, e.value).toContain(e.value);
        else expect(ev.raw.split('\t')[0], e.value).toBe(e.value);
      }
    }
    // 80.82.77.33's ipsum line (independently: its count is 9 lists -> confidence 90).
    const line = readFileSync(files.ipsum!, 'utf8').split('\n').find((l) => l.startsWith('80.82.77.33\t'))!;
    expect(heldBy(list, '80.82.77.33')!.evidence.find((ev) => ev.type === 'indicator')).toMatchObject({ source: 'ipsum', raw: line, confidence: 90 });
  });

  it('a saved list keeps its criteria and builds the same entries', async () => {
    const repo = new BlocklistRepository(store);
    await repo.ensureTables();
    await repo.save({ name: 'perimeter-drop', description: 'attackers of the CTU days', criteria, savedBy: 'test' });
    expect((await repo.list()).map((s) => [s.name, s.criteria])).toEqual([['perimeter-drop', criteria]]);
    const saved = await repo.require('perimeter-drop');
    const again = await buildBlocklist(store, parseCriteria(saved.criteria), { name: saved.name, now: Date.UTC(2022, 5, 16) });
    expect(again.entries).toEqual(list.entries);
    expect(again.name).toBe('perimeter-drop');
    expect(await repo.remove('perimeter-drop')).toBe(true);
    await expect(repo.require('perimeter-drop')).rejects.toThrow("no block list 'perimeter-drop'");
  });
});
