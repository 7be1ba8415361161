// ClickHouse's IPv4 copy of `src` (`src4`): computed on insert, added to a flows table made
// before it existed, and computed from the address for that table's older parts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../core/columns.js';
import { parseIp } from '../../core/ip.js';
import { compileQuery } from '../../query/compile/compile.js';
import { parseQuery } from '../../query/language/parser.js';
import { runQuery } from '../../query/run-query.js';
import { chdbAvailable } from '../../test-support/test-backends.js';
import { clickHouseDialect } from './clickhouse-dialect.js';
import { clickHouseMigrations } from './clickhouse-schema.js';
import { ClickHouseStore } from './clickhouse-store.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-ch-v4-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function flow(src: string, dst: string, bytes: number): FlowRecord {
  return { start: Date.UTC(2024, 4, 1), end: Date.UTC(2024, 4, 1), src: parseIp(src)!, dst: parseIp(dst)!, sport: 1, dport: 2, proto: 6, tcp_flags: 0, packets: 1, bytes };
}

describe('ClickHouse IPv4 address copy in SQL', () => {
  it('is a computed column of the flows table, added to older tables too', () => {
    const ddl = clickHouseMigrations({ database: 'vantage' });
    expect(ddl[1]).toContain('`src4` UInt32 MATERIALIZED');
    expect(ddl.filter((s) => s.startsWith('ALTER TABLE vantage.flows ADD COLUMN IF NOT EXISTS `src4` UInt32 MATERIALIZED'))).toHaveLength(1);
    expect(ddl.join('\n')).not.toContain('dst4');
  });

  it.each([
    ['src net 10.0.0.0/8', '`src4` BETWEEN'],
    ['src ip 192.0.2.7', '`src4` ='],
    ['dst net 10.0.0.0/8', '`dst` BETWEEN'],
    // 0 in a copy also stands for IPv6: ranges from 0.0.0.0 test the address itself.
    ['src net 0.0.0.0/8', '`src` BETWEEN'],
    ['src ip 0.0.0.0', '`src` ='],
    ['src net 2001:db8::/32', '`src` BETWEEN'],
    ['router ip 192.0.2.1', '`exporter` ='],
  ])('%s tests %s', (text, sql) => {
    expect(compileQuery(parseQuery(`${text} | count`), clickHouseDialect).sql).toContain(`WHERE ${sql}`);
  });
});

describe.skipIf(!chdbAvailable())('ClickHouse IPv4 address copy', () => {
  const open = async () => {
    const store = new ClickHouseStore({ target: { kind: 'chdb', path: join(work, 'chdb') }, database: 'vantage' });
    await store.open();
    return store;
  };

  it('holds each IPv4 address as a number and 0 for IPv6, also for parts written before the copy existed', async () => {
    let store = await open();
    // A table as an older version made it: no copy, and a part written that way.
    await store.execute('ALTER TABLE flows DROP COLUMN src4');
    await store.appendFlows([flow('10.0.0.1', '2001:db8::1', 1), flow('2001:db8::2', '192.0.2.7', 10)]);
    await store.close();
    store = await open();
    try {
      await store.appendFlows([flow('10.0.0.2', '198.51.100.1', 100)]);
      const rows = await store.execute('SELECT toString(src) AS src, src4 FROM flows ORDER BY bytes');
      expect(rows.map((r) => [r.src, Number(r.src4)])).toEqual([
        ['::ffff:10.0.0.1', 0x0a000001],
        ['2001:db8::2', 0],
        ['::ffff:10.0.0.2', 0x0a000002],
      ]);
      const [column] = await store.execute("SELECT default_kind FROM system.columns WHERE database = 'vantage' AND table = 'flows' AND name = 'src4'");
      expect(column!.default_kind).toBe('MATERIALIZED');
      // The query language filters IPv4 sources on the copy.
      expect((await runQuery(store, 'src net 10.0.0.0/8 | count')).rows[0]!.bytes).toBe(101);
      expect((await runQuery(store, 'src ip 10.0.0.2 | count')).rows[0]!.bytes).toBe(100);
      // `SELECT *` (store copy, exports) leaves them out, as it does every computed column.
      expect(Object.keys((await store.execute('SELECT * FROM flows LIMIT 1'))[0]!)).not.toContain('src4');
    } finally {
      await store.close();
    }
  });
});
