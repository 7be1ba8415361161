// `vantage import` with the Argus binetflow, CICFlowMeter and nfcapd formats: bad lines reported
// as FILE:LINE, --strict, exit status, and the flows landing in both store backends.

import { runCli } from '../../test-support/run-cli.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { importFiles, registerImport } from '../../cli/commands/import.js';
import type { FlowRecord } from '../../core/columns.js';
import { VantageError } from '../../core/errors.js';
import { runQuery } from '../../query/run-query.js';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { testBackends } from '../../test-support/test-backends.js';

const dir = mkdtempSync(join(tmpdir(), 'vantage-biflow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function run(files: string[], options: { strict?: boolean; format?: 'auto' | 'argus-binetflow' | 'cicflowmeter' } = {}) {
  const records: FlowRecord[] = [];
  const lines: string[] = [];
  const summary = await importFiles({ appendFlows: async (r) => void records.push(...r) }, files, { format: options.format ?? 'auto', strict: options.strict, batch: 1000 }, { stderr: { write: (t: string) => lines.push(t) } });
  return { records, summary, stderr: lines.join('') };
}

// Rows taken from the shared files (test3-mixed.binetflow line 3, Portscan_2500.csv row 1), then damaged.
const ARGUS_HEADER = 'StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,SrcPkts,Label';
const ARGUS_ROW = '2018/12/18 14:00:00.527012,0.699716,tcp,216.73.23.146,52798,   ->,147.32.81.58,445,S_RA,0,0,2,134,70,1,';
const ARGUS_BAD = [
  ARGUS_HEADER,
  ARGUS_ROW,
  ARGUS_ROW.slice(0, 60),
  ARGUS_ROW.replace('216.73.23.146', '216.73.23.300'),
  ARGUS_ROW.replace(',2,134,70,', ',2,l34,70,'),
  ARGUS_ROW.replace(',2,134,70,', ',2,134,700,'),
  ARGUS_ROW.replace(',tcp,', ',tcpx,'),
  ARGUS_ROW.replace('2018/12/18', '2018/13/18'),
  ARGUS_ROW,
].join('\n');

const CIC_HEADER = 'id,Flow ID,Src IP,Src Port,Dst IP,Dst Port,Protocol,Timestamp,Flow Duration,Total Fwd Packet,Total Bwd packets,Total Length of Fwd Packet,Total Length of Bwd Packet,Fwd Header Length,Bwd Header Length,SYN Flag Count,RST Flag Count,ACK Flag Count,Fwd RST Flags,Bwd RST Flags,Label';
const CIC_ROW = '330784,172.16.0.1-192.168.10.50-41249-2042-6,172.16.0.1,41249,192.168.10.50,2042,6,2017-07-07 18:08:57.763666,10,1,1,0,0,24,20,1,1,1,0,1,Portscan';
const CIC_BAD = [
  CIC_HEADER,
  CIC_ROW,
  CIC_ROW.slice(0, 70),
  CIC_ROW.replace(',192.168.10.50,2042,', ',192.168.10.500,2042,'),
  CIC_ROW.replace('2017-07-07 18:08:57', '2017-07-07 25:08:57'),
  CIC_ROW.replace(',10,1,1,0,0,', ',10,x,1,0,0,'),
  CIC_ROW.replace(',41249,', ',412490,'),
  CIC_ROW,
].join('\n');

const MALFORMED = [
  {
    format: 'argus-binetflow',
    name: 'bad.binetflow',
    text: ARGUS_BAD,
    messages: [
      '3: truncated line: expected 16 columns, got 6',
      "4: bad address in field 'SrcAddr': '216.73.23.300'",
      "5: bad number in field 'TotBytes': 'l34'",
      "6: value out of range in field 'SrcBytes': '700'",
      "7: bad protocol in field 'Proto': 'tcpx'",
      "8: bad time in field 'StartTime': '2018/13/18 14:00:00.527012'",
    ],
  },
  {
    format: 'cicflowmeter',
    name: 'bad-cic.csv',
    text: CIC_BAD,
    messages: [
      '3: truncated line: expected 21 columns, got 5',
      "4: bad address in field 'Dst IP': '192.168.10.500'",
      "5: bad time in field 'Timestamp': '2017-07-07 25:08:57.763666'",
      "6: bad number in field 'Total Fwd Packet': 'x'",
      "7: value out of range in field 'Src Port': '412490'",
    ],
  },
] as const;

describe('vantage import: malformed lines in the bidirectional formats', () => {
  describe.each(MALFORMED)('$format', ({ format, name, text, messages }) => {
    const path = file(name, text);

    it('without --strict: each bad line reported as FILE:LINE and counted, the two good rows imported as 4 flows', async () => {
      const { summary, stderr, records } = await run([path]);
      expect(summary.files[0]).toMatchObject({ file: path, format, read: 2 + messages.length, imported: 2, rejected: messages.length, flows: 4 });
      expect(records.length).toBe(4);
      expect(stderr.split('\n').filter((l) => l.endsWith('[IMPORT_RECORD]'))).toEqual(messages.map((m) => `${path}:${m} [IMPORT_RECORD]`));
      expect(stderr).toContain(`imported 2 of ${2 + messages.length} records as 4 flows from ${path} (${messages.length} rejected)`);
    });

    it('with --strict: IMPORT_RECORD at the first bad line, naming file and line', async () => {
      const err = await run([path], { strict: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VantageError);
      expect(err).toMatchObject({ code: 'IMPORT_RECORD', location: { file: path, line: 3 } });
    });

    it('with --format given, reads the same', async () => {
      expect((await run([path], { format })).summary.rejected).toBe(messages.length);
    });

    it('the command with --strict exits 1 with the coded error', async () => {
      const r = await cli(['import', '--db', join(dir, `${name}.duckdb`), '--strict', path]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`vantage: ${path}:${messages[0]} [IMPORT_RECORD]\n`);
    });
  });
});

/** Runs the import command as main.ts does; returns the exit code and what was printed. */
const cli = (args: string[]) => runCli(args, registerImport);

describe('the command without nfdump', () => {
  it('an nfcapd file exits 1 with IMPORT_FILE naming the file and how to install nfdump; no store is created', async () => {
    const path = join(dir, 'x.nfcapd');
    writeFileSync(path, Buffer.concat([Buffer.from([0x0c, 0xa5, 0x02, 0x00]), Buffer.alloc(60)]));
    vi.stubEnv('PATH', dir);
    try {
      const db = join(dir, 'never.duckdb');
      const r = await cli(['import', '--db', db, path]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^vantage: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: nfcapd file needs nfdump, which cannot be run \\(ENOENT\\): install nfdump 1\\.7 \\(Debian/Ubuntu: apt-get install nfdump\\).* \\[IMPORT_FILE\\]\n$`));
      expect(existsSync(db)).toBe(false);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

const binetflow = sharedDataPath('labeled-flows/slips/test11-portscan.binetflow');
const portscan = sharedDataPath('labeled-flows/cicids2017-improved-sample/Portscan_2500.csv');
const nfcapd = sharedDataPath('flow-export/slips-nfdump/test1-malicious.nfdump');

describe.each(testBackends())('into the %s store', (_name, make) => {
  it.skipIf(!binetflow || !portscan || !nfcapd || !requireTool('nfdump'))('the three formats, auto-detected, land whole and answer queries', async () => {
    const storeDir = mkdtempSync(join(dir, 'store-'));
    const store = make(storeDir);
    await store.open();
    try {
      const summary = await importFiles(store, [binetflow!, portscan!, nfcapd!], { format: 'auto', batch: 1000 }, { stderr: { write() {} } });
      expect(summary.files.map((f) => [f.format, f.read, f.flows])).toEqual([
        ['argus-binetflow', 66, 86],
        ['cicflowmeter', 2500, 5000],
        ['nfcapd', 4593, 4593],
      ]);
      expect((await store.stats()).flows).toBe(86 + 5000 + 4593);
      const count = async (q: string) => Number((await runQuery(store, `${q} | count`)).rows[0]!.flows);
      // test11: 46 ICMP echo records, all packets from the source (SrcPkts = TotPkts): one flow each
      expect(await count('proto icmp')).toBe(46);
      // Portscan: every row is 172.16.0.1 -> 192.168.10.50 (SOURCES.md 3.3)
      expect(await count('src ip 172.16.0.1 and dst ip 192.168.10.50')).toBe(2500);
      // nfcapd: nfdump itself, on the same filter, finds the 2,305 SYNs of SOURCES.md 1.6
      const filter = 'src ip 147.32.80.119 and dst port 902 and flags S and not flags A';
      const nfdumpCount = execFileSync('nfdump', ['-q', '-r', nfcapd!, '-o', 'csv', filter], { env: { ...process.env, TZ: 'UTC' } })
        .toString()
        .split('\n')
        .filter((l) => l !== '').length;
      expect(nfdumpCount).toBe(2305);
      expect(await count(filter)).toBe(nfdumpCount);
    } finally {
      await store.close();
    }
  });
});
