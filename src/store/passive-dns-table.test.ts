import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PassiveDnsObservation } from '../decode/dns/passive-dns-observation.js';
import { testBackends } from '../test-support/test-backends.js';
import { aggregateObservations, appendPassiveDns, ensurePassiveDnsTable, passiveDnsByAnswer, passiveDnsByName, PassiveDnsWriter } from './passive-dns-table.js';
import type { Store } from './store.js';

const o = (rdata: string, firstSeen: number, lastSeen: number, count = 1, rrname = 'a.example', rrtype = 'A'): PassiveDnsObservation => ({ rrname, rrtype, rdata, firstSeen, lastSeen, count, sensor: 's1' });

test('aggregateObservations: per key, earliest first, latest last, counts added', () => {
  expect(aggregateObservations([o('192.0.2.1', 50, 60, 2), o('192.0.2.2', 1, 1), o('192.0.2.1', 10, 20, 3), { ...o('192.0.2.1', 5, 5), sensor: 's2' }])).toEqual([
    o('192.0.2.1', 10, 60, 5),
    o('192.0.2.2', 1, 1),
    { ...o('192.0.2.1', 5, 5), sensor: 's2' },
  ]);
});

describe.each(testBackends())('passive_dns on %s', (_name, make) => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-pdns-table-'));
    store = make(dir);
    await store.open();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('reads on an empty store return nothing (the table is created on demand)', async () => {
    expect(await passiveDnsByName(store, 'a.example')).toEqual([]);
    expect(await passiveDnsByAnswer(store, '192.0.2.1')).toEqual([]);
  });

  test('writes in several statements merge per key at read: min first, max last, sum count', async () => {
    await ensurePassiveDnsTable(store);
    await ensurePassiveDnsTable(store);
    const writer = new PassiveDnsWriter(store, 1);
    await writer.add([o('192.0.2.1', 1_700_000_000_000, 1_700_000_000_500, 2)]);
    await writer.add([o('192.0.2.1', 1_600_000_000_000, 1_600_000_000_000, 1)]);
    await writer.add([o('2001:db8::1', 7, 9, 4, 'a.example', 'AAAA')]);
    await writer.flush();
    expect(writer.written).toBe(3);
    await appendPassiveDns(store, [o('192.0.2.1', 1_650_000_000_000, 1_800_000_000_000, 10), o('a.example', 3, 3, 1, 'www.a.example', 'CNAME')]);
    expect(await passiveDnsByName(store, 'A.Example.')).toEqual([
      { rrname: 'a.example', rrtype: 'A', rdata: '192.0.2.1', sensor: 's1', firstSeen: 1_600_000_000_000, lastSeen: 1_800_000_000_000, count: 13 },
      { rrname: 'a.example', rrtype: 'AAAA', rdata: '2001:db8::1', sensor: 's1', firstSeen: 7, lastSeen: 9, count: 4 },
    ]);
    // An address in another spelling finds the stored canonical text.
    expect((await passiveDnsByAnswer(store, '2001:DB8:0::1')).map((r) => [r.rrname, r.count])).toEqual([['a.example', 4]]);
    expect((await passiveDnsByAnswer(store, 'A.example')).map((r) => [r.rrname, r.rrtype])).toEqual([['www.a.example', 'CNAME']]);
    // A suffix matches at a label boundary only: "xa.example" is not below "a.example".
    await appendPassiveDns(store, [o('192.0.2.9', 1, 1, 1, 'xa.example')]);
    expect((await passiveDnsByName(store, 'a.example', { includeSubdomains: true })).map((r) => r.rrname)).toEqual(['a.example', 'a.example', 'www.a.example']);
  });

  test('values with quotes, percent signs and underscores are bound, not spliced', async () => {
    await appendPassiveDns(store, [o("v=spf1 '%_", 1, 1, 1, "q'_%.example", 'TXT')]);
    expect((await passiveDnsByName(store, "q'_%.example")).map((r) => r.rdata)).toEqual(["v=spf1 '%_"]);
    expect(await passiveDnsByName(store, '_%.example', { includeSubdomains: true })).toEqual([]);
  });
});
