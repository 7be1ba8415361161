import { runCli } from '../../test-support/run-cli.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { FlowRecord } from '../../core/columns.js';
import { VantageError } from '../../core/errors.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { importFiles, registerImport, type ImportFormat, type ImportOptions } from './import.js';

/** How many flows a DuckDB store file holds. */
async function storedFlows(db: string): Promise<number> {
  const store = new DuckDbStore({ path: db });
  await store.open();
  try {
    return (await store.stats()).flows;
  } finally {
    await store.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'vantage-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** A sink that keeps what it is given, batch by batch. */
function arraySink() {
  const batches: FlowRecord[][] = [];
  return {
    batches,
    records: () => batches.flat(),
    appendFlows: async (records: readonly FlowRecord[]) => {
      batches.push([...records]);
    },
  };
}

/** Captured stderr for importFiles. */
function capture() {
  const lines: string[] = [];
  return { lines, text: () => lines.join(''), io: { stderr: { write: (t: string) => lines.push(t), isTTY: false } } };
}

async function run(files: string[], options: Partial<ImportOptions> & { format?: ImportFormat } = {}) {
  const sink = arraySink();
  const err = capture();
  const summary = await importFiles(sink, files, { format: 'auto', ...options }, err.io);
  return { sink, summary, stderr: err.text() };
}

// Small fixtures in each format, built from rows of the shared data files.
const NF_HEADER =
  'ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr';
const NF_ROW =
  '2018-01-12 15:37:30,2018-01-12 15:37:30,0.000,147.32.80.119,147.32.82.62,52324,902,TCP,......S.,0,0,1,60,0,0,0,0,2852,2852,0,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,    0.000,    0.000,    0.000,147.32.82.62,0/58,1,1970-01-01 00:00:00.000';
const NF_OBJECT = (srcAddr: string, bytes: string) =>
  `{\n\t"type" : "FLOW",\n\t"first" : "2018-01-12T15:37:30.942",\n\t"last" : "2018-01-12T15:37:30.942",\n\t"in_packets" : 1,\n\t"in_bytes" : ${bytes},\n\t"proto" : 6,\n\t"tcp_flags" : "......S.",\n\t"src_port" : 52324,\n\t"dst_port" : 902,\n\t"src4_addr" : "${srcAddr}",\n\t"dst4_addr" : "147.32.82.62"\n}`;
const ZEEK_HEADER = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tconn',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]',
].join('\n');
const ZEEK_ROW = '1672843056.913119\tCXHB1X22027MRWU6D\t10.136.0.18\t55548\t10.136.0.16\t3128\ttcp\thttp,ssl\t0.084044\t1030\t20275\tSF\tT\tT\t0\tShADadFf\t18\t1974\t14\t21011\t-';
const ZEEK_JSON = '{"ts":1517422326.539915,"uid":"CxHo3m4N8uGxrMlcl2","id.orig_h":"10.55.100.100","id.orig_p":61843,"id.resp_h":"205.204.101.182","id.resp_p":80,"proto":"tcp","duration":108.985496,"conn_state":"SF","history":"ShADadfF","orig_pkts":10,"orig_ip_bytes":1131,"resp_pkts":4,"resp_ip_bytes":508}';
const CSV_HEADER = 'start,src,dst,sport,dport,proto,packets,bytes';
const CSV_ROW = '2024-05-01T12:00:00Z,10.0.0.1,10.0.0.2,1234,443,tcp,3,180';
const JSONL = '{"start":"2024-05-01T12:00:00Z","src":"10.0.0.1","dst":"10.0.0.2","dport":443,"proto":"tcp","packets":3,"bytes":180}';

/** The 1-based number of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

const NF_JSON_BAD = `[\n${[
  NF_OBJECT('147.32.80.119', '60'),
  NF_OBJECT('147.32.80.300', '60'),
  NF_OBJECT('147.32.80.119', 'sixty'),
  NF_OBJECT('147.32.80.119', '60'),
  NF_OBJECT('147.32.80.119', '60').replace('\t"proto" : 6,', '\tproto six'),
  NF_OBJECT('147.32.80.119', '60').split('\n').slice(0, 6).join('\n'),
].join(',\n')}\n`;

/** One good record per format. */
const GOOD: Record<Exclude<ImportFormat, 'auto' | 'argus-binetflow' | 'cicflowmeter' | 'nfcapd'>, string> = {
  'nfdump-csv': `${NF_HEADER}\n${NF_ROW}\n`,
  'nfdump-json': `[\n${NF_OBJECT('147.32.80.119', '60')}]\n`,
  'zeek-tsv': `${ZEEK_HEADER}\n${ZEEK_ROW}\n`,
  'zeek-json': `${ZEEK_JSON}\n`,
  csv: `${CSV_HEADER}\n${CSV_ROW}\n`,
  jsonl: `${JSONL}\n`,
};

/**
 * Per format: a file with two good records and four bad lines (truncated, wrong column count or
 * its JSON equivalent, bad address, bad number), the bad lines' numbers, and flows per good record.
 */
const MALFORMED: { format: ImportFormat; name: string; text: string; bad: number[]; good: number; flowsEach: number }[] = [
  {
    format: 'nfdump-csv',
    name: 'bad.nfdump.csv',
    text: [NF_HEADER, NF_ROW, NF_ROW.slice(0, 80), `${NF_ROW},x`, NF_ROW.replace('147.32.80.119', '147.32.80.300'), NF_ROW.replace(',1,60,', ',1,sixty,'), NF_ROW, 'Summary', 'flows,bytes', '2,120'].join('\n'),
    bad: [3, 4, 5, 6],
    good: 2,
    flowsEach: 1,
  },
  {
    format: 'nfdump-json',
    name: 'bad.nfdump.json',
    text: NF_JSON_BAD,
    // a bad address, a bad number, a malformed member line, and an object cut off at its start
    bad: [lineOf(NF_JSON_BAD, '147.32.80.300'), lineOf(NF_JSON_BAD, 'sixty'), lineOf(NF_JSON_BAD, 'proto six'), NF_JSON_BAD.split('\n').lastIndexOf('{') + 1],
    good: 2,
    flowsEach: 1,
  },
  {
    format: 'zeek-tsv',
    name: 'bad.conn.log',
    text: [ZEEK_HEADER, ZEEK_ROW, ZEEK_ROW.split('\t').slice(0, 10).join('\t'), `${ZEEK_ROW}\tx`, ZEEK_ROW.replace('10.136.0.16', '10.136.0'), ZEEK_ROW.replace('\t18\t1974\t', '\t18\t19z4\t'), ZEEK_ROW].join('\n'),
    bad: [9, 10, 11, 12],
    good: 2,
    flowsEach: 2,
  },
  {
    format: 'zeek-json',
    name: 'bad.conn.json',
    text: [ZEEK_JSON, ZEEK_JSON.slice(0, 100), ZEEK_JSON.replace('"proto":"tcp"', '"proto":tcp'), ZEEK_JSON.replace('"10.55.100.100"', '"10.55.100.1000"'), ZEEK_JSON.replace('"orig_pkts":10', '"orig_pkts":"10x"'), ZEEK_JSON].join('\n'),
    bad: [2, 3, 4, 5],
    good: 2,
    flowsEach: 2,
  },
  {
    format: 'csv',
    name: 'bad.csv',
    text: [CSV_HEADER, CSV_ROW, CSV_ROW.slice(0, 25), `${CSV_ROW},x`, CSV_ROW.replace('10.0.0.2', '10.0.0.2.5'), CSV_ROW.replace(',3,180', ',3,18o'), CSV_ROW].join('\n'),
    bad: [3, 4, 5, 6],
    good: 2,
    flowsEach: 1,
  },
  {
    format: 'jsonl',
    name: 'bad.jsonl',
    text: [JSONL, JSONL.slice(0, 40), JSONL.replace('"tcp"', 'tcp'), JSONL.replace('"10.0.0.1"', '"10.0.0"'), JSONL.replace('"packets":3', '"packets":-3'), JSONL].join('\n'),
    bad: [2, 3, 4, 5],
    good: 2,
    flowsEach: 1,
  },
];

describe('vantage import: malformed lines, every format', () => {
  describe.each(MALFORMED)('$format', ({ format, name, text, bad, good, flowsEach }) => {
    const path = file(name, text);

    it('without --strict: reports each bad line as FILE:LINE and imports all the good ones', async () => {
      const { sink, summary, stderr } = await run([path]);
      expect(summary.files[0]).toMatchObject({ file: path, format, read: good + bad.length, imported: good, rejected: bad.length, flows: good * flowsEach });
      expect(sink.records().length).toBe(good * flowsEach);
      const reported = [...stderr.matchAll(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+): (.+) \\[IMPORT_RECORD\\]$`, 'gm'))];
      expect(reported.map((m) => Number(m[1]))).toEqual(bad);
      expect(stderr).toContain(`imported ${good} of ${good + bad.length} records`);
      expect(stderr).toContain(`(${bad.length} rejected)`);
    });

    it('with --strict: throws IMPORT_RECORD at the first bad line, naming file and line', async () => {
      const err = await run([path], { strict: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VantageError);
      expect(err).toMatchObject({ code: 'IMPORT_RECORD', location: { file: path, line: bad[0] } });
    });

    it('with --format given, reads the same', async () => {
      expect((await run([path], { format })).summary.rejected).toBe(bad.length);
    });
  });

  it('prints at most 20 messages per file, then a count', async () => {
    const path = file('many-bad.csv', [CSV_HEADER, ...Array.from({ length: 25 }, () => CSV_ROW.replace('10.0.0.1', 'x')), CSV_ROW].join('\n'));
    const { summary, stderr } = await run([path]);
    expect(summary).toMatchObject({ read: 26, imported: 1, rejected: 25 });
    expect(stderr.match(/\[IMPORT_RECORD\]/g)!.length).toBe(20);
    expect(stderr).toContain(`${path}: 5 more rejected lines not shown`);
  });
});

describe('vantage import: file and format errors', () => {
  it.each([
    ['nfdump-csv', 'date,flow\n1,2\n'],
    ['nfdump-json', 'ts,te\n'],
    ['zeek-tsv', '1672843056.913119\t10.0.0.1\n'],
    ['zeek-json', '{"ts":1,"query":"x"}\n'],
    ['csv', 'when,who,what\n1,2,3\n'],
    ['jsonl', '{"when":1}\n'],
  ] as const)('an unknown header for %s is IMPORT_FORMAT naming the file, before anything is written', async (format, text) => {
    const good = file(`good-${format}.log`, GOOD[format]);
    const path = file(`unknown-${format}.txt`, text);
    expect((await run([good], { format })).summary.imported).toBe(1);
    const sink = arraySink();
    const err = await importFiles(sink, [good, path], { format }, capture().io).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IMPORT_FORMAT', location: { file: path }, message: expect.stringContaining('unknown header') });
    expect(sink.batches).toEqual([]);
  });

  it('an empty file is skipped with a notice', async () => {
    const empty = file('empty.log', '\n\n');
    const good = file('after-empty.csv', `${CSV_HEADER}\n${CSV_ROW}\n`);
    const { summary, stderr } = await run([empty, good]);
    expect(summary.files.map((f) => f.file)).toEqual([good]);
    expect(stderr).toContain(`vantage: ${empty} is empty: skipped`);
  });

  it('a file whose format cannot be told is IMPORT_FORMAT', async () => {
    const path = file('words.txt', 'hello\nworld\n');
    await expect(run([path])).rejects.toMatchObject({ code: 'IMPORT_FORMAT', message: expect.stringContaining('cannot tell the format') });
  });

  it('a binary file that is not an nfcapd file is IMPORT_FORMAT with a hint', async () => {
    const path = file('random.bin', Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0a]));
    await expect(run([path])).rejects.toMatchObject({ code: 'IMPORT_FORMAT', message: expect.stringContaining('binary data') });
  });

  it('a missing file is IMPORT_FILE, before anything is written', async () => {
    const good = file('good.csv', `${CSV_HEADER}\n${CSV_ROW}\n`);
    const sink = arraySink();
    const err = await importFiles(sink, [good, join(dir, 'missing.csv')], { format: 'auto' }, capture().io).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IMPORT_FILE', message: 'cannot read: no such file', location: { file: join(dir, 'missing.csv') } });
    expect(sink.batches).toEqual([]);
  });

  it('--map with a fixed-layout format is a usage error', async () => {
    const path = file('m.csv', `${CSV_HEADER}\n${CSV_ROW}\n`);
    await expect(run([path], { format: 'zeek-json', overrides: new Map([['dst', 'x']]) })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('vantage import: damaged input keeps what can be read', () => {
  const ZEEK_ROWS = (n: number) => Array.from({ length: n }, (_, i) => ZEEK_ROW.replace('\t55548\t', `\t${10000 + i}\t`));

  it('gzip data cut short: the lines before are imported and summed up, then IMPORT_FILE names the last whole line', async () => {
    // A whole gzip member of the 7 header lines and 250 rows, then a second member cut after its
    // 10-byte header: every line of the first is read, line 257 is the last whole one.
    const first = `${ZEEK_HEADER}\n${ZEEK_ROWS(250).join('\n')}\n`;
    const path = file('cut.conn.log.gz', Buffer.concat([gzipSync(first), gzipSync(`${ZEEK_ROWS(50).join('\n')}\n`).subarray(0, 10)]));
    const sink = arraySink();
    const err = capture();
    const error = await importFiles(sink, [path], { format: 'auto', batch: 100 }, err.io).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IMPORT_FILE', location: { file: path }, message: 'the gzip data is cut short after line 257 (unexpected end of file): the rest of the file is missing' });
    // Each row is two flows (resp_pkts 14): 500 flows in batches of 100, all appended.
    expect(sink.batches.map((b) => b.length)).toEqual([100, 100, 100, 100, 100]);
    expect(err.text()).toMatch(new RegExp(`^imported 250 of 250 records as 500 flows from ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(0 rejected\\) in \\d+\\.\\d s\n$`));
  });

  it('gzip data cut short: exit status 1 after the summary, no stack trace; the next file is still imported', async () => {
    const gz = file('cut2.conn.log.gz', Buffer.concat([gzipSync(`${ZEEK_HEADER}\n${ZEEK_ROWS(3).join('\n')}\n`), Buffer.from([0x1f, 0x8b, 8, 0])]));
    const csv = file('after-cut.csv', `${CSV_HEADER}\n${CSV_ROW}\n`);
    const db = join(dir, 'cut.duckdb');
    const r = await runCli(['import', '--db', db, '--json', gz, csv], registerImport);
    expect(r.code).toBe(1);
    // The totals reach stdout before the damaged file fails the import.
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 4, imported: 4, rejected: 0, flows: 7 });
    expect(r.stderr.split('\n').map((l) => l.replace(/ in \d+\.\d s$/, ''))).toEqual([
      `imported 3 of 3 records as 6 flows from ${gz} (0 rejected)`,
      `imported 1 of 1 records from ${csv} (0 rejected)`,
      'imported 4 of 4 records as 7 flows from 2 files (0 rejected)',
      `vantage: ${gz}: the gzip data is cut short after line 10 (unexpected end of file): the rest of the file is missing [IMPORT_FILE]`,
      '',
    ]);
    expect(await storedFlows(db)).toBe(7);
  });

  it('a line over the limit is rejected by number, unread; the lines after it are imported', async () => {
    // Line 3 is 30 MB: it used to abort the file ("line 3 is longer than 262144 characters").
    const path = file('long-line.csv', `${CSV_HEADER}\n${CSV_ROW}\n${'x'.repeat(30 << 20)}\n${CSV_ROW}\n`);
    const { sink, summary, stderr } = await run([path]);
    expect(summary).toMatchObject({ read: 3, imported: 2, rejected: 1, flows: 2 });
    expect(sink.records().length).toBe(2);
    expect(stderr).toContain(`${path}:3: line longer than 1048576 characters: skipped [IMPORT_RECORD]\n`);
    // A first line over the limit does not hide the format: the lines after it tell it.
    const jsonl = file('long-first.jsonl', `{"x":"${'y'.repeat(2 << 20)}"}\n${JSONL}\n${JSONL}\n`);
    const r = await run([jsonl]);
    expect(r.summary.files[0]).toMatchObject({ format: 'jsonl', read: 3, imported: 2, rejected: 1 });
    expect(r.stderr).toContain(`${jsonl}:1: line longer than 1048576 characters: skipped [IMPORT_RECORD]`);
  });

  it('JSON lines: a bad first line is rejected like any other, detected or with --format', async () => {
    const jsonl = file('bad-first.jsonl', ['{"foo":1}', ...Array<string>(9).fill(JSONL)].join('\n'));
    const zeek = file('bad-first.conn.json', [ZEEK_JSON.slice(0, 70), ZEEK_JSON, ZEEK_JSON].join('\n'));
    for (const format of ['auto', 'jsonl'] as const) {
      const r = await run([jsonl], { format });
      expect(r.summary.files[0]).toMatchObject({ format: 'jsonl', read: 10, imported: 9, rejected: 1, flows: 9 });
      expect(r.stderr).toContain(`${jsonl}:1: missing value in field 'start' [IMPORT_RECORD]`);
    }
    for (const format of ['auto', 'zeek-json'] as const) {
      const r = await run([zeek], { format });
      expect(r.summary.files[0]).toMatchObject({ format: 'zeek-json', read: 3, imported: 2, rejected: 1, flows: 4 });
      expect(r.stderr).toContain(`${zeek}:1: truncated line: the JSON object is not closed [IMPORT_RECORD]`);
    }
  });

  it('--map naming a key no line has is IMPORT_FORMAT naming that key', async () => {
    const path = file('map-nope.jsonl', `${JSONL}\n`);
    await expect(run([path], { overrides: new Map([['src', 'nope']]) })).rejects.toMatchObject({
      code: 'IMPORT_FORMAT',
      location: { file: path, line: 1 },
      message: "unknown header: --map src=nope: the object has no key 'nope' (read as jsonl; --format picks another)",
    });
  });

  it('scans: an unclosed masscan object and malformed nmap XML cost their record; XML that is not nmap is refused', async () => {
    const rec = (ip: string, port: number) => `{   "ip": "${ip}",   "timestamp": "1700000000", "ports": [ {"port": ${port}, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 61} ] }`;
    const masscan = file('mass13.json', ['[', rec('10.2.0.1', 80), ',', rec('10.2.0.5', 22).slice(0, -6), ',', rec('10.2.0.6', 443), ',', rec('10.2.0.7', 8080), ']'].join('\n'));
    const m = await run([masscan]);
    expect(m.summary.files[0]).toMatchObject({ format: 'masscan-json', read: 4, imported: 3, rejected: 1, services: 3, hosts: 3 });
    expect(m.stderr).toContain(`${masscan}:4: truncated record: the object opened at line 4 is not closed (the next one opens at line 6) [IMPORT_RECORD]`);
    const host = (ip: string, port: number) => [`<host starttime="1700000001"><address addr="${ip}" addrtype="ipv4"/>`, `<ports><port protocol="tcp" portid="${port}"><state state="open"/><service name="http"/></port></ports>`, '</host>'];
    const broken = host('10.3.0.2', 80).slice(0, 2).map((l) => l.replace('<service name="http"/></port></ports>', '<service name="http"'));
    const nmap = file('broken.xml', ['<nmaprun scanner="nmap" start="1700000000">', ...host('10.3.0.1', 22), ...broken, ...host('10.3.0.3', 443), '</nmaprun>'].join('\n'));
    const n = await run([nmap]);
    expect(n.summary.files[0]).toMatchObject({ format: 'nmap-xml', read: 3, imported: 2, rejected: 1, services: 2, hosts: 2 });
    expect(n.stderr).toContain(`${nmap}:7: malformed XML: disallowed character in attribute name at '<host starttime="1700000001"><' (the <host> opened at line 5 is dropped) [IMPORT_RECORD]`);
    const garbage = file('garbage.xml', '<nmaprun <<<>>> &&&\n');
    const sink = arraySink();
    await expect(importFiles(sink, [masscan, garbage], { format: 'auto' }, capture().io)).rejects.toMatchObject({
      code: 'IMPORT_FORMAT',
      location: { file: garbage, line: 1 },
      message: expect.stringMatching(/^not nmap XML: malformed XML: /),
    });
    expect(sink.batches).toEqual([]);
  });
});

describe('vantage import: real files', () => {
  const zeekTsv = sharedDataPath('zeek-logs/rita-proxy-tsv/conn.log');
  const zeekJson = sharedDataPath('labeled-flows/stratosphere-security-datasets/002-zeek-scenario-port-scanning/conn.log');

  it.skipIf(!zeekJson)('appends in batches of --batch flows', async () => {
    const text = readFileSync(zeekJson!, 'utf8');
    const rows = text.split('\n').filter((l) => l !== '').length;
    const flows = rows + [...text.matchAll(/"resp_pkts":(\d+)/g)].filter((m) => Number(m[1]) > 0).length;
    const { sink, summary } = await run([zeekJson!], { batch: 1000 });
    expect(summary).toMatchObject({ read: rows, imported: rows, rejected: 0, flows });
    expect(sink.batches.map((b) => b.length)).toEqual([...Array(Math.floor(flows / 1000)).fill(1000), flows % 1000]);
  });

  it.skipIf(!zeekTsv)('reads gzip files and several files in one run', async () => {
    const text = readFileSync(zeekTsv!, 'utf8');
    const gz = file('conn.log.gz', gzipSync(text));
    const rows = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    const { summary, stderr } = await run([zeekTsv!, gz]);
    expect(summary.files.map((f) => [f.format, f.read])).toEqual([
      ['zeek-tsv', rows],
      ['zeek-tsv', rows],
    ]);
    expect(summary.flows).toBe(2 * summary.files[0]!.flows);
    expect(stderr).toMatch(new RegExp(`imported ${2 * rows} of ${2 * rows} records as ${summary.flows} flows from 2 files \\(0 rejected\\)`));
  });

  const nfdumpFile = sharedDataPath('flow-export/slips-nfdump/test1-malicious.nfdump');
  it.skipIf(!nfdumpFile || !requireTool('nfdump'))('detects nfdump CSV and JSON output and imports both alike', async () => {
    const out = (fmt: string) => execFileSync('nfdump', ['-r', nfdumpFile!, '-o', fmt], { env: { ...process.env, TZ: 'UTC' }, maxBuffer: 256 << 20 });
    const csv = file('all.csv', out('csv'));
    const json = file('all.json', out('json'));
    const { sink, summary, stderr } = await run([csv, json]);
    expect(summary.files.map((f) => [f.format, f.read, f.rejected])).toEqual([
      ['nfdump-csv', 4593, 0],
      ['nfdump-json', 4593, 0],
    ]);
    expect(stderr).toContain(`imported 4593 of 4593 records from ${csv} (0 rejected) in `);
    const records = sink.records();
    const key = (r: FlowRecord) => `${r.src}|${r.dst}|${r.sport}|${r.dport}|${r.proto}|${r.tcp_flags}|${r.packets}|${r.bytes}|${Math.floor(r.start / 1000)}`;
    // CSV has second precision, JSON milliseconds: otherwise the same flows
    expect(records.slice(0, 4593).map(key)).toEqual(records.slice(4593).map(key));
  });
});

describe('vantage import: the command', () => {
  afterEach(() => vi.restoreAllMocks());

  /** Runs the command as main.ts does; returns the exit code and what was printed. */
  const cli = (args: string[]) => runCli(args, registerImport);

  it('imports into a DuckDB store and prints the JSON summary; a rejected line makes it exit 1 after the rest is imported', async () => {
    const db = join(dir, 'cli.duckdb');
    const path = file('cli.csv', [CSV_HEADER, CSV_ROW, CSV_ROW.replace('10.0.0.2', 'nope'), CSV_ROW].join('\n'));
    const r = await cli(['import', '--db', db, '--json', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path}:3: bad address in field 'dst': 'nope' [IMPORT_RECORD]`);
    expect(r.stderr).toMatch(/imported 2 of 3 records from .*cli\.csv \(1 rejected\) in \d+\.\d s\nvantage: 1 of 3 records rejected \(listed above\); the other 2 were imported \[IMPORT_RECORD\]\n$/);
    expect(JSON.parse(r.stdout)).toEqual({ files: [{ file: path, format: 'csv', read: 3, imported: 2, rejected: 1, flows: 2 }], read: 3, imported: 2, rejected: 1, flows: 2 });
    expect(await storedFlows(db)).toBe(2);
  });

  const invalidV5 = sharedDataPath('flow-export/logstash-codec-netflow/netflow5_test_invalid01.dat');
  const goodV5 = sharedDataPath('flow-export/logstash-codec-netflow/netflow5.dat');
  it.skipIf(!invalidV5 || !goodV5)('--format export-pcap: a malformed datagram makes it exit 1, after importing the other files', async () => {
    const db = join(dir, 'export-bad.duckdb');
    const r = await cli(['import', '--db', db, '--format', 'export-pcap', invalidV5!, goodV5!]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(': packet 1: offset 2 of the datagram: datagram not decoded [DECODE_BAD_LENGTH]\n');
    // logstash's netflow5.dat spec: two records.
    expect(r.stderr).toMatch(/vantage: 1 problem of malformed input \(listed above\); the other 2 flows were imported \[IMPORT_RECORD\]\n$/);
    expect(await storedFlows(db)).toBe(2);
  });

  it('a clean import exits 0', async () => {
    const r = await cli(['import', '--db', join(dir, 'clean.duckdb'), file('clean.csv', [CSV_HEADER, CSV_ROW].join('\n'))]);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stderr).toMatch(/^imported 1 of 1 records from .*clean\.csv \(0 rejected\) in \d+\.\d s\n$/);
  });

  it('--strict exits 1 with the coded error and no stack trace', async () => {
    const path = file('strict.csv', [CSV_HEADER, CSV_ROW, CSV_ROW.replace(',3,180', ',3,x')].join('\n'));
    const r = await cli(['import', '--db', join(dir, 'strict.duckdb'), '--strict', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`vantage: ${path}:3: bad number in field 'bytes': 'x' [IMPORT_RECORD]\n`);
  });

  it('a missing file exits 1 with IMPORT_FILE and creates no store', async () => {
    const db = join(dir, 'never.duckdb');
    const r = await cli(['import', '--db', db, join(dir, 'absent.log')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`vantage: ${join(dir, 'absent.log')}: cannot read: no such file [IMPORT_FILE]\n`);
    expect(() => readFileSync(db)).toThrow();
  });

  it('--sampling N scales the counts of records without a rate of their own, and only theirs', async () => {
    const db = join(dir, 'sampling.duckdb');
    // One record without a rate; one whose exporter's rate is in the record (already applied).
    const path = file('sampling.jsonl', [JSONL, JSONL.replace('"src":"10.0.0.1"', '"src":"10.0.0.3"').replace('"packets":3', '"packets":500,"sampling":100')].join('\n'));
    const r = await cli(['import', '--db', db, '--sampling', '38', path]);
    expect(r.code).toBe(0);
    const store = new DuckDbStore({ path: db });
    await store.open();
    try {
      const rows = await store.execute('SELECT sport, packets, bytes, sampling FROM flows ORDER BY packets');
      // 3 packets and 180 bytes, 1 in 38: estimated 114 packets and 6,840 bytes.
      expect(rows.map((x) => ({ packets: Number(x.packets), bytes: Number(x.bytes), sampling: Number(x.sampling) }))).toEqual([
        { packets: 114, bytes: 6_840, sampling: 38 },
        { packets: 500, bytes: 180, sampling: 100 },
      ]);
    } finally {
      await store.close();
    }
  });

  it('rejects a bad --sampling with a usage error, exit 1, before reading', async () => {
    const path = file('s.csv', `${CSV_HEADER}\n${CSV_ROW}\n`);
    for (const bad of ['0', '-3', '2.5', 'ten', '']) {
      const r = await cli(['import', '--db', join(dir, 'never-s.duckdb'), '--sampling', bad, path]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`vantage: --sampling must be a whole number from 1 (1 in N flows or packets), got '${bad}' [USAGE]\n`);
    }
    expect(() => readFileSync(join(dir, 'never-s.duckdb'))).toThrow();
    const pcap = await cli(['import', '--db', join(dir, 'never-s.duckdb'), '--format', 'pcap', '--sampling', '10', path]);
    expect(pcap.code).toBe(1);
    expect(pcap.stderr).toContain('--sampling applies to flow logs, not --format pcap');
  });

  it('rejects a bad --batch and --map before reading', async () => {
    const path = file('b.csv', `${CSV_HEADER}\n${CSV_ROW}\n`);
    expect((await cli(['import', '--db', join(dir, 'b.duckdb'), '--batch', '0', path])).stderr).toContain('[USAGE]');
    expect((await cli(['import', '--db', join(dir, 'b.duckdb'), '--map', 'nonsense', path])).stderr).toContain('[USAGE]');
    expect((await cli(['import', '--db', join(dir, 'b.duckdb'), '--format', 'xml', path])).code).toBe(1);
  });
});
