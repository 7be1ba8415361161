// Services derived from real flows on every backend: the Stratosphere 008 Zeek conn.log
// (5,662 connections), checked against counts made from the raw log with awk.
//
// The rule, as awk over the log (conn.log imports as an originator flow and, when resp_pkts > 0,
// a responder flow): a reply is (a) the responder's flow when id.resp_p < id.orig_p, with the
// lower-case history letters as its flags, or (b) the originator's flow when id.orig_p <
// id.resp_p, upper-case letters; a TCP reply counts with h/H (SYN+ACK), or a/d (A/D) without r (R):
//   function us(t, a) { split(t, a, "."); return a[1] * 1000000 + substr(a[2] "000000", 1, 6) }
//   function ok(p, h, sa, ack, rst) { return p == "udp" || (p == "tcp" && (h ~ sa || (h ~ ack && h !~ rst))) }
//   { if ($7 != "tcp" && $7 != "udp") next; s = us($1); d = $9 == "-" ? 0 : us($9)
//     if ($19 > 0 && $6 + 0 < $4 + 0 && ok($7, $16, "h", "[ad]", "r")) add($5, $6, $7, $3, s, s + d)
//     if ($17 > 0 && $4 + 0 < $6 + 0 && ok($7, $16, "H", "[AD]", "R")) add($3, $4, $7, $5, s, s + d) }
//   (add counts flows and distinct clients per server/port/proto, keeping min start and max end)
// gives, for at least 3 distinct clients, exactly three services, all on 147.32.81.167/tcp:
//   5060: 5 clients, 29 flows, first start 1655090848.277057, last end 1655147255.288850+63.519360
//   8008: 5 clients, 16 flows, first 1655074109.924560, last end 1655149287.179712+0.215074
//   2000: 5 clients, 12 flows, first 1655079879.586931, last end 1655145650.898274+0.093104
// (With conn_state SF only, as a first hand check: awk '$12=="SF" && $7=="tcp" && $6<$4' counts
// 3 distinct id.orig_h for 147.32.81.167:8008 and fewer than 3 everywhere else.)
// Before 1655100000 (ts < 1655100000), at least 2 clients: 8008 (2 clients, 6 flows, last end
// 1655074115.086796) and 2000 (2 clients, 9 flows, last end 1655093285.763832).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importFiles } from '../cli/commands/import.js';
import { sharedDataPath } from '../test-support/shared-data.js';
import { testBackends } from '../test-support/test-backends.js';
import { deriveServices } from './derive-services.js';
import { hostsServing, servicesOf } from './services-table.js';
import type { Store } from './store.js';

const CONN = sharedDataPath('labeled-flows/stratosphere-security-datasets/008-zeek-mixed/data/conn.log.labeled');

const svc = (port: number, clients: number, count: number, firstSeen: number, lastSeen: number) => ({
  ip: '147.32.81.167', port, transport: 'tcp', source: 'flows', service: '', product: '', banner: '', firstSeen, lastSeen, count, clients,
});

describe.each(testBackends())('services derived from flows on %s', (_name, make) => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-derive-services-'));
    store = make(dir);
    await store.open();
    if (CONN) await importFiles(store, [CONN], { format: 'zeek-tsv', strict: false, batch: 10000 } as never, { stderr: { write() {} } });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test.skipIf(!CONN)('a window and a lower threshold, not stored', async () => {
    expect(await deriveServices(store, { to: 1655100000000, minClients: 2, store: false })).toEqual([
      svc(2000, 2, 9, 1655079879586, 1655093285763),
      svc(8008, 2, 6, 1655074109924, 1655074115086),
    ]);
    expect(await servicesOf(store, '147.32.81.167')).toEqual([]);
  });

  test.skipIf(!CONN)('the whole log, default threshold 3: the three services of 147.32.81.167, stored', async () => {
    const found = await deriveServices(store);
    expect(found).toEqual([
      svc(2000, 5, 12, 1655079879586, 1655145650991),
      svc(5060, 5, 29, 1655090848277, 1655147318808),
      svc(8008, 5, 16, 1655074109924, 1655149287394),
    ]);
    expect(await servicesOf(store, '147.32.81.167')).toEqual(found.map(({ clients: _, ...s }) => s));
    expect((await hostsServing(store, 5060, 'tcp')).map((r) => [r.ip, r.source, r.count])).toEqual([['147.32.81.167', 'flows', 29]]);
    expect(await deriveServices(store, { minClients: 6, store: false })).toEqual([]);
    // A window ending just before 147.32.81.167's first reply finds none of its services, even
    // at one client; from just after it, the reply of 167.94.145.16 (its only one) is gone.
    const of = (s: { ip: string; port: number; clients: number }[]) => s.filter((x) => x.ip === '147.32.81.167').map((x) => [x.port, x.clients]);
    expect(of(await deriveServices(store, { from: 0, to: 1655074109924, minClients: 1, store: false }))).toEqual([]);
    expect(of(await deriveServices(store, { from: 1655074109925, to: 1655074109925 + 10_000, minClients: 1, store: false }))).toEqual([[8008, 1]]);
  });
});
