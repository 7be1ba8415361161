// `vantage import` of nmap XML and masscan JSON into the services table on every backend:
// detection, the summary, the reads the pivot engine uses, re-import and rescans (counts add,
// first/last widen, the latest non-empty text wins), and bad records as file:line.
// Expected values are worked out by hand from the fixtures in scan-fixtures.ts.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importFiles, registerImport } from '../../cli/commands/import.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { hostsServing, servicesOf } from '../../store/services-table.js';
import type { Store } from '../../store/store.js';
import { runCli } from '../../test-support/run-cli.js';
import { testBackends } from '../../test-support/test-backends.js';
import { MASSCAN_OLD, NMAP_XML, NMAP_XML_RESCAN } from './scan-fixtures.js';

function capture() {
  let text = '';
  return { io: { stderr: { write: (t: string) => (text += t) } }, text: () => text };
}

const pick = ({ format, read, imported, rejected, flows, services, hosts }: Record<string, unknown>) => ({ format, read, imported, rejected, flows, services, hosts });
const row = (ip: string, port: number, transport: string, source: string, service: string, product: string, banner: string, firstSeen: number, lastSeen: number, count: number) => ({ ip, port, transport, source, service, product, banner, firstSeen, lastSeen, count });

describe.each(testBackends())('services import on %s', (_name, make) => {
  let dir: string;
  let store: Store;
  let scan: string;
  let masscan: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-services-import-'));
    store = make(dir);
    await store.open();
    scan = join(dir, 'scan.xml');
    masscan = join(dir, 'masscan.json');
    writeFileSync(scan, NMAP_XML);
    writeFileSync(masscan, MASSCAN_OLD);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('nmap XML and masscan JSON: detected, summarized, read back by address and by port', async () => {
    const { io, text } = capture();
    const summary = await importFiles(store, [scan, masscan], { format: 'auto', strict: true } as never, io);
    expect(summary.files.map(pick)).toEqual([
      { format: 'nmap-xml', read: 3, imported: 3, rejected: 0, flows: 0, services: 6, hosts: 3 },
      { format: 'masscan-json', read: 5, imported: 5, rejected: 0, flows: 0, services: 4, hosts: 2 },
    ]);
    const lines = text().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^imported 3 of 3 records as 6 service observations of 3 hosts from ${scan} \\(0 rejected\\) in \\d+\\.\\d s$`));
    expect(lines[2]).toMatch(/^imported 8 of 8 records as 10 service observations from 2 files \(0 rejected\) in \d+\.\d s$/);
    expect((await store.stats()).flows).toBe(0);

    const nginx = row('192.0.2.1', 443, 'tcp', 'nmap', 'ssl/http', 'nginx', '', 1709633522000, 1709633540000, 1);
    expect(await servicesOf(store, '192.0.2.1')).toEqual([
      row('192.0.2.1', 22, 'tcp', 'nmap', 'ssh', 'OpenSSH 8.9p1 Ubuntu 3ubuntu0.6 (Ubuntu Linux; protocol 2.0)', '', 1709633522000, 1709633540000, 1),
      row('192.0.2.1', 53, 'tcp', 'nmap', 'domain', 'dnsmasq 2.90', '', 1709633522000, 1709633540000, 1),
      nginx,
    ]);
    // The status record (1584816181) and the banner record (1584816183) of one port: one service seen twice.
    expect(await servicesOf(store, '198.51.100.7')).toEqual([row('198.51.100.7', 80, 'tcp', 'masscan', 'http.server', '', 'nginx/1.18.0', 1584816181000, 1584816183000, 2)]);
    expect(await servicesOf(store, '2001:DB8:0:0::10')).toEqual([row('2001:db8::10', 443, 'tcp', 'nmap', 'https', '', '', 1709633521000, 1709633521000, 1)]);
    expect(await servicesOf(store, '198.51.100.12')).toEqual([]);
    expect(await servicesOf(store, 'not an address')).toEqual([]);
    expect(await hostsServing(store, 443)).toEqual([
      nginx,
      row('198.51.100.9', 443, 'tcp', 'masscan', '', '', '', 1584816182000, 1584816182000, 1),
      row('2001:db8::10', 443, 'tcp', 'nmap', 'https', '', '', 1709633521000, 1709633521000, 1),
    ]);
    expect((await hostsServing(store, 53, 'udp')).map((r) => [r.ip, r.source])).toEqual([['198.51.100.9', 'masscan']]);
    expect((await hostsServing(store, 53, 'tcp')).map((r) => [r.ip, r.source])).toEqual([['192.0.2.1', 'nmap']]);
    expect((await hostsServing(store, 443, undefined, { limit: 1 })).map((r) => r.ip)).toEqual(['192.0.2.1']);
  });

  test('re-import and rescans: counts add up, first/last widen, the latest non-empty text wins', async () => {
    const rescan = join(dir, 'rescan.xml');
    writeFileSync(rescan, NMAP_XML_RESCAN);
    // An older scan (2021-01-01) imported last: it widens first_seen but must not replace newer text.
    const older = join(dir, 'older.xml');
    writeFileSync(
      older,
      [
        '<nmaprun scanner="nmap" start="1609459200">',
        '<host starttime="1609459200" endtime="1609459210"><address addr="192.0.2.1" addrtype="ipv4"/>',
        '<ports><port protocol="tcp" portid="22"><state state="open"/><service name="ssh" product="OpenSSH" version="7.4"/></port></ports>',
        '</host>',
        '</nmaprun>',
      ].join('\n'),
    );
    await importFiles(store, [rescan, older, masscan], { format: 'auto', strict: true } as never, capture().io);
    expect(await servicesOf(store, '192.0.2.1')).toEqual([
      // Seen 1609459200..1609459210, 1709633522..1709633540 and 1709719922..1709719950; the
      // product of the rescan (last seen 1709719950) is the latest.
      row('192.0.2.1', 22, 'tcp', 'nmap', 'ssh', 'OpenSSH 9.6p1 Ubuntu 3ubuntu13 (Ubuntu Linux; protocol 2.0)', '', 1609459200000, 1709719950000, 3),
      row('192.0.2.1', 53, 'tcp', 'nmap', 'domain', 'dnsmasq 2.90', '', 1709633522000, 1709633540000, 1),
      // The rescan named the service https but found no product: nginx stays.
      row('192.0.2.1', 443, 'tcp', 'nmap', 'https', 'nginx', '', 1709633522000, 1709719950000, 2),
    ]);
    expect(await servicesOf(store, '198.51.100.7')).toEqual([row('198.51.100.7', 80, 'tcp', 'masscan', 'http.server', '', 'nginx/1.18.0', 1584816181000, 1584816183000, 4)]);
  });

  test('bad records are reported as file:line and counted; --strict stops at the first', async () => {
    const bad = join(dir, 'bad-masscan.json');
    writeFileSync(
      bad,
      [
        '[',
        '{   "ip": "198.51.100.40",   "timestamp": "1584816181", "ports": [ {"port": 3389, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 118} ] },',
        '{   "ip": "198.51.100.400",   "timestamp": "1584816182", "ports": [ {"port": 3389, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 118} ] },',
        '{   "ip": "198.51.100.41",   "timestamp": "1584816183", "ports": [ {"port": 3389, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 118} ] },',
        '{finished: 1}',
        ']',
      ].join('\n'),
    );
    const { io, text } = capture();
    const summary = await importFiles(store, [bad], { format: 'auto' } as never, io);
    expect(summary.files.map(pick)).toEqual([{ format: 'masscan-json', read: 3, imported: 2, rejected: 1, flows: 0, services: 2, hosts: 2 }]);
    expect(text().split('\n').filter((l) => l.includes('[IMPORT_RECORD]'))).toEqual([`${bad}:3: bad address in field 'ip': '198.51.100.400' [IMPORT_RECORD]`]);
    expect((await hostsServing(store, 3389)).map((r) => r.ip)).toEqual(['198.51.100.40', '198.51.100.41']);
    await expect(importFiles(store, [bad], { format: 'auto', strict: true } as never, capture().io)).rejects.toMatchObject({ code: 'IMPORT_RECORD', location: { file: bad, line: 3 } });
  });
});

describe('vantage import of a scan: the command', () => {
  /** Runs the command as main.ts does; returns the exit code and what was printed. */
  const cli = (args: string[]) => runCli(args, registerImport);

  test('prints the summary and a JSON summary, stores the services; --strict exits 1 at a bad host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vantage-services-cli-'));
    try {
      const db = join(dir, 'cli.duckdb');
      const scan = join(dir, 'scan.xml');
      writeFileSync(scan, NMAP_XML);
      const r = await cli(['import', '--db', db, '--json', scan]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/^imported 3 of 3 records as 6 service observations of 3 hosts from .*scan\.xml \(0 rejected\) in \d+\.\d s\n$/);
      expect(JSON.parse(r.stdout).files).toEqual([{ file: scan, format: 'nmap-xml', read: 3, imported: 3, rejected: 0, flows: 0, services: 6, hosts: 3 }]);
      const store = new DuckDbStore({ path: db });
      await store.open();
      try {
        expect((await servicesOf(store, '192.0.2.5')).map((x) => [x.port, x.transport, x.service])).toEqual([[80, 'tcp', ''], [161, 'udp', 'snmp']]);
      } finally {
        await store.close();
      }
      const bad = join(dir, 'bad.xml');
      writeFileSync(bad, ['<nmaprun start="1709633521">', '<host><address addr="192.0.2.1" addrtype="ipv4"/>', '<ports><port protocol="tcp" portid="99999"><state state="open"/></port></ports>', '</host>', '</nmaprun>'].join('\n'));
      const s = await cli(['import', '--db', db, '--strict', bad]);
      expect(s.code).toBe(1);
      expect(s.stderr).toBe(`vantage: ${bad}:3: bad number in field 'portid': '99999' [IMPORT_RECORD]\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
