import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { importFiles } from '../../cli/commands/import.js';
import type { FlowRecord } from '../../core/columns.js';
import { parseIp } from '../../core/ip.js';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { isNfcapdInput, nfcapdLineBatches } from './nfcapd-input.js';

const dir = mkdtempSync(join(tmpdir(), 'vantage-nfcapd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function run(files: string[], format: 'auto' | 'nfcapd' | 'nfdump-csv' = 'auto') {
  const records: FlowRecord[] = [];
  const lines: string[] = [];
  const summary = await importFiles({ appendFlows: async (r) => void records.push(...r) }, files, { format, batch: 1000 }, { stderr: { write: (t: string) => lines.push(t) } });
  return { records, summary, stderr: lines.join('') };
}

/** An nfcapd file header as nfdump 1.7 writes it (magic 0xA50C little-endian, layout 2) and nothing else. */
const FAKE_NFCAPD = Buffer.concat([Buffer.from([0x0c, 0xa5, 0x02, 0x00]), Buffer.alloc(60)]);

describe('isNfcapdInput', () => {
  it('is false for text files and for formats other than auto and nfcapd', async () => {
    const csv = file('flows.csv', 'start,src,dst\n');
    expect(await isNfcapdInput(csv, 'auto')).toBe(false);
    expect(await isNfcapdInput(file('x.nfcapd', FAKE_NFCAPD), 'csv')).toBe(false);
    expect(await isNfcapdInput('-', 'nfcapd')).toBe(false);
  });

  it('--format nfcapd on a file without the magic is IMPORT_FORMAT naming the file', async () => {
    const csv = file('not.nfcapd', 'ts,te,td,sa,da\n');
    await expect(isNfcapdInput(csv, 'nfcapd')).rejects.toMatchObject({ code: 'IMPORT_FORMAT', location: { file: csv }, message: expect.stringContaining('not an nfcapd file') });
  });
});

describe('nfcapd without nfdump', () => {
  it('fails before anything is written with IMPORT_FILE naming the file and how to install nfdump', async () => {
    const path = file('lonely.nfcapd', FAKE_NFCAPD);
    vi.stubEnv('PATH', dir); // a PATH without nfdump
    const err = await run([path]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IMPORT_FILE', location: { file: path }, message: expect.stringContaining('apt-get install nfdump') });
  });

  it('reading from stdin is refused (nfdump needs the file)', async () => {
    await expect(nfcapdLineBatches('-').next()).rejects.toMatchObject({ code: 'USAGE' });
  });
});

const nfcapd = sharedDataPath('flow-export/slips-nfdump/test1-malicious.nfdump');

describe.skipIf(!nfcapd || !requireTool('nfdump'))('vantage import of an nfcapd file (through nfdump)', () => {
  it('is detected by its magic and imports the 4,593 flows of SOURCES.md 1.6', async () => {
    const { summary, stderr } = await run([nfcapd!]);
    expect(summary.files.map((f) => [f.format, f.read, f.imported, f.rejected, f.flows])).toEqual([['nfcapd', 4593, 4593, 0, 4593]]);
    expect(stderr).toContain(`imported 4593 of 4593 records from ${nfcapd} (0 rejected)`);
  });

  it('gives exactly the flows of `TZ=UTC nfdump -r FILE -o csv` imported as nfdump CSV', async () => {
    const csv = file('test1.csv', execFileSync('nfdump', ['-r', nfcapd!, '-o', 'csv'], { env: { ...process.env, TZ: 'UTC' }, maxBuffer: 64 << 20 }));
    const viaNfdump = await run([nfcapd!]);
    const viaCsv = await run([csv], 'nfdump-csv');
    expect(viaNfdump.records.length).toBe(4593);
    expect(viaNfdump.records).toEqual(viaCsv.records);
  });

  it('reads the fields right: the first flow, and the 2,305 one-packet SYNs to 147.32.82.62:902', async () => {
    const { records } = await run([nfcapd!], 'nfcapd');
    // first line of nfdump's CSV: 2018-01-12 15:37:30,2018-01-12 15:37:30,0.000,147.32.80.119,147.32.82.62,52324,902,TCP,......S.,0,0,1,60,...
    expect(records[0]).toMatchObject({ start: Date.UTC(2018, 0, 12, 15, 37, 30), end: Date.UTC(2018, 0, 12, 15, 37, 30), src: parseIp('147.32.80.119'), dst: parseIp('147.32.82.62'), sport: 52324, dport: 902, proto: 6, tcp_flags: 2, packets: 1, bytes: 60 });
    const syns = records.filter((r) => r.src === parseIp('147.32.80.119') && r.dst === parseIp('147.32.82.62') && r.dport === 902 && r.proto === 6 && r.tcp_flags === 2 && r.packets === 1);
    expect(syns.length).toBe(2305);
  });

  it('a file cut short: nfdump complains on stderr (yet exits 0), and that is IMPORT_FILE with its words', async () => {
    const cut = file('cut.nfcapd', readFileSync(nfcapd!).subarray(0, 400));
    await expect(run([cut])).rejects.toMatchObject({ code: 'IMPORT_FILE', location: { file: cut }, message: expect.stringContaining('Short read') });
  });

  it('numbers lines as lines of the CSV output: the header is line 1', async () => {
    const batches = nfcapdLineBatches(nfcapd!);
    const first = await batches.next();
    expect(first.value).toMatchObject({ firstLine: 1 });
    expect((first.value as { lines: string[] }).lines[0]).toMatch(/^ts,te,td,sa,da,/);
    await batches.return(undefined); // ends nfdump
  });
});
