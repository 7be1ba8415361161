import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../core/columns.js';
import { runQuery } from '../query/run-query.js';
import { testBackends } from '../test-support/test-backends.js';
import { copyFlows } from './copy-flows.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-copy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
// 5 hours, 100 flows an hour; flow i carries i bytes, so totals are sums of 0..499 = 124,750.
const FLOWS: FlowRecord[] = Array.from({ length: 500 }, (_, i) => ({
  start: T0 + Math.floor(i / 100) * HOUR + (i % 100) * 1000,
  end: T0 + Math.floor(i / 100) * HOUR + (i % 100) * 1000 + 500,
  src: 0x0a000000 + (i % 7),
  dst: i % 2 ? 0xc0000201 : (0x20010db8n << 96n) | BigInt(i),
  sport: 1024 + i,
  dport: i % 3 === 0 ? 443 : 53,
  proto: i % 3 === 0 ? 6 : 17,
  tcp_flags: i % 3 === 0 ? 0x1b : 0,
  packets: 1 + (i % 5),
  bytes: i,
  exporter: 0xc0000201,
  src_country: i % 2 ? 'NL' : 'DE',
  tags: i % 10 === 0 ? ['ten'] : [],
}));

const backends = testBackends();

// chdb allows one data directory per process, so ClickHouse -> ClickHouse is not tried here.
const pairs = backends.flatMap(([from, makeFrom]) => backends.map(([to, makeTo]) => [from, makeFrom, to, makeTo] as const));
describe.each(pairs.filter(([from, , to]) => from !== 'clickhouse' || to !== 'clickhouse'))(
  'copy %s -> %s',
  (fromName, makeFrom, toName, makeTo) => {
    it('copies every flow once, and resumes without duplicates', async () => {
      const dir = join(work, `${fromName}-${toName}`);
      const source = makeFrom(join(dir, 'source'));
      const target = makeTo(join(dir, 'target'));
      await source.open();
      await target.open();
      try {
        await source.appendFlows(FLOWS);
        // An interrupted earlier copy: the first two hours and part of the third.
        await target.appendFlows(FLOWS.slice(0, 230));
        const copied = await copyFlows(source, target);
        expect(copied).toBe(300); // hours 3..5 copied again after dropping the partial hour 3
        for (const query of ['any | count', 'proto udp | count by src_country', 'any | timeline 1h', 'tag ten | count', 'net 2001:db8::/32 | count']) {
          expect((await runQuery(target, query)).rows).toEqual((await runQuery(source, query)).rows);
        }
        expect((await runQuery(target, 'any | count')).rows[0]).toEqual({ flows: 500, packets: 1500, bytes: 124_750 });
      } finally {
        await source.close();
        await target.close();
      }
    });
  },
);
