// The contract every store backend keeps, run against each implementation.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../core/columns.js';
import { parseIp } from '../core/ip.js';
import { compileQuery } from '../query/compile/compile.js';
import { parseQuery } from '../query/language/parser.js';
import { runQuery } from '../query/run-query.js';
import { testBackends } from '../test-support/test-backends.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-store-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const backends = testBackends().map(([name, make]) => [name, () => make(join(work, name)), make] as const);

const FULL: FlowRecord = {
  start: Date.UTC(2024, 0, 2, 3, 4, 5, 678),
  end: Date.UTC(2024, 0, 2, 3, 4, 9, 1),
  src: parseIp('2001:db8::dead:beef')!,
  dst: parseIp('198.51.100.7')!,
  sport: 65535,
  dport: 443,
  proto: 6,
  tcp_flags: 0xff,
  packets: 6_000_000_000, // beyond 32 bits
  bytes: 9_007_199_254_740_000, // near 2^53
  exporter: parseIp('192.0.2.1')!,
  in_if: 4294967295,
  out_if: 7,
  sampling: 1000,
  src_as: 4200000000,
  dst_as: 64500,
  next_hop: parseIp('fe80::1')!,
  src_vlan: 4094,
  dst_vlan: 1,
  icmp_type: 255,
  icmp_code: 0,
  tos: 184,
  direction: 1,
  end_reason: 3,
  src_country: 'NL',
  dst_country: 'US',
  tags: ['feodo:emotet', 'c2'],
};

const SPARSE: FlowRecord = {
  start: 0,
  end: 0,
  src: 0,
  dst: parseIp('::')!,
  sport: 0,
  dport: 0,
  proto: 0,
  tcp_flags: 0,
  packets: 0,
  bytes: 0,
};

describe.each(backends)('%s store contract', (name, make, makeWith) => {
  it('drops flows past the retention period', async () => {
    const store = makeWith(join(work, `${name}-retention`), { retentionDays: 30 });
    await store.open();
    try {
      const now = Date.now();
      const at = (daysAgo: number): FlowRecord => ({ ...SPARSE, start: now - daysAgo * 86_400_000, end: now - daysAgo * 86_400_000, bytes: daysAgo });
      await store.appendFlows([at(45), at(31), at(29), at(1)]);
      await store.enforceRetention(now);
      const [row] = await store.run(compileQuery(parseQuery('any | count'), store.dialect));
      expect(row).toEqual({ flows: 2, packets: 0, bytes: 30 }); // the 29- and 1-day-old flows remain
      // Queries a rollup can answer (ClickHouse's per-minute and per-hour tables) agree: the
      // rollups expire with the flows.
      expect((await runQuery(store, 'any | count by proto')).rows).toEqual([{ proto: 0, flows: 2, packets: 0, bytes: 30 }]);
      const timeline = (await runQuery(store, 'any | timeline 1d')).rows;
      expect(timeline.reduce((n, r) => n + Number(r.flows), 0)).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('drops old flows, rollups included, when a retention is set on a store that had none', async () => {
    const path = join(work, `${name}-late-retention`);
    const now = Date.now();
    const at = (daysAgo: number): FlowRecord => ({ ...SPARSE, start: now - daysAgo * 86_400_000, end: now - daysAgo * 86_400_000, bytes: daysAgo });
    const before = makeWith(path, {});
    await before.open();
    await before.appendFlows([at(45), at(31), at(29), at(1)]);
    await before.close();
    const store = makeWith(path, { retentionDays: 30 });
    await store.open();
    try {
      await store.enforceRetention(now);
      // Through runQuery, which lets ClickHouse answer from its rollups, as the CLI and API do.
      for (const text of ['any | count', 'any | count by proto', 'any | count distinct src']) {
        const { rows } = await runQuery(store, text);
        expect(rows.map((r) => Number(r.flows)), text).toEqual([2]);
      }
    } finally {
      await store.close();
    }
  });

  it('deletes flows from any instant, rollups included (how an interrupted store copy resumes)', async () => {
    const store = makeWith(join(work, `${name}-delete-since`), {});
    await store.open();
    try {
      const at = (h: number, m: number, s: number, bytes: number): FlowRecord => ({ ...SPARSE, proto: 17, start: Date.UTC(2024, 4, 1, h, m, s), end: Date.UTC(2024, 4, 1, h, m, s), bytes });
      await store.appendFlows([at(10, 0, 10, 1), at(10, 20, 30, 2), at(10, 30, 15, 4), at(10, 30, 45, 8), at(10, 45, 0, 16), at(11, 10, 0, 32)]);
      await store.deleteFlowsSince(Date.UTC(2024, 4, 1, 10, 30, 30)); // inside a minute and an hour
      // Through runQuery, which answers these from ClickHouse's per-minute and per-hour rollups.
      const rows = async (text: string) => (await runQuery(store, text)).rows.map((r) => [r.time ?? r.proto, r.flows, r.bytes]);
      expect(await rows('any | count by proto')).toEqual([[17, 3, 7]]);
      expect(await rows('proto udp | timeline 1h')).toEqual([['2024-05-01T10:00:00.000Z', 3, 7]]);
      expect(await rows('proto udp | timeline 5m')).toEqual([
        ['2024-05-01T10:00:00.000Z', 1, 1],
        ['2024-05-01T10:20:00.000Z', 1, 2],
        ['2024-05-01T10:30:00.000Z', 1, 4],
      ]);
      // Copying the deleted span again counts each flow once.
      await store.appendFlows([at(10, 30, 45, 8), at(10, 45, 0, 16), at(11, 10, 0, 32)]);
      expect(await rows('proto udp | timeline 1h')).toEqual([
        ['2024-05-01T10:00:00.000Z', 5, 31],
        ['2024-05-01T11:00:00.000Z', 1, 32],
      ]);
    } finally {
      await store.close();
    }
  });

  it('stores the reserved AS 4294967295 as no AS (DuckDB packs AS + 1 in 32 bits)', async () => {
    const store = makeWith(join(work, `${name}-reserved-as`), {});
    await store.open();
    try {
      await store.appendFlows([{ ...SPARSE, src_as: 4294967295, dst_as: 4294967294 }]);
      expect((await runQuery(store, 'any | count by src_as, dst_as')).rows).toEqual([{ src_as: null, dst_as: 4294967294, flows: 1, packets: 0, bytes: 0 }]);
      expect((await runQuery(store, 'src as 4294967295 | count')).rows[0]).toMatchObject({ flows: 0 });
    } finally {
      await store.close();
    }
  });

  it('migrates idempotently and keeps data across reopen', async () => {
    const first = make();
    await first.open();
    await first.appendFlows([FULL]);
    await first.close();
    const second = make();
    await second.open(); // runs the migrations again on the existing schema
    await second.appendFlows([SPARSE]);
    expect((await second.stats()).flows).toBe(2);
    await second.close();
  });

  it('round-trips every column kind, nulls included', async () => {
    const store = make();
    await store.open();
    try {
      const rows = await store.run(compileQuery(parseQuery('any | sort start desc'), store.dialect));
      expect(rows).toHaveLength(2);
      expect(rows[0]).toEqual({
        start: '2024-01-02T03:04:05.678Z',
        end: '2024-01-02T03:04:09.001Z',
        src: '2001:db8::dead:beef',
        dst: '198.51.100.7',
        sport: 65535,
        dport: 443,
        proto: 6,
        tcp_flags: 255,
        packets: 6_000_000_000,
        bytes: 9_007_199_254_740_000,
        exporter: '192.0.2.1',
        in_if: 4294967295,
        out_if: 7,
        sampling: 1000,
        src_as: 4200000000,
        dst_as: 64500,
        next_hop: 'fe80::1',
        src_vlan: 4094,
        dst_vlan: 1,
        icmp_type: 255,
        icmp_code: 0,
        tos: 184,
        direction: 1,
        end_reason: 3,
        src_country: 'NL',
        dst_country: 'US',
        tags: ['feodo:emotet', 'c2'],
      });
      expect(rows[1]).toMatchObject({ start: '1970-01-01T00:00:00.000Z', src: '0.0.0.0', dst: '::', exporter: null, in_if: null, src_country: null, tags: [] });
    } finally {
      await store.close();
    }
  });

  it('reports flow count, time span and size', async () => {
    const store = make();
    await store.open();
    try {
      const stats = await store.stats();
      expect(stats).toMatchObject({ flows: 2, firstFlow: 0, lastFlow: FULL.start });
      expect(stats.bytesOnDisk).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('keeps the nulls of each data chunk apart: a column null in one chunk, filled in the next, then null again', async () => {
    const store = make();
    await store.open();
    try {
      // Three data chunks of IPv4 flows (2,048 rows each): sampling, country and a tag on every
      // other row, then on every row, then on none. A chunk that kept the previous one's
      // validity masks would lose or invent values.
      const block = (k: number, every: number | undefined) =>
        Array.from({ length: 2048 }, (_, i) => {
          const on = every !== undefined && i % every === 0;
          return { ...SPARSE, start: 1_000_000 + k * 2048 + i, end: 1_000_000 + k * 2048 + i, src: 7, dst: 8, bytes: 777_777, sampling: on ? 10 : undefined, src_country: on ? 'DE' : undefined, tags: on ? ['y'] : [] };
        });
      await store.appendFlows([...block(0, 2), ...block(1, 1), ...block(2, undefined)]);
      const [row] = await store.execute('SELECT count(sampling) AS s, count(src_country) AS c, sum(sampling) AS total FROM flows WHERE bytes = 777777');
      expect([Number(row!.s), Number(row!.c), Number(row!.total)]).toEqual([1024 + 2048, 1024 + 2048, 10 * (1024 + 2048)]);
      const [tagged] = await store.run(compileQuery(parseQuery('tag y | count'), store.dialect));
      expect(tagged!.flows).toBe(1024 + 2048);
    } finally {
      await store.close();
    }
  });

  it('appends more than one data chunk in one call', async () => {
    const store = make();
    await store.open();
    try {
      const many = Array.from({ length: 5000 }, (_, i) => ({ ...SPARSE, start: i, end: i, src: i, bytes: i, tags: i % 2 ? ['x'] : [] }));
      await store.appendFlows(many);
      const [row] = await store.run(compileQuery(parseQuery('bytes < 5000 and src net 0.0.0.0/0 | count'), store.dialect));
      // SPARSE itself (bytes 0) plus the 5000: sum of 0..4999 = 12,497,500
      expect(row).toEqual({ flows: 5001, packets: 0, bytes: 12_497_500 });
      const [tagged] = await store.run(compileQuery(parseQuery('tag x | count'), store.dialect));
      expect(tagged!.flows).toBe(2500);
    } finally {
      await store.close();
    }
  });
});
