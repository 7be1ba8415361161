// `vantage services derive|of|port` run as main.ts runs them, on a DuckDB file: a scan imported
// with `vantage import` and services derived from the Stratosphere 008 conn.log (its three
// services of 147.32.81.167 are counted by hand in src/store/derive-services.test.ts).

import { runCli } from '../../test-support/run-cli.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NMAP_XML } from '../../decode/services/scan-fixtures.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { registerImport } from './import.js';
import { registerServices } from './services.js';

const CONN = sharedDataPath('labeled-flows/stratosphere-security-datasets/008-zeek-mixed/data/conn.log.labeled');

const cli = (args: string[]) => runCli(args, registerImport, registerServices);

describe('vantage services', () => {
  let dir: string;
  let db: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-services-cli-'));
    db = join(dir, 'cli.duckdb');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('of and port read what an nmap scan stored', async () => {
    const scan = join(dir, 'scan.xml');
    writeFileSync(scan, NMAP_XML);
    expect((await cli(['import', '--db', db, scan])).code).toBe(0);
    const of = await cli(['services', 'of', '192.0.2.5', '--db', db, '--output', 'csv']);
    expect(of.code).toBe(0);
    expect(of.stdout).toBe(
      [
        'ip,port,transport,source,service,product,banner,first_seen,last_seen,count',
        '192.0.2.5,80,tcp,nmap,,,,2024-03-05T10:12:02.000Z,2024-03-05T10:12:41.000Z,1',
        '192.0.2.5,161,udp,nmap,snmp,net-snmp (SNMPv3 server),,2024-03-05T10:12:02.000Z,2024-03-05T10:12:41.000Z,1',
        '',
      ].join('\n'),
    );
    const port = await cli(['services', 'port', '443', '--transport', 'TCP', '--db', db, '--output', 'json']);
    expect(JSON.parse(port.stdout).map((r: { ip: string; service: string }) => [r.ip, r.service])).toEqual([['192.0.2.1', 'ssl/http'], ['2001:db8::10', 'https']]);
    const bad = await cli(['services', 'port', '443', '--transport', 'icmp', '--db', db]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--transport must be tcp, udp or sctp, got 'icmp'");
  });

  test.skipIf(!CONN)('derive: --dry-run stores nothing; then the three services of 147.32.81.167 are stored', async () => {
    expect((await cli(['import', '--db', db, '--format', 'zeek-tsv', CONN!])).code).toBe(0);
    const dry = await cli(['services', 'derive', '--db', db, '--dry-run', '--output', 'json']);
    expect(dry.code).toBe(0);
    const found = JSON.parse(dry.stdout).map((r: { ip: string; port: number; clients: number; count: number }) => [r.ip, r.port, r.clients, r.count]);
    expect(found).toEqual([['147.32.81.167', 2000, 5, 12], ['147.32.81.167', 5060, 5, 29], ['147.32.81.167', 8008, 5, 16]]);
    expect((await cli(['services', 'of', '147.32.81.167', '--db', db, '--output', 'json'])).stdout).toBe('[]\n');
    expect((await cli(['services', 'derive', '--db', db, '--min-clients', '5', '--output', 'json'])).code).toBe(0);
    const of = JSON.parse((await cli(['services', 'of', '147.32.81.167', '--db', db, '--output', 'json'])).stdout);
    expect(of.map((r: { port: number; source: string; count: number; first_seen: string }) => [r.port, r.source, r.count, r.first_seen])).toEqual([
      [2000, 'flows', 12, '2022-06-13T00:24:39.586Z'],
      [5060, 'flows', 29, '2022-06-13T03:27:28.277Z'],
      [8008, 'flows', 16, '2022-06-12T22:48:29.924Z'],
    ]);
    const none = await cli(['services', 'derive', '--db', db, '--min-clients', '0']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("--min-clients must be a whole number from 1 to 1000000, got '0'");
  });
});
