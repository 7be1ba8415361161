// The arp_requests table on every backend: idempotent DDL, bulk append, exact read-back, and the
// Dialect address helpers working on it as on flows.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatIp, parseCidr, parseIp } from '../core/ip.js';
import type { ArpRequest } from '../decode/arp/arp-request.js';
import { readIp, selectIp } from '../detect/flow-sql.js';
import { testBackends } from '../test-support/test-backends.js';
import { appendArpRequests, arpRequestTable, ArpRequestWriter, asArpRequestStore, ensureArpRequestTable } from './arp-request-table.js';
import type { Store } from './store.js';

const ip = (s: string) => parseIp(s)!;
const ROWS: ArpRequest[] = [
  { ts: 1632214650471, ts_last: 1632214653701, src: ip('192.168.1.247'), src_mac: '50:ed:3c:39:bc:d9', dst: ip('192.168.1.0'), requests: 2, gratuitous: false },
  { ts: 1632214650485, ts_last: 1632214650485, src: ip('192.168.1.247'), src_mac: '50:ed:3c:39:bc:d9', dst: ip('192.168.1.255'), requests: 1, gratuitous: false },
  { ts: 1001, ts_last: 1002, src: ip('0.0.0.0'), src_mac: '00:00:00:00:00:01', dst: ip('10.0.0.1'), requests: 4294967295, gratuitous: false },
  { ts: 5000, ts_last: 5000, src: ip('10.0.0.9'), src_mac: 'ff:ff:ff:ff:ff:ff', dst: ip('10.0.0.9'), requests: 1, gratuitous: true },
];

describe.each(testBackends())('arp_requests on %s', (_name, make) => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-arp-table-'));
    store = make(dir);
    await store.open();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('created idempotently, appended in bulk, read back exactly', async () => {
    await ensureArpRequestTable(store);
    await ensureArpRequestTable(store);
    await appendArpRequests(store, ROWS);
    await appendArpRequests(store, []);
    const writer = new ArpRequestWriter(store, 2);
    await writer.add([{ ...ROWS[3]!, ts: 7, ts_last: 8 }]);
    await writer.flush();
    await writer.flush();
    expect(writer.written).toBe(1);
    const d = store.dialect;
    const rows = await store.execute(
      `SELECT ${d.timeMs('ts')} AS t, ${d.timeMs('ts_last')} AS t2, ${selectIp(d, 'src', 's')}, src_mac, ${selectIp(d, 'dst', 'd')}, requests, gratuitous FROM ${arpRequestTable(store)} ORDER BY ts`,
    );
    expect(rows.map((r) => [Number(r.t), Number(r.t2), formatIp(readIp(d, r, 's')!), r.src_mac, formatIp(readIp(d, r, 'd')!), Number(r.requests), Boolean(r.gratuitous)])).toEqual([
      [7, 8, '10.0.0.9', 'ff:ff:ff:ff:ff:ff', '10.0.0.9', 1, true],
      [1001, 1002, '0.0.0.0', '00:00:00:00:00:01', '10.0.0.1', 4294967295, false],
      [5000, 5000, '10.0.0.9', 'ff:ff:ff:ff:ff:ff', '10.0.0.9', 1, true],
      [1632214650471, 1632214653701, '192.168.1.247', '50:ed:3c:39:bc:d9', '192.168.1.0', 2, false],
      [1632214650485, 1632214650485, '192.168.1.247', '50:ed:3c:39:bc:d9', '192.168.1.255', 1, false],
    ]);
  });

  test('the dialect address helpers apply to the table', async () => {
    const d = store.dialect;
    const params = d.newParams();
    const rows = await store.execute(
      `SELECT ${d.countDistinct('dst', 'ip')} AS n, SUM(requests) AS r FROM ${arpRequestTable(store)} WHERE ${d.ipEquals('src', ip('192.168.1.247'), params)} AND ${d.ipInRange('dst', parseCidr('192.168.1.0/24')!, params)}`,
      params.params,
    );
    expect([Number(rows[0]!.n), Number(rows[0]!.r)]).toEqual([2, 3]);
  });

  test('asArpRequestStore tells a store from a plain sink', () => {
    expect(asArpRequestStore(store)).toBe(store);
    expect(asArpRequestStore({ appendFlows: async () => undefined })).toBeUndefined();
    expect(asArpRequestStore(null)).toBeUndefined();
  });
});
