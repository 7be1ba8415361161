// The pivot graph on real captures and logs, both backends. Expected edges come from an
// independent reading of the same data: tshark over the capture, the dns.log split in the test.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCaptureFiles } from '../cli/commands/import-capture.js';
import { importFiles } from '../cli/commands/import.js';
import { IndicatorRepository } from '../intel/indicator-repository.js';
import { loadFeeds } from '../intel/load-feeds.js';
import { appendServices } from '../store/services-table.js';
import type { Store } from '../store/store.js';
import { requireTool, sharedDataPath } from '../test-support/shared-data.js';
import { testBackends } from '../test-support/test-backends.js';
import { parseEntity } from './entity.js';
import { pivot, type PivotGraph } from './pivot-graph.js';
import { buildProfile } from './profile.js';

const quiet = { stderr: { write: () => true } };
const emotet = sharedDataPath('pcap-malicious/ndpi/emotet.pcap');
const maltrail = sharedDataPath('threat-intel/maltrail/emotet.txt');
const dnsLog = sharedDataPath('zeek-logs/rita-proxy-tsv/dns.log');

function edge(g: PivotGraph, from: string, relation: string, to: string) {
  return g.edges.find((e) => e.relation === relation && ((e.from === from && e.to === to) || (relation === 'talked-to' && e.from === to && e.to === from)));
}

/** NOERROR responses per answer of one query name, read straight from the TSV (zeek-cut style). */
function answersFromLog(file: string, name: string): Map<string, number> {
  const lines = readFileSync(file, 'utf8').split('\n');
  const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
  const [query, rcode, answers] = ['query', 'rcode_name', 'answers'].map((f) => fields.indexOf(f));
  const counts = new Map<string, number>();
  for (const line of lines) {
    if (line.startsWith('#') || line === '') continue;
    const cols = line.split('\t');
    if (cols[query!] !== name || cols[rcode!] !== 'NOERROR' || cols[answers!] === '-') continue;
    for (const a of new Set(cols[answers!]!.split(','))) counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  return counts;
}

describe.skipIf(!emotet || !maltrail || !dnsLog).each(testBackends())('pivot graph (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-pivot-'));
    store = makeStore(dir);
    await store.open();
    await importCaptureFiles(store, [emotet!], { format: 'pcap' }, quiet);
    await importFiles(store, [dnsLog!], { format: 'auto', strict: false } as never, quiet);
    const repo = new IndicatorRepository(store);
    await repo.ensureTables();
    await loadFeeds(repo, [maltrail!], {}, quiet as never);
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('from the Emotet C2: its victim, the victim’s other peers, and the indicator that names it', async () => {
    const g = await pivot(store, parseEntity('138.197.147.101'), { depth: 2 });
    expect(g.root).toBe('ip:138.197.147.101');
    expect(g.nodes.find((n) => n.id === g.root)!.tags).toEqual(['maltrail:emotet']);
    // SOURCES.md 2.2 and maltrail emotet.txt: "138.197.147.101:443".
    expect(edge(g, 'ip:138.197.147.101', 'tagged', 'indicator:maltrail:emotet:138.197.147.101:443')).toBeDefined();
    const c2 = edge(g, 'ip:138.197.147.101', 'talked-to', 'ip:10.4.25.101')!;
    expect(c2.ports).toEqual([443]);
    if (requireTool('tshark')) {
      // Bytes both ways as the IP header counts them, summed by tshark.
      const lens = execFileSync('tshark', ['-r', emotet!, '-Y', 'ip.addr==138.197.147.101', '-T', 'fields', '-e', 'ip.len'], { encoding: 'utf8' }).trim().split('\n');
      expect(c2.bytes).toBe(lens.reduce((n, l) => n + Number(l), 0));
      // Depth 2 reaches the victim's other peers: the addresses tshark sees it talk to.
      const peers = new Set(execFileSync('tshark', ['-r', emotet!, '-Y', 'ip.src==10.4.25.101', '-T', 'fields', '-e', 'ip.dst'], { encoding: 'utf8' }).trim().split('\n'));
      for (const p of peers) expect(edge(g, 'ip:10.4.25.101', 'talked-to', `ip:${p}`), p).toBeDefined();
    }
  });

  it('from a name in the dns.log: the addresses and names it resolved to, with their counts', async () => {
    const name = 'telemetry.servers.getgo.com';
    const expected = answersFromLog(dnsLog!, name);
    expect(expected.size).toBeGreaterThan(1);
    const g = await pivot(store, parseEntity(name), { depth: 1, limit: 100 });
    const got = new Map(g.edges.filter((e) => e.relation === 'resolved-to').map((e) => [e.to.replace(/^(ip|domain):/, ''), e.count]));
    expect(got).toEqual(expected);
    // ...and back: one of those addresses pivots to the name.
    const [ip] = [...expected.keys()].filter((a) => /^\d/.test(a));
    const back = await pivot(store, parseEntity(ip!), { depth: 1 });
    expect(edge(back, `domain:${name}`, 'resolved-to', `ip:${ip}`)).toBeDefined();
  });

  it('an address exposes the services scans found on it, two sources of one port on one node', async () => {
    const t = Date.UTC(2022, 3, 25, 12);
    const seen = { service: 'https', product: 'nginx', banner: '', firstSeen: t, lastSeen: t, count: 1, port: 443, transport: 'tcp' as const };
    await appendServices(store, [
      { ...seen, ip: '138.197.147.101', source: 'nmap' },
      { ...seen, ip: '138.197.147.101', source: 'masscan', count: 2, lastSeen: t + 60_000 },
    ]);
    const g = await pivot(store, parseEntity('138.197.147.101'), { depth: 1 });
    const e = edge(g, 'ip:138.197.147.101', 'exposes', 'service:138.197.147.101:443/tcp')!;
    expect(e).toMatchObject({ count: 3, first: new Date(t).toISOString(), last: new Date(t + 60_000).toISOString() });
    expect(g.nodes.find((n) => n.id === 'service:138.197.147.101:443/tcp')!.tags).toEqual(['https', 'nginx', 'source:masscan', 'source:nmap']);
  });

  it('sibling pivots and a certificate root: the JA3S and JA3 tshark computes, the certificate by its SHA-256', async () => {
    if (!requireTool('tshark')) return;
    const fields = (filter: string, field: string) =>
      execFileSync('tshark', ['-r', emotet!, '-Y', filter, '-T', 'fields', '-e', field], { encoding: 'utf8' }).trim().split('\n').filter((l) => l !== '');
    const c2 = await pivot(store, parseEntity('138.197.147.101'), { depth: 2, limit: 100 });
    const ja3s = new Set(fields('tls.handshake.type==2 && ip.src==138.197.147.101', 'tls.handshake.ja3s'));
    expect(new Set(c2.edges.filter((e) => e.relation === 'ja3s' && e.from === 'ip:138.197.147.101').map((e) => e.to))).toEqual(new Set([...ja3s].map((h) => `ja3s:${h}`)));
    const victim = await pivot(store, parseEntity('10.4.25.101'), { depth: 1, limit: 100 });
    const ja3 = new Set(fields('tls.handshake.type==1 && ip.src==10.4.25.101', 'tls.handshake.ja3'));
    expect(new Set(victim.edges.filter((e) => e.relation === 'ja3').map((e) => e.to))).toEqual(new Set([...ja3].map((h) => `ja3:${h}`)));
    // The certificate's DER as tshark shows it, hashed here: the root the analyst pastes.
    const der = fields('tls.handshake.type==11 && ip.src==138.197.147.101', 'tls.handshake.certificate')[0]!.split(',')[0]!;
    const sha256 = createHash('sha256').update(Buffer.from(der.replace(/:/g, ''), 'hex')).digest('hex');
    const cert = await pivot(store, parseEntity(sha256), { depth: 1 });
    expect(cert.root).toBe(`cert:${sha256}`);
    expect(edge(cert, 'ip:138.197.147.101', 'served', `cert:${sha256}`)).toBeDefined();
  });

  it('keeps the strongest edges of a step and counts the rest; an unknown entity is an error', async () => {
    const g = await pivot(store, parseEntity('10.4.25.101'), { depth: 1, limit: 1 });
    const talked = g.edges.filter((e) => e.relation === 'talked-to');
    expect(talked).toHaveLength(1);
    expect(g.truncated).toContainEqual({ node: 'ip:10.4.25.101', relation: 'talked-to', shown: 1, total: 2 });
    await expect(pivot(store, parseEntity('nothing.example'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^nothing known about nothing\.example/) });
    // An AS is a root now: one with no flows and no database entry is unknown, not refused.
    await expect(pivot(store, parseEntity('AS64500'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

const slips = {
  dns: sharedDataPath('zeek-logs/slips-test9-mixed/dns.log'),
  ssl: sharedDataPath('zeek-logs/slips-test9-mixed/ssl.log'),
  x509: sharedDataPath('zeek-logs/slips-test9-mixed/x509.log'),
};

/** JSON lines of a Zeek log. */
function jsonLog(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe.skipIf(!slips.dns || !slips.ssl || !slips.x509).each(testBackends())('pivot through certificates (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-pivot-cert-'));
    store = makeStore(dir);
    await store.open();
    await importFiles(store, [slips.dns!, slips.ssl!, slips.x509!], { format: 'auto', strict: false } as never, quiet);
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('from a name in dns.log: its addresses, the certificates served on them, and the other names on those certificates', async () => {
    const name = 'www.bing.com';
    // The independent path: the three logs read as plain JSON here.
    const ips = new Set(
      jsonLog(slips.dns!)
        .filter((r) => r.query === name && r.rcode_name === 'NOERROR')
        .flatMap((r) => (r.answers as string[] | undefined) ?? [])
        .filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)),
    );
    expect(ips.size).toBeGreaterThan(0);
    const certs = new Map(jsonLog(slips.x509!).map((r) => [r.id as string, r]));
    const served = new Map<string, Record<string, unknown>[]>();
    for (const r of jsonLog(slips.ssl!)) {
      const first = (r.cert_chain_fuids as string[] | undefined)?.[0];
      if (!ips.has(r['id.resp_h'] as string) || !first || !certs.has(first)) continue;
      served.set(r['id.resp_h'] as string, [...(served.get(r['id.resp_h'] as string) ?? []), certs.get(first)!]);
    }
    expect(served.size).toBeGreaterThan(0);

    const g = await pivot(store, parseEntity(name), { depth: 3, limit: 1000 });
    for (const ip of ips) expect(edge(g, `domain:${name}`, 'resolved-to', `ip:${ip}`), ip).toBeDefined();
    for (const [ip, list] of served) {
      for (const c of list) {
        const cn = /CN=([^,]+)/.exec(c['certificate.subject'] as string)![1]!.toLowerCase();
        // The certificate node this address served, found by its CN among the node's tags.
        const certEdges = g.edges.filter((e) => e.relation === 'served' && e.from === `ip:${ip}`);
        const node = g.nodes.find((n) => n.type === 'cert' && n.tags.includes(cn) && certEdges.some((e) => e.to === n.id));
        expect(node, `${ip} served ${cn}`).toBeDefined();
        // ...and every name on it is one step further.
        for (const san of (c['san.dns'] as string[] | undefined) ?? []) expect(edge(g, node!.id, 'names', `domain:${san.toLowerCase()}`), san).toBeDefined();
      }
    }
  });

  it('an address profile lists the certificates it presented, with the port and server name', async () => {
    const ip = '204.79.197.200';
    const certs = new Map(jsonLog(slips.x509!).map((r) => [r.id as string, r]));
    const expected = new Set<string>();
    for (const r of jsonLog(slips.ssl!)) {
      const first = (r.cert_chain_fuids as string[] | undefined)?.[0];
      if (r['id.resp_h'] === ip && first && certs.has(first)) expected.add(`${first} ${r['id.resp_p']} ${r.server_name ?? ''}`);
    }
    const p = await buildProfile(store, parseEntity(ip), { limit: 100 });
    expect(new Set(p.certificates.map((c) => `${c.ref} ${c.port} ${c.serverName}`))).toEqual(expected);
    expect(p.certificates.every((c) => c.names.includes('www.bing.com'))).toBe(true);
  });
});
