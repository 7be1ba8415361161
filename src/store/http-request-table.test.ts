import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatIp, parseIp } from '../core/ip.js';
import type { HttpRequest } from '../decode/http/http-request.js';
import { readIp, selectIp } from '../detect/flow-sql.js';
import { testBackends } from '../test-support/test-backends.js';
import { appendHttpRequests, asHttpRequestStore, ensureHttpRequestTable, httpRequestTable, HttpRequestWriter } from './http-request-table.js';
import type { Store } from './store.js';

const REQUESTS: HttpRequest[] = [
  { ts: 1639425815415, src: parseIp('172.16.238.1')!, dst: parseIp('172.16.238.10')!, sport: 1984, dport: 8080, method: 'POST', host: '192.168.13.31:8080', uri: '/log4shell/login', user_agent: 'jndi:ldap://172.16.238.11:1389/a', headers: 'Content-Length: 69\nX-Quote: "it\'s"\\', body: 'uname=%24%7Bjndi%3A', source: 'pcap' },
  { ts: 1001, src: parseIp('2001:db8::1')!, dst: parseIp('2001:db8::2')!, sport: 1, dport: 80, method: '${jndi:x}', host: '', uri: '/é\t€', user_agent: '', headers: '', body: '', source: 'zeek-http' },
];

describe.each(testBackends())('http_requests on %s', (_name, make) => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-http-table-'));
    store = make(dir);
    await store.open();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('created idempotently, appended in bulk, read back exactly', async () => {
    await ensureHttpRequestTable(store);
    await ensureHttpRequestTable(store);
    await appendHttpRequests(store, REQUESTS);
    const writer = new HttpRequestWriter(store, 2);
    await writer.add([{ ...REQUESTS[0]!, ts: 5 }]);
    await writer.flush();
    await writer.flush();
    expect(writer.written).toBe(1);
    const d = store.dialect;
    const rows = await store.execute(
      `SELECT ${d.timeMs('ts')} AS t, ${selectIp(d, 'src', 's')}, ${selectIp(d, 'dst', 'd')}, sport, dport, method, host, uri, user_agent, headers, body, source FROM ${httpRequestTable(store)} ORDER BY ts`,
    );
    const read = rows.map((r) => ({ ...r, t: Number(r.t), sport: Number(r.sport), dport: Number(r.dport), s: formatIp(readIp(d, r, 's')!), d: formatIp(readIp(d, r, 'd')!) }));
    expect(read.map((r) => [r.t, r.s, r.d, r.sport, r.dport, r.method, r.host, r.uri, r.user_agent, r.headers, r.body, r.source])).toEqual([
      [5, '172.16.238.1', '172.16.238.10', 1984, 8080, 'POST', '192.168.13.31:8080', '/log4shell/login', 'jndi:ldap://172.16.238.11:1389/a', 'Content-Length: 69\nX-Quote: "it\'s"\\', 'uname=%24%7Bjndi%3A', 'pcap'],
      [1001, '2001:db8::1', '2001:db8::2', 1, 80, '${jndi:x}', '', '/é\t€', '', '', '', 'zeek-http'],
      [1639425815415, '172.16.238.1', '172.16.238.10', 1984, 8080, 'POST', '192.168.13.31:8080', '/log4shell/login', 'jndi:ldap://172.16.238.11:1389/a', 'Content-Length: 69\nX-Quote: "it\'s"\\', 'uname=%24%7Bjndi%3A', 'pcap'],
    ]);
  });

  test('address filters of the dialect apply to the table', async () => {
    const d = store.dialect;
    const params = d.newParams();
    const rows = await store.execute(`SELECT count(*) AS n FROM ${httpRequestTable(store)} WHERE ${d.ipEquals('dst', parseIp('2001:db8::2')!, params)}`, params.params);
    expect(Number(rows[0]!.n)).toBe(1);
  });

  test('asHttpRequestStore tells a store from a plain sink', () => {
    expect(asHttpRequestStore(store)).toBe(store);
    expect(asHttpRequestStore({ appendFlows: async () => undefined })).toBeUndefined();
  });
});
