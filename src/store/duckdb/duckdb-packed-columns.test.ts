// The DuckDB flow table's packed columns: six small fields stored in two 64-bit columns, the AS
// numbers and countries in a fourth (the values it cannot hold in a third and in the first two's
// low bits), read under their own names through the flows view. Each field must keep its own
// value and its own null, and stores created with older layouts (every field a column; flows-v4's
// countries in the low bits of the vlan and mark columns; flows-v5's in their own; the AS numbers
// as columns; flows-v6's in one column) must come through unchanged.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { countryCode, type FlowRecord } from '../../core/columns.js';
import { encodeFlowChunk } from '../../collect/flow-codec.js';
import { compileQuery } from '../../query/compile/compile.js';
import { parseQuery } from '../../query/language/parser.js';
import { DUCKDB_FLOW_COLUMNS } from './duckdb-dialect.js';
import { DuckDbStore } from './duckdb-store.js';

const work = mkdtempSync(join(tmpdir(), 'vantage-packed-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PACKED = ['src_vlan', 'dst_vlan', 'icmp_type', 'icmp_code', 'direction', 'end_reason', 'src_as', 'dst_as'] as const;
/** The largest value each field keeps (an AS number is stored plus one: 4294967295, reserved by RFC 7300, is read as none). */
const MAX: Record<(typeof PACKED)[number], number> = { src_vlan: 65535, dst_vlan: 65535, icmp_type: 255, icmp_code: 255, direction: 255, end_reason: 255, src_as: 4294967294, dst_as: 4294967294 };

const BASE: FlowRecord = { start: 1_000, end: 2_000, src: 0x0a000001, dst: 0x0a000002, sport: 1, dport: 2, proto: 17, tcp_flags: 0, packets: 1, bytes: 60 };

/** One flow per (field, value): the field set, every other packed field null; then all at max, all at 0, none. */
function cases(): FlowRecord[] {
  const flows: FlowRecord[] = [];
  // AS numbers also either side of the largest that packed_enrichment holds (4194302).
  for (const field of PACKED) for (const value of [0, 1, ...(field.endsWith('_as') ? [4194302, 4194303] : []), MAX[field]]) flows.push({ ...BASE, [field]: value });
  flows.push({ ...BASE, ...Object.fromEntries(PACKED.map((f) => [f, MAX[f]])) });
  flows.push({ ...BASE, ...Object.fromEntries(PACKED.map((f) => [f, 0])) });
  flows.push({ ...BASE });
  return flows.map((f, i) => ({ ...f, start: BASE.start + i }));
}

function expected(flows: FlowRecord[]): Record<string, unknown>[] {
  return flows.map((f) => Object.fromEntries(PACKED.map((p) => [p, (f as unknown as Record<string, unknown>)[p] ?? null])));
}

async function readPacked(store: DuckDbStore): Promise<Record<string, unknown>[]> {
  const rows = await store.run(compileQuery(parseQuery(`any | sort start | fields ${PACKED.join(',')}`), store.dialect));
  return rows.map((r) => Object.fromEntries(PACKED.map((p) => [p, r[p]])));
}

describe('DuckDB packed columns', () => {
  it('keep every field and every null apart, at 0, 1 and the type maximum', async () => {
    const store = new DuckDbStore({ path: join(work, 'fields.duckdb') });
    await store.open();
    try {
      const flows = cases();
      await store.appendFlows(flows);
      expect(await readPacked(store)).toEqual(expected(flows));
      // Filters on a packed field see only its own value.
      const [count] = await store.run(compileQuery(parseQuery('src vlan 0 | count'), store.dialect));
      expect(count!.flows).toBe(2); // src_vlan = 0 alone, and all fields at 0
      const nulls = await store.execute('SELECT COUNT(*) AS n FROM flow_rows WHERE packed_vlans IS NULL AND packed_marks IS NULL AND packed_as IS NULL AND packed_enrichment IS NULL');
      expect(Number(nulls[0]!.n)).toBe(1); // only the flow without any of them stores nulls
      // The reserved last AS number is read as none; AS 0 as 0.
      await store.appendFlows([{ ...BASE, start: 50_000, src_as: 4294967295, dst_as: 0 }]);
      const [reserved] = await store.run(compileQuery(parseQuery('any | sort start desc | limit 1 | fields src_as,dst_as'), store.dialect));
      expect([reserved!.src_as ?? null, reserved!.dst_as]).toEqual([null, 0]);
    } finally {
      await store.close();
    }
  });

  it('keeps AS numbers and countries in packed_enrichment when they fit, in packed_as and the vlan and mark columns otherwise', async () => {
    const store = new DuckDbStore({ path: join(work, 'slots.duckdb') });
    await store.open();
    try {
      const flows: FlowRecord[] = [
        { ...BASE, src_as: 15169, dst_as: 4194302, src_country: 'US', dst_country: 'ZZ' }, // all narrow
        { ...BASE, src_as: 0, src_country: 'AA' }, // narrow, one side
        { ...BASE, src_as: 4194303, dst_as: 4200000000, src_country: 'A1', dst_country: 'eu' }, // all wide
        { ...BASE, src_as: 64512, dst_as: 4294967294, src_country: '--', dst_country: 'DE' }, // mixed
        { ...BASE, dst_country: 'Z[' }, // not two capital letters: wide
        { ...BASE },
      ].map((f, i) => ({ ...f, start: BASE.start + i }));
      await store.appendFlows(flows);
      const fields = ['src_as', 'dst_as', 'src_country', 'dst_country'] as const;
      const rows = await store.run(compileQuery(parseQuery(`any | sort start | fields ${fields.join(',')}`), store.dialect));
      expect(rows.map((r) => Object.fromEntries(fields.map((k) => [k, r[k] ?? null])))).toEqual(
        flows.map((f) => Object.fromEntries(fields.map((k) => [k, (f as unknown as Record<string, unknown>)[k] ?? null]))),
      );
      // Which columns hold something, flow by flow.
      const held = await store.execute('SELECT packed_enrichment IS NOT NULL AS e, packed_as IS NOT NULL AS a, packed_vlans IS NOT NULL OR packed_marks IS NOT NULL AS c FROM flow_rows ORDER BY "start"');
      expect(held.map((r) => [r.e, r.a, r.c])).toEqual([
        [true, false, false],
        [true, false, false],
        [false, true, true],
        [true, true, true],
        [false, false, true],
        [false, false, false],
      ]);
      // The query language reads either slot.
      for (const [query, n] of [['src as 15169 or src as 4194303 | count', 2], ['dst as 4200000000 | count', 1], ['src country US | count', 1], ['dst country DE | count', 1], ['dst country ZZ | count', 1]] as const) {
        const [count] = await store.run(compileQuery(parseQuery(query), store.dialect));
        expect(count!.flows, query).toBe(n);
      }
    } finally {
      await store.close();
    }
  });

  it('round-trips every two-character country code and AS numbers around each slot boundary, on the record and the encoded path', async () => {
    // Every code countryCode accepts from printable ASCII (95 x 95), as source and (reversed) as destination.
    const printable = Array.from({ length: 95 }, (_, k) => String.fromCharCode(32 + k));
    const codes = printable.flatMap((a) => printable.map((b) => a + b));
    const asNumbers = [0, 1, 2 ** 21, 4194301, 4194302, 4194303, 4194304, 2 ** 31, 4294967294];
    const flows: FlowRecord[] = codes.map((code, i) => ({
      ...BASE,
      start: BASE.start + i,
      src_country: code,
      dst_country: codes[codes.length - 1 - i]!,
      src_as: asNumbers[i % asNumbers.length]!,
      dst_as: i % 7 === 0 ? null : asNumbers[(i * 5) % asNumbers.length]!,
    }));
    const fields = ['src_as', 'dst_as', 'src_country', 'dst_country'] as const;
    const expected = flows.map((f) => Object.fromEntries(fields.map((k) => [k, (f as unknown as Record<string, unknown>)[k] ?? null])));
    for (const path of ['record', 'encoded'] as const) {
      const store = new DuckDbStore({ path: ':memory:' });
      await store.open();
      try {
        if (path === 'record') await store.appendFlows(flows);
        else await store.appendEncodedFlows([encodeFlowChunk(flows.slice(0, 4000)), encodeFlowChunk(flows.slice(4000))]);
        const rows = await store.run(compileQuery(parseQuery(`any | sort start | fields ${fields.join(',')}`), store.dialect));
        expect(rows.map((r) => Object.fromEntries(fields.map((k) => [k, r[k] ?? null]))), path).toEqual(expected);
      } finally {
        await store.close();
      }
    }
  });

  it('rewrites a flows-v6 store (AS numbers in packed_as, countries in packed_countries), every value kept, those that fit in packed_enrichment', async () => {
    const path = join(work, 'v6.duckdb');
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    // The v6 tables: today's columns but packed_enrichment, and packed_countries.
    const columns = [...DUCKDB_FLOW_COLUMNS.filter((c) => c.name !== 'packed_enrichment').map((c) => `"${c.name}" ${c.sqlType}`), 'packed_countries BIGINT'];
    await connection.run(`CREATE TABLE flow_rows (${columns.filter((c) => !/^"\w+6"/.test(c)).join(', ')})`);
    await connection.run(`CREATE TABLE flow_rows6 (${columns.join(', ')})`);
    await connection.run("CREATE TABLE vantage_meta (key VARCHAR PRIMARY KEY, value VARCHAR); INSERT INTO vantage_meta VALUES ('schema', 'flows-v6')");
    // v6's bits: packed_as = src_as + 1 (low word), dst_as + 1 (high word); packed_countries = the
    // codes at 0 (presence bit 48) and 16 (presence bit 51).
    const flows: FlowRecord[] = [
      { ...BASE, src_as: 15169, dst_as: 4200000000, src_country: 'US', dst_country: 'A1', src_vlan: 12 },
      { ...BASE, dst_as: 0, src_country: 'NL' },
      { ...BASE, src_as: 4194302, dst_as: 4194303, dst_country: 'ZZ' },
      { ...BASE },
    ].map((f, i) => ({ ...f, start: BASE.start + i }));
    for (const f of flows) {
      const plusOne = (a: number | null | undefined, at: bigint) => (a === null || a === undefined ? 0n : (BigInt(a) + 1n) << at);
      const as = plusOne(f.src_as, 0n) + plusOne(f.dst_as, 32n);
      const code = (c: string | null | undefined, at: bigint, bit: bigint) => (c ? (BigInt(countryCode(c)!) << at) + (1n << bit) : 0n);
      const countries = code(f.src_country, 0n, 48n) + code(f.dst_country, 16n, 51n);
      const vlans = f.src_vlan === undefined ? 'NULL' : String((BigInt(f.src_vlan!) << 16n) + (1n << 49n));
      const bigint = (v: bigint) => (v === 0n ? 'NULL' : String(BigInt.asIntN(64, v)));
      await connection.run(
        `INSERT INTO flow_rows ("start", "end", src4, dst4, sport, dport, proto, tcp_flags, packets, bytes, packed_as, packed_countries, packed_vlans) ` +
          `VALUES (${f.start}, ${f.end}, ${f.src}, ${f.dst}, 1, 2, 17, 0, 1, 60, ${bigint(as)}, ${bigint(countries)}, ${vlans})`,
      );
    }
    connection.closeSync();
    instance.closeSync();

    const store = new DuckDbStore({ path });
    await store.open();
    try {
      await store.appendFlows([{ ...BASE, start: 99_999, src_as: 3320, src_country: 'DE' }]);
      const fields = ['src_as', 'dst_as', 'src_country', 'dst_country', 'src_vlan'] as const;
      const rows = await store.run(compileQuery(parseQuery(`any | sort start | fields ${fields.join(',')}`), store.dialect));
      expect(rows.map((r) => Object.fromEntries(fields.map((k) => [k, r[k] ?? null])))).toEqual([
        { src_as: 15169, dst_as: 4200000000, src_country: 'US', dst_country: 'A1', src_vlan: 12 },
        { src_as: null, dst_as: 0, src_country: 'NL', dst_country: null, src_vlan: null },
        { src_as: 4194302, dst_as: 4194303, src_country: null, dst_country: 'ZZ', src_vlan: null },
        { src_as: null, dst_as: null, src_country: null, dst_country: null, src_vlan: null },
        { src_as: 3320, dst_as: null, src_country: 'DE', dst_country: null, src_vlan: null },
      ]);
      const [meta] = await store.execute("SELECT value FROM vantage_meta WHERE key = 'schema'");
      expect(meta!.value).toBe('flows-v7');
      // Rewritten as a new store would hold them: what fits in packed_enrichment, the rest in the wide slots.
      const held = await store.execute('SELECT packed_enrichment IS NOT NULL AS e, packed_as IS NOT NULL AS a, packed_marks IS NOT NULL AS m FROM flow_rows ORDER BY "start"');
      expect(held.map((r) => [r.e, r.a, r.m])).toEqual([
        [true, true, true],
        [true, false, false],
        [true, true, false],
        [false, false, false],
        [true, false, false],
      ]);
      const old = await store.execute("SELECT column_name FROM duckdb_columns() WHERE table_name LIKE 'flow_rows%' AND column_name = 'packed_countries'");
      expect(old).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('rewrites a store of the older layout (every field a column) without losing a value', async () => {
    const path = join(work, 'legacy.duckdb');
    const flows = cases();
    // The flows-v1 table as earlier versions created it, filled through SQL.
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run(
      'CREATE TABLE flows ("start" BIGINT, "end" BIGINT, src4 UINTEGER, src6 UHUGEINT, dst4 UINTEGER, dst6 UHUGEINT, sport USMALLINT, dport USMALLINT, proto UTINYINT, tcp_flags UTINYINT, ' +
        'packets BIGINT, bytes BIGINT, exporter4 UINTEGER, exporter6 UHUGEINT, in_if UINTEGER, out_if UINTEGER, sampling UINTEGER, src_as UINTEGER, dst_as UINTEGER, next_hop4 UINTEGER, next_hop6 UHUGEINT, ' +
        'src_vlan USMALLINT, dst_vlan USMALLINT, icmp_type UTINYINT, icmp_code UTINYINT, tos UTINYINT, direction UTINYINT, end_reason UTINYINT, src_country USMALLINT, dst_country USMALLINT, tags VARCHAR[])',
    );
    await connection.run("CREATE TABLE vantage_meta (key VARCHAR PRIMARY KEY, value VARCHAR); INSERT INTO vantage_meta VALUES ('schema', 'flows-v1')");
    for (const f of flows) {
      const values = PACKED.map((p) => (f as unknown as Record<string, unknown>)[p] ?? 'NULL').join(', ');
      await connection.run(`INSERT INTO flows ("start", "end", src4, dst4, sport, dport, proto, tcp_flags, packets, bytes, ${PACKED.join(', ')}) VALUES (${f.start}, ${f.end}, 167772161, 167772162, 1, 2, 17, 0, 1, 60, ${values})`);
    }
    connection.closeSync();
    instance.closeSync();

    const store = new DuckDbStore({ path });
    await store.open();
    try {
      expect(await readPacked(store)).toEqual(expected(flows));
      const [meta] = await store.execute("SELECT value FROM vantage_meta WHERE key = 'schema'");
      expect(meta!.value).toBe('flows-v7');
      // New flows append to the rewritten table as to a new one.
      await store.appendFlows([{ ...BASE, start: 99_999, dst_vlan: 7 }]);
      const [vlan] = await store.run(compileQuery(parseQuery('dst vlan 7 | count'), store.dialect));
      expect(vlan!.flows).toBe(1);
    } finally {
      await store.close();
    }
    // A second open finds the current layout and leaves it alone.
    const again = new DuckDbStore({ path });
    await again.open();
    try {
      expect((await again.stats()).flows).toBe(flows.length + 1);
    } finally {
      await again.close();
    }
  });

  it.each(['flows-v4', 'flows-v5'])('rewrites a %s store (its countries in its own bits, the AS numbers as columns), every field kept', async (layout) => {
    const path = join(work, `${layout}.duckdb`);
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    // The layout's tables: today's columns without packed_as but with src_as and dst_as (v4: nor
    // packed_countries); flow_rows without the IPv6 halves.
    const columns = [
      ...DUCKDB_FLOW_COLUMNS.filter((c) => c.name !== 'packed_as' && c.name !== 'packed_enrichment').map((c) => `"${c.name}" ${c.sqlType}`),
      ...(layout === 'flows-v5' ? ['packed_countries BIGINT'] : []),
      'src_as UINTEGER',
      'dst_as UINTEGER',
    ];
    await connection.run(`CREATE TABLE flow_rows (${columns.filter((c) => !/^"\w+6"/.test(c)).join(', ')})`);
    await connection.run(`CREATE TABLE flow_rows6 (${columns.join(', ')})`);
    await connection.run('CREATE VIEW flows AS SELECT "start" FROM flow_rows UNION ALL SELECT "start" FROM flow_rows6');
    await connection.run(`CREATE TABLE vantage_meta (key VARCHAR PRIMARY KEY, value VARCHAR); INSERT INTO vantage_meta VALUES ('schema', '${layout}')`);
    const flows: FlowRecord[] = [
      { ...BASE, src_country: 'US', dst_country: 'DE', src_as: 15169, dst_as: 4294967294 },
      { ...BASE, src_country: 'NL', src_vlan: 7, dst_vlan: 4094, dst_as: 0 },
      { ...BASE, dst_country: 'ZA', icmp_type: 3, icmp_code: 13, end_reason: 2, direction: 1, src_as: 2147483648 },
      { ...BASE, src_vlan: 0, icmp_type: 0 },
      { ...BASE },
    ].map((f, i) => ({ ...f, start: BASE.start + i }));
    // The layout's bits: packed_vlans = src_vlan (16, presence 49), dst_vlan (32, 50); packed_marks =
    // icmp_type (16, 52), icmp_code (24, 53), end_reason (32, 54), direction (40, 55); the countries
    // in the low 16 bits of packed_vlans (presence 48) and packed_marks (51) in v4, and in v5 in
    // packed_countries, at 0 (presence 48) and 16 (51).
    const pack = (parts: [number | undefined | null, number, number][]) => {
      const present = parts.filter(([v]) => v !== undefined && v !== null);
      return present.length === 0 ? 'NULL' : String(present.reduce((sum, [v, at, bit]) => sum + (BigInt(v!) << BigInt(at)) + (1n << BigInt(bit)), 0n));
    };
    const code = (c: string | null | undefined) => (c ? countryCode(c) : undefined);
    const v4 = layout === 'flows-v4';
    for (const f of flows) {
      const vlans = pack([[v4 ? code(f.src_country) : undefined, 0, 48], [f.src_vlan, 16, 49], [f.dst_vlan, 32, 50]]);
      const marks = pack([[v4 ? code(f.dst_country) : undefined, 0, 51], [f.icmp_type, 16, 52], [f.icmp_code, 24, 53], [f.end_reason, 32, 54], [f.direction, 40, 55]]);
      const countries = v4 ? '' : `, ${pack([[code(f.src_country), 0, 48], [code(f.dst_country), 16, 51]])}`;
      const as = (a: number | null | undefined) => (a === undefined || a === null ? 'NULL' : String(a));
      await connection.run(
        `INSERT INTO flow_rows ("start", "end", src4, dst4, sport, dport, proto, tcp_flags, packets, bytes, src_as, dst_as, packed_vlans, packed_marks${v4 ? '' : ', packed_countries'}) ` +
          `VALUES (${f.start}, ${f.end}, ${f.src}, ${f.dst}, 1, 2, 17, 0, 1, 60, ${as(f.src_as)}, ${as(f.dst_as)}, ${vlans}, ${marks}${countries})`,
      );
    }
    connection.closeSync();
    instance.closeSync();

    const fields = [...PACKED, 'src_country', 'dst_country'] as const;
    const store = new DuckDbStore({ path });
    await store.open();
    try {
      const rows = await store.run(compileQuery(parseQuery(`any | sort start | fields ${fields.join(',')}`), store.dialect));
      expect(rows.map((r) => Object.fromEntries(fields.map((k) => [k, r[k] ?? null])))).toEqual(
        flows.map((f) => Object.fromEntries(fields.map((k) => [k, (f as unknown as Record<string, unknown>)[k] ?? null]))),
      );
      // The first flow had nothing but countries and AS numbers: its vlan and mark columns are null now.
      const [first] = await store.execute(`SELECT packed_vlans, packed_marks FROM flow_rows WHERE "start" = ${BASE.start}`);
      expect(first).toEqual({ packed_vlans: null, packed_marks: null });
      const [meta] = await store.execute("SELECT value FROM vantage_meta WHERE key = 'schema'");
      expect(meta!.value).toBe('flows-v7');
      const old = await store.execute("SELECT column_name FROM duckdb_columns() WHERE table_name LIKE 'flow_rows%' AND column_name IN ('src_as', 'dst_as')");
      expect(old).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
