// The DuckDB store keeps flows with an IPv6 address in a table of their own (`flow_rows6`) and
// the others in `flow_rows`, which has no IPv6 columns; countries live in the packed columns;
// the `flows` view shows it all. Every
// address must come back in its own family and field, filters and deletes must see both tables,
// and a store of the `flows-v2` layout (one table with IPv6 columns) must be split unchanged.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { countryCode, type FlowRecord } from '../../core/columns.js';
import { formatIp, parseIp } from '../../core/ip.js';
import { compileQuery } from '../../query/compile/compile.js';
import { parseQuery } from '../../query/language/parser.js';
import { DuckDbStore } from './duckdb-store.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-v6rows-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ip = (text: string) => parseIp(text)!;
const BASE: FlowRecord = { start: 1_000, end: 2_000, src: ip('10.0.0.1'), dst: ip('10.0.0.2'), sport: 1, dport: 2, proto: 6, tcp_flags: 2, packets: 1, bytes: 60 };

/** One flow per place an IPv6 address can be, and IPv4-only flows around them. */
const FLOWS: FlowRecord[] = [
  { ...BASE, start: 1, src_country: 'US' },
  { ...BASE, start: 2, src: ip('2001:db8::1'), dst_country: 'DE' },
  { ...BASE, start: 3, dst: ip('2001:db8::2'), exporter: ip('192.0.2.1') },
  { ...BASE, start: 4, exporter: ip('2001:db8::e') },
  { ...BASE, start: 5, next_hop: ip('2001:db8::f'), src_vlan: 7 },
  { ...BASE, start: 6, exporter: ip('192.0.2.1'), next_hop: ip('192.0.2.254') },
  { ...BASE, start: 7, proto: 1, icmp_type: 3, icmp_code: 13, direction: 1, dst_vlan: 4094, dst_country: 'NL' },
];

/** The small fields a flows-v2 store packed, and the countries packed since. */
const SMALL = ['src_vlan', 'dst_vlan', 'icmp_type', 'icmp_code', 'direction', 'src_country', 'dst_country'] as const;

const ADDRESSES = ['src', 'dst', 'exporter', 'next_hop'] as const;

function shown(flows: readonly FlowRecord[]): Record<string, unknown>[] {
  return flows.map((f) => ({
    start: new Date(f.start).toISOString(),
    ...Object.fromEntries(ADDRESSES.map((a) => [a, f[a] === undefined || f[a] === null ? null : formatIp(f[a]!)])),
    ...Object.fromEntries(SMALL.map((k) => [k, f[k] ?? null])),
  }));
}

async function read(store: DuckDbStore): Promise<Record<string, unknown>[]> {
  const rows = await store.run(compileQuery(parseQuery(`any | sort start | fields start,${[...ADDRESSES, ...SMALL].join(',')}`), store.dialect));
  return rows.map((r) => ({ start: r.start, ...Object.fromEntries([...ADDRESSES, ...SMALL].map((a) => [a, r[a] ?? null])) }));
}

async function tableCounts(store: DuckDbStore): Promise<[number, number]> {
  const [row] = await store.execute('SELECT (SELECT COUNT(*) FROM flow_rows) AS v4, (SELECT COUNT(*) FROM flow_rows6) AS v6');
  return [Number(row!.v4), Number(row!.v6)];
}

describe('DuckDB IPv6 row table', () => {
  it('stores a mixed batch in both tables and shows every address in its own field', async () => {
    const store = new DuckDbStore({ path: join(work, 'mixed.duckdb') });
    await store.open();
    try {
      await store.appendFlows(FLOWS);
      expect(await tableCounts(store)).toEqual([3, 4]);
      expect(await read(store)).toEqual(shown(FLOWS));
      const count = async (expr: string) => (await store.run(compileQuery(parseQuery(`${expr} | count`), store.dialect)))[0]!.flows;
      expect(await count('src net 2001:db8::/32')).toBe(1);
      expect(await count('ip 2001:db8::2')).toBe(1);
      expect(await count('src ip 10.0.0.1')).toBe(6);
      expect(await count('src vlan 7')).toBe(1);
      expect(await count('src country US')).toBe(1);
      expect(await count('dst country DE')).toBe(1);
      // Deletes reach both tables.
      await store.deleteFlowsSince(4);
      expect(await tableCounts(store)).toEqual([1, 2]);
    } finally {
      await store.close();
    }
  });

  it('splits a store of the flows-v2 layout (one table with IPv6 and country columns) without losing a value', async () => {
    const path = join(work, 'v2.duckdb');
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    // flow_rows and the view as flows-v2 created them.
    await connection.run(
      'CREATE TABLE flow_rows ("start" BIGINT, "end" BIGINT, src4 UINTEGER, src6 UHUGEINT, dst4 UINTEGER, dst6 UHUGEINT, sport USMALLINT, dport USMALLINT, proto UTINYINT, tcp_flags UTINYINT, packets BIGINT, bytes BIGINT, ' +
        'exporter4 UINTEGER, exporter6 UHUGEINT, in_if UINTEGER, out_if UINTEGER, sampling UINTEGER, src_as UINTEGER, dst_as UINTEGER, next_hop4 UINTEGER, next_hop6 UHUGEINT, tos UTINYINT, src_country USMALLINT, dst_country USMALLINT, tags VARCHAR[], packed_vlans BIGINT, packed_marks BIGINT)',
    );
    await connection.run('CREATE VIEW flows AS SELECT * FROM flow_rows');
    await connection.run("CREATE TABLE vantage_meta (key VARCHAR PRIMARY KEY, value VARCHAR); INSERT INTO vantage_meta VALUES ('schema', 'flows-v2')");
    const v4 = (x: FlowRecord['src'] | undefined) => (typeof x === 'number' ? String(x) : 'NULL');
    const v6 = (x: FlowRecord['src'] | undefined) => (typeof x === 'bigint' ? `${x}::UHUGEINT` : 'NULL');
    for (const f of FLOWS) {
      // src_vlan 7 with its presence bit (bit 16 of the high word), as flows-v2 packed it.
      // The small fields in flows-v2's bits: each value at its place in the low word, its presence
      // bit in the high word (src_vlan 0 / 48, dst_vlan 16 / 49; icmp_type 0 / 50, icmp_code 8 / 51, direction 24 / 53).
      const pack = (parts: [number | undefined, number, number][]) => {
        const present = parts.filter(([v]) => v !== undefined);
        return present.length === 0 ? 'NULL' : String(present.reduce((sum, [v, at, bit]) => sum + (BigInt(v!) << BigInt(at)) + (1n << BigInt(bit)), 0n));
      };
      const vlans = pack([[f.src_vlan, 0, 48], [f.dst_vlan, 16, 49]]);
      const marks = pack([[f.icmp_type, 0, 50], [f.icmp_code, 8, 51], [f.direction, 24, 53]]);
      // Countries as flows-v2 stored them: columns of their own holding the two letters' code.
      const country = (c: string | null | undefined) => (c ? String(countryCode(c)) : 'NULL');
      await connection.run(
        `INSERT INTO flow_rows ("start", "end", src4, src6, dst4, dst6, exporter4, exporter6, next_hop4, next_hop6, sport, dport, proto, tcp_flags, packets, bytes, packed_vlans, packed_marks, src_country, dst_country) VALUES ` +
          `(${f.start}, ${f.end}, ${v4(f.src)}, ${v6(f.src)}, ${v4(f.dst)}, ${v6(f.dst)}, ${v4(f.exporter)}, ${v6(f.exporter)}, ${v4(f.next_hop)}, ${v6(f.next_hop)}, 1, 2, ${f.proto}, 2, 1, 60, ${vlans}, ${marks}, ${country(f.src_country)}, ${country(f.dst_country)})`,
      );
    }
    connection.closeSync();
    instance.closeSync();

    const store = new DuckDbStore({ path });
    await store.open();
    try {
      expect(await read(store)).toEqual(shown(FLOWS));
      expect(await tableCounts(store)).toEqual([3, 4]);
      const [meta] = await store.execute("SELECT value FROM vantage_meta WHERE key = 'schema'");
      expect(meta!.value).toBe('flows-v7');
      const columns = await store.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'flow_rows' AND (column_name LIKE '%6' OR column_name LIKE '%country')");
      expect(columns).toEqual([]);
      await store.appendFlows([{ ...BASE, start: 8 }]);
    } finally {
      await store.close();
    }
    const again = new DuckDbStore({ path });
    await again.open();
    try {
      expect((await again.stats()).flows).toBe(FLOWS.length + 1);
    } finally {
      await again.close();
    }
  });
});
