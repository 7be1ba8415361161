// ClickHouse's rollups keep destination ports from 32768 up as one value: what they store, which
// queries still read them, the answers that gives, and a store whose views predate the change.

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
import { clickHouseMigrations, rollupViewUpdates } from './clickhouse-schema.js';
import { ClickHouseStore } from './clickhouse-store.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-ch-rollups-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MINUTE = Date.UTC(2024, 4, 1, 10, 0);

function flow(dport: number, bytes: number): FlowRecord {
  return { start: MINUTE, end: MINUTE, src: parseIp('10.0.0.1')!, dst: parseIp('192.0.2.7')!, sport: 1, dport, proto: 6, tcp_flags: 0, packets: 1, bytes };
}

// One minute of traffic: two flows to a service port, three replies to ephemeral ports.
const FLOWS = [flow(443, 1), flow(443, 2), flow(40000, 4), flow(50000, 8), flow(65535, 16)];

/** Each query with the flows, bytes and table it must give, counted from FLOWS by hand. */
const EXPECTED: [query: string, flows: number, bytes: number, table: string][] = [
  ['dst port 443 | count', 2, 3, 'flows_1h'],
  ['dst port >= 32768 | count', 3, 28, 'flows_1h'],
  ['dst port < 1024 | count', 2, 3, 'flows_1h'],
  ['not dst port 443 | count', 3, 28, 'flows_1h'],
  ['dst port 40000 | count', 1, 4, 'flows'],
  ['dst port > 45000 | count', 2, 24, 'flows'],
];

describe('ClickHouse rollups in SQL', () => {
  it('the per-minute view keeps ports below 32768 and stores the others as 32768; an older view takes that query', () => {
    const ddl = clickHouseMigrations({ database: 'vantage' }).join('\n');
    expect(ddl).toContain('CREATE MATERIALIZED VIEW IF NOT EXISTS vantage.flows_1m_mv  TO vantage.flows_1m AS\nSELECT toStartOfMinute(`start`) AS `start`, `proto`, if(`dport` < 32768, `dport`, 32768) AS `dport`,');
    // The hourly rollup is fed from the per-minute one, already coarsened.
    expect(ddl).toContain('SELECT toStartOfHour(`start`) AS `start`, `proto`, `dport`,');
    expect(ddl).not.toContain('MODIFY QUERY');
    // Only for a view whose stored query lacks the coarsening, as ClickHouse prints it.
    const [update] = rollupViewUpdates({ database: 'vantage' });
    expect(update).toMatchObject({ database: 'vantage', view: 'flows_1m_mv', markers: ['if(dport < 32768, dport, 32768)'] });
    expect(update!.statement).toMatch(/^ALTER TABLE vantage\.flows_1m_mv MODIFY QUERY\nSELECT toStartOfMinute\(`start`\) AS `start`, `proto`, if\(`dport` < 32768, `dport`, 32768\) AS `dport`, .*\nFROM vantage\.flows GROUP BY /);
    const [cluster] = rollupViewUpdates({ database: 'vantage', cluster: 'c' });
    expect(cluster!.statement).toMatch(/^ALTER TABLE vantage\.flows_1m_local_mv ON CLUSTER c MODIFY QUERY\nSELECT .*\nFROM vantage\.flows_local GROUP BY /);
  });
});

describe.skipIf(!chdbAvailable())('ClickHouse rollups', () => {
  const open = async (path: string) => {
    const store = new ClickHouseStore({ target: { kind: 'chdb', path: join(work, path) }, database: 'vantage' });
    await store.open();
    return store;
  };
  const check = async (store: ClickHouseStore) => {
    for (const [query, flows, bytes, table] of EXPECTED) {
      expect(compileQuery(parseQuery(query), store.dialect, { rollups: store.rollups }).sql, query).toContain(`FROM \`${table}\``);
      const [row] = (await runQuery(store, query)).rows;
      expect([row?.flows, row?.bytes], query).toEqual([flows, bytes]);
    }
    // Grouping by port reads the flows: every port apart.
    expect((await runQuery(store, 'any | count by dport | sort dport')).rows.map((r) => [r.dport, r.flows])).toEqual([
      [443, 2],
      [40000, 1],
      [50000, 1],
      [65535, 1],
    ]);
  };

  it('hold one row for the replies, and answer what they can exactly', async () => {
    const store = await open('fresh');
    try {
      await store.appendFlows(FLOWS);
      const rows = await store.execute('SELECT dport, sum(flows) AS flows, sum(bytes) AS bytes FROM flows_1m GROUP BY dport ORDER BY dport');
      expect(rows.map((r) => [Number(r.dport), Number(r.flows), Number(r.bytes)])).toEqual([
        [443, 2, 3],
        [32768, 3, 28],
      ]);
      await check(store);
    } finally {
      await store.close();
    }
  });

  it('a store whose view kept every port gets the coarsened view at open; its older rows still answer right', async () => {
    let store = await open('older');
    const exactQuery =
      'SELECT toStartOfMinute(`start`) AS `start`, `proto`, `dport`, `exporter`, `in_if`, `out_if`, `src_as`, `dst_as`, `src_country`, `dst_country`, count() AS `flows`, sum(`packets`) AS `packets`, sum(`bytes`) AS `bytes` FROM vantage.flows GROUP BY `start`, `proto`, `dport`, `exporter`, `in_if`, `out_if`, `src_as`, `dst_as`, `src_country`, `dst_country`';
    try {
      // As an older version left it: the view keeps every port, and rows were written that way.
      await store.execute(`ALTER TABLE vantage.flows_1m_mv MODIFY QUERY ${exactQuery}`);
      await store.appendFlows(FLOWS.slice(0, 3));
    } finally {
      await store.close();
    }
    store = await open('older');
    try {
      const [view] = await store.execute("SELECT as_select FROM system.tables WHERE database = 'vantage' AND name = 'flows_1m_mv'");
      expect(String(view!.as_select)).toContain('if(dport < 32768, dport, 32768) AS dport');
      await store.appendFlows(FLOWS.slice(3));
      const ports = await store.execute('SELECT DISTINCT dport FROM flows_1m ORDER BY dport');
      expect(ports.map((r) => Number(r.dport))).toEqual([443, 32768, 40000]); // 40000 from before
      await check(store);
    } finally {
      await store.close();
    }
  });
});
