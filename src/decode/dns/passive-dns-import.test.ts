// `vantage import` of Zeek dns.log (TSV, JSON) and passive-DNS COF files into passive_dns on
// every backend: detection, exact counts from the real logs, the reads the pivot engine uses,
// re-import, and bad lines reported as file:line.
//
// Expected numbers were counted from the raw files with awk/jq, by the import's rules (answers
// of NOERROR or rcode-less responses, one per distinct answer of a response), e.g. for the
// rita proxy log:
//   grep -v '^#' dns.log | awk -F'\t' '($16=="NOERROR"||$16=="-") && $22!="-" && $10!="-" \
//     {n=split($22,a,","); delete s; for(i=1;i<=n;i++) if(!(a[i] in s)){s[a[i]]=1; obs++}; rows++} END{print rows, obs}'
//   -> 227 rows with answers, 646 observations; 103 distinct names; 319 distinct (name, answer).
// and for JSON: jq -r 'select((.rcode_name // "NOERROR")=="NOERROR" and (.answers|length>0)) | ...'.

import { runCli } from '../../test-support/run-cli.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importFiles, registerImport } from '../../cli/commands/import.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { passiveDnsByAnswer, passiveDnsByName, passiveDnsTable } from '../../store/passive-dns-table.js';
import type { Store } from '../../store/store.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { testBackends } from '../../test-support/test-backends.js';

const RITA_TSV = sharedDataPath('zeek-logs/rita-proxy-tsv/dns.log');
const RITA_JSON = sharedDataPath('zeek-logs/rita-json/dns.log');
const SLIPS = sharedDataPath('zeek-logs/slips-test9-mixed/dns.log');
const UPDATE = sharedDataPath('zeek-logs/zeek-baselines/scripts.base.protocols.dns.dynamic-update_dns.log');
const STRATO = sharedDataPath('labeled-flows/stratosphere-security-datasets/003-zeek-scenario-malicious/dns.log');

function capture() {
  let text = '';
  return { io: { stderr: { write: (t: string) => (text += t) } }, text: () => text };
}

/** Stored rows and their summed counts for one sensor. */
async function stored(store: Store, sensor: string): Promise<{ rows: number; count: number }> {
  const d = store.dialect;
  const params = d.newParams();
  const p = params.bind('string', sensor);
  // Grouped first: ClickHouse may hold one key in several unmerged parts.
  const [row] = await store.execute(
    `SELECT count(*) AS r, sum(n) AS c FROM (SELECT rrname, rrtype, rdata, sum(count) AS n FROM ${passiveDnsTable(store)} WHERE sensor = ${p} GROUP BY rrname, rrtype, rdata) AS t`,
    params.params,
  );
  return { rows: Number(row!.r), count: Number(row!.c ?? 0) };
}

const pick = ({ format, read, imported, rejected, flows, observations, names }: Record<string, unknown>) => ({ format, read, imported, rejected, flows, observations, names });

describe.each(testBackends())('passive-DNS import on %s', (_name, make) => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-pdns-import-'));
    store = make(dir);
    await store.open();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test.skipIf(!RITA_TSV)('rita proxy dns.log (TSV, 942 rows): counts, and the by-name and by-answer reads', async () => {
    const { io, text } = capture();
    const summary = await importFiles(store, [RITA_TSV!], { format: 'auto', strict: true } as never, io);
    expect(summary.files.map(pick)).toEqual([{ format: 'zeek-dns', read: 942, imported: 942, rejected: 0, flows: 0, observations: 646, names: 103 }]);
    expect(text()).toContain('imported 942 of 942 records as 646 passive-DNS observations of 103 names');
    expect(await stored(store, RITA_TSV!)).toEqual({ rows: 319, count: 646 });

    // Its 8 responses, checked by hand (awk '$10=="telemetry.servers.getgo.com"'): a CNAME in
    // all 8; 52.38.14.25 and 52.43.109.6 in 5 (first 1610645582.893093, last 1610656382.882891);
    // 3.223.10.86 and 34.198.47.138 in 3 (first 1610650982.882003, last 1610658182.883639).
    const s = { rrname: 'telemetry.servers.getgo.com', sensor: RITA_TSV! };
    const expected = [
      { ...s, rrtype: 'A', rdata: '3.223.10.86', firstSeen: 1610650982882, lastSeen: 1610658182883, count: 3 },
      { ...s, rrtype: 'A', rdata: '34.198.47.138', firstSeen: 1610650982882, lastSeen: 1610658182883, count: 3 },
      { ...s, rrtype: 'A', rdata: '52.38.14.25', firstSeen: 1610645582893, lastSeen: 1610656382882, count: 5 },
      { ...s, rrtype: 'A', rdata: '52.43.109.6', firstSeen: 1610645582893, lastSeen: 1610656382882, count: 5 },
      { ...s, rrtype: 'CNAME', rdata: 'api-telemetry.servers.getgo.com', firstSeen: 1610645582893, lastSeen: 1610658182883, count: 8 },
    ];
    expect(await passiveDnsByName(store, 'Telemetry.Servers.GetGo.com.')).toEqual(expected);
    expect(await passiveDnsByName(store, 'servers.getgo.com')).toEqual([]);
    expect(await passiveDnsByName(store, 'servers.getgo.com', { includeSubdomains: true })).toEqual(expected);
    expect(await passiveDnsByName(store, 'getgo.com', { includeSubdomains: true, limit: 2 })).toEqual(expected.slice(0, 2));
    // 104.18.26.211 is among the answers of 19 responses, all for chrome.cloudflare-dns.com,
    // first 1610645436.068770, last 1610658274.783056.
    expect(await passiveDnsByAnswer(store, '104.18.26.211')).toEqual([
      { rrname: 'chrome.cloudflare-dns.com', rrtype: 'A', rdata: '104.18.26.211', sensor: RITA_TSV!, firstSeen: 1610645436068, lastSeen: 1610658274783, count: 19 },
    ]);
    // A CNAME target leads back to the name that pointed to it.
    expect((await passiveDnsByAnswer(store, 'API-telemetry.servers.getgo.com.')).map((r) => [r.rrname, r.rrtype, r.count])).toEqual([['telemetry.servers.getgo.com', 'CNAME', 8]]);
  });

  test.skipIf(!RITA_JSON || !SLIPS)('Zeek JSON dns.logs: rita (34 rows) and slips test9 (239 rows)', async () => {
    const { io, text } = capture();
    const summary = await importFiles(store, [RITA_JSON!, SLIPS!], { format: 'auto', strict: true } as never, io);
    expect(text()).toContain('imported 273 of 273 records as 629 passive-DNS observations from 2 files (0 rejected)');
    expect(summary.files.map(pick)).toEqual([
      { format: 'zeek-dns', read: 34, imported: 34, rejected: 0, flows: 0, observations: 32, names: 28 },
      { format: 'zeek-dns', read: 239, imported: 239, rejected: 0, flows: 0, observations: 597, names: 147 },
    ]);
    expect(await stored(store, RITA_JSON!)).toEqual({ rows: 29, count: 32 });
    expect(await stored(store, SLIPS!)).toEqual({ rows: 523, count: 597 });
    // The first rita row, field by field: ts 1517336042.279652, query 6dde0175375169c68f.dnsc.r-1x.com,
    // qtype_name TXT, answers ["TXT 18 302f017537c68f5169"].
    expect(await passiveDnsByName(store, '6dde0175375169c68f.dnsc.r-1x.com')).toEqual([
      { rrname: '6dde0175375169c68f.dnsc.r-1x.com', rrtype: 'TXT', rdata: '302f017537c68f5169', sensor: RITA_JSON!, firstSeen: 1517336042279, lastSeen: 1517336042279, count: 1 },
    ]);
  });

  test.skipIf(!STRATO)('re-importing a file adds its counts again; first and last seen stay', async () => {
    // Its one row: 1596790164.509987 infinitedata-pa.googleapis.com A NOERROR 172.217.23.202.
    const row = { rrname: 'infinitedata-pa.googleapis.com', rrtype: 'A', rdata: '172.217.23.202', sensor: STRATO!, firstSeen: 1596790164509, lastSeen: 1596790164509 };
    // slips test9 (imported above) saw the same address for ajax. and www.googleapis.com
    // (its times are seconds from the capture's start: 125.478 and 198.673).
    const others = [
      { rrname: 'ajax.googleapis.com', rrtype: 'A', rdata: '172.217.23.202', sensor: SLIPS, firstSeen: 125478, lastSeen: 125478, count: 1 },
      { rrname: 'www.googleapis.com', rrtype: 'A', rdata: '172.217.23.202', sensor: SLIPS, firstSeen: 198673, lastSeen: 198673, count: 1 },
    ].filter(() => SLIPS !== undefined);
    await importFiles(store, [STRATO!], { format: 'auto', strict: true } as never, capture().io);
    expect(await passiveDnsByAnswer(store, '172.217.23.202')).toEqual([others[0], { ...row, count: 1 }, others[1]].filter(Boolean));
    await importFiles(store, [STRATO!], { format: 'auto', strict: true } as never, capture().io);
    expect(await passiveDnsByAnswer(store, '172.217.23.202')).toEqual([others[0], { ...row, count: 2 }, others[1]].filter(Boolean));
  });

  test('COF JSON lines: detected, stored per rdata, merged with what is already there', async () => {
    const file = join(dir, 'pdns.jsonl');
    writeFileSync(
      file,
      [
        '{"count": 97167, "time_first": 1298306100, "rrtype": "A", "rrname": "www.foo.be", "rdata": "193.191.90.203", "time_last": 1385026330}',
        '{"count": 3, "time_first": 1298306000, "rrtype": "A", "rrname": "www.foo.be", "rdata": "193.191.90.203", "time_last": 1298306050}',
        '{"count": 2, "time_first": 1298306100, "rrtype": "NS", "rrname": "foo.be", "rdata": ["ns1.foo.be", "ns2.foo.be"], "time_last": 1298306200, "sensor_id": "circl-7"}',
      ].join('\n'),
    );
    const { io } = capture();
    const summary = await importFiles(store, [file], { format: 'auto', strict: true } as never, io);
    expect(summary.files.map(pick)).toEqual([{ format: 'passive-dns-cof', read: 3, imported: 3, rejected: 0, flows: 0, observations: 4, names: 2 }]);
    // Two records of one key: earliest first, latest last, 97167 + 3 observations.
    expect(await passiveDnsByAnswer(store, '193.191.90.203')).toEqual([
      { rrname: 'www.foo.be', rrtype: 'A', rdata: '193.191.90.203', sensor: file, firstSeen: 1298306000000, lastSeen: 1385026330000, count: 97170 },
    ]);
    expect((await passiveDnsByName(store, 'foo.be', { includeSubdomains: true })).map((r) => [r.rrname, r.rrtype, r.rdata, r.sensor, r.count])).toEqual([
      ['foo.be', 'NS', 'ns1.foo.be', 'circl-7', 2],
      ['foo.be', 'NS', 'ns2.foo.be', 'circl-7', 2],
      ['www.foo.be', 'A', '193.191.90.203', file, 97170],
    ]);
  });

  test('bad lines are reported as file:line and counted; --strict stops at the first', async () => {
    const tsv = join(dir, 'bad-dns.log');
    writeFileSync(
      tsv,
      [
        '#separator \\x09',
        '#set_separator\t,',
        '#empty_field\t(empty)',
        '#unset_field\t-',
        '#path\tdns',
        '#fields\tts\tquery\tqtype_name\trcode_name\tanswers',
        '10.0\tok.example\tA\tNOERROR\t192.0.2.1',
        'soon\tbad.example\tA\tNOERROR\t192.0.2.2',
        '11.0\tshort.example',
        '12.0\tok.example\tA\tNOERROR\t192.0.2.1',
      ].join('\n'),
    );
    const { io, text } = capture();
    const summary = await importFiles(store, [tsv], { format: 'auto' } as never, io);
    expect(summary.files.map(pick)).toEqual([{ format: 'zeek-dns', read: 4, imported: 2, rejected: 2, flows: 0, observations: 2, names: 1 }]);
    expect(text().split('\n').filter((l) => l.includes('[IMPORT_RECORD]'))).toEqual([
      `${tsv}:8: bad time in field 'ts': 'soon' [IMPORT_RECORD]`,
      `${tsv}:9: truncated line: expected 5 columns, got 2 [IMPORT_RECORD]`,
    ]);
    expect(await passiveDnsByName(store, 'ok.example')).toEqual([{ rrname: 'ok.example', rrtype: 'A', rdata: '192.0.2.1', sensor: tsv, firstSeen: 10000, lastSeen: 12000, count: 2 }]);
    await expect(importFiles(store, [tsv], { format: 'auto', strict: true } as never, capture().io)).rejects.toMatchObject({ code: 'IMPORT_RECORD', location: { file: tsv, line: 8 } });
  });

  test.skipIf(!UPDATE)('the Zeek baseline dynamic-update log: both rows have masked times (XXXXXXXXXX.XXXXXX) and are rejected', async () => {
    const { io, text } = capture();
    const summary = await importFiles(store, [UPDATE!], { format: 'auto' } as never, io);
    expect(summary.files.map(pick)).toEqual([{ format: 'zeek-dns', read: 2, imported: 0, rejected: 2, flows: 0, observations: 0, names: 0 }]);
    // Line 1 is the btest banner, 2-9 the headers.
    expect(text()).toContain(`${UPDATE}:10: bad time in field 'ts': 'XXXXXXXXXX.XXXXXX' [IMPORT_RECORD]`);
    expect(text()).toContain(`${UPDATE}:11: bad time in field 'ts': 'XXXXXXXXXX.XXXXXX' [IMPORT_RECORD]`);
  });
});

describe('vantage import of a dns.log: the command', () => {
  /** Runs the command as main.ts does; returns the exit code and what was printed. */
  const cli = (args: string[]) => runCli(args, registerImport);

  test.skipIf(!STRATO)('prints the summary, stores the observations; --strict exits 1 at a bad line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vantage-pdns-cli-'));
    try {
      const db = join(dir, 'cli.duckdb');
      const r = await cli(['import', '--db', db, '--json', STRATO!]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/^imported 1 of 1 records as 1 passive-DNS observations of 1 names from .*003-zeek-scenario-malicious\/dns\.log \(0 rejected\) in \d+\.\d s\n$/);
      expect(JSON.parse(r.stdout).files).toEqual([{ file: STRATO, format: 'zeek-dns', read: 1, imported: 1, rejected: 0, flows: 0, observations: 1, names: 1 }]);
      const store = new DuckDbStore({ path: db });
      await store.open();
      try {
        expect((await passiveDnsByName(store, 'infinitedata-pa.googleapis.com')).map((x) => [x.rrtype, x.rdata, x.count])).toEqual([['A', '172.217.23.202', 1]]);
        expect((await store.stats()).flows).toBe(0);
      } finally {
        await store.close();
      }
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, ['{"ts":1.0,"query":"a.example","qtype_name":"A","answers":["192.0.2.1"]}', '{"ts":"x","query":"a.example","qtype_name":"A"}'].join('\n'));
      const s = await cli(['import', '--db', db, '--strict', bad]);
      expect(s.code).toBe(1);
      expect(s.stderr).toBe(`vantage: ${bad}:2: bad time in field 'ts': 'x' [IMPORT_RECORD]\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
