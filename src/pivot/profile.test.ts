// Entity profiles on both backends over real shared data: the Emotet capture (nDPI) with the
// maltrail trail, RITA's proxy dns.log for passive DNS, and a c2 detection run. Expected values
// come from SOURCES.md and from the raw files (tshark and awk, as the comments say).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCaptureFiles } from '../cli/commands/import-capture.js';
import { importFiles } from '../cli/commands/import.js';
import { runDetections } from '../detect/run-detections.js';
import { enrichingSink, FlowEnricher } from '../enrich/enricher.js';
import { openGeoDatabase, type GeoDatabase } from '../enrich/geo-database.js';
import { IndicatorRepository } from '../intel/indicator-repository.js';
import { loadFeeds } from '../intel/load-feeds.js';
import { appendPassiveDns } from '../store/passive-dns-table.js';
import type { Store } from '../store/store.js';
import { sharedDataPath } from '../test-support/shared-data.js';
import { testBackends } from '../test-support/test-backends.js';
import { parseEntity } from './entity.js';
import { buildProfile } from './profile.js';

const quiet = { stderr: { write: () => true } };
const EMOTET = sharedDataPath('pcap-malicious/ndpi/emotet.pcap');
const TRAIL = sharedDataPath('threat-intel/maltrail/emotet.txt');
const DNS = sharedDataPath('zeek-logs/rita-proxy-tsv/dns.log');
const haveAll = EMOTET !== undefined && TRAIL !== undefined && DNS !== undefined;

/** The bundled ASN/country database (npm @ip-location-db packages), when installed. */
const GEO: GeoDatabase | undefined = (() => {
  try {
    return openGeoDatabase();
  } catch {
    process.stderr.write('profile tests: no bundled ASN/geo database, AS checks skipped\n');
    return undefined;
  }
})();

describe('parseEntity', () => {
  it.each([
    ['138.197.147.101', { type: 'ip', value: '138.197.147.101' }],
    [' 2001:DB8::1 ', { type: 'ip', value: '2001:db8::1' }],
    ['10.4.25.101/32', { type: 'ip', value: '10.4.25.101' }],
    ['10.4.25.0/24', { type: 'cidr', value: '10.4.25.0/24' }],
    ['10.4.25.7/24', { type: 'cidr', value: '10.4.25.0/24' }],
    ['2001:db8::/32', { type: 'cidr', value: '2001:db8::/32' }],
    ['AS64500', { type: 'asn', value: 'AS64500', asn: 64500 }],
    ['as14061', { type: 'asn', value: 'AS14061', asn: 14061 }],
    ['Telemetry.Servers.GetGo.com.', { type: 'domain', value: 'telemetry.servers.getgo.com' }],
    ['0123456789abcdef0123456789ABCDEF01234567', { type: 'cert', value: '0123456789abcdef0123456789abcdef01234567', algorithm: 'sha1' }],
  ])('%s', (text, expected) => {
    expect(parseEntity(text)).toMatchObject(expected);
  });

  it.each(['', '300.1.2.3', '10.0.0.0/33', 'AS4294967296', 'not an entity', '64500', 'http://example.com/x'])('rejects %j with the accepted forms', (text) => {
    expect(() => parseEntity(text)).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(/is not an entity.*an IPv4 or IPv6 address.*AS64500/) }));
  });
});

describe.skipIf(!haveAll).each(testBackends())('entity profiles (%s)', (_name, makeStore) => {
  let dir: string;
  let store: Store;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-profile-'));
    store = makeStore(dir);
    await store.open();
    // Enriched at import as the collector does, so flows carry src_as/dst_as for AS profiles.
    await importCaptureFiles(GEO ? enrichingSink(store, new FlowEnricher(GEO, undefined)) : store, [EMOTET!], { format: 'pcap', httpStore: store }, quiet);
    await importFiles(store, [DNS!], { format: 'auto', strict: false } as never, quiet);
    const repo = new IndicatorRepository(store);
    await repo.ensureTables();
    await loadFeeds(repo, [TRAIL!], {}, quiet as never);
    // SOURCES.md 2.2: the DLL download came from filmmogzivota.rs at 77.105.36.156. The capture
    // holds no DNS, so the resolution is recorded by hand as a sensor would have seen it.
    const t = Date.UTC(2022, 3, 25, 16, 50);
    await appendPassiveDns(store, [{ rrname: 'filmmogzivota.rs', rrtype: 'A', rdata: '77.105.36.156', firstSeen: t, lastSeen: t, count: 1, sensor: 'by-hand' }]);
    await runDetections(store, { kinds: ['c2'], from: Date.UTC(2022, 3, 25), to: Date.UTC(2022, 3, 26) });
  }, 240_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the Emotet C2 138.197.147.101: intel with provenance, its one peer, the finding', async () => {
    const p = await buildProfile(store, parseEntity('138.197.147.101'));
    expect(p.entity).toEqual({ type: 'ip', value: '138.197.147.101' });
    // maltrail emotet.txt line 12376: 138.197.147.101:443.
    expect(p.intel.map((i) => ({ indicator: i.indicator, source: i.source, how: i.how, family: i.family, kind: i.kind }))).toEqual([
      { indicator: '138.197.147.101:443', source: 'maltrail:emotet', how: 'address-port', family: 'emotet', kind: 'threat' },
    ]);
    // tshark -r emotet.pcap -Y ip.addr==138.197.147.101 -T fields -e ip.src -e ip.dst -e tcp.srcport
    // -e tcp.dstport -e ip.len: two TLS connections from 10.4.25.101 (ports 49803, 49804) to 443;
    // client side 7 + 10 packets, 1014 + 1341 bytes; server side 8 + 7 packets, 6116 + 1092 bytes.
    expect(p.peers.asDestination).toEqual([{ peer: '10.4.25.101', ports: [443], flows: 2, bytes: 2355, packets: 17 }]);
    expect(p.peers.asSource).toEqual([{ peer: '10.4.25.101', ports: [49803, 49804], flows: 2, bytes: 7208, packets: 15 }]);
    expect(p.flows).toEqual({ query: 'host 138.197.147.101', flows: 4, bytes: 9563, packets: 32, first: '2022-04-25T16:51:07.542Z', last: '2022-04-25T16:51:58.385Z' });
    expect(p.ports.asDestination).toEqual([{ proto: 'tcp', port: 443, flows: 2, bytes: 2355 }]);
    expect(p.members).toEqual([]);
    // First packet 1650905467.54 s, last 1650905518.39 s: one hour, 16:00 UTC.
    expect(p.timeline).toEqual({ interval: 'hour', buckets: [{ time: '2022-04-25T16:00:00.000Z', flows: 4, bytes: 9563, packets: 32 }] });
    expect(p.dns).toEqual({ names: [], answers: [], subdomains: [] });
    expect(p.http).toEqual([]);
    expect(p.findings.map((f) => ({ kind: f.kind, subkind: f.subkind, roles: f.roles }))).toEqual([{ kind: 'c2', subkind: 'outbound', roles: ['c2'] }]);
  });

  it('the infected host 10.4.25.101: peers both ways with ports and volumes', async () => {
    const p = await buildProfile(store, parseEntity('10.4.25.101'));
    // tshark -r emotet.pcap -Y 'ip.src==10.4.25.101' -T fields -e ip.dst | sort -u:
    // 138.197.147.101 (TLS 443, 17 packets, 2355 bytes) and 77.105.36.156 (HTTP 80, 5 packets, 364 bytes).
    expect(p.peers.asSource).toEqual([
      { peer: '138.197.147.101', ports: [443], flows: 2, bytes: 2355, packets: 17 },
      { peer: '77.105.36.156', ports: [80], flows: 1, bytes: 364, packets: 5 },
    ]);
    // The replies: 77.105.36.156 sent 10 packets, 10372 bytes (the DLL); the C2 7208 bytes.
    expect(p.peers.asDestination.map((x) => [x.peer, x.bytes])).toEqual([
      ['77.105.36.156', 10372],
      ['138.197.147.101', 7208],
    ]);
    expect(p.ports.asSource).toEqual([
      { proto: 'tcp', port: 443, flows: 2, bytes: 2355 },
      { proto: 'tcp', port: 80, flows: 1, bytes: 364 },
    ]);
    expect(p.intel).toEqual([]);
    expect(p.findings.map((f) => [f.kind, f.roles])).toEqual([['c2', ['infected']]]);
    // tshark -Y http.request: 1650905414.043252 10.4.25.101 -> 77.105.36.156 Host filmmogzivota.rs GET /SpryAssets/gDR/.
    expect(p.http).toEqual([{ host: 'filmmogzivota.rs', role: 'client', requests: 1, first: '2022-04-25T16:50:14.043Z', last: '2022-04-25T16:50:14.043Z', uris: ['/SpryAssets/gDR/'] }]);
    const server = await buildProfile(store, parseEntity('77.105.36.156'));
    expect(server.http.map((h) => [h.host, h.role, h.requests])).toEqual([['filmmogzivota.rs', 'server', 1]]);
  });

  it('a network: top talkers inside it and a window that excludes everything', async () => {
    const p = await buildProfile(store, parseEntity('10.4.25.0/24'));
    // Every 10.4.25.0/24 flow in the capture is 10.4.25.101's (SOURCES.md 2.2 lists its hosts).
    expect(p.members).toEqual([{ address: '10.4.25.101', flows: 6, bytes: 2355 + 364 + 7208 + 10372, packets: 17 + 5 + 15 + 10 }]);
    expect(p.flows).toMatchObject({ query: 'net 10.4.25.0/24', flows: 6 });
    const empty = await buildProfile(store, parseEntity('10.4.25.0/24'), { from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 0, 2) });
    expect(empty.flows).toEqual({ query: 'net 10.4.25.0/24', flows: 0, bytes: 0, packets: 0, first: null, last: null });
    expect(empty.peers).toEqual({ asSource: [], asDestination: [] });
    expect(empty.timeline).toEqual({ interval: 'hour', buckets: [] });
    expect(empty.findings).toEqual([]);
    expect(empty.http).toEqual([]);
    // The capture's three HTTP requests (tshark -Y http.request) come from 10.3.29.101, 10.4.20.102, 10.4.25.101.
    const lan = await buildProfile(store, parseEntity('10.0.0.0/8'));
    expect(lan.http.map((h) => [h.host, h.role]).sort()).toEqual([
      ['filmmogzivota.rs', 'client'],
      ['fkl.co.ke', 'client'],
      ['gandhitoday.org', 'client'],
    ]);
  });

  it('a domain from passive DNS: its answers, and an answer back to its name', async () => {
    const p = await buildProfile(store, parseEntity('telemetry.servers.getgo.com'));
    // awk -F'\t' '$10=="telemetry.servers.getgo.com"' dns.log: 8 responses, each a CNAME to
    // api-telemetry.servers.getgo.com and two A records: 52.38.14.25 + 52.43.109.6 in responses
    // 1, 2, 3, 5, 7 and 3.223.10.86 + 34.198.47.138 in responses 4, 6, 8 (times truncated to ms).
    expect(p.dns.answers).toEqual([
      { value: 'api-telemetry.servers.getgo.com', type: 'CNAME', first: '2021-01-14T17:33:02.893Z', last: '2021-01-14T21:03:02.883Z', count: 8 },
      { value: '52.38.14.25', type: 'A', first: '2021-01-14T17:33:02.893Z', last: '2021-01-14T20:33:02.882Z', count: 5 },
      { value: '52.43.109.6', type: 'A', first: '2021-01-14T17:33:02.893Z', last: '2021-01-14T20:33:02.882Z', count: 5 },
      { value: '3.223.10.86', type: 'A', first: '2021-01-14T19:03:02.882Z', last: '2021-01-14T21:03:02.883Z', count: 3 },
      { value: '34.198.47.138', type: 'A', first: '2021-01-14T19:03:02.882Z', last: '2021-01-14T21:03:02.883Z', count: 3 },
    ]);
    expect(p.dns.names).toEqual([]);
    expect(p.dns.subdomains).toEqual([]);
    // The proxy's conn.log is not imported, and the addresses appear in no flow.
    expect(p.flows).toEqual({ query: null, flows: 0, bytes: 0, packets: 0, first: null, last: null });

    const back = await buildProfile(store, parseEntity('52.38.14.25'));
    expect(back.dns.names).toEqual([{ value: 'telemetry.servers.getgo.com', type: 'A', first: '2021-01-14T17:33:02.893Z', last: '2021-01-14T20:33:02.882Z', count: 5 }]);

    // Going up a level: the name is a subdomain; its CNAME target names it back.
    const parent = await buildProfile(store, parseEntity('servers.getgo.com'), { limit: 1 });
    expect(parent.dns.subdomains).toEqual([{ value: 'telemetry.servers.getgo.com', type: 'A,CNAME', first: '2021-01-14T17:33:02.893Z', last: '2021-01-14T21:03:02.883Z', count: 24 }]);
    const target = await buildProfile(store, parseEntity('api-telemetry.servers.getgo.com'));
    expect(target.dns.names.map((n) => [n.value, n.type, n.count])).toEqual([['telemetry.servers.getgo.com', 'CNAME', 8]]);
  });

  it('a domain with resolved addresses: intel on its URLs and the flows of its address', async () => {
    const p = await buildProfile(store, parseEntity('filmmogzivota.rs'));
    // maltrail emotet.txt lines 12487 and 12647: two payload URLs on the host.
    expect(p.intel.map((i) => [i.indicator, i.how, i.source]).sort()).toEqual([
      ['filmmogzivota.rs/SpryAssets/gDR/', 'url-host', 'maltrail:emotet'],
      ['filmmogzivota.rs/SpryAssets/or24hhBl2Ib8704SDO/', 'url-host', 'maltrail:emotet'],
    ]);
    expect(p.dns.answers.map((a) => [a.type, a.value, a.count])).toEqual([['A', '77.105.36.156', 1]]);
    expect(p.members).toEqual([{ address: '77.105.36.156', flows: 2, bytes: 364 + 10372, packets: 15 }]);
    expect(p.peers.asDestination).toEqual([{ peer: '10.4.25.101', ports: [80], flows: 1, bytes: 364, packets: 5 }]);
    expect(p.http.map((h) => [h.host, h.role, h.requests, h.uris])).toEqual([['filmmogzivota.rs', 'host', 1, ['/SpryAssets/gDR/']]]);
  });

  it.skipIf(!GEO)('an address AS, and the AS profile: DigitalOcean (AS14061) hosts the Emotet C2', async () => {
    // 138.197.0.0/16 is DigitalOcean's (RIR allocation; also checked in geo-database.test.ts).
    const ip = await buildProfile(store, parseEntity('138.197.147.101'), { geo: GEO });
    expect(ip.context.asn).toEqual({ number: 14061, org: 'DigitalOcean, LLC' });
    const as = await buildProfile(store, parseEntity('as14061'), { geo: GEO });
    expect(as.context.asn).toEqual({ number: 14061, org: 'DigitalOcean, LLC' });
    expect(as.flows).toMatchObject({ query: 'as 14061' });
    expect(as.members).toContainEqual({ address: '138.197.147.101', flows: 4, bytes: 9563, packets: 32 });
    expect(as.peers.asDestination).toContainEqual({ peer: '10.4.25.101', ports: [443], flows: 2, bytes: 2355, packets: 17 });
  });

  it('an AS number with no AS data in the flows comes back with empty sections', async () => {
    const p = await buildProfile(store, parseEntity('AS64500'));
    expect(p).toMatchObject({ entity: { type: 'asn', value: 'AS64500' }, intel: [], members: [], findings: [], flows: { query: 'as 64500', flows: 0 } });
  });

  it('a certificate hash is recognised and refused with a clear message', async () => {
    await expect(buildProfile(store, parseEntity('0123456789abcdef0123456789abcdef01234567'))).rejects.toThrow(/certificate profiles are not supported yet/);
  });
});
