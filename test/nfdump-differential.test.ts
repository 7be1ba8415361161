// Differential test against nfdump: real pcaps -> softflowd -> nfcapd file; nfdump answers each
// filter on that file, Vantage answers the same filter on the file's CSV export. Totals must match.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery } from '../src/query/run-query.js';
import { createStore } from '../src/services/store-factory.js';
import type { Store } from '../src/store/store.js';
import { requireTool, sharedDataPath } from '../src/test-support/shared-data.js';
import { chdbAvailable } from '../src/test-support/test-backends.js';
import { freeUdpPort, startNfcapd, stopChild, waitUdpDrained } from '../src/test-support/flow-tools.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
// nfdump prints times in local time; the importer reads them as UTC.
const NFDUMP_ENV = { ...process.env, TZ: 'UTC' };

/** Every construct of the filter language, IPv4 and IPv6, on addresses present in the captures. */
const FILTERS = [
  'any',
  'proto tcp',
  'proto udp',
  'proto icmp',
  'proto 47',
  'not proto tcp',
  'ip 10.10.10.10',
  'src ip 172.16.0.8',
  'dst ip 10.10.10.10',
  'host 147.32.80.37',
  'ip in [172.16.0.8 64.13.134.52]',
  'src ip in [172.16.0.8, 147.32.80.37]',
  'net 172.16/16',
  'src net 172.16.0.0/12',
  'dst net 10.0.0.0 255.0.0.0',
  'net 147.32.80.0/24',
  'ipv4',
  'ipv6',
  'ip 2a01:4f8:0:1::add:9898',
  'dst net 2a01:4f8::/32',
  'src net 240e::/16',
  'net 2001:67c::/32 or src ip 240e:f7:4f01:c::3',
  'ip in [2a01:4f8:221:17d3::2 10.10.10.10]',
  'ipv6 and dst port 53',
  'port 443',
  'src port 53',
  'dst port 25565',
  'port > 60000',
  'dst port < 1024',
  'src port >= 49152',
  'dst port <= 80',
  'dst port gt 1023',
  'port in [80 443 8080]',
  'dst port in [22, 1389]',
  'port 2048',
  'flags S',
  'flags SA',
  'flags S and not flags A',
  'flags R',
  'flags AP',
  'flags F',
  'flags X',
  'bytes > 1k',
  'bytes < 100',
  'bytes >= 1500',
  'packets > 10',
  'packets 1',
  'packets <= 2',
  'in bytes > 10k',
  '(proto tcp and dst port 443) or (proto udp and src port 53)',
  'not (port 80 or port 443)',
  '!port 25565 && proto tcp || proto udp',
  'icmp-type 8',
  'icmp-type 0 and icmp-code 0',
  'duration > 1000',
  'duration < 10',
  'pps > 100',
  'bpp > 500',
  'bps > 100k',
  'if 0',
  'router ip 127.0.0.1',
  'src net 172.16.0.0/12 and dst port 1389 and flags S',
];

interface Totals {
  flows: number;
  packets: number;
  bytes: number;
}

/** nfdump's answer: the summary line of `-o csv` (flows,bytes,packets,...). */
function nfdumpTotals(dir: string, filter: string): Totals {
  const out = spawnSync('nfdump', ['-R', dir, '-o', 'csv', filter], { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28, env: NFDUMP_ENV });
  if (out.status !== 0) throw new Error(`nfdump failed on '${filter}': ${out.stderr}${out.stdout}`);
  const lines = out.stdout.trim().split('\n');
  const header = lines.lastIndexOf('flows,bytes,packets,avg_bps,avg_pps,avg_bpp');
  if (header < 0) throw new Error(`no summary from nfdump for '${filter}': ${out.stdout.slice(-300)}`);
  const [flows, bytes, packets] = lines[header + 1]!.split(',').map(Number);
  return { flows: flows!, packets: packets!, bytes: bytes! };
}

function pcapsUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.pcap$/.test(f))
    .map((f) => join(dir, f))
    .sort();
}

const tools = ['nfdump', 'nfcapd', 'softflowd'].every((t) => requireTool(t));
const pcapDir = sharedDataPath('pcap-malicious');

describe.runIf(tools && pcapDir)('query language agrees with nfdump on real flows', () => {
  let work: string;
  let capDir: string;
  const stores: Store[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vantage-nfdiff-'));
    capDir = join(work, 'cap');
    const port = await freeUdpPort();
    // Waits for nfcapd's socket; every file it writes is read (-R), so a rotation during the
    // replay cannot split the flows from what the test compares.
    const nfcapd = await startNfcapd(capDir, port);
    try {
      for (const pcap of pcapsUnder(pcapDir!)) {
        const run = spawnSync('softflowd', ['-r', pcap, '-n', `127.0.0.1:${port}`, '-v', '9', '-a'], { timeout: 60_000 });
        if (run.status !== 0) throw new Error(`softflowd failed on ${pcap}: ${run.stderr}`);
      }
      await waitUdpDrained(port);
    } finally {
      await stopChild(nfcapd);
    }
    expect(readdirSync(capDir).filter((f) => /^nfcapd\.\d+$/.test(f)).length).toBeGreaterThan(0);

    const csv = spawnSync('nfdump', ['-R', capDir, '-o', 'csv'], { encoding: 'utf8', maxBuffer: 1 << 28, env: NFDUMP_ENV });
    expect(csv.status).toBe(0);
    const csvFile = join(work, 'flows.csv');
    writeFileSync(csvFile, csv.stdout);
    // The same export goes into every backend through the real CLI.
    const urls = [`duckdb:${join(work, 'vantage.duckdb')}`];
    if (chdbAvailable()) urls.push(`chdb:${join(work, 'chdb')}`);
    for (const url of urls) {
      const imported = spawnSync('node', [CLI, '--store', url, 'import', '--format', 'nfdump-csv', '--strict', csvFile], { encoding: 'utf8' });
      if (imported.status !== 0) throw new Error(`import into ${url} failed: ${imported.stderr}`);
      const store = createStore(url);
      await store.open();
      stores.push(store);
    }
  }, 300_000);

  afterAll(async () => {
    for (const store of stores) await store.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('has a capture worth comparing on', () => {
    const all = nfdumpTotals(capDir, 'any');
    expect(all.flows).toBeGreaterThan(10_000);
    expect(nfdumpTotals(capDir, 'ipv6').flows).toBeGreaterThan(0);
    expect(FILTERS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(FILTERS)('%s', async (filter) => {
    const expected = nfdumpTotals(capDir, filter);
    for (const store of stores) {
      const { rows } = await runQuery(store, `${filter} | count`);
      expect({ store: store.dialect.name, ...rows[0] }).toEqual({ store: store.dialect.name, ...expected });
    }
  });
});
